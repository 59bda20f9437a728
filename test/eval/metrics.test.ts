import { describe, expect, it } from 'vitest';
import { AU_IDS, auScores } from '../../src/eval/auMetrics.js';
import { icc31 } from '../../src/eval/icc.js';
import { cosineDistance, euclideanDistance } from '../../src/eval/identity.js';
import { imageL2 } from '../../src/eval/imageDistance.js';
import { mse } from '../../src/eval/mse.js';

describe('ICC(3,1)', () => {
  it('matches the hand-computed value 44/49', () => {
    // rows means 1.25 2 2.75 4.5, grand 2.625: SS_rows 11.625, SS_cols .125, SS_total 12.375,
    // BMS 3.875, EMS .625/3 → (3.875 − .2083)/(3.875 + .2083) = 44/49
    expect(icc31([1, 2, 3, 4], [1.5, 2, 2.5, 5])).toBeCloseTo(44 / 49, 12);
  });

  it('is 1 for identical raters and ignores a constant offset (consistency, not absolute agreement)', () => {
    expect(icc31([0, 1, 3, 5], [0, 1, 3, 5])).toBeCloseTo(1, 12);
    expect(icc31([0, 1, 3, 5], [2, 3, 5, 7])).toBeCloseTo(1, 12);
  });

  it('is −1 for perfectly opposed raters', () => {
    expect(icc31([0, 1, 2], [2, 1, 0])).toBeCloseTo(-1, 12);
  });

  it('matches the textbook Shrout–Fleiss example for ICC(3,1) = 0.71', () => {
    // Shrout & Fleiss (1979), Table 2: 6 targets × 4 judges; ICC(3,1) = .71
    const judges = [
      [9, 6, 8, 7, 10, 6],
      [2, 1, 4, 1, 5, 2],
      [5, 3, 6, 2, 6, 4],
      [8, 2, 8, 6, 9, 7],
    ];
    expect(icc31(...judges)).toBeCloseTo(0.7148, 3);
  });

  it('degenerate cases are NaN: constant labels and constant estimates, fewer than 2 targets', () => {
    expect(icc31([0, 0, 0, 0], [0, 0, 0, 0])).toBeNaN();
    expect(icc31([0, 0, 0], [1, 1, 1])).toBeNaN();
    expect(icc31([3], [2])).toBeNaN();
  });

  it('constant labels with varying estimates are defined (and not good)', () => {
    const v = icc31([0, 0, 0, 0], [0.1, 0.5, 0, 0.3]);
    expect(Number.isNaN(v)).toBe(false);
    expect(v).toBeCloseTo(0, 12);
  });
});

describe('MSE, ID distances, image L2', () => {
  it('hand-computed values', () => {
    expect(mse([1, 2, 3], [1, 4, 0])).toBeCloseTo(13 / 3, 12);
    expect(euclideanDistance([0, 3], [4, 0])).toBe(5);
    expect(cosineDistance([1, 0], [0, 2])).toBeCloseTo(1, 12);
    expect(cosineDistance([1, 1], [2, 2])).toBeCloseTo(0, 12);
    expect(cosineDistance([1, 0], [-1, 0])).toBeCloseTo(2, 12);
    expect(imageL2([0, 1, 0.5, 0.5], [0, 0, 0.5, 1])).toBeCloseTo((1 + 0.25) / 4, 12);
  });

  it('refuse mismatched inputs', () => {
    expect(() => mse([1], [1, 2])).toThrow(/lengths differ/);
    expect(() => cosineDistance([0, 0], [1, 1])).toThrow(/all zeros/);
  });
});

describe('auScores', () => {
  it('per-AU ICC and MSE, averages skip undefined ICCs and count them', () => {
    const targets = [0, 1, 2, 3].map((i) => AU_IDS.map((_, j) => (j === 0 ? 0 : i + j)));
    const estimates = targets.map((r) => r.map((v, j) => (j === 0 ? 0 : v + 0.5)));
    const s = auScores(targets, estimates);
    expect(s.perAu[0]!.icc).toBeNaN();
    expect(s.iccUndefined).toBe(1);
    expect(s.perAu[1]!.icc).toBeCloseTo(1, 12);
    expect(s.meanIcc).toBeCloseTo(1, 12);
    expect(s.perAu[0]!.mse).toBe(0);
    expect(s.meanMse).toBeCloseTo((11 * 0.25) / 12, 12);
  });
});
