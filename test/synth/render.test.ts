import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { auVector } from '../../src/data/aus.js';
import { checkSize, renderPng, renderRgb } from '../../src/synth/canvas-node.js';
import { sampleIdentity } from '../../src/synth/identity.js';
import { NEUTRAL_NUISANCE } from '../../src/synth/nuisance.js';
import { RENDERER_VERSION } from '../../src/synth/render.js';
import { UserError } from '../../src/errors.js';
import { readImage } from '../../src/io/image.js';
import { referenceHashes, referenceSpecs, thumbnail } from './helpers.js';
import { tempDir } from './temp.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = tempDir();

describe('renderer determinism', () => {
  it('gives identical pixels for the same inputs within a process, whatever was rendered before', () => {
    const first = referenceHashes();
    // render other faces and sizes in between: no context state may leak into the next face
    for (let i = 0; i < 5; i++) renderRgb({ identity: sampleIdentity(100 + i), aus: auVector({ 12: i, 25: 5 - i }) }, 64 + 32 * i);
    expect(referenceHashes()).toEqual(first);
  });

  it('gives identical pixels in a separate process', () => {
    const child = execFileSync(process.execPath, ['--import', 'tsx', 'test/synth/hash-child.ts'], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(child)).toEqual(referenceHashes());
  });

  it('matches the recorded reference within anti-aliasing tolerance, on any machine', () => {
    const ref = JSON.parse(readFileSync(new URL('./fixtures/reference.json', import.meta.url), 'utf8')) as {
      rendererVersion: string;
      faces: Array<{ name: string; size: number; sha256: string; thumbnail16: number[] }>;
    };
    // a pixel-changing renderer edit must bump RENDERER_VERSION and re-record the fixture
    expect(ref.rendererVersion).toBe(RENDERER_VERSION);
    const specs = new Map(referenceSpecs().map((r) => [r.name, r]));
    for (const face of ref.faces) {
      const r = specs.get(face.name)!;
      const rgb = renderRgb(r.spec, r.size);
      const t = thumbnail(rgb, r.size);
      let sum = 0;
      let max = 0;
      for (let i = 0; i < t.length; i++) {
        const d = Math.abs(t[i]! - face.thumbnail16[i]!);
        sum += d;
        max = Math.max(max, d);
      }
      expect(sum / t.length, face.name).toBeLessThan(0.6);
      expect(max, face.name).toBeLessThanOrEqual(6);
    }
  });
});

describe('render output', () => {
  it('renders any size from 16 to 1024 and refuses others', () => {
    for (const size of [16, 64, 100, 1024]) {
      const rgb = renderRgb({ identity: sampleIdentity(3), aus: auVector({ 12: 2 }) }, size);
      expect(rgb.length).toBe(size * size * 3);
    }
    for (const size of [8, 2048, 64.5]) expect(() => checkSize(size)).toThrow(UserError);
  });

  it('writes PNGs that decode to exactly the rendered pixels', async () => {
    const spec = { identity: sampleIdentity(4), aus: auVector({ 1: 2, 2: 2, 26: 3, 25: 3 }), nuisance: NEUTRAL_NUISANCE };
    const file = join(dir, 'f.png');
    writeFileSync(file, renderPng(spec, 48));
    const img = await readImage(file);
    const rgb = renderRgb(spec, 48);
    expect(img.width).toBe(48);
    let maxDiff = 0;
    for (let i = 0; i < rgb.length; i++) maxDiff = Math.max(maxDiff, Math.abs(Math.round(img.data[i]! * 255) - rgb[i]!));
    expect(maxDiff).toBe(0);
  });

  it('fills the frame like an FFHQ-aligned crop: face pixels reach the sides and bottom, background at the corners', () => {
    const size = 64;
    const rgb = renderRgb({ identity: sampleIdentity(5), aus: auVector() }, size);
    const px = (x: number, y: number) => Array.from(rgb.subarray((y * size + x) * 3, (y * size + x) * 3 + 3));
    const bg = px(1, 1);
    const centre = px(32, 40);
    expect(Math.abs(centre[0]! - bg[0]!) + Math.abs(centre[1]! - bg[1]!) + Math.abs(centre[2]! - bg[2]!)).toBeGreaterThan(40);
    // the face is wide: a row through the cheeks differs from the background over ≥ 60 % of its width
    let faceCols = 0;
    for (let x = 0; x < size; x++) {
      const p = px(x, 34);
      if (Math.abs(p[0]! - bg[0]!) + Math.abs(p[1]! - bg[1]!) + Math.abs(p[2]! - bg[2]!) > 40) faceCols++;
    }
    expect(faceCols / size).toBeGreaterThan(0.6);
  });
});
