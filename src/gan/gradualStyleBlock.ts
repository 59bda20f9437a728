/**
 * pSp / e4e `GradualStyleBlock`: log2(spatial) stride-2 3×3 convs, each followed by
 * nn.LeakyReLU() — PyTorch's default slope 0.01, not StyleGAN's 0.2 — down to 1×1, then an
 * EqualLinear (lr_mul 1) to one W+ row (out_c → styleDim; out_c = styleDim in e4e/pSp).
 */
import { UserError } from '../errors.js';
import { tf } from '../runtime/tf.js';
import { leakyRelu } from './activations.js';
import { EqualLinear } from './equalLinear.js';
import type { ParamStore, WeightInit } from './params.js';
import { Conv2d } from './torchLayers.js';

export class GradualStyleBlock {
  readonly convs: Conv2d[] = [];
  readonly linear: EqualLinear;

  constructor(store: ParamStore, prefix: string, inC: number, readonly outC: number, readonly spatial: number, init: WeightInit, styleDim = outC) {
    const numPools = Math.round(Math.log2(spatial));
    for (let i = 0; i < numPools; i++) {
      // Sequential indices 0, 2, 4, …: the LeakyReLUs sit at the odd ones
      this.convs.push(new Conv2d(store, `${prefix}.convs.${2 * i}`, i === 0 ? inC : outC, outC, 3, 2, 1, true, init));
    }
    this.linear = new EqualLinear(store, `${prefix}.linear`, outC, styleDim, { lrMul: 1, init });
  }

  /** x: [B, spatial, spatial, inC] → one W+ row per sample as rows [1, 1, B, styleDim] (linear.ts). */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    let h = x;
    for (const c of this.convs) h = leakyRelu(c.forward(h), 0.01);
    const [B, H, W] = h.shape;
    if (H !== 1 || W !== 1) throw new UserError(`GradualStyleBlock expected a ${this.spatial}×${this.spatial} input, got ${x.shape[1]}×${x.shape[2]}`);
    return this.linear.forward4(B === 1 ? h : h.reshape([1, 1, B, this.outC]));
  }

  freeze(): void {
    this.linear.freeze();
  }

  unfreeze(): void {
    this.linear.unfreeze();
  }
}
