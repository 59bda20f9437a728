import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AU_ORDER } from '../../src/data/aus.js';
import { UserError } from '../../src/errors.js';
import { writeDisfa } from '../../src/synth/disfa-writer.js';
import { subjectIdentity } from '../../src/synth/identity.js';
import { writePool } from '../../src/synth/pool-writer.js';
import { RENDERER_VERSION } from '../../src/synth/render.js';
import { tempDir } from './temp.js';

const root = tempDir();

function files(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else out.set(`${rel}${e.name}`, readFileSync(join(d, e.name)));
    }
  };
  walk(dir, '');
  return out;
}

describe('synth disfa writer', () => {
  it('writes the DISFA layout, a manifest and truth; worker threads give the same bytes as one thread', async () => {
    const opts = { size: 32, frames: 30, subjects: ['SN001', 'SN032'], seed: 4, nuisance: true };
    let started = 0;
    let last = 0;
    await writeDisfa({ ...opts, out: join(root, 'one'), workers: 0, onStart: (n) => (started = n), onProgress: (d) => (last = d) });
    await writeDisfa({ ...opts, out: join(root, 'two'), workers: 2 });
    expect(started).toBe(60);
    expect(last).toBe(60);
    const a = files(join(root, 'one'));
    const b = files(join(root, 'two'));
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [k, v] of a) expect(v.equals(b.get(k)!), k).toBe(true);
    expect(a.size).toBe(2 * (30 + AU_ORDER.length + 1) + 1);
    expect(a.has('ActionUnit_Labels/SN032/SN032_au26.txt')).toBe(true);
    expect(a.has('Frames/SN001/00030.png')).toBe(true);
    expect(a.has('Frames/SN001/00031.png')).toBe(false);
    expect([...a.keys()].some((k) => k.includes('.tmp-'))).toBe(false);

    const manifest = JSON.parse(a.get('manifest.json')!.toString()) as Record<string, any>;
    expect(manifest.kind).toBe('disfa');
    expect(manifest.generator).toMatchObject({ name: 'SynthFACS', rendererVersion: RENDERER_VERSION });
    expect(manifest).toMatchObject({ seed: 4, size: 32, frames: 30, nuisance: true, auOrder: [...AU_ORDER] });
    expect(manifest.subjects[0].identity).toEqual(subjectIdentity('SN001'));
    expect(Object.keys(manifest.factorRanges.identity).length).toBeGreaterThanOrEqual(20);
    expect(manifest.labelStats.baseRate1).toHaveLength(12);
    const truth = a.get('truth/SN032.jsonl')!.toString().trim().split('\n').map((l) => JSON.parse(l));
    expect(truth).toHaveLength(30);
    expect(truth[0]).toMatchObject({ frame: 1 });
    expect(truth[0].aus).toHaveLength(12);
    expect(truth[0].nuisance.yaw).toEqual(expect.any(Number));
  });

  it('refuses a non-empty folder unless forced, and then removes frames past the new end', async () => {
    const out = join(root, 'force');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    await expect(writeDisfa({ out, size: 16, frames: 3, subjects: ['SN002'], seed: 0, nuisance: false, workers: 0 })).rejects.toThrow(UserError);
    await writeDisfa({ out, size: 16, frames: 5, subjects: ['SN002'], seed: 0, nuisance: false, workers: 0, force: true });
    await writeDisfa({ out, size: 16, frames: 3, subjects: ['SN002'], seed: 0, nuisance: false, workers: 0, force: true });
    expect(readdirSync(join(out, 'Frames', 'SN002')).sort()).toEqual(['00001.png', '00002.png', '00003.png']);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');
    const truth = readFileSync(join(out, 'truth', 'SN002.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(truth[0].nuisance).toBeNull();
  });
});

describe('synth pool writer', () => {
  it('writes identities × images with labels, broad AU combinations and a manifest', async () => {
    const out = join(root, 'pool');
    await writePool({ out, size: 24, identities: 6, perIdentity: 5, seed: 9, nuisance: true, workers: 0 });
    expect(existsSync(join(out, 'images', '00005', '04.png'))).toBe(true);
    const ids = readFileSync(join(out, 'identities.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const labels = readFileSync(join(out, 'labels.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(ids).toHaveLength(6);
    expect(labels).toHaveLength(30);
    expect(new Set(ids.map((r) => r.seed)).size).toBe(6);
    for (const l of labels) {
      expect(existsSync(join(out, l.file))).toBe(true);
      expect(l.aus).toHaveLength(12);
    }
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ kind: 'pool', identities: 6, perIdentity: 5, size: 24 });
  });
});
