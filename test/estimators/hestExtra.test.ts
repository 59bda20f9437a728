/**
 * `aueditnet train hest --extra DIR`: frames of the fold's training subjects from a second
 * DISFA-layout set (here the independent-AU style) are added to the training images, and none of
 * that set's test subjects is read.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { concatImageSets, type ImageSet } from '../../src/estimators/imageSet.js';
import { initRuntime } from '../../src/runtime/index.js';
import { writeDisfa } from '../../src/synth/disfa-writer.js';
import { cli } from '../cli/helpers.js';
import { tempDir } from '../gan/helpers.js';

let data: string;
let extra: string;

beforeAll(async () => {
  await initRuntime();
  data = tempDir();
  extra = tempDir();
  // fold 3: SN001 and SN002 train, SN003 tests
  await writeDisfa({ out: data, size: 32, frames: 6, subjects: ['SN001', 'SN003'], seed: 2, nuisance: true, workers: 0 });
  await writeDisfa({ out: extra, size: 32, frames: 5, subjects: ['SN001', 'SN002', 'SN003'], seed: 2, nuisance: true, workers: 0, episodes: 'independent' });
}, 120_000);

describe('aueditnet train hest --extra', () => {
  it('adds the extra set\'s training-subject frames only and records them', async () => {
    const out = tempDir();
    const r = await cli(['train', 'hest', '--data', data, '--extra', extra, '--fold', '3', '--out', out, '--steps', '2', '--batch', '4', '--every', '1', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const meta = JSON.parse(readFileSync(join(out, 'hest.json'), 'utf8')) as {
      training: { command: string; data: { trainImages: number; testImages: number; extra: Array<{ root: string; trainSubjects: string[]; trainImages: number; manifest: { episodes: string } }> } };
    };
    // 6 frames of SN001 from --data, 5 of SN001 and 5 of SN002 from --extra; SN003 (test) only from --data
    expect(meta.training.data.trainImages).toBe(16);
    expect(meta.training.data.testImages).toBe(6);
    expect(meta.training.data.extra).toHaveLength(1);
    expect([...meta.training.data.extra[0]!.trainSubjects].sort()).toEqual(['SN001', 'SN002']);
    expect(meta.training.data.extra[0]!.trainImages).toBe(10);
    expect(meta.training.data.extra[0]!.manifest.episodes).toBe('independent');
    expect(meta.training.command).toMatch(new RegExp(` --extra ${extra.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  }, 120_000);

  it('refuses an extra set of another frame size or without training subjects, naming it', async () => {
    const small = tempDir();
    await writeDisfa({ out: small, size: 16, frames: 2, subjects: ['SN001'], seed: 2, nuisance: false, workers: 0 });
    const r1 = await cli(['train', 'hest', '--data', data, '--extra', small, '--out', tempDir(), '--steps', '1', '--batch', '2', '--quiet']);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain(`--extra ${small} has 16-px frames`);
    const testOnly = tempDir();
    await writeDisfa({ out: testOnly, size: 32, frames: 2, subjects: ['SN003'], seed: 2, nuisance: false, workers: 0 });
    const r2 = await cli(['train', 'hest', '--data', data, '--extra', testOnly, '--out', tempDir(), '--steps', '1', '--batch', '2', '--quiet']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(new RegExp(`--extra .* holds none of fold 3's training subjects`));
  }, 120_000);
});

describe('concatImageSets', () => {
  const set = (names: string[], groups: number[], fill: number): ImageSet => ({
    size: 1,
    count: groups.length,
    pixels: new Uint8Array(groups.length * 3).fill(fill),
    labels: new Float32Array(groups.length * 12).fill(fill),
    groups: Int32Array.from(groups),
    groupNames: names,
  });

  it('keeps images in order and merges groups of the same name', () => {
    const c = concatImageSets([set(['SN001', 'SN002'], [0, 1, 1], 1), set(['SN002', 'SN005'], [1, 0], 2)]);
    expect(c.count).toBe(5);
    expect(c.groupNames).toEqual(['SN001', 'SN002', 'SN005']);
    expect(Array.from(c.groups)).toEqual([0, 1, 1, 2, 1]);
    expect(Array.from(c.pixels)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
    expect(c.labels![3 * 12]).toBe(2);
    expect(c.labels![2 * 12 + 11]).toBe(1);
  });

  it('refuses mixed sizes and mixed labelling', () => {
    const a = set(['x'], [0], 0);
    expect(() => concatImageSets([a, { ...a, size: 2, pixels: new Uint8Array(12) }])).toThrow(/sizes differ/);
    expect(() => concatImageSets([a, { ...a, labels: undefined }])).toThrow(/labels/);
  });
});
