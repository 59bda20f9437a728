import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { imageToTensorData, readImage, tensorDataToImage, writePng } from '../../src/io/image.js';
import { pngClaiming, tempDir } from './helpers.js';

const dir = tempDir();

async function save(name: string, img: Sharp): Promise<string> {
  const p = join(dir, name);
  await img.toFile(p);
  return p;
}

const raw = (data: Uint8Array | Uint16Array, width: number, height: number, channels: 1 | 2 | 3 | 4) =>
  sharp(data, { raw: { width, height, channels } });

/** A PNG whose IHDR claims `w`×`h` pixels; its IDAT holds one deflated row, so it is tiny. */
describe('readImage', () => {
  it('8-bit RGB PNG, exact values in [0, 1]', async () => {
    const px = new Uint8Array([255, 0, 0, 0, 128, 255, 10, 20, 30, 0, 0, 0, 1, 2, 3, 250, 251, 252]);
    const img = await readImage(await save('rgb.png', raw(px, 3, 2, 3).png()));
    expect([img.width, img.height]).toEqual([3, 2]);
    expect(Array.from(img.data)).toEqual(Array.from(px, (v) => Math.fround(v * (1 / 255))));
  });

  it('16-bit PNG keeps 16-bit precision', async () => {
    const px = new Uint16Array([0, 1, 1000, 30001, 65534, 65535]);
    const p = await save('deep.png', raw(px, 2, 1, 3).toColourspace('rgb16').png());
    expect((await sharp(p).metadata()).depth).toBe('ushort');
    const img = await readImage(p);
    Array.from(px).forEach((v, i) => expect(img.data[i]).toBeCloseTo(v / 65535, 7));
    expect(img.data[1]).toBeGreaterThan(0); // 1/65535 would vanish at 8 bits
  });

  it('grey and grey+alpha become RGB, alpha composited onto black', async () => {
    const grey = await readImage(await save('grey.png', raw(new Uint8Array([0, 51, 255]), 3, 1, 1).toColourspace('b-w').png()));
    expect(Array.from(grey.data)).toEqual([0, 0, 0, 0.2, 0.2, 0.2, 1, 1, 1].map(Math.fround));
    const p = await save('grey-alpha.png', raw(new Uint8Array([255, 255, 255, 0, 200, 51]), 3, 1, 2).toColourspace('b-w').png());
    const meta = await sharp(p).metadata();
    expect([meta.channels, meta.hasAlpha]).toEqual([2, true]);
    const ga = await readImage(p);
    [1, 1, 1, 0, 0, 0, 0.156862, 0.156862, 0.156862].forEach((v, i) => expect(ga.data[i]).toBeCloseTo(v, 5));
  });

  it('RGBA composited onto black', async () => {
    const px = new Uint8Array([255, 0, 0, 255, 0, 255, 0, 0, 0, 0, 255, 51]);
    const img = await readImage(await save('rgba.png', raw(px, 3, 1, 4).png()));
    [1, 0, 0, 0, 0, 0, 0, 0, 0.2].forEach((v, i) => expect(img.data[i]).toBeCloseTo(v, 6));
  });

  it('CMYK JPEG becomes RGB', async () => {
    const p = await save('cmyk.jpg', sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 100, b: 50 } } }).toColourspace('cmyk').jpeg({ quality: 95 }));
    expect((await sharp(p).metadata()).space).toBe('cmyk');
    const img = await readImage(p);
    expect(img.data.length).toBe(8 * 8 * 3);
    const [r, g, b] = img.data;
    expect(r! > g! && g! > b!).toBe(true);
    expect(r).toBeGreaterThan(0.6);
  });

  it('WebP (lossless) reads exactly', async () => {
    const px = new Uint8Array([1, 2, 3, 200, 100, 50]);
    const img = await readImage(await save('x.webp', raw(px, 2, 1, 3).webp({ lossless: true })));
    expect(Array.from(img.data)).toEqual(Array.from(px, (v) => Math.fround(v / 255)));
  });

  it('applies EXIF orientation 6 (rotate 90° clockwise)', async () => {
    // 4×2 stored pixels: left half red, right half blue
    const px = new Uint8Array(4 * 2 * 3);
    for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) px.set(x < 2 ? [255, 0, 0] : [0, 0, 255], (y * 4 + x) * 3);
    const p = await save('rot6.jpg', raw(px, 4, 2, 3).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }));
    expect((await sharp(p).metadata()).orientation).toBe(6);
    const img = await readImage(p);
    expect([img.width, img.height]).toEqual([2, 4]); // upright: tall
    // after a clockwise quarter turn the stored left column (red) is on top
    const at = (x: number, y: number) => Array.from(img.data.subarray((y * 2 + x) * 3, (y * 2 + x) * 3 + 3));
    expect(at(0, 0)[0]).toBeGreaterThan(0.8);
    expect(at(0, 0)[2]).toBeLessThan(0.2);
    expect(at(1, 3)[2]).toBeGreaterThan(0.8);
    expect(at(1, 3)[0]).toBeLessThan(0.2);
  });

  it('reads from a buffer too', async () => {
    const buf = await raw(new Uint8Array([9, 9, 9]), 1, 1, 3).png().toBuffer();
    expect((await readImage(buf)).data[0]).toBeCloseTo(9 / 255, 7);
  });
});

describe('readImage refusals', () => {
  const refuse = async (input: string | Uint8Array, re: RegExp, opts = {}) => {
    const err = await readImage(input, opts).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(re);
    expect((err as Error).message).not.toContain('\n');
  };

  it('missing file', () => refuse(join(dir, 'x.png'), /x\.png: no such file$/));

  it('not an image', async () => {
    const p = join(dir, 'x.txt');
    writeFileSync(p, 'hello, this is text\n');
    await refuse(p, /x\.txt: not an image sharp can read \(.+\)$/);
  });

  it('a decompression bomb is refused from its header, quickly', async () => {
    const p = join(dir, 'bomb.png');
    const bomb = pngClaiming(30000, 30000);
    expect(bomb.length).toBeLessThan(2000);
    writeFileSync(p, bomb);
    const t0 = performance.now();
    await refuse(p, /bomb\.png: image is 30000×30000 = 900 Mpx, over the limit of 67\.1 Mpx \(8192×8192\)$/);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('a custom pixel limit', async () => {
    const p = await save('ten.png', sharp({ create: { width: 10, height: 10, channels: 3, background: '#000' } }).png());
    await refuse(p, /ten\.png: image is 10×10 = 100 px, over the limit of 50 px$/, { maxPixels: 50 });
  });

  it('a truncated image', async () => {
    const full = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#123456' } }).png({ compressionLevel: 0 }).toBuffer();
    const p = join(dir, 'cut.png');
    writeFileSync(p, full.subarray(0, full.length >> 1));
    await refuse(p, /cut\.png: (cannot decode image|not an image sharp can read) \(.+\)$/);
  });
});

describe('writePng and tensor conversions', () => {
  it('writes float RGB clamped to [0, 1] and Uint8 as is', async () => {
    const p = join(dir, 'out.png');
    await writePng(p, { width: 2, height: 1, data: new Float32Array([-0.5, 0.5, 1.5, NaN, 0.2, 1]) });
    const back = await sharp(p).raw().toBuffer();
    expect([...back]).toEqual([0, 128, 255, 0, 51, 255]);
    await writePng(p, { width: 1, height: 1, data: new Uint8Array([7, 8, 9]) });
    expect([...(await sharp(p).raw().toBuffer())]).toEqual([7, 8, 9]);
    await expect(writePng(p, { width: 2, height: 2, data: new Uint8Array(3) })).rejects.toThrow(RangeError);
  });

  it('maps [0, 1] ↔ [-1, 1]', () => {
    const img = { width: 1, height: 2, data: new Float32Array([0, 0.25, 0.5, 0.75, 1, 0.1]) };
    const t = imageToTensorData(img);
    expect(Array.from(t)).toEqual([-1, -0.5, 0, 0.5, 1, Math.fround(Math.fround(0.1) * 2 - 1)]);
    const back = tensorDataToImage(t, 1, 2);
    Array.from(back.data).forEach((v, i) => expect(v).toBeCloseTo(img.data[i]!, 6));
    expect(() => tensorDataToImage(t, 2, 2)).toThrow(RangeError);
  });
});
