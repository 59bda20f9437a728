import { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseAuAssignment, parseIdentity, register } from '../../src/cli/synth.js';
import { UserError } from '../../src/errors.js';
import { independentAuSequence } from '../../src/synth/episodes.js';
import { readImage } from '../../src/io/image.js';
import { tempDir } from './temp.js';

const root = tempDir();

async function run(...args: string[]): Promise<void> {
  const program = new Command().name('aueditnet').exitOverride();
  program.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  register(program);
  await program.parseAsync(['node', 'aueditnet', ...args]);
}

describe('aueditnet synth', () => {
  it('render writes the oracle image at the asked size', async () => {
    const out = join(root, 'smile.png');
    await run('synth', 'render', '--identity', 'SN005', '--au', '12=3', '--au', 'AU6=2.5', '--size', '40', '--out', out);
    const img = await readImage(out);
    expect([img.width, img.height]).toEqual([40, 40]);
    const neutral = join(root, 'neutral.png');
    await run('synth', 'render', '--identity', 'SN005', '--size', '40', '--out', neutral);
    expect(readFileSync(out).equals(readFileSync(neutral))).toBe(false);
  });

  it('sheet writes the AU sheet and the identity sheet', async () => {
    await run('synth', 'sheet', '--out', join(root, 'aus.png'), '--tile', '32', '--subjects', 'SN001,7');
    await run('synth', 'sheet', '--out', join(root, 'ids.png'), '--tile', '32', '--identities', '4', '--nuisance');
    const aus = await readImage(join(root, 'aus.png'));
    const ids = await readImage(join(root, 'ids.png'));
    expect(aus.height).toBeGreaterThan(12 * 32);
    expect(ids.width).toBe(64);
  });

  it('disfa writes a small set and reports the label statistics on stdout', async () => {
    const out = join(root, 'disfa');
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let printed = '';
    try {
      await run('synth', 'disfa', '--out', out, '--size', '16', '--frames', '4', '--subjects', 'SN001,SN002', '--workers', '0', '--quiet');
      printed = write.mock.calls.map((c) => String(c[0])).join('');
    } finally {
      write.mockRestore();
    }
    expect(existsSync(join(out, 'Frames', 'SN002', '00004.png'))).toBe(true);
    expect(printed).toMatch(/^wrote 2 subjects × 4 frames \(16 px\)/);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).episodes).toBe('disfa');
  });

  it('disfa --episodes independent writes the independent-AU labels and records the style', async () => {
    const out = join(root, 'indep');
    await run('synth', 'disfa', '--out', out, '--size', '16', '--frames', '3', '--subjects', 'SN001', '--workers', '0', '--episodes', 'independent', '--quiet');
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).episodes).toBe('independent');
    const truth = readFileSync(join(out, 'truth', 'SN001.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).aus as number[]);
    expect(truth.flat()).toEqual(Array.from(independentAuSequence('SN001', 3, 0)));
    await expect(run('synth', 'disfa', '--out', join(root, 'z'), '--episodes', 'posed', '--quiet')).rejects.toThrow(/--episodes must be one of disfa, independent, got "posed"/);
  });

  it('turns bad input into one-line user errors', async () => {
    await expect(run('synth', 'render', '--identity', 'SN014', '--out', join(root, 'x.png'))).rejects.toThrow(/unknown subject "SN014"/);
    await expect(run('synth', 'render', '--identity', 'bob', '--out', join(root, 'x.png'))).rejects.toThrow(UserError);
    await expect(run('synth', 'render', '--identity', '1', '--au', '7=2', '--out', join(root, 'x.png'))).rejects.toThrow(/AU 7 is not one of/);
    await expect(run('synth', 'render', '--identity', '1', '--size', '4000', '--out', join(root, 'x.png'))).rejects.toThrow(/--size must be a whole number from 16 to 1024/);
    await expect(run('synth', 'disfa', '--out', join(root, 'y'), '--frames', 'many')).rejects.toThrow(/--frames must be a whole number/);
    await expect(run('synth', 'disfa', '--out', join(root, 'disfa'), '--frames', '2', '--subjects', 'SN001', '--quiet')).rejects.toThrow(/is not empty/);
    await expect(run('synth', 'render', '--identity', '1', '--out', join(root, 'no', 'such', 'dir.png'))).rejects.toThrow(/does not exist/);
    expect(parseAuAssignment('au26=-1.5')).toEqual([11, -1.5]);
    expect(() => parseAuAssignment('12:3')).toThrow(/--au expects AU=intensity/);
    expect(parseIdentity('sn3').label).toBe('SN003');
    expect(parseIdentity('77').label).toBe('#77');
  });
});
