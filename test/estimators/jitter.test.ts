/** The estimators' jitter augmentation: per-image affine colour change and an edge-replicated shift. */
import { beforeAll, describe, expect, it } from 'vitest';
import { affine, balancedSampler, BatchRng, blur, jitter } from '../../src/estimators/train.js';
import { initRuntime, tf } from '../../src/runtime/index.js';

beforeAll(async () => {
  await initRuntime();
});

describe('jitter', () => {
  it('on a constant image gives c·gain + offset per image and channel, within the stated ranges', () => {
    const x = tf.fill([6, 8, 8, 3], 0.5) as tf.Tensor4D;
    const y = jitter(x, new BatchRng(3));
    const v = y.arraySync() as number[][][][];
    for (let b = 0; b < 6; b++) {
      for (let c = 0; c < 3; c++) {
        const u = v[b]![0]![0]![c]!;
        // constant over the image (a shift cannot change a constant)
        for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) expect(v[b]![i]![j]![c]).toBeCloseTo(u, 6);
        expect(u).toBeGreaterThanOrEqual(0.5 * 0.85 - 0.1 - 1e-6);
        expect(u).toBeLessThanOrEqual(0.5 * 1.15 + 0.1 + 1e-6);
      }
    }
  });

  it('shifts whole images by at most 3 px with edge replication, and is reproducible from the stream state', () => {
    // a horizontal ramp: after a shift dx every column reads ramp(j + dx − 3) clamped to the edges
    const W = 16;
    const ramp = tf.tile(tf.range(0, W).reshape([1, 1, W, 1]), [4, 5, 1, 3]).toFloat() as tf.Tensor4D;
    const a = jitter(ramp, new BatchRng(9)).arraySync() as number[][][][];
    const b = jitter(ramp, new BatchRng(9)).arraySync() as number[][][][];
    expect(a).toEqual(b);
    for (let s = 0; s < 4; s++) {
      // undo the colour change with two columns inside the image: value = (col + k)·g + o
      const row = a[s]![2]!.map((p) => p[0]!);
      const g = row[8]! - row[7]!;
      expect(g).toBeGreaterThan(0.85 - 1e-5);
      expect(g).toBeLessThan(1.15 + 1e-5);
      const cols = row.map((v) => v / g);
      // (col·g + o)/g with |o/g| < 0.12: rounding recovers the source column, 8 + shift
      const shift = Math.round(cols[8]!) - 8;
      expect(Math.abs(shift)).toBeLessThanOrEqual(3);
      // edge replication: the first/last columns repeat when the shift moves the border in
      const diffs = cols.slice(1).map((v, i) => Math.round((v - cols[i]!) * 1000) / 1000);
      expect(diffs.every((d) => d === 0 || d === 1)).toBe(true);
    }
  });
});

describe('affine', () => {
  it('keeps a constant image constant and is reproducible from the stream state', () => {
    const x = tf.fill([5, 16, 16, 3], 0.3) as tf.Tensor4D;
    const y = affine(x, new BatchRng(4)).dataSync();
    for (const v of y) expect(v).toBeCloseTo(0.3, 5);
    const ramp = tf.tile(tf.range(0, 16).reshape([1, 1, 16, 1]), [3, 16, 1, 3]).toFloat() as tf.Tensor4D;
    expect(affine(ramp, new BatchRng(8)).arraySync()).toEqual(affine(ramp, new BatchRng(8)).arraySync());
  });

  it('resamples a ramp with slope 1/zoom ∈ [1/1.10, 1/0.92] and a centre shift within ±2 px', () => {
    // horizontal ramp of column index: inside the image, out(j) = c + (j − 7.5)/s
    const W = 32;
    const ramp = tf.tile(tf.range(0, W).reshape([1, 1, W, 1]), [6, W, 1, 3]).toFloat() as tf.Tensor4D;
    const v = affine(ramp, new BatchRng(5)).arraySync() as number[][][][];
    for (let b = 0; b < 6; b++) {
      const row = v[b]![16]!.map((p) => p[0]!);
      const slope = (row[20]! - row[11]!) / 9;
      expect(slope).toBeGreaterThan(1 / 1.1 - 1e-3);
      expect(slope).toBeLessThan(1 / 0.92 + 1e-3);
      const centre = (row[15]! + row[16]!) / 2;
      expect(Math.abs(centre - 15.5)).toBeLessThanOrEqual(2 + 1e-3);
      // vertical direction untouched for a horizontal ramp
      expect(v[b]![3]![10]![0]).toBeCloseTo(row[10]!, 4);
    }
  });
});

describe('blur', () => {
  it('keeps a constant image (edges replicated), keeps the mean of a pattern and softens it by a per-image amount within [identity, σ = 1.5 Gaussian]', () => {
    const c = blur(tf.fill([3, 12, 12, 3], 0.4) as tf.Tensor4D, new BatchRng(2)).dataSync();
    for (const v of c) expect(v).toBeCloseTo(0.4, 5);
    // a checkerboard: its mean stays, its contrast drops by the blend weight t of each image
    const board = tf.tidy(() => {
      const rows = tf.range(0, 16).reshape([16, 1]), cols = tf.range(0, 16).reshape([1, 16]);
      const v = tf.mod(tf.add(rows, cols), 2).mul(2).sub(1);
      return tf.tile(v.reshape([1, 16, 16, 1]), [5, 1, 1, 3]).toFloat() as tf.Tensor4D;
    });
    const y = blur(board, new BatchRng(7)).arraySync() as number[][][][];
    // the σ = 1.5 Gaussian takes a ±1 checkerboard to ≈ ±0 (its response at Nyquist is e^(−π²σ²/2) ≈ 1.5e-5)
    const amplitude = y.map((img) => Math.abs(img[8]![8]![0]!));
    for (const a of amplitude) {
      expect(a).toBeGreaterThanOrEqual(0);
      expect(a).toBeLessThanOrEqual(1 + 1e-6);
    }
    expect(new Set(amplitude.map((a) => a.toFixed(3))).size).toBeGreaterThan(3);
    for (const img of y) {
      const mean = img.slice(4, 12).flatMap((r) => r.slice(4, 12).map((p) => p[0]!)).reduce((a, b) => a + b, 0) / 64;
      expect(Math.abs(mean)).toBeLessThan(1e-4);
    }
    expect(blur(board, new BatchRng(7)).arraySync()).toEqual(y);
  });
});

describe('balancedSampler', () => {
  it('draws frames of a rare AU far more often than its share, and every frame can still be drawn', () => {
    const count = 1000;
    const labels = new Float32Array(count * 12);
    // AU index 5 (AU9) active in 10 frames (1 %), AU index 0 in half of them
    for (let i = 0; i < count; i++) {
      if (i % 100 === 7) labels[i * 12 + 5] = 2;
      if (i % 2 === 0) labels[i * 12] = 1;
    }
    const pick = balancedSampler(labels, count, new BatchRng(1));
    const seen = new Set<number>();
    let rare = 0;
    const n = 20000;
    for (let k = 0; k < n; k++) {
      const i = pick();
      expect(i).toBeGreaterThanOrEqual(0);
      expect(i).toBeLessThan(count);
      seen.add(i);
      if (labels[i * 12 + 5]! >= 1) rare++;
    }
    // ½ uniform (1 %) + ½ · ½ (two AUs with active frames) → ≈ 25.5 %
    expect(rare / n).toBeGreaterThan(0.23);
    expect(rare / n).toBeLessThan(0.28);
    expect(seen.size).toBeGreaterThan(990);
  });
});
