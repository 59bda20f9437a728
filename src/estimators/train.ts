import { Adam } from '../nn/adam.js';
import { scheduledLr, type LrSchedule } from '../nn/lrSchedule.js';
import { runTraining, type Resumable, type TrainLoopResult } from '../nn/trainLoop.js';
import { tf } from '../runtime/tf.js';
import { type FpreConfig, fpreForward } from './fpre.js';
import { type HestConfig, hestForward, hestHead, hestHidden } from './hest.js';
import { arcConfigFor } from './idTraining.js';
import { type IdNetConfig, idForward } from './idnet.js';
import { batchImages, batchLabels, indicesByGroup, LABELS_PER_IMAGE, type ImageSet } from './imageSet.js';
import { buildEstimator, type Estimator, type EstimatorConfig, type EstimatorKind } from './model.js';
import { Params } from '../nn/params.js';
import { subjectLoss } from './subjectAdversary.js';

/** A resumable uniform stream (splitmix32), so batches continue exactly after --resume. */
export class BatchRng implements Resumable {
  constructor(private state: number) {}
  next(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return ((z ^ (z >>> 15)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  getState(): number {
    return this.state;
  }
  setState(s: number): void {
    this.state = s >>> 0;
  }
}

export interface EstimatorTrainOptions {
  kind: EstimatorKind;
  config: EstimatorConfig;
  train: ImageSet;
  outDir: string;
  steps: number;
  batch: number;
  lr: number;
  seed: number;
  resume?: boolean;
  checkpointEvery?: number;
  onStep?: (step: number, logs: Record<string, number>) => void;
  stopAfter?: number;
  /** Random left–right mirroring (default on: AUs are bilateral and identities mirror-invariant). */
  flip?: boolean;
  /**
   * Photometric and geometric jitter per image (see `jitter`); off by default so runs started
   * without it resume unchanged. Meant for H_est, which overfits the 18 training faces without it.
   */
  jitter?: boolean;
  /** Per-image scale (each axis on its own) and shift resampling (see `affine`); off by default, as `jitter`. */
  affine?: boolean;
  /** Per-image blur of random strength (see `blur`); off by default, as `jitter`. */
  blur?: boolean;
  /**
   * H_est only: half of each batch drawn as "an AU at random, then a frame where it is active", so
   * AUs active in 1–3 % of frames are seen in every batch (see `balancedSampler`).
   */
  balance?: boolean;
  /** Learning-rate schedule, kept out of the compared config so a run can be extended and given a late decay. */
  schedule?: LrSchedule;
  /**
   * H_est only: weight λ of a subject adversary on the hidden features (see `subjectAdversary.ts`);
   * the trunk gets its gradient reversed and scaled by λ. Absent or 0: no adversary.
   */
  subjectAdversary?: number;
}

/**
 * Per image: a shift of up to ±3 px (edge-replicated border), per-channel gains in [0.85, 1.15]
 * and an offset in [−0.1, 0.1] (on the [−1, 1] scale). The test subjects differ from the training
 * ones in colouring and framing; the AU appearance does not change under any of these.
 */
export function jitter(x: tf.Tensor4D, rng: BatchRng, maxShift = 3): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  const gains = Float32Array.from({ length: B * C }, () => 0.85 + 0.3 * rng.next());
  const offsets = Float32Array.from({ length: B }, () => -0.1 + 0.2 * rng.next());
  const shifts = Array.from({ length: B }, () => [rng.int(2 * maxShift + 1), rng.int(2 * maxShift + 1)] as const);
  const edge = edgePad(x, maxShift);
  const moved = tf.concat(
    shifts.map(([dy, dx], b) => edge.slice([b, dy, dx, 0], [1, H, W, C])),
    0,
  ) as tf.Tensor4D;
  return tf.add(tf.mul(moved, tf.tensor4d(gains, [B, 1, 1, C])), tf.tensor4d(offsets, [B, 1, 1, 1])) as tf.Tensor4D;
}

/**
 * Per image: a zoom in [0.92, 1.10] on each axis separately (wider/narrower, taller/shorter faces)
 * and a shift of up to ±2 px, bilinear, with edge-replicated borders. Identities differ in face
 * width, feature sizes and placement; an AU's appearance is the same shape change at any of them.
 */
export function affine(x: tf.Tensor4D, rng: BatchRng, zoom: readonly [number, number] = [0.92, 1.1], maxShift = 2): tf.Tensor4D {
  const [B, H, W] = x.shape;
  const p = 6;
  const padded = edgePad(x, p);
  const PH = H + 2 * p - 1, PW = W + 2 * p - 1;
  const boxes: number[][] = [];
  for (let b = 0; b < B; b++) {
    const sy = zoom[0] + (zoom[1] - zoom[0]) * rng.next(), sx = zoom[0] + (zoom[1] - zoom[0]) * rng.next();
    const cy = p + (H - 1) / 2 + maxShift * (2 * rng.next() - 1), cx = p + (W - 1) / 2 + maxShift * (2 * rng.next() - 1);
    const hy = (H - 1) / (2 * sy), hx = (W - 1) / (2 * sx);
    boxes.push([(cy - hy) / PH, (cx - hx) / PW, (cy + hy) / PH, (cx + hx) / PW]);
  }
  return tf.image.cropAndResize(padded, tf.tensor2d(boxes, [B, 4]), tf.range(0, B, 1, 'int32') as tf.Tensor1D, [H, W], 'bilinear') as tf.Tensor4D;
}

/**
 * Per image: a blend (1 − t)·x + t·G_σ(x) with t uniform in [0, 1] and G_σ a Gaussian blur of
 * σ = 1.5 px (edge-replicated borders), i.e. a low-pass of random strength. H_est reads generated
 * faces, which are softer than the renders it trains on; without this its ICC falls from 0.52 to
 * 0.26 on test frames blurred at σ = 1.5 (docs/decisions.md).
 */
export function blur(x: tf.Tensor4D, rng: BatchRng, sigma = 1.5): tf.Tensor4D {
  const [B, , , C] = x.shape;
  const r = Math.ceil(2.5 * sigma);
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const sum = k.reduce((a, b) => a + b, 0);
  const taps = k.flatMap((v) => new Array<number>(C).fill(v / sum));
  const soft = tf.depthwiseConv2d(
    tf.depthwiseConv2d(edgePad(x, r), tf.tensor4d(taps, [1, 2 * r + 1, C, 1]), 1, 'valid'),
    tf.tensor4d(taps, [2 * r + 1, 1, C, 1]),
    1,
    'valid',
  );
  const t = tf.tensor4d(Float32Array.from({ length: B }, () => rng.next()), [B, 1, 1, 1]);
  return tf.add(tf.mul(x, tf.sub(1, t)), tf.mul(soft, t)) as tf.Tensor4D;
}

/**
 * Frame indices for H_est batches: with probability ½ a uniform frame, else an AU drawn uniformly
 * from those active (label ≥ 1) somewhere in the set, then a uniform frame where it is active.
 */
export function balancedSampler(labels: Float32Array, count: number, rng: BatchRng): () => number {
  const active: number[][] = Array.from({ length: LABELS_PER_IMAGE }, () => []);
  for (let i = 0; i < count; i++) for (let j = 0; j < LABELS_PER_IMAGE; j++) if (labels[i * LABELS_PER_IMAGE + j]! >= 1) active[j]!.push(i);
  const lists = active.filter((l) => l.length > 0);
  return () => {
    if (lists.length === 0 || rng.next() < 0.5) return rng.int(count);
    const l = lists[rng.int(lists.length)]!;
    return l[rng.int(l.length)]!;
  };
}

/** The subject head, built so its parameters exist before the optimizer and the checkpoint see them. */
function buildAdversary(seed: number, hidden: number, subjects: number): Params {
  const p = new Params(seed ^ 0x2c1b3c6d);
  tf.tidy(() => subjectLoss(p, tf.zeros([2, hidden]) as tf.Tensor2D, [0, 1], subjects, 1));
  return p;
}

/** x padded by p pixels on each side with its edge rows and columns repeated. */
function edgePad(x: tf.Tensor4D, p: number): tf.Tensor4D {
  const [, H, W] = x.shape;
  const top = tf.tile(x.slice([0, 0, 0, 0], [-1, 1, -1, -1]), [1, p, 1, 1]);
  const bottom = tf.tile(x.slice([0, H - 1, 0, 0], [-1, 1, -1, -1]), [1, p, 1, 1]);
  const tall = tf.concat([top, x, bottom], 1) as tf.Tensor4D;
  const left = tf.tile(tall.slice([0, 0, 0, 0], [-1, -1, 1, -1]), [1, 1, p, 1]);
  const right = tf.tile(tall.slice([0, 0, W - 1, 0], [-1, -1, 1, -1]), [1, 1, p, 1]);
  return tf.concat([left, tall, right], 2) as tf.Tensor4D;
}

/**
 * Mirrors half of each batch left–right: the networks are used on generated faces whose pose and
 * symmetry differ slightly from the training frames, and AU labels and identities do not change
 * under a mirror.
 */
function mirror(x: tf.Tensor4D, rng: BatchRng): tf.Tensor4D {
  const flips = Array.from({ length: x.shape[0] }, () => rng.next() < 0.5);
  if (!flips.some(Boolean)) return x;
  const mask = tf.tensor4d(flips.map((f) => (f ? 1 : 0)), [x.shape[0], 1, 1, 1]);
  return x.mul(tf.sub(1, mask)).add(tf.reverse(x, 2).mul(mask));
}

export async function trainEstimator(o: EstimatorTrainOptions): Promise<{ estimator: Estimator; result: TrainLoopResult }> {
  const classes = o.kind === 'fid' || o.kind === 'idmetric' ? o.train.groupNames.length : undefined;
  const est = buildEstimator(o.kind, o.config, o.train.size, o.seed, classes);
  const rng = new BatchRng(o.seed ^ 0x5bd1e995);
  const byGroup = indicesByGroup(o.train).filter((g) => g.length >= 2);
  const arc = classes ? arcConfigFor(o.kind, classes) : null;
  const augment = (x: tf.Tensor4D, r: BatchRng) => {
    let m = o.flip === false ? x : mirror(x, r);
    if (o.affine) m = affine(m, r);
    if (o.blur) m = blur(m, r);
    return o.jitter ? jitter(m, r) : m;
  };
  if (o.balance && o.kind !== 'hest') throw new Error('balance applies to H_est only');
  const pick = o.balance ? balancedSampler(o.train.labels!, o.train.count, rng) : () => rng.int(o.train.count);
  const sample = () => Array.from({ length: o.batch }, pick);
  const lambdaAdv = o.subjectAdversary ?? 0;
  if (lambdaAdv !== 0 && o.kind !== 'hest') throw new Error('subjectAdversary applies to H_est only');
  if (!(Number.isFinite(lambdaAdv) && lambdaAdv >= 0)) throw new RangeError(`subjectAdversary must be a finite number ≥ 0, got ${lambdaAdv}`);
  const subjects = o.train.groupNames.length;
  if (lambdaAdv > 0 && subjects < 2) throw new RangeError(`a subject adversary needs at least 2 training subjects, the set has ${subjects}`);
  const adv = lambdaAdv > 0 ? buildAdversary(o.seed, (o.config as HestConfig).hidden, subjects) : null;
  const loss = (): { total: tf.Scalar; parts?: Record<string, tf.Scalar> } => {
    if (o.kind === 'hest') {
      const idx = sample();
      const cfg = o.config as HestConfig;
      const x = augment(batchImages(o.train, idx), rng);
      if (!adv) return { total: tf.losses.meanSquaredError(batchLabels(o.train, idx), hestForward(est.params, cfg, x, true)) as tf.Scalar };
      const z = hestHidden(est.params, '', cfg, x, true);
      const au = tf.losses.meanSquaredError(batchLabels(o.train, idx), hestHead(est.params, '', cfg, z)) as tf.Scalar;
      const who = subjectLoss(adv, z, idx.map((i) => o.train.groups[i]!), subjects, lambdaAdv);
      return { total: au.add(who), parts: { au, subject: who } };
    }
    if (o.kind === 'fpre') {
      // same-subject pairs: F_pre only ever compares two frames of one face
      const a: number[] = [], b: number[] = [];
      for (let i = 0; i < o.batch; i++) {
        const g = byGroup[rng.int(byGroup.length)]!;
        a.push(g[rng.int(g.length)]!);
        b.push(g[rng.int(g.length)]!);
      }
      const out = fpreForward(est.params, o.config as FpreConfig, augment(batchImages(o.train, a), rng), augment(batchImages(o.train, b), rng), true);
      const target = batchLabels(o.train, b).sub(batchLabels(o.train, a));
      return { total: tf.losses.meanSquaredError(target, out.delta) as tf.Scalar };
    }
    const idx = sample();
    const e = idForward(est.params, o.config as IdNetConfig, augment(batchImages(o.train, idx), rng), true);
    const y = tf.tensor1d(idx.map((i) => o.train.groups[i]!), 'int32');
    return { total: arc!.lossOn(est.params, e, y) };
  };
  const optimizer = new Adam({ lr: o.lr });
  const result = await runTraining({
    dir: o.outDir,
    totalSteps: o.steps,
    checkpointEvery: o.checkpointEvery ?? 200,
    models: adv ? { [o.kind]: est.params, adversary: adv } : { [o.kind]: est.params },
    optimizer,
    rngs: { batches: rng },
    // the step count is left out so that a resume may extend a run
    config: { kind: o.kind, config: o.config, batch: o.batch, lr: o.lr, seed: o.seed, flip: o.flip !== false, ...(o.jitter ? { jitter: true } : {}), ...(o.affine ? { affine: true } : {}), ...(o.blur ? { blur: true } : {}), ...(o.balance ? { balance: true } : {}), ...(lambdaAdv > 0 ? { subjectAdversary: lambdaAdv } : {}), images: o.train.count, groups: o.train.groupNames.length },
    resume: o.resume,
    lrAt: o.schedule ? (step) => scheduledLr(o.lr, o.schedule, step) : undefined,
    info: o.schedule ? { schedule: o.schedule } : undefined,
    loss,
    onStep: o.onStep,
    stopAfter: o.stopAfter,
  });
  optimizer.dispose();
  return { estimator: est, result };
}
