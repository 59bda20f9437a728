/**
 * Latent cache: the W+ of every (every-k-th) frame of some DISFA-layout subjects, encoded once by
 * a frozen encoder (E never trains while the editor or the linear baseline does, DESIGN §3), with
 * the frame's 12 AU labels, its subject and frame number.
 *
 * Frames are decoded batch by batch (never the whole set at once) and turned into encoder input the
 * way e4e does (`encoderInput`: Pillow-bilinear resize to the encoder's size when it differs, then
 * [-1, 1]). All L rows of W+ are kept, float32, row-major count × L × D.
 *
 * On disk: one safetensors file (latents [count, L, D], labels [count, 12], subject_of, frame_of)
 * whose metadata holds the subjects and a `key` — what the cache was made from (encoder sha256,
 * data hash, every, subjects). `loadLatentCache` returns null when the file is missing or its key
 * differs, so callers rebuild instead of using latents of another encoder or data set.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileError } from '../errors.js';
import { encoderInput } from '../gan/preprocess.js';
import type { Encoder } from '../gan/encoder.js';
import { readImage } from '../io/image.js';
import { SafetensorsFile, writeSafetensors } from '../io/safetensors.js';
import { tf } from '../runtime/tf.js';
import { AU_COUNT } from './aus.js';
import { openDisfa, type DisfaDataset } from './disfa.js';

export interface LatentCache {
  subjects: string[];
  L: number;
  D: number;
  count: number;
  /** count × L × D */
  latents: Float32Array;
  /** count × 12, AU_ORDER */
  labels: Float32Array;
  /** index into `subjects` per row */
  subjectOf: Int32Array;
  /** 1-based frame number per row */
  frameOf: Int32Array;
}

export interface BuildLatentCacheOptions {
  /** DISFA-layout folder, or one already opened. */
  data: string | DisfaDataset;
  subjects: string[];
  encoder: Encoder;
  /** Keep every k-th frame (frames 1, 1 + k, …); default 1. */
  every?: number;
  /** Images per encoder call (default 32). */
  batch?: number;
  onProgress?: (done: number, total: number) => void;
}

const FORMAT = 'aueditnet-latent-cache';

/** The frames a cache of these subjects holds, in row order. */
function frameList(ds: DisfaDataset, subjects: readonly string[], every: number): { subject: number; frame: number }[] {
  const rows: { subject: number; frame: number }[] = [];
  subjects.forEach((id, s) => {
    const n = ds.subject(id).frames;
    for (let f = 1; f <= n; f += every) rows.push({ subject: s, frame: f });
  });
  return rows;
}

export async function buildLatentCache(o: BuildLatentCacheOptions): Promise<LatentCache> {
  const every = o.every ?? 1;
  const batch = o.batch ?? 32;
  if (!Number.isInteger(every) || every < 1) throw new RangeError(`every must be a positive integer, got ${every}`);
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, got ${batch}`);
  const ds = typeof o.data === 'string' ? await openDisfa(o.data, { subjects: o.subjects }) : o.data;
  const { styleCount: L, styleDim: D, inputSize: S } = o.encoder.config;
  const rows = frameList(ds, o.subjects, every);
  const count = rows.length;
  const latents = new Float32Array(count * L * D);
  const labels = new Float32Array(count * AU_COUNT);
  const subjectOf = new Int32Array(count);
  const frameOf = new Int32Array(count);
  rows.forEach((r, i) => {
    subjectOf[i] = r.subject;
    frameOf[i] = r.frame;
    labels.set(ds.label(o.subjects[r.subject]!, r.frame), i * AU_COUNT);
  });
  const px = S * S * 3;
  o.onProgress?.(0, count);
  for (let start = 0; start < count; start += batch) {
    const part = rows.slice(start, start + batch);
    const input = new Float32Array(part.length * px);
    await Promise.all(
      part.map(async (r, b) => {
        const file = ds.framePath(o.subjects[r.subject]!, r.frame);
        const img = await readImage(file);
        if (img.width !== img.height) throw fileError(file, `is ${img.width}×${img.height}; frames must be square (aligned face crops)`);
        input.set(encoderInput(img, S), b * px);
      }),
    );
    const x = tf.tensor4d(input, [part.length, S, S, 3]);
    try {
      const w = o.encoder.encode(x);
      try {
        latents.set(await w.data<'float32'>(), start * L * D);
      } finally {
        w.dispose();
      }
    } finally {
      x.dispose();
    }
    o.onProgress?.(start + part.length, count);
  }
  return { subjects: [...o.subjects], L, D, count, latents, labels, subjectOf, frameOf };
}

/**
 * A hash of what the cache depends on in the data set: the manifest (SynthFACS) and the labels and
 * frame counts of the subjects (frame pixels are not read; a set rewritten with the same manifest
 * and labels but other frames would need `--force`-style removal of the cache).
 */
export function disfaDataHash(ds: DisfaDataset, subjects: readonly string[]): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(ds.manifest ?? null));
  for (const id of subjects) {
    const s = ds.subject(id);
    h.update(`${id}:${s.frames}:`);
    h.update(s.labels);
  }
  return h.digest('hex');
}

function keyText(key: Record<string, string>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(key).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

export async function saveLatentCache(file: string, c: LatentCache, key: Record<string, string>): Promise<void> {
  await writeSafetensors(
    file,
    {
      latents: { dtype: 'float32', shape: [c.count, c.L, c.D], data: c.latents },
      labels: { dtype: 'float32', shape: [c.count, AU_COUNT], data: c.labels },
      subject_of: { dtype: 'int32', shape: [c.count], data: c.subjectOf },
      frame_of: { dtype: 'int32', shape: [c.count], data: c.frameOf },
    },
    { format: FORMAT, subjects: JSON.stringify(c.subjects), key: keyText(key) },
  );
}

/** The cache in `file`, or null when there is none or it was made from something else than `key` says. */
export function loadLatentCache(file: string, key: Record<string, string>): LatentCache | null {
  if (!existsSync(file)) return null;
  const f = SafetensorsFile.open(file);
  try {
    if (f.metadata['format'] !== FORMAT) throw fileError(file, 'is not a latent cache of aueditnet; remove it or choose another output folder');
    if (f.metadata['key'] !== keyText(key)) return null;
    const subjects = JSON.parse(f.metadata['subjects'] ?? '[]') as string[];
    const lat = f.get('latents');
    const lab = f.get('labels');
    const sub = f.get('subject_of');
    const fr = f.get('frame_of');
    const [count, L, D] = lat.shape as [number, number, number];
    const ok =
      lat.shape.length === 3 && lat.data instanceof Float32Array && lab.data instanceof Float32Array && sub.data instanceof Int32Array && fr.data instanceof Int32Array &&
      lab.shape[0] === count && lab.shape[1] === AU_COUNT && sub.shape[0] === count && fr.shape[0] === count;
    if (!ok) throw fileError(file, 'latent cache tensors have unexpected shapes or dtypes; remove the file to rebuild it');
    return { subjects, L, D, count, latents: lat.data as Float32Array, labels: lab.data as Float32Array, subjectOf: sub.data as Int32Array, frameOf: fr.data as Int32Array };
  } finally {
    f.close();
  }
}

/** Rows `idx` of the cache as a [B, L, D] tensor (the caller disposes it). */
export function latentsOf(c: LatentCache, idx: readonly number[]): tf.Tensor3D {
  const n = c.L * c.D;
  const out = new Float32Array(idx.length * n);
  idx.forEach((i, b) => {
    if (!Number.isInteger(i) || i < 0 || i >= c.count) throw new RangeError(`latent cache has rows 0–${c.count - 1}, not ${i}`);
    out.set(c.latents.subarray(i * n, (i + 1) * n), b * n);
  });
  return tf.tensor3d(out, [idx.length, c.L, c.D]);
}
