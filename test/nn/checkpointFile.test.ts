import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointFile, writeCheckpointFile } from '../../src/nn/checkpointFile.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'aueditnet-ck-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Five 1000-float tensors (4000 bytes each) with values that tell them apart. */
const tensors = (shift: number) =>
  Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((k, i) => [k, { dtype: 'float32' as const, shape: [10, 100], data: Float32Array.from({ length: 1000 }, (_, j) => i * 1000 + j + shift) }]));

describe('checkpoint files', () => {
  it('a checkpoint under the limit stays one file', async () => {
    const d = tmp();
    await writeCheckpointFile(path.join(d, 'checkpoint.safetensors'), tensors(0), { step: '3' }, { step: 3, maxBytes: 1e6 });
    expect(readdirSync(d)).toEqual(['checkpoint.safetensors']);
    const f = CheckpointFile.open(path.join(d, 'checkpoint.safetensors'));
    expect(f.metadata).toEqual({ step: '3' });
    expect(f.keys().sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    f.close();
  });

  it('splits a larger one into parts no larger than the limit and reads it back whole', async () => {
    const d = tmp();
    const file = path.join(d, 'checkpoint.safetensors');
    await writeCheckpointFile(file, tensors(0), { step: '7', config: '{}' }, { step: 7, maxBytes: 8000 });
    const files = readdirSync(d).sort();
    // 5 tensors of 4000 bytes, 2 per file → main + 2 parts
    expect(files).toEqual(['checkpoint.s00000007.p1.safetensors', 'checkpoint.s00000007.p2.safetensors', 'checkpoint.safetensors']);
    for (const f of files) expect(statSync(path.join(d, f)).size).toBeLessThan(8000 + 1024);
    const f = CheckpointFile.open(file);
    expect(f.metadata).toEqual({ step: '7', config: '{}' });
    expect(f.paths).toHaveLength(3);
    for (const [k, t] of Object.entries(tensors(0))) expect(Array.from(f.get(k).data as Float32Array), k).toEqual(Array.from(t.data));
    expect(() => f.get('zz')).toThrow(/no tensor named 'zz'/);
    f.close();
  });

  it('a newer checkpoint replaces the parts of the older one; a missing or foreign part is named', async () => {
    const d = tmp();
    const file = path.join(d, 'checkpoint.safetensors');
    await writeCheckpointFile(file, tensors(0), { step: '1' }, { step: 1, maxBytes: 8000 });
    await writeCheckpointFile(file, tensors(5), { step: '2' }, { step: 2, maxBytes: 8000 });
    expect(readdirSync(d).filter((f) => f.includes('.s00000001.'))).toEqual([]);
    const f = CheckpointFile.open(file);
    expect((f.get('e').data as Float32Array)[0]).toBe(4005);
    f.close();
    // a part copied from another checkpoint (a crash between copies, a bad merge) is refused
    await writeCheckpointFile(path.join(d, 'other.safetensors'), tensors(0), { step: '9' }, { step: 9, maxBytes: 8000 });
    rmSync(path.join(d, 'checkpoint.s00000002.p1.safetensors'));
    expect(() => CheckpointFile.open(file)).toThrow(/part checkpoint\.s00000002\.p1\.safetensors cannot be read/);
    const { renameSync } = await import('node:fs');
    renameSync(path.join(d, 'checkpoint.s00000009.p1.safetensors'), path.join(d, 'checkpoint.s00000002.p1.safetensors'));
    expect(() => CheckpointFile.open(file)).toThrow(/belongs to the checkpoint of step 9, not 2/);
    expect(existsSync(file)).toBe(true);
  });
});
