/**
 * rosinality `StyledConv`: modulated conv → noise injection (a learned scalar times a per-pixel
 * noise map) → bias + leaky ReLU(0.2) × √2.
 *
 * lrelu(z)·√2 = lrelu(√2·z), so the √2 is applied to the conv output (free inside the demodulation
 * or the per-sample filter), the noise strength and the bias, and the activation itself is a bare
 * leaky ReLU. With the stored noise maps and a frozen model, noise and bias are one precomputed
 * map (small layers) or the bias rides in the conv (per-sample form): one add per layer.
 */
import { tf } from '../runtime/tf.js';
import { leakyRelu } from './activations.js';
import { Derived } from './derived.js';
import { ModulatedConv2d, type ModConvMode } from './modulatedConv.js';
import type { ParamStore, WeightInit } from './params.js';

/** 'const': the layer's stored noise map; null: no noise; or a map [B or 1, H, W, 1]. */
export type NoiseInput = 'const' | null | tf.Tensor4D;

/** Largest precombined noise + bias map kept per layer (elements). */
const MAX_POST_MAP = 1 << 20;

interface StyledConvDerived {
  /** √2 · bias. */
  bias: tf.Tensor1D;
  /** √2 · noise strength. */
  noiseGain: tf.Tensor;
  /** √2 · strength · stored noise, and that plus √2 · bias when small enough. */
  constTerm: tf.Tensor4D | null;
  constPost: tf.Tensor4D | null;
}

export class StyledConv {
  readonly conv: ModulatedConv2d;
  private readonly noiseWeight: tf.Variable;
  private readonly bias: tf.Variable;
  private readonly derived: Derived<StyledConvDerived>;
  /** The generator's stored noise buffer for this layer (rosinality `noises.noise_i`), NHWC [1, H, W, 1]. */
  constNoise: tf.Variable | null = null;

  constructor(
    store: ParamStore,
    prefix: string,
    inChannel: number,
    readonly outChannel: number,
    kernelSize: number,
    styleDim: number,
    opts: { upsample?: boolean; blurKernel?: number[]; demodulate?: boolean; init?: WeightInit } = {},
  ) {
    this.conv = new ModulatedConv2d(store, `${prefix}.conv`, inChannel, outChannel, kernelSize, styleDim, { ...opts, gain: Math.SQRT2 });
    this.noiseWeight = store.add(`${prefix}.noise.weight`, [1], 'plain', 'param', () => tf.zeros([1]));
    this.bias = store.add(`${prefix}.activate.bias`, [outChannel], 'plain', 'param', () => tf.zeros([outChannel]));
    this.derived = new Derived(() => {
      const bias = tf.mul(this.bias, Math.SQRT2) as tf.Tensor1D;
      const noiseGain = tf.mul(this.noiseWeight, Math.SQRT2);
      const constTerm = this.constNoise ? (tf.mul(this.constNoise, noiseGain) as tf.Tensor4D) : null;
      const small = constTerm && constTerm.size * outChannel <= MAX_POST_MAP;
      return { bias, noiseGain, constTerm, constPost: small ? (tf.add(constTerm, bias) as tf.Tensor4D) : null };
    });
  }

  /** x: [B or 1, H, W, in], style: [B, D] or rows [1, 1, B, D]. */
  forward(x: tf.Tensor4D, style: tf.Tensor2D | tf.Tensor4D, noise: NoiseInput, mode: ModConvMode = 'auto'): tf.Tensor4D {
    const d = this.derived.get();
    const m = mode === 'auto' ? this.conv.chooseMode(x.shape[1], x.shape[2]) : mode;
    let y: tf.Tensor4D;
    if (noise === 'const' && m === 'shared' && d.constPost) {
      y = this.conv.forward(x, style, { mode: m, addends: [d.constPost] });
    } else {
      const term = noise === 'const' ? d.constTerm : noise ? tf.mul(noise, d.noiseGain) : null;
      y = this.conv.forward(x, style, { mode: m, bias: d.bias, addends: term ? [term] : [] });
    }
    return leakyRelu(y, 0.2);
  }

  freeze(): void {
    this.conv.freeze();
    this.derived.freeze();
  }

  unfreeze(): void {
    this.conv.unfreeze();
    this.derived.unfreeze();
  }
}
