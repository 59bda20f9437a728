/** The AU-region map behind `train pair --region-weight`: where it is high, and the weights' scaling. */
import { describe, expect, it } from 'vitest';
import { auRegionMap, regionPixelWeights } from '../../src/synth/auRegionMap.js';

describe('auRegionMap', () => {
  const S = 32;
  const map = auRegionMap(S, { identities: 4 });
  const meanOf = (y0: number, y1: number, x0: number, x1: number) => {
    let s = 0, n = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) (s += map[y * S + x]!), n++;
    return s / n;
  };

  it('is in [0, 1] with a maximum of 1, and deterministic', () => {
    expect(map.length).toBe(S * S);
    expect(Math.max(...map)).toBeCloseTo(1, 6);
    expect(Math.min(...map)).toBeGreaterThanOrEqual(0);
    expect(Array.from(auRegionMap(S, { identities: 4 }))).toEqual(Array.from(map));
  });

  it('is high on the face’s AU regions (brows, mouth) and low in the frame corners', () => {
    const corners = (meanOf(0, 4, 0, 4) + meanOf(0, 4, S - 4, S) + meanOf(S - 4, S, 0, 4) + meanOf(S - 4, S, S - 4, S)) / 4;
    const mouth = meanOf(Math.round(S * 0.62), Math.round(S * 0.8), Math.round(S * 0.35), Math.round(S * 0.65));
    const brows = meanOf(Math.round(S * 0.3), Math.round(S * 0.45), Math.round(S * 0.25), Math.round(S * 0.75));
    expect(mouth).toBeGreaterThan(3 * corners);
    expect(brows).toBeGreaterThan(2 * corners);
  });

  it('regionPixelWeights: 1 + k·map scaled to mean 1; k = 0 gives all ones; bad k refused', () => {
    const w = regionPixelWeights(map, 5);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    expect(mean).toBeCloseTo(1, 5);
    const top = map.indexOf(1);
    const low = map.indexOf(Math.min(...map));
    expect(w[top]! / w[low]!).toBeCloseTo((1 + 5) / (1 + 5 * map[low]!), 4);
    expect(Array.from(regionPixelWeights(map, 0)).every((v) => Math.abs(v - 1) < 1e-6)).toBe(true);
    expect(() => regionPixelWeights(map, -1)).toThrow(/≥ 0/);
  });
});
