/**
 * Training of the SynthFACS pair (issue 4 part 5): a StyleGAN2-architecture generator G and an
 * e4e-architecture encoder E, trained together on `synth pool` images whose render codes are
 * known (synthCode.ts). Supervised by default: the world's exact render parameters make it
 * possible, and an adversarial run is slow on a 2-core CPU. An optional discriminator term
 * (lambdaAdv) is added for the small features pixel losses blur away.
 *
 * Per step, for a batch of images I with codes c and fresh noise n (z = [c, n]):
 *   w      = mapping(z)                       (W: the world's factors → a style)
 *   L_gen  = MSE(G([w]*L), I)                 G renders the face from its factors
 *   W+_E   = E(I)                             (e4e: w_0 + Δ_i per row)
 *   L_rec  = MSE(G(W+_E), I)                  the inversion reconstructs the image
 *   L_lat  = MSE(W+_E, stopgrad([w]*L))       E's codes sit where the mapping puts that face
 * total = λ_gen L_gen + λ_rec L_rec + λ_lat L_lat; Adam on G (mapping included) and E.
 *
 * L_lat ties E's W+ to the mapping's W, so inversions land in the organised part of the space (AU
 * directions, smooth interpolation); L_rec lets the rows differ where that buys detail, as e4e's
 * Δ_i do. Both images go through G as one batch of 2B.
 */
import { fileError } from '../errors.js';
import { writePng } from '../io/image.js';
import { CheckpointFile } from '../nn/checkpointFile.js';
import { Adam } from '../nn/adam.js';
import { scheduledLr, type LrSchedule } from '../nn/lrSchedule.js';
import { stopGradient } from '../nn/stopGradient.js';
import { featureMse } from '../nn/featureMse.js';
import { runTraining, type TrainLoopResult } from '../nn/trainLoop.js';
import { tf } from '../runtime/tf.js';
import { batchImages } from '../estimators/imageSet.js';
import { BatchRng } from '../estimators/train.js';
import { psnr } from '../eval/psnr.js';
import { nLatent, type EncoderConfig, type GeneratorConfig } from './config.js';
import { Encoder } from './encoder.js';
import { Generator } from './generator.js';
import type { PairData } from './pairData.js';
import { SYNTH_CODE_DIM } from './synthCode.js';
import { Discriminator, type DiscriminatorConfig } from './discriminator.js';
import { dLogisticLoss, gNonSaturatingLoss, r1Estimate } from './adversarial.js';
import { storeModel } from './trainable.js';
import { emaBeta, pairModelNames, pairModelTensors, WeightEma } from './weightEma.js';

export interface PairConfig {
  generator: GeneratorConfig;
  encoder: EncoderConfig;
  batch: number;
  /** Faces per step also rendered from the mapping's w (L_gen). */
  genBatch: number;
  lr: number;
  beta1: number;
  beta2: number;
  seed: number;
  lambdaGen: number;
  lambdaRec: number;
  lambdaLat: number;
  /**
   * Train E alone against a fixed G (a late phase: once G can render a face far better than E
   * inverts it, G's updates only slow E down). Absent in runs that train both.
   */
  freezeGenerator?: boolean;
  /**
   * Weight of a perceptual term on the reconstructions: feature MSE in a frozen face network's
   * trunk (`PairTrainOptions.features`; F_pre, whose features separate AU intensities). Pixel MSE
   * alone settles for blurry faces whose small AU details (brows, lids, lip corners) are averaged
   * away. Absent in runs without it.
   */
  lambdaFeat?: number;
  /**
   * Weight of an AU-consistency term: the frozen F_pre's predicted AU change from I to G(E(I)),
   * which should be zero (`PairTrainOptions.auDelta`). It asks for exactly what the editor needs of
   * a reconstruction — the same AU intensities — with the training-side network, never H_est (which
   * evaluates). Absent in runs without it.
   */
  lambdaAu?: number;
  /**
   * K of the AU-region pixel weighting: both pixel losses weigh pixel p by 1 + K·map(p), scaled to
   * mean 1, with the map of where the AUs change a face (src/synth/auRegionMap.ts; the weights come
   * in as `PairTrainOptions.pixelWeights`). Absent in runs without it.
   */
  regionWeight?: number;
  /**
   * Weight of StyleGAN2's non-saturating adversarial loss on the reconstructions G(E(I)) (the first
   * advBatch of each batch), judged by a discriminator trained beside the pair with the logistic
   * loss (adversarial.ts). Pixel losses average the small, position-varying AU
   * features (brows, lids, lip corners) into a smear; a discriminator penalises the smear itself.
   * Absent in runs without it.
   */
  lambdaAdv?: number;
  /**
   * The discriminator's learning rate as a multiple of lr (StyleGAN2 trains D at 0.002 like G;
   * continuing a pair at a lower lr would leave a fresh D near chance for hundreds of steps).
   */
  dLrMul?: number;
  /**
   * The generator's learning rate (mapping included) as a multiple of lr. G's weights are
   * equalised (unit-scale, with the 1/√fan-in applied at run time), so Adam's steps of size lr move
   * them lr relative to their scale; E's plain PyTorch-style weights of scale 1/√fan-in move
   * √fan-in times faster at the same lr. A rate E tolerates leaves G crawling. Absent: 1.
   */
  gLrMul?: number;
  /** The discriminator's architecture (with lambdaAdv; synthfacsDiscriminatorConfig by default). */
  discriminator?: DiscriminatorConfig;
  /**
   * Images of each kind (real, reconstructed) the discriminator judges per step, the first of the
   * batch: D costs about as much per image as G and E together, so it sees part of each batch.
   */
  advBatch?: number;
  /**
   * Half-life, in training images, of an exponential moving average of G's and E's weights
   * (StyleGAN2's g_ema; weightEma.ts). The averaged pair is what validation, previews, exports and
   * the finished model use; the live weights keep training at the full rate. Absent: none.
   */
  emaImages?: number;
  /** γ of the R1 penalty on real images, γ/2 · R1 (rosinality's r1; estimated, adversarial.ts). Absent: none. */
  r1?: number;
  /** R1 every N steps, weighted ×N (rosinality's lazy regularisation, d_reg_every = 16). */
  r1Every?: number;
}

/**
 * The default discriminator for the 64-px pair: rosinality's layout at the generator's widths
 * (32 channels at 64 px up to 128 at 4–16 px), about as costly per image as G.
 */
export function synthfacsDiscriminatorConfig(): DiscriminatorConfig {
  return { size: 64, channels: { '4': 128, '8': 128, '16': 128, '32': 64, '64': 32 }, blurKernel: [1, 3, 3, 1], stddevGroup: 4, stddevFeat: 1 };
}

/**
 * The embedded default: 64 px (10 W+ rows), widths sized for a 2-core CPU (about 20 ms per
 * encode + generate at batch 1), a 4-layer mapping at full learning rate (the StyleGAN 0.01
 * multiplier is for adversarial stability and would slow supervised training 100×).
 */
export function synthfacsPairConfig(): PairConfig {
  return {
    generator: { size: 64, styleDim: 512, nMlp: 4, lrMlp: 1, channels: { '4': 128, '8': 128, '16': 128, '32': 64, '64': 32 }, blurKernel: [1, 3, 3, 1] },
    encoder: {
      inputSize: 64,
      mode: 'ir_se',
      units: [2, 2, 2, 2],
      widths: [16, 32, 64, 128],
      seReduction: 16,
      styleDim: 512,
      blockWidth: 64,
      styleCount: 10,
      coarseInd: 3,
      middleInd: 7,
      structure: 'e4e',
      progressiveStage: 18,
    },
    batch: 16,
    genBatch: 8,
    lr: 1e-3,
    beta1: 0.9,
    beta2: 0.99,
    seed: 1,
    lambdaGen: 1,
    lambdaRec: 1,
    lambdaLat: 0.1,
  };
}

export interface PairTrainOptions {
  config: PairConfig;
  train: PairData;
  /** Held-out identities for the PSNR logged at each checkpoint and the preview grid. */
  val: PairData;
  outDir: string;
  steps: number;
  resume?: boolean;
  checkpointEvery?: number;
  onStep?: (step: number, logs: Record<string, number>) => void;
  onCheckpoint?: (step: number, val: PairValidation) => void | Promise<void>;
  stopAfter?: number;
  /** Frozen feature extractor for lambdaFeat: images [-1, 1] → feature maps. */
  features?: (x: tf.Tensor4D) => tf.Tensor4D[];
  /** Frozen AU-difference network for lambdaAu: (a, b) → predicted intensity change [B, 12]. */
  auDelta?: (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor2D;
  /** Per-pixel weights [size × size] of the pixel losses, for regionWeight (regionPixelWeights). */
  pixelWeights?: Float32Array;
  /** Initial weights for a new run (not a resume): see pairInit. */
  init?: PairInit;
  /** Learning-rate schedule (not part of the config, so a run can be extended or re-scheduled). */
  schedule?: LrSchedule;
  /**
   * Ramp the learning rate linearly over this optimizer's first N steps (Adam's own count: fresh
   * after --init, restored on resume). Adam's first steps move every weight by about lr at once;
   * from trained weights that costs 1–3 dB that take ~100 steps to win back (docs/decisions.md).
   */
  warmup?: number;
}

/**
 * Weights a new run starts from: an earlier run's checkpoint (its parameters; the Adam moments are
 * not taken: the new run may train other parameters or with other weights) or exported
 * generator/encoder files, whose folded latent_avg is unfolded back into the encoder.
 */
export interface PairInit {
  path: string;
  /** Steps the weights had already trained; the new run counts on from here. */
  step: number;
  load(g: Generator, e: Encoder): void;
}

export interface PairValidation {
  step: number;
  /** Mean per-image PSNR (dB, [0, 1] images) of G(E(I)) and of G(mapping(z)); the averaged weights' with emaImages. */
  psnrRec: number;
  psnrGen: number;
  images: number;
  /** With emaImages: the live (not averaged) weights' G(E(I)) PSNR, to see what the average buys. */
  psnrRecLive?: number;
}

/** The share of the learning rate at the optimizer's n-th step (1-based) under a linear warmup of `steps`. */
export function warmupFactor(n: number, steps: number | undefined): number {
  if (!steps) return 1;
  if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`warmup must be a positive integer of steps, got ${steps}`);
  return Math.min(1, n / steps);
}

/** Standard normals from a resumable uniform stream (Box–Muller). */
function normals(rng: BatchRng, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(rng.next(), 1e-12), v = rng.next();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** z = [code, noise] for the given rows of a data set. */
export function pairZ(data: PairData, idx: readonly number[], styleDim: number, noise: (n: number) => Float32Array): tf.Tensor2D {
  const z = new Float32Array(idx.length * styleDim);
  const extra = styleDim - SYNTH_CODE_DIM;
  idx.forEach((i, b) => {
    z.set(data.codes.subarray(i * SYNTH_CODE_DIM, (i + 1) * SYNTH_CODE_DIM), b * styleDim);
    z.set(noise(extra), b * styleDim + SYNTH_CODE_DIM);
  });
  return tf.tensor2d(z, [idx.length, styleDim]);
}

/**
 * The noise entries of z for validation and previews: a fixed N(0, 1) stream, the same at every
 * call. Not zeros: training never feeds zero noise, and PixelNorm rescales a z whose noise entries
 * are 0 by about 3×, so a zero-noise render measures a code the mapping never learnt (it read
 * 14.8 dB where N(0, 1) noise reads 19 dB on the same checkpoint).
 */
export function validationNoise(seed = 0x5eed): (n: number) => Float32Array {
  const rng = new BatchRng(seed);
  return (n) => normals(rng, n);
}

export function broadcastW(w: tf.Tensor2D, rows: number): tf.Tensor3D {
  return tf.tile(w.expandDims(1), [1, rows, 1]) as tf.Tensor3D;
}

/** Per-image PSNR of two [-1, 1] NHWC batches. */
export function batchPsnr(a: tf.Tensor4D, b: tf.Tensor4D): number[] {
  const [B, H, W, C] = a.shape;
  const n = H * W * C;
  const da = a.dataSync(), db = b.dataSync();
  const out: number[] = [];
  for (let i = 0; i < B; i++) {
    const x = new Float32Array(n), y = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      x[k] = Math.min(1, Math.max(0, (da[i * n + k]! + 1) / 2));
      y[k] = Math.min(1, Math.max(0, (db[i * n + k]! + 1) / 2));
    }
    out.push(psnr(x, y));
  }
  return out;
}

/** G(E(I)) and G(mapping(code)) for up to `limit` images, in chunks, in inference mode. */
export function validatePair(g: Generator, e: Encoder, data: PairData, limit = 256, chunk = 32, o: { mappingPath?: boolean } = {}): { psnrRec: number; psnrGen: number; images: number } {
  const mappingPath = o.mappingPath ?? true;
  const n = Math.min(limit, data.images.count);
  // spread over the identities rather than the first few
  const idx = Array.from({ length: n }, (_, i) => Math.floor((i * data.images.count) / n));
  const rec: number[] = [], gen: number[] = [];
  const noise = validationNoise();
  for (let s = 0; s < n; s += chunk) {
    const part = idx.slice(s, s + chunk);
    tf.tidy(() => {
      const x = batchImages(data.images, part);
      const wE = e.encode(x);
      rec.push(...batchPsnr(g.synthesis(wE, { noise: 'const', mode: 'shared' }), x));
      if (!mappingPath) return;
      const w = g.mapping.forward(pairZ(data, part, g.styleDim, noise));
      gen.push(...batchPsnr(g.synthesis(broadcastW(w, g.nLatent), { noise: 'const', mode: 'shared' }), x));
    });
  }
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  return { psnrRec: mean(rec), psnrGen: mappingPath ? mean(gen) : NaN, images: n };
}

/** A grid of up to 8 columns: originals, E→G reconstructions, mapping renders. */
export async function writePairPreview(path: string, g: Generator, e: Encoder, data: PairData, columns = 8): Promise<void> {
  const n = Math.min(columns, data.images.count);
  const idx = Array.from({ length: n }, (_, i) => Math.floor((i * data.images.count) / n));
  const grid = tf.tidy(() => {
    const x = batchImages(data.images, idx);
    const rec = g.synthesis(e.encode(x), { noise: 'const', mode: 'shared' });
    const gen = g.synthesis(broadcastW(g.mapping.forward(pairZ(data, idx, g.styleDim, validationNoise())), g.nLatent), { noise: 'const', mode: 'shared' });
    const S = data.images.size;
    // [3 rows, n, S, S, 3] → [3·S, n·S, 3]
    const rows = tf.stack([x, rec, gen]).clipByValue(-1, 1);
    return rows.transpose([0, 2, 1, 3, 4]).reshape([3 * S, n * S, 3]).add(1).mul(127.5).round();
  });
  const data8 = Uint8Array.from(grid.dataSync());
  const [H, W] = grid.shape;
  grid.dispose();
  await writePng(path, { width: W!, height: H!, data: data8 });
}

/**
 * Trains the pair. With emaImages the returned generator and encoder are the averaged ones (what a
 * finished run ships) and `live` holds the trained weights; without, `live` is null.
 */
export async function trainPair(o: PairTrainOptions): Promise<{ generator: Generator; encoder: Encoder; discriminator: Discriminator | null; live: { generator: Generator; encoder: Encoder } | null; result: TrainLoopResult }> {
  const c = o.config;
  const g = new Generator(c.generator, { seed: c.seed });
  const e = new Encoder(c.encoder, { seed: c.seed + 1 });
  const L = nLatent(c.generator.size);
  if (c.encoder.styleCount !== L) throw new Error(`encoder styleCount ${c.encoder.styleCount} ≠ generator W+ rows ${L}`);
  const rng = new BatchRng(c.seed ^ 0x2545f491);
  const count = o.train.images.count;
  const optimizer = new Adam({ lr: c.lr, beta1: c.beta1, beta2: c.beta2 });
  if (o.init && !o.resume) o.init.load(g, e);
  if (c.freezeGenerator) g.store.setTrainable(false);
  const lambdaFeat = c.lambdaFeat ?? 0;
  if (lambdaFeat > 0 && !o.features) throw new Error('lambdaFeat > 0 needs a feature network (PairTrainOptions.features)');
  const lambdaAu = c.lambdaAu ?? 0;
  if (lambdaAu > 0 && !o.auDelta) throw new Error('lambdaAu > 0 needs an AU-difference network (PairTrainOptions.auDelta)');
  const regionWeight = c.regionWeight ?? 0;
  const S = c.generator.size;
  if (regionWeight > 0 && !o.pixelWeights) throw new Error('regionWeight > 0 needs the per-pixel weights (PairTrainOptions.pixelWeights)');
  if (o.pixelWeights && o.pixelWeights.length !== S * S) throw new Error(`pixelWeights has ${o.pixelWeights.length} values, the pair's images ${S}×${S}`);
  const lambdaAdv = c.lambdaAdv ?? 0;
  const r1 = c.r1 ?? 0;
  const advBatch = c.advBatch ?? c.batch;
  const r1Every = c.r1Every ?? 1;
  if (!(Number.isInteger(r1Every) && r1Every >= 1)) throw new Error(`r1Every must be a positive integer, got ${r1Every}`);
  if (!(lambdaAdv >= 0) || !(r1 >= 0)) throw new Error(`lambdaAdv and r1 must be ≥ 0, got ${lambdaAdv} and ${r1}`);
  if (r1 > 0 && lambdaAdv === 0) throw new Error('r1 regularises the discriminator, which only exists with lambdaAdv > 0');
  const d = lambdaAdv > 0 ? new Discriminator(c.discriminator ?? synthfacsDiscriminatorConfig(), { seed: c.seed + 2 }) : null;
  if (d) {
    if (d.config.size !== S) throw new Error(`the discriminator takes ${d.config.size}-px images, the generator makes ${S}-px ones`);
    if (!(advBatch >= 1 && advBatch <= c.batch && Number.isInteger(advBatch)) || advBatch % Math.min(d.config.stddevGroup, advBatch) !== 0) {
      throw new Error(`advBatch must be an integer in 1…batch (${c.batch}) and a multiple of the discriminator's minibatch-stddev group ${d.config.stddevGroup}, got ${advBatch}`);
    }
  }
  if (d && c.dLrMul !== undefined) optimizer.setLrMultiplier(d.trainableVariables(), c.dLrMul);
  if (c.gLrMul !== undefined) {
    if (!(c.gLrMul > 0) || !Number.isFinite(c.gLrMul)) throw new Error(`gLrMul must be a positive number, got ${c.gLrMul}`);
    optimizer.setLrMultiplier(g.trainableVariables(), c.gLrMul);
  }
  // built after every option check, so that a refused option leaves no shadow network behind
  let ema: { g: Generator; e: Encoder; steps: WeightEma[] } | null = null;
  if (c.emaImages !== undefined) {
    const beta = emaBeta(c.emaImages, c.batch);
    const gs = new Generator(c.generator, { seed: c.seed }), es = new Encoder(c.encoder, { seed: c.seed + 1 });
    // from the starting weights (a resume then overwrites them with the checkpoint's average)
    const steps = [new WeightEma(g.store, gs.store, beta), new WeightEma(e.store, es.store, beta)];
    for (const s of steps) s.copy();
    ema = { g: gs, e: es, steps };
  }
  const pixelW = regionWeight > 0 ? tf.keep(tf.tensor4d(o.pixelWeights!, [1, S, S, 1])) : null;
  const pixelMse = (a: tf.Tensor4D, b: tf.Tensor4D): tf.Scalar =>
    pixelW ? (tf.mean(tf.mul(tf.square(tf.sub(a, b)), pixelW)) as tf.Scalar) : (tf.losses.meanSquaredError(a, b) as tf.Scalar);
  const loss = (step: number) => {
    const idx = Array.from({ length: c.batch }, () => rng.int(count));
    const x = batchImages(o.train.images, idx);
    const w = g.mapping.forward(pairZ(o.train, idx, c.generator.styleDim, (n) => normals(rng, n)));
    const wMap = broadcastW(w, L);
    const wE = e.forward(x, { training: true });
    // the mapping path renders only the first genBatch faces: it teaches G the mapping's W, the
    // encoder path (every face) is what reconstruction quality rests on
    const nGen = Math.min(c.genBatch, c.batch);
    let lossGen: tf.Scalar, imgRec: tf.Tensor4D;
    if (nGen > 0) {
      const img = g.synthesis(tf.concat([wMap.slice(0, nGen), wE], 0), { noise: 'const', mode: 'shared' });
      const [imgGen, rec] = tf.split(img, [nGen, c.batch], 0) as [tf.Tensor4D, tf.Tensor4D];
      lossGen = pixelMse(x.slice(0, nGen), imgGen);
      imgRec = rec;
    } else {
      imgRec = g.synthesis(wE, { noise: 'const', mode: 'shared' });
      lossGen = tf.scalar(0);
    }
    const lossRec = pixelMse(x, imgRec);
    const lossLat = tf.losses.meanSquaredError(stopGradient(wMap), wE) as tf.Scalar;
    const terms = [lossGen.mul(c.lambdaGen), lossRec.mul(c.lambdaRec), lossLat.mul(c.lambdaLat)];
    const parts: Record<string, tf.Scalar> = { gen: lossGen, rec: lossRec, lat: lossLat };
    if (lambdaFeat > 0) {
      parts['feat'] = featureMse(o.features!(imgRec), o.features!(x).map((f) => stopGradient(f)));
      terms.push(parts['feat'].mul(lambdaFeat));
    }
    if (lambdaAu > 0) {
      parts['au'] = tf.mean(tf.square(o.auDelta!(x, imgRec))) as tf.Scalar;
      terms.push(parts['au'].mul(lambdaAu));
    }
    if (d) {
      // one sum, two games: D's weights see only its own loss (G's images enter it without a
      // gradient), G sees D's verdict through a forward pass whose weights are detached
      const real = x.slice(0, advBatch);
      const fake = imgRec.slice(0, advBatch);
      // two passes, as the reference: the minibatch-stddev feature must compare reals with reals
      const realLogits = d.forward(real);
      const fakeLogits = d.forward(stopGradient(fake));
      parts['d'] = dLogisticLoss(realLogits, fakeLogits);
      parts['dReal'] = tf.mean(realLogits) as tf.Scalar;
      parts['dFake'] = tf.mean(fakeLogits) as tf.Scalar;
      parts['adv'] = gNonSaturatingLoss(d.forward(fake, { detach: true }));
      terms.push(parts['d'], parts['adv'].mul(lambdaAdv));
      // step is the number of steps done before this one
      if (r1 > 0 && step % r1Every === 0) {
        const u = tf.tensor4d(normals(rng, real.size), real.shape);
        parts['r1'] = r1Estimate((t) => d.forward(t), real, u);
        terms.push(parts['r1'].mul((r1 / 2) * r1Every));
      }
    }
    return { total: tf.addN(terms) as tf.Scalar, parts };
  };
  let result: TrainLoopResult;
  try {
    result = await runTraining({
      dir: o.outDir,
      totalSteps: o.steps,
      checkpointEvery: o.checkpointEvery ?? 250,
      models: {
        generator: storeModel(g.store),
        encoder: storeModel(e.store),
        ...(d ? { discriminator: storeModel(d.store) } : {}),
        ...(ema ? { generatorEma: ema.steps[0]!.model(), encoderEma: ema.steps[1]!.model() } : {}),
      },
      optimizer,
      rngs: { batches: rng },
      // the step count is left out so that a run can be extended with --steps N --resume
      config: c as unknown as Record<string, unknown>,
      resume: o.resume,
      startStep: o.init?.step,
      lrAt: o.schedule || o.warmup ? (step) => scheduledLr(c.lr, o.schedule, step) * warmupFactor(optimizer.step + 1, o.warmup) : undefined,
      info: { ...(o.init ? { init: o.init.path, initStep: o.init.step } : {}), ...(o.schedule ? { schedule: o.schedule } : {}) },
      loss,
      // the average moves after the optimizer's step and before a checkpoint can be written
      onStep: ema
        ? (step, logs) => {
            for (const s of ema!.steps) s.update();
            o.onStep?.(step, logs);
          }
        : o.onStep,
      stopAfter: o.stopAfter,
      onCheckpoint: async (step) => {
        const [vg, ve] = ema ? [ema.g, ema.e] : [g, e];
        const v: PairValidation = { step, ...validatePair(vg, ve, o.val) };
        if (ema) v.psnrRecLive = validatePair(g, e, o.val, 256, 32, { mappingPath: false }).psnrRec;
        await writePairPreview(`${o.outDir}/preview.png`, vg, ve, o.val);
        await o.onCheckpoint?.(step, v);
      },
    });
  } catch (err) {
    if (ema) for (const m of [ema.g, ema.e]) m.dispose();
    throw err;
  } finally {
    pixelW?.dispose();
  }
  if (!ema) return { generator: g, encoder: e, discriminator: d, live: null, result };
  return { generator: ema.g, encoder: ema.e, discriminator: d, live: { generator: g, encoder: e }, result };
}

/**
 * Makes the trained pair look like an official one: the generator's latent_avg is the mean w of
 * random z (for truncation), and the encoder gets the same latent_avg with its first style
 * block's bias lowered by it, so `encode` (codes + latent_avg) returns exactly what it did.
 */
export function finalizePair(g: Generator, e: Encoder, samples = 4096, seed = 12345): void {
  const avg = tf.tidy(() => g.mapping.forward(tf.randomNormal([samples, g.styleDim], 0, 1, 'float32', seed) as tf.Tensor2D).mean(0));
  g.latentAvg?.dispose();
  g.latentAvg = avg;
  const bias = e.store.get('styles.0.linear.bias');
  // the block's EqualLinear has lr_mul 1, so the stored bias is the applied bias
  tf.tidy(() => bias.assign(bias.sub(avg)));
  e.setLatentAvg(avg);
}

/**
 * The pair as it stands in a `train pair` checkpoint, finalised like a finished run (latent_avg set
 * and folded out of the encoder), without touching the run: ships or evaluates a pair mid-training.
 */
export function pairFromCheckpoint(file: string): { generator: Generator; encoder: Encoder; step: number; config: PairConfig } {
  const f = CheckpointFile.open(file);
  try {
    const raw = f.metadata['config'];
    if (!raw) throw fileError(file, 'has no training config in its metadata (not a `train pair` checkpoint)');
    const config = JSON.parse(raw) as PairConfig;
    if (!config.generator || !config.encoder) throw fileError(file, 'its training config has no generator/encoder (not a `train pair` checkpoint)');
    const g = new Generator(config.generator, { seed: config.seed });
    const e = new Encoder(config.encoder, { seed: config.seed + 1 });
    try {
      const names = pairModelNames(f.keys());
      for (const [prefix, model] of [[names.generator, storeModel(g.store)], [names.encoder, storeModel(e.store)]] as const) {
        model.loadTorch(file, pairModelTensors((k) => (f.has(k) ? f.get(k) : undefined), file, prefix, model.names()));
      }
      finalizePair(g, e);
    } catch (err) {
      g.dispose();
      e.dispose();
      throw err;
    }
    return { generator: g, encoder: e, step: Number(f.metadata['step']), config };
  } finally {
    f.close();
  }
}
