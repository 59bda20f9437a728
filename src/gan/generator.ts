/**
 * rosinality `Generator` (stylegan2-pytorch model.py), the network of the official FFHQ
 * checkpoints and of e4e's decoder, for any size 8–1024 and any channel widths.
 *
 * Layout of the synthesis network and its W+ indexing (n_latent = 2·log2(size) − 2 rows):
 *   const 4×4 → conv1 (row 0, noise 0) → to_rgb1 (row 1)
 *   for each resolution r = 8 … size, level j = log2(r) − 3:
 *     convs[2j] (upsample, row 2j+1, noise 2j+1) → convs[2j+1] (row 2j+2, noise 2j+2)
 *     → to_rgbs[j] (row 2j+3) + upsampled previous RGB
 * Images are NHWC; the reference's NCHW is converted at the edges by the callers.
 */
import { fileError, UserError } from '../errors.js';
import { tf } from '../runtime/tf.js';
import { log2Int, nLatent, numNoiseLayers, validateGeneratorConfig, type GeneratorConfig } from './config.js';
import { MappingNetwork } from './mapping.js';
import type { ModConvMode } from './modulatedConv.js';
import { ParamStore, randomInit, zeroInit, type TorchLikeTensor } from './params.js';
import { StyledConv, type NoiseInput } from './styledConv.js';
import { ToRGB } from './toRgb.js';
import { kernel1d } from './upfirdn2d.js';

/**
 * Noise maps: 'const' uses the stored buffers `noises.noise_i` (rosinality randomize_noise=False),
 * 'random' draws N(0, 1) per sample and layer (seeded), 'none' adds no noise, or give the maps
 * (NHWC [B or 1, H, W, 1], one per layer).
 */
export type NoiseSpec = 'const' | 'random' | 'none' | tf.Tensor4D[];

export interface SynthesisOptions {
  noise?: NoiseSpec;
  /** Seed of 'random' noise; each layer uses seed + its index. */
  seed?: number;
  /** Form of the modulated convs (see modulatedConv.ts); 'auto' by default. */
  mode?: ModConvMode;
}

export interface ForwardOptions extends SynthesisOptions {
  /** The styles are w / W+ already (skip the mapping network). */
  inputIsLatent?: boolean;
  /** ψ < 1 pulls every style towards `truncationLatent`. */
  truncation?: number;
  truncationLatent?: tf.Tensor;
  /** With two styles: rows before it come from the first (rosinality style mixing). */
  injectIndex?: number;
}

export interface GeneratorBuildOptions {
  /** Seed of the random initial weights (reference init: N(0,1) weights and constant input, zero biases and noise strengths, modulation bias 1). */
  seed?: number;
  /** 'zeros' skips drawing random values that a checkpoint load will overwrite anyway. */
  init?: 'random' | 'zeros';
}

export class Generator {
  readonly config: GeneratorConfig;
  readonly store: ParamStore;
  readonly mapping: MappingNetwork;
  private readonly input: tf.Variable;
  private readonly conv1: StyledConv;
  private readonly toRgb1: ToRGB;
  private readonly convs: StyledConv[] = [];
  private readonly toRgbs: ToRGB[] = [];
  private readonly noises: tf.Variable[] = [];
  /** Mean w (rosinality `latent_avg`, [D]) or mean W+ ([L, D]), for truncation; null if unknown. */
  latentAvg: tf.Tensor | null = null;
  private frozenState = false;

  constructor(config: GeneratorConfig, opts: GeneratorBuildOptions = {}) {
    this.config = validateGeneratorConfig(config);
    const { size, styleDim, blurKernel } = this.config;
    const ch = (r: number) => this.config.channels[String(r)]!;
    const store = new ParamStore();
    this.store = store;
    const init = opts.init === 'zeros' ? zeroInit : randomInit(opts.seed ?? 0);
    this.mapping = new MappingNetwork(store, styleDim, this.config.nMlp, this.config.lrMlp, init);
    const c4 = ch(4);
    this.input = store.add('input.input', [1, c4, 4, 4], 'nchw', 'param', () => init.normal([1, 4, 4, c4]));
    this.conv1 = new StyledConv(store, 'conv1', c4, c4, 3, styleDim, { blurKernel, init });
    this.toRgb1 = new ToRGB(store, 'to_rgb1', c4, styleDim, { upsample: false, blurKernel, init });
    let inCh = c4;
    for (let i = 3, j = 0; i <= log2Int(size); i++, j++) {
      const out = ch(2 ** i);
      this.convs.push(new StyledConv(store, `convs.${2 * j}`, inCh, out, 3, styleDim, { upsample: true, blurKernel, init }));
      this.convs.push(new StyledConv(store, `convs.${2 * j + 1}`, out, out, 3, styleDim, { blurKernel, init }));
      this.toRgbs.push(new ToRGB(store, `to_rgbs.${j}`, out, styleDim, { blurKernel, init }));
      inCh = out;
    }
    for (let i = 0; i < numNoiseLayers(size); i++) {
      const r = 2 ** Math.floor((i + 5) / 2);
      this.noises.push(store.add(`noises.noise_${i}`, [1, 1, r, r], 'nchw', 'buffer', () => init.normal([1, r, r, 1])));
    }
    [this.conv1, ...this.convs].forEach((c, i) => (c.constNoise = this.noises[i]!));
  }

  /** Number of W+ rows. */
  get nLatent(): number {
    return nLatent(this.config.size);
  }

  get numLayers(): number {
    return numNoiseLayers(this.config.size);
  }

  get styleDim(): number {
    return this.config.styleDim;
  }

  /** Trainable weights (noise buffers excluded), for an optimizer. */
  trainableVariables(): tf.Variable[] {
    return this.store.trainableVariables();
  }

  /** z: [B, D] → w: [B, D] (rosinality get_latent). */
  map(z: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.mapping.forward(z));
  }

  /** The noise of each layer for one call: the stored maps ('const'), none (null) or maps [B or 1, H, W, 1]. */
  noiseMaps(spec: NoiseSpec, batch: number, seed = 0): NoiseInput[] {
    if (Array.isArray(spec)) {
      if (spec.length !== this.numLayers) throw new UserError(`noise: expected ${this.numLayers} maps, got ${spec.length}`);
      return spec.map((n, i) => {
        const r = this.noises[i]!.shape[1]!;
        if (n.rank !== 4 || n.shape[1] !== r || n.shape[2] !== r || n.shape[3] !== 1 || (n.shape[0] !== 1 && n.shape[0] !== batch)) {
          throw new UserError(`noise map ${i}: expected shape [${batch} or 1, ${r}, ${r}, 1], got [${n.shape.join(', ')}]`);
        }
        return n;
      });
    }
    switch (spec) {
      case 'const':
        return this.noises.map(() => 'const' as const);
      case 'none':
        return this.noises.map(() => null);
      case 'random':
        return this.noises.map((n, i) => tf.randomNormal([batch, n.shape[1]!, n.shape[2]!, 1], 0, 1, 'float32', seed + i) as tf.Tensor4D);
    }
  }

  /** W+ [B, n_latent (or more), D] → image NHWC [B, size, size, 3] (unclamped, ≈ [-1, 1]). */
  synthesis(wplus: tf.Tensor3D, opts: SynthesisOptions = {}): tf.Tensor4D {
    const [B, L, D] = wplus.shape;
    if (wplus.rank !== 3 || D !== this.styleDim || L < this.nLatent) {
      throw new UserError(`W+ must be [B, ${this.nLatent}, ${this.styleDim}], got [${wplus.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const noise = this.noiseMaps(opts.noise ?? 'const', B, opts.seed);
      const mode = opts.mode;
      // each W+ row as [1, 1, B, D], the layout of the style products (linear.ts)
      const byRow = B === 1 ? wplus.reshape([L, 1, 1, 1, D]) : wplus.transpose([1, 0, 2]).reshape([L, 1, 1, B, D]);
      const rows = tf.unstack(byRow, 0) as tf.Tensor4D[];
      const row = (i: number) => rows[i]!;
      let x = this.conv1.forward(this.input as tf.Tensor as tf.Tensor4D, row(0), noise[0] ?? null, mode);
      let skip = this.toRgb1.forward(x, row(1), null, mode);
      for (let j = 0; j < this.toRgbs.length; j++) {
        const i = 2 * j + 1;
        x = this.convs[2 * j]!.forward(x, row(i), noise[i] ?? null, mode);
        x = this.convs[2 * j + 1]!.forward(x, row(i + 1), noise[i + 1] ?? null, mode);
        skip = this.toRgbs[j]!.forward(x, row(i + 2), skip, mode);
      }
      return skip;
    });
  }

  /**
   * rosinality `Generator.forward(styles, …)`: styles are z's (mapped) or w / W+; truncation
   * applies to each; one style is broadcast to all rows (a 3-D one is used as W+), two are mixed at
   * `injectIndex`. Returns the image NHWC.
   */
  forward(styles: tf.Tensor[], opts: ForwardOptions = {}): tf.Tensor4D {
    return tf.tidy(() => {
      let s = opts.inputIsLatent ? styles : styles.map((z) => this.mapping.forward(z as tf.Tensor2D));
      const psi = opts.truncation ?? 1;
      if (psi < 1) {
        const avg = opts.truncationLatent ?? this.latentAvg;
        if (!avg) throw new UserError('truncation needs a mean latent, and this generator has no latent_avg');
        s = s.map((t) => tf.add(avg, tf.mul(tf.sub(t, avg), psi)));
      }
      const L = this.nLatent;
      const repeat = (t: tf.Tensor, n: number) => tf.broadcastTo(t.reshape([t.shape[0]!, 1, this.styleDim]), [t.shape[0]!, n, this.styleDim]);
      let latent: tf.Tensor3D;
      if (s.length < 2) latent = (s[0]!.rank < 3 ? repeat(s[0]!, L) : s[0]!) as tf.Tensor3D;
      else {
        const inject = opts.injectIndex ?? 1 + Math.floor(Math.random() * (L - 1));
        latent = tf.concat([repeat(s[0]!, inject), repeat(s[1]!, L - inject)], 1) as tf.Tensor3D;
      }
      return this.synthesis(latent, opts);
    });
  }

  /** Mean of the mapping network over n random z (rosinality mean_latent): [D]. */
  meanLatent(n = 4096, seed = 0): tf.Tensor1D {
    return tf.tidy(() => {
      let sum = tf.zeros([this.styleDim]) as tf.Tensor1D;
      for (let done = 0; done < n; done += 1024) {
        const b = Math.min(1024, n - done);
        const z = tf.randomNormal([b, this.styleDim], 0, 1, 'float32', seed + done);
        sum = tf.add(sum, this.mapping.forward(z as tf.Tensor2D).sum(0));
      }
      return tf.div(sum, n);
    });
  }

  /** ψ-truncation towards latent_avg: avg + ψ·(w − avg), for w [B, D] or W+ [B, L, D]. */
  truncate<T extends tf.Tensor>(w: T, psi: number): T {
    if (psi === 1) return w.clone();
    if (!this.latentAvg) throw new UserError('truncation needs a mean latent, and this generator has no latent_avg');
    const avg = this.latentAvg;
    return tf.tidy(() => tf.add(avg, tf.mul(tf.sub(w, avg), psi)) as T);
  }

  /**
   * Precomputes the weight-only tensors once and marks the variables non-trainable: the form for
   * inference and for training something else through the generator (gradients still reach W+).
   */
  freeze(): this {
    if (this.frozenState) return this;
    this.mapping.freeze();
    for (const l of [this.conv1, ...this.convs]) l.freeze();
    for (const l of [this.toRgb1, ...this.toRgbs]) l.freeze();
    this.store.setTrainable(false);
    this.frozenState = true;
    return this;
  }

  /** Back to training: weight-only tensors are recomputed from the variables on every call. */
  unfreeze(): this {
    if (!this.frozenState) return this;
    this.mapping.unfreeze();
    for (const l of [this.conv1, ...this.convs]) l.unfreeze();
    for (const l of [this.toRgb1, ...this.toRgbs]) l.unfreeze();
    this.store.setTrainable(true);
    this.frozenState = false;
    return this;
  }

  get frozen(): boolean {
    return this.frozenState;
  }

  /** Loads a rosinality `g_ema` state dict (PyTorch layout). */
  loadStateDict(tensors: Record<string, TorchLikeTensor>, label: string): void {
    const wasFrozen = this.frozenState;
    if (wasFrozen) this.unfreeze();
    this.store.loadStateDict(tensors, label);
    checkBlurKernels(this.store, this.config.blurKernel, label);
    if (wasFrozen) this.freeze();
  }

  /** Weights as a rosinality `g_ema` state dict (PyTorch layout), loadable with strict=True. */
  stateDict(): ReturnType<ParamStore['stateDict']> {
    return this.store.stateDict();
  }

  /** Sets (or clears) the mean latent used for truncation, [D] or [L, D]; keeps a copy (the caller still owns `avg`). */
  setLatentAvg(avg: tf.Tensor | null): void {
    if (avg) {
      const ok = (avg.rank === 1 && avg.shape[0] === this.styleDim) || (avg.rank === 2 && avg.shape[1] === this.styleDim);
      if (!ok) throw new UserError(`latent_avg must be [${this.styleDim}] or [L, ${this.styleDim}], got [${avg.shape.join(', ')}]`);
    }
    this.latentAvg?.dispose();
    this.latentAvg = avg ? tf.keep(avg.clone()) : null;
  }

  dispose(): void {
    this.unfreeze();
    for (const t of [this.toRgb1, ...this.toRgbs]) t.dispose();
    this.store.dispose();
    this.latentAvg?.dispose();
    this.latentAvg = null;
  }
}

/**
 * The blur/upsample kernel buffers are fixed by the config (blurKernel), not learned; the forward
 * pass uses the config, so a checkpoint whose buffers disagree was built with another kernel.
 */
function checkBlurKernels(store: ParamStore, blurKernel: number[], label: string): void {
  const k1 = kernel1d(blurKernel, 2);
  for (const name of store.names()) {
    if (!name.endsWith('.blur.kernel') && !name.endsWith('.upsample.kernel')) continue;
    const got = store.get(name).dataSync();
    const bad = k1.flatMap((a) => k1.map((b) => a * b)).some((v, i) => Math.abs(v - got[i]!) > 1e-6 * Math.max(1, Math.abs(v)));
    if (bad) throw fileError(label, `'${name}' is not the blur kernel [${blurKernel.join(', ')}] of the architecture`);
  }
}
