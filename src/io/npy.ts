/**
 * NumPy .npy files (format versions 1.0, 2.0, 3.0; numpy/lib/format.py). Used for latents and for
 * the parity fixtures. Only plain numeric arrays in C order; pickled object arrays, structured
 * dtypes and Fortran order are refused with a message saying so.
 */
import { fileError } from '../errors.js';
import { withAtomicWriter } from './atomic.js';
import { ReadableFile } from './files.js';
import { CHUNK_ELEMENTS, decodeTensorBytes, DTYPE_SIZE, encodeTensorBytes, formatShape, numelOf, type NumericData, type Tensor, type TensorDtype } from './tensor.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** numpy type code (kind + item size) → our dtype. */
const FROM_CODE: Readonly<Record<string, TensorDtype>> = {
  f8: 'float64',
  f4: 'float32',
  f2: 'float16',
  i8: 'int64',
  i4: 'int32',
  i2: 'int16',
  i1: 'int8',
  u1: 'uint8',
  b1: 'bool',
};

const TO_DESCR: Readonly<Partial<Record<TensorDtype, string>>> = {
  float64: '<f8',
  float32: '<f4',
  float16: '<f2',
  int64: '<i8',
  int32: '<i4',
  int16: '<i2',
  int8: '|i1',
  uint8: '|u1',
  bool: '|b1',
};

// ---------------------------------------------------------------------------------------------
// the header is a Python dict literal; this parses the subset numpy writes

type PyLiteral = string | number | boolean | null | PyLiteral[] | { [k: string]: PyLiteral };

function parsePyLiteral(text: string): PyLiteral {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at character ${i}`);
  };
  const value = (): PyLiteral => {
    ws();
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail('unterminated string');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const items: PyLiteral[] = [];
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          return items;
        }
        items.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`expected ',' or '${close}'`);
      }
    }
    if (c === '{') {
      i++;
      const obj: { [k: string]: PyLiteral } = {};
      for (;;) {
        ws();
        if (text[i] === '}') {
          i++;
          return obj;
        }
        const k = value();
        if (typeof k !== 'string') fail('dict key is not a string');
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        Object.defineProperty(obj, k as string, { value: value(), enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail("expected ',' or '}'");
      }
    }
    const m = /^(True|False|None|-?\d+L?)/.exec(text.slice(i));
    if (!m) return fail('unexpected token');
    i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number(m[0].replace(/L$/, ''));
  };
  const v = value();
  ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}

interface NpyHeader {
  dtype: TensorDtype;
  bigEndian: boolean;
  shape: number[];
  dataStart: number;
}

/** Parses the magic, version and header dict; `bytes` must hold at least the whole header. */
function parseHeader(label: string, head: Uint8Array, fileSize: number, readMore: (n: number) => Uint8Array): NpyHeader {
  if (head.length < 10 || !MAGIC.every((b, k) => head[k] === b)) throw fileError(label, 'not a .npy file (bad magic bytes)');
  const major = head[6]!;
  const minor = head[7]!;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (head.length < 12) throw fileError(label, 'truncated .npy file: header length missing');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw fileError(label, `.npy format version ${major}.${minor} is not supported (1.0, 2.0, 3.0 are)`);
  }
  if (headerStart + headerLen > fileSize) throw fileError(label, `truncated .npy file: the ${headerLen}-byte header runs past the end of the file`);
  const headerBytes = readMore(headerStart + headerLen).subarray(headerStart);
  // version 3 allows UTF-8 field names; 1 and 2 are latin-1
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes);
  let dict: PyLiteral;
  try {
    dict = parsePyLiteral(text);
  } catch (err) {
    throw fileError(label, `corrupt .npy header: ${(err as Error).message}`);
  }
  if (typeof dict !== 'object' || dict === null || Array.isArray(dict)) throw fileError(label, 'corrupt .npy header: not a dict');
  const { descr, fortran_order: fortran, shape } = dict;
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw fileError(label, 'corrupt .npy header: shape is not a tuple of sizes');
  }
  if (typeof descr !== 'string') {
    throw fileError(label, 'holds a structured (record) array, which is not supported; save plain numeric arrays');
  }
  const m = /^([<>=|])([a-zA-Z])(\d+)$/.exec(descr);
  const code = m ? `${m[2]}${m[3]}` : descr;
  if (code === 'O8' || code === 'O4' || descr === '|O') {
    throw fileError(label, 'holds a Python object array (pickled objects), which is not loaded for safety');
  }
  const dtype = m ? FROM_CODE[code] : undefined;
  if (!dtype) throw fileError(label, `has dtype '${descr}', which is not supported (float16/32/64, int8/16/32/64, uint8, bool are)`);
  if (fortran === true && shape.filter((d) => (d as number) > 1).length > 1) {
    throw fileError(label, 'stores a Fortran-order (column-major) array, which is not supported; re-save it with np.save(path, np.ascontiguousarray(a))');
  }
  return { dtype, bigEndian: m![1] === '>' && DTYPE_SIZE[dtype] > 1, shape: shape as number[], dataStart: headerStart + headerLen };
}

function byteSwap(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}

/** Reads only the header of a .npy file: dtype and shape, for listings. */
export function readNpyHeader(path: string): { dtype: TensorDtype; shape: number[] } {
  const file = ReadableFile.open(path);
  try {
    const first = file.read(0, Math.min(file.size, 12), 'the .npy header');
    const h = parseHeader(path, first, file.size, (n) => file.read(0, n, 'the .npy header'));
    return { dtype: h.dtype, shape: h.shape };
  } finally {
    file.close();
  }
}

/** Reads a .npy file. float16 comes back as float32 data with dtype 'float16'. */
export function readNpy(path: string): Tensor {
  const file = ReadableFile.open(path);
  try {
    const first = file.read(0, Math.min(file.size, 12), 'the .npy header');
    const h = parseHeader(path, first, file.size, (n) => file.read(0, n, 'the .npy header'));
    const size = DTYPE_SIZE[h.dtype];
    const numel = numelOf(h.shape);
    const need = numel * size;
    const have = file.size - h.dataStart;
    if (have < need) {
      throw fileError(path, `truncated .npy file: ${h.dtype} ${formatShape(h.shape)} needs ${need} bytes of data but ${have} follow the header`);
    }
    if (have > need) throw fileError(path, `corrupt .npy file: ${have - need} unexpected bytes after the array data`);
    const bytes = file.read(h.dataStart, need, 'the array data');
    if (h.bigEndian) byteSwap(bytes, size);
    return { dtype: h.dtype, shape: h.shape, data: decodeTensorBytes(h.dtype, bytes) };
  } finally {
    file.close();
  }
}

/** Parses .npy bytes already in memory (e.g. a member of an .npz). */
export function parseNpy(bytes: Uint8Array, label: string): Tensor {
  const h = parseHeader(label, bytes, bytes.length, (n) => bytes.subarray(0, n));
  const size = DTYPE_SIZE[h.dtype];
  const need = numelOf(h.shape) * size;
  const have = bytes.length - h.dataStart;
  if (have < need) throw fileError(label, `truncated .npy data: ${h.dtype} ${formatShape(h.shape)} needs ${need} bytes but ${have} follow the header`);
  if (have > need) throw fileError(label, `corrupt .npy data: ${have - need} unexpected bytes after the array data`);
  const data = bytes.slice(h.dataStart, h.dataStart + need); // own, aligned memory
  if (h.bigEndian) byteSwap(data, size);
  return { dtype: h.dtype, shape: h.shape, data: decodeTensorBytes(h.dtype, data) };
}

/** The header numpy itself writes: version 1.0 (2.0 if huge), padded so data starts 64-aligned. */
export function encodeNpyHeader(dtype: TensorDtype, shape: readonly number[]): Uint8Array {
  const descr = TO_DESCR[dtype];
  if (!descr) throw new RangeError(`.npy has no ${dtype} dtype`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  let prefixLen = 10;
  if (dict.length + 1 + prefixLen > 0xffff) prefixLen = 12;
  dict += ' '.repeat((64 - ((prefixLen + dict.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(prefixLen + dict.length);
  out.set(MAGIC, 0);
  out[6] = prefixLen === 10 ? 1 : 2;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (prefixLen === 10) view.setUint16(8, dict.length, true);
  else view.setUint32(8, dict.length, true);
  for (let k = 0; k < dict.length; k++) out[prefixLen + k] = dict.charCodeAt(k);
  return out;
}

/** Writes a C-order .npy file atomically; `data` is converted to `dtype` if needed. */
export async function writeNpy(path: string, array: { dtype: TensorDtype; shape: readonly number[]; data: NumericData }): Promise<void> {
  const { dtype, shape, data } = array;
  const numel = numelOf(shape);
  if (data.length !== numel) throw new RangeError(`shape ${formatShape(shape)} needs ${numel} elements but data has ${data.length}`);
  const header = encodeNpyHeader(dtype, shape);
  await withAtomicWriter(path, async (w) => {
    await w.write(header);
    for (let from = 0; from < numel; from += CHUNK_ELEMENTS) {
      await w.write(encodeTensorBytes(dtype, data, from, Math.min(numel, from + CHUNK_ELEMENTS)));
    }
  });
}
