import { tf } from '../runtime/tf.js';

/**
 * Images held in memory as 8-bit RGB (a 27 × 600-frame DISFA-layout set at 64 px is 200 MB as
 * bytes, 800 MB as floats), with per-image labels and group ids (subject or identity). Batches
 * become [-1, 1] float tensors only when they are used.
 */
export interface ImageSet {
  size: number;
  count: number;
  /** count × size × size × 3 bytes, RGB, row-major. */
  pixels: Uint8Array;
  /** count × 12 AU intensities in AU_ORDER, when the set is labelled. */
  labels?: Float32Array;
  /** Group index per image: the subject (DISFA) or identity (pool). */
  groups: Int32Array;
  groupNames: string[];
}

export const LABELS_PER_IMAGE = 12;

export function batchImages(set: ImageSet, indices: readonly number[]): tf.Tensor4D {
  const n = set.size * set.size * 3;
  const out = new Float32Array(indices.length * n);
  indices.forEach((idx, b) => {
    const src = set.pixels.subarray(idx * n, idx * n + n);
    const o = b * n;
    for (let k = 0; k < n; k++) out[o + k] = src[k]! / 127.5 - 1;
  });
  return tf.tensor4d(out, [indices.length, set.size, set.size, 3]);
}

export function batchLabels(set: ImageSet, indices: readonly number[]): tf.Tensor2D {
  if (!set.labels) throw new Error('this image set has no AU labels');
  const out = new Float32Array(indices.length * LABELS_PER_IMAGE);
  indices.forEach((idx, b) => out.set(set.labels!.subarray(idx * LABELS_PER_IMAGE, (idx + 1) * LABELS_PER_IMAGE), b * LABELS_PER_IMAGE));
  return tf.tensor2d(out, [indices.length, LABELS_PER_IMAGE]);
}

/** Image indices per group, for same-subject pair sampling. */
export function indicesByGroup(set: ImageSet): number[][] {
  const by: number[][] = set.groupNames.map(() => []);
  for (let i = 0; i < set.count; i++) by[set.groups[i]!]!.push(i);
  return by;
}

/** Keeps only the images of the named groups (e.g. the training subjects of a fold). */
export function subsetByGroups(set: ImageSet, names: readonly string[]): ImageSet {
  const keep = new Set(names.map((n) => set.groupNames.indexOf(n)).filter((i) => i >= 0));
  const idx: number[] = [];
  for (let i = 0; i < set.count; i++) if (keep.has(set.groups[i]!)) idx.push(i);
  const n = set.size * set.size * 3;
  const pixels = new Uint8Array(idx.length * n);
  const labels = set.labels ? new Float32Array(idx.length * LABELS_PER_IMAGE) : undefined;
  const groups = new Int32Array(idx.length);
  idx.forEach((i, k) => {
    pixels.set(set.pixels.subarray(i * n, i * n + n), k * n);
    labels?.set(set.labels!.subarray(i * LABELS_PER_IMAGE, (i + 1) * LABELS_PER_IMAGE), k * LABELS_PER_IMAGE);
    groups[k] = set.groups[i]!;
  });
  return { size: set.size, count: idx.length, pixels, labels, groups, groupNames: set.groupNames };
}

/**
 * One set holding the images of several (e.g. a spontaneous and a posed-style data set of the same
 * subjects); groups of the same name are merged, so a subject stays one group.
 */
export function concatImageSets(sets: readonly ImageSet[]): ImageSet {
  if (sets.length === 0) throw new Error('concatImageSets: no sets');
  const size = sets[0]!.size;
  const labelled = sets[0]!.labels !== undefined;
  for (const s of sets) {
    if (s.size !== size) throw new Error(`concatImageSets: image sizes differ (${size} and ${s.size} px)`);
    if ((s.labels !== undefined) !== labelled) throw new Error('concatImageSets: some sets have AU labels and some do not');
  }
  const count = sets.reduce((n, s) => n + s.count, 0);
  const n = size * size * 3;
  const pixels = new Uint8Array(count * n);
  const labels = labelled ? new Float32Array(count * LABELS_PER_IMAGE) : undefined;
  const groups = new Int32Array(count);
  const groupNames: string[] = [];
  let at = 0;
  for (const s of sets) {
    const map = s.groupNames.map((name) => {
      const i = groupNames.indexOf(name);
      return i >= 0 ? i : groupNames.push(name) - 1;
    });
    pixels.set(s.pixels.subarray(0, s.count * n), at * n);
    labels?.set(s.labels!.subarray(0, s.count * LABELS_PER_IMAGE), at * LABELS_PER_IMAGE);
    for (let i = 0; i < s.count; i++) groups[at + i] = map[s.groups[i]!]!;
    at += s.count;
  }
  return { size, count, pixels, labels, groups, groupNames };
}
