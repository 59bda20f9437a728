import { describe, expect, it } from 'vitest';
import { restReadings } from '../../src/eval/restReadings.js';

describe('restReadings', () => {
  // 2 AUs, 2 people; person 0: rows 0–2, person 1: rows 3–4
  const labels = [0, 2, 0, 0, 3, 0, /* person 1 */ 1, 0, 1, 0];
  const pred = [0.5, 1.8, 1.5, 0.2, 2.9, 0.8, /* person 1 */ 0.9, -0.4, 1.2, -0.2];
  const groups = [0, 0, 0, 1, 1];

  it('averages each AU over each person\'s label-0 frames only', () => {
    const r = restReadings(labels, pred, groups, 2, 2);
    // person 0, AU a: rows 0 and 1 (labels 0, 0) → (0.5 + 1.5) / 2; AU b: rows 1 and 2 → (0.2 + 0.8) / 2
    expect(r.means[0]![0]).toBeCloseTo(1.0, 12);
    expect(r.means[0]![1]).toBeCloseTo(0.5, 12);
    // person 1 never rests for AU a; AU b: (−0.4 − 0.2) / 2
    expect(r.means[1]![0]).toBeNull();
    expect(r.means[1]![1]).toBeCloseTo(-0.3, 12);
    expect(r.counts).toEqual([[2, 2], [0, 2]]);
    expect(r.worst[0]).toBeCloseTo(1.0, 12);
    expect(r.worstGroup).toEqual([0, 0]);
  });

  it('picks the largest offset by magnitude, negative ones included', () => {
    const r = restReadings([0, 0, 0], [0.2, -0.7, 0.5], [0, 1, 2], 3, 1);
    expect(r.worst[0]).toBeCloseTo(-0.7, 12);
    expect(r.worstGroup[0]).toBe(1);
  });

  it('refuses mismatched lengths and out-of-range groups', () => {
    expect(() => restReadings([0, 0], [0], [0, 0], 1, 1)).toThrow(/2 rows need 2/);
    expect(() => restReadings([0], [0], [3], 2, 1)).toThrow(/row 0 has group 3/);
  });
});
