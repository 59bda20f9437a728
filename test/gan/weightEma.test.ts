/**
 * The moving average of the pair's weights (emaImages, StyleGAN2's g_ema): the update rule on
 * hand-computed values, what the trainer averages and when, that checkpoints carry the average and
 * resume it exactly, and that exports and --init take the average.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Encoder } from '../../src/gan/encoder.js';
import { Generator } from '../../src/gan/generator.js';
import type { PairData } from '../../src/gan/pairData.js';
import { pairInit } from '../../src/gan/pairInit.js';
import { finalizePair, pairFromCheckpoint, synthfacsPairConfig, trainPair, type PairConfig, type PairValidation } from '../../src/gan/pairTrainer.js';
import { emaBeta, WeightEma } from '../../src/gan/weightEma.js';
import { CheckpointFile } from '../../src/nn/checkpointFile.js';
import { initRuntime, tf } from '../../src/runtime/index.js';
import { cli } from '../cli/helpers.js';
import { tempDir, tinyPairPool } from './helpers.js';
import { TINY_E80, TINY_G16, TINY_G80 } from './tinyConfigs.js';

let pool: string;
let train: PairData;
let val: PairData;

beforeAll(async () => {
  await initRuntime();
  ({ pool, train, val } = await tinyPairPool(8, 11));
}, 120_000);

const values = (store: { names(): string[]; get(n: string): { dataSync(): ArrayLike<number> } }) => new Map(store.names().map((n) => [n, Array.from(store.get(n).dataSync())]));
const config = (over: Partial<PairConfig> = {}): PairConfig => ({ ...synthfacsPairConfig(), generator: TINY_G80, encoder: TINY_E80, batch: 4, genBatch: 2, lr: 2e-3, emaImages: 10, ...over });

describe('WeightEma', () => {
  it('β from the half-life: after half-life/batch steps the average has moved half way', () => {
    expect(emaBeta(10_000, 32)).toBeCloseTo(0.5 ** (32 / 10_000), 12);
    expect(emaBeta(100, 4) ** 25).toBeCloseTo(0.5, 12);
    expect(() => emaBeta(0, 4)).toThrow(/positive number of images, got 0/);
    expect(() => emaBeta(Number.NaN, 4)).toThrow(/positive number of images/);
  });

  it('moves parameters to β·shadow + (1 − β)·live and copies buffers; the shadow offers nothing to train', () => {
    const live = new Generator(TINY_G16, { seed: 1 }), shadow = new Generator(TINY_G16, { seed: 2 });
    const ema = new WeightEma(live.store, shadow.store, 0.75);
    ema.copy();
    const a = values(live.store);
    expect(values(shadow.store)).toEqual(a);
    // the live network jumps to other weights (and other noise buffers); three updates follow
    const other = new Generator(TINY_G16, { seed: 3 });
    for (const n of live.store.names()) live.store.get(n).assign(other.store.get(n));
    const b = values(live.store);
    for (let k = 0; k < 3; k++) ema.update();
    for (const n of live.store.names()) {
      const got = values(shadow.store).get(n)!;
      const want = live.store.entry(n).kind === 'param' ? a.get(n)!.map((v, i) => b.get(n)![i]! + (v - b.get(n)![i]!) * 0.75 ** 3) : b.get(n)!;
      const worst = got.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i]!)), 0);
      expect(worst, n).toBeLessThan(1e-6);
    }
    expect(live.store.names().some((n) => live.store.entry(n).kind === 'buffer')).toBe(true);
    expect(ema.model().trainableVariables()).toEqual([]);
    expect(shadow.store.trainableVariables().every((v) => !v.trainable)).toBe(true);
    expect(() => new WeightEma(live.store, new Generator({ ...TINY_G16, channels: { ...TINY_G16.channels, '32': 8 } }, { seed: 1 }).store, 0.5)).toThrow(/is \[.*\] live but \[.*\] in the shadow/);
    expect(() => new WeightEma(live.store, new Encoder(TINY_E80, { seed: 1 }).store, 0.5)).toThrow(/does not have the live network's parameters/);
    expect(() => new WeightEma(live.store, shadow.store, 1)).toThrow(/β must be in \[0, 1\)/);
    for (const m of [live, shadow, other]) m.dispose();
  });
});

describe('trainPair with emaImages', () => {
  // 1-D, so the checkpoint's PyTorch layout and the variable's are the same
  const name = 'convs.1.conv.modulation.bias';
  const read = (dir: string, key: string) => {
    const f = CheckpointFile.open(join(dir, 'checkpoint.safetensors'));
    try {
      return Array.from(f.get(key).data as Float32Array);
    } finally {
      f.close();
    }
  };

  it('after each step the checkpointed average is β·previous + (1 − β)·live, and resuming step by step equals one run', async () => {
    const c = config();
    const beta = emaBeta(10, 4);
    const stepwise = tempDir();
    const g0 = new Generator(c.generator, { seed: c.seed });
    let avg = Array.from(g0.store.get(name).dataSync());
    g0.dispose();
    let moved = 0;
    for (let k = 1; k <= 3; k++) {
      const r = await trainPair({ config: c, train, val, outDir: stepwise, steps: 3, checkpointEvery: 100, stopAfter: 1, resume: k > 1 });
      const live = read(stepwise, `param.generator.${name}`);
      const want = avg.map((v, i) => beta * v + (1 - beta) * live[i]!);
      const got = read(stepwise, `param.generatorEma.${name}`);
      expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!))), `step ${k}`).toBeLessThan(1e-6);
      moved = Math.max(moved, ...got.map((v, i) => Math.abs(v - live[i]!)));
      avg = got;
      // the returned pair is the average, `live` the trained weights
      expect(Array.from(r.generator.store.get(name).dataSync())).toEqual(got);
      expect(Array.from(r.live!.generator.store.get(name).dataSync())).toEqual(live);
      for (const m of [r.generator, r.encoder, r.live!.generator, r.live!.encoder]) m.dispose();
    }
    expect(moved).toBeGreaterThan(1e-5);
    const whole = tempDir();
    const vals: PairValidation[] = [];
    const r = await trainPair({ config: c, train, val, outDir: whole, steps: 3, checkpointEvery: 3, onCheckpoint: (_s, v) => void vals.push(v) });
    for (const key of [`param.generatorEma.${name}`, 'param.encoderEma.styles.0.linear.bias', `param.generator.${name}`]) expect(read(whole, key), key).toEqual(read(stepwise, key));
    const f = CheckpointFile.open(join(whole, 'checkpoint.safetensors'));
    expect(f.keys().filter((k) => k.startsWith('param.generatorEma.')).length).toBe(r.generator.store.names().length);
    expect(f.keys().filter((k) => k.startsWith('param.encoderEma.')).length).toBe(r.encoder.store.names().length);
    f.close();
    // validation reads the average, and the live weights beside it
    expect(vals).toHaveLength(1);
    expect(vals[0]!.psnrRecLive).toBeGreaterThan(0);
    expect(vals[0]!.psnrRecLive).not.toBe(vals[0]!.psnrRec);
    for (const m of [r.generator, r.encoder, r.live!.generator, r.live!.encoder]) m.dispose();
  }, 300_000);

  it('exports and --init take the average', async () => {
    const out = tempDir();
    const r = await trainPair({ config: config(), train, val, outDir: out, steps: 2, checkpointEvery: 100 });
    const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 4) as tf.Tensor4D;
    const recon = (g: Generator, e: Encoder) => Array.from(g.synthesis(e.encode(x), { noise: 'const', mode: 'shared' }).dataSync());
    const init = await pairInit(join(out, 'checkpoint.safetensors'));
    const g = new Generator(TINY_G80, { seed: 50 }), e = new Encoder(TINY_E80, { seed: 51 });
    init.load(g, e);
    expect(recon(g, e)).toEqual(recon(r.generator, r.encoder));
    expect(recon(g, e)).not.toEqual(recon(r.live!.generator, r.live!.encoder));
    finalizePair(r.generator, r.encoder);
    const snap = pairFromCheckpoint(join(out, 'checkpoint.safetensors'));
    expect(recon(snap.generator, snap.encoder)).toEqual(recon(r.generator, r.encoder));
    for (const m of [r.generator, r.encoder, r.live!.generator, r.live!.encoder, g, e, snap.generator, snap.encoder]) m.dispose();
    x.dispose();
  }, 300_000);

  it('the CLI takes --ema, refuses a bad value by name, and a resume with another half-life', async () => {
    const bad = await cli(['train', 'pair', '--data', pool, '--out', tempDir(), '--ema', '-5']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--ema -5: expected a half-life in images ≥ 0/);
    const h = await cli(['train', 'pair', '--help']);
    expect(h.stdout).toMatch(/--ema <images>/);
    const out = tempDir();
    await trainPair({ config: config(), train, val, outDir: out, steps: 1, checkpointEvery: 100 }).then((r) => {
      for (const m of [r.generator, r.encoder, r.live!.generator, r.live!.encoder]) m.dispose();
    });
    await expect(trainPair({ config: config({ emaImages: 20 }), train, val, outDir: out, steps: 2, resume: true })).rejects.toThrow(/emaImages: 10 → 20/);
  }, 300_000);
});
