/**
 * The linear-direction baseline (DESIGN §3, last line; issue #6 part 3): per-AU directions in W+
 * fitted by least squares on the training subjects' cached latents, InterFaceGAN-style, plus a
 * linear read-out of AU intensities from a latent. Choices, all closed-form (no iterations):
 *
 * Directions. Each row n of the training cache has a latent w_n (flattened, P = L·D) and labels
 * a_n (12). Subtracting each subject's mean latent and mean label removes identity (the subject
 * mean carries who the person is, the deviation from it carries the expression). The centred
 * latents are modelled as W_c ≈ A_c · Dmat and Dmat [12, P] is the ridge least-squares solution
 *     Dmat = (A_cᵀA_c + λ'I)⁻¹ A_cᵀ W_c,       λ' = λ · tr(A_cᵀA_c) / 12,
 * i.e. row i is "how the latent moves per unit of AU i", with the co-occurrence of AUs (6 with 12,
 * 25 with 26) separated by the 12×12 solve instead of being folded into each direction. Since
 * each subject's centred labels sum to zero, A_cᵀW_c = A_cᵀW, so the centred latents are never
 * formed. λ is relative to the mean label variance, so one default suits any label scale.
 *
 * Read-out. At test time the subject's mean latent is unknown, so the read-out is a ridge
 * regression from the uncentred latent to the labels with a bias: â(w) = R (w − μ) + ā, fitted on
 * the training rows (global mean μ, ā). It is solved in its dual form, α = (K + λ''I)⁻¹ (Y − ā),
 * R = αᵀ X with K = X Xᵀ the Gram matrix of the centred rows and λ'' = λ · tr(K) / m — cheap
 * because its size is the number of rows m, not P (up to 9216), and m is capped (default 3000
 * rows, an even subsample: neighbouring video frames are near-duplicates anyway).
 *
 * Editing: Ŵ = W + Σ_i (a_tar,i − â_src,i) d_i over the AUs given a target (others keep their
 * source intensity, i.e. are not moved); neutral(W) sets all targets to 0. The source intensities
 * come from the read-out unless the caller knows them. `levels` restricts the edit to some W+ rows.
 */
import { join } from 'node:path';
import { AU_COUNT, AU_ORDER } from '../data/aus.js';
import type { LatentCache } from '../data/latentCache.js';
import { fileError, UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { SafetensorsFile, writeSafetensors } from '../io/safetensors.js';
import { tf } from '../runtime/tf.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { scoped } from '../runtime/scoped.js';

export const DIRECTIONS_FILE = 'directions.safetensors';
export const DIRECTIONS_META = 'directions.json';
const FORMAT = 'aueditnet-linear-directions';

export interface FitOptions {
  /** Relative ridge strength of the direction solve (default 1e-3). */
  lambda?: number;
  /**
   * Relative ridge strength of the read-out (default: lambda), or 'auto': the grid value with the
   * lowest mean validation MSE in a subject-grouped 3-fold cross-validation of the read-out rows.
   */
  readoutLambda?: number | 'auto';
  /** The candidates of readoutLambda 'auto' (default 1e-3 … 1e2, decades). */
  readoutGrid?: readonly number[];
  /** Most training rows the read-out's dual solve uses (default 3000; an even subsample above). */
  maxReadoutRows?: number;
}

/** What a fit produced, in plain arrays (float32, row-major). */
export interface DirectionsData {
  L: number;
  D: number;
  /** 12 × L × D: latent change per unit of each AU. */
  directions: Float32Array;
  /** 12 × L × D: read-out weights. */
  readout: Float32Array;
  /** L × D: mean training latent (the read-out's centre). */
  latentMean: Float32Array;
  /** 12: mean training label (the read-out's bias). */
  labelMean: Float32Array;
}

export interface FitReport {
  rows: number;
  subjects: number;
  lambda: number;
  /** The read-out ridge used (the chosen one under 'auto'). */
  readoutLambda: number;
  /** The cross-validation behind readoutLambda 'auto' (null for a given λ). */
  readoutCv: ReadoutCv | null;
  readoutRows: number;
  /** Share of the subject-centred latent variance that Σ a_i d_i explains. */
  latentR2: number;
  /** Read-out R² per AU on the training rows (null where the AU never varies). */
  r2Train: (number | null)[];
}

/** Per-AU targets: a number sets the AU's intensity, null keeps the source's. */
export type AuTargets = readonly (number | null)[];

export interface EditOptions {
  /** Known source intensities [B, 12] (default: the read-out's estimate). */
  source?: tf.Tensor2D | readonly (readonly number[])[];
  /** W+ rows to edit (default all). */
  levels?: readonly number[];
}

// ---------------------------------------------------------------------------------------------
// small dense linear algebra (float64)

/**
 * a [r, k] · b [k, c] as a 1×1 convolution: tfjs-wasm's conv runs on XNNPACK and caches the packed
 * filter of a tensor it has seen, its MatMul does neither (a 1000 × 5120 Gram matrix: 0.9 s vs 23 s).
 */
function mm(a: tf.Tensor2D, b: tf.Tensor2D | tf.Tensor4D): tf.Tensor2D {
  const [r, k] = a.shape;
  const b4 = b.rank === 4 ? (b as tf.Tensor4D) : (b.reshape([1, 1, b.shape[0], b.shape[1]]) as tf.Tensor4D);
  if (b4.shape[2] !== k) throw new Error(`mm: [${a.shape.join(', ')}] · [${b.shape.join(', ')}]`);
  return tf.conv2d(a.reshape([1, 1, r, k]) as tf.Tensor4D, b4, 1, 'valid').reshape([r, b4.shape[3]]);
}

/** In-place Cholesky of a symmetric positive definite n×n matrix (lower triangle kept). */
function cholesky(a: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j]!;
    for (let k = 0; k < j; k++) d -= a[rj + k]! * a[rj + k]!;
    if (!(d > 0)) throw new Error(`ridge matrix is not positive definite at ${j} (${d}); raise lambda`);
    const s = Math.sqrt(d);
    a[rj + j] = s;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let v = a[ri + j]!;
      for (let k = 0; k < j; k++) v -= a[ri + k]! * a[rj + k]!;
      a[ri + j] = v / s;
    }
  }
}

/** Solves (LLᵀ) X = B in place for B n×r (row-major), L from `cholesky`. */
function cholSolve(l: Float64Array, n: number, b: Float64Array, r: number): void {
  for (let c = 0; c < r; c++) {
    for (let i = 0; i < n; i++) {
      let v = b[i * r + c]!;
      for (let k = 0; k < i; k++) v -= l[i * n + k]! * b[k * r + c]!;
      b[i * r + c] = v / l[i * n + i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let v = b[i * r + c]!;
      for (let k = i + 1; k < n; k++) v -= l[k * n + i]! * b[k * r + c]!;
      b[i * r + c] = v / l[i * n + i]!;
    }
  }
}

function r2PerAu(pred: Float32Array, labels: Float32Array, count: number): (number | null)[] {
  const out: (number | null)[] = [];
  for (let i = 0; i < AU_COUNT; i++) {
    let mean = 0;
    for (let n = 0; n < count; n++) mean += labels[n * AU_COUNT + i]!;
    mean /= count;
    let sst = 0;
    let sse = 0;
    for (let n = 0; n < count; n++) {
      const y = labels[n * AU_COUNT + i]!;
      sst += (y - mean) ** 2;
      sse += (y - pred[n * AU_COUNT + i]!) ** 2;
    }
    out.push(sst > 1e-12 ? 1 - sse / sst : null);
  }
  return out;
}

/** Read-out λ candidates for 'auto': decades, since the read-out's R² is flat within one. */
export const DEFAULT_READOUT_GRID: readonly number[] = [1e-3, 1e-2, 1e-1, 1, 10, 100];
const CV_FOLDS = 3;

export interface ReadoutCv {
  folds: number;
  grid: number[];
  /** Mean validation MSE (over AUs, rows and folds) per grid value. */
  mse: number[];
  chosen: number;
}

/**
 * Dual ridge α = (K_SS + λ''I)⁻¹ (Y_S − ȳ_S) on the rows S of a Gram matrix (all rows when
 * `subset` is null), λ'' = λ · tr(K_SS) / |S|. Returns α [|S|, 12]; ȳ_S is subtracted here.
 */
function ridgeDual(gram: Float64Array, m: number, y: Float64Array, lambda: number, subset: number[] | null, yMean?: Float64Array): Float64Array {
  const K = AU_COUNT;
  const idx = subset ?? Array.from({ length: m }, (_, k) => k);
  const n = idx.length;
  const sys = new Float64Array(n * n);
  let tr = 0;
  for (let a = 0; a < n; a++) {
    const ra = idx[a]! * m;
    for (let b = 0; b < n; b++) sys[a * n + b] = gram[ra + idx[b]!]!;
    tr += sys[a * n + a]!;
  }
  const reg = lambda * Math.max(tr / n, 1e-12);
  for (let a = 0; a < n; a++) sys[a * n + a]! += reg;
  const rhs = new Float64Array(n * K);
  for (let a = 0; a < n; a++) for (let i = 0; i < K; i++) rhs[a * K + i] = y[idx[a]! * K + i]! - (yMean ? yMean[i]! : 0);
  cholesky(sys, n);
  cholSolve(sys, n, rhs, K);
  return rhs;
}

/**
 * Mean validation MSE of the read-out at one λ, over subject-grouped folds: each fold's rows are
 * predicted by a ridge fitted on the other folds (labels centred on those folds only). The rows
 * are centred on the global latent mean, which uses the validation rows' latents but never their
 * labels.
 */
function cvMse(gram: Float64Array, m: number, y: Float64Array, foldOf: number[], lambda: number): number {
  const K = AU_COUNT;
  let sse = 0;
  let count = 0;
  for (let f = 0; f < CV_FOLDS; f++) {
    const tr: number[] = [];
    const va: number[] = [];
    foldOf.forEach((g, k) => (g === f ? va : tr).push(k));
    const yMean = new Float64Array(K);
    for (const k of tr) for (let i = 0; i < K; i++) yMean[i]! += y[k * K + i]! / tr.length;
    const alpha = ridgeDual(gram, m, y, lambda, tr, yMean);
    for (const v of va) {
      for (let i = 0; i < K; i++) {
        let pred = yMean[i]!;
        for (let a = 0; a < tr.length; a++) pred += gram[v * m + tr[a]!]! * alpha[a * K + i]!;
        const e = pred - y[v * K + i]!;
        sse += e * e;
      }
      count += K;
    }
  }
  return sse / count;
}

// ---------------------------------------------------------------------------------------------
// fitting

export function fitDirections(c: LatentCache, o: FitOptions = {}): { data: DirectionsData; report: FitReport } {
  const lambda = o.lambda ?? 1e-3;
  const readoutLambda = o.readoutLambda ?? lambda;
  const maxRows = o.maxReadoutRows ?? 3000;
  if (!(lambda > 0) || !(readoutLambda === 'auto' || readoutLambda > 0)) throw new UserError(`lambda must be positive, got ${lambda} / ${readoutLambda}`);
  if (o.readoutGrid && (o.readoutGrid.length === 0 || !o.readoutGrid.every((v) => v > 0 && Number.isFinite(v)))) throw new UserError(`the read-out lambda grid must hold positive numbers, got ${JSON.stringify(o.readoutGrid)}`);
  const { count: N, L, D } = c;
  const P = L * D;
  const K = AU_COUNT;
  if (N < 2) throw new UserError(`fitting directions needs at least 2 latents, the cache has ${N}`);

  // per-subject mean labels and latents
  const S = c.subjects.length;
  const nOf = new Float64Array(S);
  const aMean = new Float64Array(S * K);
  const wMean = new Float64Array(S * P);
  for (let n = 0; n < N; n++) {
    const s = c.subjectOf[n]!;
    nOf[s]! += 1;
    for (let i = 0; i < K; i++) aMean[s * K + i]! += c.labels[n * K + i]!;
    const w = c.latents.subarray(n * P, (n + 1) * P);
    const o2 = s * P;
    for (let p = 0; p < P; p++) wMean[o2 + p]! += w[p]!;
  }
  for (let s = 0; s < S; s++) {
    if (nOf[s] === 0) continue;
    for (let i = 0; i < K; i++) aMean[s * K + i]! /= nOf[s]!;
    for (let p = 0; p < P; p++) wMean[s * P + p]! /= nOf[s]!;
  }

  // AcᵀAc (12×12), AcᵀW (12×P; equals AcᵀWc), ||Wc||²
  const ata = new Float64Array(K * K);
  const atw = new Float64Array(K * P);
  let wcSq = 0;
  const ac = new Float64Array(K);
  for (let n = 0; n < N; n++) {
    const s = c.subjectOf[n]!;
    for (let i = 0; i < K; i++) ac[i] = c.labels[n * K + i]! - aMean[s * K + i]!;
    for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) ata[i * K + j]! += ac[i]! * ac[j]!;
    const w = c.latents.subarray(n * P, (n + 1) * P);
    const o2 = s * P;
    for (let p = 0; p < P; p++) {
      const v = w[p]! - wMean[o2 + p]!;
      wcSq += v * v;
    }
    for (let i = 0; i < K; i++) {
      const a = ac[i]!;
      if (a === 0) continue;
      const row = i * P;
      for (let p = 0; p < P; p++) atw[row + p]! += a * w[p]!;
    }
  }
  let tr = 0;
  for (let i = 0; i < K; i++) tr += ata[i * K + i]!;
  const reg = lambda * Math.max(tr / K, 1e-12);
  const sys = Float64Array.from(ata);
  for (let i = 0; i < K; i++) sys[i * K + i]! += reg;
  cholesky(sys, K);
  // solve column-wise: B = atw as K × P
  const dmat = Float64Array.from(atw);
  cholSolve(sys, K, dmat, P);
  // explained centred variance: ||Wc||² − ||Wc − Ac D||² = 2 tr(Dᵀ AᵀW) − tr(Dᵀ AᵀA D)
  let cross = 0;
  for (let k = 0; k < K * P; k++) cross += dmat[k]! * atw[k]!;
  let quad = 0;
  for (let i = 0; i < K; i++)
    for (let j = 0; j < K; j++) {
      const a = ata[i * K + j]!;
      if (a === 0) continue;
      let dot = 0;
      for (let p = 0; p < P; p++) dot += dmat[i * P + p]! * dmat[j * P + p]!;
      quad += a * dot;
    }
  const latentR2 = wcSq > 0 ? (2 * cross - quad) / wcSq : 0;

  // read-out: dual ridge on (a subsample of) the uncentred rows
  const mu = new Float64Array(P);
  const abar = new Float64Array(K);
  for (let n = 0; n < N; n++) {
    const w = c.latents.subarray(n * P, (n + 1) * P);
    for (let p = 0; p < P; p++) mu[p]! += w[p]!;
    for (let i = 0; i < K; i++) abar[i]! += c.labels[n * K + i]!;
  }
  for (let p = 0; p < P; p++) mu[p]! /= N;
  for (let i = 0; i < K; i++) abar[i]! /= N;
  const m = Math.min(N, maxRows);
  const rows = Array.from({ length: m }, (_, k) => Math.floor((k * N) / m));
  const xs = new Float32Array(m * P);
  const yc = new Float64Array(m * K);
  rows.forEach((n, k) => {
    const w = c.latents.subarray(n * P, (n + 1) * P);
    for (let p = 0; p < P; p++) xs[k * P + p] = w[p]! - mu[p]!;
    for (let i = 0; i < K; i++) yc[k * K + i] = c.labels[n * K + i]! - abar[i]!;
  });
  // subject-grouped folds of the read-out rows (for readoutLambda 'auto')
  const foldOfSubject = new Map<number, number>();
  const foldOf = rows.map((n) => {
    const s = c.subjectOf[n]!;
    if (!foldOfSubject.has(s)) foldOfSubject.set(s, foldOfSubject.size % CV_FOLDS);
    return foldOfSubject.get(s)!;
  });
  let cv: ReadoutCv | null = null;
  let readoutChosen = readoutLambda === 'auto' ? NaN : readoutLambda;
  const readout = scoped(() => {
    const x = tf.tensor2d(xs, [m, P]);
    const gram = Float64Array.from(mm(x, x.transpose() as tf.Tensor2D).dataSync());
    if (readoutLambda === 'auto') {
      if (foldOfSubject.size < CV_FOLDS) throw new UserError(`readout lambda 'auto' needs at least ${CV_FOLDS} subjects for its subject-grouped cross-validation, the cache has ${foldOfSubject.size}`);
      const grid = o.readoutGrid ?? DEFAULT_READOUT_GRID;
      const mse = grid.map((lam) => cvMse(gram, m, yc, foldOf, lam));
      let best = 0;
      mse.forEach((v, k) => {
        if (v < mse[best]!) best = k;
      });
      readoutChosen = grid[best]!;
      cv = { folds: CV_FOLDS, grid: [...grid], mse, chosen: readoutChosen };
    }
    const alpha = ridgeDual(gram, m, yc, readoutChosen, null);
    const alphaT = tf.tensor2d(Float32Array.from(alpha), [m, K]).transpose() as tf.Tensor2D;
    return mm(alphaT, x).dataSync() as Float32Array; // [K, P]
  });

  const data: DirectionsData = {
    L,
    D,
    directions: Float32Array.from(dmat),
    readout: Float32Array.from(readout),
    latentMean: Float32Array.from(mu),
    labelMean: Float32Array.from(abar),
  };
  const dirs = new LinearDirections(data);
  let r2Train: (number | null)[];
  try {
    r2Train = dirs.score(c);
  } finally {
    dirs.dispose();
  }
  return { data, report: { rows: N, subjects: S, lambda, readoutLambda: readoutChosen, readoutCv: cv, readoutRows: m, latentR2, r2Train } };
}

// ---------------------------------------------------------------------------------------------
// using a fit

/** Fitted directions held as tensors, for reading out and editing latents. */
export class LinearDirections {
  readonly L: number;
  readonly D: number;
  readonly data: DirectionsData;
  /** [1, 1, 12, P] (a conv filter, see `mm`) */
  private readonly dirs: tf.Tensor4D;
  /** [1, 1, P, 12] */
  private readonly readoutT: tf.Tensor4D;
  /** [12]: ā − R μ */
  private readonly bias: tf.Tensor1D;

  constructor(data: DirectionsData) {
    const { L, D } = data;
    const P = L * D;
    for (const [name, arr, n] of [['directions', data.directions, AU_COUNT * P], ['readout', data.readout, AU_COUNT * P], ['latentMean', data.latentMean, P], ['labelMean', data.labelMean, AU_COUNT]] as const) {
      if (arr.length !== n) throw new RangeError(`${name} has ${arr.length} values, expected ${n}`);
    }
    this.L = L;
    this.D = D;
    this.data = data;
    [this.dirs, this.readoutT, this.bias] = tf.tidy(() => {
      const dirs = tf.tensor2d(data.directions, [AU_COUNT, P]);
      const r = tf.tensor2d(data.readout, [AU_COUNT, P]);
      const mu = tf.tensor2d(data.latentMean, [1, P]);
      const bias = tf.sub(tf.tensor1d(data.labelMean), tf.matMul(mu, r, false, true).reshape([AU_COUNT])) as tf.Tensor1D;
      return [tf.keep(dirs.reshape([1, 1, AU_COUNT, P]) as tf.Tensor4D), tf.keep(r.transpose().reshape([1, 1, P, AU_COUNT]) as tf.Tensor4D), tf.keep(bias)];
    });
  }

  private check(w: tf.Tensor3D): void {
    if (w.rank !== 3 || w.shape[1] !== this.L || w.shape[2] !== this.D) throw new UserError(`W+ must be [B, ${this.L}, ${this.D}], got [${w.shape.join(', ')}]`);
  }

  /** Estimated AU intensities [B, 12] of latents [B, L, D]. */
  readout(w: tf.Tensor3D): tf.Tensor2D {
    this.check(w);
    return tf.tidy(() => tf.add(mm(w.reshape([w.shape[0], this.L * this.D]) as tf.Tensor2D, this.readoutT), this.bias) as tf.Tensor2D);
  }

  /** Read-out R² per AU on the rows of a cache (null where the AU never varies). */
  score(c: LatentCache, batch = 256): (number | null)[] {
    if (c.L !== this.L || c.D !== this.D) throw new UserError(`latents are [${c.L}, ${c.D}], the directions [${this.L}, ${this.D}]`);
    const P = this.L * this.D;
    const pred = new Float32Array(c.count * AU_COUNT);
    for (let s = 0; s < c.count; s += batch) {
      const n = Math.min(batch, c.count - s);
      const est = tf.tidy(() => this.readout(tf.tensor3d(c.latents.subarray(s * P, (s + n) * P), [n, this.L, this.D])));
      pred.set(est.dataSync(), s * AU_COUNT);
      est.dispose();
    }
    return r2PerAu(pred, c.labels, c.count);
  }

  /**
   * Ŵ = W + Σ_i (a_tar,i − a_src,i) d_i. `targets`: one AuTargets for the whole batch or one per
   * sample; null entries keep that AU at its source intensity.
   */
  edit(w: tf.Tensor3D, targets: AuTargets | readonly AuTargets[], opts: EditOptions = {}): tf.Tensor3D {
    this.check(w);
    const B = w.shape[0];
    const per: readonly AuTargets[] = targets.length > 0 && Array.isArray(targets[0]) ? (targets as readonly AuTargets[]) : Array.from({ length: B }, () => targets as AuTargets);
    if (per.length !== B) throw new UserError(`${per.length} target vectors for a batch of ${B}`);
    const tar = new Float32Array(B * AU_COUNT);
    const mask = new Float32Array(B * AU_COUNT);
    per.forEach((t, b) => {
      if (t.length !== AU_COUNT) throw new UserError(`targets need ${AU_COUNT} entries (AU ${AU_ORDER.join(' ')}), got ${t.length}`);
      t.forEach((v, i) => {
        if (v === null) return;
        if (!Number.isFinite(v)) throw new UserError(`target of AU ${AU_ORDER[i]} is ${v}`);
        tar[b * AU_COUNT + i] = v;
        mask[b * AU_COUNT + i] = 1;
      });
    });
    if (opts.levels) for (const j of opts.levels) if (!Number.isInteger(j) || j < 0 || j >= this.L) throw new UserError(`level ${j} is outside W+ rows 0–${this.L - 1}`);
    return tf.tidy(() => {
      let src: tf.Tensor2D;
      if (!opts.source) src = this.readout(w);
      else if (opts.source instanceof tf.Tensor) src = opts.source;
      else src = tf.tensor2d(opts.source.map((r) => [...r]), [B, AU_COUNT]);
      if (src.shape[0] !== B || src.shape[1] !== AU_COUNT) throw new UserError(`source intensities must be [${B}, ${AU_COUNT}], got [${src.shape.join(', ')}]`);
      const delta = tf.mul(tf.sub(tf.tensor2d(tar, [B, AU_COUNT]), src), tf.tensor2d(mask, [B, AU_COUNT])) as tf.Tensor2D;
      let dirs: tf.Tensor4D = this.dirs;
      if (opts.levels) {
        const keep = new Float32Array(this.L);
        for (const j of opts.levels) keep[j] = 1;
        dirs = tf.mul(dirs.reshape([AU_COUNT, this.L, this.D]), tf.tensor3d(keep, [1, this.L, 1])).reshape([1, 1, AU_COUNT, this.L * this.D]) as tf.Tensor4D;
      }
      return tf.add(w, mm(delta, dirs).reshape([B, this.L, this.D])) as tf.Tensor3D;
    });
  }

  /** Every AU to 0. */
  neutral(w: tf.Tensor3D, opts: EditOptions = {}): tf.Tensor3D {
    return this.edit(w, new Array<number>(AU_COUNT).fill(0), opts);
  }

  /** Direction of AU i as [L, D] values (a view). */
  direction(i: number): Float32Array {
    const P = this.L * this.D;
    return this.data.directions.subarray(i * P, (i + 1) * P);
  }

  dispose(): void {
    this.dirs.dispose();
    this.readoutT.dispose();
    this.bias.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// files

export type DirectionsMeta = Record<string, unknown>;

/** Writes `<dir>/directions.safetensors` and `<dir>/directions.json` (meta plus shapes and AU order). */
export async function saveDirections(dir: string, d: DirectionsData, meta: DirectionsMeta): Promise<void> {
  const { L, D } = d;
  await writeSafetensors(
    join(dir, DIRECTIONS_FILE),
    {
      directions: { dtype: 'float32', shape: [AU_COUNT, L, D], data: d.directions },
      readout: { dtype: 'float32', shape: [AU_COUNT, L, D], data: d.readout },
      latent_mean: { dtype: 'float32', shape: [L, D], data: d.latentMean },
      label_mean: { dtype: 'float32', shape: [AU_COUNT], data: d.labelMean },
    },
    { format: FORMAT, au_order: AU_ORDER.join(',') },
  );
  const json = { format: FORMAT, version: 1, auOrder: [...AU_ORDER], L, D, ...meta, created: new Date().toISOString() };
  await writeFileAtomic(join(dir, DIRECTIONS_META), `${JSON.stringify(json, null, 2)}\n`);
}

/** Reads directions from a folder holding directions.safetensors, or from that file. */
export function loadDirections(path: string): { directions: LinearDirections; meta: DirectionsMeta | null } {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw fileError(path, 'no such file or directory');
  const file = st.isDirectory() ? join(path, DIRECTIONS_FILE) : path;
  if (!existsSync(file)) throw fileError(path, `has no ${DIRECTIONS_FILE} (made by \`aueditnet train directions\`)`);
  const f = SafetensorsFile.open(file);
  let data: DirectionsData;
  try {
    if (f.metadata['format'] !== FORMAT) throw fileError(file, 'is not a linear-directions file of aueditnet');
    const get = (k: string) => {
      if (!f.has(k)) throw fileError(file, `has no tensor '${k}'`);
      const t = f.get(k);
      if (!(t.data instanceof Float32Array)) throw fileError(file, `tensor '${k}' is not float32`);
      return t;
    };
    const dirs = get('directions');
    if (dirs.shape.length !== 3 || dirs.shape[0] !== AU_COUNT) throw fileError(file, `directions are [${dirs.shape.join(', ')}], expected [${AU_COUNT}, L, D]`);
    const [, L, D] = dirs.shape as [number, number, number];
    data = { L, D, directions: dirs.data as Float32Array, readout: get('readout').data as Float32Array, latentMean: get('latent_mean').data as Float32Array, labelMean: get('label_mean').data as Float32Array };
  } finally {
    f.close();
  }
  let directions: LinearDirections;
  try {
    directions = new LinearDirections(data);
  } catch (err) {
    throw fileError(file, (err as Error).message, err);
  }
  const metaFile = join(file, '..', DIRECTIONS_META);
  let meta: DirectionsMeta | null = null;
  if (existsSync(metaFile)) {
    try {
      meta = JSON.parse(readFileSync(metaFile, 'utf8')) as DirectionsMeta;
    } catch (err) {
      directions.dispose();
      throw fileError(metaFile, `is not valid JSON (${(err as Error).message})`, err);
    }
  }
  return { directions, meta };
}
