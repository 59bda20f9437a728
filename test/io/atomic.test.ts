import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { openAtomic, withAtomicWriter, writeFileAtomic } from '../../src/io/atomic.js';
import { tempDir } from './helpers.js';

const root = tempDir();

describe('atomic writes', () => {
  it('writes whole files and replaces existing ones', async () => {
    const p = join(root, 'a.txt');
    writeFileSync(p, 'old');
    await writeFileAtomic(p, 'new');
    expect(readFileSync(p, 'utf8')).toBe('new');
    await writeFileAtomic(p, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(p)]).toEqual([1, 2, 3]);
    expect(readdirSync(root).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('streams into a hidden temp file that only becomes visible on commit', async () => {
    const dir = join(root, 'stream');
    mkdirSync(dir);
    const p = join(dir, 'out.bin');
    const w = await openAtomic(p);
    expect(w.tempPath).toMatch(new RegExp(`/\\.out\\.bin\\.tmp-${process.pid}-[0-9a-f]+$`));
    await w.write('ab');
    await w.write(new Uint8Array([0x63]));
    expect(existsSync(p)).toBe(false);
    await w.commit();
    expect(readFileSync(p, 'utf8')).toBe('abc');
    expect(readdirSync(dir)).toEqual(['out.bin']);
  });

  it('abort and a failing producer leave no temp file and keep the old content', async () => {
    const dir = join(root, 'abort');
    mkdirSync(dir);
    const p = join(dir, 'keep.txt');
    writeFileSync(p, 'original');
    const w = await openAtomic(p);
    await w.write('partial');
    await w.abort();
    await expect(
      withAtomicWriter(p, async (x) => {
        await x.write('partial');
        throw new Error('producer failed');
      }),
    ).rejects.toThrow('producer failed');
    expect(readdirSync(dir)).toEqual(['keep.txt']);
    expect(readFileSync(p, 'utf8')).toBe('original');
  });

  it('a missing directory is a UserError naming the file', async () => {
    const p = join(root, 'no', 'such', 'dir', 'x.json');
    await expect(writeFileAtomic(p, '{}')).rejects.toThrow(UserError);
    await expect(writeFileAtomic(p, '{}')).rejects.toThrow(/x\.json: cannot write: directory .*dir does not exist/);
  });
});
