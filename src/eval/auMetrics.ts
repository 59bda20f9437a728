import { icc31 } from './icc.js';
import { mse } from './mse.js';

/** The 12 AUs of the paper, in its order. */
export const AU_IDS = [1, 2, 4, 5, 6, 9, 12, 15, 17, 20, 25, 26] as const;

export interface AuScores {
  perAu: { au: number; icc: number; mse: number }[];
  /** Mean ICC over the AUs where it is defined (NaN entries are skipped and counted). */
  meanIcc: number;
  iccUndefined: number;
  meanMse: number;
}

/**
 * Table-1 style scores: per-AU ICC(3,1) and MSE between targets and estimates, each given as
 * rows of 12 intensities (one row per image), and their averages over AUs.
 */
export function auScores(targets: ArrayLike<number>[], estimates: ArrayLike<number>[]): AuScores {
  if (targets.length !== estimates.length) throw new Error(`auScores: ${targets.length} targets vs ${estimates.length} estimates`);
  const column = (rows: ArrayLike<number>[], j: number) => Float64Array.from(rows, (r) => {
    if (r.length !== AU_IDS.length) throw new Error(`auScores: a row has ${r.length} values, expected ${AU_IDS.length}`);
    return r[j]!;
  });
  const perAu = AU_IDS.map((au, j) => {
    const t = column(targets, j), e = column(estimates, j);
    return { au, icc: icc31(t, e), mse: mse(t, e) };
  });
  const defined = perAu.filter((s) => !Number.isNaN(s.icc));
  return {
    perAu,
    meanIcc: defined.length ? defined.reduce((s, x) => s + x.icc, 0) / defined.length : Number.NaN,
    iccUndefined: perAu.length - defined.length,
    meanMse: perAu.reduce((s, x) => s + x.mse, 0) / perAu.length,
  };
}
