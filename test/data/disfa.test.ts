import { cpSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AU_COUNT, AU_ORDER } from '../../src/data/aus.js';
import { openDisfa } from '../../src/data/disfa.js';
import { formatLabelFile } from '../../src/data/labels.js';
import { readTruth } from '../../src/data/truth.js';
import { UserError } from '../../src/errors.js';
import { readImage } from '../../src/io/image.js';
import { renderRgb } from '../../src/synth/canvas-node.js';
import { writeDisfa } from '../../src/synth/disfa-writer.js';
import { labelOf } from '../../src/synth/episodes.js';
import { subjectIdentity } from '../../src/synth/identity.js';
import { encodePngRgb } from '../../src/synth/png.js';
import { tempDir } from './temp.js';

const root = tempDir();
const set = join(root, 'synth');
const SUBJECTS = ['SN003', 'SN010'];
const FRAMES = 40;

beforeAll(async () => {
  await writeDisfa({ out: set, size: 32, frames: FRAMES, subjects: SUBJECTS, seed: 11, nuisance: true, workers: 0 });
});

async function message(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('no error');
}

/** A copy of the generated set to break in one way. */
function copy(name: string): string {
  const dir = join(root, name);
  cpSync(set, dir, { recursive: true });
  return dir;
}

describe('DISFA-layout reader on a SynthFACS set', () => {
  it('round-trips: labels are the rounded truth, frames are the renders of the truth', async () => {
    const data = await openDisfa(set);
    expect(data.kind).toBe('synthfacs');
    expect(data.subjects.map((s) => s.id)).toEqual(SUBJECTS);
    expect(data.warnings).toEqual([]);
    for (const id of SUBJECTS) {
      const s = data.subject(id);
      expect(s.frames).toBe(FRAMES);
      const truth = await readTruth(set, id);
      expect(truth).toHaveLength(FRAMES);
      for (const t of truth) expect(Array.from(data.label(id, t.frame))).toEqual(t.aus.map(labelOf));
      for (const frame of [1, 17, FRAMES]) {
        const t = truth[frame - 1]!;
        const img = await readImage(data.framePath(id, frame));
        const rgb = renderRgb({ identity: subjectIdentity(id), aus: t.aus, nuisance: t.nuisance as never }, 32);
        let maxDiff = 0;
        for (let i = 0; i < rgb.length; i++) maxDiff = Math.max(maxDiff, Math.abs(Math.round(img.data[i]! * 255) - rgb[i]!));
        expect(maxDiff).toBe(0);
      }
    }
    expect(data.framePath('SN003', 7)).toBe(join(set, 'Frames', 'SN003', '00007.png'));
    expect(readFileSync(join(set, 'ActionUnit_Labels', 'SN003', 'SN003_au12.txt'), 'utf8').split('\n')[0]).toMatch(/^1,[0-5]$/);
  });

  it('reads a real-DISFA-like folder: no manifest, frames under another folder and 0-based names', async () => {
    const dir = join(root, 'real');
    const frames = 5;
    for (const id of ['SN001', 'SN002']) {
      mkdirSync(join(dir, 'ActionUnit_Labels', id), { recursive: true });
      mkdirSync(join(dir, 'Images', id), { recursive: true });
      for (const au of AU_ORDER) writeFileSync(join(dir, 'ActionUnit_Labels', id, `${id}_au${au}.txt`), formatLabelFile([0, 1, 2, au === 12 ? 3 : 0, 0]).replace(/\n/g, '\r\n'));
      for (let i = 0; i < frames; i++) writeFileSync(join(dir, 'Images', id, `${i}.png`), encodePngRgb(2, 2, new Uint8Array(12)));
    }
    const data = await openDisfa(dir, { framesDir: join(dir, 'Images'), framePattern: '{index}.png' });
    expect(data.kind).toBe('disfa');
    expect(data.manifest).toBeNull();
    expect(Array.from(data.label('SN002', 4))[AU_ORDER.indexOf(12)]).toBe(3);
    expect(data.framePath('SN001', 1)).toBe(join(dir, 'Images', 'SN001', '0.png'));
    expect(data.subject('SN001').labels.length).toBe(frames * AU_COUNT);
    await expect(openDisfa(dir)).rejects.toThrow(/Frames\/SN001\/00001\.png: no such file: frame 1 of SN001/);
    expect((await openDisfa(dir, { checkFrames: false })).subjects).toHaveLength(2);
  });

  it('names the file for a missing or malformed label file, and the folder for a missing layout', async () => {
    const missing = copy('missing');
    unlinkSync(join(missing, 'ActionUnit_Labels', 'SN010', 'SN010_au17.txt'));
    expect(await message(openDisfa(missing))).toBe(
      `${join(missing, 'ActionUnit_Labels', 'SN010', 'SN010_au17.txt')}: no such file (each subject needs the label files SN010_au1.txt … SN010_au26.txt)`,
    );

    const bad = copy('malformed');
    const f = join(bad, 'ActionUnit_Labels', 'SN003', 'SN003_au4.txt');
    writeFileSync(f, readFileSync(f, 'utf8').replace('\n5,', '\n5;'));
    expect(await message(openDisfa(bad))).toMatch(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: line 5: expected "frame,intensity"`));

    const range = copy('range');
    const g = join(range, 'ActionUnit_Labels', 'SN003', 'SN003_au1.txt');
    writeFileSync(g, readFileSync(g, 'utf8').replace(/^3,\d$/m, '3,9'));
    expect(await message(openDisfa(range))).toMatch(/SN003_au1\.txt: line 3: intensity 9 is not a whole number from 0 to 5/);

    const noLabels = join(root, 'empty');
    mkdirSync(noLabels);
    expect(await message(openDisfa(noLabels))).toMatch(/ActionUnit_Labels: no such folder; a DISFA-layout data set keeps its labels in/);
    expect(await message(openDisfa(join(root, 'nope')))).toMatch(/nope: no such folder/);

    const noFrame = copy('noframe');
    rmSync(join(noFrame, 'Frames', 'SN010', '00040.png'));
    expect(await message(openDisfa(noFrame))).toMatch(/SN010\/00040\.png: no such file: frame 40 of SN010/);

    await expect(openDisfa(set, { framePattern: '{frame}.{ext}' })).rejects.toThrow(/only \{frame\}, \{index\}, \{subject\}/);
    const data = await openDisfa(set);
    expect(() => data.subject('SN001')).toThrow(/subject SN001 is not in/);
    expect(() => data.label('SN003', FRAMES + 1)).toThrow(RangeError);
  });

  it('warns, and uses the common frames, when a subject\'s label files differ in length', async () => {
    const uneven = copy('uneven');
    const f = join(uneven, 'ActionUnit_Labels', 'SN003', 'SN003_au26.txt');
    writeFileSync(f, readFileSync(f, 'utf8').split('\n').slice(0, FRAMES - 3).join('\n') + '\n');
    const data = await openDisfa(uneven, { checkFrames: false });
    expect(data.subject('SN003').frames).toBe(FRAMES - 3);
    expect(data.warnings[0]).toMatch(/^SN003: label files have different frame counts \(.*au26 37.*\); using the first 37 frames$/);
  });

  it('reports a broken truth file by line', async () => {
    const broken = copy('truth');
    const t = join(broken, 'truth', 'SN003.jsonl');
    const lines = readFileSync(t, 'utf8').split('\n');
    lines[2] = '{"frame": 3, "aus": [1, 2]}';
    writeFileSync(t, lines.join('\n'));
    expect(await message(readTruth(broken, 'SN003'))).toMatch(/truth\/SN003\.jsonl: line 3: "aus" must be 12 numbers/);
    expect(await message(readTruth(broken, 'SN999'))).toMatch(/SN999\.jsonl: no such file/);
  });
});
