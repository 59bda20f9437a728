/**
 * How good a generator/encoder pair is as the ground AUEditNet stands on (issue #4's measures),
 * on frames the pair never saw — the test subjects of a DISFA-layout fold:
 *   - reconstruction: PSNR of G(E(I)) against I, and what H_est reads on G(E(I)) against what it
 *     reads on I (an inversion that blurs a smile away fails the editor before it starts);
 *   - interpolation: W+ lerps between two faces decoded in equal steps should change the image in
 *     roughly equal amounts (a kink or a jump shows as one large step);
 *   - AU moves: a W+ direction per AU (the linear least-squares fit of src/editor/directions.ts on
 *     the training subjects' latents) moved by `amount` units should raise H_est's reading of that AU
 *     by about `amount` and leave the others — i.e. AU changes are reachable by moving W.
 * Images are compared in [0, 1] after clipping, as they would be saved.
 */
import { AU_COUNT } from '../data/aus.js';
import { mixSeed, Rng } from '../data/random.js';
import type { LinearDirections } from '../editor/directions.js';
import { estimateAus } from '../estimators/evaluate.js';
import { batchImages, type ImageSet } from '../estimators/imageSet.js';
import type { Estimator } from '../estimators/model.js';
import type { Encoder } from '../gan/encoder.js';
import { refineLatents, type RefineOptions } from '../gan/refine.js';
import type { Generator } from '../gan/generator.js';
import { UserError } from '../errors.js';
import { scoped } from '../runtime/scoped.js';
import { tf } from '../runtime/tf.js';
import { auRegionMap } from '../synth/auRegionMap.js';
import { AU_IDS, auScores, type AuScores } from './auMetrics.js';
import { maskedPsnr, psnr } from './psnr.js';

const SYNTH = { noise: 'const', mode: 'shared' } as const;

/** The pair must read and write images of the set's size: no resampling hides in the numbers. */
export function checkSizes(g: Generator, e: Encoder, set: ImageSet): void {
  if (e.config.inputSize !== set.size) throw new UserError(`the encoder takes ${e.config.inputSize} px images, the frames are ${set.size} px`);
  if (g.config.size !== set.size) throw new UserError(`the generator makes ${g.config.size} px images, the frames are ${set.size} px`);
  if (e.config.styleCount !== g.nLatent) throw new UserError(`the encoder writes ${e.config.styleCount} W+ rows, the generator reads ${g.nLatent}`);
}

/** [-1, 1] NHWC → per-image [0, 1] clipped values. */
function unitImages(x: tf.Tensor4D): Float32Array[] {
  const [B, H, W, C] = x.shape;
  const n = H * W * C;
  const d = scoped(() => x.clipByValue(-1, 1).add(1).div(2).dataSync() as Float32Array);
  return Array.from({ length: B }, (_, i) => d.subarray(i * n, (i + 1) * n));
}

function rms(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s / a.length);
}

const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;

function median(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// ---------------------------------------------------------------------------------------------
// reconstruction

export interface ReconstructionReport {
  images: number;
  /** dB, [0, 1] images; identical images (infinite PSNR) are counted at 100 dB. */
  psnr: { mean: number; median: number; min: number; perSubject: Record<string, number> };
  /** PSNR inside the AU regions (`auRegionMap` > 0.5: brows, lids, nose wings, lips), per image then averaged; share = their part of the pixels. */
  auRegionPsnr: { mean: number; median: number; share: number };
  /** When H_est is given: its reading of originals and of reconstructions against the labels, and of one against the other. */
  au?: {
    original: AuScores;
    reconstruction: AuScores;
    reconVsOriginal: { perAu: { au: number; mse: number }[]; meanMse: number };
  };
}

/**
 * PSNR (and H_est readings) of G(E(x)) over the set, or over `indices` of it. With `refine`, each
 * code is first refined against its image (refine.ts): the encoder + optimisation inversion.
 */
export function reconstructionReport(
  g: Generator,
  e: Encoder,
  set: ImageSet,
  o: { hest?: Estimator; chunk?: number; onProgress?: (done: number, total: number) => void; indices?: readonly number[]; refine?: RefineOptions } = {},
): ReconstructionReport {
  checkSizes(g, e, set);
  const chunk = o.chunk ?? 32;
  const values: number[] = [];
  const bySubject = new Map<number, number[]>();
  const hOrig: Float32Array[] = [], hRec: Float32Array[] = [];
  const all = o.indices ?? Array.from({ length: set.count }, (_, i) => i);
  const regionMask = Array.from(auRegionMap(set.size), (v) => v > 0.5);
  const regionValues: number[] = [];
  for (let s = 0; s < all.length; s += chunk) {
    const idx = all.slice(s, s + chunk);
    const { a, b, ho, hr } = scoped(() => {
      const x = batchImages(set, idx);
      const w = e.encode(x);
      const rec = g.synthesis(o.refine ? refineLatents(g, x, w, o.refine) : w, SYNTH);
      const ho = o.hest ? (estimateAus(o.hest, x).dataSync() as Float32Array) : null;
      const hr = o.hest ? (estimateAus(o.hest, rec.clipByValue(-1, 1) as tf.Tensor4D).dataSync() as Float32Array) : null;
      return { a: unitImages(x), b: unitImages(rec), ho, hr };
    });
    idx.forEach((img, k) => {
      const p = Math.min(100, psnr(a[k]!, b[k]!));
      values.push(p);
      regionValues.push(Math.min(100, maskedPsnr(a[k]!, b[k]!, regionMask)));
      const g0 = set.groups[img]!;
      (bySubject.get(g0) ?? bySubject.set(g0, []).get(g0)!).push(p);
      if (ho && hr) {
        hOrig.push(ho.slice(k * AU_COUNT, (k + 1) * AU_COUNT));
        hRec.push(hr.slice(k * AU_COUNT, (k + 1) * AU_COUNT));
      }
    });
    o.onProgress?.(s + idx.length, all.length);
  }
  const perSubject: Record<string, number> = {};
  for (const [gi, v] of [...bySubject.entries()].sort((p, q) => p[0] - q[0])) perSubject[set.groupNames[gi]!] = mean(v);
  const report: ReconstructionReport = {
    images: all.length,
    psnr: { mean: mean(values), median: median(values), min: Math.min(...values), perSubject },
    auRegionPsnr: { mean: mean(regionValues), median: median(regionValues), share: regionMask.filter(Boolean).length / regionMask.length },
  };
  if (o.hest) {
    if (!set.labels) throw new UserError('H_est scores need AU labels and this image set has none');
    const labels = all.map((i) => set.labels!.subarray(i * AU_COUNT, (i + 1) * AU_COUNT));
    const perAu = AU_IDS.map((au, j) => ({ au, mse: mean(hRec.map((r, i) => (r[j]! - hOrig[i]![j]!) ** 2)) }));
    report.au = {
      original: auScores(labels, hOrig),
      reconstruction: auScores(labels, hRec),
      reconVsOriginal: { perAu, meanMse: mean(perAu.map((p) => p.mse)) },
    };
  }
  return report;
}

// ---------------------------------------------------------------------------------------------
// interpolation

export interface InterpolationReport {
  paths: number;
  steps: number;
  /** Per path: its largest step's RMS pixel change over its mean step (1 = evenly spaced). */
  evenness: { mean: number; worst: number };
  /** Per path: the summed step changes over the endpoints' direct change (1 = a straight pixel-space line). */
  pathRatio: { mean: number; worst: number };
}

/** Seeded pairs of images from different groups (subjects), as [a, b] indices. */
export function crossSubjectPairs(set: ImageSet, n: number, seed: number): [number, number][] {
  if (set.groupNames.length < 2) throw new UserError('interpolation needs images of at least two subjects');
  const rng = new Rng(mixSeed('pair-interp', seed));
  const out: [number, number][] = [];
  while (out.length < n) {
    const a = rng.int(set.count), b = rng.int(set.count);
    if (set.groups[a] !== set.groups[b]) out.push([a, b]);
  }
  return out;
}

/** The images along W+ lerps, t = 0, 1/steps, …, 1, as [steps + 1] [-1, 1] tensors per path. */
export function interpolationImages(g: Generator, e: Encoder, set: ImageSet, pairs: readonly [number, number][], steps: number): tf.Tensor4D[] {
  return pairs.map(([a, b]) =>
    tf.tidy(() => {
      const w = e.encode(batchImages(set, [a, b]));
      const [wa, wb] = tf.split(w, 2, 0) as [tf.Tensor3D, tf.Tensor3D];
      const t = tf.linspace(0, 1, steps + 1).reshape([steps + 1, 1, 1]);
      const path = tf.add(wa, tf.mul(t, tf.sub(wb, wa))) as tf.Tensor3D;
      return g.synthesis(path, SYNTH);
    }),
  );
}

export function interpolationReport(g: Generator, e: Encoder, set: ImageSet, o: { paths: number; steps: number; seed: number }): InterpolationReport {
  checkSizes(g, e, set);
  if (!Number.isInteger(o.steps) || o.steps < 2) throw new UserError(`interpolation needs at least 2 steps, got ${o.steps}`);
  const even: number[] = [], ratio: number[] = [];
  for (const pair of crossSubjectPairs(set, o.paths, o.seed)) {
    const [imgs] = interpolationImages(g, e, set, [pair], o.steps);
    const u = unitImages(imgs!);
    imgs!.dispose();
    const d = u.slice(1).map((img, i) => rms(img, u[i]!));
    const direct = rms(u[0]!, u[o.steps]!);
    even.push(Math.max(...d) / mean(d));
    ratio.push(d.reduce((a, b) => a + b, 0) / direct);
  }
  return { paths: o.paths, steps: o.steps, evenness: { mean: mean(even), worst: Math.max(...even) }, pathRatio: { mean: mean(ratio), worst: Math.max(...ratio) } };
}

// ---------------------------------------------------------------------------------------------
// AU moves along linear W+ directions

export interface AuMoveReport {
  amount: number;
  images: number;
  /** Per AU: mean change of H_est's reading of that AU, and mean |change| of the other 11. */
  perAu: { au: number; moved: number; others: number }[];
  /** Mean over AUs of `moved`, and of `others`. */
  meanMoved: number;
  meanOthers: number;
}

/** W + amount · d_au for a batch of latents (the direction scaled per unit of intensity). */
export function moveAlong(dirs: LinearDirections, w: tf.Tensor3D, au: number, amount: number): tf.Tensor3D {
  const targets = Array.from({ length: AU_COUNT }, (_, i) => (i === au ? amount : null));
  const zeros = Array.from({ length: w.shape[0] }, () => new Array<number>(AU_COUNT).fill(0));
  return dirs.edit(w, targets, { source: zeros });
}

export function auMoveReport(g: Generator, e: Encoder, hest: Estimator, dirs: LinearDirections, set: ImageSet, o: { amount: number; images: number; seed: number; chunk?: number }): AuMoveReport {
  checkSizes(g, e, set);
  const chunk = o.chunk ?? 16;
  const rng = new Rng(mixSeed('pair-au-moves', o.seed));
  const n = Math.min(o.images, set.count);
  const idx = Array.from({ length: n }, () => rng.int(set.count));
  const moved = new Float64Array(AU_COUNT), others = new Float64Array(AU_COUNT);
  for (let s = 0; s < n; s += chunk) {
    const part = idx.slice(s, s + chunk);
    scoped(() => {
      const w = e.encode(batchImages(set, part));
      const read = (ww: tf.Tensor3D) => estimateAus(hest, g.synthesis(ww, SYNTH).clipByValue(-1, 1) as tf.Tensor4D).dataSync();
      const base = read(w);
      for (let au = 0; au < AU_COUNT; au++) {
        const after = read(moveAlong(dirs, w, au, o.amount));
        part.forEach((_, k) => {
          for (let j = 0; j < AU_COUNT; j++) {
            const d = after[k * AU_COUNT + j]! - base[k * AU_COUNT + j]!;
            if (j === au) moved[au] += d;
            else others[au] += Math.abs(d) / (AU_COUNT - 1);
          }
        });
      }
    });
  }
  const perAu = AU_IDS.map((au, j) => ({ au, moved: moved[j]! / n, others: others[j]! / n }));
  return { amount: o.amount, images: n, perAu, meanMoved: mean(perAu.map((p) => p.moved)), meanOthers: mean(perAu.map((p) => p.others)) };
}
