/**
 * `aueditnet train hest` with a learning-rate schedule and `aueditnet eval-hest` end to end on a
 * tiny DISFA-layout set: the schedule is checked and recorded, the scores printed and written
 * are the ones `evaluateHest` computes on the same frames, and `--frames` keeps each subject's prefix.
 */
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDisfa } from '../../src/data/disfa.js';
import { estimateAus, evaluateHest, predictSet } from '../../src/estimators/evaluate.js';
import { imageToTensorData } from '../../src/io/image.js';
import { tf } from '../../src/runtime/index.js';
import { subjectFace } from '../../src/synth/subjectFace.js';
import { imageSetFromDisfa } from '../../src/estimators/loadImageSet.js';
import { loadEstimator } from '../../src/estimators/model.js';
import { checkpointInfo } from '../../src/nn/trainLoop.js';
import { initRuntime } from '../../src/runtime/index.js';
import { writeDisfa } from '../../src/synth/disfa-writer.js';
import { cli } from '../cli/helpers.js';
import { tempDir } from '../gan/helpers.js';

let data: string;
let model: string;

beforeAll(async () => {
  await initRuntime();
  data = tempDir();
  // SN001 and SN002 are fold-3 training subjects; SN003 and SN029 are test subjects
  await writeDisfa({ out: data, size: 32, frames: 8, subjects: ['SN001', 'SN002', 'SN003', 'SN029'], seed: 2, nuisance: true, workers: 0 });
  model = tempDir();
  const r = await cli(['train', 'hest', '--data', data, '--fold', '3', '--out', model, '--steps', '4', '--batch', '4', '--every', '1', '--decay-from', '2', '--lr-final', '1e-5', '--quiet']);
  expect(r.code, r.stderr).toBe(0);
}, 180_000);

describe('aueditnet train hest --decay-from/--lr-final', () => {
  it('records the schedule in hest.json and in the checkpoint, and refuses half a schedule', async () => {
    const meta = JSON.parse(readFileSync(join(model, 'hest.json'), 'utf8')) as { training: { command: string; steps: number } };
    expect(meta.training.steps).toBe(4);
    expect(meta.training.command).toMatch(/--decay-from 2 --lr-final 0\.00001$/);
    expect(checkpointInfo(model)).toEqual({ schedule: { decayFrom: 2, decayTo: 4, lrFinal: 1e-5 } });
    const half = await cli(['train', 'hest', '--data', data, '--out', tempDir(), '--lr-final', '1e-5', '--quiet']);
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/--decay-from and --lr-final go together/);
  }, 60_000);
});

describe('aueditnet train hest --resume', () => {
  it('counts only the resumed steps in the rate and img/s, not the ones before the checkpoint', async () => {
    const out = tempDir();
    cpSync(model, out, { recursive: true });
    const r = await cli(['train', 'hest', '--data', data, '--fold', '3', '--out', out, '--steps', '6', '--batch', '4', '--every', '1', '--decay-from', '2', '--lr-final', '1e-5', '--resume']);
    expect(r.code, r.stderr).toBe(0);
    // the summary line: "training hest: 6/6 (from step 4) in 1s (R/s) loss …, img/s I"; 2 new steps of 4 images each
    const m = /training hest: 6\/6 \(from step 4\) in \S+ \(([\d.]+)\/s\).*img\/s ([\d.]+)/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const stepsPerSecond = Number(m![1]), imagesPerSecond = Number(m![2]);
    // img/s and the bar's rate count the same 2 steps (the rate runs to the bar's stop, after the
    // final checkpoint, img/s to the last step, so img/s may be somewhat above 4 × the rate)
    expect(imagesPerSecond / stepsPerSecond).toBeGreaterThan(3.5);
    expect(imagesPerSecond / stepsPerSecond).toBeLessThan(8);
  }, 60_000);
});

describe('aueditnet eval-hest', () => {
  it('prints and writes the per-AU ICC/MSE that evaluateHest gives on the test frames', async () => {
    const out = tempDir();
    const r = await cli(['eval-hest', '--data', data, '--model', model, '--every', '1', '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(readFileSync(join(out, 'hest-report.json'), 'utf8')) as {
      images: number; meanIcc: number; meanMse: number; testSubjects: string[];
      perAu: { au: number; icc: number | null; mse: number; activeShare: number }[];
    };
    const set = await imageSetFromDisfa(await openDisfa(data), ['SN003', 'SN029'], { every: 1 });
    const est = loadEstimator(model, 'hest');
    const want = evaluateHest(est, set);
    est.params.dispose();
    expect(rep.images).toBe(16);
    expect(rep.meanMse).toBeCloseTo(want.meanMse, 6);
    expect(rep.perAu.map((a) => a.au)).toEqual([1, 2, 4, 5, 6, 9, 12, 15, 17, 20, 25, 26]);
    rep.perAu.forEach((a, j) => {
      expect(a.mse).toBeCloseTo(want.perAu[j]!.mse, 6);
      const labels = Array.from({ length: set.count }, (_, i) => set.labels![i * 12 + j]!);
      expect(a.activeShare).toBeCloseTo(labels.filter((v) => v >= 1).length / set.count, 12);
    });
    expect(r.stdout).toContain(`| MSE | ${want.perAu.map((a) => a.mse.toFixed(3)).join(' | ')} | ${want.meanMse.toFixed(3)} |`);
    expect(readFileSync(join(out, 'hest-report.md'), 'utf8')).toContain('| ICC |');
    // rest readings by hand: SN029 (rows 8–15), each AU's mean estimate over its label-0 frames
    const est2 = loadEstimator(model, 'hest');
    const pred = predictSet(est2, set);
    est2.params.dispose();
    const rest = (rep as unknown as { restReadings: { perSubject: Record<string, Array<number | null>> } }).restReadings;
    for (let j = 0; j < 12; j++) {
      const rows = [8, 9, 10, 11, 12, 13, 14, 15].filter((i) => set.labels![i * 12 + j] === 0);
      const got = rest.perSubject['SN029']![j];
      if (rows.length === 0) expect(got).toBeNull();
      else expect(got).toBeCloseTo(rows.reduce((a, i) => a + pred[i * 12 + j]!, 0) / rows.length, 5);
    }
    expect(r.stdout).toMatch(/\| SN029 \|/);
  }, 120_000);

  it('--calibrate subtracts each test subject\'s own percentile from the AUs the training labels allow', async () => {
    const out = tempDir();
    const r = await cli(['eval-hest', '--data', data, '--model', model, '--every', '1', '--calibrate', '25', '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(readFileSync(join(out, 'hest-report.json'), 'utf8')) as {
      calibrated: { percentile: number; aus: number[]; perAu: { mse: number }[]; meanMse: number };
    };
    const ds = await openDisfa(data);
    const train = await imageSetFromDisfa(ds, ['SN001', 'SN002'], { every: 1 });
    const set = await imageSetFromDisfa(ds, ['SN003', 'SN029'], { every: 1 });
    // by hand: an AU is calibrated when both training subjects rest (label 0) in ≥ 4 of their 8 frames
    const rests = (j: number, g: number) => Array.from({ length: 8 }, (_, i) => train.labels![(g * 8 + i) * 12 + j]!).filter((v) => v === 0).length;
    const aus = [1, 2, 4, 5, 6, 9, 12, 15, 17, 20, 25, 26];
    const wantAus = aus.filter((_, j) => rests(j, 0) >= 4 && rests(j, 1) >= 4);
    expect(rep.calibrated.percentile).toBe(25);
    expect(rep.calibrated.aus).toEqual(wantAus);
    const est = loadEstimator(model, 'hest');
    const pred = predictSet(est, set);
    est.params.dispose();
    aus.forEach((au, j) => {
      let se = 0;
      for (const g of [0, 1]) {
        const v = Array.from({ length: 8 }, (_, i) => pred[(g * 8 + i) * 12 + j]!).sort((a, b) => a - b);
        const off = wantAus.includes(au) ? v[1]! + 0.75 * (v[2]! - v[1]!) : 0; // 25th percentile of 8: rank 1.75
        for (let i = 0; i < 8; i++) se += (pred[(g * 8 + i) * 12 + j]! - off - set.labels![(g * 8 + i) * 12 + j]!) ** 2;
      }
      expect(rep.calibrated.perAu[j]!.mse).toBeCloseTo(se / 16, 5);
    });
    expect(r.stdout).toContain('| MSE, calibrated |');
    const bad = await cli(['eval-hest', '--data', data, '--model', model, '--calibrate', '60']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--calibrate 60/);
  }, 120_000);

  it('--oracle reports the dose–response on renders of the test subjects, SynthFACS only', async () => {
    const out = tempDir();
    const r = await cli(['eval-hest', '--data', data, '--model', model, '--every', '1', '--oracle', '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(readFileSync(join(out, 'hest-report.json'), 'utf8')) as {
      oracleCurve: { levels: number[]; subjects: string[]; rows: { au: number; mean: number[]; slope: number }[] };
    };
    expect(rep.oracleCurve.levels).toEqual([0, 1, 2, 3, 4, 5]);
    expect(rep.oracleCurve.subjects).toEqual(['SN003', 'SN029']);
    expect(rep.oracleCurve.rows).toHaveLength(12);
    // AU26 at level 3, read by hand from the same renders
    const est = loadEstimator(model, 'hest');
    const faces = ['SN003', 'SN029'].map((s) => imageToTensorData(subjectFace(s, { 26: 3 }, 32)));
    const x = tf.tensor4d(Float32Array.from(faces.flatMap((f) => Array.from(f))), [2, 32, 32, 3]);
    const v = estimateAus(est, x).arraySync().map((row) => row[11]!);
    est.params.dispose();
    const au26 = rep.oracleCurve.rows[11]!;
    expect(au26.au).toBe(26);
    expect(au26.mean[3]).toBeCloseTo((v[0]! + v[1]!) / 2, 5);
    const m = au26.mean, xbar = 2.5, ybar = m.reduce((a, b) => a + b, 0) / 6;
    expect(au26.slope).toBeCloseTo(m.reduce((a, y, i) => a + (i - xbar) * (y - ybar), 0) / 17.5, 6);
    expect(r.stdout).toContain('| mean slope |');

    const plain = tempDir();
    cpSync(data, plain, { recursive: true });
    rmSync(join(plain, 'manifest.json'));
    const refused = await cli(['eval-hest', '--data', plain, '--model', model, '--every', '1', '--oracle', '--quiet']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--oracle renders SynthFACS subjects/);
  }, 120_000);

  it('--frames scores only the first frames of each subject', async () => {
    const out = tempDir();
    const r = await cli(['eval-hest', '--data', data, '--model', model, '--every', '1', '--frames', '3', '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(readFileSync(join(out, 'hest-report.json'), 'utf8')) as { images: number; maxFrames: number };
    expect(rep.images).toBe(6);
    expect(rep.maxFrames).toBe(3);
  }, 120_000);

  it('names a missing model and a bad option', async () => {
    const missing = await cli(['eval-hest', '--data', data, '--model', join(data, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\/hest\.safetensors: no such file/);
    const bad = await cli(['eval-hest', '--data', data, '--model', model, '--every', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--every 0/);
  }, 60_000);
});
