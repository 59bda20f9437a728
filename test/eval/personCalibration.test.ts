/** Person-specific calibration on hand-computed cases. */
import { describe, expect, it } from 'vitest';
import { applyOffsets, calibrationPlan, percentileOf, personOffsets } from '../../src/eval/personCalibration.js';

describe('percentileOf', () => {
  it('interpolates linearly between order statistics', () => {
    expect(percentileOf([4, 1, 3, 2], 10)).toBeCloseTo(1.3, 12); // rank 0.3 between 1 and 2
    expect(percentileOf([4, 1, 3, 2], 50)).toBeCloseTo(2.5, 12);
    expect(percentileOf([7], 10)).toBe(7);
    expect(() => percentileOf([], 10)).toThrow(/empty/);
  });
});

describe('calibrationPlan', () => {
  // 2 subjects × 4 frames, 2 AUs; AU a rests (label 0) in 2/4 and 3/4 frames, AU b in 4/4 and 0/4
  const labels = Float32Array.from([0, 0, 1, 0, 0, 0, 2, 0, /* subject 1: */ 0, 1, 0, 2, 0, 1, 3, 1]);
  const groups = [0, 0, 0, 0, 1, 1, 1, 1];
  it('calibrates an AU only if every training subject rests in it for ≥ 2 × percentile % of frames', () => {
    const p10 = calibrationPlan(labels, groups, 2, 10);
    expect(p10.minRestShare).toEqual([0.5, 0]);
    expect(p10.calibrated).toEqual([true, false]);
    expect(calibrationPlan(labels, groups, 2, 25).calibrated).toEqual([true, false]); // 50 % ≥ 2 × 25 %
    expect(calibrationPlan(labels, groups, 2, 26).calibrated).toEqual([false, false]);
    expect(() => calibrationPlan(labels, groups, 2, 50)).toThrow(/\[0, 50\)/);
  });
});

describe('personOffsets / applyOffsets', () => {
  it("subtracts each subject's own percentile from the calibrated AUs only", () => {
    // subject 0 estimates AU a as 1, 1.5, 3, 2 ; subject 1 as 0, 0.2, 0.1, 4
    const est = Float32Array.from([1, 9, 1.5, 9, 3, 9, 2, 9, 0, 5, 0.2, 5, 0.1, 5, 4, 5]);
    const groups = [0, 0, 0, 0, 1, 1, 1, 1];
    const plan = { percentile: 10, calibrated: [true, false], minRestShare: [0.5, 0] };
    const off = personOffsets(est, groups, 2, plan);
    expect(off.get(0)![0]).toBeCloseTo(1.15, 6); // sorted 1 1.5 2 3, rank 0.3: 1 + 0.3 × 0.5
    expect(off.get(1)![0]).toBeCloseTo(0.03, 6); // sorted 0 0.1 0.2 4, rank 0.3: 0.3 × 0.1
    expect(off.get(0)![1]).toBe(0);
    const cal = applyOffsets(est, groups, 2, off);
    expect(cal[0]).toBeCloseTo(-0.15, 6);
    expect(cal[4]).toBeCloseTo(1.85, 6);
    expect(cal[14]).toBeCloseTo(3.97, 6);
    expect(cal[1]).toBe(9);
    expect(cal[15]).toBe(5);
    expect(() => applyOffsets(est, [0, 0, 0, 0, 2, 2, 2, 2], 2, off)).toThrow(/group 2/);
  });
});
