import type { DisfaDataset } from '../data/disfa.js';
import { fileError } from '../errors.js';
import { readImage } from '../io/image.js';
import { LABELS_PER_IMAGE, type ImageSet } from './imageSet.js';

export interface LoadOptions {
  /** Keep every k-th frame (default 1: all). Neighbouring video frames are nearly identical. */
  every?: number;
  /** Called as images are decoded. */
  onProgress?: (done: number, total: number) => void;
  concurrency?: number;
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

/** Frames and labels of the given subjects of a DISFA-layout data set, as one ImageSet. */
export async function imageSetFromDisfa(ds: DisfaDataset, subjects: readonly string[], opts: LoadOptions = {}): Promise<ImageSet> {
  const every = Math.max(1, opts.every ?? 1);
  const files: string[] = [];
  const labels: number[] = [];
  const groups: number[] = [];
  subjects.forEach((id, g) => {
    const s = ds.subject(id);
    for (let f = 1; f <= s.frames; f += every) {
      files.push(ds.framePath(id, f));
      labels.push(...ds.label(id, f));
      groups.push(g);
    }
  });
  const { size, pixels } = await decodeAll(files, opts);
  return {
    size,
    count: files.length,
    pixels,
    labels: Float32Array.from(labels),
    groups: Int32Array.from(groups),
    groupNames: [...subjects],
  };
}

export { LABELS_PER_IMAGE };
