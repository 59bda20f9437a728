/**
 * What the latent-space trainers share: the subjects of a fold that a data set holds (with a note
 * when some are missing), and W+ latents of those subjects encoded once and cached in the output
 * folder, reused while the encoder file, the data, --every and the subjects are unchanged.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { DisfaDataset } from '../data/disfa.js';
import type { FoldSplit } from '../data/folds.js';
import { buildLatentCache, disfaDataHash, loadLatentCache, saveLatentCache, type LatentCache } from '../data/latentCache.js';
import { fileError } from '../errors.js';
import { sha256File } from '../gan/checkpoint.js';
import type { Encoder } from '../gan/encoder.js';
import { progress } from './progress.js';

export function requireDir(path: string, what: string): void {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw fileError(path, `no such directory (${what})`);
  if (!st.isDirectory()) throw fileError(path, `is not a directory (${what})`);
}

/** The fold's subjects present in the data set; training subjects are required, test subjects too with `needTest`. */
export function foldSubjects(ds: DisfaDataset, fold: FoldSplit, dataDir: string, needTest = false): { train: string[]; test: string[] } {
  const present = new Set(ds.subjects.map((s) => s.id));
  const train = fold.train.filter((s) => present.has(s));
  const test = fold.test.filter((s) => present.has(s));
  if (train.length === 0) throw fileError(dataDir, `holds none of fold ${fold.fold}'s training subjects (${fold.train.join(' ')})`);
  if (needTest && test.length === 0) throw fileError(dataDir, `holds none of fold ${fold.fold}'s test subjects (${fold.test.join(' ')})`);
  const missing = fold.train.length - train.length + fold.test.length - test.length;
  if (missing > 0) process.stderr.write(`note: ${missing} subjects of fold ${fold.fold} are not in ${dataDir}; using ${train.length} training and ${test.length} test subjects\n`);
  return { train, test };
}

export async function cachedLatents(o: {
  ds: DisfaDataset;
  subjects: string[];
  encoder: Encoder;
  encoderFile: string;
  outDir: string;
  what: string;
  every: number;
  batch?: number;
  quiet?: boolean;
}): Promise<LatentCache> {
  const file = join(o.outDir, `latents-${o.what}.safetensors`);
  const key = { encoder: await sha256File(o.encoderFile), data: disfaDataHash(o.ds, o.subjects), every: String(o.every), subjects: o.subjects.join(',') };
  const hit = loadLatentCache(file, key);
  if (hit) {
    if (!o.quiet) process.stderr.write(`using ${hit.count} cached ${o.what} latents from ${file}\n`);
    return hit;
  }
  const total = o.subjects.reduce((n, id) => n + Math.ceil(o.ds.subject(id).frames / o.every), 0);
  const bar = progress(`encoding ${o.what} frames`, total, { quiet: o.quiet });
  const c = await buildLatentCache({ data: o.ds, subjects: o.subjects, encoder: o.encoder, every: o.every, batch: o.batch, onProgress: (done) => bar.update(done) });
  bar.stop();
  await saveLatentCache(file, c, key);
  return c;
}
