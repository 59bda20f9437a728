/**
 * `train editor --init PATH` (and `--export`): an editor's weights from a `train editor`
 * checkpoint or an exported editor folder. A new run started from them may change the loss weights
 * (e.g. add lambda.N) without losing the steps already trained; its Adam starts fresh. Run
 * checkpoints carry Adam moments (≈ 150 MB) and are not committed, so an exported folder is what
 * another machine has.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileError } from '../errors.js';
import { readSafetensors } from '../io/safetensors.js';
import { CheckpointFile } from '../nn/checkpointFile.js';
import type { AUEditNet } from './auEditNet.js';
import { resolveEditorConfig, type EditorConfig } from './config.js';
import { EDITOR_FILE, readEditorMeta } from './editorFiles.js';

export interface EditorInit {
  path: string;
  /** Steps the weights were trained for; a run started from them counts on from here. */
  step: number;
  /** The config they were trained with (architecture and loss weights). */
  config: EditorConfig;
  /** Training settings of the run that made them, where known. */
  run: { batch?: number; lr?: number; seed?: number };
  /** The commands that made them, oldest first, where an editor folder records them. */
  history?: string[];
  /** Copies the weights into an editor of the same architecture (names and shapes checked). */
  load(ed: AUEditNet): void;
}

const ARCH_KEYS = ['levels', 'styleDim', 'hidden', 'zDim', 'psiHidden', 'modules', 'labelMapping'] as const;

/** Refuses weights of another architecture by the differing setting (loss weights and branch may differ). */
export function checkInitArchitecture(init: EditorInit, config: EditorConfig): void {
  for (const k of ARCH_KEYS) {
    if (JSON.stringify(init.config[k]) !== JSON.stringify(config[k])) {
      throw fileError(init.path, `was trained with ${k} = ${JSON.stringify(init.config[k])}, this run's config has ${JSON.stringify(config[k])}`);
    }
  }
}

/**
 * The commands behind an editor record, oldest first: its `history` and then its own `command`
 * (not repeated when a hand-kept history already ends with it).
 */
export function commandHistory(record: { history?: unknown; command?: unknown }): string[] {
  const h = (Array.isArray(record.history) ? record.history : []).filter((c): c is string => typeof c === 'string');
  if (typeof record.command === 'string' && h[h.length - 1] !== record.command) h.push(record.command);
  return h;
}

export function editorInit(p: string): EditorInit {
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st) throw fileError(p, 'no such file or directory (expected a `train editor` checkpoint or an exported editor folder)');
  if (st.isFile()) {
    const f = CheckpointFile.open(p);
    let config: EditorConfig, step: number, run: EditorInit['run'];
    try {
      const raw = f.metadata['config'];
      const rec = raw ? (JSON.parse(raw) as { editor?: Record<string, unknown>; batch?: number; lr?: number; seed?: number }) : null;
      if (!rec?.editor) throw fileError(p, 'is not a `train editor` checkpoint (no editor config in its metadata)');
      config = resolveEditorConfig(rec.editor, p);
      step = Number(f.metadata['step'] ?? 0);
      run = { batch: rec.batch, lr: rec.lr, seed: rec.seed };
    } finally {
      f.close();
    }
    return {
      path: p,
      step,
      config,
      run,
      load: (ed) => {
        const file = CheckpointFile.open(p);
        try {
          const tensors: Record<string, ReturnType<CheckpointFile['get']>> = {};
          for (const n of ed.params.names()) {
            const key = `param.editor.${n}`;
            if (!file.has(key)) throw fileError(p, `has no tensor ${key}`);
            tensors[n] = file.get(key);
          }
          ed.params.loadTorch(p, tensors);
        } finally {
          file.close();
        }
      },
    };
  }
  const weights = path.join(p, EDITOR_FILE);
  if (!existsSync(weights)) throw fileError(p, `has no ${EDITOR_FILE} (expected a \`train editor\` checkpoint or an exported editor folder)`);
  const meta = readEditorMeta(p);
  const t = (meta.training ?? {}) as { step?: unknown; steps?: unknown; batch?: number; lr?: number; seed?: number };
  const step = Number(t.step ?? t.steps ?? 0);
  const history = commandHistory(meta.training ?? {});
  return {
    path: p,
    step: Number.isInteger(step) && step >= 0 ? step : 0,
    config: meta.config,
    run: { batch: t.batch, lr: t.lr, seed: t.seed },
    ...(history.length > 0 ? { history } : {}),
    load: (ed) => ed.params.loadTorch(weights, readSafetensors(weights).tensors),
  };
}
