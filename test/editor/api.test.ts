/**
 * The editing API and the edit / neutral / transfer commands on a tiny random editor + pair saved
 * the way the shipped model is (one folder): AU validation, keep vs reset, the resize warning,
 * flat tensor memory over 100 edits, and the commands' files and errors.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUEditNet } from '../../src/editor/auEditNet.js';
import { loadEditor, parseAuTargets } from '../../src/editor/api.js';
import { resolveEditorConfig } from '../../src/editor/config.js';
import { saveEditor } from '../../src/editor/editorFiles.js';
import { Encoder } from '../../src/gan/encoder.js';
import { Generator } from '../../src/gan/generator.js';
import { saveEncoder, saveGenerator } from '../../src/gan/modelDir.js';
import { readImage, writePng, type RgbImage } from '../../src/io/image.js';
import { initRuntime, tf } from '../../src/runtime/index.js';
import { renderRgb } from '../../src/synth/canvas-node.js';
import { sampleIdentity } from '../../src/synth/identity.js';
import { buildEstimator, saveEstimator } from '../../src/estimators/model.js';
import { cli } from '../cli/helpers.js';
import { tempDir } from '../gan/helpers.js';
import { TINY_E16, TINY_G16 } from '../gan/tinyConfigs.js';

const tinyG = TINY_G16;
const tinyE = TINY_E16;

let dir: string;
let face32: string;
let face64: string;

function face(size: number, seed: number): RgbImage {
  const rgb = renderRgb({ identity: sampleIdentity(seed), aus: new Float64Array(12), nuisance: null }, size);
  return { width: size, height: size, data: Float32Array.from(rgb, (v) => v / 255) };
}

beforeAll(async () => {
  await initRuntime();
  dir = tempDir();
  const g = new Generator(tinyG, { seed: 1 });
  const e = new Encoder(tinyE, { seed: 2 });
  await saveGenerator(dir, g);
  await saveEncoder(dir, e);
  const ed = new AUEditNet(resolveEditorConfig({ levels: [0, 1, 2, 3, 4, 5, 6, 7], styleDim: 16, hidden: 16, zDim: 6, psiHidden: 4 }), 3).build(8);
  await saveEditor(dir, ed, { rows: 8, pair: '.' });
  [g, e, ed].forEach((m) => m.dispose());
  const hest = buildEstimator('hest', { stem: 4, stages: [4, 8], hidden: 8, outputs: 12 }, 32, 7);
  await saveEstimator(dir, hest, {});
  hest.params.dispose();
  face32 = join(dir, 'face32.png');
  face64 = join(dir, 'face64.png');
  await writePng(face32, face(32, 5));
  await writePng(face64, face(64, 6));
}, 120_000);

describe('parseAuTargets', () => {
  it('takes AU12, au12, "12" and 12; refuses unknown AUs (listing the 12), non-finite values and duplicates', () => {
    expect([...parseAuTargets({ AU12: 3, au6: 2, '25': -1, 1: 0.5 }).entries()].sort((x, y) => x[0] - y[0])).toEqual([
      [0, 0.5],
      [4, 2],
      [6, 3],
      [10, -1],
    ]);
    expect(() => parseAuTargets({ AU3: 1 })).toThrow(/unknown AU 'AU3'.*AU1, AU2, AU4, AU5, AU6, AU9, AU12, AU15, AU17, AU20, AU25, AU26/);
    expect(() => parseAuTargets({ AU12: NaN })).toThrow(/AU12: intensity must be a finite number/);
    expect(() => parseAuTargets({ AU12: Infinity })).toThrow(/finite/);
    expect(() => parseAuTargets({ AU12: 1, au12: 2 })).toThrow(/given twice/);
  });
});

describe('loadEditor', () => {
  it('edits: given AUs set, others kept (or reset to 0); images at the model size', async () => {
    const ed = await loadEditor(dir);
    try {
      const r = await ed.edit(face32, { AU12: 3, AU6: 2.5 });
      expect(r.image.width).toBe(32);
      expect(r.image.data.length).toBe(32 * 32 * 3);
      expect(r.target.AU12).toBe(3);
      expect(r.target.AU6).toBe(2.5);
      expect(r.target.AU1).toBeCloseTo(r.source.AU1, 6);
      const z = await ed.edit(face32, { AU12: 3 }, { reset: true });
      expect(z.target.AU1).toBe(0);
      expect(z.target.AU12).toBe(3);
      // a different target gives a different image
      let diff = 0;
      for (let i = 0; i < r.image.data.length; i++) diff = Math.max(diff, Math.abs(r.image.data[i]! - z.image.data[i]!));
      expect(diff).toBeGreaterThan(0);
      await expect(ed.edit(face32, { AU7: 1 })).rejects.toThrow(/unknown AU 'AU7'/);
      // the edit's neutral image is the one `neutral` renders alone (images rendered as one batch, in order)
      const n = await ed.neutral(face32);
      let nd = 0;
      for (let i = 0; i < n.data.length; i++) nd = Math.max(nd, Math.abs(n.data[i]! - r.neutral.data[i]!));
      expect(nd).toBeLessThan(1e-4);
      expect((await ed.transfer(face32, face32)).width).toBe(32);
    } finally {
      ed.dispose();
    }
  }, 120_000);

  it('resizes another size with a warning', async () => {
    const warnings: string[] = [];
    const ed = await loadEditor(dir, { onWarning: (m) => warnings.push(m) });
    try {
      const r = await ed.edit(face64, { AU12: 1 });
      expect(r.image.width).toBe(32);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/64×64 resized to 32×32/);
    } finally {
      ed.dispose();
    }
  }, 60_000);

  it('keeps tf.memory() flat over 100 edits', async () => {
    const ed = await loadEditor(dir);
    const img = await readImage(face32);
    try {
      await ed.edit(img, { AU12: 2 });
      const before = tf.memory().numTensors;
      for (let i = 0; i < 100; i++) await ed.edit(img, { AU12: i / 20, AU4: -0.5 });
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      ed.dispose();
    }
  }, 300_000);

  it('names a folder without an editor', async () => {
    await expect(loadEditor(tempDir())).rejects.toThrow(/editor\.json: no such file/);
  });
});

describe('edit / neutral / transfer commands', () => {
  it('write their images; bad --au and a missing image are refused by name', async () => {
    const out = tempDir();
    const e = await cli(['edit', face32, '--au', '12=3', '--au', 'AU6=1.5', '--out', join(out, 'e.png'), '--neutral', join(out, 'n.png'), '--model', dir, '--json']);
    expect(e.code, e.stderr).toBe(0);
    const j = JSON.parse(e.stdout) as { target: Record<string, number> };
    expect(j.target['AU12']).toBe(3);
    expect(j.target['AU6']).toBe(1.5);
    expect(existsSync(join(out, 'e.png')) && existsSync(join(out, 'n.png'))).toBe(true);
    const n = await cli(['neutral', face32, '--out', join(out, 'nn.png'), '--model', dir]);
    expect(n.code, n.stderr).toBe(0);
    const t = await cli(['transfer', face32, '--ref', face64, '--out', join(out, 't.png'), '--model', dir]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/resized/);
    const bad = await cli(['edit', face32, '--au', '12:3', '--model', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--au 12:3: expected AU=intensity/);
    const unknown = await cli(['edit', face32, '--au', '3=1', '--model', dir, '--out', join(out, 'x.png')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown AU 'AU3'/);
    const missing = await cli(['neutral', join(out, 'nope.png'), '--model', dir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.png: no such file/);
  }, 180_000);
});

describe('demo', () => {
  it('writes demo.png and demo.json with H_est measurements for every edit, and prints the table', async () => {
    const out = tempDir();
    const r = await cli(['demo', '--model', dir, '--out', out, '--faces', '2', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/smile 4\s+AU12\s+4\.00/);
    expect(readFileSync(join(out, 'demo.png')).subarray(1, 4).toString()).toBe('PNG');
    const j = JSON.parse(readFileSync(join(out, 'demo.json'), 'utf8')) as { summary: { edit: string; au: string; target: number; measured: number }[]; faces: unknown[] };
    expect(j.faces).toHaveLength(2);
    expect(j.summary.map((s) => `${s.edit}/${s.au}`)).toEqual(['AU12 = 4/AU12', 'AU4 = 4/AU4', 'AU26 = 4/AU26', 'smile 2/AU6', 'smile 2/AU12', 'smile 4/AU6', 'smile 4/AU12']);
    expect(j.summary.every((s) => Number.isFinite(s.measured))).toBe(true);
    const bad = await cli(['demo', '--model', dir, '--faces', '12']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--faces 12: expected 1–9/);
  }, 180_000);
});
