import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileError } from '../errors.js';
import { readJsonLines } from '../io/jsonLines.js';

/** One line of a `synth pool` folder's identities.jsonl. */
export interface PoolIdentity {
  index: number;
  seed: number;
  identity: Record<string, unknown>;
}

export async function readPoolIdentities(root: string): Promise<PoolIdentity[]> {
  const file = join(root, 'identities.jsonl');
  const out: PoolIdentity[] = [];
  for (const { line, value } of await readJsonLines(file, 'a pool folder comes from `aueditnet synth pool`')) {
    const r = value as PoolIdentity;
    if (!Number.isInteger(r.index) || typeof r.seed !== 'number' || typeof r.identity !== 'object' || r.identity === null) {
      throw fileError(file, `line ${line} lacks index / seed / identity`);
    }
    if (r.index !== out.length) throw fileError(file, `line ${line} has index ${r.index}, expected ${out.length}`);
    out.push(r);
  }
  if (out.length === 0) throw fileError(file, 'lists no identities');
  return out;
}

/** JSON with sorted keys, so that two identities compare by value whatever their key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * The first pool identity that is one of a SynthFACS DISFA-layout set's subjects (same identity
 * seed or same face parameters), or null. A real DISFA set has no manifest: its people are not
 * SynthFACS faces, so nothing can clash.
 */
export function poolOverlap(pool: readonly PoolIdentity[], disfaManifest: Readonly<Record<string, unknown>> | null): { index: number; subject: string } | null {
  const subjects = (disfaManifest?.['subjects'] ?? []) as Array<{ id?: unknown; identitySeed?: unknown; identity?: unknown }>;
  if (!Array.isArray(subjects) || subjects.length === 0) return null;
  const bySeed = new Map<number, string>();
  const byFace = new Map<string, string>();
  for (const s of subjects) {
    const id = String(s.id);
    if (typeof s.identitySeed === 'number') bySeed.set(s.identitySeed, id);
    if (s.identity && typeof s.identity === 'object') byFace.set(canonical(s.identity), id);
  }
  for (const p of pool) {
    const hit = bySeed.get(p.seed) ?? byFace.get(canonical(p.identity));
    if (hit !== undefined) return { index: p.index, subject: hit };
  }
  return null;
}

export type PoolManifest = Record<string, unknown> & { identities: number; perIdentity: number };

/** A pool folder's manifest.json, with the counts loaders and progress bars need. */
export async function readPoolManifest(root: string): Promise<PoolManifest> {
  const file = join(root, 'manifest.json');
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    throw fileError(file, 'missing or not JSON; a pool folder comes from `aueditnet synth pool`');
  }
  if (m['kind'] !== 'pool' || !Number.isInteger(m['identities']) || !Number.isInteger(m['perIdentity'])) {
    throw fileError(file, 'is not a `synth pool` manifest (kind "pool", integer identities and perIdentity)');
  }
  return m as PoolManifest;
}
