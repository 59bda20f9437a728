/**
 * The StyleGAN2 discriminator against rosinality's own code (test/fixtures/discriminator, made by
 * test/fixtures/make-discriminator-fixture.py with PyTorch on random weights): logits, the input
 * gradient through the minibatch-stddev coupling, and two weight gradients. Tolerance as for the
 * generator parity: max abs error ≤ 1e-4 × the reference's range. Measured on wasm (2026-12-07),
 * relative to the range: logits 3.2e-6, input gradient 2.6e-7, final_conv weight gradient 4.3e-7,
 * from-RGB weight gradient 1.6e-6.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dLogisticLoss, gNonSaturatingLoss, r1Estimate } from '../../src/gan/adversarial.js';
import { Discriminator, minibatchStddev, rosinalityDiscriminatorConfig, type DiscriminatorConfig } from '../../src/gan/discriminator.js';
import { flattenCheckpoint, loadTorchCheckpoint } from '../../src/io/torch.js';
import { readNpy } from '../../src/io/npy.js';
import { initRuntime, tf } from '../../src/runtime/index.js';
import { compare } from './helpers.js';

const DIR = new URL('../fixtures/discriminator/', import.meta.url).pathname;
const TOL = 1e-4;
const SMALL: DiscriminatorConfig = { size: 32, channels: { '4': 24, '8': 20, '16': 16, '32': 12 }, blurKernel: [1, 3, 3, 1], stddevGroup: 4, stddevFeat: 1 };
const COEF = [1, -2, 0.5, 3, -1, 0.25, 2, -0.5];

beforeAll(async () => {
  await initRuntime();
});

function npy(name: string, perm?: number[]): tf.Tensor {
  const t = readNpy(join(DIR, name));
  const x = tf.tensor(t.data as Float32Array, t.shape, 'float32');
  if (!perm) return x;
  const y = x.transpose(perm);
  x.dispose();
  return y;
}

function fixtureD(): Discriminator {
  const file = join(DIR, 'discriminator-small.pt');
  const d = new Discriminator(SMALL, { seed: 5 });
  d.store.loadStateDict(flattenCheckpoint(loadTorchCheckpoint(file)).tensors, file);
  return d;
}

describe('Discriminator parity with rosinality (32 px, widths 12–24)', () => {
  it('logits of 8 images (stddev groups of 4)', () => {
    const d = fixtureD();
    const x = npy('d_input.npy', [0, 2, 3, 1]) as tf.Tensor4D;
    const y = d.forward(x);
    const e = compare(y, npy('d_logits.npy'));
    expect(e.range).toBeGreaterThan(0.01); // random weights: the 8 logits span about 0.04
    expect(e.rel).toBeLessThanOrEqual(TOL);
    d.dispose();
  });

  it('input gradient and weight gradients of Σ c_b · logit_b', () => {
    const d = fixtureD();
    const x = npy('d_input.npy', [0, 2, 3, 1]) as tf.Tensor4D;
    const c = tf.tensor2d(COEF, [8, 1]);
    const f = (img: tf.Tensor) => tf.sum(tf.mul(d.forward(img as tf.Tensor4D), c)) as tf.Scalar;
    const gx = tf.grad(f)(x);
    expect(compare(gx, npy('d_grad_input.npy', [0, 2, 3, 1])).rel).toBeLessThanOrEqual(TOL);
    const finalConv = d.store.get('final_conv.0.weight');
    const fromRgb = d.store.get('convs.0.0.weight');
    const { grads } = tf.variableGrads(() => f(x), [finalConv, fromRgb]);
    // torch [out, in, k, k] → HWIO
    expect(compare(grads[finalConv.name]!, npy('d_grad_final_conv.npy', [2, 3, 1, 0])).rel).toBeLessThanOrEqual(TOL);
    expect(compare(grads[fromRgb.name]!, npy('d_grad_from_rgb.npy', [2, 3, 1, 0])).rel).toBeLessThanOrEqual(TOL);
    d.dispose();
  });

  it('detach: the same logits and input gradient, no gradient into the weights', () => {
    const d = fixtureD();
    const x = npy('d_input.npy', [0, 2, 3, 1]) as tf.Tensor4D;
    const plain = d.forward(x);
    const detached = d.forward(x, { detach: true });
    expect(compare(detached, plain).maxAbs).toBe(0);
    const gPlain = tf.grad((img: tf.Tensor) => tf.sum(d.forward(img as tf.Tensor4D)) as tf.Scalar)(x);
    const gDet = tf.grad((img: tf.Tensor) => tf.sum(d.forward(img as tf.Tensor4D, { detach: true })) as tf.Scalar)(x);
    expect(compare(gDet, gPlain).maxAbs).toBeLessThan(1e-6);
    const { grads } = tf.variableGrads(() => tf.sum(d.forward(x, { detach: true })) as tf.Scalar, d.trainableVariables());
    for (const g of Object.values(grads)) expect(g ? tf.abs(g).max().dataSync()[0] : 0).toBe(0);
    d.dispose();
  });

  it('state dict keys are rosinality\'s (strict load refuses a missing key by name)', () => {
    const file = join(DIR, 'discriminator-small.pt');
    const tensors = flattenCheckpoint(loadTorchCheckpoint(file)).tensors;
    const d = new Discriminator(SMALL);
    expect(new Set(d.store.names())).toEqual(new Set(Object.keys(tensors)));
    const { ['final_linear.1.bias']: _, ...rest } = tensors;
    expect(() => d.store.loadStateDict(rest, file)).toThrow(/final_linear\.1\.bias/);
    d.dispose();
  });
});

describe('minibatch standard deviation', () => {
  it('hand-computed: groups interleave as torch view(group, -1) does', () => {
    // B = 4, group 2 → M = 2: samples {0, 2} and {1, 3} are compared
    const x = tf.tensor4d([1, 3, 10, 14, 5, 7, 10, 10], [4, 1, 1, 2]);
    const out = minibatchStddev(x, 2, 1).arraySync() as number[][][][];
    // pairs (1,5),(3,7) → std 2, 2 → 2 ; pairs (10,10),(14,10) → 0, 2 → 1
    const s = (v: number) => Math.sqrt(v * v + 1e-8);
    expect(out.map((b) => b[0]![0]![2])).toEqual([s(2), (Math.sqrt(1e-8) + s(2)) / 2, s(2), (Math.sqrt(1e-8) + s(2)) / 2].map((v) => expect.closeTo(v, 6)));
    expect(out.map((b) => b[0]![0]!.slice(0, 2))).toEqual([[1, 3], [10, 14], [5, 7], [10, 10]]);
  });

  it('a batch that the groups do not divide is refused', () => {
    expect(() => minibatchStddev(tf.zeros([6, 4, 4, 2]) as tf.Tensor4D, 4, 1)).toThrow(/divisible by 4, got 6/);
  });
});

describe('adversarial losses', () => {
  it('logistic D loss and non-saturating G loss on hand-computed logits', () => {
    const sp = (v: number) => Math.log1p(Math.exp(v));
    const real = tf.tensor2d([[2], [-1]]), fake = tf.tensor2d([[0.5], [-3]]);
    expect(dLogisticLoss(real, fake).dataSync()[0]).toBeCloseTo((sp(-2) + sp(1)) / 2 + (sp(0.5) + sp(-3)) / 2, 6);
    expect(gNonSaturatingLoss(fake).dataSync()[0]).toBeCloseTo((sp(-0.5) + sp(3)) / 2, 6);
  });

  it('the R1 estimate averages to ‖∇D‖² (linear D: exact per direction in expectation)', () => {
    // D(x) = Σ a·x per image: ‖∇D‖² = Σ a² exactly
    const a = tf.randomNormal([1, 4, 4, 3], 0, 1, 'float32', 3);
    const d = (x: tf.Tensor4D) => tf.sum(tf.mul(x, a), [1, 2, 3]).reshape([-1, 1]) as tf.Tensor2D;
    const real = tf.randomNormal([512, 4, 4, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const u = tf.randomNormal([512, 4, 4, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const est = r1Estimate(d, real, u).dataSync()[0]!;
    const exact = tf.sum(tf.square(a)).dataSync()[0]!;
    // 512 directions: relative standard error √(2/512) ≈ 6 %
    expect(Math.abs(est / exact - 1)).toBeLessThan(0.2);
  });
});

describe('config', () => {
  it("rosinality's widths and a clear error for a missing one", () => {
    expect(rosinalityDiscriminatorConfig(64, 2).channels).toEqual({ '4': 512, '8': 512, '16': 512, '32': 512, '64': 512 });
    expect(() => new Discriminator({ ...SMALL, channels: { '4': 8, '8': 8, '16': 8 } })).toThrow(/resolution 32 needs a positive integer width/);
  });
});
