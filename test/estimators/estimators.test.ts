import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateFpre, evaluateHest, predictSet, verification } from '../../src/estimators/evaluate.js';
import type { FpreConfig } from '../../src/estimators/fpre.js';
import type { HestConfig } from '../../src/estimators/hest.js';
import type { IdNetConfig } from '../../src/estimators/idnet.js';
import type { ImageSet } from '../../src/estimators/imageSet.js';
import { loadEstimator, saveEstimator } from '../../src/estimators/model.js';
import { trainEstimator } from '../../src/estimators/train.js';
import { initRuntime, tf } from '../../src/runtime/index.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'aueditnet-est-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/**
 * A toy world at 16 px: each group (identity) has its own colour; AU i's intensity (0–5) is the
 * brightness of one 4×4 cell, so labels are a learnable function of the pixels (not mirror-
 * invariant, hence flip: false).
 */
function toySet(groups: number, perGroup: number, seed: number): ImageSet {
  const size = 16, n = groups * perGroup;
  const pixels = new Uint8Array(n * size * size * 3);
  const labels = new Float32Array(n * 12);
  const gid = new Int32Array(n);
  let s = seed;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let i = 0; i < n; i++) {
    const g = Math.floor(i / perGroup);
    gid[i] = g;
    const base = [(g * 67) % 256, (g * 131 + 50) % 256, (g * 29 + 100) % 256];
    for (let j = 0; j < 12; j++) labels[i * 12 + j] = rnd() < 0.5 ? 0 : Math.floor(rnd() * 6);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
      const cell = Math.floor(y / 4) * 4 + Math.floor(x / 4);
      const o = ((i * size + y) * size + x) * 3;
      for (let c = 0; c < 3; c++) pixels[o + c] = cell < 12 ? Math.min(255, base[c]! * 0.3 + labels[i * 12 + cell]! * 30) : base[c]!;
    }
  }
  return { size, count: n, pixels, labels, groups: gid, groupNames: Array.from({ length: groups }, (_, g) => `G${g}`) };
}

beforeAll(async () => {
  await initRuntime();
});

const tinyHest: HestConfig = { stem: 8, stages: [8, 16], hidden: 32, outputs: 12 };
const tinyFpre: FpreConfig = { widths: [8, 16], convsPerBlock: [1, 1], hidden: 32, outputs: 12 };
const tinyId: IdNetConfig = { family: 'irse', widths: [8, 16], embedding: 16 };

describe('estimator training on a toy world', () => {
  const train = toySet(6, 24, 1), test = toySet(6, 12, 2);

  it('H_est learns intensities (test MSE well under the label variance) and round-trips through files', async () => {
    const dir = tmp();
    const before = evaluateHest((await trainEstimator({ kind: 'hest', config: tinyHest, train, outDir: tmp(), steps: 1, batch: 16, lr: 3e-3, seed: 1, flip: false })).estimator, test);
    const { estimator, result } = await trainEstimator({ kind: 'hest', config: tinyHest, train, outDir: dir, steps: 150, batch: 16, lr: 3e-3, seed: 1, flip: false });
    expect(result.stoppedBy).toBe('done');
    const after = evaluateHest(estimator, test);
    expect(after.meanMse).toBeLessThan(before.meanMse / 2);
    expect(after.meanIcc).toBeGreaterThan(0.5);
    await saveEstimator(dir, estimator, { note: 'test' });
    const loaded = loadEstimator(dir, 'hest');
    expect(Array.from(predictSet(loaded, test))).toEqual(Array.from(predictSet(estimator, test)));
    expect(() => loadEstimator(dir, 'fpre')).toThrow(/fpre\.json: no such file/);
  });

  it('F_pre learns intensity differences between frames of one subject', async () => {
    const first = await trainEstimator({ kind: 'fpre', config: tinyFpre, train, outDir: tmp(), steps: 150, batch: 16, lr: 3e-3, seed: 2, flip: false });
    const r = evaluateFpre(first.estimator, test, 256);
    expect(r.mse).toBeLessThan(r.baselineMse / 2);
  });

  it('an ArcFace ID net separates identities it never saw better than chance', async () => {
    const ids = toySet(12, 8, 3), unseen = toySet(20, 6, 4);
    // unseen identities: shift colours so they are new groups
    unseen.groupNames = unseen.groupNames.map((g) => `U${g}`);
    const { estimator } = await trainEstimator({ kind: 'fid', config: tinyId, train: ids, outDir: tmp(), steps: 60, batch: 32, lr: 3e-3, seed: 3, flip: false });
    const v = verification(estimator, unseen, 400);
    expect(v.accuracy).toBeGreaterThan(0.7);
    expect(v.meanSame).toBeLessThan(v.meanDifferent);
  });

  it('leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    const { estimator } = await trainEstimator({ kind: 'hest', config: tinyHest, train, outDir: tmp(), steps: 3, batch: 8, lr: 1e-3, seed: 5 });
    evaluateHest(estimator, test);
    estimator.params.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
