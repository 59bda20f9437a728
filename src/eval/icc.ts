/**
 * ICC(3,1) of Shrout & Fleiss (1979): two-way mixed model, consistency, single measure — the
 * agreement statistic of AU intensity work (DISFA, and Table 1 of the paper). Raters are the
 * columns (here: the target intensities and the estimates), targets the rows.
 *
 *   ICC(3,1) = (BMS − EMS) / (BMS + (k − 1)·EMS)
 *
 * with BMS the between-targets mean square and EMS the residual mean square.
 *
 * Undefined case (decision, see docs/decisions.md): when BMS + (k−1)·EMS = 0 — every rater gives
 * one constant value to all targets, e.g. an AU that never occurs and is never predicted — the
 * ratio is 0/0 and we return NaN rather than invent 0 or 1; averages over AUs skip NaN and say
 * how many they skipped. Fewer than two targets is also NaN.
 */
export function icc31(...raters: ArrayLike<number>[]): number {
  const k = raters.length;
  if (k < 2) throw new Error('icc31: needs at least two raters');
  const n = raters[0]!.length;
  for (const r of raters) if (r.length !== n) throw new Error(`icc31: raters have different lengths (${n} vs ${r.length})`);
  if (n < 2) return Number.NaN;
  let grand = 0;
  for (const r of raters) for (let i = 0; i < n; i++) grand += r[i]!;
  grand /= n * k;
  let ssRows = 0;
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (const r of raters) m += r[i]!;
    ssRows += (m / k - grand) ** 2;
  }
  ssRows *= k;
  let ssCols = 0;
  let ssTotal = 0;
  for (const r of raters) {
    let m = 0;
    for (let i = 0; i < n; i++) {
      m += r[i]!;
      ssTotal += (r[i]! - grand) ** 2;
    }
    ssCols += (m / n - grand) ** 2;
  }
  ssCols *= n;
  const bms = ssRows / (n - 1);
  // clamp: rounding can push a zero residual slightly negative
  const ems = Math.max(0, ssTotal - ssRows - ssCols) / ((n - 1) * (k - 1));
  const den = bms + (k - 1) * ems;
  if (!(den > 0)) return Number.NaN;
  return (bms - ems) / den;
}
