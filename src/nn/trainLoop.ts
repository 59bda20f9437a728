import { existsSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { TensorToWrite } from '../io/safetensors.js';
import { CheckpointFile, writeCheckpointFile } from './checkpointFile.js';
import { tf } from '../runtime/tf.js';
import type { Adam } from './adam.js';
import { commitBatchNorm } from './layers.js';
import type { Tensor as FileTensor } from '../io/tensor.js';
import { Params } from './params.js';

/** What a checkpoint needs of a model: named variables, export in PyTorch layout, strict load. */
export interface TrainableModel {
  names(): string[];
  variable(name: string): tf.Variable;
  trainableVariables(): tf.Variable[];
  toTorch(): Record<string, { dtype: 'float32'; shape: number[]; data: () => Float32Array }>;
  loadTorch(source: string, tensors: Record<string, FileTensor>): void;
}

/** Anything whose random stream must continue exactly after a resume. */
export interface Resumable {
  getState(): number;
  setState(state: number): void;
}

export interface StepResult {
  total: tf.Scalar;
  /** Named parts of the loss, for logs; they must not be used after the step. */
  parts?: Record<string, tf.Scalar>;
}

export interface TrainLoopOptions {
  /** Output folder; the checkpoint is `<dir>/checkpoint.safetensors`. */
  dir: string;
  totalSteps: number;
  checkpointEvery: number;
  /** Trained models (already built, i.e. every parameter exists). */
  models: Record<string, TrainableModel>;
  optimizer: Adam;
  rngs?: Record<string, Resumable>;
  /** Stored in the checkpoint; a resume with a different config is refused. */
  config: Record<string, unknown>;
  resume?: boolean;
  loss: (step: number) => StepResult;
  /** Called after every step with the loss values (e.g. a progress bar). */
  onStep?: (step: number, logs: Record<string, number>) => void;
  /** Called after each checkpoint (e.g. a preview image). */
  onCheckpoint?: (step: number) => void | Promise<void>;
  /** Stop after this many steps in this run (tests; the checkpoint still holds the real step). */
  stopAfter?: number;
  /** Handle SIGINT and SIGTERM by checkpointing and stopping (default true). */
  handleSignals?: boolean;
  /**
   * Step count of a fresh run that continues earlier training from initial weights (`--init`):
   * the models already had that many steps, the optimizer starts fresh. Ignored on resume.
   */
  startStep?: number;
  /** Learning rate of the step about to run (1-based); the optimizer's own lr when absent. */
  lrAt?: (step: number) => number;
  /** Stored beside the config but not compared on resume (provenance: init weights, schedule). */
  info?: Record<string, unknown>;
  /** Largest checkpoint file (tensor bytes); bigger checkpoints are written in parts. */
  maxFileBytes?: number;
}

export interface TrainLoopResult {
  step: number;
  stoppedBy: 'done' | 'signal' | 'stopAfter';
  logs: Record<string, number>;
}

export function checkpointPath(dir: string): string {
  return path.join(dir, 'checkpoint.safetensors');
}

function variableNames(models: Record<string, TrainableModel>): { byVar: Map<tf.Variable, string>; byName: Map<string, tf.Variable> } {
  const byVar = new Map<tf.Variable, string>();
  const byName = new Map<string, tf.Variable>();
  for (const [m, p] of Object.entries(models)) {
    for (const n of p.names()) {
      byVar.set(p.variable(n), `${m}.${n}`);
      byName.set(`${m}.${n}`, p.variable(n));
    }
  }
  return { byVar, byName };
}

/** Step a run's checkpoint was taken at, 0 when `dir` holds none (the start of a resumed progress bar). */
export function checkpointStep(dir: string): number {
  if (!existsSync(checkpointPath(dir))) return 0;
  const f = CheckpointFile.open(checkpointPath(dir));
  try {
    return Number(f.metadata['step'] ?? 0);
  } finally {
    f.close();
  }
}

/** The provenance stored with a checkpoint (`info`: init weights, schedule); {} when there is none. */
export function checkpointInfo(dir: string): Record<string, unknown> {
  if (!existsSync(checkpointPath(dir))) return {};
  const f = CheckpointFile.open(checkpointPath(dir));
  try {
    return JSON.parse(f.metadata['info'] ?? '{}') as Record<string, unknown>;
  } finally {
    f.close();
  }
}

/** Writes models, optimizer state, step and RNG states atomically (in parts when large, see checkpointFile.ts). */
export async function saveCheckpoint(opts: TrainLoopOptions, step: number): Promise<void> {
  const tensors: Record<string, TensorToWrite> = {};
  for (const [m, p] of Object.entries(opts.models)) {
    for (const [n, t] of Object.entries(p.toTorch())) tensors[`param.${m}.${n}`] = t;
  }
  const { byVar } = variableNames(opts.models);
  for (const [k, t] of Object.entries(opts.optimizer.state(byVar))) {
    tensors[`optim.${k}`] = { dtype: 'float32', shape: t.shape, data: () => t.dataSync() as Float32Array };
  }
  const rng: Record<string, number> = {};
  for (const [k, r] of Object.entries(opts.rngs ?? {})) rng[k] = r.getState();
  const meta: Record<string, string> = {
    step: String(step),
    optimizerStep: String(opts.optimizer.step),
    rng: JSON.stringify(rng),
    config: JSON.stringify(opts.config),
  };
  if (opts.info) meta['info'] = JSON.stringify(opts.info);
  await writeCheckpointFile(checkpointPath(opts.dir), tensors, meta, { step, maxBytes: opts.maxFileBytes });
}

/** "key: stored → now" for each top-level key that differs, so a refused resume names the option. */
export function configDifference(stored: string | undefined, now: Record<string, unknown>): string {
  let before: Record<string, unknown>;
  try {
    before = JSON.parse(stored ?? '{}') as Record<string, unknown>;
  } catch {
    return 'the stored config is unreadable';
  }
  const show = (v: unknown) => (v === undefined ? 'absent' : JSON.stringify(v));
  const keys = [...new Set([...Object.keys(before), ...Object.keys(now)])];
  const diffs = keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(now[k])).map((k) => `${k}: ${show(before[k])} → ${show(now[k])}`);
  return diffs.length ? diffs.join(', ') : 'the same keys in another order';
}

/** Restores a checkpoint written by saveCheckpoint; returns the step it was taken at. */
export function loadCheckpoint(opts: TrainLoopOptions): number {
  const file = checkpointPath(opts.dir);
  const f = CheckpointFile.open(file);
  try {
    const meta = f.metadata;
    if (meta['config'] !== JSON.stringify(opts.config)) {
      throw new UserError(`${file}: was made with another training config (${configDifference(meta['config'], opts.config)}); resume with the same options or use a new --out folder`);
    }
    for (const [m, p] of Object.entries(opts.models)) {
      const tensors: Record<string, ReturnType<CheckpointFile['get']>> = {};
      for (const n of p.names()) tensors[n] = f.get(`param.${m}.${n}`);
      p.loadTorch(file, tensors);
    }
    const { byName } = variableNames(opts.models);
    const state: Record<string, Float32Array> = {};
    for (const k of f.keys()) if (k.startsWith('optim.')) state[k.slice(6)] = f.get(k).data as Float32Array;
    opts.optimizer.loadState(byName, state, Number(meta['optimizerStep']));
    const rng = JSON.parse(meta['rng'] ?? '{}') as Record<string, number>;
    for (const [k, r] of Object.entries(opts.rngs ?? {})) {
      if (!(k in rng)) throw new UserError(`${file}: has no state for the random stream '${k}'`);
      r.setState(rng[k]!);
    }
    return Number(meta['step']);
  } finally {
    f.close();
  }
}

/**
 * The training loop every trainer shares: resumable (models, optimizer, step and random streams
 * in one atomic checkpoint), checkpoints every N steps and on Ctrl-C, and stops on a non-finite
 * loss with the step number, leaving the last good checkpoint in place.
 */
export async function runTraining(opts: TrainLoopOptions): Promise<TrainLoopResult> {
  let step = opts.startStep ?? 0;
  if (opts.resume) {
    if (!existsSync(checkpointPath(opts.dir))) throw new UserError(`${checkpointPath(opts.dir)}: no checkpoint to resume from`);
    step = loadCheckpoint(opts);
    // where a run's weights came from (`--init`, and the commands behind them) stays true across resumes; its schedule may not
    const { schedule: _schedule, ...provenance } = checkpointInfo(opts.dir);
    if (Object.keys(provenance).length > 0) opts = { ...opts, info: { ...provenance, ...opts.info } };
  } else if (existsSync(checkpointPath(opts.dir))) {
    throw new UserError(`${checkpointPath(opts.dir)}: a checkpoint exists; pass --resume to continue it or choose another --out folder`);
  }
  const vars = Object.values(opts.models).flatMap((p) => p.trainableVariables());
  const paramCount = () => Object.values(opts.models).reduce((n, p) => n + p.names().length, 0);
  const built = paramCount();
  let signalled = false;
  // SIGTERM too: `kill PID`, a job scheduler or a container stop would otherwise lose every step
  // since the last periodic checkpoint
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(signal === 'SIGTERM' ? 143 : 130);
    signalled = true;
    process.stderr.write(`\naueditnet: ${signal} — saving a checkpoint after this step (send it again to quit without it)\n`);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  if (opts.handleSignals !== false) for (const s of signals) process.on(s, onSignal);
  let logs: Record<string, number> = {};
  let ran = 0;
  let lastSaved = step;
  try {
    while (step < opts.totalSteps) {
      let parts: tf.Tensor | null = null;
      let names: string[] = [];
      if (opts.lrAt) opts.optimizer.config.lr = opts.lrAt(step + 1);
      const loss = opts.optimizer.minimize(() => {
        const r = opts.loss(step);
        names = Object.keys(r.parts ?? {});
        if (names.length) parts = tf.keep(tf.stack(names.map((n) => r.parts![n]!)));
        return r.total;
      }, vars);
      const total = (await loss.data())[0]!;
      const partValues = parts ? Array.from(await (parts as tf.Tensor).data()) : [];
      tf.dispose([loss, ...(parts ? [parts] : [])]);
      if (!Number.isFinite(total)) {
        throw new UserError(
          `training stopped: the loss became ${total} at step ${step + 1}; the last good checkpoint (step ${lastSaved}) is kept in ${opts.dir}`,
        );
      }
      for (const p of Object.values(opts.models)) if (p instanceof Params) commitBatchNorm(p);
      // a parameter made during a step would be missing from `vars` and silently never trained
      if (ran === 0 && paramCount() !== built) {
        throw new Error(`the loss created ${paramCount() - built} parameter(s) during the first step; build the model fully before training`);
      }
      step += 1;
      ran += 1;
      logs = { loss: total, ...Object.fromEntries(names.map((n, i) => [n, partValues[i]!])) };
      opts.onStep?.(step, logs);
      // a step is all synchronous work plus already-resolved promises: without a turn of the event
      // loop, signal handlers (Ctrl-C → checkpoint) and timers would never run
      await new Promise((resolve) => setImmediate(resolve));
      const stopping = signalled || (opts.stopAfter !== undefined && ran >= opts.stopAfter);
      if (step % opts.checkpointEvery === 0 || step === opts.totalSteps || stopping) {
        await saveCheckpoint(opts, step);
        lastSaved = step;
        await opts.onCheckpoint?.(step);
      }
      if (signalled) return { step, stoppedBy: 'signal', logs };
      if (stopping) return { step, stoppedBy: 'stopAfter', logs };
    }
    return { step, stoppedBy: 'done', logs };
  } finally {
    if (opts.handleSignals !== false) for (const s of signals) process.off(s, onSignal);
  }
}
