/**
 * The in-memory tensor shape shared by every reader and writer in src/io.
 *
 * One dtype vocabulary (torch's names) is used for all formats, so a tensor read from a .pt file can
 * be written to safetensors or .npy without a mapping table at each call site. Half-precision
 * dtypes keep their name but carry Float32Array data: JS has no Float16Array in Node 20, and every
 * consumer (tfjs) wants float32 anyway; the writers convert back when asked for float16.
 */

import { bfloat16BitsToFloat32, float32ToBfloat16Array, float32ToHalfArray, halfBitsToFloat32 } from './half.js';

export type TensorDtype =
  | 'float64'
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool';

export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface Tensor {
  readonly dtype: TensorDtype;
  readonly shape: number[];
  readonly data: TensorData;
}

/** Bytes per element as stored on disk (half types are 2 even though they are held as float32). */
export const DTYPE_SIZE: Readonly<Record<TensorDtype, number>> = {
  float64: 8,
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

export function isFloatDtype(dtype: TensorDtype): boolean {
  return dtype === 'float64' || dtype === 'float32' || dtype === 'float16' || dtype === 'bfloat16';
}

/** Element count of a shape; a 0-d shape has one element. */
export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** `[2, 3, 4]` → `2×3×4`, `[]` → `scalar`; used in every message that mentions a shape. */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join('×');
}

/** Allocates the typed array that holds `numel` elements of `dtype` in memory. */
export function allocData(dtype: TensorDtype, numel: number): TensorData {
  switch (dtype) {
    case 'float64':
      return new Float64Array(numel);
    case 'float32':
    case 'float16':
    case 'bfloat16':
      return new Float32Array(numel);
    case 'int64':
      return new BigInt64Array(numel);
    case 'int32':
      return new Int32Array(numel);
    case 'int16':
      return new Int16Array(numel);
    case 'int8':
      return new Int8Array(numel);
    case 'uint8':
    case 'bool':
      return new Uint8Array(numel);
  }
}

/**
 * Converts int64 data to plain numbers. Throws when a value is outside ±(2^53 − 1), because a
 * silently rounded index or count is worse than no value. `onUnsafe` lets a reader report it as a
 * UserError about its file instead of a RangeError about the program.
 */
export function int64ToNumbers(data: BigInt64Array, onUnsafe?: (value: bigint) => Error): number[] {
  const out = new Array<number>(data.length);
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v > max || v < -max) {
      throw onUnsafe ? onUnsafe(v) : new RangeError(`int64 value ${v} does not fit a JS number exactly`);
    }
    out[i] = Number(v);
  }
  return out;
}

/**
 * Turns raw little-endian bytes into the in-memory representation. `bytes` must start at an offset
 * aligned for the element size (fresh reads from src/io/files.ts are); full-precision types are views
 * of it, not copies. Assumes a little-endian host, which is every platform Node ships for.
 */
export function decodeTensorBytes(dtype: TensorDtype, bytes: Uint8Array): TensorData {
  const { buffer, byteOffset, byteLength } = bytes;
  const n = byteLength / DTYPE_SIZE[dtype];
  switch (dtype) {
    case 'float64':
      return new Float64Array(buffer, byteOffset, n);
    case 'float32':
      return new Float32Array(buffer, byteOffset, n);
    case 'float16':
      return halfBitsToFloat32(new Uint16Array(buffer, byteOffset, n));
    case 'bfloat16':
      return bfloat16BitsToFloat32(new Uint16Array(buffer, byteOffset, n));
    case 'int64':
      return new BigInt64Array(buffer, byteOffset, n);
    case 'int32':
      return new Int32Array(buffer, byteOffset, n);
    case 'int16':
      return new Int16Array(buffer, byteOffset, n);
    case 'int8':
      return new Int8Array(buffer, byteOffset, n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buffer, byteOffset, n);
  }
}

/** What writers accept as element data: any typed array or a plain number array. */
export type NumericData = TensorData | readonly number[];

/** Elements per converted chunk when streaming: 4 M keeps memory bounded and syscalls few. */
export const CHUNK_ELEMENTS = 1 << 22;

function checkInts(src: ArrayLike<number | bigint>, from: number, to: number, min: number, max: number, dtype: string): void {
  for (let i = from; i < to; i++) {
    const v = Number(src[i]);
    if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`value ${String(src[i])} at index ${i} is not a valid ${dtype}`);
  }
}

/** Encodes elements [from, to) of `src` as little-endian `dtype` bytes. */
export function encodeTensorBytes(dtype: TensorDtype, src: NumericData, from: number, to: number): Uint8Array {
  const asBytes = (a: TensorData | Uint16Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const slice = <T extends TensorData>(a: T) => a.subarray(from, to) as T;
  const numbers = (): ArrayLike<number> => {
    if (src instanceof BigInt64Array) return Array.from(src.subarray(from, to), Number);
    return (Array.isArray(src) ? src.slice(from, to) : (src as Exclude<TensorData, BigInt64Array>).subarray(from, to)) as ArrayLike<number>;
  };
  switch (dtype) {
    case 'float32':
      return asBytes(src instanceof Float32Array ? slice(src) : Float32Array.from(numbers()));
    case 'float64':
      return asBytes(src instanceof Float64Array ? slice(src) : Float64Array.from(numbers()));
    case 'float16':
      return asBytes(float32ToHalfArray(numbers()));
    case 'bfloat16':
      return asBytes(float32ToBfloat16Array(numbers()));
    case 'int64': {
      if (src instanceof BigInt64Array) return asBytes(slice(src));
      const nums = numbers();
      const out = new BigInt64Array(to - from);
      for (let i = 0; i < out.length; i++) {
        const v = nums[i]!;
        if (!Number.isSafeInteger(v)) throw new RangeError(`value ${v} at index ${from + i} is not an integer that int64 can hold exactly`);
        out[i] = BigInt(v);
      }
      return asBytes(out);
    }
    case 'int32':
      if (src instanceof Int32Array) return asBytes(slice(src));
      checkInts(src, from, to, -(2 ** 31), 2 ** 31 - 1, dtype);
      return asBytes(Int32Array.from(numbers()));
    case 'int16':
      if (src instanceof Int16Array) return asBytes(slice(src));
      checkInts(src, from, to, -(2 ** 15), 2 ** 15 - 1, dtype);
      return asBytes(Int16Array.from(numbers()));
    case 'int8':
      if (src instanceof Int8Array) return asBytes(slice(src));
      checkInts(src, from, to, -128, 127, dtype);
      return asBytes(Int8Array.from(numbers()));
    case 'uint8':
    case 'bool':
      if (src instanceof Uint8Array && dtype === 'uint8') return asBytes(slice(src));
      checkInts(src, from, to, 0, dtype === 'bool' ? 1 : 255, dtype);
      return asBytes(Uint8Array.from(numbers()));
  }
}

