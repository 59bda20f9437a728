import { beforeAll, describe, expect, it } from 'vitest';
import { batchNorm, commitBatchNorm, dense, matMulViaConv } from '../../src/nn/layers.js';
import { Params } from '../../src/nn/params.js';
import { initRuntime, tf } from '../../src/runtime/index.js';
import { rand, relErr } from '../runtime/helpers.js';

beforeAll(async () => {
  await initRuntime();
});

describe('nn layers', () => {
  it('matMulViaConv equals matMul, values and gradients', () => {
    const x = rand([5, 7], 1) as tf.Tensor2D, w = rand([7, 3], 2) as tf.Tensor2D, r = rand([5, 3], 3);
    expect(relErr(matMulViaConv(x, w), tf.matMul(x, w))).toBeLessThan(1e-6);
    const ga = tf.grads((a: tf.Tensor, b: tf.Tensor) => matMulViaConv(a as tf.Tensor2D, b as tf.Tensor2D).mul(r).sum())([x, w]);
    const gb = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D).mul(r).sum())([x, w]);
    expect(relErr(ga[0]!, gb[0]!)).toBeLessThan(1e-5);
    expect(relErr(ga[1]!, gb[1]!)).toBeLessThan(1e-5);
  });

  it('batchNorm matches tf.batchNorm and keeps PyTorch running statistics', () => {
    const p = new Params(1);
    const x = rand([4, 3, 3, 2], 4, 2).add(1);
    const y = batchNorm(p, 'bn', x, true);
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    expect(relErr(y, tf.batchNorm(x, mean, variance, undefined, undefined, 1e-5))).toBeLessThan(1e-5);
    commitBatchNorm(p);
    const n = 36;
    const expectMean = mean.mul(0.1);
    const expectVar = tf.scalar(0.9).add(variance.mul(n / (n - 1)).mul(0.1));
    expect(relErr(p.variable('bn.running_mean'), expectMean)).toBeLessThan(1e-6);
    expect(relErr(p.variable('bn.running_var'), expectVar)).toBeLessThan(1e-6);
    const yEval = batchNorm(p, 'bn', x, false);
    expect(relErr(yEval, tf.batchNorm(x, expectMean, expectVar, undefined, undefined, 1e-5))).toBeLessThan(1e-5);
  });

  it('Params round-trips through PyTorch layout (conv OIHW, linear [out, in])', () => {
    const p = new Params(3);
    dense(p, 'fc', rand([2, 4], 5) as tf.Tensor2D, 3);
    p.get('conv.weight', [3, 3, 2, 5], { normal: 1 }, { kind: 'conv' });
    const torch = p.toTorch();
    expect(torch['fc.weight']!.shape).toEqual([3, 4]);
    expect(torch['conv.weight']!.shape).toEqual([5, 2, 3, 3]);
    const q = new Params(99);
    dense(q, 'fc', rand([2, 4], 5) as tf.Tensor2D, 3);
    q.get('conv.weight', [3, 3, 2, 5], 'zeros', { kind: 'conv' });
    const files = Object.fromEntries(Object.entries(torch).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: t.data() }]));
    q.loadTorch('mem', files);
    for (const n of p.names()) expect(Array.from(q.variable(n).dataSync())).toEqual(Array.from(p.variable(n).dataSync()));
    expect(() => q.loadTorch('mem', { ...files, extra: files['fc.bias']! })).toThrow(/unexpected parameter/);
    const { ['fc.bias']: _drop, ...missing } = files;
    expect(() => q.loadTorch('mem', missing)).toThrow(/missing 1 parameter/);
  });
});
