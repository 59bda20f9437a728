/**
 * Training AUEditNet (Sec. 3.4, DESIGN §3): triples I_src, I_tar of one subject and I_rnd of
 * another, their W = E(I) read from a cache (E frozen), Ŵ_N and Ŵ_tar from the editor, Î_tar and
 * Î_N from the frozen G, and the weighted losses of Eq. 4. Only the editor's weights are updated;
 * gradients reach it through G, F_pre and F_id, which stay frozen (eval-mode BatchNorm).
 */
import { UserError } from '../errors.js';
import { batchImages, batchLabels, indicesByGroup, LABELS_PER_IMAGE, type ImageSet } from '../estimators/imageSet.js';
import { BatchRng } from '../estimators/train.js';
import type { Generator } from '../gan/generator.js';
import { Adam } from '../nn/adam.js';
import { scheduledLr, type LrSchedule } from '../nn/lrSchedule.js';
import { runTraining, type TrainLoopResult } from '../nn/trainLoop.js';
import { tf } from '../runtime/tf.js';
import { AUEditNet, type Labels } from './auEditNet.js';
import type { EditorConfig } from './config.js';
import type { EditorInit } from './editorInit.js';
import { lossF, lossID, lossL, lossN, lossP, lossR, lossRN, lossRNF, type FidFn, type FpreFn } from './losses.js';

export interface EditorTrainData {
  /** Frames with AU labels and subject groups (real images: the targets of L_R, L_P, L_F, L_ID). */
  images: ImageSet;
  /** W+ of the same rows, [B, L, D], from the frozen encoder. */
  latents: (idx: readonly number[]) => tf.Tensor3D;
  rows: number;
}

export interface EditorTrainOptions {
  config: EditorConfig;
  data: EditorTrainData;
  generator: Generator;
  fpre: FpreFn;
  fid: FidFn;
  outDir: string;
  steps: number;
  batch: number;
  /** Learning-rate decay (not part of the compared config: a resume may re-schedule). */
  schedule?: LrSchedule;
  lr: number;
  seed: number;
  resume?: boolean;
  checkpointEvery?: number;
  onStep?: (step: number, logs: Record<string, number>) => void;
  /** One-line notices (stderr in the CLI). */
  log?: (message: string) => void;
  onCheckpoint?: (step: number, editor: AUEditNet) => void | Promise<void>;
  stopAfter?: number;
  /** Initial weights for a new run (not a resume): see editorInit. */
  init?: EditorInit;
}

/** Labels of rows as (c = [a > 0], a). */
export function labelsOf(set: ImageSet, idx: readonly number[]): Labels {
  const a = batchLabels(set, idx);
  return { c: tf.cast(tf.greater(a, 0), 'float32') as tf.Tensor2D, a };
}

export interface TripleBatch {
  src: number[];
  tar: number[];
  rnd: number[];
  /** A rest frame (every label 0) of each src's subject, −1 where it has none; drawn only when asked for (lambda.RN, RNF). */
  rest?: number[];
}

/** Frames whose labels are all 0. */
function isRest(set: ImageSet, i: number): boolean {
  for (let k = 0; k < LABELS_PER_IMAGE; k++) if (set.labels![i * LABELS_PER_IMAGE + k]! !== 0) return false;
  return true;
}

/**
 * Triple sampler: src and tar from one subject (different frames when it has two), rnd from
 * another; with `withRest`, also a rest frame of the src's subject. The rest draw comes after the
 * triple's and only when asked for, so runs without lambda.RN / RNF keep their exact batch stream.
 */
export class TripleSampler {
  private readonly byGroup: number[][];
  private readonly restByGroup: number[][] | undefined;

  constructor(
    private readonly set: ImageSet,
    private readonly rng: BatchRng,
    withRest = false,
  ) {
    this.byGroup = indicesByGroup(set).filter((g) => g.length >= 2);
    if (this.byGroup.length < 2) throw new Error('editor training needs at least two subjects with two or more frames each');
    if (withRest) {
      if (!set.labels) throw new UserError('lambda.RN / RNF need AU labels to find rest frames');
      this.restByGroup = this.byGroup.map((g) => g.filter((i) => isRest(set, i)));
      if (this.restByGroup.every((r) => r.length === 0)) throw new UserError('lambda.RN / RNF need rest frames (all 12 labels 0); no training subject has one');
    }
  }

  /** Training subjects with no rest frame: their rows get no L_RN term. */
  subjectsWithoutRest(): string[] {
    if (!this.restByGroup) return [];
    return this.byGroup.filter((_, k) => this.restByGroup![k]!.length === 0).map((g) => this.set.groupNames[this.set.groups[g[0]!]!]!);
  }

  next(batch: number): TripleBatch {
    const src: number[] = [], tar: number[] = [], rnd: number[] = [], groups: number[] = [];
    const G = this.byGroup.length;
    for (let b = 0; b < batch; b++) {
      const g = this.rng.int(G);
      const frames = this.byGroup[g]!;
      const i = this.rng.int(frames.length);
      let j = this.rng.int(frames.length - 1);
      if (j >= i) j += 1;
      src.push(frames[i]!);
      tar.push(frames[j]!);
      groups.push(g);
      let h = this.rng.int(G - 1);
      if (h >= g) h += 1;
      const other = this.byGroup[h]!;
      rnd.push(other[this.rng.int(other.length)]!);
    }
    if (!this.restByGroup) return { src, tar, rnd };
    const rest = groups.map((g) => {
      const r = this.restByGroup![g]!;
      return r.length === 0 ? -1 : r[this.rng.int(r.length)]!;
    });
    return { src, tar, rnd, rest };
  }
}

/** Whether the config has a loss on rest frames, so the sampler must draw them. */
export function needsRest(c: EditorConfig): boolean {
  return (c.lambda.RN ?? 0) > 0 || (c.lambda.RNF ?? 0) > 0;
}

/** One step's weighted loss and its parts (only the terms with λ > 0 are computed). */
export function editorLoss(
  ed: AUEditNet,
  g: Generator,
  fpre: FpreFn,
  fid: FidFn,
  data: EditorTrainData,
  t: TripleBatch,
): { total: tf.Scalar; parts: Record<string, tf.Scalar> } {
  const c = ed.config;
  const iSrc = batchImages(data.images, t.src), iTar = batchImages(data.images, t.tar);
  const wSrc = data.latents(t.src), wRnd = data.latents(t.rnd);
  const target = labelsOf(data.images, t.tar), source = labelsOf(data.images, t.src);
  const o = ed.forwardTrain(wSrc, wRnd, target);
  const B = t.src.length;
  const imgs = g.synthesis(tf.concat([o.wTar, o.wN], 0), { noise: 'const', mode: 'shared' });
  const [iHat, iN] = tf.split(imgs, [B, B], 0) as [tf.Tensor4D, tf.Tensor4D];
  const parts: Record<string, tf.Scalar> = {};
  const terms: tf.Scalar[] = [];
  const add = (name: string, weight: number, f: () => tf.Scalar) => {
    if (weight <= 0) return;
    const v = f();
    parts[name] = v;
    terms.push(tf.mul(v, weight) as tf.Scalar);
  };
  add('R', c.lambda.R, () => lossR(iHat, iTar));
  add('P', c.lambda.P, () => lossP(fid, iHat, iTar));
  add('F', c.lambda.F, () => lossF(fpre, iSrc, iHat, iTar));
  add('ID', c.lambda.ID, () => lossID(fid, iHat, iN, iTar));
  add('L', c.lambda.L, () => lossL(ed.labelEstimates(o.sourceLevels), source, o.sourceLevels, ed.pseudoLabels(source)));
  add('N', c.lambda.N ?? 0, () => lossN(fpre, iSrc, iN, source.a));
  // Î_N of the rows whose subject has a rest frame, and those frames; shared by L_RN and L_RNF.
  let rest: { iN: tf.Tensor4D; iRest: tf.Tensor4D } | null | undefined;
  const restPair = () => {
    if (rest !== undefined) return rest;
    if (!t.rest) throw new Error('lambda.RN / RNF is on but the batch has no rest frames (build the TripleSampler with withRest)');
    const rows = t.rest.flatMap((r, b) => (r >= 0 ? [b] : []));
    if (rows.length === 0) return (rest = null);
    const sel = rows.length === B ? iN : (tf.gather(iN, rows) as tf.Tensor4D);
    return (rest = { iN: sel, iRest: batchImages(data.images, rows.map((b) => t.rest![b]!)) });
  };
  add('RN', c.lambda.RN ?? 0, () => {
    const r = restPair();
    return r ? lossRN(fid, r.iN, r.iRest) : tf.scalar(0);
  });
  add('RNF', c.lambda.RNF ?? 0, () => {
    const r = restPair();
    return r ? lossRNF(fpre, r.iN, r.iRest) : tf.scalar(0);
  });
  if (terms.length === 0) throw new Error('every loss weight is 0: nothing to train');
  return { total: tf.addN(terms) as tf.Scalar, parts };
}

export async function trainEditor(o: EditorTrainOptions): Promise<{ editor: AUEditNet; result: TrainLoopResult }> {
  const ed = new AUEditNet(o.config, o.seed).build(o.data.rows);
  if (o.init && !o.resume) o.init.load(ed);
  const rng = new BatchRng(o.seed ^ 0x1b873593);
  const sampler = new TripleSampler(o.data.images, rng, needsRest(o.config));
  const noRest = sampler.subjectsWithoutRest();
  if (noRest.length > 0) o.log?.(`lambda.RN / RNF: ${noRest.join(', ')} ha${noRest.length > 1 ? 've' : 's'} no rest frame (all 12 labels 0); their triples get no L_RN/L_RNF term`);
  const optimizer = new Adam({ lr: o.lr });
  const result = await runTraining({
    dir: o.outDir,
    totalSteps: o.steps,
    checkpointEvery: o.checkpointEvery ?? 200,
    models: { editor: ed.params },
    optimizer,
    rngs: { batches: rng },
    // no step count: a resume may extend a run
    config: { editor: o.config, batch: o.batch, lr: o.lr, seed: o.seed, frames: o.data.images.count, subjects: o.data.images.groupNames },
    resume: o.resume,
    startStep: o.init?.step,
    lrAt: o.schedule ? (step) => scheduledLr(o.lr, o.schedule, step) : undefined,
    info:
      o.init || o.schedule
        ? { ...(o.init ? { init: o.init.path, initStep: o.init.step, ...(o.init.history ? { history: o.init.history } : {}) } : {}), ...(o.schedule ? { schedule: o.schedule } : {}) }
        : undefined,
    loss: () => editorLoss(ed, o.generator, o.fpre, o.fid, o.data, sampler.next(o.batch)),
    onStep: o.onStep,
    stopAfter: o.stopAfter,
    onCheckpoint: o.onCheckpoint ? (step) => o.onCheckpoint!(step, ed) : undefined,
  });
  optimizer.dispose();
  return { editor: ed, result };
}
