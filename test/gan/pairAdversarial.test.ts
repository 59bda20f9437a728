/**
 * The pair trainer's adversarial term (lambdaAdv): a discriminator trained beside the pair in the
 * same step, its loss kept away from G and E, G's loss kept away from D, checkpointed and resumed
 * exactly, and the option errors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Discriminator, type DiscriminatorConfig } from '../../src/gan/discriminator.js';
import type { PairData } from '../../src/gan/pairData.js';
import { synthfacsPairConfig, trainPair, type PairConfig } from '../../src/gan/pairTrainer.js';
import { CheckpointFile } from '../../src/nn/checkpointFile.js';
import { initRuntime } from '../../src/runtime/index.js';
import { cli } from '../cli/helpers.js';
import { tempDir, tinyPairPool } from './helpers.js';
import { TINY_E80, TINY_G80 } from './tinyConfigs.js';

let pool: string;
let train: PairData;
let val: PairData;

beforeAll(async () => {
  await initRuntime();
  ({ pool, train, val } = await tinyPairPool(8, 6));
}, 120_000);

const TINY_D: DiscriminatorConfig = { size: 32, channels: { '4': 8, '8': 8, '16': 8, '32': 8 }, blurKernel: [1, 3, 3, 1], stddevGroup: 4, stddevFeat: 1 };
const base = (): PairConfig => ({ ...synthfacsPairConfig(), generator: TINY_G80, encoder: TINY_E80, batch: 4, genBatch: 2, lr: 2e-3 });
const adv = (over: Partial<PairConfig> = {}): PairConfig => ({ ...base(), lambdaAdv: 0.5, discriminator: TINY_D, advBatch: 4, ...over });

const values = (store: { names(): string[]; get(n: string): { dataSync(): ArrayLike<number> } }) => new Map(store.names().map((n) => [n, Array.from(store.get(n).dataSync())]));

describe('trainPair with a discriminator', () => {
  it('logs the D and G terms, sums them into the loss, trains D and checkpoints it', async () => {
    const out = tempDir();
    const logs: Record<string, number>[] = [];
    const r = await trainPair({ config: adv({ r1: 2, r1Every: 2 }), train, val, outDir: out, steps: 3, checkpointEvery: 100, onStep: (_s, l) => logs.push(l) });
    expect(r.discriminator).not.toBeNull();
    for (const [i, l] of logs.entries()) {
      expect(l['d']).toBeGreaterThan(0);
      expect(l['adv']).toBeGreaterThan(0);
      // R1 on the steps after 0 and 2 steps done (multiples of r1Every), weighted γ/2 · r1Every
      const hasR1 = i % 2 === 0;
      expect(l['r1'] !== undefined, `step ${i}`).toBe(hasR1);
      const r1 = hasR1 ? l['r1']! * (2 / 2) * 2 : 0;
      expect(l['loss']).toBeCloseTo(l['gen']! + l['rec']! + 0.1 * l['lat']! + l['d']! + 0.5 * l['adv']! + r1, 4);
    }
    const fresh = new Discriminator(TINY_D, { seed: base().seed + 2 });
    const before = values(fresh.store);
    const moved = [...values(r.discriminator!.store)].filter(([n, v]) => v.some((x, k) => x !== before.get(n)![k]));
    expect(moved.length).toBeGreaterThan(10);
    const f = CheckpointFile.open(`${out}/checkpoint.safetensors`);
    expect(f.keys().filter((k) => k.startsWith('param.discriminator.')).length).toBe(fresh.store.names().length);
    f.close();
    for (const m of [fresh, r.discriminator!, r.generator, r.encoder]) m.dispose();
  }, 120_000);

  it("D's loss never reaches G or E: with λ_adv → 0 the pair trains as without a discriminator", async () => {
    const plain = await trainPair({ config: base(), train, val, outDir: tempDir(), steps: 2, checkpointEvery: 100 });
    const tiny = await trainPair({ config: adv({ lambdaAdv: 1e-12 }), train, val, outDir: tempDir(), steps: 2, checkpointEvery: 100 });
    for (const [a, b] of [[plain.generator.store, tiny.generator.store], [plain.encoder.store, tiny.encoder.store]] as const) {
      const va = values(a), vb = values(b);
      for (const [n, v] of va) {
        const w = vb.get(n)!;
        const worst = v.reduce((m, x, k) => Math.max(m, Math.abs(x - w[k]!)), 0);
        expect(worst, n).toBeLessThan(1e-5);
      }
    }
    // and a real λ_adv moves G differently
    const strong = await trainPair({ config: adv({ lambdaAdv: 1 }), train, val, outDir: tempDir(), steps: 2, checkpointEvery: 100 });
    const diff = [...values(plain.generator.store)].some(([n, v]) => v.some((x, k) => Math.abs(x - values(strong.generator.store).get(n)![k]!) > 1e-4));
    expect(diff).toBe(true);
    for (const m of [plain.generator, plain.encoder, tiny.generator, tiny.encoder, tiny.discriminator!, strong.generator, strong.encoder, strong.discriminator!]) m.dispose();
  }, 120_000);

  it('resumes exactly with the discriminator: 2 + resume + 2 steps equal 4 steps', async () => {
    const a = tempDir(), b = tempDir();
    const c = adv({ r1: 1, r1Every: 3 });
    const full = await trainPair({ config: c, train, val, outDir: a, steps: 4, checkpointEvery: 100 });
    const half = await trainPair({ config: c, train, val, outDir: b, steps: 4, checkpointEvery: 100, stopAfter: 2 });
    for (const m of [half.generator, half.encoder, half.discriminator!]) m.dispose();
    const rest = await trainPair({ config: c, train, val, outDir: b, steps: 4, checkpointEvery: 100, resume: true });
    for (const [x, y] of [[full.generator.store, rest.generator.store], [full.discriminator!.store, rest.discriminator!.store]] as const) {
      const vx = values(x), vy = values(y);
      for (const [n, v] of vx) expect(vy.get(n), n).toEqual(v);
    }
    for (const m of [full.generator, full.encoder, full.discriminator!, rest.generator, rest.encoder, rest.discriminator!]) m.dispose();
  }, 180_000);

  it("dLrMul scales D's steps only: after one step D moved 4× as far, G and E the same", async () => {
    const one = await trainPair({ config: adv(), train, val, outDir: tempDir(), steps: 1, checkpointEvery: 100 });
    const four = await trainPair({ config: adv({ dLrMul: 4 }), train, val, outDir: tempDir(), steps: 1, checkpointEvery: 100 });
    const fresh = values(new Discriminator(TINY_D, { seed: base().seed + 2 }).store);
    const name = 'final_conv.0.weight';
    const d1 = values(one.discriminator!.store).get(name)!, d4 = values(four.discriminator!.store).get(name)!;
    const moved = (d: number[]) => d.reduce((s, v, k) => s + Math.abs(v - fresh.get(name)![k]!), 0);
    expect(moved(d4) / moved(d1)).toBeCloseTo(4, 2);
    expect(values(four.generator.store)).toEqual(values(one.generator.store));
    for (const m of [one.generator, one.encoder, one.discriminator!, four.generator, four.encoder, four.discriminator!]) m.dispose();
  }, 120_000);

  it('refuses inconsistent options by name', async () => {
    const run = (config: PairConfig) => trainPair({ config, train, val, outDir: tempDir(), steps: 1 });
    await expect(run({ ...base(), r1: 1 })).rejects.toThrow(/r1 regularises the discriminator/);
    await expect(run({ ...adv({ advBatch: 6 }), batch: 8 })).rejects.toThrow(/advBatch must be .* multiple of .* group 4, got 6/);
    await expect(run(adv({ advBatch: 5 }))).rejects.toThrow(/advBatch must be an integer in 1…batch \(4\)/);
    await expect(run(adv({ discriminator: { ...TINY_D, size: 64, channels: { ...TINY_D.channels, '64': 8 } } }))).rejects.toThrow(/takes 64-px images, the generator makes 32-px/);
    const r = await cli(['train', 'pair', '--data', pool, '--out', tempDir(), '--r1', '1']);
    expect(r.stderr).toMatch(/--r1 regularises the discriminator/);
    const r2 = await cli(['train', 'pair', '--data', pool, '--out', tempDir(), '--lambda-adv', '0.1', '--adv-batch', '6']);
    expect(r2.stderr).toMatch(/--adv-batch 6: expected at most --batch \(16\) and a multiple of 4/);
    const h = await cli(['train', 'pair', '--help']);
    expect(h.stdout).toMatch(/--lambda-adv/);
  }, 120_000);
});
