/**
 * A trained editor on disk: `editor.safetensors` (PyTorch-style names: phi_enc.{m}.fc1.weight …,
 * T, psi_enc.w1 …) and `editor.json` (config, the pair it was trained on, training record,
 * metrics). Loading builds the model from the JSON config and loads the weights strictly.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import { AUEditNet } from './auEditNet.js';
import { resolveEditorConfig, type EditorConfig } from './config.js';

export const EDITOR_FILE = 'editor.safetensors';
export const EDITOR_JSON = 'editor.json';

export interface EditorMeta {
  format: 'aueditnet-editor';
  version: 1;
  config: EditorConfig;
  /** W+ rows of the generator it was trained with. */
  rows: number;
  /** Where the pair came from, relative to the editor folder when it lies inside it (the default model has everything in one folder). */
  pair: string;
  training?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  created: string;
}

/**
 * Weights are stored in float16: the paper-sized editor (12 M parameters) is 48 MB in float32, over
 * the repository's 30 MB file limit, and half precision moves its edits by far less than the model's
 * own error (test/editor/editorFiles.test.ts measures it). Training checkpoints stay float32.
 */
export async function saveEditor(dir: string, ed: AUEditNet, meta: Omit<EditorMeta, 'format' | 'version' | 'config' | 'created'>): Promise<void> {
  const half = Object.fromEntries(
    Object.entries(ed.params.toTorch()).map(([k, t]) => [
      k,
      {
        dtype: 'float16' as const,
        shape: t.shape,
        data: () => {
          const d = t.data();
          for (const v of d) if (!(Math.abs(v) <= 65504)) throw new Error(`editor parameter ${k} holds ${v}, which float16 cannot store`);
          return d;
        },
      },
    ]),
  );
  await writeSafetensors(path.join(dir, EDITOR_FILE), half, { format: 'aueditnet-editor' });
  const full: EditorMeta = { format: 'aueditnet-editor', version: 1, config: ed.config, created: new Date().toISOString(), ...meta };
  await writeFileAtomic(path.join(dir, EDITOR_JSON), `${JSON.stringify(full, null, 2)}\n`);
}

export function readEditorMeta(dir: string): EditorMeta {
  const json = path.join(dir, EDITOR_JSON);
  let meta: EditorMeta;
  try {
    meta = JSON.parse(readFileSync(json, 'utf8')) as EditorMeta;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fileError(json, code === 'ENOENT' ? 'no such file (an editor folder holds editor.json and editor.safetensors)' : `not valid JSON (${(err as Error).message})`);
  }
  if (meta.format !== 'aueditnet-editor') throw fileError(json, `is not an editor description (format ${JSON.stringify(meta.format)})`);
  if (!Number.isInteger(meta.rows) || meta.rows < 1) throw fileError(json, 'lacks the W+ row count "rows"');
  meta.config = resolveEditorConfig(meta.config as unknown as Record<string, unknown>, json);
  return meta;
}

export function loadEditorNet(dir: string): { editor: AUEditNet; meta: EditorMeta } {
  const meta = readEditorMeta(dir);
  const ed = new AUEditNet(meta.config).build(meta.rows);
  const file = path.join(dir, EDITOR_FILE);
  ed.params.loadTorch(file, readSafetensors(file).tensors);
  return { editor: ed, meta };
}
