import { describe, expect, it } from 'vitest';
import { bfloat16BitsToFloat32, float32ToBfloat16Bits, float32ToHalfBits, halfBitsToFloat32 } from '../../src/io/half.js';

const toHalf = (x: number) => halfBitsToFloat32(new Uint16Array([float32ToHalfBits(x)]))[0]!;

describe('float16', () => {
  it('decodes special values', () => {
    const bits = new Uint16Array([0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x7c00, 0xfc00, 0x7e00]);
    const f = halfBitsToFloat32(bits);
    expect(Array.from(f.subarray(0, 9))).toEqual([0, -0, 1, -2, 65504, 2 ** -24, 2 ** -14, Infinity, -Infinity]);
    expect(f[9]).toBeNaN();
  });
  it('encodes with round-to-nearest-even', () => {
    expect(float32ToHalfBits(1)).toBe(0x3c00);
    expect(float32ToHalfBits(65504)).toBe(0x7bff);
    expect(float32ToHalfBits(65520)).toBe(0x7c00); // rounds up to Inf
    expect(float32ToHalfBits(1e10)).toBe(0x7c00);
    expect(float32ToHalfBits(-0)).toBe(0x8000);
    expect(float32ToHalfBits(2 ** -24)).toBe(0x0001);
    expect(float32ToHalfBits(2 ** -25)).toBe(0x0000); // tie → even (0)
    expect(float32ToHalfBits(1.5 * 2 ** -25)).toBe(0x0001);
    expect(float32ToHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(float32ToHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(toHalf(NaN)).toBeNaN();
    expect(toHalf(0.1)).toBe(0.0999755859375);
  });
  it('round-trips every half value', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const f = halfBitsToFloat32(all);
    const wrong: number[] = [];
    for (let i = 0; i < 65536; i++) if (!Number.isNaN(f[i]) && float32ToHalfBits(f[i]!) !== i) wrong.push(i);
    expect(wrong).toEqual([]);
  });
});

describe('bfloat16', () => {
  it('widens and rounds', () => {
    expect(Array.from(bfloat16BitsToFloat32(new Uint16Array([0x3f80, 0xbf80, 0x7f80])))).toEqual([1, -1, Infinity]);
    expect(float32ToBfloat16Bits(1)).toBe(0x3f80);
    expect(float32ToBfloat16Bits(Math.fround(1 + 2 ** -8))).toBe(0x3f80); // tie → even
    expect(float32ToBfloat16Bits(Math.fround(1 + 3 * 2 ** -8))).toBe(0x3f82);
    expect(Number.isNaN(bfloat16BitsToFloat32(new Uint16Array([float32ToBfloat16Bits(NaN)]))[0])).toBe(true);
  });
});
