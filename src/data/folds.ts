/**
 * DISFA subjects and the standard 3-fold subject split (DESIGN §5, the split of the AU-intensity
 * literature the paper follows): train on two parts (18 subjects), test on the third (9).
 */
import { UserError } from '../errors.js';

export const DISFA_PARTS: readonly (readonly number[])[] = [
  [2, 10, 1, 26, 27, 32, 30, 9, 16],
  [13, 18, 11, 28, 12, 6, 31, 21, 24],
  [3, 29, 23, 25, 8, 5, 7, 17, 4],
];

export function subjectId(n: number): string {
  return `SN${String(n).padStart(3, '0')}`;
}

/** The 27 DISFA subject ids, SN001–SN032 without SN014, SN015, SN019, SN020 and SN022, sorted. */
export const DISFA_SUBJECTS: readonly string[] = DISFA_PARTS.flat()
  .sort((a, b) => a - b)
  .map(subjectId);

export interface FoldSplit {
  fold: 1 | 2 | 3;
  train: string[];
  test: string[];
}

/** Fold k tests on part k and trains on the other two. */
export function disfaFold(fold: number): FoldSplit {
  if (fold !== 1 && fold !== 2 && fold !== 3) throw new UserError(`DISFA fold must be 1, 2 or 3, got ${fold}`);
  const test = DISFA_PARTS[fold - 1]!.map(subjectId);
  const train = DISFA_PARTS.filter((_, i) => i !== fold - 1)
    .flat()
    .map(subjectId);
  return { fold, train, test };
}

/**
 * Parses a subject list as users write it: "all", or ids separated by commas ("SN001,SN002", also
 * "1,2" or "sn001"). Unknown ids are an error naming them.
 */
export function parseSubjects(text: string, known: readonly string[] = DISFA_SUBJECTS): string[] {
  const t = text.trim();
  if (t === '' || t.toLowerCase() === 'all') return [...known];
  const out: string[] = [];
  for (const part of t.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const m = /^(?:sn)?0*(\d{1,3})$/i.exec(p);
    const id = m ? subjectId(Number(m[1])) : p.toUpperCase();
    if (!known.includes(id)) throw new UserError(`unknown subject "${p}": DISFA subjects are ${known[0]}–${known[known.length - 1]} without ${missing(known).join(', ')}`);
    if (!out.includes(id)) out.push(id);
  }
  if (out.length === 0) throw new UserError(`no subjects in "${text}"`);
  return out;
}

function missing(known: readonly string[]): string[] {
  const nums = known.map((s) => Number(s.slice(2)));
  const out: string[] = [];
  for (let n = Math.min(...nums); n <= Math.max(...nums); n++) if (!nums.includes(n)) out.push(subjectId(n));
  return out;
}
