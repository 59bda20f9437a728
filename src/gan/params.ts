/**
 * The weights of one network, held as tf.Variables under the names the reference PyTorch module
 * gives them (`convs.3.conv.weight`, `body.7.res_layer.4.running_var`), so a checkpoint maps onto
 * the model by name and the model exports back to a state dict PyTorch loads with strict=True.
 *
 * Variables live in the layout the tfjs ops want (NHWC, HWIO filters, [in, out] matrices); the
 * permutation to and from the PyTorch layout is done once, in plain JS, at load and save time, so no
 * forward pass ever transposes a weight.
 */
import { fileError, UserError } from '../errors.js';
import { formatShape, numelOf, type Tensor as IoTensor, type TensorData } from '../io/tensor.js';
import { tf } from '../runtime/tf.js';

/**
 * How a PyTorch tensor is laid out in tfjs:
 * - `plain`: unchanged (biases, BatchNorm vectors, PReLU slopes, scalars);
 * - `linear`: [out, in] → [in, out], so a forward pass is a plain (untransposed) matMul;
 * - `conv`: [out, in, kh, kw] → [kh, kw, in, out];
 * - `modconv`: [1, out, in, kh, kw] → [kh, kw, in, out] (StyleGAN2's modulated conv weight);
 * - `nchw`: [1, C, H, W] → [1, H, W, C] (constant input, noise buffers);
 * - `channel`: [1, C, 1, 1] → [C] (ToRGB bias).
 */
export type Layout = 'plain' | 'linear' | 'conv' | 'modconv' | 'nchw' | 'channel';

/** Trainable parameter, or buffer (state kept with the weights but never trained: noise maps, BN statistics, blur kernels). */
export type ParamKind = 'param' | 'buffer';

export interface ParamEntry {
  readonly name: string;
  /** The shape PyTorch stores. */
  readonly torchShape: readonly number[];
  readonly layout: Layout;
  readonly kind: ParamKind;
  readonly variable: tf.Variable;
}

/** A tensor in PyTorch layout, as read from or written to a state dict. */
export interface TorchLikeTensor {
  readonly shape: readonly number[];
  readonly data: TensorData | Float32Array;
  readonly dtype?: string;
}

/** C-order transpose of raw data: out[perm-indexed] = in. */
export function permuteData(data: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  const out = new Float32Array(numelOf(shape));
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStrides[d] = s;
    s *= shape[d]!;
  }
  const stridesInOutOrder = perm.map((p) => inStrides[p]!);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = data[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      src += stridesInOutOrder[d]!;
      if (idx[d]! < outShape[d]!) break;
      src -= stridesInOutOrder[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

function invert(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

interface LayoutMap {
  tfShape(torch: readonly number[]): number[];
  /** Permutation applied to the torch data (after dropping leading/trailing unit axes where noted). */
  toTf(data: ArrayLike<number>, torch: readonly number[]): Float32Array;
  toTorch(data: ArrayLike<number>, torch: readonly number[]): Float32Array;
}

const copy = (d: ArrayLike<number>) => Float32Array.from(d);

function permuted(perm: number[], squeezeFirst: boolean): LayoutMap {
  const core = (t: readonly number[]) => (squeezeFirst ? t.slice(1) : [...t]);
  return {
    tfShape: (t) => perm.map((p) => core(t)[p]!),
    toTf: (d, t) => permuteData(d, core(t), perm),
    toTorch: (d, t) => {
      const tfShape = perm.map((p) => core(t)[p]!);
      return permuteData(d, tfShape, invert(perm));
    },
  };
}

const LAYOUTS: Record<Layout, LayoutMap> = {
  plain: { tfShape: (t) => [...t], toTf: copy, toTorch: copy },
  linear: permuted([1, 0], false),
  conv: permuted([2, 3, 1, 0], false),
  modconv: permuted([2, 3, 1, 0], true),
  nchw: permuted([0, 2, 3, 1], false),
  channel: { tfShape: (t) => [t[1]!], toTf: copy, toTorch: copy },
};

export function tfShapeOf(layout: Layout, torchShape: readonly number[]): number[] {
  return LAYOUTS[layout].tfShape(torchShape);
}

/**
 * Named variables of one network. Layers register their weights here under their reference names;
 * loaders and savers work on the whole set by name.
 */
let storeCounter = 0;

export class ParamStore {
  private readonly entries = new Map<string, ParamEntry>();
  /** Non-float bookkeeping tensors kept verbatim for export (BatchNorm's num_batches_tracked). */
  readonly extras = new Map<string, IoTensor>();
  private frozenFlags: Map<string, boolean> | null = null;
  // tfjs variable names are global; a per-store id lets several models (or copies) coexist.
  private readonly id = ++storeCounter;

  /** Registers a weight; `init` gives its initial value in tfjs layout. */
  add(name: string, torchShape: readonly number[], layout: Layout, kind: ParamKind, init: () => tf.Tensor): tf.Variable {
    if (this.entries.has(name)) throw new Error(`parameter '${name}' registered twice`);
    const shape = tfShapeOf(layout, torchShape);
    const value = tf.tidy(init);
    if (!tf.util.arraysEqual(value.shape, shape)) {
      value.dispose();
      throw new Error(`init of '${name}' gave shape [${value.shape}] instead of [${shape}]`);
    }
    const variable = tf.variable(value, kind === 'param', `aueditnet/${this.id}/${name}`);
    value.dispose();
    this.entries.set(name, { name, torchShape: [...torchShape], layout, kind, variable });
    return variable;
  }

  get(name: string): tf.Variable {
    const e = this.entries.get(name);
    if (!e) throw new Error(`no parameter named '${name}'`);
    return e.variable;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  entry(name: string): ParamEntry {
    const e = this.entries.get(name);
    if (!e) throw new Error(`no parameter named '${name}'`);
    return e;
  }

  /** Trainable parameters (buffers excluded), e.g. for an optimizer's var list. */
  trainableVariables(): tf.Variable[] {
    return [...this.entries.values()].filter((e) => e.kind === 'param').map((e) => e.variable);
  }

  allVariables(): tf.Variable[] {
    return [...this.entries.values()].map((e) => e.variable);
  }

  /** Number of trainable weights. */
  countParams(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.kind === 'param') n += numelOf(e.torchShape);
    return n;
  }

  /** Stops (or resumes) optimizers from updating the parameters: sets each variable's trainable flag. */
  setTrainable(trainable: boolean): void {
    if (!trainable) {
      if (this.frozenFlags) return;
      this.frozenFlags = new Map([...this.entries.values()].map((e) => [e.name, e.variable.trainable]));
      for (const e of this.entries.values()) e.variable.trainable = false;
    } else if (this.frozenFlags) {
      for (const e of this.entries.values()) e.variable.trainable = this.frozenFlags.get(e.name) ?? e.kind === 'param';
      this.frozenFlags = null;
    }
  }

  /** Assigns one tensor given in PyTorch layout; `label` names the file in errors. */
  assignTorch(name: string, t: TorchLikeTensor, label: string): void {
    const e = this.entries.get(name);
    if (!e) throw fileError(label, `unexpected tensor '${name}'`);
    if (!tf.util.arraysEqual([...t.shape], [...e.torchShape])) {
      throw fileError(label, `tensor '${name}' has shape ${formatShape([...t.shape])}, the model expects ${formatShape([...e.torchShape])}`);
    }
    if (t.data instanceof BigInt64Array) throw fileError(label, `tensor '${name}' is an integer tensor, expected floating point`);
    const data = LAYOUTS[e.layout].toTf(t.data as ArrayLike<number>, e.torchShape);
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) throw fileError(label, `tensor '${name}' contains ${data[i]} at element ${i}`);
    }
    const value = tf.tensor(data, tfShapeOf(e.layout, e.torchShape), 'float32');
    e.variable.assign(value);
    value.dispose();
  }

  /**
   * Loads a whole state dict (PyTorch layout). Every registered weight must be present (strict, like
   * `load_state_dict(strict=True)`); names in `ignore` (e.g. num_batches_tracked) are kept as extras.
   */
  loadStateDict(tensors: Record<string, TorchLikeTensor>, label: string, opts: { ignore?: (name: string) => boolean } = {}): void {
    const names = Object.keys(tensors);
    const unexpected = names.filter((n) => !this.entries.has(n) && !opts.ignore?.(n));
    const missing = [...this.entries.keys()].filter((n) => !Object.hasOwn(tensors, n));
    if (missing.length > 0 || unexpected.length > 0) {
      const parts: string[] = [];
      if (missing.length > 0) parts.push(`missing ${list(missing)}`);
      if (unexpected.length > 0) parts.push(`unexpected ${list(unexpected)}`);
      throw fileError(label, `weights do not match the architecture: ${parts.join('; ')}`);
    }
    for (const n of names) {
      const t = tensors[n]!;
      if (this.entries.has(n)) this.assignTorch(n, t, label);
      else this.extras.set(n, { dtype: (t.dtype as IoTensor['dtype']) ?? 'float32', shape: [...t.shape], data: t.data as TensorData });
    }
  }

  /** The weights in PyTorch layout and names (float32), plus the verbatim extras. */
  stateDict(): Record<string, IoTensor> {
    const out: Record<string, IoTensor> = {};
    for (const e of this.entries.values()) {
      const data = LAYOUTS[e.layout].toTorch(e.variable.dataSync() as Float32Array, e.torchShape);
      Object.defineProperty(out, e.name, { value: { dtype: 'float32', shape: [...e.torchShape], data }, enumerable: true, writable: true, configurable: true });
    }
    for (const [n, t] of this.extras) Object.defineProperty(out, n, { value: t, enumerable: true, writable: true, configurable: true });
    return out;
  }

  dispose(): void {
    for (const e of this.entries.values()) e.variable.dispose();
    this.entries.clear();
  }
}

function list(names: string[]): string {
  const shown = names.slice(0, 6).map((n) => `'${n}'`).join(', ');
  return names.length > 6 ? `${shown} and ${names.length - 6} more` : shown;
}

/**
 * Where initial weight values come from: seeded random draws (one seed per draw, so a model built
 * with the same seed is the same model), or zeros for a model whose weights a checkpoint is about to
 * overwrite (drawing 30 M random numbers for nothing takes seconds).
 */
export interface WeightInit {
  normal(shape: number[], std?: number): tf.Tensor;
  uniform(shape: number[], bound: number): tf.Tensor;
}

export function randomInit(seed = 0): WeightInit {
  let n = 0;
  const next = () => (seed * 7919 + ++n * 104729) % 2147483647;
  return {
    normal: (shape, std = 1) => tf.randomNormal(shape, 0, std, 'float32', next()),
    uniform: (shape, bound) => tf.randomUniform(shape, -bound, bound, 'float32', next()),
  };
}

export const zeroInit: WeightInit = {
  normal: (shape) => tf.zeros(shape),
  uniform: (shape) => tf.zeros(shape),
};

/** Throws a UserError unless `cond`. */
export function check(cond: boolean, message: string): asserts cond {
  if (!cond) throw new UserError(message);
}
