/**
 * The SynthFACS pair trainer: the render code, the pieces it added to the runtime (stopGradient,
 * pickRows, BatchNorm's training path), a tiny end-to-end training run that lowers its losses, an
 * exact resume, and the latent_avg folding of finalizePair.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Encoder } from '../../src/gan/encoder.js';
import { Generator } from '../../src/gan/generator.js';
import type { PairData } from '../../src/gan/pairData.js';
import { finalizePair, pairFromCheckpoint, synthfacsPairConfig, trainPair, validatePair, validationNoise, warmupFactor, type PairConfig } from '../../src/gan/pairTrainer.js';
import { scheduledLr } from '../../src/nn/lrSchedule.js';
import { pairInit } from '../../src/gan/pairInit.js';
import { buildEstimator } from '../../src/estimators/model.js';
import { fpreForward, fpreTrunk, type FpreConfig } from '../../src/estimators/fpre.js';
import { saveEncoder, saveGenerator } from '../../src/gan/modelDir.js';
import { SYNTH_CODE_DIM, auCodeIndex, synthCode } from '../../src/gan/synthCode.js';
import { ParamStore } from '../../src/gan/params.js';
import { BatchNorm2d } from '../../src/gan/torchLayers.js';
import { stopGradient } from '../../src/nn/stopGradient.js';
import { pickRows } from '../../src/runtime/kernels/convBackprop.js';
import { initRuntime, tf } from '../../src/runtime/index.js';
import { IDENTITY_FACTORS, sampleIdentity } from '../../src/synth/identity.js';
import { NEUTRAL_NUISANCE } from '../../src/synth/nuisance.js';
import { cli } from '../cli/helpers.js';
import { rand, worstVsCpu } from '../runtime/helpers.js';
import { tempDir, tinyPairPool } from './helpers.js';
import { TINY_E80, TINY_G80 } from './tinyConfigs.js';

let pool: string;
let train: PairData;
let val: PairData;

beforeAll(async () => {
  await initRuntime();
  ({ pool, train, val } = await tinyPairPool(12, 5));
}, 120_000);

const tinyG = TINY_G80;
const tinyE = TINY_E80;
const tinyConfig = (): PairConfig => ({ ...synthfacsPairConfig(), generator: tinyG, encoder: tinyE, batch: 4, genBatch: 2, lr: 2e-3 });

describe('synthCode', () => {
  it('has one entry per identity factor and AU and two per circular nuisance factor, standardised', () => {
    expect(SYNTH_CODE_DIM).toBe(IDENTITY_FACTORS.length + 12 + 9 + 4);
    const codes = Array.from({ length: 2000 }, (_, i) => synthCode(sampleIdentity(1000 + i), new Array(12).fill(0), null));
    // identity entries: zero mean, unit variance under the sampling distribution (±0.1 at n = 2000)
    for (let k = 0; k < IDENTITY_FACTORS.length; k++) {
      const v = codes.map((c) => c[k]!);
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
      expect(Math.abs(mean), IDENTITY_FACTORS[k]!.name).toBeLessThan(0.1);
      expect(Math.abs(sd - 1), IDENTITY_FACTORS[k]!.name).toBeLessThan(0.1);
    }
  });

  it('moves only the AU entry with the AU, at AU_CODE_SCALE per unit, and treats angles as circular', () => {
    const id = sampleIdentity(3);
    const aus = new Array(12).fill(0);
    const a = synthCode(id, aus, null);
    aus[6] = 3;
    const b = synthCode(id, aus, null);
    const moved = [...a].map((v, i) => (v !== b[i] ? i : -1)).filter((i) => i >= 0);
    expect(moved).toEqual([auCodeIndex(6)]);
    expect(b[auCodeIndex(6)]! - a[auCodeIndex(6)]!).toBeCloseTo(3 / 1.3, 5);
    const c0 = synthCode(id, aus, { ...NEUTRAL_NUISANCE, lightAngle: 0 });
    const c360 = synthCode(id, aus, { ...NEUTRAL_NUISANCE, lightAngle: 360 });
    for (let i = 0; i < SYNTH_CODE_DIM; i++) expect(c360[i]).toBeCloseTo(c0[i]!, 5);
    expect(() => synthCode(id, [1, 2], null)).toThrow(/12 AU/);
  });
});

describe('runtime pieces the trainer needs', () => {
  it('stopGradient passes the value and blocks the gradient', () => {
    const x = tf.tensor1d([1, 2, 3]);
    const g = tf.grad((v: tf.Tensor) => tf.add(tf.sum(tf.square(v)), tf.sum(tf.mul(stopGradient(v), v))))(x);
    // d/dv [Σv² + Σ sg(v)·v] = 2v + v
    expect(Array.from(g.dataSync())).toEqual([3, 6, 9]);
    expect(Array.from(stopGradient(x).dataSync())).toEqual([1, 2, 3]);
  });

  it('pickRows equals gather exactly', () => {
    const m = rand([9, 50], 4) as tf.Tensor2D;
    for (const idx of [[4], [8, 0, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 5]]) {
      expect(Array.from(pickRows(m, idx).dataSync())).toEqual(Array.from(tf.gather(m, idx).dataSync()));
    }
  });

  it('BatchNorm2d in training mode: batch statistics, PyTorch running-stat update, gradients as on cpu', async () => {
    const store = new ParamStore();
    const bn = new BatchNorm2d(store, 'bn', 3);
    store.get('bn.weight').assign(tf.tensor1d([1.5, 0.5, 2]));
    store.get('bn.bias').assign(tf.tensor1d([0.1, -0.2, 0.3]));
    const x = tf.add(rand([4, 5, 5, 3], 9, 2), tf.tensor1d([1, -1, 3])) as tf.Tensor4D;
    const y = bn.forward(x, true);
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const ref = tf.batchNorm(x, mean, variance, store.get('bn.bias') as tf.Tensor1D, store.get('bn.weight') as tf.Tensor1D, 1e-5);
    expect(tf.max(tf.abs(tf.sub(y, ref))).dataSync()[0]).toBeLessThan(1e-5);
    // running_mean = 0.9·0 + 0.1·mean; running_var = 0.9·1 + 0.1·unbiased var (n = 100)
    const rm = store.get('bn.running_mean').dataSync(), m = mean.dataSync(), v = variance.dataSync(), rv = store.get('bn.running_var').dataSync();
    for (let c = 0; c < 3; c++) {
      expect(rm[c]).toBeCloseTo(0.1 * m[c]!, 6);
      expect(rv[c]).toBeCloseTo(0.9 + (0.1 * v[c]! * 100) / 99, 5);
    }
    const r = rand([4, 5, 5, 3], 10);
    const worst = await worstVsCpu(() => {
      const s2 = new ParamStore();
      const b2 = new BatchNorm2d(s2, 'bn', 3);
      const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(b2.forward(x, true), r)) as tf.Scalar, s2.trainableVariables());
      const gx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(b2.forward(xx as tf.Tensor4D, true), r)))(x);
      const out = [value, gx, ...Object.values(grads)];
      s2.dispose();
      return out;
    });
    expect(worst).toBeLessThan(1e-4);
    store.dispose();
  });
});

describe('trainPair (tiny pair, 32 px)', () => {
  it('with genBatch 0 trains the encoder path alone: no mapping loss, the mapping unchanged', async () => {
    const out = tempDir();
    const logs: Record<string, number>[] = [];
    const { generator, encoder, result } = await trainPair({ config: { ...tinyConfig(), genBatch: 0, lambdaLat: 0 }, train, val, outDir: out, steps: 3, checkpointEvery: 100, onStep: (_s, l) => logs.push(l) });
    expect(result.step).toBe(3);
    expect(logs.every((l) => l['gen'] === 0 && l['rec']! > 0)).toBe(true);
    const fresh = new Generator(tinyConfig().generator, { seed: tinyConfig().seed });
    for (const name of generator.store.names().filter((n) => n.startsWith('style.'))) {
      expect(Array.from(generator.store.get(name).dataSync()), name).toEqual(Array.from(fresh.store.get(name).dataSync()));
    }
    fresh.dispose();
    generator.dispose();
    encoder.dispose();
  }, 120_000);

  it('lowers the reconstruction and mapping losses and writes checkpoint, preview and validation', async () => {
    const out = tempDir();
    const logs: Record<string, number>[] = [];
    const vals: number[] = [];
    const { generator, encoder, result } = await trainPair({
      config: tinyConfig(),
      train,
      val,
      outDir: out,
      steps: 40,
      checkpointEvery: 20,
      onStep: (_s, l) => logs.push(l),
      onCheckpoint: (_s, v) => {
        vals.push(v.psnrRec);
      },
    });
    expect(result.step).toBe(40);
    const avg = (k: string, from: number, to: number) => logs.slice(from, to).reduce((a, l) => a + l[k]!, 0) / (to - from);
    expect(avg('rec', 30, 40)).toBeLessThan(avg('rec', 0, 10) * 0.7);
    expect(avg('gen', 30, 40)).toBeLessThan(avg('gen', 0, 10) * 0.7);
    expect(vals).toHaveLength(2);
    expect(vals.every(Number.isFinite)).toBe(true);
    expect(existsSync(join(out, 'checkpoint.safetensors'))).toBe(true);
    expect(readFileSync(join(out, 'preview.png')).subarray(1, 4).toString()).toBe('PNG');
    generator.dispose();
    encoder.dispose();
  }, 300_000);

  it('resumes exactly: 2 + resume + 2 steps equal 4 steps', async () => {
    const a = tempDir(), b = tempDir();
    const full = await trainPair({ config: tinyConfig(), train, val, outDir: a, steps: 4, checkpointEvery: 100 });
    const half = await trainPair({ config: tinyConfig(), train, val, outDir: b, steps: 4, checkpointEvery: 100, stopAfter: 2 });
    half.generator.dispose();
    half.encoder.dispose();
    const rest = await trainPair({ config: tinyConfig(), train, val, outDir: b, steps: 4, checkpointEvery: 100, resume: true });
    for (const [x, y] of [
      [full.generator.store, rest.generator.store],
      [full.encoder.store, rest.encoder.store],
    ] as const) {
      for (const n of x.names()) expect(Array.from(y.get(n).dataSync()), n).toEqual(Array.from(x.get(n).dataSync()));
    }
    for (const m of [full.generator, full.encoder, rest.generator, rest.encoder]) m.dispose();
  }, 300_000);

  it('pairFromCheckpoint and `train pair --export` give the finalised pair of a run mid-training', async () => {
    const out = tempDir();
    const run = await trainPair({ config: tinyConfig(), train, val, outDir: out, steps: 2, checkpointEvery: 100 });
    finalizePair(run.generator, run.encoder);
    const snap = pairFromCheckpoint(join(out, 'checkpoint.safetensors'));
    expect(snap.step).toBe(2);
    const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
    const a = run.generator.synthesis(run.encoder.encode(x), { noise: 'const', mode: 'shared' }).dataSync();
    const b = snap.generator.synthesis(snap.encoder.encode(x), { noise: 'const', mode: 'shared' }).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    for (const m of [run.generator, run.encoder, snap.generator, snap.encoder]) m.dispose();
    const dest = tempDir();
    const r = await cli(['train', 'pair', '--out', out, '--export', dest]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/step 2/);
    for (const f of ['generator.safetensors', 'generator.json', 'encoder.safetensors', 'encoder.json']) expect(existsSync(join(dest, f)), f).toBe(true);
    const none = await cli(['train', 'pair', '--out', tempDir(), '--export', dest]);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/checkpoint\.safetensors: no checkpoint to export/);
    const noData = await cli(['train', 'pair', '--out', tempDir()]);
    expect(noData.stderr).toMatch(/--data <dir> is required/);
  }, 300_000);

  it('--init from a checkpoint or from exported files continues the same pair, counting steps on', async () => {
    const out = tempDir();
    const run = await trainPair({ config: tinyConfig(), train, val, outDir: out, steps: 3, checkpointEvery: 100 });
    const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 9) as tf.Tensor4D;
    const recon = (g: Generator, e: Encoder) => Array.from(g.synthesis(e.encode(x), { noise: 'const', mode: 'shared' }).dataSync());
    const want = recon(run.generator, run.encoder);
    // exported files carry latent_avg folded into the encoder (finalizePair); --init unfolds it
    const exported = tempDir();
    finalizePair(run.generator, run.encoder);
    await saveGenerator(exported, run.generator, { notes: { training: { step: 3 } } });
    await saveEncoder(exported, run.encoder);
    for (const source of [join(out, 'checkpoint.safetensors'), exported]) {
      const init = await pairInit(source);
      expect(init.step, source).toBe(3);
      const g = new Generator(tinyG, { seed: 77 }), e = new Encoder(tinyE, { seed: 78 });
      init.load(g, e);
      expect(e.latentAvg).toBeNull();
      const got = recon(g, e);
      expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!))), source).toBeLessThan(1e-4);
      g.dispose();
      e.dispose();
    }
    // a new run from it starts at step 3 with fresh Adam moments and trains on
    const next = tempDir();
    const cont = await trainPair({ config: tinyConfig(), train, val, outDir: next, steps: 5, checkpointEvery: 100, init: await pairInit(exported) });
    expect(cont.result.step).toBe(5);
    expect(pairFromCheckpoint(join(next, 'checkpoint.safetensors')).step).toBe(5);
    for (const m of [run.generator, run.encoder, cont.generator, cont.encoder]) m.dispose();
    await expect(pairInit(join(tempDir(), 'nothing'))).rejects.toThrow(/no such file or directory/);
    const other = new Generator({ ...tinyG, channels: Object.fromEntries(Object.entries(tinyG.channels).map(([k, v]) => [k, v * 2])) }, { seed: 1 });
    const init = await pairInit(join(out, 'checkpoint.safetensors'));
    const e = new Encoder(tinyE, { seed: 1 });
    expect(() => init.load(other, e)).toThrow(/param\.generator\.|shape/);
    other.dispose();
    e.dispose();
  }, 300_000);

  it('freezeGenerator trains E alone: every G weight unchanged, E moved', async () => {
    const out = tempDir();
    const c = { ...tinyConfig(), genBatch: 0, freezeGenerator: true };
    const { generator, encoder } = await trainPair({ config: c, train, val, outDir: out, steps: 2, checkpointEvery: 100 });
    const g0 = new Generator(c.generator, { seed: c.seed }), e0 = new Encoder(c.encoder, { seed: c.seed + 1 });
    for (const n of generator.store.names()) expect(Array.from(generator.store.get(n).dataSync()), n).toEqual(Array.from(g0.store.get(n).dataSync()));
    const moved = encoder.store.names().filter((n) => Array.from(encoder.store.get(n).dataSync()).some((v, i) => v !== e0.store.get(n).dataSync()[i]));
    expect(moved.length).toBeGreaterThan(encoder.store.names().length / 2);
    for (const m of [generator, encoder, g0, e0]) m.dispose();
  }, 120_000);

  it("gLrMul scales G's steps only: after one step G moved 4× as far (mapping included), E the same", async () => {
    const c = tinyConfig();
    const one = await trainPair({ config: c, train, val, outDir: tempDir(), steps: 1, checkpointEvery: 100 });
    const four = await trainPair({ config: { ...c, gLrMul: 4 }, train, val, outDir: tempDir(), steps: 1, checkpointEvery: 100 });
    const g0 = new Generator(c.generator, { seed: c.seed });
    for (const name of ['convs.1.conv.weight', 'style.1.weight', 'to_rgbs.1.conv.modulation.weight']) {
      const moved = (g: Generator) => Array.from(g.store.get(name).dataSync()).reduce((s, v, k) => s + Math.abs(v - g0.store.get(name).dataSync()[k]!), 0);
      // Adam's first step is lr·g/(|g| + ε): 4× exactly up to ε
      expect(moved(four.generator) / moved(one.generator), name).toBeCloseTo(4, 2);
    }
    for (const n of one.encoder.store.names()) expect(Array.from(four.encoder.store.get(n).dataSync()), n).toEqual(Array.from(one.encoder.store.get(n).dataSync()));
    await expect(trainPair({ config: { ...c, gLrMul: 0 }, train, val, outDir: tempDir(), steps: 1 })).rejects.toThrow(/gLrMul must be a positive number, got 0/);
    const r = await cli(['train', 'pair', '--data', pool, '--out', tempDir(), '--g-lr-mul', 'x']);
    expect(r.stderr).toMatch(/--g-lr-mul x: expected a positive number/);
    for (const m of [one.generator, one.encoder, four.generator, four.encoder, g0]) m.dispose();
  }, 120_000);

  it('warmup ramps the rate over the optimizer\'s first steps: step 1 of 4 moves G and E a quarter as far, and a resume continues the ramp', async () => {
    const c = tinyConfig();
    const full = await trainPair({ config: c, train, val, outDir: tempDir(), steps: 1, checkpointEvery: 100 });
    const warm = await trainPair({ config: c, train, val, outDir: tempDir(), steps: 1, checkpointEvery: 100, warmup: 4 });
    const g0 = new Generator(c.generator, { seed: c.seed }), e0 = new Encoder(c.encoder, { seed: c.seed + 1 });
    for (const [name, a, b, z] of [
      ['convs.1.conv.weight', full.generator.store, warm.generator.store, g0.store],
      ['styles.0.linear.weight', full.encoder.store, warm.encoder.store, e0.store],
    ] as const) {
      const moved = (st: typeof a) => Array.from(st.get(name).dataSync()).reduce((s, v, k) => s + Math.abs(v - z.get(name).dataSync()[k]!), 0);
      expect(moved(b) / moved(a), name).toBeCloseTo(0.25, 2);
    }
    expect(warmupFactor(2, 4)).toBe(0.5);
    expect(warmupFactor(9, 4)).toBe(1);
    expect(warmupFactor(1, undefined)).toBe(1);
    expect(() => warmupFactor(1, 2.5)).toThrow(/warmup must be a positive integer of steps, got 2.5/);
    // 2 + resume + 2 equals 4: the ramp follows Adam's restored step count
    const a = tempDir(), b = tempDir();
    const four = await trainPair({ config: c, train, val, outDir: a, steps: 4, checkpointEvery: 100, warmup: 3 });
    const half = await trainPair({ config: c, train, val, outDir: b, steps: 4, checkpointEvery: 100, warmup: 3, stopAfter: 2 });
    const rest = await trainPair({ config: c, train, val, outDir: b, steps: 4, checkpointEvery: 100, warmup: 3, resume: true });
    for (const n of four.generator.store.names()) expect(Array.from(rest.generator.store.get(n).dataSync()), n).toEqual(Array.from(four.generator.store.get(n).dataSync()));
    const r = await cli(['train', 'pair', '--data', pool, '--out', tempDir(), '--warmup', '-1']);
    expect(r.stderr).toMatch(/--warmup -1: expected a whole number of steps ≥ 0/);
    for (const m of [full.generator, full.encoder, warm.generator, warm.encoder, g0, e0, four.generator, four.encoder, half.generator, half.encoder, rest.generator, rest.encoder]) m.dispose();
  }, 300_000);

  it('lambdaFeat and lambdaAu add a perceptual and an AU-consistency term in a frozen network\'s features; the network is not trained', async () => {
    const fpre = buildEstimator('fpre', { widths: [4, 8], convsPerBlock: [1, 1], hidden: 8, outputs: 12 }, 32, 3);
    fpre.params.setTrainable(false);
    const before = fpre.params.names().map((n) => Array.from(fpre.params.variable(n).dataSync()));
    const features = (x: tf.Tensor4D) => fpreTrunk(fpre.params, fpre.config as FpreConfig, x, false);
    const logs: Record<string, number>[] = [];
    const auDelta = (a: tf.Tensor4D, b: tf.Tensor4D) => fpreForward(fpre.params, fpre.config as FpreConfig, a, b, false).delta;
    const c = { ...tinyConfig(), lambdaFeat: 0.5, lambdaAu: 0.25 };
    const { generator, encoder } = await trainPair({ config: c, train, val, outDir: tempDir(), steps: 2, checkpointEvery: 100, features, auDelta, onStep: (_s, l) => logs.push(l) });
    expect(logs.every((l) => l['feat']! > 0 && l['au']! > 0)).toBe(true);
    // total = gen + rec + 0.1·lat + 0.5·feat + 0.25·au
    const l = logs[0]!;
    expect(l['loss']).toBeCloseTo(l['gen']! + l['rec']! + 0.1 * l['lat']! + 0.5 * l['feat']! + 0.25 * l['au']!, 4);
    fpre.params.names().forEach((n, i) => expect(Array.from(fpre.params.variable(n).dataSync()), n).toEqual(before[i]));
    generator.dispose();
    encoder.dispose();
    await expect(trainPair({ config: c, train, val, outDir: tempDir(), steps: 1 })).rejects.toThrow(/needs a feature network/);
    await expect(trainPair({ config: { ...c, lambdaFeat: 0 }, train, val, outDir: tempDir(), steps: 1 })).rejects.toThrow(/needs an AU-difference network/);
    const r = await cli(['train', 'pair', '--data', pool, '--out', tempDir(), '--lambda-feat', '1']);
    expect(r.stderr).toMatch(/--lambda-feat needs --fpre DIR/);
    const r2 = await cli(['train', 'pair', '--data', pool, '--out', tempDir(), '--lambda-au', '1']);
    expect(r2.stderr).toMatch(/--lambda-au needs --fpre DIR/);
  }, 120_000);

  it('regionWeight weighs both pixel losses per pixel: uniform weights change nothing, a half-frame map does', async () => {
    const c = tinyConfig();
    const S = c.generator.size;
    const first = async (config: PairConfig, pixelWeights?: Float32Array) => {
      const logs: Record<string, number>[] = [];
      const { generator, encoder } = await trainPair({ config, train, val, outDir: tempDir(), steps: 1, checkpointEvery: 100, pixelWeights, onStep: (_s, l) => logs.push(l) });
      generator.dispose();
      encoder.dispose();
      return logs[0]!;
    };
    const plain = await first(c);
    const uniform = await first({ ...c, regionWeight: 3 }, new Float32Array(S * S).fill(1));
    expect(uniform['rec']).toBeCloseTo(plain['rec']!, 6);
    expect(uniform['gen']).toBeCloseTo(plain['gen']!, 6);
    // all weight on the top half: the loss is the top half's MSE, ×2 for the mean-1 scaling
    const top = Float32Array.from({ length: S * S }, (_, p) => (p < (S * S) / 2 ? 2 : 0));
    const half = await first({ ...c, regionWeight: 3 }, top);
    expect(half['rec']).not.toBeCloseTo(plain['rec']!, 4);
    await expect(trainPair({ config: { ...c, regionWeight: 1 }, train, val, outDir: tempDir(), steps: 1 })).rejects.toThrow(/needs the per-pixel weights/);
    await expect(trainPair({ config: { ...c, regionWeight: 1 }, train, val, outDir: tempDir(), steps: 1, pixelWeights: new Float32Array(5) })).rejects.toThrow(/pixelWeights has 5 values/);
    const r = await cli(['train', 'pair', '--data', pool, '--out', tempDir(), '--region-weight', '-1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--region-weight -1: expected a number ≥ 0/);
  }, 120_000);

  it('validatePair renders the mapping path with a fixed N(0, 1) noise stream: the same number every call', async () => {
    const g = new Generator(tinyG, { seed: 4 });
    const e = new Encoder(tinyE, { seed: 5 });
    const a = validatePair(g, e, val, 8, 4);
    const b = validatePair(g, e, val, 8, 4);
    expect(a).toEqual(b);
    expect(Number.isFinite(a.psnrGen)).toBe(true);
    const n1 = validationNoise()(6), n2 = validationNoise()(6);
    expect(Array.from(n1)).toEqual(Array.from(n2));
    expect(Array.from(n1).some((v) => Math.abs(v) > 0.1)).toBe(true);
    g.dispose();
    e.dispose();
  });

  it('scheduledLr: constant, then a cosine from lr to lrFinal, then lrFinal', () => {
    const s = { decayFrom: 100, decayTo: 200, lrFinal: 1e-4 };
    expect(scheduledLr(1e-3, undefined, 150)).toBe(1e-3);
    expect(scheduledLr(1e-3, s, 100)).toBe(1e-3);
    expect(scheduledLr(1e-3, s, 150)).toBeCloseTo(5.5e-4, 10);
    expect(scheduledLr(1e-3, s, 200)).toBe(1e-4);
    expect(scheduledLr(1e-3, s, 250)).toBe(1e-4);
  });

  it('finalizePair sets latent_avg without changing what encode returns', () => {
    const e = new Encoder(tinyE, { seed: 1 });
    const gen = new Generator(tinyG, { seed: 2 });
    const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    const before = e.encode(x);
    finalizePair(gen, e, 256);
    expect(e.latentAvg).not.toBeNull();
    expect(gen.latentAvg!.shape).toEqual([80]);
    const after = e.encode(x);
    expect(tf.max(tf.abs(tf.sub(before, after))).dataSync()[0]).toBeLessThan(1e-4);
    // the bare codes moved by −latent_avg
    const codes = e.forward(x);
    expect(tf.max(tf.abs(tf.sub(tf.add(codes, e.latentAvg!), before))).dataSync()[0]).toBeLessThan(1e-4);
    e.dispose();
    gen.dispose();
  });
});

describe('aueditnet train pair', () => {
  it('--help names the outputs; a bad --holdout and a non-pool folder are refused by name', async () => {
    const h = await cli(['train', 'pair', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/preview\.png/);
    const bad = await cli(['train', 'pair', '--data', pool, '--out', tempDir(), '--holdout', '12']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--holdout 12: the pool has only 12 identities/);
    const none = await cli(['train', 'pair', '--data', tempDir(), '--out', tempDir()]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/identities\.jsonl/);
    const both = await cli(['train', 'pair', '--data', pool, '--out', tempDir(), '--init', pool, '--resume']);
    expect(both.stderr).toMatch(/pass one of them/);
    const half = await cli(['train', 'pair', '--data', pool, '--out', tempDir(), '--decay-from', '10']);
    expect(half.stderr).toMatch(/--decay-from and --lr-final go together/);
    const late = await cli(['train', 'pair', '--data', pool, '--out', tempDir(), '--steps', '10', '--decay-from', '10', '--lr-final', '1e-4']);
    expect(late.stderr).toMatch(/--decay-from 10: expected a step in \[0, --steps 10\)/);
    const neg = await cli(['train', 'pair', '--data', pool, '--out', tempDir(), '--gen-batch', '-1']);
    expect(neg.stderr).toMatch(/--gen-batch -1/);
  }, 120_000);
});
