/** Adam's per-variable learning-rate multipliers (a discriminator trained faster than its generator). */
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam } from '../../src/nn/adam.js';
import { initRuntime, tf } from '../../src/runtime/index.js';

beforeAll(async () => {
  await initRuntime();
});

describe('Adam.setLrMultiplier', () => {
  it('scales the step of the chosen variables only, on every step', () => {
    const a = tf.variable(tf.tensor1d([1, -2, 3]));
    const b = tf.variable(tf.tensor1d([1, -2, 3]));
    const opt = new Adam({ lr: 0.01, beta1: 0.9, beta2: 0.99 });
    opt.setLrMultiplier([b], 4);
    const target = tf.tensor1d([0.5, 0.5, 0.5]);
    for (let i = 0; i < 3; i++) {
      // the same loss on each, so the moments are equal and only the multiplier differs
      opt.minimize(() => tf.add(tf.sum(tf.square(tf.sub(a, target))), tf.sum(tf.square(tf.sub(b, target)))) as tf.Scalar, [a, b]).dispose();
      if (i === 0) {
        const da = tf.sub(a, tf.tensor1d([1, -2, 3])).dataSync(), db = tf.sub(b, tf.tensor1d([1, -2, 3])).dataSync();
        // first Adam step: lr · sign(g) (up to ε), ×4 for b
        da.forEach((v, k) => expect(db[k]! / v).toBeCloseTo(4, 4));
        da.forEach((v) => expect(Math.abs(v)).toBeCloseTo(0.01, 4));
      }
    }
    expect(() => opt.setLrMultiplier([a], 0)).toThrow(/positive number, got 0/);
    tf.dispose([a, b, target]);
    opt.dispose();
  });
});
