import { auScores, type AuScores } from '../eval/auMetrics.js';
import { cosineDistance } from '../eval/identity.js';
import { tf } from '../runtime/tf.js';
import { type FpreConfig, fpreForward } from './fpre.js';
import { type HestConfig, hestForward } from './hest.js';
import { type IdNetConfig, idForward } from './idnet.js';
import { batchImages, indicesByGroup, LABELS_PER_IMAGE, type ImageSet } from './imageSet.js';
import type { Estimator } from './model.js';
import { BatchRng } from './train.js';
import { scoped } from '../runtime/scoped.js';

const CHUNK = 128;

function inChunks(n: number, width: number, f: (idx: number[]) => tf.Tensor): Float32Array {
  const out = new Float32Array(n * width);
  for (let s = 0; s < n; s += CHUNK) {
    const idx = Array.from({ length: Math.min(CHUNK, n - s) }, (_, i) => s + i);
    const t = tf.tidy(() => f(idx));
    out.set(t.dataSync(), s * width);
    t.dispose();
  }
  return out;
}

/** H_est's intensities for images given as [-1, 1] NHWC tensors (any batch). */
export function estimateAus(est: Estimator, images: tf.Tensor4D): tf.Tensor2D {
  return hestForward(est.params, est.config as HestConfig, images, false);
}

export function predictSet(est: Estimator, set: ImageSet): Float32Array {
  return inChunks(set.count, LABELS_PER_IMAGE, (idx) => estimateAus(est, batchImages(set, idx)));
}

/** A row-major block as views of its rows. */
export function rows(a: Float32Array, width: number): Float32Array[] {
  return Array.from({ length: a.length / width }, (_, i) => a.subarray(i * width, (i + 1) * width));
}

export function evaluateHest(est: Estimator, set: ImageSet): AuScores {
  return auScores(rows(set.labels!, LABELS_PER_IMAGE), rows(predictSet(est, set), LABELS_PER_IMAGE));
}

/** MSE of F_pre's Δa on `pairs` random same-subject pairs (seeded, so runs compare). */
export function evaluateFpre(est: Estimator, set: ImageSet, pairs: number, seed = 1): { mse: number; pairs: number; baselineMse: number } {
  const rng = new BatchRng(seed);
  const groups = indicesByGroup(set).filter((g) => g.length >= 2);
  const a: number[] = [], b: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const g = groups[rng.int(groups.length)]!;
    a.push(g[rng.int(g.length)]!);
    b.push(g[rng.int(g.length)]!);
  }
  let se = 0, base = 0;
  for (let s = 0; s < pairs; s += CHUNK) {
    const ia = a.slice(s, s + CHUNK), ib = b.slice(s, s + CHUNK);
    const pred = scoped(() => fpreForward(est.params, est.config as FpreConfig, batchImages(set, ia), batchImages(set, ib), false).delta.dataSync());
    ia.forEach((x, k) => {
      for (let j = 0; j < LABELS_PER_IMAGE; j++) {
        const d = set.labels![ib[k]! * LABELS_PER_IMAGE + j]! - set.labels![x * LABELS_PER_IMAGE + j]!;
        se += (pred[k * LABELS_PER_IMAGE + j]! - d) ** 2;
        base += d * d;
      }
    });
  }
  const n = pairs * LABELS_PER_IMAGE;
  return { mse: se / n, pairs, baselineMse: base / n };
}

export function embedSet(est: Estimator, set: ImageSet): Float32Array {
  const cfg = est.config as IdNetConfig;
  return inChunks(set.count, cfg.embedding, (idx) => idForward(est.params, cfg, batchImages(set, idx), false));
}

export interface Verification {
  pairs: number;
  accuracy: number;
  threshold: number;
  meanSame: number;
  meanDifferent: number;
}

/**
 * Face verification as on LFW: half the pairs share an identity; the distance threshold is chosen
 * on nine tenths of the pairs and accuracy counted on the remaining tenth, ten times over.
 */
export function verification(est: Estimator, set: ImageSet, pairs: number, seed = 1): Verification {
  const dim = (est.config as IdNetConfig).embedding;
  const emb = embedSet(est, set);
  const e = (i: number) => emb.subarray(i * dim, (i + 1) * dim);
  const rng = new BatchRng(seed);
  const groups = indicesByGroup(set).filter((g) => g.length >= 2);
  const d: number[] = [], same: boolean[] = [];
  for (let k = 0; k < pairs; k++) {
    const isSame = k % 2 === 0;
    const g = groups[rng.int(groups.length)]!;
    const i = g[rng.int(g.length)]!;
    let j: number;
    if (isSame) {
      do j = g[rng.int(g.length)]!;
      while (j === i);
    } else {
      let h: number[];
      do h = groups[rng.int(groups.length)]!;
      while (h === g);
      j = h[rng.int(h.length)]!;
    }
    d.push(cosineDistance(e(i), e(j)));
    same.push(isSame);
  }
  const accuracyAt = (t: number, ks: number[]) => ks.filter((k) => (d[k]! < t) === same[k]).length / ks.length;
  const candidates = [...new Set(d)].sort((x, y) => x - y);
  let correct = 0, thresholdSum = 0;
  for (let f = 0; f < 10; f++) {
    const test: number[] = [], fit: number[] = [];
    for (let k = 0; k < pairs; k++) (k % 10 === f ? test : fit).push(k);
    let best = 0, bestT = 0;
    for (let c = 0; c < candidates.length; c += Math.max(1, Math.floor(candidates.length / 400))) {
      const acc = accuracyAt(candidates[c]! + 1e-9, fit);
      if (acc > best) [best, bestT] = [acc, candidates[c]! + 1e-9];
    }
    correct += accuracyAt(bestT, test) * test.length;
    thresholdSum += bestT;
  }
  const mean = (want: boolean) => d.filter((_, k) => same[k] === want).reduce((s, x) => s + x, 0) / same.filter((x) => x === want).length;
  return { pairs, accuracy: correct / pairs, threshold: thresholdSum / 10, meanSame: mean(true), meanDifferent: mean(false) };
}
