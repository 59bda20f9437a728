/**
 * Our model directory: `generator.safetensors` + `generator.json`, `encoder.safetensors` +
 * `encoder.json`. Tensor names are the reference PyTorch module's own state_dict names (rosinality
 * `g_ema` keys for the generator, `Encoder4Editing` keys — without `encoder.` — for the encoder),
 * so `module.load_state_dict(file, strict=True)` works in PyTorch once the extra `latent_avg`
 * entry is popped. The JSON holds the architecture, where the weights came from (file name,
 * sha256) and any metrics.
 *
 * Loaders take a directory, one of our safetensors files, or a PyTorch checkpoint directly.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { fileError, UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { describeFsError } from '../io/files.js';
import { writeSafetensors, type TensorToWrite } from '../io/safetensors.js';
import type { Tensor as IoTensor } from '../io/tensor.js';
import type { JsonValue } from '../io/torch.js';
import { tf } from '../runtime/tf.js';
import { inferEncoderConfig, inferGeneratorConfig, readCheckpoint, type CheckpointContents } from './checkpoint.js';
import { validateEncoderConfig, validateGeneratorConfig, type EncoderConfig, type GeneratorConfig } from './config.js';
import { Encoder } from './encoder.js';
import { Generator } from './generator.js';

export const GENERATOR_FILE = 'generator.safetensors';
export const ENCODER_FILE = 'encoder.safetensors';
export const LATENT_AVG_KEY = 'latent_avg';

/** Where a model's weights came from, recorded in its JSON. */
export interface SourceInfo {
  file: string;
  sha256: string;
  bytes: number;
  format: string;
  /** Prefix the weights had in the source file ('g_ema.', 'state_dict.encoder.', …). */
  keyPrefix: string;
}

export interface ModelMeta {
  format: 'aueditnet-generator' | 'aueditnet-encoder';
  version: 1;
  /** 'stylegan2-rosinality' or 'e4e-Encoder4Editing' / 'psp-GradualStyleEncoder'. */
  architecture: string;
  config: GeneratorConfig | EncoderConfig;
  /** Shape of the stored latent_avg, or null; and where it came from. */
  latentAvg: { shape: number[]; origin: string } | null;
  source?: SourceInfo | null;
  /** Free-form: training command, data seed, metrics … */
  notes?: Record<string, JsonValue>;
  created: string;
}

function toIo(t: tf.Tensor): IoTensor {
  return { dtype: 'float32', shape: [...t.shape], data: Float32Array.from(t.dataSync()) };
}

async function saveNetwork(dir: string, file: string, state: Record<string, IoTensor>, latentAvg: tf.Tensor | null, meta: ModelMeta): Promise<void> {
  const st = statSync(dir, { throwIfNoEntry: false });
  if (!st?.isDirectory()) throw fileError(dir, 'is not a directory');
  const tensors: Record<string, TensorToWrite> = {};
  for (const [k, t] of Object.entries(state)) Object.defineProperty(tensors, k, { value: t, enumerable: true, writable: true, configurable: true });
  if (latentAvg) tensors[LATENT_AVG_KEY] = toIo(latentAvg);
  await writeSafetensors(join(dir, file), tensors, { format: meta.format, architecture: meta.architecture, config: JSON.stringify(meta.config) });
  await writeFileAtomic(join(dir, `${basename(file, '.safetensors')}.json`), `${JSON.stringify(meta, null, 2)}\n`);
}

export async function saveGenerator(dir: string, g: Generator, extra: { source?: SourceInfo | null; latentAvgOrigin?: string; notes?: Record<string, JsonValue> } = {}): Promise<void> {
  const meta: ModelMeta = {
    format: 'aueditnet-generator',
    version: 1,
    architecture: 'stylegan2-rosinality',
    config: g.config,
    latentAvg: g.latentAvg ? { shape: [...g.latentAvg.shape], origin: extra.latentAvgOrigin ?? 'model' } : null,
    source: extra.source ?? null,
    notes: extra.notes,
    created: new Date().toISOString(),
  };
  await saveNetwork(dir, GENERATOR_FILE, g.stateDict(), g.latentAvg, meta);
}

export async function saveEncoder(dir: string, e: Encoder, extra: { source?: SourceInfo | null; latentAvgOrigin?: string; notes?: Record<string, JsonValue> } = {}): Promise<void> {
  const meta: ModelMeta = {
    format: 'aueditnet-encoder',
    version: 1,
    architecture: e.config.structure === 'psp' ? 'psp-GradualStyleEncoder' : 'e4e-Encoder4Editing',
    config: e.config,
    latentAvg: e.latentAvg ? { shape: [...e.latentAvg.shape], origin: extra.latentAvgOrigin ?? 'model' } : null,
    source: extra.source ?? null,
    notes: extra.notes,
    created: new Date().toISOString(),
  };
  await saveNetwork(dir, ENCODER_FILE, e.stateDict(), e.latentAvg, meta);
}

async function readMeta(path: string): Promise<Partial<ModelMeta> | null> {
  if (!existsSync(path)) return null;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw fileError(path, describeFsError(err), err);
  }
  try {
    return JSON.parse(text) as Partial<ModelMeta>;
  } catch (err) {
    throw fileError(path, `is not valid JSON (${(err as Error).message})`, err);
  }
}

/** Hands a latent_avg from a file to `set` (which copies it), naming the file if it is refused. */
function setLatentAvg(set: (t: tf.Tensor) => void, data: IoTensor | Float32Array, shape: number[], label: string): void {
  if (!(data instanceof Float32Array) && data.data instanceof BigInt64Array) throw fileError(label, 'latent_avg is an integer tensor');
  const values = data instanceof Float32Array ? data : Float32Array.from(data.data as ArrayLike<number>);
  const t = tf.tensor(values, shape, 'float32');
  try {
    set(t);
  } catch (err) {
    throw err instanceof UserError ? fileError(label, err.message, err) : err;
  } finally {
    t.dispose();
  }
}

function opts(values: Record<string, JsonValue>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(values)) if (k.startsWith('opts.')) out[k.slice(5)] = v;
  return out;
}

/** A loaded network plus what is known about it. */
export interface Loaded<T> {
  model: T;
  /** The file its weights were read from. */
  file: string;
  meta: Partial<ModelMeta> | null;
}

/** The generator of a checkpoint already read: its latent_avg is the checkpoint's [D] one, or e4e's when all rows are equal. */
export function generatorFromCheckpoint(ck: CheckpointContents, config?: GeneratorConfig): { generator: Generator; latentAvgOrigin: string | null } {
  if (!ck.generator) throw fileError(ck.path, 'holds no StyleGAN2 generator (rosinality g_ema / e4e decoder weights)');
  const cfg = config ?? inferGeneratorConfig(ck.generator, ck.path);
  const g = new Generator(cfg, { init: 'zeros' });
  try {
    g.loadStateDict(ck.generator.tensors, ck.path);
    let origin: string | null = null;
    const la = ck.latentAvg;
    const set = (t: tf.Tensor) => g.setLatentAvg(t);
    if (la && la.shape.length === 1 && la.shape[0] === cfg.styleDim) {
      setLatentAvg(set, la, la.shape, ck.path);
      origin = `latent_avg of ${basename(ck.path)}`;
    } else if (la && la.shape.length === 2 && la.shape[1] === cfg.styleDim && !ck.encoder) {
      // a generator-only file of ours may carry a W+ mean
      setLatentAvg(set, la, la.shape, ck.path);
      origin = `latent_avg of ${basename(ck.path)}`;
    } else if (la && la.shape.length === 2 && la.shape[1] === cfg.styleDim) {
      // e4e stores the decoder's mean w repeated per W+ row; usable for truncation only if so
      const d = la.data as Float32Array;
      const D = cfg.styleDim;
      const same = Array.from({ length: la.shape[0]! }, (_, r) => r).every((r) => d.subarray(r * D, r * D + D).every((v, i) => v === d[i]));
      if (same) {
        setLatentAvg(set, d.slice(0, D), [D], ck.path);
        origin = `latent_avg of ${basename(ck.path)}, row 0 (all rows equal)`;
      }
    }
    return { generator: g, latentAvgOrigin: origin };
  } catch (err) {
    g.dispose();
    throw err;
  }
}

export function encoderFromCheckpoint(ck: CheckpointContents, config?: EncoderConfig): { encoder: Encoder; latentAvgOrigin: string | null } {
  if (!ck.encoder) throw fileError(ck.path, 'holds no e4e/pSp encoder (encoder.* / input_layer, body, styles weights)');
  const o = opts(ck.values);
  const cfg = config ?? inferEncoderConfig(ck.encoder, ck.path, o);
  const e = new Encoder(cfg, { init: 'zeros' });
  try {
    e.loadStateDict(ck.encoder.tensors, ck.path);
    let origin: string | null = null;
    const la = ck.latentAvg;
    const startFromAvg = o['start_from_latent_avg'] !== false;
    if (la && startFromAvg) {
      setLatentAvg((t) => e.setLatentAvg(t), la, la.shape, ck.path);
      origin = `latent_avg of ${basename(ck.path)}`;
    }
    return { encoder: e, latentAvgOrigin: origin };
  } catch (err) {
    e.dispose();
    throw err;
  }
}

async function metaFor(file: string, ck: CheckpointContents): Promise<Partial<ModelMeta> | null> {
  if (ck.format !== 'safetensors') return null;
  const sidecar = await readMeta(join(dirname(file), `${basename(file, extname(file))}.json`));
  if (sidecar) return sidecar;
  // a safetensors file copied without its JSON still carries the config in its metadata
  const cfg = ck.values['config'];
  if (typeof cfg !== 'string') return null;
  try {
    return { format: ck.values['format'] as ModelMeta['format'], config: JSON.parse(cfg) as GeneratorConfig | EncoderConfig };
  } catch {
    return null;
  }
}

export interface LoadRequest {
  generator?: boolean;
  encoder?: boolean;
}

export interface LoadedModels {
  generator?: Loaded<Generator>;
  encoder?: Loaded<Encoder>;
}

/**
 * Loads the requested networks from `--model DIR|file`: a model directory (generator.safetensors,
 * encoder.safetensors and their JSON), one of our safetensors files, or a PyTorch checkpoint
 * (rosinality, e4e, pSp), which is read once even when both networks come from it.
 */
export async function loadModels(pathOrDir: string, want: LoadRequest): Promise<LoadedModels> {
  const st = statSync(pathOrDir, { throwIfNoEntry: false });
  if (!st) throw fileError(pathOrDir, 'no such file or directory');
  const out: LoadedModels = {};
  try {
    if (st.isDirectory()) {
      for (const [kind, file] of [['generator', GENERATOR_FILE], ['encoder', ENCODER_FILE]] as const) {
        if (!want[kind]) continue;
        const p = join(pathOrDir, file);
        if (!existsSync(p)) throw fileError(pathOrDir, `has no ${file}`);
        Object.assign(out, await loadFromFile(p, { [kind]: true }));
      }
    } else Object.assign(out, await loadFromFile(pathOrDir, want));
    return out;
  } catch (err) {
    out.generator?.model.dispose();
    out.encoder?.model.dispose();
    throw err;
  }
}

async function loadFromFile(file: string, want: LoadRequest): Promise<LoadedModels> {
  const ck = readCheckpoint(file);
  const meta = await metaFor(file, ck);
  const kind = meta?.format ?? ck.values['format'];
  const out: LoadedModels = {};
  try {
    if (want.generator) {
      const m = kind === 'aueditnet-generator' ? meta : null;
      const config = m?.config ? validateGeneratorConfig(m.config as Partial<GeneratorConfig>, `${file}: stored generator config`) : undefined;
      out.generator = { model: generatorFromCheckpoint(ck, config).generator, file, meta: m };
    }
    if (want.encoder) {
      const m = kind === 'aueditnet-encoder' ? meta : null;
      const config = m?.config ? validateEncoderConfig(m.config as Partial<EncoderConfig>, `${file}: stored encoder config`) : undefined;
      out.encoder = { model: encoderFromCheckpoint(ck, config).encoder, file, meta: m };
    }
    return out;
  } catch (err) {
    out.generator?.model.dispose();
    throw err;
  }
}

/** The generator of `--model DIR|file`. */
export async function loadGenerator(pathOrDir: string): Promise<Loaded<Generator>> {
  return (await loadModels(pathOrDir, { generator: true })).generator!;
}

/** The encoder of `--model DIR|file`. */
export async function loadEncoder(pathOrDir: string): Promise<Loaded<Encoder>> {
  return (await loadModels(pathOrDir, { encoder: true })).encoder!;
}
