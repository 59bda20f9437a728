/**
 * Gradients through the generator and encoder: d image / d W+ against central finite differences
 * and against the cpu backend, and a few Adam steps on a tiny random pair lowering a
 * reconstruction loss (training from scratch: config constructors, random init, trainable
 * variables, BatchNorm in training mode).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { EncoderConfig, GeneratorConfig } from '../../src/gan/config.js';
import { Encoder } from '../../src/gan/encoder.js';
import { Generator } from '../../src/gan/generator.js';
import { initRuntime, tf, withBackend } from '../../src/runtime/index.js';

beforeAll(async () => {
  await initRuntime();
});

const tinyG: GeneratorConfig = { size: 16, styleDim: 8, nMlp: 2, lrMlp: 0.01, channels: { '4': 8, '8': 8, '16': 4 }, blurKernel: [1, 3, 3, 1] };
const tinyE: EncoderConfig = {
  inputSize: 32,
  mode: 'ir_se',
  units: [1, 1, 2, 1],
  widths: [8, 12, 16, 24],
  seReduction: 4,
  styleDim: 8,
  styleCount: 6,
  coarseInd: 3,
  middleInd: 5,
  structure: 'e4e',
  progressiveStage: 18,
};

/** A fixed random linear read-out of the image, so the loss is a smooth scalar. */
function loss(img: tf.Tensor4D, r: tf.Tensor4D): tf.Scalar {
  return tf.sum(tf.mul(img, r));
}

describe('d image / d W+', () => {
  it.each(['shared', 'perSample'] as const)('matches central differences and the cpu backend (frozen generator, %s)', async (mode) => {
    const g = new Generator(tinyG, { seed: 3 }).freeze();
    const wplus = tf.randomNormal([2, g.nLatent, tinyG.styleDim], 0, 1, 'float32', 5) as tf.Tensor3D;
    const r = tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
    const f = (w: tf.Tensor3D) => loss(g.synthesis(w, { mode }), r);
    const grad = tf.grad(f as (x: tf.Tensor) => tf.Tensor)(wplus);
    const gd = grad.dataSync();
    const base = wplus.dataSync();
    const h = 1e-2;
    for (const idx of [0, 13, 40, 77, 95]) {
      const plus = Float32Array.from(base), minus = Float32Array.from(base);
      plus[idx]! += h;
      minus[idx]! -= h;
      const fp = tf.tidy(() => f(tf.tensor3d(plus, wplus.shape)).dataSync()[0]!);
      const fm = tf.tidy(() => f(tf.tensor3d(minus, wplus.shape)).dataSync()[0]!);
      const fd = (fp - fm) / (2 * h);
      expect(Math.abs(fd - gd[idx]!)).toBeLessThan(2e-2 * Math.max(1, Math.abs(fd)));
    }
    const cpuGrad = await withBackend('cpu', () => tf.grad(f as (x: tf.Tensor) => tf.Tensor)(wplus).dataSync());
    let maxErr = 0, maxRef = 0;
    for (let i = 0; i < gd.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(gd[i]! - cpuGrad[i]!));
      maxRef = Math.max(maxRef, Math.abs(cpuGrad[i]!));
    }
    expect(maxErr / maxRef).toBeLessThan(1e-4);
    tf.dispose([wplus, r, grad]);
    g.dispose();
  });

  it('frozen generator: no weight is trainable, and only W+ receives a gradient', () => {
    const g = new Generator(tinyG, { seed: 1 }).freeze();
    expect(g.store.allVariables().every((v) => !v.trainable)).toBe(true);
    const w = tf.variable(tf.randomNormal([1, g.nLatent, 8], 0, 1, 'float32', 2));
    const { grads } = tf.variableGrads(() => tf.mean(g.synthesis(w as tf.Tensor as tf.Tensor3D)) as tf.Scalar, [w]);
    expect(Object.keys(grads)).toEqual([w.name]);
    expect(tf.abs(grads[w.name]!).sum().dataSync()[0]).toBeGreaterThan(0);
    tf.dispose(grads);
    w.dispose();
    g.unfreeze();
    expect(g.trainableVariables().length).toBeGreaterThan(0);
    g.dispose();
  });
});

describe('training a tiny pair from scratch', () => {
  it('a few Adam steps on encoder + generator lower the reconstruction loss', () => {
    const g = new Generator(tinyG, { seed: 11 });
    const e = new Encoder(tinyE, { seed: 12 });
    // smooth random "faces": low-frequency noise upsampled
    const x = tf.tidy(() => tf.image.resizeBilinear(tf.randomUniform([4, 4, 4, 3], -1, 1, 'float32', 13) as tf.Tensor4D, [32, 32]));
    const target = tf.tidy(() => tf.avgPool(x, 2, 2, 'valid'));
    const vars = [...g.trainableVariables(), ...e.trainableVariables()];
    const opt = tf.train.adam(3e-3);
    const step = () => opt.minimize(() => tf.mean(tf.square(tf.sub(g.synthesis(e.forward(x, { training: true })), target))) as tf.Scalar, true, vars)!;
    const losses: number[] = [];
    const bnMean = e.store.get('body.0.res_layer.0.running_mean');
    const before = bnMean.dataSync().slice();
    for (let i = 0; i < 10; i++) {
      const l = step();
      losses.push(l.dataSync()[0]!);
      l.dispose();
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    // measured: 0.87 → 0.20 after 10 steps
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.5);
    // BatchNorm in training mode updated its running statistics
    expect(bnMean.dataSync()).not.toEqual(before);
    opt.dispose();
    tf.dispose([x, target]);
    g.dispose();
    e.dispose();
  });
});
