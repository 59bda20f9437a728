import { fileError } from '../errors.js';
import type { Tensor as FileTensor } from '../io/tensor.js';
import { tf } from '../runtime/tf.js';
import { scoped } from '../runtime/scoped.js';

/**
 * How a parameter is laid out in tfjs versus on disk. Files use PyTorch's layouts and names
 * (conv OIHW, linear [out, in]) so that weights move between this project and PyTorch code as
 * they are; tfjs wants HWIO and [in, out].
 */
export type ParamKind = 'conv' | 'linear' | 'plain';

interface Entry {
  variable: tf.Variable;
  kind: ParamKind;
  trainable: boolean;
}

export type Init = 'zeros' | 'ones' | { normal: number } | { uniform: number } | ((shape: number[]) => tf.Tensor);

let variableCounter = 0;

/** 32-bit FNV-1a, to give each parameter its own init seed derived from its name. */
function nameSeed(base: number, name: string): number {
  let h = 0x811c9dc5 ^ base;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * A flat, named set of tf.Variables with PyTorch-style dotted names. Layers ask for their
 * parameters by name; the first request creates them (seeded from `seed` and the name, so the
 * same model config always starts from the same weights), later requests return the same
 * variable, so one function describes both building and running a model.
 */
export class Params {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly seed = 0) {}

  get(name: string, shape: number[], init: Init, opts: { kind?: ParamKind; trainable?: boolean } = {}): tf.Variable {
    const e = this.entries.get(name);
    if (e) {
      if (!tf.util.arraysEqual(e.variable.shape, shape)) {
        throw new Error(`parameter ${name}: asked for shape [${shape}] but it has [${e.variable.shape}]`);
      }
      return e.variable;
    }
    const trainable = opts.trainable ?? true;
    const value = tf.tidy(() => {
      if (init === 'zeros') return tf.zeros(shape);
      if (init === 'ones') return tf.ones(shape);
      if (typeof init === 'function') return init(shape);
      const seed = nameSeed(this.seed, name);
      if ('normal' in init) return tf.randomNormal(shape, 0, init.normal, 'float32', seed);
      return tf.randomUniform(shape, -init.uniform, init.uniform, 'float32', seed);
    });
    // tfjs variable names are global: make ours unique per store
    const variable = tf.variable(value, trainable, `${name}#${++variableCounter}`);
    value.dispose();
    this.entries.set(name, { variable, kind: opts.kind ?? 'plain', trainable });
    return variable;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  variable(name: string): tf.Variable {
    const e = this.entries.get(name);
    if (!e) throw new Error(`no parameter named ${name}`);
    return e.variable;
  }

  trainableVariables(): tf.Variable[] {
    return [...this.entries.values()].filter((e) => e.trainable).map((e) => e.variable);
  }

  /** Number of trainable scalars. */
  size(): number {
    return this.trainableVariables().reduce((s, v) => s + v.size, 0);
  }

  /** Freezes (or unfreezes) everything: frozen models take no gradient and no optimizer state. */
  setTrainable(trainable: boolean): void {
    for (const [name, e] of this.entries) {
      if (e.trainable === trainable || name.endsWith('running_mean') || name.endsWith('running_var')) continue;
      e.trainable = trainable;
      e.variable.trainable = trainable;
    }
  }

  /** All parameters in PyTorch layout, ready for writeSafetensors (read lazily). */
  toTorch(): Record<string, { dtype: 'float32'; shape: number[]; data: () => Float32Array }> {
    const out: Record<string, { dtype: 'float32'; shape: number[]; data: () => Float32Array }> = {};
    for (const [name, e] of this.entries) {
      const t = e.variable;
      const perm = e.kind === 'conv' ? [3, 2, 0, 1] : e.kind === 'linear' ? [1, 0] : null;
      const shape = perm ? perm.map((i) => t.shape[i]!) : [...t.shape];
      out[name] = { dtype: 'float32', shape, data: () => scoped(() => (perm ? t.transpose(perm) : t).dataSync() as Float32Array) };
    }
    return out;
  }

  /**
   * Loads values in PyTorch layout into existing parameters (build the model once first, e.g. on
   * a dummy input, so that every parameter exists). Missing or extra names are errors: silently
   * half-loaded weights would look like a bad model.
   */
  loadTorch(source: string, tensors: Record<string, FileTensor>, opts: { prefix?: string; allowExtra?: boolean } = {}): void {
    const prefix = opts.prefix ?? '';
    const wanted = new Set(this.names());
    const missing = [...wanted].filter((n) => !(prefix + n in tensors));
    if (missing.length) throw fileError(source, `missing ${missing.length} parameter(s), e.g. ${prefix}${missing[0]}`);
    if (!opts.allowExtra) {
      const extra = Object.keys(tensors).filter((k) => k.startsWith(prefix) && !wanted.has(k.slice(prefix.length)));
      if (extra.length) throw fileError(source, `has ${extra.length} unexpected parameter(s), e.g. ${extra[0]}`);
    }
    for (const [name, e] of this.entries) {
      const src = tensors[prefix + name]!;
      const perm = e.kind === 'conv' ? [2, 3, 1, 0] : e.kind === 'linear' ? [1, 0] : null;
      const expect = e.variable.shape;
      const got = perm ? perm.map((i) => src.shape[i]!) : src.shape;
      if (src.shape.length !== expect.length || !tf.util.arraysEqual(got, expect)) {
        throw fileError(source, `parameter ${prefix}${name} has shape [${src.shape}], the model needs [${perm ? [3, 2, 0, 1].map((i) => expect[i]) : expect}]`);
      }
      const data = src.data instanceof Float32Array ? src.data : Float32Array.from(src.data as ArrayLike<number>, Number);
      tf.tidy(() => {
        const t = tf.tensor(data, src.shape);
        e.variable.assign(perm ? t.transpose(perm) : t);
      });
    }
  }

  dispose(): void {
    for (const e of this.entries.values()) e.variable.dispose();
    this.entries.clear();
  }
}
