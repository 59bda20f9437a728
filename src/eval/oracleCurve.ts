/**
 * An AU estimator's dose–response on SynthFACS oracle renders: each subject's face rendered with
 * ONE AU at intensity 0, 1, …, 5 and nothing else (no nuisance), read by the estimator. A data
 * set's labels cannot show this: in DISFA-like episodes AUs co-occur (AU5 with AU1 + AU2) and high
 * intensities are rare, so an estimator may read an AU from its companions or squash its range,
 * and an edit that changes one AU is then measured by a reading that barely moves.
 */
import { AU_ORDER } from '../data/aus.js';

export interface OracleCurveRow {
  au: number;
  /** Mean reading of this AU over the subjects, per intensity in `levels`. */
  mean: number[];
  /** Least-squares slope of the reading on the rendered intensity (1 = reads the scale as rendered). */
  slope: number;
}

export const ORACLE_LEVELS = [0, 1, 2, 3, 4, 5] as const;

/**
 * `render(subject, auColumn, level)` makes one face; `read(faces)` returns one reading per face
 * for the given AU column. Faces of all subjects at one (AU, level) go to `read` together.
 */
export function oracleCurve<F>(
  subjects: readonly string[],
  render: (subject: string, au: number, level: number) => F,
  read: (faces: F[], column: number) => number[],
  levels: readonly number[] = ORACLE_LEVELS,
): OracleCurveRow[] {
  if (subjects.length === 0) throw new RangeError('oracle curve: no subjects');
  if (levels.length < 2) throw new RangeError('oracle curve: need at least 2 levels');
  return AU_ORDER.map((au, j) => {
    const mean = levels.map((level) => {
      const r = read(subjects.map((s) => render(s, au, level)), j);
      return r.reduce((a, b) => a + b, 0) / r.length;
    });
    const lx = levels.reduce((a, b) => a + b, 0) / levels.length;
    const ly = mean.reduce((a, b) => a + b, 0) / mean.length;
    let sxy = 0, sxx = 0;
    levels.forEach((x, i) => {
      sxy += (x - lx) * (mean[i]! - ly);
      sxx += (x - lx) ** 2;
    });
    return { au, mean, slope: sxy / sxx };
  });
}
