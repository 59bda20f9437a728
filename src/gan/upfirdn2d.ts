/**
 * rosinality's upfirdn2d (the native path in op/upfirdn2d.py) for the two uses StyleGAN2 makes of
 * it: blurring (up = down = 1) and 2× upsampling, plus the transposed stride-2 conv of the
 * upsampling StyledConv, which is the same operation with a learned filter.
 *
 * Conventions, from the reference: `upfirdn2d_native` zero-inserts (up), pads by (pad0, pad1) and
 * then runs F.conv2d with the *flipped* kernel, i.e. a true convolution with `kernel`.
 * conv_transpose2d scatters with the unflipped weight. Both become, per axis,
 *
 *   y[q] = Σ_i x[i] · F[q + c − 2i],   q = 0 … L−1
 *
 * (a full transposed convolution with filter F, stride 2, cropped to start at c). That form is run
 * as four stride-1 correlations, one per output phase (q even/odd in each axis), whose results
 * are interleaved by a reshape/transpose. This costs the true FLOPs and avoids the slow paths of
 * tfjs-wasm (Conv2DBackpropInput, depthToSpace, batchToSpaceND, 5-D general transposes, and
 * concat/slice along inner axes, which copy row by row).
 */
import { tf } from '../runtime/tf.js';
import { padOrCrop } from '../runtime/kernels/geometry.js';

/** rosinality `make_kernel` for a 1-D kernel: the 2-D filter is outer(k1, k1) with k1 = k / Σk · √factor². */
export function kernel1d(k: readonly number[], factor = 1): number[] {
  const sum = k.reduce((a, b) => a + b, 0);
  return k.map((v) => (v / sum) * factor);
}

export interface AxisPhase {
  /** Filter indices used by this phase, in correlation order. */
  taps: number[];
  /** Zero padding before/after the input (negative: crop). */
  before: number;
  after: number;
}

/**
 * The two phases along one axis of y[q] = Σ_i x[i] F[q + c − 2i] for an input of `inLen` and an
 * even output length `outLen`: phase a gives y[2m + a], m = 0 … outLen/2 − 1, as a correlation of
 * the padded input with F at `taps`.
 */
export function axisPhases(k: number, c: number, inLen: number, outLen: number): [AxisPhase, AxisPhase] {
  if (outLen % 2 !== 0) throw new Error(`axisPhases: output length ${outLen} is odd`);
  const m = outLen / 2;
  const phase = (a: number): AxisPhase => {
    const r = a + c;
    const p = ((r % 2) + 2) % 2;
    const off = (r - p) / 2;
    const j = Math.max(0, Math.ceil((k - p) / 2));
    const taps = Array.from({ length: j }, (_, t) => p + 2 * (j - 1 - t));
    return { taps, before: j - 1 - off, after: m + off - inLen };
  };
  return [phase(0), phase(1)];
}

/** One spatial phase filter per (row phase, col phase), gathered from a [k, k, ci, co] filter. */
export function phaseFilters(w: tf.Tensor4D, rows: [AxisPhase, AxisPhase], cols: [AxisPhase, AxisPhase]): tf.Tensor4D[] {
  const [k, kw, ci, co] = w.shape;
  const flat = w.reshape([k * kw, ci * co]);
  const out: tf.Tensor4D[] = [];
  for (const r of rows) {
    for (const c of cols) {
      const idx = r.taps.flatMap((ky) => c.taps.map((kx) => ky * kw + kx));
      out.push(tf.gather(flat, tf.tensor1d(idx, 'int32')).reshape([r.taps.length, c.taps.length, ci, co]));
    }
  }
  return out;
}


/** The positive part of a pad as an explicit conv padding, after cropping the negative part. */
function convWindow(x: tf.Tensor4D, r: AxisPhase, c: AxisPhase): { x: tf.Tensor4D; pad: tf.backend_util.ExplicitPadding } {
  const cropped = padOrCrop(x, Math.min(0, r.before), Math.min(0, r.after), Math.min(0, c.before), Math.min(0, c.after));
  return {
    x: cropped,
    pad: [[0, 0], [Math.max(0, r.before), Math.max(0, r.after)], [Math.max(0, c.before), Math.max(0, c.after)], [0, 0]],
  };
}

/**
 * [B, M, N, C] × 4 (phases 00, 01, 10, 11) → [B, 2M, 2N, C] with out[2m + a, 2n + b] = p_ab[m, n].
 * Concat along axis 1 and two transposes that tfjs-wasm reduces to fast block copies.
 */
export function interleavePhases(p: tf.Tensor4D[]): tf.Tensor4D {
  const [B, M, N, C] = p[0]!.shape;
  const cat = tf.concat(p, 1); // [B, (a, b, M), N, C]
  const t1 = cat.reshape([B, 2, 2, M * N, C]).transpose([0, 1, 3, 2, 4]); // [B, a, (M, N), b, C]
  const t2 = t1.reshape([B, 2, M, 2 * N * C]).transpose([0, 2, 1, 3]); // [B, M, a, (N, b, C)]
  return t2.reshape([B, 2 * M, 2 * N, C]);
}

export interface UpsamplePlan {
  rows: [AxisPhase, AxisPhase];
  cols: [AxisPhase, AxisPhase];
  outH: number;
  outW: number;
}

/** The plan of y = (full stride-2 transposed conv with a k×k filter)[c : c + out] on an H×W input. */
export function upsamplePlan(k: number, c: number, inH: number, inW: number, outH: number, outW: number): UpsamplePlan {
  return { rows: axisPhases(k, c, inH, outH), cols: axisPhases(k, c, inW, outW), outH, outW };
}

/**
 * Runs the phase correlations with the given per-phase filters (from phaseFilters, in phase order
 * 00, 01, 10, 11) and interleaves them. `bias` is added inside the convs.
 */
export function upsampleConv2x(x: tf.Tensor4D, filters: tf.Tensor4D[], plan: UpsamplePlan, bias?: tf.Tensor1D): tf.Tensor4D {
  const outs: tf.Tensor4D[] = [];
  let i = 0;
  for (const r of plan.rows) {
    for (const c of plan.cols) {
      const f = filters[i++]!;
      if (r.taps.length === 0 || c.taps.length === 0) {
        const z = tf.zeros([x.shape[0], plan.outH / 2, plan.outW / 2, f.shape[3]]) as tf.Tensor4D;
        outs.push(bias ? z.add(bias) : z);
        continue;
      }
      const win = convWindow(x, r, c);
      outs.push(bias ? tf.fused.conv2d({ x: win.x, filter: f, strides: 1, pad: win.pad, bias }) : tf.conv2d(win.x, f, 1, win.pad));
    }
  }
  return interleavePhases(outs);
}

/**
 * Separable blur, `upfirdn2d(x, outer(k1, k1), pad=(pad0, pad1))` (up = down = 1), as two
 * depthwise passes. The reference convolves (flipped kernel), a depthwise conv correlates, so the
 * taps are reversed here. `bias` (per channel) is added in the second pass.
 */
export function blur(x: tf.Tensor4D, k1: readonly number[], pad: [number, number, number, number], bias?: tf.Tensor1D): tf.Tensor4D {
  const C = x.shape[3];
  const flipped = [...k1].reverse();
  const taps = flipped.flatMap((v) => new Array<number>(C).fill(v));
  const n = k1.length;
  const [top, bottom, left, right] = pad;
  const xs = padOrCrop(x, Math.min(0, top), Math.min(0, bottom), Math.min(0, left), Math.min(0, right));
  const fv = tf.tensor4d(taps, [n, 1, C, 1]);
  const fh = tf.tensor4d(taps, [1, n, C, 1]);
  const v = tf.depthwiseConv2d(xs, fv, 1, [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [0, 0], [0, 0]]);
  const hPad: tf.backend_util.ExplicitPadding = [[0, 0], [0, 0], [Math.max(0, left), Math.max(0, right)], [0, 0]];
  // explicit padding works in the fused op's kernels; only its type declaration leaves it out
  const hPadFused = hPad as unknown as 'valid';
  return bias ? tf.fused.depthwiseConv2d({ x: v, filter: fh, strides: 1, pad: hPadFused, bias }) : tf.depthwiseConv2d(v, fh, 1, hPad);
}

/**
 * rosinality `Upsample` (ToRGB's skip path): upfirdn2d(x, make_kernel(k)·4, up=2, pad=(pad0, pad1))
 * with pad0 = (p+1)//2 + 1, pad1 = p//2, p = len(k) − 2.
 *
 * For the standard [1,3,3,1] it is a bilinear 2× resize with half-pixel centres — out[2i] =
 * ¼x[i−1] + ¾x[i], out[2i+1] = ¾x[i] + ¼x[i+1] — except that upfirdn2d pads with zeros where the
 * resize clamps, which changes only the first and last row and column, by a factor ¾ each: two ops.
 * Its gradient is the adjoint written out (dx[i] = ¼dy[2i−1] + ¾dy[2i] + ¾dy[2i+1] + ¼dy[2i+2], a
 * stride-2 depthwise conv), not ResizeBilinearGrad. Other kernels run as a transposed conv with a
 * channel-diagonal filter.
 */
export class Upsample {
  readonly pad0: number;
  readonly pad1: number;
  private readonly k2: number[][];
  private readonly bilinear: boolean;
  private readonly cache = new Map<string, tf.Tensor4D | tf.Tensor4D[]>();

  /** `conv` forces the transposed-conv form (used to check the resize form against it). */
  constructor(kernel: readonly number[], readonly factor = 2, form: 'auto' | 'conv' = 'auto') {
    if (factor !== 2) throw new Error('Upsample: only factor 2 is supported');
    const p = kernel.length - factor;
    this.pad0 = Math.floor((p + 1) / 2) + factor - 1;
    this.pad1 = Math.floor(p / 2);
    const k1 = kernel1d(kernel, factor);
    this.k2 = k1.map((a) => k1.map((b) => a * b));
    const ref = kernel1d([1, 3, 3, 1], 2);
    this.bilinear = form === 'auto' && k1.length === 4 && k1.every((v, i) => Math.abs(v - ref[i]!) < 1e-12);
  }

  /** The [k, k, C, C] channel-diagonal filter for C channels. */
  filter(channels: number): tf.Tensor4D {
    const k = this.k2.length;
    const data = new Float32Array(k * k * channels * channels);
    for (let y = 0; y < k; y++) for (let x = 0; x < k; x++) for (let c = 0; c < channels; c++) data[((y * k + x) * channels + c) * channels + c] = this.k2[y]![x]!;
    return tf.tensor4d(data, [k, k, channels, channels]);
  }

  plan(inH: number, inW: number): UpsamplePlan {
    const k = this.k2.length;
    const c = k - 1 - this.pad0;
    const outH = inH * 2 + this.pad0 + this.pad1 - k + 1;
    const outW = inW * 2 + this.pad0 + this.pad1 - k + 1;
    return upsamplePlan(k, c, inH, inW, outH, outW);
  }

  /** Constants made once per shape and kept (they depend on no weight). */
  private constant<T extends tf.Tensor4D | tf.Tensor4D[]>(key: string, make: () => T): T {
    let v = this.cache.get(key) as T | undefined;
    const disposed = v && (Array.isArray(v) ? v.some((t) => t.isDisposed) : v.isDisposed);
    if (!v || disposed) {
      v = tf.tidy(() => make());
      tf.keep(v as unknown as tf.Tensor);
      if (Array.isArray(v)) v.forEach((t) => tf.keep(t));
      this.cache.set(key, v);
    }
    return v;
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    const [, h, w, c] = x.shape;
    if (this.bilinear) {
      const mask = this.constant(`mask/${h}/${w}`, () => {
        const edge = (n: number) => Float32Array.from({ length: 2 * n }, (_, i) => (i === 0 || i === 2 * n - 1 ? 0.75 : 1));
        const my = edge(h), mx = edge(w);
        return tf.tensor4d(Float32Array.from({ length: 4 * h * w }, (_, i) => my[Math.floor(i / (2 * w))]! * mx[i % (2 * w)]!), [1, 2 * h, 2 * w, 1]);
      });
      if (!tf.engine().isTapeOn()) return tf.mul(tf.image.resizeBilinear(x, [2 * h, 2 * w], false, true), mask);
      const up = (input: tf.Tensor4D) => ({
        value: tf.mul(tf.image.resizeBilinear(input, [2 * h, 2 * w], false, true), mask) as tf.Tensor4D,
        gradFunc: (dy: tf.Tensor4D) => {
          const taps = [0.25, 0.75, 0.75, 0.25].flatMap((v) => new Array<number>(c).fill(v));
          const v = tf.depthwiseConv2d(dy, tf.tensor4d(taps, [4, 1, c, 1]), [2, 1], [[0, 0], [1, 1], [0, 0], [0, 0]]);
          return tf.depthwiseConv2d(v, tf.tensor4d(taps, [1, 4, c, 1]), [1, 2], [[0, 0], [0, 0], [1, 1], [0, 0]]);
        },
      });
      return tf.customGrad(up as unknown as Parameters<typeof tf.customGrad>[0])(x) as tf.Tensor4D;
    }
    const plan = this.plan(h, w);
    const phases = this.constant(`phases/${c}`, () => phaseFilters(this.filter(c), plan.rows, plan.cols));
    return upsampleConv2x(x, phases, plan);
  }

  dispose(): void {
    for (const v of this.cache.values()) tf.dispose(v);
    this.cache.clear();
  }
}
