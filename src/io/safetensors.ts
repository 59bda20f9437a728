/**
 * safetensors reading and writing (https://github.com/huggingface/safetensors, format section).
 *
 * Layout: u64 LE header length N, N bytes of JSON, then the data region. The header maps each
 * tensor name to {dtype, shape, data_offsets: [begin, end]} relative to the data region, plus an
 * optional "__metadata__" string map. Everything about the header is validated before any tensor
 * is read, so a corrupt file fails with one clear message rather than a garbage tensor later.
 */
import { fileError } from '../errors.js';
import { withAtomicWriter } from './atomic.js';
import { ReadableFile } from './files.js';
import {
  CHUNK_ELEMENTS,
  decodeTensorBytes,
  DTYPE_SIZE,
  encodeTensorBytes,
  formatShape,
  numelOf,
  type NumericData,
  type Tensor,
  type TensorDtype,
} from './tensor.js';

/** safetensors' own dtype names that we convert to and from TensorDtype. */
const TO_TENSOR_DTYPE: Readonly<Record<string, TensorDtype>> = {
  F64: 'float64',
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

const FROM_TENSOR_DTYPE: Readonly<Record<TensorDtype, string>> = {
  float64: 'F64',
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};

/**
 * Byte sizes of dtypes the spec defines but we cannot decode. Knowing them still lets the header be
 * validated and the file listed by `inspect`; only `get()` refuses them. (F4/F6 are bit-packed and
 * have no whole-byte size, so their extents are only range-checked.)
 */
const OTHER_DTYPE_SIZES: Readonly<Record<string, number>> = {
  U64: 8,
  U32: 4,
  U16: 2,
  C64: 8,
  F8_E4M3: 1,
  F8_E5M2: 1,
  F8_E8M0: 1,
};

/** The spec caps the header at 100 MB; anything larger is corruption, not a real header. */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsTensorInfo {
  readonly name: string;
  /** The dtype as the file names it (`F32`, `BF16`, …). */
  readonly fileDtype: string;
  /** The in-memory dtype, or undefined for dtypes this reader cannot decode (U16, F8_E4M3, …). */
  readonly dtype: TensorDtype | undefined;
  readonly shape: number[];
  /** Absolute byte position in the file and length of the tensor's data. */
  readonly byteOffset: number;
  readonly byteLength: number;
}

function isSafeNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

interface ParsedHeader {
  entries: SafetensorsTensorInfo[];
  metadata: Record<string, string>;
}

/** Validates the header JSON against the data region; `dataStart`/`dataSize` are in file bytes. */
function parseHeader(label: string, json: Uint8Array, dataStart: number, dataSize: number): ParsedHeader {
  const bad = (problem: string) => fileError(label, `corrupt safetensors header: ${problem}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(json);
  } catch {
    throw bad('not valid UTF-8');
  }
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    throw bad(`invalid JSON (${(err as Error).message})`);
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) throw bad('the JSON is not an object');

  const metadata: Record<string, string> = {};
  const entries: SafetensorsTensorInfo[] = [];
  for (const [name, value] of Object.entries(root)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('__metadata__ is not an object');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw bad(`__metadata__ value '${k}' is not a string`);
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    if (typeof value !== 'object' || value === null) throw bad(`entry '${name}' is not an object`);
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (typeof dtype !== 'string') throw bad(`tensor '${name}' has no dtype`);
    if (!Array.isArray(shape) || !shape.every(isSafeNonNegInt)) throw bad(`tensor '${name}' has no valid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isSafeNonNegInt)) {
      throw bad(`tensor '${name}' has no valid data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) throw bad(`tensor '${name}' has data_offsets [${begin}, ${end}] that run backwards`);
    if (end > dataSize) {
      // the header is intact but the data stops early: the usual result of an interrupted copy
      throw fileError(label, `truncated: tensor '${name}' needs bytes up to ${end} of the data region, the file holds ${dataSize}`);
    }
    const tensorDtype = TO_TENSOR_DTYPE[dtype];
    const itemSize = tensorDtype ? DTYPE_SIZE[tensorDtype] : OTHER_DTYPE_SIZES[dtype];
    const numel = numelOf(shape as number[]);
    if (itemSize !== undefined && numel * itemSize !== end - begin) {
      throw bad(
        `tensor '${name}' is ${dtype} ${formatShape(shape as number[])} = ${numel * itemSize} bytes but data_offsets span ${end - begin}`,
      );
    }
    entries.push({
      name,
      fileDtype: dtype,
      dtype: tensorDtype,
      shape: [...(shape as number[])],
      byteOffset: dataStart + begin,
      byteLength: end - begin,
    });
  }
  entries.sort((a, b) => a.byteOffset - b.byteOffset || a.byteLength - b.byteLength);
  for (let i = 1; i < entries.length; i++) {
    const prev = entries[i - 1]!;
    const cur = entries[i]!;
    if (cur.byteLength > 0 && prev.byteOffset + prev.byteLength > cur.byteOffset) {
      throw bad(`tensors '${prev.name}' and '${cur.name}' overlap`);
    }
  }
  return { entries, metadata };
}

/**
 * A safetensors file opened lazily: only the header is read up front, each tensor is read from the
 * descriptor when asked for. Official weights run past 1 GB, and a model loader wants them one
 * tensor at a time.
 */
export class SafetensorsFile {
  private readonly byName: Map<string, SafetensorsTensorInfo>;

  private constructor(
    private readonly file: ReadableFile,
    private readonly entries: SafetensorsTensorInfo[],
    /** The `__metadata__` string map ({} when absent). */
    readonly metadata: Record<string, string>,
  ) {
    this.byName = new Map(entries.map((e) => [e.name, e]));
  }

  static open(path: string): SafetensorsFile {
    const file = ReadableFile.open(path);
    try {
      if (file.size < 8) throw fileError(path, `truncated safetensors file: ${file.size} bytes, shorter than the 8-byte header length`);
      const lenBytes = file.read(0, 8, 'the header length');
      const headerLen = new DataView(lenBytes.buffer).getBigUint64(0, true);
      if (headerLen > BigInt(MAX_HEADER_BYTES)) {
        throw fileError(path, `not a safetensors file or corrupt: header length ${headerLen} is over the 100 MB the format allows`);
      }
      const n = Number(headerLen);
      if (8 + n > file.size) {
        throw fileError(path, `truncated safetensors file: header length ${n} runs past the end of the ${file.size}-byte file`);
      }
      if (n < 2) throw fileError(path, `corrupt safetensors header: header length ${n} is too short for JSON`);
      const json = file.read(8, n, 'the header');
      const { entries, metadata } = parseHeader(path, json, 8 + n, file.size - 8 - n);
      return new SafetensorsFile(file, entries, metadata);
    } catch (err) {
      file.close();
      throw err;
    }
  }

  get path(): string {
    return this.file.label;
  }

  /** Tensor names in the order their data appears in the file. */
  keys(): string[] {
    return this.entries.map((e) => e.name);
  }

  has(key: string): boolean {
    return this.byName.has(key);
  }

  info(key: string): SafetensorsTensorInfo {
    const e = this.byName.get(key);
    if (!e) throw fileError(this.path, `no tensor named '${key}'`);
    return e;
  }

  get(key: string): Tensor {
    const e = this.info(key);
    if (!e.dtype) throw fileError(this.path, `tensor '${key}' has dtype ${e.fileDtype}, which this reader does not support`);
    const bytes = this.file.read(e.byteOffset, e.byteLength, `tensor '${key}'`);
    return { dtype: e.dtype, shape: [...e.shape], data: decodeTensorBytes(e.dtype, bytes) };
  }

  close(): void {
    this.file.close();
  }
}

/** Reads a whole (small) safetensors file into memory. Use SafetensorsFile for large ones. */
export function readSafetensors(path: string): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const f = SafetensorsFile.open(path);
  try {
    const tensors: Record<string, Tensor> = {};
    for (const key of f.keys()) {
      Object.defineProperty(tensors, key, { value: f.get(key), enumerable: true, writable: true, configurable: true });
    }
    return { tensors, metadata: { ...f.metadata } };
  } finally {
    f.close();
  }
}

// ---------------------------------------------------------------------------------------------
// writing

/**
 * A tensor to write. `dtype` is the dtype stored in the file; `data` may be any numeric array and is
 * converted (e.g. Float32Array written as float16). A function is called only when the tensor's turn
 * comes, so a converter can stream a large checkpoint without holding every tensor at once.
 */
export interface TensorToWrite {
  readonly dtype: TensorDtype;
  readonly shape: readonly number[];
  readonly data: NumericData | (() => NumericData);
}

/**
 * Writes tensors as safetensors, atomically and without assembling the file in memory. Header keys
 * are sorted; the data region is ordered by element size (largest first) and then name, as the
 * Python writer does, so every tensor starts at a multiple of its element size and zero-copy readers
 * can view it in place.
 */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, TensorToWrite>,
  metadata?: Record<string, string>,
): Promise<void> {
  const names = Object.keys(tensors).sort();
  if (names.includes('__metadata__')) throw new RangeError("'__metadata__' cannot be used as a tensor name");
  for (const name of names) {
    const t = tensors[name]!;
    if (!(t.dtype in FROM_TENSOR_DTYPE)) throw new RangeError(`tensor '${name}': unknown dtype ${String(t.dtype)}`);
    if (!t.shape.every(isSafeNonNegInt)) throw new RangeError(`tensor '${name}': invalid shape [${(t.shape as readonly unknown[]).join(', ')}]`);
  }
  const layout = [...names].sort((a, b) => DTYPE_SIZE[tensors[b]!.dtype] - DTYPE_SIZE[tensors[a]!.dtype] || (a < b ? -1 : a > b ? 1 : 0));
  const offsets = new Map<string, [number, number]>();
  let pos = 0;
  for (const name of layout) {
    const t = tensors[name]!;
    const len = numelOf(t.shape) * DTYPE_SIZE[t.dtype];
    offsets.set(name, [pos, pos + len]);
    pos += len;
  }

  // built by hand rather than JSON.stringify(object): JS objects put integer-like keys ("0", "10")
  // first, which would break the sorted order
  const parts: string[] = [];
  if (metadata && Object.keys(metadata).length > 0) parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  for (const name of names) {
    const t = tensors[name]!;
    const entry = { dtype: FROM_TENSOR_DTYPE[t.dtype], shape: [...t.shape], data_offsets: offsets.get(name) };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(entry)}`);
  }
  let json = `{${parts.join(',')}}`;
  // the spec wants the data region 8-byte aligned, padded with spaces (valid trailing JSON whitespace)
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - (jsonBytes % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.length), true);

  await withAtomicWriter(path, async (w) => {
    await w.write(prefix);
    await w.write(headerBytes);
    for (const name of layout) {
      const t = tensors[name]!;
      const data = typeof t.data === 'function' ? t.data() : t.data;
      const numel = numelOf(t.shape);
      if (data.length !== numel) {
        throw new RangeError(`tensor '${name}': shape ${formatShape(t.shape)} needs ${numel} elements but data has ${data.length}`);
      }
      for (let from = 0; from < numel; from += CHUNK_ELEMENTS) {
        await w.write(encodeTensorBytes(t.dtype, data, from, Math.min(numel, from + CHUNK_ELEMENTS)));
      }
    }
  });
}
