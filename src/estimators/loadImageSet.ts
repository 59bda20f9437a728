import type { DisfaDataset } from '../data/disfa.js';
import { fileError } from '../errors.js';
import { readImage } from '../io/image.js';
import { readJsonLines } from '../io/jsonLines.js';
import { LABELS_PER_IMAGE, type ImageSet } from './imageSet.js';

export interface LoadOptions {
  /** Keep every k-th frame (default 1: all). Neighbouring video frames are nearly identical. */
  every?: number;
  /** Called as images are decoded. */
  onProgress?: (done: number, total: number) => void;
  concurrency?: number;
  /** Only the first N frames of each subject (a longer sequence scored on a shorter one's frames). */
  maxFrames?: number;
}

/** Decodes image files into one 8-bit RGB block; all must share one square size. */
async function decodeAll(files: string[], opts: LoadOptions): Promise<{ size: number; pixels: Uint8Array }> {
  if (files.length === 0) return { size: 0, pixels: new Uint8Array(0) };
  // the first image fixes the size the others must have
  const first = await readImage(files[0]!);
  const size = first.width;
  const n = size * size * 3;
  const pixels = new Uint8Array(files.length * n);
  const put = (i: number, file: string, img: { width: number; height: number; data: Float32Array }) => {
    if (img.width !== img.height) throw fileError(file, `is ${img.width}×${img.height}; training images must be square`);
    if (img.width !== size) throw fileError(file, `is ${img.width}×${img.height}, the first frame is ${size}×${size}`);
    for (let k = 0; k < n; k++) pixels[i * n + k] = Math.round(img.data[k]! * 255);
  };
  put(0, files[0]!, first);
  let done = 1;
  let next = 1;
  const worker = async () => {
    for (let i = next++; i < files.length; i = next++) {
      put(i, files[i]!, await readImage(files[i]!));
      done += 1;
      if (done % 256 === 0 || done === files.length) opts.onProgress?.(done, files.length);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));
  return { size, pixels };
}

/** How many frames `imageSetFromDisfa` loads for these subjects (for progress bars). */
export function disfaFrameCount(ds: DisfaDataset, subjects: readonly string[], opts: Pick<LoadOptions, 'every' | 'maxFrames'> = {}): number {
  const every = Math.max(1, opts.every ?? 1);
  return subjects.reduce((n, id) => n + Math.ceil(Math.min(ds.subject(id).frames, opts.maxFrames ?? Infinity) / every), 0);
}

/** The frames `imageSetFromDisfa` loads, with their labels and subject index, without decoding any image. */
export function disfaFrames(ds: DisfaDataset, subjects: readonly string[], opts: Pick<LoadOptions, 'every' | 'maxFrames'> = {}): { files: string[]; labels: Float32Array; groups: Int32Array } {
  const every = Math.max(1, opts.every ?? 1);
  const files: string[] = [];
  const labels: number[] = [];
  const groups: number[] = [];
  subjects.forEach((id, g) => {
    const s = ds.subject(id);
    const last = Math.min(s.frames, opts.maxFrames ?? s.frames);
    for (let f = 1; f <= last; f += every) {
      files.push(ds.framePath(id, f));
      labels.push(...ds.label(id, f));
      groups.push(g);
    }
  });
  return { files, labels: Float32Array.from(labels), groups: Int32Array.from(groups) };
}

/** Frames and labels of the given subjects of a DISFA-layout data set, as one ImageSet. */
export async function imageSetFromDisfa(ds: DisfaDataset, subjects: readonly string[], opts: LoadOptions = {}): Promise<ImageSet> {
  const { files, labels, groups } = disfaFrames(ds, subjects, opts);
  const { size, pixels } = await decodeAll(files, opts);
  return { size, count: files.length, pixels, labels, groups, groupNames: [...subjects] };
}

export { LABELS_PER_IMAGE };

interface PoolLabel {
  file: string;
  identity: number;
  aus: number[];
}

/**
 * Images of a `synth pool` folder (images/{identity}/{k}.png listed in labels.jsonl), for the
 * identities in [from, to): groups are identities, labels their AU vectors.
 */
export async function imageSetFromPool(root: string, range: { from: number; to: number }, opts: LoadOptions = {}): Promise<ImageSet> {
  const { join } = await import('node:path');
  const labelsFile = join(root, 'labels.jsonl');
  const rows: PoolLabel[] = [];
  for (const { line, value } of await readJsonLines(labelsFile, 'a pool folder comes from `aueditnet synth pool`')) {
    const r = value as PoolLabel;
    if (typeof r.file !== 'string' || !Number.isInteger(r.identity) || !Array.isArray(r.aus) || r.aus.length !== LABELS_PER_IMAGE) {
      throw fileError(labelsFile, `line ${line} lacks file / identity / 12 aus`);
    }
    if (r.identity >= range.from && r.identity < range.to) rows.push(r);
  }
  if (rows.length === 0) throw fileError(labelsFile, `has no images of identities ${range.from}–${range.to - 1}`);
  const ids = [...new Set(rows.map((r) => r.identity))].sort((a, b) => a - b);
  const groupOf = new Map(ids.map((id, g) => [id, g]));
  const { size, pixels } = await decodeAll(rows.map((r) => join(root, r.file)), opts);
  return {
    size,
    count: rows.length,
    pixels,
    labels: Float32Array.from(rows.flatMap((r) => r.aus)),
    groups: Int32Array.from(rows.map((r) => groupOf.get(r.identity)!)),
    groupNames: ids.map((id) => `id${id}`),
  };
}
