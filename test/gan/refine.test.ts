/**
 * Inversion refinement (encoder + optimisation): it lowers the pixel error of the code it starts
 * from, an anchor keeps the code near its start, it frees every tensor, and leaves the generator
 * as frozen or trainable as it found it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Generator } from '../../src/gan/generator.js';
import { refineLatents } from '../../src/gan/refine.js';
import { initRuntime, tf } from '../../src/runtime/index.js';
import { TINY_G16 } from './tinyConfigs.js';

const SYNTH = { noise: 'const', mode: 'shared' } as const;
let g: Generator;

beforeAll(async () => {
  await initRuntime();
  g = new Generator(TINY_G16, { seed: 4 });
});

const mse = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.losses.meanSquaredError(a, b).dataSync()[0]!);

describe('refineLatents', () => {
  it('lowers the pixel error towards a target the generator can render, and an anchor holds the code', () => {
    const target = tf.tidy(() => g.synthesis(tf.randomNormal([2, g.nLatent, 16], 0, 1, 'float32', 1) as tf.Tensor3D, SYNTH)) as tf.Tensor4D;
    const w0 = tf.randomNormal([2, g.nLatent, 16], 0, 1, 'float32', 2) as tf.Tensor3D;
    const before = mse(g.synthesis(w0, SYNTH), target);
    const seen: number[] = [];
    const w = refineLatents(g, target, w0, { steps: 40, lr: 0.05, onStep: (_s, m) => seen.push(m) });
    expect(seen).toHaveLength(40);
    const after = mse(g.synthesis(w, SYNTH), target);
    expect(after).toBeLessThan(before * 0.5);
    // the reported loss is the pixel MSE of the code before each update
    expect(seen[0]).toBeCloseTo(before, 4);
    const held = refineLatents(g, target, w0, { steps: 40, lr: 0.05, anchor: 1e4 });
    expect(mse(held, w0)).toBeLessThan(mse(w, w0) * 0.05);
    const none = refineLatents(g, target, w0, { steps: 0 });
    expect(Array.from(none.dataSync())).toEqual(Array.from(w0.dataSync()));
    tf.dispose([target, w0, w, held, none]);
  });

  it('frees its tensors and leaves the generator trainable or frozen as before', () => {
    const x = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
    const w0 = tf.zeros([1, g.nLatent, 16]) as tf.Tensor3D;
    tf.dispose(refineLatents(g, x, w0, { steps: 2 }));
    const n = tf.memory().numTensors;
    tf.dispose(refineLatents(g, x, w0, { steps: 3 }));
    expect(tf.memory().numTensors).toBe(n);
    expect(g.store.trainableVariables().every((v) => v.trainable)).toBe(true);
    const frozen = new Generator(TINY_G16, { seed: 4 }).freeze();
    tf.dispose(refineLatents(frozen, x, w0, { steps: 1 }));
    expect(frozen.store.trainableVariables().every((v) => !v.trainable)).toBe(true);
    frozen.dispose();
    expect(() => refineLatents(g, tf.zeros([1, 24, 24, 3]) as tf.Tensor4D, w0, { steps: 1 })).toThrow(/not a multiple of the 24-px image/);
    tf.dispose([x, w0]);
  });
});
