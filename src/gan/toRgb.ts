/**
 * rosinality `ToRGB`: a modulated 1×1 conv to 3 channels without demodulation, plus a bias, plus
 * the previous level's RGB upsampled with the [1,3,3,1] filter (the skip architecture).
 */
import { tf } from '../runtime/tf.js';
import { ModulatedConv2d, type ModConvMode } from './modulatedConv.js';
import type { ParamStore, WeightInit } from './params.js';
import { kernel1d, Upsample } from './upfirdn2d.js';

export class ToRGB {
  readonly conv: ModulatedConv2d;
  private readonly bias: tf.Variable;
  private readonly upsample: Upsample | null;

  constructor(
    store: ParamStore,
    prefix: string,
    inChannel: number,
    styleDim: number,
    opts: { upsample?: boolean; blurKernel?: number[]; init?: WeightInit } = {},
  ) {
    const blurKernel = opts.blurKernel ?? [1, 3, 3, 1];
    const up = opts.upsample ?? true;
    if (up) {
      this.upsample = new Upsample(blurKernel);
      const k1 = kernel1d(blurKernel, 2);
      const n = k1.length;
      store.add(`${prefix}.upsample.kernel`, [n, n], 'plain', 'buffer', () => tf.tensor2d(k1.flatMap((a) => k1.map((b) => a * b)), [n, n]));
    } else this.upsample = null;
    this.conv = new ModulatedConv2d(store, `${prefix}.conv`, inChannel, 3, 1, styleDim, { demodulate: false, init: opts.init });
    this.bias = store.add(`${prefix}.bias`, [1, 3, 1, 1], 'channel', 'param', () => tf.zeros([3]));
  }

  /** x: [B, H, W, in], style: [B, D] or rows [1, 1, B, D], skip: the previous RGB [B, H/2, W/2, 3] or null. */
  forward(x: tf.Tensor4D, style: tf.Tensor2D | tf.Tensor4D, skip: tf.Tensor4D | null, mode?: ModConvMode): tf.Tensor4D {
    const out = this.conv.forward(x, style, { mode, bias: this.bias as tf.Tensor1D });
    if (!skip) return out;
    if (!this.upsample) throw new Error('ToRGB without upsampling got a skip input');
    return tf.add(out, this.upsample.apply(skip));
  }

  freeze(): void {
    this.conv.freeze();
  }

  unfreeze(): void {
    this.conv.unfreeze();
  }

  dispose(): void {
    this.upsample?.dispose();
  }
}
