/**
 * rosinality `EqualConv2d`: a conv with the equalized learning rate — weight stored as N(0, 1) and
 * scaled by 1/√(in·k²) at run time — as the StyleGAN2 discriminator uses it.
 */
import { stopGradient } from '../nn/stopGradient.js';
import { tf } from '../runtime/tf.js';
import { randomInit, type ParamStore, type WeightInit } from './params.js';

export class EqualConv2d {
  private readonly weight: tf.Variable;
  private readonly bias: tf.Variable | null;
  readonly scale: number;

  constructor(
    store: ParamStore,
    prefix: string,
    readonly inChannel: number,
    readonly outChannel: number,
    readonly kernelSize: number,
    readonly opts: { stride?: number; padding?: number; bias?: boolean; init?: WeightInit } = {},
  ) {
    const k = kernelSize;
    this.scale = 1 / Math.sqrt(inChannel * k * k);
    const init = opts.init ?? randomInit();
    this.weight = store.add(`${prefix}.weight`, [outChannel, inChannel, k, k], 'conv', 'param', () => init.normal([k, k, inChannel, outChannel]));
    this.bias = opts.bias === false ? null : store.add(`${prefix}.bias`, [outChannel], 'plain', 'param', () => tf.zeros([outChannel]));
  }

  /**
   * x NHWC → conv(x, w·scale) + bias. `gain` multiplies weight and bias (a following lrelu's √2
   * folded in); `detach` keeps gradients from the weights, not from x.
   */
  forward(x: tf.Tensor4D, o: { gain?: number; extraBias?: tf.Tensor1D | null; detach?: boolean } = {}): tf.Tensor4D {
    const gain = o.gain ?? 1;
    const p = this.opts.padding ?? 0;
    const pad: tf.backend_util.ExplicitPadding = [[0, 0], [p, p], [p, p], [0, 0]];
    let w = tf.mul(this.weight, this.scale * gain) as tf.Tensor4D;
    // the bias lives either here or in a following FusedLeakyReLU (extraBias), never both
    if (this.bias && o.extraBias) throw new Error('EqualConv2d: a conv with its own bias got an extraBias too');
    let b = (this.bias ?? o.extraBias ?? null) as tf.Tensor1D | null;
    if (b && gain !== 1) b = tf.mul(b, gain) as tf.Tensor1D;
    if (o.detach) {
      w = stopGradient(w);
      b = b && stopGradient(b);
    }
    const stride = this.opts.stride ?? 1;
    return b ? tf.fused.conv2d({ x, filter: w, strides: stride, pad: pad as unknown as 'valid', bias: b }) : tf.conv2d(x, w, stride, pad);
  }
}
