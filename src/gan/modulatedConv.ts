/**
 * rosinality `ModulatedConv2d`: a conv whose input channels are scaled by a style vector and whose
 * output channels are demodulated (normalised to unit expected variance), optionally as the
 * upsampling transposed conv followed by the [1,3,3,1] blur.
 *
 * Two equivalent ways to run it (StyleGAN2's fused_modconv=False and True):
 * - `shared`: scale the input by s, conv with the shared weight, scale the output by the
 *   demodulation coefficients d = rsqrt(s² · Σ_taps w² + 1e-8). One conv for the whole batch and a
 *   cached filter; costs two passes over the activations. Best for small maps and training.
 * - `perSample`: fold s and d into a per-sample filter (w · s · d) and conv each sample with its
 *   own filter. No passes over the activations, but XNNPACK re-packs each new filter (~9 ns per
 *   weight). Best for large maps with few channels (the 256–1024 px layers at batch 1).
 * `auto` picks per layer and call by comparing the two costs.
 */
import { tf } from '../runtime/tf.js';
import { Derived } from './derived.js';
import { EqualLinear } from './equalLinear.js';
import { linear4, rows4 } from './linear.js';
import { randomInit, type ParamStore, type WeightInit } from './params.js';
import { axisPhases, blur, kernel1d, phaseFilters, upsampleConv2x, upsamplePlan } from './upfirdn2d.js';

export type ModConvMode = 'auto' | 'shared' | 'perSample';

export interface ModConvCall {
  mode?: ModConvMode;
  /** Per-output-channel bias, added to the (gained) output; fused into the conv where possible. */
  bias?: tf.Tensor1D | null;
  /** Tensors added to the output at the end (noise terms, a precombined noise + bias map). */
  addends?: tf.Tensor[];
}

interface ModConvWeights {
  /** Scaled weight [k, k, in, out]. */
  w: tf.Tensor4D;
  /**
   * Demodulation: out = conv · gain · rsqrt(s² · wsq + 1e-8) = conv · rsqrt(s² · wsq/gain² + eps/gain²),
   * so wsq holds Σ over taps of w² / gain² (as a [1, 1, in, out] filter, see linear.ts) and eps the
   * matching bias.
   */
  wsq: tf.Tensor4D | null;
  eps: tf.Tensor1D | null;
  /** Upsampling only: the four phase filters of w. */
  phases: tf.Tensor4D[] | null;
}

const EPS = 1e-8;

/** Relative cost of re-packing one filter element vs one activation element pass (measured ~9 vs ~0.7 ns). */
const REPACK_COST = 13;

export class ModulatedConv2d {
  readonly demodulate: boolean;
  readonly upsample: boolean;
  /** Constant output gain (StyleGAN's activation gain √2 is folded in here, where it is free). */
  readonly gain: number;
  readonly modulation: EqualLinear;
  readonly scale: number;
  readonly padding: number;
  private readonly weight: tf.Variable;
  /** Upsampling only: blur pads (top = left, bottom = right) and its 1-D kernel. */
  private readonly blurPad: [number, number] = [0, 0];
  private readonly blurK1: number[] = [];
  private readonly derived: Derived<ModConvWeights>;

  constructor(
    store: ParamStore,
    prefix: string,
    readonly inChannel: number,
    readonly outChannel: number,
    readonly kernelSize: number,
    styleDim: number,
    opts: { demodulate?: boolean; upsample?: boolean; blurKernel?: number[]; gain?: number; init?: WeightInit } = {},
  ) {
    this.demodulate = opts.demodulate ?? true;
    this.upsample = opts.upsample ?? false;
    this.gain = opts.gain ?? 1;
    const blurKernel = opts.blurKernel ?? [1, 3, 3, 1];
    const k = kernelSize;
    this.scale = 1 / Math.sqrt(inChannel * k * k);
    this.padding = Math.floor(k / 2);
    const init = opts.init ?? randomInit();
    this.weight = store.add(`${prefix}.weight`, [1, outChannel, inChannel, k, k], 'modconv', 'param', () => init.normal([k, k, inChannel, outChannel]));
    if (this.upsample) {
      const factor = 2;
      const p = blurKernel.length - factor - (k - 1);
      this.blurPad = [Math.floor((p + 1) / 2) + factor - 1, Math.floor(p / 2) + 1];
      this.blurK1 = kernel1d(blurKernel, factor);
      const k2 = this.blurK1.flatMap((a) => this.blurK1.map((b) => a * b));
      const n = blurKernel.length;
      store.add(`${prefix}.blur.kernel`, [n, n], 'plain', 'buffer', () => tf.tensor2d(k2, [n, n]));
    }
    this.modulation = new EqualLinear(store, `${prefix}.modulation`, styleDim, inChannel, { biasInit: 1, init });
    // the phase taps depend only on the kernel size (c = 0); lengths here are placeholders
    const rows = axisPhases(k, 0, 1, 2);
    const g2 = this.gain * this.gain;
    this.derived = new Derived(() => {
      const w = tf.mul(this.weight, this.scale) as tf.Tensor4D;
      return {
        w,
        wsq: this.demodulate ? (tf.div(tf.square(w).sum([0, 1], true), g2) as tf.Tensor4D) : null,
        eps: this.demodulate ? (tf.fill([outChannel], EPS / g2) as tf.Tensor1D) : null,
        phases: this.upsample ? phaseFilters(w, rows, rows) : null,
      };
    });
  }

  /** Output spatial size for an H × W input. */
  outSize(h: number, w: number): [number, number] {
    if (!this.upsample) return [h, w];
    const k = this.kernelSize;
    const [p0, p1] = this.blurPad;
    const n = this.blurK1.length;
    return [2 * (h - 1) + k + p0 + p1 - n + 1, 2 * (w - 1) + k + p0 + p1 - n + 1];
  }

  /** Which form `auto` uses for inputs of H × W. */
  chooseMode(h: number, w: number): 'shared' | 'perSample' {
    const [oh, ow] = this.outSize(h, w);
    const acts = h * w * this.inChannel + oh * ow * this.outChannel;
    const weights = this.kernelSize * this.kernelSize * this.inChannel * this.outChannel;
    return REPACK_COST * weights < acts ? 'perSample' : 'shared';
  }

  /**
   * x: [B or 1, H, W, in] NHWC; style: [B, styleDim], or as rows [1, 1, B, styleDim] (linear.ts)
   * → [B, H', W', out].
   */
  forward(x: tf.Tensor4D, style: tf.Tensor2D | tf.Tensor4D, call: ModConvCall = {}): tf.Tensor4D {
    const s = this.modulation.forward4(style.rank === 2 ? rows4(style as tf.Tensor2D) : (style as tf.Tensor4D)); // [1, 1, B, in]
    const mode = call.mode === undefined || call.mode === 'auto' ? this.chooseMode(x.shape[1], x.shape[2]) : call.mode;
    const weights = this.derived.get();
    let y = mode === 'shared' ? this.shared(x, s, weights, call.bias ?? null) : this.perSample(x, s, weights, call.bias ?? null);
    for (const a of call.addends ?? []) y = tf.add(y, a);
    return y;
  }

  /** [1, 1, B, out] output scale: gain · demodulation. */
  private outScale(s: tf.Tensor4D, weights: ModConvWeights): tf.Tensor4D | null {
    if (weights.wsq) return tf.rsqrt(linear4(tf.square(s), weights.wsq, weights.eps));
    return this.gain === 1 ? null : (tf.fill([1, 1, s.shape[2], this.outChannel], this.gain) as tf.Tensor4D);
  }

  /** Rows [1, 1, B, C] as per-sample channel scales [B, 1, 1, C]; for B = 1 they broadcast as they are. */
  private static perPixel(r: tf.Tensor4D): tf.Tensor4D {
    const B = r.shape[2];
    return B === 1 ? r : r.reshape([B, 1, 1, r.shape[3]]);
  }

  private conv(x: tf.Tensor4D, w: tf.Tensor4D, phases: tf.Tensor4D[] | null, bias: tf.Tensor1D | null): tf.Tensor4D {
    if (this.upsample) {
      const [h, wd] = [x.shape[1], x.shape[2]];
      // the full transposed conv is 2(H−1)+k long; an odd length gets one zero row/col so that
      // both phases are equally long, and the blur pads one less at the end
      const full = [2 * (h - 1) + this.kernelSize, 2 * (wd - 1) + this.kernelSize];
      const extra = full.map((n) => n % 2);
      const plan = upsamplePlan(this.kernelSize, 0, h, wd, full[0]! + extra[0]!, full[1]! + extra[1]!);
      const v = upsampleConv2x(x, phases!, plan);
      const [p0, p1] = this.blurPad;
      return blur(v, this.blurK1, [p0, p1 - extra[0]!, p0, p1 - extra[1]!], bias ?? undefined);
    }
    const p = this.padding;
    const pad: tf.backend_util.ExplicitPadding = [[0, 0], [p, p], [p, p], [0, 0]];
    return bias ? tf.fused.conv2d({ x, filter: w, strides: 1, pad, bias }) : tf.conv2d(x, w, 1, pad);
  }

  private shared(x: tf.Tensor4D, s: tf.Tensor4D, weights: ModConvWeights, bias: tf.Tensor1D | null): tf.Tensor4D {
    const xs = tf.mul(x, ModulatedConv2d.perPixel(s)) as tf.Tensor4D;
    const d = this.outScale(s, weights);
    // without a per-sample output scale the bias can ride in the conv
    let y = this.conv(xs, weights.w, weights.phases, d ? null : bias);
    if (d) {
      y = tf.mul(y, ModulatedConv2d.perPixel(d));
      if (bias) y = tf.add(y, bias);
    }
    return y;
  }

  private perSample(x: tf.Tensor4D, s: tf.Tensor4D, weights: ModConvWeights, bias: tf.Tensor1D | null): tf.Tensor4D {
    const B = s.shape[2];
    const d = this.outScale(s, weights);
    const outs: tf.Tensor4D[] = [];
    for (let b = 0; b < B; b++) {
      // the filter [k, k, in, out] is scaled by s along `in` and by d along `out`
      const sb = (B === 1 ? s : s.slice([0, 0, b, 0], [1, 1, 1, -1])).reshape([1, 1, this.inChannel, 1]);
      const db = d ? (B === 1 ? d : d.slice([0, 0, b, 0], [1, 1, 1, -1])) : null;
      const modulate = (f: tf.Tensor4D) => {
        const m = tf.mul(f, sb) as tf.Tensor4D;
        return db ? (tf.mul(m, db) as tf.Tensor4D) : m;
      };
      const xb = x.shape[0] === 1 ? x : x.slice([b, 0, 0, 0], [1, -1, -1, -1]);
      if (this.upsample) outs.push(this.conv(xb, weights.w, weights.phases!.map(modulate), bias));
      else outs.push(this.conv(xb, modulate(weights.w), null, bias));
    }
    return outs.length === 1 ? outs[0]! : tf.concat(outs, 0);
  }

  freeze(): void {
    this.derived.freeze();
    this.modulation.freeze();
  }

  unfreeze(): void {
    this.derived.unfreeze();
    this.modulation.unfreeze();
  }
}
