/**
 * `aueditnet train hest --pool DIR`: images of other identities (a `synth pool` folder) join the
 * training images; a pool holding one of the data set's subjects is refused.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { poolOverlap, readPoolIdentities, type PoolIdentity } from '../../src/estimators/poolIdentities.js';
import { initRuntime } from '../../src/runtime/index.js';
import { writeDisfa } from '../../src/synth/disfa-writer.js';
import { writePool } from '../../src/synth/pool-writer.js';
import { cli } from '../cli/helpers.js';
import { tempDir } from '../gan/helpers.js';

let data: string;
let poolDir: string;

beforeAll(async () => {
  await initRuntime();
  data = tempDir();
  poolDir = tempDir();
  // fold 3: SN001 trains, SN003 tests
  await writeDisfa({ out: data, size: 32, frames: 4, subjects: ['SN001', 'SN003'], seed: 2, nuisance: true, workers: 0 });
  await writePool({ out: poolDir, size: 32, identities: 5, perIdentity: 3, seed: 5, nuisance: true, workers: 0, force: true });
}, 120_000);

describe('aueditnet train hest --pool', () => {
  it('adds the first n pool identities\' images and records them', async () => {
    const out = tempDir();
    const r = await cli(['train', 'hest', '--data', data, '--pool', poolDir, '--pool-identities', '3', '--fold', '3', '--out', out, '--steps', '2', '--batch', '4', '--every', '1', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const meta = JSON.parse(readFileSync(join(out, 'hest.json'), 'utf8')) as {
      training: { command: string; data: { trainImages: number; testImages: number; pool: { root: string; identities: number; images: number; manifest: { kind: string } } } };
    };
    // 4 frames of SN001 and 3 identities × 3 pool images; SN003 is the test subject
    expect(meta.training.data.trainImages).toBe(4 + 9);
    expect(meta.training.data.testImages).toBe(4);
    expect(meta.training.data.pool).toMatchObject({ root: poolDir, identities: 3, images: 9, manifest: { kind: 'pool' } });
    expect(meta.training.command).toContain(` --pool ${poolDir} --pool-identities 3`);
  }, 120_000);

  it('refuses a pool that holds a subject of the data set, or too few identities, naming the input', async () => {
    const r1 = await cli(['train', 'hest', '--data', data, '--pool', poolDir, '--pool-identities', '6', '--out', tempDir(), '--steps', '1', '--batch', '2', '--quiet']);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain(`--pool-identities 6: ${poolDir} holds 5 identities`);
    // a pool whose identity 1 is the test subject SN003's face
    const bad = tempDir();
    await writePool({ out: bad, size: 32, identities: 2, perIdentity: 1, seed: 5, nuisance: false, workers: 0, force: true });
    const subjects = (JSON.parse(readFileSync(join(data, 'manifest.json'), 'utf8')) as { subjects: Array<{ id: string; identity: unknown }> }).subjects;
    const lines = readFileSync(join(bad, 'identities.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PoolIdentity);
    lines[1]!.identity = subjects.find((s) => s.id === 'SN003')!.identity as Record<string, unknown>;
    writeFileSync(join(bad, 'identities.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const r2 = await cli(['train', 'hest', '--data', data, '--pool', bad, '--out', tempDir(), '--steps', '1', '--batch', '2', '--quiet']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(`--pool ${bad}: identity 1 is subject SN003`);
  }, 120_000);
});

describe('poolOverlap', () => {
  const face = { a: 1, b: [2, 3] };
  const pool: PoolIdentity[] = [
    { index: 0, seed: 10, identity: { a: 9 } },
    { index: 1, seed: 11, identity: { b: [2, 3], a: 1 } },
  ];

  it('finds a subject by its face parameters whatever the key order, or by its identity seed', () => {
    expect(poolOverlap(pool, { subjects: [{ id: 'SN004', identitySeed: 99, identity: face }] })).toEqual({ index: 1, subject: 'SN004' });
    expect(poolOverlap(pool, { subjects: [{ id: 'SN005', identitySeed: 10, identity: { a: 0 } }] })).toEqual({ index: 0, subject: 'SN005' });
  });

  it('is null for distinct faces and for a set without SynthFACS subjects (real DISFA)', () => {
    expect(poolOverlap(pool, { subjects: [{ id: 'SN004', identitySeed: 99, identity: { a: 1, b: [2, 4] } }] })).toBeNull();
    expect(poolOverlap(pool, null)).toBeNull();
  });

  it('the pool and DISFA-layout writers never share a face', async () => {
    const ids = await readPoolIdentities(poolDir);
    expect(ids).toHaveLength(5);
    expect(poolOverlap(ids, JSON.parse(readFileSync(join(data, 'manifest.json'), 'utf8')) as Record<string, unknown>)).toBeNull();
  });
});

describe('readPoolIdentities', () => {
  it('names the file and line of a bad entry', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'identities.jsonl'), '{"index":0,"seed":1,"identity":{}}\n{"index":2,"seed":1,"identity":{}}\n');
    await expect(readPoolIdentities(dir)).rejects.toThrow(/identities\.jsonl.*line 2 has index 2, expected 1/);
    await expect(readPoolIdentities(tempDir())).rejects.toThrow(/identities\.jsonl.*synth pool/);
  });
});
