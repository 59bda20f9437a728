/**
 * An H_est ensemble: `aueditnet ensemble-hest` stores its members under `members.<i>.` and the
 * merged model reads the mean of the members' intensities; mismatched or nested members are refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { estimateAus } from '../../src/estimators/evaluate.js';
import { hestForward, HEST_DEFAULT, type HestConfig } from '../../src/estimators/hest.js';
import { buildEstimator, loadEstimator, saveEstimator } from '../../src/estimators/model.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { initRuntime, tf } from '../../src/runtime/index.js';
import { cli } from '../cli/helpers.js';
import { tempDir } from '../gan/helpers.js';

const small: HestConfig = { ...HEST_DEFAULT, stem: 4, stages: [8, 8], hidden: 16 };
const dirs: string[] = [];

beforeAll(async () => {
  await initRuntime();
  for (const seed of [1, 2, 3]) {
    const d = tempDir();
    await saveEstimator(d, buildEstimator('hest', small, 16, seed), { training: { seed, data: { root: 'data/x', manifest: { kind: 'disfa', seed: 0, size: 16, frames: 8, subjects: [{ id: 'SN001' }] } } } });
    dirs.push(d);
  }
});

describe('aueditnet ensemble-hest', () => {
  it('merges members whose mean the merged H_est reads', async () => {
    const out = tempDir();
    const r = await cli(['ensemble-hest', dirs[0]!, dirs[1]!, dirs[2]!, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const keys = Object.keys(readSafetensors(join(out, 'hest.safetensors')).tensors);
    expect(keys).toContain('members.2.head.1.weight');
    expect(keys.every((k) => /^members\.[012]\./.test(k))).toBe(true);
    const meta = JSON.parse(readFileSync(join(out, 'hest.json'), 'utf8')) as {
      config: HestConfig;
      ensemble: { members: { source: string; sha256: string; training: { seed: number; data: { root: string; manifest: Record<string, unknown> } } }[] };
    };
    expect(meta.config.members).toBe(3);
    expect(meta.ensemble.members.map((m) => m.training.seed)).toEqual([1, 2, 3]);
    expect(meta.ensemble.members[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    // the data set is named, its per-subject manifest left out
    expect(meta.ensemble.members[0]!.training.data).toEqual({ root: 'data/x', manifest: { kind: 'disfa', seed: 0, size: 16, frames: 8 } });

    const x = tf.randomUniform([5, 16, 16, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
    const singles = dirs.map((d) => loadEstimator(d, 'hest'));
    const want = tf.addN(singles.map((e) => estimateAus(e, x))).div(3);
    const ens = loadEstimator(out, 'hest');
    const got = estimateAus(ens, x);
    expect(got.shape).toEqual([5, 12]);
    const err = tf.max(tf.abs(got.sub(want))).dataSync()[0]!;
    expect(err).toBeLessThan(1e-5);
    // the members differ, so the mean is not any one of them
    expect(tf.max(tf.abs(got.sub(estimateAus(singles[0]!, x)))).dataSync()[0]!).toBeGreaterThan(1e-3);
    expect(() => hestForward(ens.params, ens.config as HestConfig, x, true)).toThrow(/cannot be trained/);
  }, 60_000);

  it('refuses one member, mismatched architectures and nested ensembles', async () => {
    const one = await cli(['ensemble-hest', dirs[0]!, '--out', tempDir()]);
    expect(one.code).toBe(2);
    expect(one.stderr).toMatch(/at least 2 members, got 1/);

    const other = tempDir();
    await saveEstimator(other, buildEstimator('hest', { ...small, hidden: 32 }, 16, 4), {});
    const mixed = await cli(['ensemble-hest', dirs[0]!, other, '--out', tempDir()]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/members must match/);

    const nested = tempDir();
    expect((await cli(['ensemble-hest', dirs[0]!, dirs[1]!, '--out', nested])).code).toBe(0);
    const again = await cli(['ensemble-hest', nested, dirs[2]!, '--out', tempDir()]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already an ensemble of 2/);
  }, 60_000);
});
