/**
 * The paper's evaluation protocol (Sec. 4.2, Tables 1–2) over loaded models, without file or CLI
 * concerns (src/cli/eval.ts wires it up, src/eval/reportTables.ts prints it).
 *
 * Pairs. On the test subjects of a fold, every k-th frame is a source; its target is another
 * k-th frame of the SAME subject (the paper's setting: I_src, I_tar from one subject), drawn with a
 * per-subject seeded stream, so a subject's pairs do not depend on which other subjects are present.
 * Above `maxPairs`, a seeded subsample is kept (in the original order).
 *
 * Targets are the target frame's labels: a = the DISFA intensities, c = (a > 0).
 *
 * Methods map (W_src, W_tar, c, a) to Ŵ_tar (and Ŵ_N where the method has a neutral step):
 *   - an AUEditNet editor (the test-time path: target branch from the source's own normalised
 *     embedding, DESIGN §3);
 *   - the linear-direction baseline (read-out source intensities, Ŵ = W + Σ (a_tar − â_src) d_i;
 *     Ŵ_N = every AU to 0);
 *   - "GAN inversion (source)": Ŵ_tar = W_src — the paper's 'GAN Inversion' row of Table 2 (the
 *     inverted source compared to the target), and the do-nothing floor of Table 1;
 *   - "GAN inversion (target)": Ŵ_tar = W_tar — the ceiling of Table 1 (what H_est reads through the
 *     inversion); its "inverted target" columns are 0 by construction.
 *
 * Scores per pair and method (all images clipped to [-1, 1] as they would be saved):
 *   Table 1: H_est(Î_tar) vs the target labels (per-AU ICC(3,1), MSE); H_est(Î_N) vs all-zero (MSE).
 *   Table 2: ID distance = Euclidean distance between L2-normalised embeddings of the ID-metric net
 *     (∈ [0, 2]; = sqrt(2·(1 − cos))), Î_tar vs the real I_tar and vs the inverted G(E(I_tar));
 *     L2 = per-pixel-and-channel MSE with images in [0, 1], vs the same two references.
 *   Oracle (SynthFACS): the exact render of the source subject with the source frame's nuisance and
 *     the target labels (the edit's condition) — pixel MSE of Î_tar against it, and the MSE between
 *     H_est(Î_tar) and H_est(oracle) (what H_est sees in the edit vs in the true target face).
 */
import { AU_COUNT } from '../data/aus.js';
import { mixSeed, Rng } from '../data/random.js';
import type { TruthFrame } from '../data/truth.js';
import type { AUEditNet } from '../editor/auEditNet.js';
import type { LinearDirections } from '../editor/directions.js';
import { estimateAus } from '../estimators/evaluate.js';
import { idForward, type IdNetConfig } from '../estimators/idnet.js';
import type { Estimator } from '../estimators/model.js';
import type { Encoder } from '../gan/encoder.js';
import type { Generator } from '../gan/generator.js';
import { encoderInput, resizeBilinearPil } from '../gan/preprocess.js';
import type { RgbImage } from '../io/image.js';
import { scoped } from '../runtime/scoped.js';
import { tf } from '../runtime/tf.js';
import { renderRgb } from '../synth/canvas-node.js';
import type { Identity } from '../synth/identity.js';
import { asNuisance } from '../synth/nuisance.js';
import { auScores, type AuScores } from './auMetrics.js';
import { euclideanDistance } from './identity.js';
import { imageL2 } from './imageDistance.js';
import { mse } from './mse.js';

// ---------------------------------------------------------------------------------------------
// pairs

export interface EvalPair {
  subject: string;
  /** 1-based frame numbers, as in the label files. */
  source: number;
  target: number;
}

export interface PairOptions {
  /** Every k-th frame (1, 1 + k, …) is a source and a candidate target. */
  every: number;
  /** Keep at most this many pairs (seeded subsample); default all. */
  maxPairs?: number;
  seed: number;
}

/** Same-subject (source, target) pairs, seeded; subjects with fewer than two usable frames give none. */
export function selectPairs(subjects: readonly { id: string; frames: number }[], o: PairOptions): EvalPair[] {
  if (!Number.isInteger(o.every) || o.every < 1) throw new RangeError(`every must be a positive integer, got ${o.every}`);
  const all: EvalPair[] = [];
  for (const s of subjects) {
    const frames: number[] = [];
    for (let f = 1; f <= s.frames; f += o.every) frames.push(f);
    if (frames.length < 2) continue;
    const rng = new Rng(mixSeed('eval-pairs', o.seed, s.id));
    frames.forEach((source, i) => {
      let j = rng.int(frames.length - 1);
      if (j >= i) j += 1;
      all.push({ subject: s.id, source, target: frames[j]! });
    });
  }
  if (o.maxPairs === undefined || all.length <= o.maxPairs) return all;
  const idx = all.map((_, i) => i);
  const rng = new Rng(mixSeed('eval-subsample', o.seed));
  for (let i = 0; i < o.maxPairs; i++) {
    const j = i + rng.int(idx.length - i);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx
    .slice(0, o.maxPairs)
    .sort((a, b) => a - b)
    .map((i) => all[i]!);
}

/** `n` pair indices spread evenly over `count` pairs (the rows of the figure). */
export function gridRows(count: number, n: number): number[] {
  if (count === 0 || n <= 0) return [];
  if (n === 1 || count === 1) return [0];
  const k = Math.min(n, count);
  return [...new Set(Array.from({ length: k }, (_, i) => Math.round((i * (count - 1)) / (k - 1))))];
}

// ---------------------------------------------------------------------------------------------
// methods

export type MethodKind = 'aueditnet' | 'linear' | 'inversion-source' | 'inversion-target';

export interface MethodInput {
  wSrc: tf.Tensor3D;
  wTar: tf.Tensor3D;
  /** [B, 12] target activation (0/1) and intensity. */
  c: tf.Tensor2D;
  a: tf.Tensor2D;
  /** The same intensities as plain rows. */
  aRows: number[][];
}

export interface EvalMethod {
  name: string;
  kind: MethodKind;
  /** Called inside a tidy; returns Ŵ_tar and, for methods with a removal step, Ŵ_N. */
  apply(x: MethodInput): { wTar: tf.Tensor3D; wN?: tf.Tensor3D };
}

export function editorMethod(name: string, editor: AUEditNet): EvalMethod {
  return { name, kind: 'aueditnet', apply: (x) => editor.edit(x.wSrc, { c: x.c, a: x.a }) };
}

export function linearMethod(name: string, dirs: LinearDirections): EvalMethod {
  return {
    name,
    kind: 'linear',
    apply: (x) => {
      const src = dirs.readout(x.wSrc);
      return { wTar: dirs.edit(x.wSrc, x.aRows, { source: src }), wN: dirs.neutral(x.wSrc, { source: src }) };
    },
  };
}

export const inversionSource: EvalMethod = { name: 'GAN inversion (source)', kind: 'inversion-source', apply: (x) => ({ wTar: x.wSrc }) };
export const inversionTarget: EvalMethod = { name: 'GAN inversion (target)', kind: 'inversion-target', apply: (x) => ({ wTar: x.wTar }) };

/** A SynthFACS subject's fixed identity and per-frame truth (from truth/SNxxx.jsonl). */
export interface SubjectTruth {
  identity: Identity;
  frames: readonly TruthFrame[];
}

/**
 * The oracle of a pair: the exact render of the source subject with the source frame's nuisance and
 * the given AU intensities (RGB bytes at `size` px). With the source frame's own truth AUs it
 * reproduces the source frame pixel for pixel.
 */
export function oracleRenderer(truth: ReadonlyMap<string, SubjectTruth>): (pair: EvalPair, aus: ArrayLike<number>, size: number) => Uint8Array {
  return (pair, aus, size) => {
    const t = truth.get(pair.subject);
    if (!t) throw new Error(`no truth for subject ${pair.subject}`);
    const n = t.frames[pair.source - 1]?.nuisance;
    return renderRgb({ identity: t.identity, aus: Float64Array.from(aus), nuisance: n ? asNuisance(n) : null }, size);
  };
}

// ---------------------------------------------------------------------------------------------
// running

export interface ProtocolModels {
  generator: Generator;
  encoder: Encoder;
  hest: Estimator;
  idmetric: Estimator;
}

export interface FrameSource {
  /** A frame as [0, 1] HWC RGB (any square size). */
  image(subject: string, frame: number): Promise<RgbImage>;
  /** Its 12 labels in AU order. */
  labels(subject: string, frame: number): ArrayLike<number>;
  /** The oracle render of a pair as RGB bytes at `size` px, or absent when there is no truth. */
  oracle?: (pair: EvalPair, target: ArrayLike<number>, size: number) => Uint8Array;
}

export interface RunOptions {
  /** Pairs per model call (default 16). */
  batch?: number;
  /** Pair indices whose images are kept for the figure. */
  gridPairs?: readonly number[];
  onProgress?: (done: number, total: number) => void;
}

/** Per-pair scores of one method (P pairs). */
export interface MethodRaw {
  name: string;
  kind: MethodKind;
  /** P × 12: H_est(Î_tar). */
  hestTar: Float32Array;
  /** P × 12: H_est(Î_N), or null without a removal step. */
  hestN: Float32Array | null;
  idReal: Float64Array;
  idInverted: Float64Array;
  l2Real: Float64Array;
  l2Inverted: Float64Array;
  /** Pixel MSE vs the oracle render, or null without truth. */
  l2Oracle: Float64Array | null;
  /** P × 12 squared differences H_est(Î_tar) − H_est(oracle) are derived from hestTar and ProtocolRaw.hestOracle. */
}

export interface GridImages {
  /** Column titles. */
  columns: string[];
  /** rows[r][c]: [0, 1] HWC at the generator's size. */
  rows: Float32Array[][];
  size: number;
  pairs: EvalPair[];
}

export interface ProtocolRaw {
  pairs: EvalPair[];
  /** P × 12 target intensities. */
  targets: Float32Array;
  /** P × 12: H_est on the real target frames (the estimator's own accuracy, a reference row). */
  hestReal: Float32Array;
  /** P × 12: H_est on the oracle renders, or null. */
  hestOracle: Float32Array | null;
  /** P × 12: H_est on the inverted target G(E(I_tar)) (what the pair itself makes of the frame). */
  hestInv: Float32Array;
  methods: MethodRaw[];
  grid: GridImages;
}

/** [-1, 1] NHWC resized (bilinear, half-pixel centres) to `size` when it differs. */
function fit(x: tf.Tensor4D, size: number): tf.Tensor4D {
  return x.shape[1] === size && x.shape[2] === size ? x : tf.image.resizeBilinear(x, [size, size], false, true);
}

function unitEmbeddings(est: Estimator, x: tf.Tensor4D): Float32Array {
  const e = idForward(est.params, est.config as IdNetConfig, fit(x, est.size), false);
  return tf.div(e, tf.add(tf.norm(e, 'euclidean', 1, true), 1e-12)).dataSync() as Float32Array;
}

const to01 = (x: tf.Tensor4D) => tf.clipByValue(x, -1, 1).add(1).div(2).dataSync() as Float32Array;

/** Runs every method on every pair; frames are read, encoded and scored batch by batch. */
export async function runProtocol(pairs: readonly EvalPair[], methods: readonly EvalMethod[], models: ProtocolModels, frames: FrameSource, o: RunOptions = {}): Promise<ProtocolRaw> {
  const batch = o.batch ?? 16;
  const { generator: G, encoder: E, hest, idmetric } = models;
  const P = pairs.length;
  const S = G.config.size;
  const Se = E.config.inputSize;
  const px = S * S * 3;
  const dim = (idmetric.config as IdNetConfig).embedding;
  const hasOracle = Boolean(frames.oracle);
  const targets = new Float32Array(P * AU_COUNT);
  const hestReal = new Float32Array(P * AU_COUNT);
  const hestOracle = hasOracle ? new Float32Array(P * AU_COUNT) : null;
  const hestInv = new Float32Array(P * AU_COUNT);
  const raw: MethodRaw[] = methods.map((m) => ({
    name: m.name,
    kind: m.kind,
    hestTar: new Float32Array(P * AU_COUNT),
    hestN: null,
    idReal: new Float64Array(P),
    idInverted: new Float64Array(P),
    l2Real: new Float64Array(P),
    l2Inverted: new Float64Array(P),
    l2Oracle: hasOracle ? new Float64Array(P) : null,
  }));
  const gridSet = new Map((o.gridPairs ?? []).map((p, r) => [p, r]));
  const firstEditor = methods.findIndex((m) => m.kind === 'aueditnet');
  const columns = ['source', 'target', ...(hasOracle ? ['oracle'] : []), ...methods.map((m) => m.name), ...(firstEditor >= 0 ? [`${methods[firstEditor]!.name} Î_N`] : [])];
  const gridRowsOut: Float32Array[][] = [...gridSet.keys()].map(() => []);

  o.onProgress?.(0, P);
  for (let s = 0; s < P; s += batch) {
    const part = pairs.slice(s, s + batch);
    const B = part.length;
    const srcImgs = await Promise.all(part.map((p) => frames.image(p.subject, p.source)));
    const tarImgs = await Promise.all(part.map((p) => frames.image(p.subject, p.target)));
    const encIn = new Float32Array(2 * B * Se * Se * 3);
    [...srcImgs, ...tarImgs].forEach((img, i) => encIn.set(encoderInput(img, Se), i * Se * Se * 3));
    // real frames at the generator's size, [0, 1]
    const atS = (img: RgbImage) => (img.width === S && img.height === S ? img.data : resizeBilinearPil(img, S, S).data);
    const real01 = new Float32Array(B * px);
    tarImgs.forEach((img, b) => real01.set(atS(img), b * px));
    const aRows = part.map((p) => Array.from(frames.labels(p.subject, p.target), Number));
    aRows.forEach((r, b) => targets.set(r, (s + b) * AU_COUNT));
    const oracle01 = hasOracle ? new Float32Array(B * px) : null;
    if (oracle01) part.forEach((p, b) => frames.oracle!(p, aRows[b]!, S).forEach((v, k) => (oracle01[b * px + k] = v / 255)));

    const wAll = tf.tidy(() => E.encode(tf.tensor4d(encIn, [2 * B, Se, Se, 3])));
    const [wSrc, wTar] = tf.split(wAll, 2, 0) as [tf.Tensor3D, tf.Tensor3D];
    wAll.dispose();
    try {
      // references: H_est of the real target, the oracle; the inverted target's image and embedding
      const ref = scoped(() => {
        const realX = tf.tensor4d(real01, [B, S, S, 3]).mul(2).sub(1) as tf.Tensor4D;
        const hr = estimateAus(hest, fit(realX, hest.size)).dataSync() as Float32Array;
        const embReal = unitEmbeddings(idmetric, realX);
        let ho: Float32Array | null = null;
        if (oracle01) ho = estimateAus(hest, fit(tf.tensor4d(oracle01, [B, S, S, 3]).mul(2).sub(1) as tf.Tensor4D, hest.size)).dataSync() as Float32Array;
        const inv = tf.clipByValue(G.synthesis(wTar, { noise: 'const' }), -1, 1) as tf.Tensor4D;
        const hi = estimateAus(hest, fit(inv, hest.size)).dataSync() as Float32Array;
        return { hr, ho, hi, embReal, embInv: unitEmbeddings(idmetric, inv), inv01: to01(inv) };
      });
      hestReal.set(ref.hr, s * AU_COUNT);
      hestInv.set(ref.hi, s * AU_COUNT);
      if (ref.ho) hestOracle!.set(ref.ho, s * AU_COUNT);
      const c = aRows.map((r) => r.map((v) => (v > 0 ? 1 : 0)));
      const gridCols = new Map<number, Float32Array[]>();
      part.forEach((p, b) => {
        const r = gridSet.get(s + b);
        if (r === undefined) return;
        const cols = [Float32Array.from(atS(srcImgs[b]!)), real01.slice(b * px, (b + 1) * px)];
        if (oracle01) cols.push(oracle01.slice(b * px, (b + 1) * px));
        gridCols.set(b, cols);
      });
      let neutralForGrid: Float32Array | null = null;
      methods.forEach((m, k) => {
        const out = scoped(() => {
          const w = m.apply({ wSrc, wTar, c: tf.tensor2d(c, [B, AU_COUNT]), a: tf.tensor2d(aRows, [B, AU_COUNT]), aRows });
          const img = tf.clipByValue(G.synthesis(w.wTar, { noise: 'const' }), -1, 1) as tf.Tensor4D;
          const h = estimateAus(hest, fit(img, hest.size)).dataSync() as Float32Array;
          const emb = unitEmbeddings(idmetric, img);
          let hN: Float32Array | null = null;
          let n01: Float32Array | null = null;
          if (w.wN) {
            const imgN = tf.clipByValue(G.synthesis(w.wN, { noise: 'const' }), -1, 1) as tf.Tensor4D;
            hN = estimateAus(hest, fit(imgN, hest.size)).dataSync() as Float32Array;
            if (k === firstEditor && gridCols.size > 0) n01 = to01(imgN);
          }
          return { h, emb, hN, img01: to01(img), n01 };
        });
        const r = raw[k]!;
        r.hestTar.set(out.h, s * AU_COUNT);
        if (out.hN) {
          r.hestN ??= new Float32Array(P * AU_COUNT);
          r.hestN.set(out.hN, s * AU_COUNT);
        }
        for (let b = 0; b < B; b++) {
          const e = out.emb.subarray(b * dim, (b + 1) * dim);
          const im = out.img01.subarray(b * px, (b + 1) * px);
          r.idReal[s + b] = euclideanDistance(e, ref.embReal.subarray(b * dim, (b + 1) * dim));
          r.idInverted[s + b] = euclideanDistance(e, ref.embInv.subarray(b * dim, (b + 1) * dim));
          r.l2Real[s + b] = imageL2(im, real01.subarray(b * px, (b + 1) * px));
          r.l2Inverted[s + b] = imageL2(im, ref.inv01.subarray(b * px, (b + 1) * px));
          if (oracle01) r.l2Oracle![s + b] = imageL2(im, oracle01.subarray(b * px, (b + 1) * px));
          gridCols.get(b)?.push(out.img01.slice(b * px, (b + 1) * px));
        }
        if (out.n01) neutralForGrid = out.n01;
      });
      for (const [b, cols] of gridCols) {
        if (neutralForGrid) cols.push((neutralForGrid as Float32Array).slice(b * px, (b + 1) * px));
        gridRowsOut[gridSet.get(s + b)!] = cols;
      }
    } finally {
      tf.dispose([wSrc, wTar]);
    }
    o.onProgress?.(s + B, P);
  }
  return {
    pairs: [...pairs],
    targets,
    hestReal,
    hestOracle,
    hestInv,
    methods: raw,
    grid: { columns, rows: gridRowsOut, size: S, pairs: [...gridSet.keys()].map((i) => pairs[i]!) },
  };
}

// ---------------------------------------------------------------------------------------------
// aggregation

export interface MeanSd {
  mean: number;
  sd: number;
}

export interface MethodSummary {
  name: string;
  kind: MethodKind;
  /** Table 1: H_est(Î_tar) vs the target labels. */
  edit: AuScores;
  /** Table 1 '(N)': per-AU MSE of H_est(Î_N) vs 0, and their mean; null without a removal step. */
  neutral: { perAu: { au: number; mse: number }[]; meanMse: number } | null;
  /** Table 2. */
  identity: { real: MeanSd; inverted: MeanSd };
  l2: { real: MeanSd; inverted: MeanSd };
  /** Oracle columns, or null without truth. */
  oracle: { l2: MeanSd; hest: { perAu: { au: number; mse: number }[]; meanMse: number } } | null;
}

export interface NeutralReference {
  /** Pairs whose target frame is at rest. */
  frames: number;
  real: { perAu: { au: number; mse: number }[]; meanMse: number };
  inverted: { perAu: { au: number; mse: number }[]; meanMse: number };
}

export interface ProtocolSummary {
  pairs: number;
  /**
   * Reference rows of Table 1: H_est on the real targets (and on the oracle renders); for the (N)
   * rows, H_est against all-zero on the target frames at rest (all 12 labels 0), real and inverted
   * — what the estimator and the pair make of a truly neutral face (null when no target is at rest).
   */
  reference: { real: AuScores; oracle: AuScores | null; neutral: NeutralReference | null };
  methods: MethodSummary[];
}

export function meanSd(values: ArrayLike<number>): MeanSd {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, sd: Number.NaN };
  let m = 0;
  for (let i = 0; i < n; i++) m += values[i]!;
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (values[i]! - m) ** 2;
  return { mean: m, sd: n > 1 ? Math.sqrt(v / (n - 1)) : 0 };
}

/** Rows of a P × 12 block. */
export function auRows(block: Float32Array | Float64Array): Float32Array[] {
  return Array.from({ length: block.length / AU_COUNT }, (_, i) => Float32Array.from(block.subarray(i * AU_COUNT, (i + 1) * AU_COUNT)));
}

/** Per-AU MSE between two P × 12 blocks (columns) and the mean over AUs. */
export function perAuMse(a: Float32Array | Float64Array, b: Float32Array | Float64Array, aus: readonly number[]): { perAu: { au: number; mse: number }[]; meanMse: number } {
  if (a.length !== b.length) throw new Error(`perAuMse: ${a.length} vs ${b.length} values`);
  const P = a.length / AU_COUNT;
  const perAu = aus.map((au, j) => {
    const x = new Float64Array(P), y = new Float64Array(P);
    for (let i = 0; i < P; i++) {
      x[i] = a[i * AU_COUNT + j]!;
      y[i] = b[i * AU_COUNT + j]!;
    }
    return { au, mse: mse(x, y) };
  });
  return { perAu, meanMse: perAu.reduce((s, x) => s + x.mse, 0) / perAu.length };
}

/** H_est against all-zero on the rest targets (every label 0), real and inverted; null without one. */
export function neutralReference(targets: Float32Array[], hestReal: Float32Array, hestInv: Float32Array, aus: readonly number[]): NeutralReference | null {
  const rest = targets.flatMap((t, i) => (t.every((v) => v === 0) ? [i] : []));
  if (rest.length === 0) return null;
  const pick = (block: Float32Array) => {
    const out = new Float32Array(rest.length * AU_COUNT);
    rest.forEach((i, r) => out.set(block.subarray(i * AU_COUNT, (i + 1) * AU_COUNT), r * AU_COUNT));
    return out;
  };
  const zeros = new Float32Array(rest.length * AU_COUNT);
  return { frames: rest.length, real: perAuMse(zeros, pick(hestReal), aus), inverted: perAuMse(zeros, pick(hestInv), aus) };
}

/** Tables 1–2 (and the oracle columns) from per-pair scores. */
export function summarise(raw: Pick<ProtocolRaw, 'targets' | 'hestReal' | 'hestOracle' | 'hestInv' | 'methods'>, aus: readonly number[]): ProtocolSummary {
  const targets = auRows(raw.targets);
  const P = targets.length;
  const zeros = new Float32Array(P * AU_COUNT);
  return {
    pairs: P,
    reference: {
      real: auScores(targets, auRows(raw.hestReal)),
      oracle: raw.hestOracle ? auScores(targets, auRows(raw.hestOracle)) : null,
      neutral: neutralReference(targets, raw.hestReal, raw.hestInv, aus),
    },
    methods: raw.methods.map((m) => ({
      name: m.name,
      kind: m.kind,
      edit: auScores(targets, auRows(m.hestTar)),
      neutral: m.hestN ? perAuMse(zeros, m.hestN, aus) : null,
      identity: { real: meanSd(m.idReal), inverted: meanSd(m.idInverted) },
      l2: { real: meanSd(m.l2Real), inverted: meanSd(m.l2Inverted) },
      oracle: m.l2Oracle && raw.hestOracle ? { l2: meanSd(m.l2Oracle), hest: perAuMse(raw.hestOracle, m.hestTar, aus) } : null,
    })),
  };
}
