/**
 * rosinality `Discriminator` (StyleGAN2, residual): a 1×1 ConvLayer from RGB, one ResBlock per
 * halving down to 4×4, the minibatch standard-deviation feature, a 3×3 ConvLayer and two
 * EqualLinear layers to one logit per image. State-dict keys, shapes and math follow the reference
 * so a rosinality `d` state dict loads (and a trained one exports) with strict names.
 *
 * Downsampling layers blur with the [1,3,3,1] kernel (upfirdn2d, pad (p+1)//2, p//2 with
 * p = len(k) − 2 + k_conv − 1) and then convolve with stride 2 and no padding, as the reference.
 *
 * Every forward can `detach` the weights: the pair trainer asks D's opinion of G's images for G's
 * loss, and that gradient must reach the images but not D.
 */
import { UserError } from '../errors.js';
import { tf } from '../runtime/tf.js';
import { leakyRelu } from './activations.js';
import { EqualConv2d } from './equalConv2d.js';
import { EqualLinear } from './equalLinear.js';
import { ParamStore, randomInit, type WeightInit } from './params.js';
import { blur, kernel1d } from './upfirdn2d.js';

export interface DiscriminatorConfig {
  size: number;
  /** Channels per resolution, 4 … size (rosinality: 512 up to 32 px, then 256·m, 128·m …). */
  channels: Record<string, number>;
  blurKernel: number[];
  /** Minibatch-stddev group (rosinality 4) and feature count (1). */
  stddevGroup: number;
  stddevFeat: number;
}

/** rosinality's widths for a size and channel multiplier. */
export function rosinalityDiscriminatorConfig(size: number, channelMultiplier = 2): DiscriminatorConfig {
  const all: Record<string, number> = { 4: 512, 8: 512, 16: 512, 32: 512, 64: 256 * channelMultiplier, 128: 128 * channelMultiplier, 256: 64 * channelMultiplier, 512: 32 * channelMultiplier, 1024: 16 * channelMultiplier };
  const channels: Record<string, number> = {};
  for (let r = 4; r <= size; r *= 2) channels[String(r)] = all[String(r)]!;
  return { size, channels, blurKernel: [1, 3, 3, 1], stddevGroup: 4, stddevFeat: 1 };
}

export function validateDiscriminatorConfig(c: DiscriminatorConfig): DiscriminatorConfig {
  const log = Math.log2(c.size);
  if (!Number.isInteger(log) || c.size < 8) throw new UserError(`discriminator size must be a power of two ≥ 8, got ${c.size}`);
  for (let r = 4; r <= c.size; r *= 2) {
    const ch = c.channels[String(r)];
    if (!Number.isInteger(ch) || ch! < 1) throw new UserError(`discriminator channels: resolution ${r} needs a positive integer width, got ${String(ch)}`);
  }
  if (!Number.isInteger(c.stddevGroup) || c.stddevGroup < 1) throw new UserError(`stddevGroup must be a positive integer, got ${c.stddevGroup}`);
  if (!Number.isInteger(c.stddevFeat) || c.stddevFeat < 1 || (c.channels['4']! % c.stddevFeat) !== 0) {
    throw new UserError(`stddevFeat must divide the 4×4 width ${c.channels['4']}, got ${c.stddevFeat}`);
  }
  return c;
}

/** rosinality `ConvLayer`: [Blur →] EqualConv2d [→ FusedLeakyReLU]. */
export class ConvLayer {
  readonly conv: EqualConv2d;
  private readonly actBias: tf.Variable | null;
  private readonly blurPad: [number, number] | null;
  private readonly k1: number[];

  constructor(
    store: ParamStore,
    prefix: string,
    inChannel: number,
    outChannel: number,
    kernelSize: number,
    o: { downsample?: boolean; blurKernel?: number[]; bias?: boolean; activate?: boolean; init?: WeightInit } = {},
  ) {
    const blurKernel = o.blurKernel ?? [1, 3, 3, 1];
    const activate = o.activate ?? true;
    const bias = o.bias ?? true;
    this.k1 = kernel1d(blurKernel);
    let index = 0;
    if (o.downsample) {
      const p = blurKernel.length - 2 + (kernelSize - 1);
      this.blurPad = [Math.floor((p + 1) / 2), Math.floor(p / 2)];
      const n = this.k1.length;
      store.add(`${prefix}.0.kernel`, [n, n], 'plain', 'buffer', () => tf.tensor2d(this.k1.flatMap((a) => this.k1.map((b) => a * b)), [n, n]));
      index = 1;
    } else this.blurPad = null;
    this.conv = new EqualConv2d(store, `${prefix}.${index}`, inChannel, outChannel, kernelSize, {
      stride: o.downsample ? 2 : 1,
      padding: o.downsample ? 0 : Math.floor(kernelSize / 2),
      bias: bias && !activate,
      init: o.init,
    });
    this.actBias = activate ? (bias ? store.add(`${prefix}.${index + 1}.bias`, [outChannel], 'plain', 'param', () => tf.zeros([outChannel])) : null) : null;
    this.activate = activate;
  }

  private readonly activate: boolean;

  forward(x: tf.Tensor4D, detach = false): tf.Tensor4D {
    const [p0, p1] = this.blurPad ?? [0, 0];
    const input = this.blurPad ? blur(x, this.k1, [p0, p1, p0, p1]) : x;
    if (!this.activate) return this.conv.forward(input, { detach });
    // fused_leaky_relu(z + b)·√2 = lrelu(√2·z + √2·b): the gain rides in the conv
    return leakyRelu(this.conv.forward(input, { gain: Math.SQRT2, extraBias: this.actBias as tf.Tensor1D | null, detach }), 0.2);
  }
}

/** rosinality `ResBlock`: two 3×3 ConvLayers (the second halves) beside a 1×1 halving skip, summed / √2. */
export class ResBlock {
  private readonly conv1: ConvLayer;
  private readonly conv2: ConvLayer;
  private readonly skip: ConvLayer;

  constructor(store: ParamStore, prefix: string, inChannel: number, outChannel: number, blurKernel: number[], init: WeightInit) {
    this.conv1 = new ConvLayer(store, `${prefix}.conv1`, inChannel, inChannel, 3, { blurKernel, init });
    this.conv2 = new ConvLayer(store, `${prefix}.conv2`, inChannel, outChannel, 3, { downsample: true, blurKernel, init });
    this.skip = new ConvLayer(store, `${prefix}.skip`, inChannel, outChannel, 1, { downsample: true, activate: false, bias: false, blurKernel, init });
  }

  forward(x: tf.Tensor4D, detach = false): tf.Tensor4D {
    const out = this.conv2.forward(this.conv1.forward(x, detach), detach);
    return tf.mul(tf.add(out, this.skip.forward(x, detach)), Math.SQRT1_2) as tf.Tensor4D;
  }
}

/**
 * The minibatch standard deviation feature: images are split into `group` interleaved groups
 * (sample b is in group ⌊b / (B/group)⌋, as torch's view(group, -1, …) has it), the std over the
 * groups is averaged over the map and the channels of each feature, and appended as channels.
 */
export function minibatchStddev(x: tf.Tensor4D, groupSize: number, feat: number): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  const group = Math.min(B, groupSize);
  if (B % group !== 0) throw new UserError(`the discriminator's minibatch-stddev groups need a batch divisible by ${group}, got ${B}`);
  const M = B / group;
  const flat = x.reshape([group, M * H * W * C]);
  const mean = tf.mean(flat, 0, true);
  const variance = tf.mean(tf.square(tf.sub(flat, mean)), 0);
  const std = tf.sqrt(tf.add(variance, 1e-8)).reshape([M, H * W, feat, C / feat]);
  const perFeat = tf.mean(std, [1, 3]); // [M, feat]
  const tiled = tf.tile(perFeat, [group, 1]).reshape([B, 1, 1, feat]);
  return tf.concat([x, tf.broadcastTo(tiled, [B, H, W, feat])], 3) as tf.Tensor4D;
}

export class Discriminator {
  readonly config: DiscriminatorConfig;
  readonly store: ParamStore;
  private readonly fromRgb: ConvLayer;
  private readonly blocks: ResBlock[] = [];
  private readonly finalConv: ConvLayer;
  private readonly finalLinear0: EqualLinear;
  private readonly finalLinear1: EqualLinear;

  constructor(config: DiscriminatorConfig, opts: { seed?: number } = {}) {
    this.config = validateDiscriminatorConfig(config);
    const c = this.config;
    const store = new ParamStore();
    this.store = store;
    const init = randomInit(opts.seed ?? 0);
    const ch = (r: number) => c.channels[String(r)]!;
    this.fromRgb = new ConvLayer(store, 'convs.0', 3, ch(c.size), 1, { init });
    let inCh = ch(c.size);
    let i = 1;
    for (let r = c.size; r > 4; r /= 2, i++) {
      const out = ch(r / 2);
      this.blocks.push(new ResBlock(store, `convs.${i}`, inCh, out, c.blurKernel, init));
      inCh = out;
    }
    this.finalConv = new ConvLayer(store, 'final_conv', inCh + c.stddevFeat, ch(4), 3, { init });
    this.finalLinear0 = new EqualLinear(store, 'final_linear.0', ch(4) * 16, ch(4), { activation: 'fused_lrelu', init });
    this.finalLinear1 = new EqualLinear(store, 'final_linear.1', ch(4), 1, { init });
  }

  /** Images NHWC [B, size, size, 3] in [-1, 1] → logits [B, 1]. */
  forward(x: tf.Tensor4D, o: { detach?: boolean } = {}): tf.Tensor2D {
    const { size } = this.config;
    if (x.rank !== 4 || x.shape[1] !== size || x.shape[2] !== size || x.shape[3] !== 3) {
      throw new UserError(`the discriminator takes images [B, ${size}, ${size}, 3], got [${x.shape.join(', ')}]`);
    }
    const detach = o.detach ?? false;
    return tf.tidy(() => {
      let h = this.fromRgb.forward(x, detach);
      for (const b of this.blocks) h = b.forward(h, detach);
      h = minibatchStddev(h, this.config.stddevGroup, this.config.stddevFeat);
      h = this.finalConv.forward(h, detach);
      const B = h.shape[0];
      // torch flattens NCHW: channel-major
      const flat = h.transpose([0, 3, 1, 2]).reshape([B, -1]) as tf.Tensor2D;
      return this.finalLinear1.forward(this.finalLinear0.forward(flat, detach), detach);
    });
  }

  trainableVariables(): tf.Variable[] {
    return this.store.trainableVariables();
  }

  dispose(): void {
    this.store.dispose();
  }
}
