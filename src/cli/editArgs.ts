/** Argument parsing shared by `edit`, `neutral` and `transfer`. */
import { existsSync } from 'node:fs';
import { AU_ORDER } from '../data/aus.js';
import { loadEditor, type LoadedEditor } from '../editor/api.js';
import { fileError, UserError } from '../errors.js';

/** `--au 12=3` (repeatable) → { AU12: 3 }; the API validates the AU and the value. */
export function collectAu(value: string, previous: Record<string, number> = {}): Record<string, number> {
  const m = /^\s*(?:au)?(\d+)\s*=\s*(.+)$/i.exec(value);
  if (!m) throw new UserError(`--au ${value}: expected AU=intensity, e.g. --au 12=3 (AUs: ${AU_ORDER.join(' ')})`);
  const v = Number(m[2]);
  if (!Number.isFinite(v)) throw new UserError(`--au ${value}: intensity must be a finite number`);
  const key = `AU${m[1]}`;
  if (key in previous) throw new UserError(`--au: AU${m[1]} is given twice`);
  return { ...previous, [key]: v };
}

export async function openEditor(model: string | undefined): Promise<LoadedEditor> {
  if (model && !existsSync(model)) throw fileError(model, 'no such folder (an editor folder holds editor.json and editor.safetensors)');
  return loadEditor(model);
}

export function requireImage(file: string, what: string): string {
  if (!existsSync(file)) throw fileError(file, `no such file (${what})`);
  return file;
}

/** "AU1 0.12  AU2 …" rows of source → target for a terminal. */
export function intensityTable(source: Record<string, number>, target: Record<string, number>): string {
  const head = AU_ORDER.map((a) => `AU${a}`.padStart(6)).join('');
  const row = (v: Record<string, number>) => AU_ORDER.map((a) => v[`AU${a}`]!.toFixed(2).padStart(6)).join('');
  return `        ${head}\nsource  ${row(source)}\ntarget  ${row(target)}\n`;
}
