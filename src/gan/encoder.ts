/**
 * e4e `Encoder4Editing` (omertov/encoder4editing models/encoders/psp_encoders.py), and pSp's
 * `GradualStyleEncoder`, which has the same weights and differs only in how rows are combined.
 *
 *   x → input_layer (conv3×3, BN, PReLU) → IR-SE body; taps after the last unit of stages 2, 3, 4
 *   give c1 (S/4), c2 (S/8), c3 (S/16)
 *   p2 = bilinear_align_corners(c3 → c2 size) + latlayer1(c2);  p1 = up(p2) + latlayer2(c1)
 *   rows 0 … coarse−1 read c3, rows up to middle−1 read p2, the rest p1, each through its own
 *   GradualStyleBlock; e4e: W[i] = style_0(c3) + Δ_i (i ≥ 1), pSp: W[i] = style_i.
 *
 * The reference hard-codes the taps as body indices 6, 20, 23 (IR-50); they are the stage ends
 * here, which is the same for IR-50 and makes IR-100/152 work. Input NHWC in [-1, 1], output
 * [B, styleCount, styleDim] without latent_avg (see `encode` for the W+ the decoder takes).
 */
import { UserError } from '../errors.js';
import { tf } from '../runtime/tf.js';
import { styleBlockSpatial, validateEncoderConfig, type EncoderConfig } from './config.js';
import { BottleneckIR } from './bottleneckIR.js';
import { GradualStyleBlock } from './gradualStyleBlock.js';
import { Derived } from './derived.js';
import { ParamStore, randomInit, zeroInit, type TorchLikeTensor } from './params.js';
import { BatchNorm2d, Conv2d, PReLU } from './torchLayers.js';

export interface EncoderBuildOptions {
  /** Seed of the random initial weights (PyTorch default init). */
  seed?: number;
  init?: 'random' | 'zeros';
}

export interface EncoderCall {
  /** BatchNorm with batch statistics (and running-statistics updates), as in e4e training. */
  training?: boolean;
}

export class Encoder {
  readonly config: EncoderConfig;
  readonly store: ParamStore;
  private readonly inputConv: Conv2d;
  private readonly inputBn: BatchNorm2d;
  private readonly inputPrelu: PReLU;
  readonly body: BottleneckIR[] = [];
  readonly styles: GradualStyleBlock[] = [];
  private readonly latlayer1: Conv2d;
  private readonly latlayer2: Conv2d;
  private readonly taps: [number, number, number];
  private readonly inputFolded: Derived<{ w: tf.Tensor4D; b: tf.Tensor1D }>;
  /** Mean W+ added to the codes ([L, D] or [D]); null if the checkpoint has none. */
  latentAvg: tf.Tensor | null = null;
  private frozenState = false;

  constructor(config: EncoderConfig, opts: EncoderBuildOptions = {}) {
    this.config = validateEncoderConfig(config);
    const c = this.config;
    const store = new ParamStore();
    this.store = store;
    const init = opts.init === 'zeros' ? zeroInit : randomInit(opts.seed ?? 0);
    const [w0] = c.widths;
    this.inputConv = new Conv2d(store, 'input_layer.0', 3, w0, 3, 1, 1, false, init);
    this.inputBn = new BatchNorm2d(store, 'input_layer.1', w0);
    this.inputPrelu = new PReLU(store, 'input_layer.2', w0);
    let inCh = w0;
    let idx = 0;
    const ends: number[] = [];
    for (let s = 0; s < 4; s++) {
      for (let u = 0; u < c.units[s]!; u++) {
        const depth = c.widths[s]!;
        this.body.push(new BottleneckIR(store, `body.${idx}`, u === 0 ? inCh : depth, depth, u === 0 ? 2 : 1, { se: c.mode === 'ir_se', seReduction: c.seReduction, init }));
        idx++;
      }
      inCh = c.widths[s]!;
      ends.push(idx - 1);
    }
    this.taps = [ends[1]!, ends[2]!, ends[3]!];
    const fpn = c.widths[3];
    for (let i = 0; i < c.styleCount; i++) {
      this.styles.push(new GradualStyleBlock(store, `styles.${i}`, fpn, c.blockWidth ?? c.styleDim, styleBlockSpatial(c, i), init, c.styleDim));
    }
    this.latlayer1 = new Conv2d(store, 'latlayer1', c.widths[2], fpn, 1, 1, 0, true, init);
    this.latlayer2 = new Conv2d(store, 'latlayer2', c.widths[1], fpn, 1, 1, 0, true, init);
    this.inputFolded = new Derived(() => {
      const { a, b } = this.inputBn.affine();
      return { w: tf.mul(this.inputConv.weight, a) as tf.Tensor4D, b };
    });
  }

  get inputSize(): number {
    return this.config.inputSize;
  }

  get styleCount(): number {
    return this.config.styleCount;
  }

  trainableVariables(): tf.Variable[] {
    return this.store.trainableVariables();
  }

  /** x: NHWC [B, S, S, 3] in [-1, 1] → codes [B, styleCount, styleDim] (without latent_avg). */
  forward(x: tf.Tensor4D, call: EncoderCall = {}): tf.Tensor3D {
    const c = this.config;
    if (x.rank !== 4 || x.shape[1] !== c.inputSize || x.shape[2] !== c.inputSize || x.shape[3] !== 3) {
      throw new UserError(`encoder input must be [B, ${c.inputSize}, ${c.inputSize}, 3], got [${x.shape.join(', ')}]`);
    }
    const training = call.training ?? false;
    return tf.tidy(() => {
      let h: tf.Tensor4D;
      if (training) h = this.inputBn.forward(this.inputConv.forward(x), true);
      else {
        const f = this.inputFolded.get();
        h = this.inputConv.forward(x, f.w, f.b);
      }
      h = this.inputPrelu.forward(h);
      let c1: tf.Tensor4D | null = null;
      let c2: tf.Tensor4D | null = null;
      for (let i = 0; i < this.body.length; i++) {
        h = this.body[i]!.forward(h, training);
        if (i === this.taps[0]) c1 = h;
        else if (i === this.taps[1]) c2 = h;
      }
      const c3 = h;
      const B = x.shape[0];
      const w0 = this.styles[0]!.forward(c3);
      const rows: tf.Tensor4D[] = [w0];
      let features = c3;
      let p2: tf.Tensor4D | null = null;
      const stage = c.structure === 'psp' ? c.styleCount : c.progressiveStage;
      for (let i = 1; i < c.styleCount; i++) {
        if (i === c.coarseInd) p2 = features = upsampleAdd(c3, this.latlayer1.forward(c2!));
        else if (i === c.middleInd) features = upsampleAdd(p2!, this.latlayer2.forward(c1!));
        if (c.structure === 'psp') rows.push(this.styles[i]!.forward(features));
        else rows.push(i <= stage ? tf.add(w0, this.styles[i]!.forward(features)) : w0);
      }
      // rows are [1, 1, B, D]: for one sample they concatenate straight into [1, 1, L, D]
      if (B === 1) return tf.concat(rows, 2).reshape([1, c.styleCount, c.styleDim]) as tf.Tensor3D;
      return tf.concat(rows.map((r) => r.reshape([B, 1, c.styleDim])), 1) as tf.Tensor3D;
    });
  }

  /** The W+ the decoder takes: forward(x) + latent_avg (pSp start_from_latent_avg), or the bare codes if there is none. */
  encode(x: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => {
      const codes = this.forward(x);
      return (this.latentAvg ? tf.add(codes, this.latentAvg) : codes) as tf.Tensor3D;
    });
  }

  /** Sets (or clears) the mean W+ added by `encode`; keeps a copy (the caller still owns `avg`). */
  setLatentAvg(avg: tf.Tensor | null): void {
    const { styleCount: L, styleDim: D } = this.config;
    if (avg) {
      const ok = (avg.rank === 2 && avg.shape[0] === L && avg.shape[1] === D) || (avg.rank === 1 && avg.shape[0] === D);
      if (!ok) throw new UserError(`latent_avg must be [${L}, ${D}] or [${D}], got [${avg.shape.join(', ')}]`);
    }
    this.latentAvg?.dispose();
    this.latentAvg = avg ? tf.keep(avg.clone()) : null;
  }

  freeze(): this {
    if (this.frozenState) return this;
    this.inputFolded.freeze();
    for (const u of this.body) u.freeze();
    for (const s of this.styles) s.freeze();
    this.store.setTrainable(false);
    this.frozenState = true;
    return this;
  }

  unfreeze(): this {
    if (!this.frozenState) return this;
    this.inputFolded.unfreeze();
    for (const u of this.body) u.unfreeze();
    for (const s of this.styles) s.unfreeze();
    this.store.setTrainable(true);
    this.frozenState = false;
    return this;
  }

  get frozen(): boolean {
    return this.frozenState;
  }

  /** Loads an Encoder4Editing state dict (names without `encoder.`, PyTorch layout). */
  loadStateDict(tensors: Record<string, TorchLikeTensor>, label: string): void {
    const wasFrozen = this.frozenState;
    if (wasFrozen) this.unfreeze();
    this.store.loadStateDict(tensors, label, { ignore: (n) => n.endsWith('.num_batches_tracked') });
    if (wasFrozen) this.freeze();
  }

  stateDict(): ReturnType<ParamStore['stateDict']> {
    return this.store.stateDict();
  }

  dispose(): void {
    this.unfreeze();
    this.store.dispose();
    this.latentAvg?.dispose();
    this.latentAvg = null;
  }
}

/** pSp `_upsample_add`: bilinear (align_corners=True) resize of x to y's size, plus y. */
export function upsampleAdd(x: tf.Tensor4D, y: tf.Tensor4D): tf.Tensor4D {
  return tf.add(tf.image.resizeBilinear(x, [y.shape[1], y.shape[2]], true), y);
}
