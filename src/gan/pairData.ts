/**
 * A `synth pool` folder as training data for the pair: the images (via the estimators' image
 * set, 8-bit in memory) and, row for row, the standardised render code of each image
 * (synthCode.ts) built from identities.jsonl and the nuisance in labels.jsonl.
 */
import { join } from 'node:path';
import { fileError } from '../errors.js';
import { readJsonLines } from '../io/jsonLines.js';
import { imageSetFromPool, type LoadOptions } from '../estimators/loadImageSet.js';
import type { ImageSet } from '../estimators/imageSet.js';
import { asIdentity, type Identity } from '../synth/identity.js';
import { asNuisance, type Nuisance } from '../synth/nuisance.js';
import { SYNTH_CODE_DIM, synthCode } from './synthCode.js';

export interface PairData {
  images: ImageSet;
  /** images.count × SYNTH_CODE_DIM. */
  codes: Float32Array;
  /** Pool identity index per image. */
  identities: Int32Array;
}

const jsonLines = async (file: string, hint: string): Promise<unknown[]> => (await readJsonLines(file, hint)).map((l) => l.value);

/** Number of identities in a pool folder (from identities.jsonl). */
export async function poolIdentityCount(root: string): Promise<number> {
  return (await jsonLines(join(root, 'identities.jsonl'), 'a pool folder comes from `aueditnet synth pool`')).length;
}

/** Images and codes of the pool identities in [from, to). */
export async function loadPairData(root: string, range: { from: number; to: number }, opts: LoadOptions = {}): Promise<PairData> {
  const hint = 'a pool folder comes from `aueditnet synth pool`';
  const idFile = join(root, 'identities.jsonl');
  const identities = new Map<number, Identity>();
  for (const r of await jsonLines(idFile, hint)) {
    const row = r as { index?: unknown; identity?: unknown };
    if (!Number.isInteger(row.index)) throw fileError(idFile, 'a row lacks its integer "index"');
    try {
      identities.set(row.index as number, asIdentity(row.identity));
    } catch (err) {
      throw fileError(idFile, `identity ${String(row.index)}: ${(err as Error).message}`);
    }
  }
  const labelsFile = join(root, 'labels.jsonl');
  const rows = (await jsonLines(labelsFile, hint)) as { file: string; identity: number; aus: number[]; nuisance: unknown }[];
  // the same rows, in the same order, as imageSetFromPool keeps
  const kept = rows.filter((r) => r.identity >= range.from && r.identity < range.to);
  const images = await imageSetFromPool(root, range, opts);
  if (kept.length !== images.count) throw fileError(labelsFile, `has ${kept.length} rows for identities ${range.from}–${range.to - 1} but ${images.count} images were read`);
  const codes = new Float32Array(kept.length * SYNTH_CODE_DIM);
  kept.forEach((r, i) => {
    const id = identities.get(r.identity);
    if (!id) throw fileError(idFile, `has no identity ${r.identity} (used by ${r.file})`);
    let nuisance: Nuisance | null = null;
    if (r.nuisance !== null && r.nuisance !== undefined) {
      try {
        nuisance = asNuisance(r.nuisance);
      } catch (err) {
        throw fileError(labelsFile, `${r.file}: ${(err as Error).message}`);
      }
    }
    codes.set(synthCode(id, r.aus, nuisance), i * SYNTH_CODE_DIM);
  });
  return { images, codes, identities: Int32Array.from(kept.map((r) => r.identity)) };
}
