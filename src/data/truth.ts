/**
 * SynthFACS truth files (`truth/SNxxx.jsonl`): the exact continuous AU intensities and nuisance of
 * every frame, from which the frame was rendered. The label files hold their rounded values.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileError } from '../errors.js';
import { describeFsError } from '../io/files.js';
import { AU_COUNT } from './aus.js';

export interface TruthFrame {
  frame: number;
  /** AU_ORDER, continuous. */
  aus: number[];
  /** The nuisance factors (see src/synth/nuisance.ts), or null for a set written without nuisance. */
  nuisance: Record<string, number> | null;
}

export function truthPath(root: string, subject: string): string {
  return join(root, 'truth', `${subject}.jsonl`);
}

export async function readTruth(root: string, subject: string): Promise<TruthFrame[]> {
  const file = truthPath(root, subject);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fileError(file, code === 'ENOENT' ? 'no such file (truth files exist only in SynthFACS data sets)' : describeFsError(err), err);
  }
  const out: TruthFrame[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (err) {
      throw fileError(file, `line ${i + 1}: not valid JSON (${(err as Error).message})`, err);
    }
    const r = row as Partial<TruthFrame>;
    if (typeof r.frame !== 'number' || r.frame !== out.length + 1) throw fileError(file, `line ${i + 1}: expected frame ${out.length + 1}`);
    if (!Array.isArray(r.aus) || r.aus.length !== AU_COUNT || !r.aus.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw fileError(file, `line ${i + 1}: "aus" must be ${AU_COUNT} numbers`);
    }
    out.push({ frame: r.frame, aus: r.aus, nuisance: (r.nuisance ?? null) as TruthFrame['nuisance'] });
  }
  return out;
}
