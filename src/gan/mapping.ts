/**
 * StyleGAN2's mapping network z → w: PixelNorm, then `nMlp` EqualLinear layers with the reduced
 * learning rate lr_mlp and fused leaky ReLU (rosinality `Generator.style`, keys style.1 … style.n).
 */
import { tf } from '../runtime/tf.js';
import { EqualLinear } from './equalLinear.js';
import { rows2, rows4 } from './linear.js';
import type { ParamStore, WeightInit } from './params.js';

/** x · rsqrt(mean(x², features) + 1e-8), per sample. */
export function pixelNorm(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), 1, true), 1e-8)));
}

export class MappingNetwork {
  readonly layers: EqualLinear[] = [];

  constructor(store: ParamStore, styleDim: number, nMlp: number, lrMlp: number, init?: WeightInit) {
    for (let i = 1; i <= nMlp; i++) {
      this.layers.push(new EqualLinear(store, `style.${i}`, styleDim, styleDim, { lrMul: lrMlp, activation: 'fused_lrelu', init }));
    }
  }

  /** z: [B, D] → w: [B, D]. */
  forward(z: tf.Tensor2D): tf.Tensor2D {
    return rows2(this.layers.reduce((h, l) => l.forward4(h), rows4(pixelNorm(z))));
  }

  freeze(): void {
    for (const l of this.layers) l.freeze();
  }

  unfreeze(): void {
    for (const l of this.layers) l.unfreeze();
  }
}
