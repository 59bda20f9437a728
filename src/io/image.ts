/**
 * Image files in and out, through sharp (libvips). The models see images as float RGB; this module
 * is the only place that deals with bit depths, colour spaces, alpha, EXIF orientation and hostile
 * files (decompression bombs).
 */
import { readFile } from 'node:fs/promises';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { fileError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { describeFsError } from './files.js';

/** RGB, height × width × 3 (HWC, row-major), values in [0, 1]. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

export interface ReadImageOptions {
  /** Refuse images with more pixels than this (default 8192 × 8192). Checked from the header, before decoding. */
  maxPixels?: number;
  /** Name used in messages when reading from a buffer. */
  label?: string;
}

export const DEFAULT_MAX_PIXELS = 8192 * 8192;

function mpx(pixels: number): string {
  if (pixels < 1e5) return `${pixels} px`;
  const m = pixels / 1e6;
  return `${m >= 100 ? Math.round(m) : Number(m.toPrecision(3))} Mpx`;
}

function sharpMessage(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
}

/**
 * Reads PNG/JPEG/WebP/TIFF/GIF/AVIF (whatever sharp decodes) as float RGB in [0, 1].
 *
 * - 16-bit (and float) sources are decoded at 16 bits, so no precision is lost to an 8-bit step.
 * - Grey, grey+alpha, CMYK (via sharp's CMYK→sRGB profile) and palette images become RGB.
 * - Alpha is composited onto black, i.e. colour × alpha. The colour stored under transparent pixels
 *   is arbitrary (editors leave anything there) and must not leak into the face crop; black rather
 *   than white because it is the premultiplied value, the neutral "no light" result that needs no
 *   background choice, and alpha-matted face crops conventionally sit on black.
 * - The EXIF orientation is applied, so a phone photo is upright as a viewer shows it.
 * - The pixel count is checked from the header against `maxPixels` before anything is decoded:
 *   a 100-byte PNG can claim 30000 × 30000 and would need 2.7 GB of RGB.
 */
export async function readImage(input: string | Uint8Array, options: ReadImageOptions = {}): Promise<RgbImage> {
  const label = typeof input === 'string' ? input : (options.label ?? '<image buffer>');
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  let bytes: Uint8Array;
  if (typeof input === 'string') {
    // read the bytes ourselves rather than hand sharp the path: libvips caches decoded files by
    // name, so an image rewritten in place could come back stale
    try {
      bytes = await readFile(input);
    } catch (err) {
      throw fileError(label, (err as NodeJS.ErrnoException).code === 'EISDIR' ? 'is a directory, not an image' : describeFsError(err), err);
    }
  } else bytes = input;

  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw fileError(label, `not an image sharp can read (${sharpMessage(err)})`, err);
  }
  const { width, height } = meta;
  if (!width || !height) throw fileError(label, 'not an image sharp can read (no dimensions in its header)');
  if (width * height > maxPixels) {
    const side = Math.sqrt(maxPixels);
    const limit = Number.isInteger(side) ? `${mpx(maxPixels)} (${side}×${side})` : mpx(maxPixels);
    throw fileError(label, `image is ${width}×${height} = ${mpx(width * height)}, over the limit of ${limit}`);
  }

  const deep = meta.depth !== 'uchar' && meta.depth !== 'char';
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' })
      .rotate() // no angle: apply the EXIF orientation, then drop the tag
      .toColourspace(deep ? 'rgb16' : 'srgb')
      .raw({ depth: deep ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw fileError(label, `cannot decode image (${sharpMessage(err)})`, err);
  }
  return toRgbFloat(raw.data, raw.info, deep);
}

function toRgbFloat(buf: Buffer, info: OutputInfo, deep: boolean): RgbImage {
  const { width, height, channels } = info;
  const n = width * height;
  const src = deep ? new Uint16Array(buf.buffer, buf.byteOffset, buf.byteLength / 2) : buf;
  if (src.length !== n * channels) throw new Error(`sharp returned ${src.length} samples for ${width}×${height}×${channels}`);
  const scale = 1 / (deep ? 65535 : 255);
  const out = new Float32Array(n * 3);
  // grey (+alpha) replicates into RGB; the alpha channel, when present, is always the last one
  const hasAlpha = channels === 2 || channels === 4;
  const colour = hasAlpha ? channels - 1 : channels;
  for (let p = 0; p < n; p++) {
    const s = p * channels;
    const a = hasAlpha ? src[s + channels - 1]! * scale : 1;
    for (let c = 0; c < 3; c++) out[p * 3 + c] = src[s + (colour === 1 ? 0 : c)]! * scale * a;
  }
  return { width, height, data: out };
}

/**
 * Writes an 8-bit PNG atomically. Float data is taken as [0, 1] (clamped, NaN → 0); Uint8Array
 * data is written as is. `channels` defaults to 3 (RGB, HWC).
 */
export async function writePng(
  path: string,
  image: { width: number; height: number; data: Float32Array | Uint8Array; channels?: 1 | 2 | 3 | 4 },
): Promise<void> {
  const { width, height, data } = image;
  const channels = image.channels ?? 3;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`invalid image size ${width}×${height}`);
  }
  if (data.length !== width * height * channels) {
    throw new RangeError(`image ${width}×${height}×${channels} needs ${width * height * channels} values but data has ${data.length}`);
  }
  let bytes: Uint8Array;
  if (data instanceof Uint8Array) bytes = data;
  else {
    bytes = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      bytes[i] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0; // NaN fails `v > 0` → 0
    }
  }
  const png = await sharp(bytes, { raw: { width, height, channels } }).png().toBuffer();
  await writeFileAtomic(path, png);
}

/** [0, 1] HWC RGB → the models' input convention: NHWC (N = 1) float32 in [-1, 1]. */
export function imageToTensorData(image: RgbImage): Float32Array {
  const out = new Float32Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = image.data[i]! * 2 - 1;
  return out;
}

/** The inverse of imageToTensorData; values outside [-1, 1] are kept (writePng clamps). */
export function tensorDataToImage(data: Float32Array, width: number, height: number): RgbImage {
  if (data.length !== width * height * 3) {
    throw new RangeError(`tensor data of ${data.length} values is not a ${width}×${height} RGB image`);
  }
  const out = new Float32Array(data.length);
  for (let i = 0; i < out.length; i++) out[i] = (data[i]! + 1) / 2;
  return { width, height, data: out };
}
