/** What the SynthFACS data set writers share: output folder checks, manifest fields, JSON lines. */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { AU_ORDER } from '../data/aus.js';
import { fileError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { IDENTITY_FACTORS } from './identity.js';
import { NUISANCE_RANGES } from './nuisance.js';
import { RENDERER_VERSION } from './render.js';

/** Layout version of the files a writer produces (bumped when a reader would need to change). */
export const DATASET_FORMAT_VERSION = 1;

/**
 * Makes sure `out` can receive a new data set: created if missing; an existing non-empty folder is
 * refused unless `force`, so a typo cannot mix two data sets.
 */
export function prepareOutput(out: string, force: boolean): void {
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw fileError(out, 'exists and is not a folder');
    const entries = readdirSync(out).filter((e) => !e.startsWith('.'));
    if (entries.length > 0 && !force) throw fileError(out, 'is not empty; choose a new folder or pass --force to write over it');
  }
  try {
    mkdirSync(out, { recursive: true });
  } catch (err) {
    throw fileError(out, `cannot create the folder (${(err as Error).message})`, err);
  }
}

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

export function factorRanges(): Record<string, unknown> {
  return {
    identity: Object.fromEntries(IDENTITY_FACTORS.map((f) => [f.name, { min: f.min, max: f.max, dist: f.dist, doc: f.doc }])),
    nuisance: Object.fromEntries(Object.entries(NUISANCE_RANGES).map(([k, [min, max]]) => [k, { min, max }])),
  };
}

export function generatorInfo(version?: string): Record<string, unknown> {
  return { name: 'SynthFACS', rendererVersion: RENDERER_VERSION, formatVersion: DATASET_FORMAT_VERSION, ...(version ? { aueditnet: version } : {}) };
}

export const AU_ORDER_LIST: number[] = [...AU_ORDER];

export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

export async function writeJsonLines(path: string, rows: Iterable<unknown>): Promise<void> {
  let text = '';
  for (const r of rows) text += JSON.stringify(r) + '\n';
  await writeFileAtomic(path, text);
}

