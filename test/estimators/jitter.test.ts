/** The estimators' jitter augmentation: per-image affine colour change and an edge-replicated shift. */
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchRng, jitter } from '../../src/estimators/train.js';
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
