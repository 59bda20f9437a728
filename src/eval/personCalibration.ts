/**
 * Person-specific calibration of an AU intensity estimator (as OpenFace 2.0 does for video): a
 * face's resting shape (wide eyes, a wide mouth) is read by a single-image estimator as a constant
 * AU offset on every frame of that person. Assuming each person is at rest for an AU in more than
 * `percentile` % of their frames, the `percentile`-th percentile of the estimates over the person's
 * frames estimates that offset, and is subtracted. No label of the person is used.
 *
 * The assumption fails for AUs some people hold all the time (SynthFACS and DISFA have subjects
 * whose lips never close: AU25 is never 0), so which AUs are calibrated is decided from the
 * training subjects' labels: AU j is calibrated only if every training subject is at rest (label
 * 0) for it in at least twice `percentile` % of their frames.
 */

export interface CalibrationPlan {
  percentile: number;
  /** Per AU column: calibrated or left as estimated. */
  calibrated: boolean[];
  /** Per AU column: the smallest share of label-0 frames over the training subjects. */
  minRestShare: number[];
}

function byGroup(groups: ArrayLike<number>): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    let l = m.get(g);
    if (!l) m.set(g, (l = []));
    l.push(i);
  }
  return m;
}

/** The p-th percentile (0–100) of `v` with linear interpolation between order statistics (numpy's default). */
export function percentileOf(v: ArrayLike<number>, p: number): number {
  if (v.length === 0) throw new RangeError('percentile of an empty list');
  const s = Float64Array.from(v).sort();
  const r = (p / 100) * (s.length - 1);
  const lo = Math.floor(r), hi = Math.ceil(r);
  return s[lo]! + (s[hi]! - s[lo]!) * (r - lo);
}

/** Decides which AU columns to calibrate from the training subjects' labels (rows × width, row-major). */
export function calibrationPlan(labels: Float32Array, groups: ArrayLike<number>, width: number, percentile: number): CalibrationPlan {
  if (!(percentile >= 0 && percentile < 50)) throw new RangeError(`calibration percentile ${percentile}: expected a number in [0, 50)`);
  const minRestShare = new Array<number>(width).fill(1);
  for (const rows of byGroup(groups).values()) {
    for (let j = 0; j < width; j++) {
      let rest = 0;
      for (const i of rows) if (labels[i * width + j] === 0) rest++;
      minRestShare[j] = Math.min(minRestShare[j]!, rest / rows.length);
    }
  }
  return { percentile, minRestShare, calibrated: minRestShare.map((s) => s * 100 >= 2 * percentile) };
}

/** Per group: the offset subtracted from each AU column (0 where the plan leaves the column alone). */
export function personOffsets(estimates: Float32Array, groups: ArrayLike<number>, width: number, plan: CalibrationPlan): Map<number, Float64Array> {
  const out = new Map<number, Float64Array>();
  for (const [g, rows] of byGroup(groups)) {
    const off = new Float64Array(width);
    for (let j = 0; j < width; j++) {
      if (plan.calibrated[j]) off[j] = percentileOf(rows.map((i) => estimates[i * width + j]!), plan.percentile);
    }
    out.set(g, off);
  }
  return out;
}

/** Estimates minus their group's offsets (a new array). */
export function applyOffsets(estimates: Float32Array, groups: ArrayLike<number>, width: number, offsets: Map<number, Float64Array>): Float32Array {
  const out = new Float32Array(estimates.length);
  for (let i = 0; i < groups.length; i++) {
    const off = offsets.get(groups[i]!);
    if (!off) throw new RangeError(`no calibration offsets for group ${groups[i]}`);
    for (let j = 0; j < width; j++) out[i * width + j] = estimates[i * width + j]! - off[j]!;
  }
  return out;
}
