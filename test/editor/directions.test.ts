/**
 * The linear-direction baseline: recovery of known directions and labels from synthetic latents
 * (W = identity offset + Σ a_i d_i + noise), editing semantics, files, tensor memory, and a tiny
 * end-to-end `train directions` run.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AU_COUNT } from '../../src/data/aus.js';
import { latentsOf, type LatentCache } from '../../src/data/latentCache.js';
import { fitDirections, LinearDirections, loadDirections, saveDirections, type DirectionsData, type FitReport } from '../../src/editor/directions.js';
import { Encoder } from '../../src/gan/encoder.js';
import { Generator } from '../../src/gan/generator.js';
import { saveEncoder, saveGenerator } from '../../src/gan/modelDir.js';
import { initRuntime, tf } from '../../src/runtime/index.js';
import { writeDisfa } from '../../src/synth/disfa-writer.js';
import { cli } from '../cli/helpers.js';
import { TINY_E80, TINY_G80 } from '../gan/tinyConfigs.js';

const root = mkdtempSync(join(tmpdir(), 'aueditnet-directions-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const L = 4;
const D = 16;
const P = L * D;

/** Deterministic normal numbers. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
}

const normal = rng(42);
/** True directions [12, P]. */
const trueDirs = Float32Array.from({ length: AU_COUNT * P }, () => normal() * 0.3);
/** Identity lives in a 4-dim subspace of W+. */
const idBasis = Float32Array.from({ length: 4 * P }, () => normal());

/** A cache of `subjects` synthetic subjects, `perSubject` rows each. */
function synthCache(subjects: number, perSubject: number, seed: number): LatentCache {
  const r = rng(seed);
  const count = subjects * perSubject;
  const latents = new Float32Array(count * P);
  const labels = new Float32Array(count * AU_COUNT);
  const subjectOf = new Int32Array(count);
  const frameOf = new Int32Array(count);
  for (let s = 0; s < subjects; s++) {
    const z = [r(), r(), r(), r()].map((v) => v * 3);
    for (let f = 0; f < perSubject; f++) {
      const n = s * perSubject + f;
      subjectOf[n] = s;
      frameOf[n] = f + 1;
      const a = Array.from({ length: AU_COUNT }, () => (Math.abs(r()) > 0.8 ? Math.min(5, Math.round(Math.abs(r()) * 2.5)) : 0));
      a[4] = Math.max(a[4]!, a[6]! > 2 ? a[6]! - 1 : 0); // AU6 co-occurs with AU12
      labels.set(a, n * AU_COUNT);
      for (let p = 0; p < P; p++) {
        let v = 0.01 * r();
        for (let k = 0; k < 4; k++) v += z[k]! * idBasis[k * P + p]!;
        for (let i = 0; i < AU_COUNT; i++) v += a[i]! * trueDirs[i * P + p]!;
        latents[n * P + p] = v;
      }
    }
  }
  return { subjects: Array.from({ length: subjects }, (_, s) => `S${s}`), L, D, count, latents, labels, subjectOf, frameOf };
}

let train: LatentCache;
let test: LatentCache;
let data: DirectionsData;
let report: FitReport;
let dirs: LinearDirections;

beforeAll(async () => {
  await initRuntime();
  train = synthCache(12, 60, 1);
  test = synthCache(4, 40, 2);
  ({ data, report } = fitDirections(train, { lambda: 1e-4 }));
  dirs = new LinearDirections(data);
}, 60_000);
afterAll(() => dirs?.dispose());

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let k = 0; k < a.length; k++) {
    ab += a[k]! * b[k]!;
    aa += a[k]! ** 2;
    bb += b[k]! ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

describe('fitDirections', () => {
  it('recovers the true per-AU directions', () => {
    for (let i = 0; i < AU_COUNT; i++) {
      const d = dirs.direction(i);
      expect(cosine(d, trueDirs.subarray(i * P, (i + 1) * P)), `AU index ${i}`).toBeGreaterThan(0.99);
      // and their length: latent change per unit of AU
      const ratio = Math.hypot(...d) / Math.hypot(...trueDirs.subarray(i * P, (i + 1) * P));
      expect(ratio).toBeGreaterThan(0.97);
      expect(ratio).toBeLessThan(1.03);
    }
    expect(report.latentR2).toBeGreaterThan(0.95);
    expect(report.rows).toBe(720);
  });

  it('reads the labels out of latents of training and unseen subjects', () => {
    for (const r of report.r2Train) expect(r!).toBeGreaterThan(0.98);
    for (const r of dirs.score(test)) expect(r!).toBeGreaterThan(0.95);
    expect(report.readoutCv).toBeNull();
  });

  it("readoutLambda 'auto': a weak ridge where latents carry the labels, the strongest where they carry none", () => {
    const clean = fitDirections(synthCache(6, 30, 3), { lambda: 1e-4, readoutLambda: 'auto' }).report;
    const cv = clean.readoutCv!;
    expect(cv.folds).toBe(3);
    expect(cv.grid).toEqual([1e-3, 1e-2, 1e-1, 1, 10, 100]);
    expect(cv.mse.every(Number.isFinite)).toBe(true);
    expect(cv.chosen).toBe(cv.grid[cv.mse.indexOf(Math.min(...cv.mse))]);
    expect(clean.readoutLambda).toBe(cv.chosen);
    expect(cv.chosen).toBeLessThanOrEqual(1e-2);
    // validation MSE at the strongest ridge ≈ the label variance: the read-out has shrunk to the mean
    expect(cv.mse.at(-1)!).toBeGreaterThan(10 * Math.min(...cv.mse));

    // the same latents with labels shuffled across rows: nothing to read, so the most shrinkage wins
    const noise = synthCache(6, 30, 4);
    const r = rng(9);
    const order = Array.from({ length: noise.count }, (_, k) => k).sort(() => r());
    const shuffled = new Float32Array(noise.labels.length);
    order.forEach((from, to) => shuffled.set(noise.labels.subarray(from * AU_COUNT, (from + 1) * AU_COUNT), to * AU_COUNT));
    const none = fitDirections({ ...noise, labels: shuffled }, { readoutLambda: 'auto' }).report;
    expect(none.readoutLambda).toBe(100);
    expect(none.readoutCv!.mse[0]!).toBeGreaterThan(none.readoutCv!.mse.at(-1)!);
  });

  it("refuses 'auto' with fewer subjects than folds, and bad grids", () => {
    expect(() => fitDirections(synthCache(2, 20, 5), { readoutLambda: 'auto' })).toThrow(/at least 3 subjects/);
    expect(() => fitDirections(synthCache(4, 10, 5), { readoutLambda: 'auto', readoutGrid: [1, -1] })).toThrow(/positive numbers/);
  });
});

describe('LinearDirections', () => {
  const rowsOf = (t: tf.Tensor2D) => t.arraySync();

  it('edits so that the read-out gives the targets and keeps AUs without a target', () => {
    const w = latentsOf(test, [0, 7, 33]);
    const before = rowsOf(dirs.readout(w));
    const targets = [3, null, 0, null, 2, null, 4, null, null, 1, null, 0];
    const e = dirs.edit(w, targets);
    const after = rowsOf(dirs.readout(e));
    after.forEach((row, b) =>
      row.forEach((v, i) => {
        const want = targets[i] ?? before[b]![i]!;
        expect(Math.abs(v - want), `sample ${b} AU index ${i}`).toBeLessThan(0.1);
      }),
    );
    const n = dirs.neutral(w);
    for (const row of rowsOf(dirs.readout(n))) for (const v of row) expect(Math.abs(v)).toBeLessThan(0.1);
    // all-null targets leave W as it is
    const same = dirs.edit(w, new Array(AU_COUNT).fill(null));
    expect(tf.max(tf.abs(tf.sub(same, w))).dataSync()[0]).toBe(0);
    tf.dispose([w, e, n, same]);
  });

  it('takes known source intensities, per-sample targets and a subset of levels', () => {
    const w = latentsOf(test, [1, 2]);
    const src = [Array.from(test.labels.subarray(AU_COUNT, 2 * AU_COUNT)), Array.from(test.labels.subarray(2 * AU_COUNT, 3 * AU_COUNT))];
    const t1 = [...src[0]!] as (number | null)[];
    t1[6] = 5;
    const t2 = new Array<number | null>(AU_COUNT).fill(null);
    t2[0] = 2;
    const e = dirs.edit(w, [t1, t2], { source: src });
    const diff = tf.sub(e, w).arraySync() as number[][][];
    // sample 0: only AU12 moves, by (5 − source) units along d_12
    const d12 = dirs.direction(6);
    const k = 5 - src[0]![6]!;
    diff[0]!.flat().forEach((v, p) => expect(v).toBeCloseTo(k * d12[p]!, 4));
    const d1 = dirs.direction(0);
    diff[1]!.flat().forEach((v, p) => expect(v).toBeCloseTo((2 - src[1]![0]!) * d1[p]!, 4));
    const lv = dirs.edit(w, t1, { source: src, levels: [1, 3] });
    const dl = tf.sub(lv, w).arraySync() as number[][][];
    expect(dl[0]![0]!.every((v) => v === 0) && dl[0]![2]!.every((v) => v === 0)).toBe(true);
    expect(dl[0]![1]!.some((v) => v !== 0)).toBe(true);
    expect(() => dirs.edit(w, [1, 2])).toThrow(/12 entries/);
    expect(() => dirs.edit(w, t1, { levels: [L] })).toThrow(/outside/);
    tf.dispose([w, e, lv]);
  });

  it('keeps the tensor count flat over 20 edits', () => {
    const w = latentsOf(test, [0, 1, 2, 3]);
    const targets = [1, null, null, 2, null, null, 3, null, null, null, 1, null];
    const run = () => {
      const e = dirs.edit(w, targets);
      const n = dirs.neutral(e);
      const r = dirs.readout(n);
      tf.dispose([e, n, r]);
    };
    run();
    const start = tf.memory().numTensors;
    for (let k = 0; k < 20; k++) run();
    expect(tf.memory().numTensors).toBe(start);
    w.dispose();
  });

  it('round-trips through directions.safetensors + directions.json', async () => {
    const dir = join(root, 'saved');
    mkdirSync(dir);
    await saveDirections(dir, data, { fold: 3, lambda: 1e-4, r2Train: report.r2Train });
    const { directions: back, meta } = loadDirections(dir);
    expect(back.data.directions).toEqual(data.directions);
    expect(back.data.readout).toEqual(data.readout);
    expect(back.data.latentMean).toEqual(data.latentMean);
    expect(back.data.labelMean).toEqual(data.labelMean);
    expect(meta!['fold']).toBe(3);
    expect(meta!['L']).toBe(L);
    back.dispose();
    expect(() => loadDirections(join(root, 'nowhere'))).toThrow(/no such file/);
  });
});

describe('train directions (CLI)', () => {
  const tinyG = TINY_G80;
  const tinyE = TINY_E80;
  const dataDir = join(root, 'disfa');
  const pairDir = join(root, 'pair');
  const out = join(root, 'out');

  beforeAll(async () => {
    // SN002 and SN010 train in fold 3, SN003 is tested
    await writeDisfa({ out: dataDir, size: 32, frames: 8, subjects: ['SN002', 'SN003', 'SN010'], seed: 5, nuisance: true, workers: 0 });
    mkdirSync(pairDir);
    const g = new Generator(tinyG, { seed: 1 });
    const e = new Encoder(tinyE, { seed: 2 });
    await saveGenerator(pairDir, g);
    await saveEncoder(pairDir, e);
    g.dispose();
    e.dispose();
  }, 120_000);

  it('writes directions and latent caches, and reuses the caches', async () => {
    const args = ['train', 'directions', '--data', dataDir, '--fold', '3', '--pair', pairDir, '--out', out, '--every', '2', '--quiet'];
    const r = await cli(args);
    expect(r.stderr).toContain('using 2 training and 1 test subjects');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('read-out R²');
    expect(r.stdout).toMatch(/train .*\n {2}test /);
    for (const f of ['directions.safetensors', 'directions.json', 'latents-train.safetensors', 'latents-test.safetensors']) expect(existsSync(join(out, f)), f).toBe(true);
    const meta = JSON.parse(readFileSync(join(out, 'directions.json'), 'utf8')) as Record<string, unknown>;
    expect(meta['fold']).toBe(3);
    expect(meta['trainSubjects']).toEqual(['SN002', 'SN010']);
    expect(meta['testSubjects']).toEqual(['SN003']);
    expect(meta['trainRows']).toBe(8);
    expect(Object.keys(meta['r2Train'] as object)).toHaveLength(12);
    expect(meta['r2Test']).not.toBeNull();
    const { directions } = loadDirections(out);
    expect([directions.L, directions.D]).toEqual([8, 80]);
    directions.dispose();
    const again = await cli(args.filter((a) => a !== '--quiet'));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('using 8 cached train latents');
  }, 120_000);

  it('explains missing inputs in one line', async () => {
    const noPair = await cli(['train', 'directions', '--data', dataDir, '--pair', join(root, 'nopair'), '--out', join(root, 'o2')]);
    expect(noPair.code).toBe(2);
    expect(noPair.stderr).toMatch(/nopair.*no such directory/);
    const noData = await cli(['train', 'directions', '--data', join(root, 'nodata'), '--pair', pairDir, '--out', join(root, 'o2')]);
    expect(noData.code).toBe(2);
    expect(noData.stderr).toMatch(/nodata.*no such directory/);
    const emptyPair = join(root, 'empty');
    mkdirSync(emptyPair);
    const noEnc = await cli(['train', 'directions', '--data', dataDir, '--pair', emptyPair, '--out', join(root, 'o2')]);
    expect(noEnc.code).toBe(2);
    expect(noEnc.stderr).toContain('encoder.safetensors');
    const badRidge = await cli(['train', 'directions', '--data', dataDir, '--pair', pairDir, '--out', join(root, 'o2'), '--readout-lambda', 'best']);
    expect(badRidge.code).toBe(2);
    expect(badRidge.stderr).toMatch(/--readout-lambda best: expected a positive number or 'auto'/);
    const help = await cli(['train', 'directions', '--help']);
    expect(help.stdout).toContain('--lambda');
    expect(help.stdout).toContain('--readout-lambda');
  }, 120_000);
});
