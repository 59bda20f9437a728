/**
 * `train pair --init PATH`: a new run that starts from earlier weights instead of random ones —
 * to change a run's recipe (loss weights, a frozen G) without losing its steps, or to continue on a
 * machine that has only the exported pair (model files are committed; a run's optimizer state may
 * not be).
 */
import { statSync } from 'node:fs';
import { fileError } from '../errors.js';
import { CheckpointFile } from '../nn/checkpointFile.js';
import { tf } from '../runtime/tf.js';
import type { Encoder } from './encoder.js';
import type { Generator } from './generator.js';
import { loadModels } from './modelDir.js';
import type { ParamStore } from './params.js';
import type { PairInit } from './pairTrainer.js';
import { pairModelNames, pairModelTensors } from './weightEma.js';

function copyStore(into: ParamStore, from: ParamStore, source: string): void {
  for (const name of into.names()) {
    if (!from.has(name)) throw fileError(source, `has no parameter ${name}`);
    const a = into.get(name), b = from.get(name);
    if (a.shape.join() !== b.shape.join()) {
      throw fileError(source, `parameter ${name} has shape [${b.shape.join(', ')}], the run's architecture wants [${a.shape.join(', ')}]`);
    }
    a.assign(b);
  }
}

/**
 * Reads PATH: a `train pair` checkpoint file (its parameters and step; its Adam moments are left
 * out) or a folder of exported generator/encoder files (step from their training notes, 0 when
 * absent). Exported encoders have latent_avg folded into their first style bias (finalizePair);
 * training works on the unfolded form (codes = block outputs, no latent_avg), so it is added back.
 */
export async function pairInit(path: string): Promise<PairInit> {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw fileError(path, 'no such file or directory (--init wants a `train pair` checkpoint or an exported pair folder)');
  if (st.isFile()) {
    const f = CheckpointFile.open(path);
    try {
      const raw = f.metadata['config'];
      if (!raw || !(JSON.parse(raw) as { generator?: unknown }).generator) throw fileError(path, 'is not a `train pair` checkpoint (no pair training config in its metadata)');
      const step = Number(f.metadata['step'] ?? 0);
      const names = pairModelNames(f.keys());
      // only the two models the pair is taken from (not the other copy, D or Adam's moments)
      const wanted = [`param.${names.generator}.`, `param.${names.encoder}.`];
      const tensors = new Map<string, ReturnType<CheckpointFile['get']>>();
      for (const k of f.keys()) if (wanted.some((w) => k.startsWith(w))) tensors.set(k, f.get(k));
      const load = (store: ParamStore, prefix: string) => {
        const part = pairModelTensors((k) => tensors.get(k), path, prefix, store.names());
        store.loadStateDict(part as unknown as Parameters<ParamStore['loadStateDict']>[0], path);
      };
      return {
        path,
        step,
        load: (g: Generator, e: Encoder) => {
          load(g.store, names.generator);
          load(e.store, names.encoder);
        },
      };
    } finally {
      f.close();
    }
  }
  const m = await loadModels(path, { generator: true, encoder: true });
  const src = { g: m.generator!.model, e: m.encoder!.model };
  const training = (m.generator!.meta?.notes as { training?: { step?: unknown; steps?: unknown } } | undefined)?.training;
  const step = Number(training?.step ?? training?.steps ?? 0);
  return {
    path,
    step: Number.isInteger(step) && step >= 0 ? step : 0,
    load: (g: Generator, e: Encoder) => {
      try {
        copyStore(g.store, src.g.store, m.generator!.file);
        copyStore(e.store, src.e.store, m.encoder!.file);
        const avg = src.e.latentAvg;
        if (avg) {
          const bias = e.store.get('styles.0.linear.bias');
          tf.tidy(() => bias.assign(bias.add(avg)));
        }
      } finally {
        src.g.dispose();
        src.e.dispose();
      }
    },
  };
}
