import { describe, expect, it } from 'vitest';
import { maskedPsnr, psnr } from '../../src/eval/psnr.js';

describe('psnr and maskedPsnr', () => {
  // two RGB pixels: the first identical, the second off by 0.5 in every channel
  const a = [0, 0, 0, 1, 1, 1];
  const b = [0, 0, 0, 0.5, 0.5, 0.5];

  it('maskedPsnr counts only the selected pixels (hand-computed)', () => {
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10(1 / 0.125), 10);
    expect(maskedPsnr(a, b, [true, true])).toBeCloseTo(psnr(a, b), 10);
    expect(maskedPsnr(a, b, [false, true])).toBeCloseTo(10 * Math.log10(1 / 0.25), 10);
    expect(maskedPsnr(a, b, [true, false])).toBe(Infinity);
  });

  it('refuses a mask that does not fit or selects nothing', () => {
    expect(() => maskedPsnr(a, b, [true, true, true, true])).toThrow(/do not fit a mask of 4 pixels/);
    expect(() => maskedPsnr(a, b, [false, false])).toThrow(/selects no pixel/);
    expect(() => maskedPsnr(a, [0], [true])).toThrow(/differ in size/);
  });
});
