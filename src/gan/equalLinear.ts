/**
 * rosinality `EqualLinear` (also used by e4e's GradualStyleBlock): a linear layer with the
 * equalized learning rate — weights stored as N(0, 1)/lr_mul and scaled by lr_mul/√in at run time,
 * bias scaled by lr_mul — optionally followed by fused_leaky_relu.
 */
import { tf } from '../runtime/tf.js';
import { stopGradient } from '../nn/stopGradient.js';
import { leakyRelu } from './activations.js';
import { Derived } from './derived.js';
import { linear4, rows2, rows4 } from './linear.js';
import { randomInit, type ParamStore, type WeightInit } from './params.js';

export interface EqualLinearOptions {
  bias?: boolean;
  biasInit?: number;
  lrMul?: number;
  activation?: 'fused_lrelu' | null;
  init?: WeightInit;
}

export class EqualLinear {
  private readonly weight: tf.Variable;
  private readonly bias: tf.Variable | null;
  readonly scale: number;
  readonly lrMul: number;
  readonly activation: 'fused_lrelu' | null;
  /** Scaled weight as a [1, 1, in, out] filter (see linear.ts) and scaled bias. */
  private readonly derived: Derived<{ w: tf.Tensor4D; b: tf.Tensor1D | null }>;

  constructor(store: ParamStore, prefix: string, readonly inDim: number, readonly outDim: number, opts: EqualLinearOptions = {}) {
    this.lrMul = opts.lrMul ?? 1;
    this.scale = (1 / Math.sqrt(inDim)) * this.lrMul;
    this.activation = opts.activation ?? null;
    const lrMul = this.lrMul;
    const init = opts.init ?? randomInit();
    this.weight = store.add(`${prefix}.weight`, [outDim, inDim], 'linear', 'param', () => init.normal([inDim, outDim]).div(lrMul));
    this.bias = opts.bias === false ? null : store.add(`${prefix}.bias`, [outDim], 'plain', 'param', () => tf.fill([outDim], opts.biasInit ?? 0));
    // fused_leaky_relu's gain commutes with the leaky ReLU: lrelu(z)·√2 = lrelu(√2·z), so it is
    // folded into the weight and bias and the matMul, bias and gain are one fused op
    const gain = this.activation ? Math.SQRT2 : 1;
    this.derived = new Derived(() => ({
      w: tf.mul(this.weight, this.scale * gain).reshape([1, 1, inDim, outDim]) as tf.Tensor4D,
      b: this.bias ? (tf.mul(this.bias, this.lrMul * gain) as tf.Tensor1D) : null,
    }));
  }

  /** x: [B, in] → [B, out]. `detach`: no gradient reaches the weights (a discriminator judging G's images). */
  forward(x: tf.Tensor2D, detach = false): tf.Tensor2D {
    return rows2(this.forward4(rows4(x), detach));
  }

  /** The same on rows laid out as [1, 1, B, in] → [1, 1, B, out]. */
  forward4(x4: tf.Tensor4D, detach = false): tf.Tensor4D {
    let { w, b } = this.derived.get();
    if (detach) {
      w = stopGradient(w);
      b = b && stopGradient(b);
    }
    const y = linear4(x4, w, b);
    return this.activation ? leakyRelu(y, 0.2) : y;
  }

  freeze(): void {
    this.derived.freeze();
  }

  unfreeze(): void {
    this.derived.unfreeze();
  }
}
