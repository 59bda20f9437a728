/** The latent cache: equals per-frame encoding, round-trips through safetensors, refuses other keys. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDisfa } from '../../src/data/disfa.js';
import { buildLatentCache, disfaDataHash, latentsOf, loadLatentCache, saveLatentCache, type LatentCache } from '../../src/data/latentCache.js';
import { Encoder } from '../../src/gan/encoder.js';
import { batchImages } from '../../src/estimators/imageSet.js';
import { imageSetFromDisfa } from '../../src/estimators/loadImageSet.js';
import { initRuntime, tf } from '../../src/runtime/index.js';
import { writeDisfa } from '../../src/synth/disfa-writer.js';
import { tempDir } from './temp.js';
import { TINY_E80 } from '../gan/tinyConfigs.js';

const tinyE = TINY_E80;

const root = tempDir();
const data = join(root, 'disfa');
const SUBJECTS = ['SN002', 'SN003'];
let encoder: Encoder;
let cache: LatentCache;

beforeAll(async () => {
  await initRuntime();
  await writeDisfa({ out: data, size: 32, frames: 7, subjects: SUBJECTS, seed: 3, nuisance: true, workers: 0 });
  encoder = new Encoder(tinyE, { seed: 4 });
  const avg = tf.randomNormal([8, 80], 0, 1, 'float32', 9);
  encoder.setLatentAvg(avg);
  avg.dispose();
  const seen: number[] = [];
  cache = await buildLatentCache({ data, subjects: SUBJECTS, encoder, every: 2, batch: 3, onProgress: (d) => seen.push(d) });
  expect(seen[seen.length - 1]).toBe(cache.count);
}, 120_000);

afterAll(() => encoder?.dispose());

describe('latent cache', () => {
  it('holds every k-th frame of each subject with its labels, equal to encoding frames one by one', async () => {
    expect(cache.count).toBe(8); // frames 1 3 5 7 of two subjects
    expect([cache.L, cache.D]).toEqual([8, 80]);
    expect([...cache.frameOf]).toEqual([1, 3, 5, 7, 1, 3, 5, 7]);
    expect([...cache.subjectOf]).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    const ds = await openDisfa(data);
    const set = await imageSetFromDisfa(ds, SUBJECTS, { every: 2 });
    expect(cache.labels).toEqual(set.labels);
    for (let i = 0; i < set.count; i++) {
      const x = batchImages(set, [i]);
      const w = encoder.encode(x);
      const ref = w.dataSync();
      x.dispose();
      w.dispose();
      const got = cache.latents.subarray(i * 8 * 80, (i + 1) * 8 * 80);
      let worst = 0;
      for (let k = 0; k < ref.length; k++) worst = Math.max(worst, Math.abs(ref[k]! - got[k]!));
      expect(worst).toBeLessThan(1e-6);
    }
  });

  it('gives rows as [B, L, D] tensors', () => {
    const t = latentsOf(cache, [5, 0]);
    expect(t.shape).toEqual([2, 8, 80]);
    const v = t.dataSync();
    expect(v.subarray(0, 640)).toEqual(cache.latents.subarray(5 * 640, 6 * 640));
    expect(v.subarray(640)).toEqual(cache.latents.subarray(0, 640));
    t.dispose();
    expect(() => latentsOf(cache, [8])).toThrow(RangeError);
  });

  it('round-trips through safetensors and is refused under another key', async () => {
    const ds = await openDisfa(data);
    const key = { encoder: 'abc', data: disfaDataHash(ds, SUBJECTS), every: '2', subjects: SUBJECTS.join(',') };
    const file = join(root, 'latents.safetensors');
    expect(loadLatentCache(file, key)).toBeNull();
    await saveLatentCache(file, cache, key);
    const back = loadLatentCache(file, { ...key })!;
    expect(back).not.toBeNull();
    expect(back.subjects).toEqual(SUBJECTS);
    expect([back.count, back.L, back.D]).toEqual([8, 8, 80]);
    expect(back.latents).toEqual(cache.latents);
    expect(back.labels).toEqual(cache.labels);
    expect(back.subjectOf).toEqual(cache.subjectOf);
    expect(back.frameOf).toEqual(cache.frameOf);
    // key order does not matter; any changed value does
    expect(loadLatentCache(file, Object.fromEntries(Object.entries(key).reverse()))).not.toBeNull();
    expect(loadLatentCache(file, { ...key, encoder: 'abd' })).toBeNull();
    expect(loadLatentCache(file, { ...key, every: '1' })).toBeNull();
    expect(disfaDataHash(ds, ['SN002'])).not.toBe(key.data);
  });
});
