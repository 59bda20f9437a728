/** The oracle dose–response on a stub renderer and reader with hand-computed slopes. */
import { describe, expect, it } from 'vitest';
import { oracleCurve } from '../../src/eval/oracleCurve.js';

describe('oracleCurve', () => {
  it('averages the readings over subjects per level and fits the slope', () => {
    // faces are (subject, au, level) records; the reader sees 0.5 × level + a subject offset for
    // AU12, a constant 1 for AU4 and the level itself otherwise
    const offsets: Record<string, number> = { A: 0, B: 0.2 };
    const seen: number[] = [];
    const rows = oracleCurve(
      ['A', 'B'],
      (s, au, level) => ({ s, au, level }),
      (faces, column) => {
        seen.push(column);
        return faces.map((f) => (f.au === 12 ? 0.5 * f.level + offsets[f.s]! : f.au === 4 ? 1 : f.level));
      },
      [0, 2, 4],
    );
    expect(rows.map((r) => r.au)).toEqual([1, 2, 4, 5, 6, 9, 12, 15, 17, 20, 25, 26]);
    const au12 = rows.find((r) => r.au === 12)!;
    expect(au12.mean).toEqual([0.1, 1.1, 2.1]);
    expect(au12.slope).toBeCloseTo(0.5, 12);
    expect(rows.find((r) => r.au === 4)!.slope).toBe(0);
    expect(rows.find((r) => r.au === 26)!.slope).toBeCloseTo(1, 12);
    // one read per (AU, level), asking for that AU's column
    expect(seen).toHaveLength(36);
    expect(seen.slice(18, 21)).toEqual([6, 6, 6]);
  });

  it('refuses no subjects and a single level', () => {
    expect(() => oracleCurve([], () => 0, () => [])).toThrow(/no subjects/);
    expect(() => oracleCurve(['A'], () => 0, () => [0], [1])).toThrow(/2 levels/);
  });
});
