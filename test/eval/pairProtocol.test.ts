/**
 * `aueditnet eval-pair` (issue #4's measures): the pieces against direct computations on tiny
 * random models (32 px), and the command end to end on a tiny SynthFACS set — files written and
 * reproduced for the same seed, clear errors for bad inputs.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AU_COUNT } from '../../src/data/aus.js';
import { openDisfa } from '../../src/data/disfa.js';
import { LinearDirections } from '../../src/editor/directions.js';
import { estimateAus } from '../../src/estimators/evaluate.js';
import { batchImages, type ImageSet } from '../../src/estimators/imageSet.js';
import { imageSetFromDisfa } from '../../src/estimators/loadImageSet.js';
import { buildEstimator, saveEstimator, type Estimator } from '../../src/estimators/model.js';
import { auMoveReport, checkSizes, crossSubjectPairs, interpolationImages, interpolationReport, moveAlong, reconstructionReport } from '../../src/eval/pairProtocol.js';
import { psnr } from '../../src/eval/psnr.js';
import { auRegionMap } from '../../src/synth/auRegionMap.js';
import { Encoder } from '../../src/gan/encoder.js';
import { Generator } from '../../src/gan/generator.js';
import { saveEncoder, saveGenerator } from '../../src/gan/modelDir.js';
import { initRuntime, tf } from '../../src/runtime/index.js';
import { writeDisfa } from '../../src/synth/disfa-writer.js';
import { cli } from '../cli/helpers.js';
import { tempDir } from '../data/temp.js';
import { TINY_E16, TINY_G16 } from '../gan/tinyConfigs.js';

const SYNTH = { noise: 'const', mode: 'shared' } as const;
const root = tempDir('aueditnet-evalpair-');
const dataDir = join(root, 'data'), pairDir = join(root, 'pair');
let g: Generator, e: Encoder, hest: Estimator, set: ImageSet;

beforeAll(async () => {
  await initRuntime();
  await writeDisfa({ out: dataDir, size: 32, frames: 6, subjects: ['SN003', 'SN029', 'SN001', 'SN002'], seed: 3, nuisance: true, workers: 0 });
  mkdirSync(pairDir);
  g = new Generator(TINY_G16, { seed: 2 }).freeze();
  e = new Encoder(TINY_E16, { seed: 1 }).freeze();
  await saveGenerator(pairDir, g);
  await saveEncoder(pairDir, e);
  hest = buildEstimator('hest', { stem: 4, stages: [4, 8], hidden: 8, outputs: 12 }, 32, 5);
  await saveEstimator(pairDir, hest, { note: 'test' });
  set = await imageSetFromDisfa(await openDisfa(dataDir), ['SN003', 'SN029'], { every: 1 });
}, 120_000);

afterAll(() => {
  g.dispose();
  e.dispose();
  hest.params.dispose();
});

const unit = (x: tf.Tensor) => tf.tidy(() => x.clipByValue(-1, 1).add(1).div(2).dataSync() as Float32Array);

describe('pair protocol', () => {
  it('reconstruction PSNR and H_est readings equal a direct computation, per subject too', () => {
    const r = reconstructionReport(g, e, set, { hest, chunk: 5 });
    expect(r.images).toBe(12);
    const x = batchImages(set, Array.from({ length: 12 }, (_, i) => i));
    const rec = g.synthesis(e.encode(x), SYNTH);
    const a = unit(x), b = unit(rec);
    const n = 32 * 32 * 3;
    const direct = Array.from({ length: 12 }, (_, i) => psnr(a.subarray(i * n, (i + 1) * n), b.subarray(i * n, (i + 1) * n)));
    expect(r.psnr.mean).toBeCloseTo(direct.reduce((s, v) => s + v, 0) / 12, 4);
    expect(r.psnr.min).toBeCloseTo(Math.min(...direct), 4);
    expect(Object.keys(r.psnr.perSubject)).toEqual(['SN003', 'SN029']);
    expect(r.psnr.perSubject['SN003']).toBeCloseTo(direct.slice(0, 6).reduce((s, v) => s + v, 0) / 6, 4);
    // AU-region PSNR: the same images restricted to auRegionMap > 0.5, computed here by hand
    const region = auRegionMap(32);
    const inRegion = Array.from(region, (v) => v > 0.5);
    expect(r.auRegionPsnr.share).toBeCloseTo(inRegion.filter(Boolean).length / inRegion.length, 10);
    expect(r.auRegionPsnr.share).toBeGreaterThan(0.01);
    expect(r.auRegionPsnr.share).toBeLessThan(0.5);
    const byHand = Array.from({ length: 12 }, (_, i) => {
      let se = 0, cnt = 0;
      for (let p = 0; p < 32 * 32; p++) {
        if (!inRegion[p]) continue;
        for (let c = 0; c < 3; c++) se += (a[i * n + p * 3 + c]! - b[i * n + p * 3 + c]!) ** 2;
        cnt += 3;
      }
      return 10 * Math.log10(cnt / se);
    });
    expect(r.auRegionPsnr.mean).toBeCloseTo(byHand.reduce((s, v) => s + v, 0) / 12, 4);
    const ho = estimateAus(hest, x).dataSync(), hr = estimateAus(hest, rec.clipByValue(-1, 1) as tf.Tensor4D).dataSync();
    let se = 0;
    for (let i = 0; i < 12; i++) se += (hr[i * AU_COUNT + 6]! - ho[i * AU_COUNT + 6]!) ** 2;
    expect(r.au!.reconVsOriginal.perAu[6]!.au).toBe(12);
    expect(r.au!.reconVsOriginal.perAu[6]!.mse).toBeCloseTo(se / 12, 5);
    expect(r.au!.original.perAu).toHaveLength(12);
    tf.dispose([x, rec]);
  });

  it('interpolation paths start and end at the two reconstructions; evenness and path ratio are ≥ 1', () => {
    const pairs = crossSubjectPairs(set, 3, 1);
    for (const [a, b] of pairs) expect(set.groups[a]).not.toBe(set.groups[b]);
    const [strip] = interpolationImages(g, e, set, pairs.slice(0, 1), 4);
    expect(strip!.shape).toEqual([5, 32, 32, 3]);
    const ends = g.synthesis(e.encode(batchImages(set, [...pairs[0]!])), SYNTH);
    const s = strip!.dataSync(), d = ends.dataSync(), n = 32 * 32 * 3;
    let err = 0;
    for (let k = 0; k < n; k++) err = Math.max(err, Math.abs(s[k]! - d[k]!), Math.abs(s[4 * n + k]! - d[n + k]!));
    expect(err).toBeLessThan(1e-5);
    tf.dispose([strip!, ends]);
    const r = interpolationReport(g, e, set, { paths: 3, steps: 4, seed: 1 });
    expect(r.evenness.mean).toBeGreaterThanOrEqual(1);
    expect(r.pathRatio.mean).toBeGreaterThanOrEqual(1 - 1e-6);
    expect(r.evenness.worst).toBeGreaterThanOrEqual(r.evenness.mean);
  });

  it('moveAlong adds amount × the AU direction to every row; the move report counts every AU', () => {
    const L = 8, D = 16, P = L * D;
    const directions = Float32Array.from({ length: 12 * P }, (_, i) => Math.sin(i * 0.37) * 0.1);
    const dirs = new LinearDirections({ L, D, directions, readout: new Float32Array(12 * P), latentMean: new Float32Array(P), labelMean: new Float32Array(12) });
    const w = tf.randomNormal([2, L, D], 0, 1, 'float32', 3) as tf.Tensor3D;
    const moved = moveAlong(dirs, w, 6, 2.5);
    const got = moved.sub(w).dataSync();
    let err = 0;
    for (let b = 0; b < 2; b++) for (let k = 0; k < P; k++) err = Math.max(err, Math.abs(got[b * P + k]! - 2.5 * directions[6 * P + k]!));
    expect(err).toBeLessThan(1e-5);
    const r = auMoveReport(g, e, hest, dirs, set, { amount: 2, images: 4, seed: 1, chunk: 3 });
    expect(r.images).toBe(4);
    expect(r.perAu.map((p) => p.au)).toEqual([1, 2, 4, 5, 6, 9, 12, 15, 17, 20, 25, 26]);
    expect(r.perAu.every((p) => Number.isFinite(p.moved) && p.others >= 0)).toBe(true);
    tf.dispose([w, moved]);
    dirs.dispose();
  });

  it('refuses frames of another size than the pair', () => {
    const small: ImageSet = { ...set, size: 16, pixels: new Uint8Array(set.count * 16 * 16 * 3) };
    expect(() => checkSizes(g, e, small)).toThrow(/encoder takes 32 px images, the frames are 16 px/);
  });

  it('does not leak tensors across repeated reports', () => {
    reconstructionReport(g, e, set, { hest });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      reconstructionReport(g, e, set, { hest });
      interpolationReport(g, e, set, { paths: 2, steps: 2, seed: i });
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('aueditnet eval-pair', () => {
  const args = (out: string) => ['eval-pair', '--model', pairDir, '--data', dataDir, '--every', '2', '--paths', '3', '--steps', '3', '--move-images', '4', '--directions-every', '1', '--out', out, '--quiet'];

  it('writes the report and grids, and reproduces the report for the same seed', async () => {
    const o1 = join(root, 'r1'), o2 = join(root, 'r2');
    const r = await cli(args(o1));
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['pair-report.json', 'pair-report.md', 'recon.png', 'interp.png', 'moves.png']) expect(existsSync(join(o1, f)), f).toBe(true);
    const rep = JSON.parse(readFileSync(join(o1, 'pair-report.json'), 'utf8')) as { data: { testSubjects: string[]; testImages: number }; reconstruction: { psnr: { mean: number } }; auMoves: { perAu: unknown[] } };
    expect(rep.data.testSubjects).toEqual(['SN003', 'SN029']);
    expect(rep.data.testImages).toBe(6);
    expect(Number.isFinite(rep.reconstruction.psnr.mean)).toBe(true);
    expect(rep.auMoves.perAu).toHaveLength(12);
    const again = await cli(args(o2));
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(join(o2, 'pair-report.json'), 'utf8')).toBe(readFileSync(join(o1, 'pair-report.json'), 'utf8').replaceAll(o1, o2));
  }, 240_000);

  it('--refine adds the encoder + optimisation inversion on a subset, better than the encoder alone', async () => {
    const out = join(root, 'r5');
    const r = await cli([...args(out), '--no-hest', '--refine', '30', '--refine-images', '3']);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(readFileSync(join(out, 'pair-report.json'), 'utf8')) as { reconstruction: { psnr: { mean: number } }; refined: { steps: number; report: { images: number; psnr: { mean: number } } } };
    expect(rep.refined.steps).toBe(30);
    expect(rep.refined.report.images).toBe(3);
    // a random tiny pair reconstructs badly, so 30 steps on W+ must gain clearly
    expect(rep.refined.report.psnr.mean).toBeGreaterThan(rep.reconstruction.psnr.mean + 0.5);
    expect(readFileSync(join(out, 'pair-report.md'), 'utf8')).toMatch(/With 30 refinement steps/);
    const bad = await cli([...args(join(root, 'r6')), '--refine', '-2']);
    expect(bad.stderr).toMatch(/--refine -2: expected an integer ≥ 0/);
  }, 240_000);

  it('names the missing H_est, and skips the AU measures with --no-hest', async () => {
    const noHest = join(root, 'nohest');
    mkdirSync(noHest);
    const bad = await cli(['eval-pair', '--model', pairDir, '--data', dataDir, '--hest', noHest, '--out', join(root, 'r3')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/nohest.*has no hest\.safetensors/);
    const skip = await cli([...args(join(root, 'r4')), '--no-hest']);
    expect(skip.code, skip.stderr).toBe(0);
    const rep = JSON.parse(readFileSync(join(root, 'r4', 'pair-report.json'), 'utf8')) as { auMoves: unknown; reconstruction: { au?: unknown } };
    expect(rep.auMoves).toBeNull();
    expect(rep.reconstruction.au).toBeUndefined();
    expect(existsSync(join(root, 'r4', 'moves.png'))).toBe(false);
  }, 240_000);
});
