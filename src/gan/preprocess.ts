/**
 * Image ↔ tensor conversions at the edges of the GAN pair, the way e4e does them:
 * `transforms.Resize((S, S))` (Pillow's BILINEAR resize, which widens its triangle filter when
 * shrinking, i.e. antialiases), `ToTensor` (/255) and `Normalize(0.5, 0.5)` ((x − 0.5)/0.5).
 */
import type { RgbImage } from '../io/image.js';

/** Pillow's resampling weights for one axis (Resample.c precompute_coeffs, bilinear filter). */
function pillowCoeffs(inSize: number, outSize: number): { start: number[]; weights: Float64Array[] } {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 1 * filterScale;
  const start: number[] = [];
  const weights: Float64Array[] = [];
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5));
    const w = new Float64Array(Math.max(0, xmax - xmin));
    let sum = 0;
    for (let x = 0; x < w.length; x++) {
      const t = Math.abs((x + xmin - center + 0.5) / filterScale);
      w[x] = t < 1 ? 1 - t : 0;
      sum += w[x]!;
    }
    if (sum !== 0) for (let x = 0; x < w.length; x++) w[x]! /= sum;
    start.push(xmin);
    weights.push(w);
  }
  return { start, weights };
}

/**
 * Resizes an RGB image with Pillow's BILINEAR weights, in floating point (Pillow rounds to 8 bits
 * between its horizontal and vertical pass; that rounding, at most 1/255, is not reproduced).
 */
export function resizeBilinearPil(img: RgbImage, width: number, height: number): RgbImage {
  if (img.width === width && img.height === height) return img;
  const h = pillowCoeffs(img.width, width);
  const v = pillowCoeffs(img.height, height);
  const tmp = new Float32Array(img.height * width * 3);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < width; x++) {
      const w = h.weights[x]!;
      const x0 = h.start[x]!;
      let r = 0, g = 0, b = 0;
      for (let k = 0; k < w.length; k++) {
        const s = (y * img.width + x0 + k) * 3;
        r += img.data[s]! * w[k]!;
        g += img.data[s + 1]! * w[k]!;
        b += img.data[s + 2]! * w[k]!;
      }
      const o = (y * width + x) * 3;
      tmp[o] = r;
      tmp[o + 1] = g;
      tmp[o + 2] = b;
    }
  }
  const out = new Float32Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    const w = v.weights[y]!;
    const y0 = v.start[y]!;
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0;
      for (let k = 0; k < w.length; k++) {
        const s = ((y0 + k) * width + x) * 3;
        r += tmp[s]! * w[k]!;
        g += tmp[s + 1]! * w[k]!;
        b += tmp[s + 2]! * w[k]!;
      }
      const o = (y * width + x) * 3;
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
    }
  }
  return { width, height, data: out };
}

/** An image as e4e's encoder input: resized to size × size, NHWC [1, size, size, 3] data in [-1, 1]. */
export function encoderInput(img: RgbImage, size: number): Float32Array {
  const r = resizeBilinearPil(img, size, size);
  const out = new Float32Array(r.data.length);
  for (let i = 0; i < out.length; i++) out[i] = (r.data[i]! - 0.5) / 0.5;
  return out;
}

/** NCHW data → NHWC data (the reference's arrays to the models' layout). */
export function nchwToNhwc(data: ArrayLike<number>, [n, c, h, w]: readonly number[]): Float32Array {
  const out = new Float32Array(n! * c! * h! * w!);
  for (let b = 0; b < n!; b++)
    for (let ch = 0; ch < c!; ch++)
      for (let y = 0; y < h!; y++)
        for (let x = 0; x < w!; x++) out[((b * h! + y) * w! + x) * c! + ch] = data[((b * c! + ch) * h! + y) * w! + x]!;
  return out;
}

/** NHWC data → NCHW data (for .npy outputs in the reference's layout). */
export function nhwcToNchw(data: ArrayLike<number>, [n, h, w, c]: readonly number[]): Float32Array {
  const out = new Float32Array(n! * c! * h! * w!);
  for (let b = 0; b < n!; b++)
    for (let y = 0; y < h!; y++)
      for (let x = 0; x < w!; x++)
        for (let ch = 0; ch < c!; ch++) out[((b * c! + ch) * h! + y) * w! + x] = data[((b * h! + y) * w! + x) * c! + ch]!;
  return out;
}
