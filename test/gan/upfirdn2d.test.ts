/**
 * The resampling ops against a direct port of rosinality's upfirdn2d_native and F.conv_transpose2d
 * (plain loops in float64), with asymmetric kernels: the fixtures use the symmetric [1,3,3,1],
 * which cannot catch a flipped kernel or a pad on the wrong side.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ModulatedConv2d } from '../../src/gan/modulatedConv.js';
import { ParamStore, randomInit } from '../../src/gan/params.js';
import { blur, kernel1d, Upsample } from '../../src/gan/upfirdn2d.js';
import { initRuntime, tf } from '../../src/runtime/index.js';

beforeAll(async () => {
  await initRuntime();
});

type Img = Float64Array[]; // per channel, H × W row-major

/** upfirdn2d_native for one channel: zero-insert, pad (negative = crop), convolve with the flipped kernel, stride. */
function upfirdn2dRef(x: Float64Array, h: number, w: number, k: number[][], up: number, down: number, p0: number, p1: number): { data: Float64Array; h: number; w: number } {
  const uh = h * up, uw = w * up;
  const ph = uh + p0 + p1, pw = uw + p0 + p1;
  const at = (y: number, xx: number) => {
    const sy = y - p0, sx = xx - p0;
    if (sy < 0 || sx < 0 || sy >= uh || sx >= uw || sy % up || sx % up) return 0;
    return x[(sy / up) * w + sx / up]!;
  };
  const kh = k.length, kw = k[0]!.length;
  const oh = Math.floor((ph - kh + down) / down), ow = Math.floor((pw - kw + down) / down);
  const out = new Float64Array(oh * ow);
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++) {
      let s = 0;
      for (let ty = 0; ty < kh; ty++) for (let tx = 0; tx < kw; tx++) s += at(oy * down + ty, ox * down + tx) * k[kh - 1 - ty]![kw - 1 - tx]!;
      out[oy * ow + ox] = s;
    }
  return { data: out, h: oh, w: ow };
}

function makeKernel(k: number[], factor: number): number[][] {
  const s = k.reduce((a, b) => a + b, 0) ** 2;
  return k.map((a) => k.map((b) => ((a * b) / s) * factor * factor));
}

function randomImg(c: number, h: number, w: number, seed: number): Img {
  let s = seed;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  return Array.from({ length: c }, () => Float64Array.from({ length: h * w }, rnd));
}

function toNhwc(img: Img, h: number, w: number): tf.Tensor4D {
  const c = img.length;
  const d = new Float32Array(h * w * c);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) d[i * c + ch] = img[ch]![i]!;
  return tf.tensor4d(d, [1, h, w, c]);
}

function maxDiff(t: tf.Tensor4D, ref: Img): number {
  const [, h, w, c] = t.shape;
  const d = t.dataSync();
  let m = 0;
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) m = Math.max(m, Math.abs(d[i * c + ch]! - ref[ch]![i]!));
  return m;
}

describe('upfirdn2d semantics', () => {
  const k = [1, 2, 4, 3];

  it.each([[5, 7], [4, 4], [1, 1]])('Upsample (ToRGB skip) with kernel [1,2,4,3] on %ix%i', (h, w) => {
    const x = randomImg(3, h, w, 1);
    const up = new Upsample(k);
    const ref = x.map((c) => upfirdn2dRef(c, h, w, makeKernel(k, 2), 2, 1, up.pad0, up.pad1));
    const y = up.apply(toNhwc(x, h, w));
    expect(y.shape).toEqual([1, ref[0]!.h, ref[0]!.w, 3]);
    expect(maxDiff(y, ref.map((r) => r.data))).toBeLessThan(1e-5);
  });

  it.each([
    [1, 1],
    [2, 1],
    [0, 2],
    [-1, 2],
  ])('blur with pad (%i, %i) and kernel [1,2,4,3]', (p0, p1) => {
    const [h, w] = [6, 5];
    const x = randomImg(4, h, w, 2);
    const ref = x.map((c) => upfirdn2dRef(c, h, w, makeKernel(k, 2), 1, 1, p0, p1));
    const y = blur(toNhwc(x, h, w), kernel1d(k, 2), [p0, p1, p0, p1]);
    expect(y.shape).toEqual([1, ref[0]!.h, ref[0]!.w, 4]);
    expect(maxDiff(y, ref.map((r) => r.data))).toBeLessThan(1e-5);
  });

  it.each(['shared', 'perSample'] as const)('upsampling ModulatedConv2d = conv_transpose2d + Blur (asymmetric kernel, %s)', (mode) => {
    const [ci, co, h, w, D] = [3, 2, 4, 5, 6];
    const store = new ParamStore();
    const mc = new ModulatedConv2d(store, 'm', ci, co, 3, D, { upsample: true, blurKernel: k, init: randomInit(5) });
    const sd = store.stateDict();
    const W = sd['m.weight']!.data as Float32Array; // [1, co, ci, 3, 3]
    const Wm = sd['m.modulation.weight']!.data as Float32Array; // [ci, D]
    const bm = sd['m.modulation.bias']!.data as Float32Array;
    const style = Array.from({ length: D }, (_, i) => Math.sin(i + 1));
    const x = randomImg(ci, h, w, 3);
    // reference: s = EqualLinear(style); weight = W/√(ci·9)·s, demodulated; conv_transpose2d(stride 2); Blur
    const s = Array.from({ length: ci }, (_, i) => bm[i]! + style.reduce((a, v, j) => a + v * Wm[i * D + j]! / Math.sqrt(D), 0));
    const wt = (o: number, i: number, y: number, xx: number) => (W[((o * ci + i) * 3 + y) * 3 + xx]! / Math.sqrt(ci * 9)) * s[i]!;
    const demod = Array.from({ length: co }, (_, o) => {
      let sum = 0;
      for (let i = 0; i < ci; i++) for (let t = 0; t < 9; t++) sum += wt(o, i, Math.floor(t / 3), t % 3) ** 2;
      return 1 / Math.sqrt(sum + 1e-8);
    });
    const th = 2 * (h - 1) + 3, tw = 2 * (w - 1) + 3;
    const p = k.length - 2 - 2;
    const p0 = Math.floor((p + 1) / 2) + 1, p1 = Math.floor(p / 2) + 1;
    const ref: Float64Array[] = [];
    for (let o = 0; o < co; o++) {
      const v = new Float64Array(th * tw);
      for (let i = 0; i < ci; i++)
        for (let y = 0; y < h; y++)
          for (let xx = 0; xx < w; xx++)
            for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) v[(2 * y + ky) * tw + 2 * xx + kx]! += x[i]![y * w + xx]! * wt(o, i, ky, kx) * demod[o]!;
      ref.push(upfirdn2dRef(v, th, tw, makeKernel(k, 2), 1, 1, p0, p1).data);
    }
    const y = tf.tidy(() => mc.forward(toNhwc(x, h, w), tf.tensor2d(style, [1, D]), { mode }));
    expect(y.shape).toEqual([1, 2 * h, 2 * w, co]);
    expect(maxDiff(y, ref)).toBeLessThan(1e-4);
    store.dispose();
  });
});

describe('Upsample gradient', () => {
  it('the [1,3,3,1] resize form has the same gradient as the transposed-conv form', () => {
    const x = tf.randomNormal([2, 5, 6, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const r = tf.randomNormal([2, 10, 12, 3], 0, 1, 'float32', 2);
    const fast = new Upsample([1, 3, 3, 1]);
    const generic = new Upsample([1, 3, 3, 1], 2, 'conv');
    const loss = (u: Upsample) => (t: tf.Tensor) => tf.sum(tf.mul(u.apply(t as tf.Tensor4D), r));
    const a = tf.grad(loss(fast))(x);
    const b = tf.grad(loss(generic))(x);
    expect(tf.abs(tf.sub(a, b)).max().dataSync()[0]).toBeLessThan(1e-5);
    expect(tf.abs(tf.sub(fast.apply(x), generic.apply(x))).max().dataSync()[0]).toBeLessThan(1e-5);
    fast.dispose();
    generic.dispose();
  });
});
