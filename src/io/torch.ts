/**
 * PyTorch checkpoint (.pt/.pth) reader: the zip format (torch ≥ 1.6) and the legacy pickle-stream
 * format, without executing anything from the file (see pickle.ts for the allow-list).
 *
 * Zip: `<archive>/data.pkl` is the pickled object; tensors in it are `_rebuild_tensor_v2(storage,
 * offset, size, stride, …)` calls whose storage is a persistent id ('storage', StorageClass, key,
 * location, numel) pointing at the raw little-endian bytes in `<archive>/data/<key>`.
 *
 * Legacy (`_use_new_zipfile_serialization=False`): five pickles back to back (magic number,
 * protocol version 1001, sys-info dict, the object, the list of storage keys), then each storage
 * in key-list order as an int64 element count followed by its raw bytes. Persistent ids are
 * 6-tuples whose last item describes an optional view into the root storage.
 *
 * Tensors come out contiguous (views, strides and storage offsets resolved). Storages are read
 * lazily and at most once while any tensor still needs them.
 */
import { fileError, UserError } from '../errors.js';
import { ReadableFile } from './files.js';
import { defineKey, PickleTruncatedError, PyGlobal, STANDARD_GLOBALS, unpickle, type GlobalImpl } from './pickle.js';
import { describeFormat, sniffFormat, SNIFF_BYTES } from './sniff.js';
import {
  allocData,
  decodeTensorBytes,
  DTYPE_SIZE,
  formatShape,
  numelOf,
  type Tensor,
  type TensorData,
  type TensorDtype,
} from './tensor.js';
import { ZipReader } from './zip.js';

export type TorchDtype = TensorDtype;

/**
 * A tensor from a checkpoint. `data` is contiguous C-order; float16/bfloat16 are held as float32
 * (the `dtype` keeps the stored type). Tensors from openTorchCheckpoint load on first access.
 */
export class TorchTensor implements Tensor {
  // ES private fields keep console.log/toEqual output to dtype and shape
  #cached: TensorData | undefined;
  #loader: (() => TensorData) | undefined;

  constructor(
    readonly dtype: TorchDtype,
    readonly shape: number[],
    data: TensorData | (() => TensorData),
  ) {
    if (typeof data === 'function') this.#loader = data;
    else this.#cached = data;
  }

  get numel(): number {
    return numelOf(this.shape);
  }

  get isLoaded(): boolean {
    return this.#cached !== undefined;
  }

  /** The elements, loaded and kept on first access. */
  get data(): TensorData {
    if (this.#cached === undefined) {
      this.#cached = this.read();
      this.#loader = undefined;
    }
    return this.#cached;
  }

  /** The elements without keeping them on this object, for streaming conversions. */
  read(): TensorData {
    if (this.#cached !== undefined) return this.#cached;
    if (!this.#loader) throw new Error('TorchTensor has neither data nor a loader');
    return this.#loader();
  }

  toString(): string {
    return `TorchTensor(${this.dtype}, ${formatShape(this.shape)})`;
  }
}

export interface TorchCheckpoint {
  readonly path: string;
  readonly format: 'zip' | 'legacy';
  /** The unpickled object: plain objects, arrays, numbers, strings, booleans, null, bigint, Uint8Array and TorchTensors. */
  readonly root: unknown;
  /** Every tensor in the checkpoint, in the order the pickle built them. */
  readonly tensors: readonly TorchTensor[];
  /** Closes the file; tensors not loaded by then can no longer be read. */
  close(): void;
}

/** A typed storage class named in a persistent id (torch.FloatStorage …). */
class StorageType {
  constructor(
    readonly qualname: string,
    readonly dtype: TensorDtype,
  ) {}
}

const STORAGE_TYPES: ReadonlyArray<[string, TensorDtype]> = [
  ['FloatStorage', 'float32'],
  ['HalfStorage', 'float16'],
  ['BFloat16Storage', 'bfloat16'],
  ['DoubleStorage', 'float64'],
  ['LongStorage', 'int64'],
  ['IntStorage', 'int32'],
  ['ShortStorage', 'int16'],
  ['CharStorage', 'int8'],
  ['ByteStorage', 'uint8'],
  ['BoolStorage', 'bool'],
];

/** What a persistent id resolves to: (a view of) one root storage. */
interface StorageRef {
  readonly key: string;
  readonly type: StorageType;
  /** Elements in the root storage. */
  readonly rootNumel: number;
  /** For legacy storage views: where the view starts in the root, and its length. */
  readonly viewOffset: number;
  readonly viewNumel: number;
}

/** Where the raw bytes of a root storage come from. */
type StorageReader = (ref: StorageRef) => Uint8Array;

/**
 * Shape/stride views beyond the storage (expand(), stride 0) are legal in torch but let a tiny file
 * claim a huge tensor; past this many elements they must be backed by a storage as large.
 */
const MAX_BROADCAST_ELEMENTS = 1 << 24;

const MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn; // torch/serialization.py MAGIC_NUMBER
const LEGACY_PROTOCOL_VERSION = 1001;

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Per-checkpoint state: the allow-listed globals, the tensors made so far, the storage cache. */
class CheckpointLoader {
  readonly tensors: TorchTensor[] = [];
  /** Root storage key → tensors that still have to read it. */
  private readonly pending = new Map<string, number>();
  private readonly cache = new Map<string, TensorData>();
  private closed = false;
  readonly globals: Map<string, unknown>;

  constructor(
    private readonly label: string,
    private readonly readStorage: StorageReader,
  ) {
    const g = new Map<string, unknown>(STANDARD_GLOBALS);
    for (const [name, dtype] of STORAGE_TYPES) g.set(`torch.${name}`, new StorageType(`torch.${name}`, dtype));
    const rebuild: GlobalImpl = { call: (a) => this.rebuildTensor(a[0], a[1], a[2], a[3]) };
    g.set('torch._utils._rebuild_tensor_v2', rebuild);
    g.set('torch._utils._rebuild_tensor', rebuild);
    // Parameters are tensors with requires_grad; the flag and hooks mean nothing here
    const parameter: GlobalImpl = { call: (a) => this.expectTensor(a[0], 'torch._utils._rebuild_parameter') };
    g.set('torch._utils._rebuild_parameter', parameter);
    g.set('torch._utils._rebuild_parameter_with_state', parameter);
    // tensor subclasses: _rebuild_from_type_v2(func, new_type, args, state) = func(*args) re-typed
    g.set('torch._tensor._rebuild_from_type_v2', {
      call: (a) => {
        const [func, , args] = a;
        if (!(func instanceof PyGlobal) || !func.impl.call || !Array.isArray(args)) {
          throw fileError(this.label, 'corrupt checkpoint: _rebuild_from_type_v2 without a rebuild function');
        }
        return func.impl.call(args);
      },
    } satisfies GlobalImpl);
    g.set('torch.Tensor', new PyGlobal('torch.Tensor', {}));
    g.set('torch.nn.parameter.Parameter', new PyGlobal('torch.nn.parameter.Parameter', {}));
    g.set('torch.Size', { call: (a) => (Array.isArray(a[0]) ? [...(a[0] as unknown[])] : []) } satisfies GlobalImpl);
    this.globals = g;
  }

  private corrupt(problem: string): UserError {
    return fileError(this.label, `corrupt checkpoint: ${problem}`);
  }

  private expectTensor(v: unknown, what: string): TorchTensor {
    if (!(v instanceof TorchTensor)) throw this.corrupt(`${what} got something other than a tensor`);
    return v;
  }

  /** ('storage', StorageClass, key, location, numel) — zip format. */
  persistentZip(pid: unknown, seen: Map<string, StorageRef>): StorageRef {
    if (!Array.isArray(pid) || pid[0] !== 'storage') return this.refusePid(pid);
    const [, type, key, , numel] = pid as unknown[];
    if (!(type instanceof StorageType) || typeof key !== 'string' || !isIndex(numel)) {
      throw this.corrupt(`malformed storage reference ${describePid(pid)}`);
    }
    return this.remember(seen, { key, type, rootNumel: numel, viewOffset: 0, viewNumel: numel });
  }

  /** ('storage', StorageClass, root_key, location, root_numel, view_metadata) — legacy format. */
  persistentLegacy(pid: unknown, seen: Map<string, StorageRef>): StorageRef {
    if (!Array.isArray(pid) || pid[0] !== 'storage') return this.refusePid(pid);
    const [, type, key, , numel, view] = pid as unknown[];
    if (!(type instanceof StorageType) || typeof key !== 'string' || !isIndex(numel)) {
      throw this.corrupt(`malformed storage reference ${describePid(pid)}`);
    }
    const root = this.remember(seen, { key, type, rootNumel: numel, viewOffset: 0, viewNumel: numel });
    if (view === null || view === undefined) return root;
    const [, offset, size] = Array.isArray(view) ? (view as unknown[]) : [];
    if (!isIndex(offset) || !isIndex(size) || offset + size > numel) throw this.corrupt(`malformed storage view ${describePid(pid)}`);
    return { ...root, viewOffset: offset, viewNumel: size };
  }

  private remember(seen: Map<string, StorageRef>, ref: StorageRef): StorageRef {
    const prev = seen.get(ref.key);
    if (!prev) {
      seen.set(ref.key, ref);
      return ref;
    }
    if (prev.type !== ref.type || prev.rootNumel !== ref.rootNumel) {
      throw this.corrupt(`storage '${ref.key}' is described inconsistently`);
    }
    return prev;
  }

  private refusePid(pid: unknown): never {
    if (Array.isArray(pid) && pid[0] === 'module') {
      throw fileError(this.label, 'the checkpoint contains a pickled nn.Module (whole model); only tensors and plain containers can be loaded — save model.state_dict() instead');
    }
    throw this.corrupt(`unknown persistent id ${describePid(pid)}`);
  }

  /** _rebuild_tensor_v2 / _rebuild_tensor: validates the view now, reads data later. */
  private rebuildTensor(storage: unknown, offset: unknown, size: unknown, stride: unknown): TorchTensor {
    if (typeof storage !== 'object' || storage === null || !('type' in storage) || !((storage as StorageRef).type instanceof StorageType)) {
      throw this.corrupt('tensor rebuilt from something that is not a storage');
    }
    const ref = storage as StorageRef;
    if (!isIndex(offset) || !Array.isArray(size) || !Array.isArray(stride) || !size.every(isIndex) || !stride.every(isIndex) || size.length !== stride.length) {
      throw this.corrupt(`tensor on storage '${ref.key}' has an invalid offset/size/stride`);
    }
    const shape = size as number[];
    const strides = stride as number[];
    const numel = numelOf(shape);
    if (numel > 0) {
      let last = offset;
      for (let d = 0; d < shape.length; d++) last += (shape[d]! - 1) * strides[d]!;
      if (last >= ref.viewNumel) {
        throw this.corrupt(`tensor ${formatShape(shape)} at offset ${offset} reaches element ${last} of a ${ref.viewNumel}-element storage ('${ref.key}')`);
      }
      if (numel > ref.viewNumel && numel > MAX_BROADCAST_ELEMENTS) {
        throw this.corrupt(`tensor ${formatShape(shape)} is a broadcast view far larger than its ${ref.viewNumel}-element storage`);
      }
    }
    const key = ref.key;
    this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
    let counted = false;
    const start = ref.viewOffset + offset;
    const tensor = new TorchTensor(ref.type.dtype, [...shape], () => {
      if (this.closed) throw new Error(`${this.label}: checkpoint closed before tensor ${formatShape(shape)} was read`);
      const src = this.storage(ref);
      // the last tensor to need a storage drops it from the cache; if that tensor is the whole
      // storage it takes the array itself, otherwise every tensor gets its own copy (no aliasing)
      let last = false;
      if (!counted) {
        counted = true;
        const left = (this.pending.get(key) ?? 1) - 1;
        this.pending.set(key, left);
        if (left === 0) {
          this.cache.delete(key);
          last = true;
        }
      }
      if (last && start === 0 && numel === src.length && isContiguous(shape, strides)) return src;
      return gather(src, ref.type.dtype, start, shape, strides);
    });
    this.tensors.push(tensor);
    return tensor;
  }

  private storage(ref: StorageRef): TensorData {
    const hit = this.cache.get(ref.key);
    if (hit) return hit;
    const bytes = this.readStorage(ref);
    const need = ref.rootNumel * DTYPE_SIZE[ref.type.dtype];
    if (bytes.length < need) {
      throw this.corrupt(`storage '${ref.key}' has ${bytes.length} bytes, ${ref.type.qualname} × ${ref.rootNumel} needs ${need}`);
    }
    const data = decodeTensorBytes(ref.type.dtype, bytes.length === need ? bytes : bytes.subarray(0, need));
    this.cache.set(ref.key, data);
    return data;
  }

  close(): void {
    this.closed = true;
    this.cache.clear();
  }
}

function describePid(pid: unknown): string {
  if (!Array.isArray(pid)) return typeof pid;
  return `(${pid.map((x) => (typeof x === 'string' ? `'${x}'` : x instanceof StorageType ? x.qualname : typeof x)).join(', ')})`;
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d]!;
  }
  return true;
}

/** Copies a strided view out of a storage into a fresh C-order array. */
function gather(src: TensorData, dtype: TensorDtype, start: number, shape: readonly number[], stride: readonly number[]): TensorData {
  const numel = numelOf(shape);
  if (isContiguous(shape, stride)) return src.slice(start, start + numel);
  const out = allocData(dtype, numel);
  const s = src as unknown as { [i: number]: number | bigint };
  const o = out as unknown as { [i: number]: number | bigint };
  const nd = shape.length;
  // walk the output in C order, moving the source index by strides; the innermost dimension is a
  // tight loop because that is where the time goes
  const inner = shape[nd - 1]!;
  const innerStride = stride[nd - 1]!;
  const idx = new Array<number>(nd).fill(0);
  let base = start;
  for (let i = 0; i < numel; i += inner) {
    for (let j = 0, p = base; j < inner; j++, p += innerStride) o[i + j] = s[p]!;
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      base += stride[d]!;
      if (idx[d]! < shape[d]!) break;
      base -= stride[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

/** Opens a checkpoint and unpickles its structure; tensor data is read on first access. */
export function openTorchCheckpoint(path: string): TorchCheckpoint {
  const file = ReadableFile.open(path);
  try {
    const head = file.read(0, Math.min(file.size, SNIFF_BYTES), 'the file header');
    const format = sniffFormat(head, file.size);
    switch (format) {
      case 'zip':
        return openZip(file);
      case 'pickle':
        return openLegacy(file);
      case 'tar':
        throw fileError(path, 'is a legacy tar-format PyTorch checkpoint (torch < 0.4), which is not supported; load it with an old torch and re-save it with torch.save');
      default:
        if (file.size === 0) throw fileError(path, 'is empty, not a PyTorch checkpoint');
        throw fileError(path, `is not a PyTorch checkpoint (it looks like ${describeFormat(format)})`);
    }
  } catch (err) {
    file.close();
    throw err;
  }
}

/** Loads a whole checkpoint into memory and closes the file. */
export function loadTorchCheckpoint(path: string): unknown {
  const ckpt = openTorchCheckpoint(path);
  try {
    for (const t of ckpt.tensors) void t.data;
    return ckpt.root;
  } finally {
    ckpt.close();
  }
}

function openZip(file: ReadableFile): TorchCheckpoint {
  const label = file.label;
  const zip = ZipReader.fromFile(file);
  const names = zip.entries.map((e) => e.name);
  const depth = (n: string) => n.split('/').length;
  const pkl = names.filter((n) => n === 'data.pkl' || n.endsWith('/data.pkl')).sort((a, b) => depth(a) - depth(b))[0];
  if (pkl === undefined) {
    if (names.some((n) => n.endsWith('constants.pkl') || /(^|\/)code\//.test(n))) throw refuseTorchScript(label);
    if (names.length > 0 && names.every((n) => n.endsWith('.npy'))) {
      throw fileError(label, 'is a NumPy .npz archive, not a PyTorch checkpoint');
    }
    throw fileError(label, 'is a zip archive without data.pkl, not a PyTorch checkpoint');
  }
  const prefix = pkl.slice(0, -'data.pkl'.length);
  if (zip.has(`${prefix}constants.pkl`) || names.some((n) => n.startsWith(`${prefix}code/`))) throw refuseTorchScript(label);
  if (names.some((n) => n.startsWith('.data/extern_modules') || n.includes('/.data/extern_modules'))) {
    throw fileError(label, 'is a torch.package archive (code and weights), not a plain checkpoint; save the state_dict with torch.save instead');
  }
  const byteorder = zip.entry(`${prefix}byteorder`);
  if (byteorder) {
    const order = new TextDecoder().decode(zip.readEntry(byteorder)).trim();
    if (order !== 'little') throw fileError(label, `stores tensors in ${order}-endian byte order, which is not supported`);
  }
  const loader = new CheckpointLoader(label, (ref) => {
    const entry = `${prefix}data/${ref.key}`;
    if (!zip.has(entry)) throw fileError(label, `corrupt checkpoint: storage '${ref.key}' is missing (no entry ${entry})`);
    return zip.read(entry);
  });
  const seen = new Map<string, StorageRef>();
  const { value } = unpickle(zip.read(pkl), {
    label,
    globals: loader.globals,
    persistentLoad: (pid) => loader.persistentZip(pid, seen),
    what: pkl,
  });
  return {
    path: label,
    format: 'zip',
    root: value,
    tensors: loader.tensors,
    close: () => {
      loader.close();
      zip.close();
    },
  };
}

function refuseTorchScript(label: string): UserError {
  return fileError(label, 'is a TorchScript archive (torch.jit.save), not a checkpoint; in Python, torch.jit.load it and torch.save its state_dict()');
}

function openLegacy(file: ReadableFile): TorchCheckpoint {
  const label = file.label;
  // The pickles sit at the start and the (possibly gigabytes of) storage data after them. Read a
  // window and grow it if a pickle runs past its end, rather than reading the whole file.
  let window = Math.min(file.size, 1 << 20);
  for (;;) {
    const buf = file.read(0, window, 'the pickled header');
    try {
      return parseLegacy(file, buf);
    } catch (err) {
      if (err instanceof PickleTruncatedError && window < file.size) {
        window = Math.min(file.size, window * 8);
        continue;
      }
      throw err;
    }
  }
}

function parseLegacy(file: ReadableFile, buf: Uint8Array): TorchCheckpoint {
  const label = file.label;
  const noGlobals = new Map<string, unknown>();
  const magic = unpickle(buf, { label, globals: noGlobals, what: 'magic number' });
  if (magic.value !== MAGIC_NUMBER) {
    throw fileError(label, 'is a Python pickle but not a PyTorch checkpoint (no torch magic number)');
  }
  const proto = unpickle(buf, { label, globals: noGlobals, offset: magic.end, what: 'protocol version' });
  if (proto.value !== LEGACY_PROTOCOL_VERSION) {
    throw fileError(label, `legacy PyTorch checkpoint with protocol version ${String(proto.value)}, expected ${LEGACY_PROTOCOL_VERSION}`);
  }
  const sys = unpickle(buf, { label, globals: noGlobals, offset: proto.end, what: 'sys info' });
  const sysInfo = sys.value as { little_endian?: unknown } | null;
  if (sysInfo && typeof sysInfo === 'object' && sysInfo.little_endian === false) {
    throw fileError(label, 'was saved on a big-endian machine, which is not supported');
  }

  const offsets = new Map<string, number>();
  const loader = new CheckpointLoader(label, (ref) => {
    const at = offsets.get(ref.key)!;
    return file.read(at, ref.rootNumel * DTYPE_SIZE[ref.type.dtype], `storage '${ref.key}'`);
  });
  const seen = new Map<string, StorageRef>();
  const obj = unpickle(buf, {
    label,
    globals: loader.globals,
    persistentLoad: (pid) => loader.persistentLegacy(pid, seen),
    offset: sys.end,
    what: 'the checkpoint object',
  });
  const keys = unpickle(buf, { label, globals: noGlobals, offset: obj.end, what: 'storage keys' });
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) {
    throw fileError(label, 'corrupt checkpoint: the storage key list is not a list of strings');
  }

  // storages follow in key order: int64 element count, then the data. Locate them all now so a
  // truncated file fails at open time instead of halfway through a model load.
  let pos = keys.end;
  for (const key of keys.value as string[]) {
    const ref = seen.get(key);
    if (!ref) throw fileError(label, `corrupt checkpoint: storage key '${key}' is not used by any tensor`);
    if (pos + 8 > file.size) throw fileError(label, `truncated: the file ends before storage '${key}'`);
    const count = new DataView(file.read(pos, 8, `the size of storage '${key}'`).buffer).getBigInt64(0, true);
    if (count !== BigInt(ref.rootNumel)) {
      throw fileError(label, `corrupt checkpoint: storage '${key}' holds ${count} elements, the pickle says ${ref.rootNumel}`);
    }
    const bytes = ref.rootNumel * DTYPE_SIZE[ref.type.dtype];
    if (pos + 8 + bytes > file.size) {
      throw fileError(label, `truncated: storage '${key}' needs bytes ${pos + 8}..${pos + 8 + bytes} but the file has ${file.size}`);
    }
    offsets.set(key, pos + 8);
    pos += 8 + bytes;
  }
  for (const key of seen.keys()) {
    if (!offsets.has(key)) throw fileError(label, `corrupt checkpoint: storage '${key}' is referenced but not stored`);
  }
  return {
    path: label,
    format: 'legacy',
    root: obj.value,
    tensors: loader.tensors,
    close: () => {
      loader.close();
      file.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// flattening

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface FlatCheckpoint {
  /** Tensors by dotted key (`g_ema.style.1.weight`, list items by index: `layers.0`). */
  tensors: Record<string, TorchTensor>;
  /** Every other leaf, JSON-safe, by dotted key. Lists without tensors stay whole lists. */
  values: Record<string, JsonValue>;
}

export interface FlattenOptions {
  /** Key used when the root itself is a tensor or plain value (default ''). */
  rootKey?: string;
  /** File name for error messages. */
  label?: string;
}

const MAX_DEPTH = 256;

/**
 * Flattens a loaded checkpoint into dotted keys: dicts are joined with '.', lists that contain
 * tensors are expanded by index, and all other values are converted to JSON (bigint → number when
 * exact else string, bytes → {"$bytes": base64}, NaN/±Infinity → strings).
 */
export function flattenCheckpoint(obj: unknown, options: FlattenOptions = {}): FlatCheckpoint {
  const prefix = options.label ? `${options.label}: ` : '';
  const tensors: Record<string, TorchTensor> = {};
  const values: Record<string, JsonValue> = {};
  const used = new Set<string>();
  const claim = (key: string) => {
    if (used.has(key)) throw new UserError(`${prefix}two entries flatten to the same key '${key}'`);
    used.add(key);
  };
  const active = new Set<object>();

  const containsTensor = (v: unknown, depth: number): boolean => {
    if (v instanceof TorchTensor) return true;
    if (depth > MAX_DEPTH || typeof v !== 'object' || v === null || v instanceof Uint8Array) return false;
    const items = Array.isArray(v) ? v : isDict(v) ? Object.values(v) : [];
    return items.some((x) => containsTensor(x, depth + 1));
  };

  const walk = (v: unknown, key: string, depth: number): void => {
    if (depth > MAX_DEPTH) throw new UserError(`${prefix}the checkpoint is nested more than ${MAX_DEPTH} levels deep at '${key}'`);
    if (v instanceof TorchTensor) {
      claim(key);
      defineKey(tensors, key, v);
      return;
    }
    const expand = isDict(v) ? Object.keys(v).length > 0 : Array.isArray(v) && containsTensor(v, depth);
    if (!expand) {
      claim(key);
      defineKey(values, key, toJson(v, key, depth, active, prefix));
      return;
    }
    const o = v as object;
    if (active.has(o)) throw new UserError(`${prefix}the checkpoint refers to itself at '${key}'`);
    active.add(o);
    for (const [k, child] of Object.entries(o)) walk(child, key === '' ? k : `${key}.${k}`, depth + 1);
    active.delete(o);
  };
  walk(obj, options.rootKey ?? '', 0);
  return { tensors, values };
}

function isDict(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

function toJson(v: unknown, key: string, depth: number, active: Set<object>, prefix: string): JsonValue {
  if (depth > MAX_DEPTH) throw new UserError(`${prefix}the checkpoint is nested more than ${MAX_DEPTH} levels deep at '${key}'`);
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return { $bytes: Buffer.from(v).toString('base64') };
  if (typeof v === 'object') {
    if (active.has(v)) throw new UserError(`${prefix}the checkpoint refers to itself at '${key}'`);
    active.add(v);
    try {
      if (Array.isArray(v)) return v.map((x, i) => toJson(x, `${key}.${i}`, depth + 1, active, prefix));
      if (isDict(v)) {
        const out: { [k: string]: JsonValue } = {};
        for (const [k, x] of Object.entries(v)) defineKey(out, k, toJson(x, `${key}.${k}`, depth + 1, active, prefix));
        return out;
      }
    } finally {
      active.delete(v);
    }
  }
  return String(v); // inert globals such as torch.FloatStorage
}
