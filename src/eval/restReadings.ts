/**
 * What an AU estimator reads on each test person when that person is not showing the AU: the mean
 * estimate of AU j over the person's frames labelled 0 for j. A faithful single-image reader of,
 * say, eye opening reads a wide-eyed face as AU5 on every frame; this table shows such identity
 * offsets per person, which ICC and MSE over all frames mix with everything else.
 */
export interface RestReadings {
  /** [group][AU]: mean estimate over the group's label-0 frames of that AU; null when it has none. */
  means: Array<Array<number | null>>;
  /** [group][AU]: how many label-0 frames the mean is over. */
  counts: number[][];
  /** Per AU: the largest |mean| over the groups (0 when no group has a label-0 frame). */
  worst: number[];
  /** Per AU: the group with that largest |mean|, or -1. */
  worstGroup: number[];
}

/**
 * `labels` and `pred` are row-major [n × width]; `groups` gives each row's person (0 … groupCount − 1).
 */
export function restReadings(labels: ArrayLike<number>, pred: ArrayLike<number>, groups: ArrayLike<number>, groupCount: number, width: number): RestReadings {
  const n = groups.length;
  if (labels.length !== n * width || pred.length !== n * width) throw new RangeError(`restReadings: ${n} rows need ${n * width} labels and estimates, got ${labels.length} and ${pred.length}`);
  const sum = Array.from({ length: groupCount }, () => new Float64Array(width));
  const counts = Array.from({ length: groupCount }, () => new Array<number>(width).fill(0));
  for (let i = 0; i < n; i++) {
    const g = groups[i]!;
    if (!(g >= 0 && g < groupCount)) throw new RangeError(`restReadings: row ${i} has group ${g}, expected 0 … ${groupCount - 1}`);
    for (let j = 0; j < width; j++) {
      if (labels[i * width + j] !== 0) continue;
      sum[g]![j] += pred[i * width + j]!;
      counts[g]![j] += 1;
    }
  }
  const means = sum.map((s, g) => Array.from(s, (v, j) => (counts[g]![j]! ? v / counts[g]![j]! : null)));
  const worst = new Array<number>(width).fill(0);
  const worstGroup = new Array<number>(width).fill(-1);
  means.forEach((row, g) =>
    row.forEach((m, j) => {
      if (m !== null && (worstGroup[j] === -1 || Math.abs(m) > Math.abs(worst[j]!))) {
        worst[j] = m;
        worstGroup[j] = g;
      }
    }),
  );
  return { means, counts, worst, worstGroup };
}
