import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../../src/runtime/index.js';
import { conv2dBackpropFilter } from '../../src/runtime/kernels/convBackprop.js';
import { shiftedRows } from '../../src/runtime/kernels/shiftedRows.js';
import { fdRelErr, finiteDiff, rand, worstVsCpu } from './helpers.js';

const TOL = 1e-4;

beforeAll(async () => {
  const info = await initRuntime({ backend: 'wasm' });
  expect(info.backend).toBe('wasm');
});

type Geo = { b: number; h: number; w: number; k: number; s: number; pad: 'same' | 'valid' };
const geos: Geo[] = [];
for (const k of [1, 3, 4, 5]) for (const s of [1, 2]) for (const pad of ['same', 'valid'] as const) for (const b of [1, 3]) {
  // odd and even sizes, non-square
  geos.push({ b, h: b === 1 ? 9 : 8, w: b === 1 ? 7 : 11, k, s, pad });
}

describe('conv2d gradients on wasm match the cpu backend', () => {
  it.each(geos)('b$b $h×$w k$k s$s $pad', async ({ b, h, w, k, s, pad }) => {
    const ci = 3, co = 5;
    const x = rand([b, h, w, ci], 11 + k);
    const f = rand([k, k, ci, co], 23 + s, 0.5);
    const err = await worstVsCpu(() => {
      const y = tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, s, pad);
      const r = rand(y.shape, 7);
      const g = tf.grads((xx: tf.Tensor, ff: tf.Tensor) => tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, s, pad).mul(r).sum());
      return [y, ...g([x, f])];
    });
    expect(err).toBeLessThanOrEqual(TOL);
  });
});

describe('Conv2DBackpropFilter / Conv2DBackpropInput kernels, called directly', () => {
  it.each(geos.filter((g) => g.k !== 1))('b$b $h×$w k$k s$s $pad', async ({ b, h, w, k, s, pad }) => {
    const ci = 4, co = 6;
    const x = rand([b, h, w, ci], 5);
    const f = rand([k, k, ci, co], 6);
    const yShape = tf.tidy(() => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, s, pad).shape);
    const dy = rand(yShape, 8);
    const err = await worstVsCpu(() => [
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: [s, s], pad, dataFormat: 'NHWC', filterShape: [k, k, ci, co] }) as tf.Tensor,
      tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, { strides: [s, s], pad, dataFormat: 'NHWC', inputShape: [b, h, w, ci] }) as tf.Tensor,
    ]);
    expect(err).toBeLessThanOrEqual(TOL);
  });

  it('splits the im2col over input channels when it would be too large, with the same result', async () => {
    const x = rand([2, 7, 6, 5], 71), dy = rand([2, 7, 6, 3], 72);
    const whole = conv2dBackpropFilter(x as tf.Tensor4D, dy as tf.Tensor4D, [3, 3, 5, 3], [1, 1], 'same');
    const split = conv2dBackpropFilter(x as tf.Tensor4D, dy as tf.Tensor4D, [3, 3, 5, 3], [1, 1], 'same', undefined, 2 * 9 * 2 * 9 * 8);
    const err = await worstVsCpu(() => [
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 5, 3] }) as tf.Tensor,
    ]);
    expect(err).toBeLessThanOrEqual(TOL);
    expect(Array.from(split.dataSync())).toEqual(Array.from(whole.dataSync()));
    tf.dispose([whole, split]);
  });

  it('shiftedRows copies the shifted windows of every row (wasm heap path and cpu path)', async () => {
    const x = rand([3, 10], 73) as tf.Tensor2D;
    const xv = x.dataSync();
    const expected: number[] = [];
    for (const o of [0, 2, 5]) for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) expected.push(xv[r * 10 + o + c]!);
    expect(Array.from(shiftedRows(x, [0, 2, 5], 4).dataSync())).toEqual(expected);
    expect(await worstVsCpu(() => [shiftedRows(x, [0, 2, 5], 4)])).toBe(0);
    expect(() => shiftedRows(x, [7], 4)).toThrow(/outside 10 columns/);
  });

  it('handles explicit padding and non-square strides', async () => {
    const x = rand([2, 10, 9, 3], 1);
    const f = rand([3, 4, 3, 2], 2);
    const pad: tf.backend_util.ExplicitPadding = [[0, 0], [2, 0], [1, 3], [0, 0]];
    const err = await worstVsCpu(() => {
      const g = tf.grads((xx: tf.Tensor, ff: tf.Tensor) => tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, [2, 3], pad).square().sum());
      return g([x, f]);
    });
    expect(err).toBeLessThanOrEqual(TOL);
  });
});

describe('other layers used in training, wasm vs cpu (values and gradients)', () => {
  const x = rand([3, 9, 8, 6], 101);
  const cases: Record<string, () => tf.Tensor[]> = {
    conv2dTranspose: () => {
      const f = rand([4, 4, 5, 6], 3); // [kh, kw, outC, inC]
      const g = tf.grads((xx: tf.Tensor, ff: tf.Tensor) =>
        tf.conv2dTranspose(xx as tf.Tensor4D, ff as tf.Tensor4D, [3, 18, 16, 5], 2, 'same').mul(rand([3, 18, 16, 5], 4)).sum());
      return [tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, [3, 18, 16, 5], 2, 'same'), ...g([x, f])];
    },
    'grouped conv (2 groups)': () => {
      const f1 = rand([3, 3, 3, 4], 5), f2 = rand([3, 3, 3, 4], 6);
      const grouped = (xx: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => {
        const [x1, x2] = tf.split(xx, 2, 3);
        return tf.concat([tf.conv2d(x1 as tf.Tensor4D, a as tf.Tensor4D, 1, 'same'), tf.conv2d(x2 as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')], 3);
      };
      return [grouped(x, f1, f2), ...tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => grouped(a, b, c).square().sum())([x, f1, f2])];
    },
    'depthwise s1 m1': () => {
      const f = rand([3, 3, 6, 1], 7);
      return tf.grads((xx: tf.Tensor, ff: tf.Tensor) => tf.depthwiseConv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, 1, 'same').mul(rand([3, 9, 8, 6], 8)).sum())([x, f]);
    },
    'depthwise s2 m2 valid': () => {
      const f = rand([3, 3, 6, 2], 9);
      const y = tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'valid');
      const r = rand(y.shape, 10);
      return [y, ...tf.grads((xx: tf.Tensor, ff: tf.Tensor) => tf.depthwiseConv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, 2, 'valid').mul(r).sum())([x, f])];
    },
    'depthwise s2 m1 same 4×4': () => {
      const f = rand([4, 4, 6, 1], 19);
      const y = tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same');
      const r = rand(y.shape, 20);
      return [y, ...tf.grads((xx: tf.Tensor, ff: tf.Tensor) => tf.depthwiseConv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, 2, 'same').mul(r).sum())([x, f])];
    },
    'resize forward passes': () => [
      tf.image.resizeBilinear(x as tf.Tensor4D, [18, 16]),
      tf.image.resizeBilinear(x as tf.Tensor4D, [5, 3], true),
      tf.image.resizeBilinear(x as tf.Tensor4D, [13, 5], false, true),
      tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [18, 16]),
      tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [7, 11], false, true),
    ],
    'avgPool 2 s2 valid': () => [tf.grad((xx: tf.Tensor) => tf.avgPool(xx as tf.Tensor4D, 2, 2, 'valid').square().sum())(x)],
    'avgPool 3 s1 same': () => [tf.grad((xx: tf.Tensor) => tf.avgPool(xx as tf.Tensor4D, 3, 1, 'same').square().sum())(x)],
    'avgPool 3 s2 same': () => [tf.grad((xx: tf.Tensor) => tf.avgPool(xx as tf.Tensor4D, 3, 2, 'same').square().sum())(x)],
    'maxPool forward': () => [tf.maxPool(x as tf.Tensor4D, 3, 2, 'same'), tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid')],
    leakyRelu: () => [tf.leakyRelu(x, 0.2), tf.grad((xx: tf.Tensor) => tf.leakyRelu(xx, 0.2).mul(rand([3, 9, 8, 6], 14)).sum())(x)],
    'leakyRelu α=1.5 (original kernel)': () => [tf.leakyRelu(x, 1.5)],
    prelu: () => {
      const a = rand([6], 15, 0.3);
      return [tf.prelu(x, a), ...tf.grads((xx: tf.Tensor, aa: tf.Tensor) => tf.prelu(xx, aa).mul(rand([3, 9, 8, 6], 16)).sum())([x, a])];
    },
    'batchNorm with moments': () => {
      // weighted by R: the plain mean of squares of a normalised tensor is constant in x, and its
      // gradient pure rounding noise
      const g = rand([6], 17), b = rand([6], 18), R = rand([3, 9, 8, 6], 31);
      const bn = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
        const { mean, variance } = tf.moments(xx, [0, 1, 2]);
        return tf.batchNorm(xx, mean, variance, bb, gg, 1e-5).mul(R).sum();
      };
      return tf.grads(bn)([x, g, b]);
    },
    'instance-norm moments': () => [
      tf.grad((xx: tf.Tensor) => {
        const { mean, variance } = tf.moments(xx, [1, 2], true);
        return xx.sub(mean).div(variance.add(1e-8).sqrt()).mul(rand([3, 9, 8, 6], 21)).sum();
      })(x),
    ],
    'gather (UnsortedSegmentSum)': () => {
      const table = rand([7, 5], 22);
      const idx = tf.tensor1d([0, 3, 3, 6, 1, 0, 3], 'int32');
      return [tf.grad((t: tf.Tensor) => tf.gather(t, idx).mul(rand([7, 5], 23)).sum())(table)];
    },
    'gather axis 1': () => {
      const table = rand([4, 6, 3], 24);
      const idx = tf.tensor1d([5, 0, 5], 'int32');
      return [tf.grad((t: tf.Tensor) => tf.gather(t, idx, 1).mul(rand([4, 3, 3], 25)).sum())(table)];
    },
    unsortedSegmentSum: () => [tf.unsortedSegmentSum(rand([6, 4], 26), tf.tensor1d([2, 0, 2, -1, 5, 1], 'int32'), 4)],
    'sum over batch+spatial (fast path)': () => [x.sum([0, 1, 2]), x.sum([1, 2]), x.sum([1, 2], true), x.sum(), x.sum(3)],
    'mean over batch+spatial (fast path)': () => [x.mean([0, 1, 2]), x.mean([1, 2]), x.mean([1, 2], true), x.mean(), x.mean(3), x.reshape([27, 8, 6]).mean([0, 1])],
    'dense (matMul) + bias': () => {
      const w = rand([6, 4], 27), bias = rand([4], 28);
      const xx = x.reshape([-1, 6]);
      return tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D).add(c).tanh().sum())([xx, w, bias]);
    },
  };
  it.each(Object.keys(cases))('%s', async (name) => {
    expect(await worstVsCpu(cases[name]!)).toBeLessThanOrEqual(TOL);
  });
});

describe('gradients against central finite differences (loss linear in the variable: exact up to rounding)', () => {
  const cases: Record<string, { x: tf.Tensor; f: (x: tf.Tensor) => tf.Scalar }> = {};
  const xin = rand([2, 9, 8, 3], 41);
  const w = rand([3, 3, 3, 4], 42);
  const R4 = (s: number[]) => rand(s, 43);
  cases['conv2d s1 same, d/dx'] = { x: xin, f: (v) => tf.conv2d(v as tf.Tensor4D, w as tf.Tensor4D, 1, 'same').mul(R4([2, 9, 8, 4])).sum() };
  cases['conv2d s2 valid, d/dw'] = { x: w, f: (v) => tf.conv2d(xin as tf.Tensor4D, v as tf.Tensor4D, 2, 'valid').mul(R4([2, 4, 3, 4])).sum() };
  cases['conv2d s2 same 4×4, d/dx'] = { x: xin, f: (v) => tf.conv2d(v as tf.Tensor4D, rand([4, 4, 3, 2], 44) as tf.Tensor4D, 2, 'same').mul(R4([2, 5, 4, 2])).sum() };
  const xd = rand([5, 7], 45), wd = rand([7, 3], 46), bd = rand([3], 47);
  cases['dense, d/dW'] = { x: wd, f: (v) => tf.matMul(xd as tf.Tensor2D, v as tf.Tensor2D).add(bd).mul(R4([5, 3])).sum() };
  cases['dense, d/dx'] = { x: xd, f: (v) => tf.matMul(v as tf.Tensor2D, wd as tf.Tensor2D).add(bd).mul(R4([5, 3])).sum() };
  cases['dense, d/db'] = { x: bd, f: (v) => tf.matMul(xd as tf.Tensor2D, wd as tf.Tensor2D).add(v).mul(R4([5, 3])).sum() };
  const xr = rand([3, 9, 8, 6], 48);
  cases['resizeBilinear ×2 (non-square)'] = { x: xr, f: (v) => tf.image.resizeBilinear(v as tf.Tensor4D, [18, 16]).mul(R4([3, 18, 16, 6])).sum() };
  cases['resizeBilinear align corners, down'] = { x: xr, f: (v) => tf.image.resizeBilinear(v as tf.Tensor4D, [5, 3], true).mul(R4([3, 5, 3, 6])).sum() };
  cases['resizeBilinear half-pixel'] = { x: xr, f: (v) => tf.image.resizeBilinear(v as tf.Tensor4D, [13, 5], false, true).mul(R4([3, 13, 5, 6])).sum() };
  cases['resizeNearest ×2, batch 3'] = { x: xr, f: (v) => tf.image.resizeNearestNeighbor(v as tf.Tensor4D, [18, 16]).mul(R4([3, 18, 16, 6])).sum() };
  cases['resizeNearest half-pixel'] = { x: xr, f: (v) => tf.image.resizeNearestNeighbor(v as tf.Tensor4D, [7, 11], false, true).mul(R4([3, 7, 11, 6])).sum() };
  cases['conv2dTranspose s2, d/dx'] = {
    x: rand([2, 4, 5, 3], 49),
    f: (v) => tf.conv2dTranspose(v as tf.Tensor4D, rand([3, 3, 2, 3], 50) as tf.Tensor4D, [2, 8, 10, 2], 2, 'same').mul(R4([2, 8, 10, 2])).sum(),
  };
  cases['depthwise s2, d/dx'] = { x: xr, f: (v) => tf.depthwiseConv2d(v as tf.Tensor4D, rand([3, 3, 6, 2], 51) as tf.Tensor4D, 2, 'same').mul(R4([3, 5, 4, 12])).sum() };
  it.each(Object.keys(cases))('%s', (name) => {
    const { x, f } = cases[name]!;
    const g = tf.grad(f)(x);
    const { idx, fd } = finiteDiff(f, x, 48, 1);
    expect(fdRelErr(g, idx, fd)).toBeLessThanOrEqual(TOL);
    g.dispose();
  });
});

describe('maxPool gradient against a float64 reference (first maximum wins)', () => {
  it.each([
    { k: 2, s: 2, pad: 'valid' as const },
    { k: 3, s: 2, pad: 'same' as const },
    { k: 3, s: 1, pad: 'same' as const },
  ])('k$k s$s $pad', ({ k, s, pad }) => {
    const x = rand([2, 9, 8, 3], 61);
    const info = tf.backend_util.computePool2DInfo([2, 9, 8, 3], k, s, 1, pad);
    const R = rand([2, info.outHeight, info.outWidth, 3], 62);
    const g = tf.grad((v: tf.Tensor) => tf.maxPool(v as tf.Tensor4D, k, s, pad).mul(R).sum())(x);
    const xv = x.dataSync(), rv = R.dataSync();
    const ref = new Float64Array(xv.length);
    const { top, left } = info.padInfo;
    for (let n = 0; n < 2; n++) for (let i = 0; i < info.outHeight; i++) for (let j = 0; j < info.outWidth; j++) for (let c = 0; c < 3; c++) {
      let best = -Infinity, at = -1;
      for (let r = Math.max(0, i * s - top); r < Math.min(9, i * s - top + k); r++)
        for (let q = Math.max(0, j * s - left); q < Math.min(8, j * s - left + k); q++) {
          const id = ((n * 9 + r) * 8 + q) * 3 + c;
          if (xv[id]! > best) { best = xv[id]!; at = id; }
        }
      ref[at]! += rv[((n * info.outHeight + i) * info.outWidth + j) * 3 + c]!;
    }
    const gv = g.dataSync();
    let worst = 0, gmax = 0;
    ref.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - gv[i]!)); gmax = Math.max(gmax, Math.abs(v)); });
    expect(worst / gmax).toBeLessThanOrEqual(TOL);
  });
});
