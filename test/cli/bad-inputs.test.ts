import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytes, makeZip, pngClaiming, REF, tempDir } from '../io/helpers.js';
import { cli } from './helpers.js';

const dir = tempDir();

function file(name: string, data: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

/** What a user must see for bad input: exit 2, one line, the file named, no stack trace. */
async function refused(args: string[], message: RegExp): Promise<void> {
  const r = await cli(args);
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^aueditnet: /);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('bad inputs give one-line errors with exit code 2', () => {
  it('missing file', async () => {
    await refused(['inspect', join(dir, 'nope.pt')], /nope\.pt: no such file/);
    await refused(['convert', join(dir, 'nope.pt'), join(dir, 'out.safetensors')], /nope\.pt: no such file/);
  });

  it('truncated .pt (zip and legacy)', async () => {
    const zip = readFileSync(join(REF, 'stylegan2-small.pt'));
    await refused(['inspect', file('half.pt', zip.subarray(0, zip.length >> 1))], /half\.pt: .*(truncated|corrupt|not a complete)/i);
    const legacy = readFileSync(join(REF, 'stylegan2-small-legacy.pt'));
    await refused(['inspect', file('half-legacy.pt', legacy.subarray(0, legacy.length >> 1))], /half-legacy\.pt: .*(truncated|corrupt)/i);
  });

  it('truncated and corrupt .safetensors', async () => {
    const st = join(dir, 'ok.safetensors');
    const r = await cli(['convert', join(REF, 'stylegan2-small.pt'), st]);
    expect(r.code, r.stderr).toBe(0);
    const whole = readFileSync(st);
    await refused(['inspect', file('cut.safetensors', whole.subarray(0, whole.length - 100))], /cut\.safetensors: .*truncated/i);
    const badHeader = Buffer.from(whole);
    badHeader.writeBigUInt64LE(BigInt(whole.length * 10), 0);
    await refused(['inspect', file('hdr.safetensors', badHeader)], /hdr\.safetensors: /);
  });

  it('hostile pickle', async () => {
    const evil = bytes(0x80, 2, 'cos\nsystem\n', 0x58, [5, 0, 0, 0], 'id -u', 0x85, 'R.');
    await refused(['inspect', file('evil.pt', makeZip({ 'archive/data.pkl': evil }))], /evil\.pt: pickle refers to global 'os\.system'/);
    await refused(['inspect', file('evil-legacy.pt', evil)], /evil-legacy\.pt: .*'os\.system'/);
  });

  it('non-image and non-tensor file', async () => {
    await refused(['inspect', file('notes.txt', 'hello, not an image\n')], /notes\.txt: /);
    const fakePng = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('garbage')]);
    await refused(['inspect', file('fake.png', fakePng)], /fake\.png: /);
  });

  it('30000×30000 PNG decompression bomb', async () => {
    const t0 = Date.now();
    await refused(['inspect', file('bomb.png', pngClaiming(30000, 30000))], /bomb\.png: image is 30000×30000 = 900 Mpx, over the limit/);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('a good image is described as the tensor the models see', async () => {
    copyFileSync(join(REF, 'README.md'), join(dir, 'readme.md'));
    const { default: sharp } = await import('sharp');
    const p = join(dir, 'face.png');
    await sharp({ create: { width: 5, height: 3, channels: 3, background: { r: 10, g: 20, b: 30 } } }).png().toFile(p);
    const r = await cli(['inspect', p]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/face\.png: png image, 5×3, decoded as RGB tensor \[1, 3, 5, 3\] float32/);
  });
});
