/**
 * A Python pickle interpreter that never runs code from the file.
 *
 * Unpickling in Python calls whatever function a GLOBAL opcode names, which is how a malicious .pt
 * file runs `os.system`. Here a GLOBAL is looked up in an explicit allow-list of (module, name)
 * pairs, each mapped to a JS implementation written for this project; any other name stops the load
 * with an error that names it. Everything else is plain data: dicts become JS objects, lists and
 * tuples arrays, ints numbers (bigint when beyond 2^53), bytes Uint8Array.
 *
 * Opcodes follow CPython's Lib/pickle.py (protocols 0–5); out-of-band buffers and the copyreg
 * extension registry are refused because torch never writes them.
 */
import { fileError, UserError } from '../errors.js';

/** What an allow-listed global does when the pickle calls it (REDUCE), instantiates it (NEWOBJ),
 * or sets its state (BUILD). A global without `call`/`construct` is an inert marker value, e.g. a
 * storage class that only appears inside a persistent id. */
export interface GlobalImpl {
  call?(args: unknown[]): unknown;
  construct?(args: unknown[]): unknown;
  build?(obj: object, state: unknown): void;
}

/** The stack value a GLOBAL opcode pushes: a named handle on one allow-listed implementation. */
export class PyGlobal {
  constructor(
    readonly qualname: string,
    readonly impl: GlobalImpl,
  ) {}

  toString(): string {
    return `<global ${this.qualname}>`;
  }
}

/** Thrown when the bytes end before STOP; a reader that loaded a prefix of a file can retry. */
export class PickleTruncatedError extends UserError {}

export interface UnpickleOptions {
  /** The file name used in error messages. */
  readonly label: string;
  /** Allow-list keyed by 'module.name'; values are implementations or inert values to push. */
  readonly globals: ReadonlyMap<string, GlobalImpl | PyGlobal | unknown>;
  /** Resolves BINPERSID/PERSID ids (torch's storage references). Without it, they are refused. */
  readonly persistentLoad?: (pid: unknown) => unknown;
  /** Where the pickle starts in `data` (legacy .pt files hold several pickles back to back). */
  readonly offset?: number;
  /** Which pickle of a file this is, for messages ("pickle 4 of 5"). */
  readonly what?: string;
}

/** Python 2 module names that Python 3's unpickler maps (fix_imports) before lookup. */
const PY2_MODULES: Readonly<Record<string, string>> = { __builtin__: 'builtins', copy_reg: 'copyreg' };

/** Sets a property without invoking setters, so a key like "__proto__" cannot change a prototype. */
export function defineKey(obj: object, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Python dict keys may be ints, tuples, …; JS objects need strings, spelled as Python would print. */
export function pyKeyToString(key: unknown): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'bigint') return String(key);
  if (key === null || key === undefined) return 'None';
  if (key === true) return 'True';
  if (key === false) return 'False';
  if (Array.isArray(key)) return `(${key.map(pyKeyToString).join(', ')}${key.length === 1 ? ',' : ''})`;
  return String(key);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Builds a dict from [key, value] pairs (DICT opcode, OrderedDict(items)). */
export function dictFromPairs(pairs: Iterable<unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError('dict item is not a (key, value) pair');
    defineKey(out, pyKeyToString(pair[0]), pair[1]);
  }
  return out;
}

/** Globals from the standard library that are plain data in disguise; torch.ts adds its own. */
export const STANDARD_GLOBALS: ReadonlyMap<string, GlobalImpl> = new Map<string, GlobalImpl>([
  [
    'collections.OrderedDict',
    {
      // an OrderedDict is pickled as OrderedDict() followed by SETITEMS and a BUILD whose state is
      // its __dict__ (torch's state dicts put `_metadata` there). We only keep the items.
      call: (args) => (args.length === 0 || args[0] === null ? {} : dictFromPairs(args[0] as Iterable<unknown>)),
      build: () => undefined,
    },
  ],
  ['builtins.set', { call: (args) => (args.length ? [...(args[0] as Iterable<unknown>)] : []) }],
  ['builtins.frozenset', { call: (args) => (args.length ? [...(args[0] as Iterable<unknown>)] : []) }],
  [
    '_codecs.encode',
    {
      // protocol 2 writes Python 3 bytes as _codecs.encode(str, 'latin1')
      call: (args) => {
        const [text, encoding] = args;
        if (typeof text !== 'string') throw new TypeError('_codecs.encode expects a str');
        const enc = String(encoding ?? 'utf-8').toLowerCase().replace(/[-_]/g, '');
        if (enc === 'latin1' || enc === 'iso88591') {
          const out = new Uint8Array(text.length);
          for (let i = 0; i < text.length; i++) {
            const c = text.charCodeAt(i);
            if (c > 255) throw new TypeError('_codecs.encode: character outside latin-1');
            out[i] = c;
          }
          return out;
        }
        if (enc === 'utf8') return new TextEncoder().encode(text);
        throw new TypeError(`_codecs.encode: unsupported encoding ${String(encoding)}`);
      },
    },
  ],
  [
    'argparse.Namespace',
    {
      // training scripts sometimes save their argparse options; they come back as a plain object
      call: (args) => (args.length && isPlainObject(args[0]) ? { ...args[0] } : {}),
      construct: () => ({}),
      build: (obj, state) => {
        if (isPlainObject(state)) for (const [k, v] of Object.entries(state)) defineKey(obj, k, v);
      },
    },
  ],
]);

// opcodes, by the byte values CPython uses
const OP = {
  MARK: 0x28, STOP: 0x2e, POP: 0x30, POP_MARK: 0x31, DUP: 0x32, FLOAT: 0x46, INT: 0x49, BININT: 0x4a,
  BININT1: 0x4b, LONG: 0x4c, BININT2: 0x4d, NONE: 0x4e, PERSID: 0x50, BINPERSID: 0x51, REDUCE: 0x52,
  STRING: 0x53, BINSTRING: 0x54, SHORT_BINSTRING: 0x55, UNICODE: 0x56, BINUNICODE: 0x58, APPEND: 0x61,
  BUILD: 0x62, GLOBAL: 0x63, DICT: 0x64, EMPTY_DICT: 0x7d, APPENDS: 0x65, GET: 0x67, BINGET: 0x68,
  INST: 0x69, LONG_BINGET: 0x6a, LIST: 0x6c, EMPTY_LIST: 0x5d, OBJ: 0x6f, PUT: 0x70, BINPUT: 0x71,
  LONG_BINPUT: 0x72, SETITEM: 0x73, TUPLE: 0x74, EMPTY_TUPLE: 0x29, SETITEMS: 0x75, BINFLOAT: 0x47,
  PROTO: 0x80, NEWOBJ: 0x81, EXT1: 0x82, EXT2: 0x83, EXT4: 0x84, TUPLE1: 0x85, TUPLE2: 0x86,
  TUPLE3: 0x87, NEWTRUE: 0x88, NEWFALSE: 0x89, LONG1: 0x8a, LONG4: 0x8b, BINBYTES: 0x42,
  SHORT_BINBYTES: 0x43, SHORT_BINUNICODE: 0x8c, BINUNICODE8: 0x8d, BINBYTES8: 0x8e, EMPTY_SET: 0x8f,
  ADDITEMS: 0x90, FROZENSET: 0x91, NEWOBJ_EX: 0x92, STACK_GLOBAL: 0x93, MEMOIZE: 0x94, FRAME: 0x95,
  BYTEARRAY8: 0x96, NEXT_BUFFER: 0x97, READONLY_BUFFER: 0x98,
} as const;

const HIGHEST_PROTOCOL = 5;

/** Two's-complement little-endian integer (LONG1/LONG4); a number when it is exactly representable. */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return narrow(v);
}

function narrow(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Decodes the body of a protocol-0 STRING ('…' or "…" with Python escapes) as latin-1 text. */
function decodePyStringLiteral(line: string): string {
  const q = line[0];
  if (line.length < 2 || (q !== "'" && q !== '"') || line[line.length - 1] !== q) throw new TypeError('STRING argument is not quoted');
  const body = line.slice(1, -1);
  const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[++i] ?? '';
    if (n in simple) out += simple[n];
    else if (n === 'x') {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (n >= '0' && n <= '7') {
      const m = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out += String.fromCharCode(parseInt(m, 8) & 0xff);
      i += m.length - 1;
    } else out += '\\' + n;
  }
  return out;
}

/** raw-unicode-escape (protocol-0 UNICODE): only \uXXXX and \UXXXXXXXX are escapes. */
function decodeRawUnicodeEscape(bytes: Uint8Array): string {
  const s = new TextDecoder('latin1').decode(bytes);
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, u4: string | undefined, u8: string | undefined) =>
    String.fromCodePoint(parseInt((u4 ?? u8)!, 16)),
  );
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const LATIN1 = new TextDecoder('latin1');

/** Python 2 `str` payloads: torch.load decodes them as UTF-8; latin-1 is the lossless fallback. */
function decodePy2Str(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    return LATIN1.decode(bytes);
  }
}

/**
 * Runs one pickle. Returns the unpickled value and the offset just after its STOP opcode.
 * Every failure, hostile or corrupt, is a UserError naming `label`.
 */
export function unpickle(data: Uint8Array, options: UnpickleOptions): { value: unknown; end: number } {
  const { label, globals, persistentLoad } = options;
  const where = options.what ? ` (${options.what})` : '';
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = options.offset ?? 0;
  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  const memo = new Map<number, unknown>();
  const builders = new WeakMap<object, GlobalImpl>();

  const fail = (problem: string, cause?: unknown) => fileError(label, `corrupt pickle${where}: ${problem}`, cause);
  const need = (n: number) => {
    if (n < 0 || pos + n > data.length) {
      throw new PickleTruncatedError(`${label}: truncated pickle${where}: data ends at byte ${data.length} inside an opcode`);
    }
  };
  const u8 = () => {
    need(1);
    return data[pos++]!;
  };
  const take = (n: number) => {
    need(n);
    const out = data.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  /** Copies, so the value does not keep the whole pickle buffer alive and owns aligned memory. */
  const takeCopy = (n: number) => new Uint8Array(take(n));
  const u16 = () => {
    need(2);
    pos += 2;
    return view.getUint16(pos - 2, true);
  };
  const u32 = () => {
    need(4);
    pos += 4;
    return view.getUint32(pos - 4, true);
  };
  const i32 = () => {
    need(4);
    pos += 4;
    return view.getInt32(pos - 4, true);
  };
  const u64 = () => {
    need(8);
    pos += 8;
    const v = view.getBigUint64(pos - 8, true);
    if (v > BigInt(data.length)) {
      throw new PickleTruncatedError(`${label}: truncated pickle${where}: a length of ${v} bytes runs past the end of the data`);
    }
    return Number(v);
  };
  const line = () => {
    const nl = data.indexOf(0x0a, pos);
    if (nl < 0) throw new PickleTruncatedError(`${label}: truncated pickle${where}: text opcode without end of line`);
    const out = data.subarray(pos, nl);
    pos = nl + 1;
    return out;
  };
  const lineStr = () => LATIN1.decode(line());
  const pop = () => {
    if (stack.length === 0) throw fail('stack underflow');
    return stack.pop();
  };
  const top = () => {
    if (stack.length === 0) throw fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = () => {
    const items = stack;
    const prev = metastack.pop();
    if (!prev) throw fail('MARK expected');
    stack = prev;
    return items;
  };
  const memoGet = (i: number) => {
    if (!memo.has(i)) throw fail(`memo key ${i} used before it was set`);
    return memo.get(i);
  };

  const resolveGlobal = (module: string, name: string): unknown => {
    const qualname = `${module}.${name}`;
    const key = `${PY2_MODULES[module] ?? module}.${name}`;
    if (!globals.has(key)) {
      throw fileError(label, `pickle refers to global '${qualname}', which is not on the tensor-rebuild allow-list`);
    }
    const v = globals.get(key);
    if (v instanceof PyGlobal) return v;
    if (typeof v === 'object' && v !== null && ('call' in v || 'construct' in v || 'build' in v)) return new PyGlobal(qualname, v as GlobalImpl);
    return v;
  };

  const invoke = (callee: unknown, args: unknown, how: 'call' | 'construct', opname: string): unknown => {
    if (!(callee instanceof PyGlobal)) throw fail(`${opname} on something that is not an allow-listed global (${typeof callee})`);
    if (!Array.isArray(args)) throw fail(`${opname} arguments for ${callee.qualname} are not a tuple`);
    const fn = how === 'construct' ? (callee.impl.construct ?? callee.impl.call) : callee.impl.call;
    if (!fn) throw fileError(label, `pickle ${how === 'construct' ? 'instantiates' : 'calls'} '${callee.qualname}', which is only allowed as a value`);
    let result: unknown;
    try {
      result = fn.call(callee.impl, args);
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw fail(`${callee.qualname}(…) failed: ${(err as Error).message}`, err);
    }
    if (callee.impl.build && typeof result === 'object' && result !== null) builders.set(result, callee.impl);
    return result;
  };

  const setItems = (target: unknown, items: unknown[]) => {
    if (!isPlainObject(target)) throw fail('SETITEM(S) on something that is not a dict');
    if (items.length % 2) throw fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) defineKey(target, pyKeyToString(items[i]), items[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]) => {
    if (!Array.isArray(target)) throw fail('APPEND(S) on something that is not a list');
    for (const it of items) target.push(it);
  };
  const loadPersistent = (pid: unknown) => {
    if (!persistentLoad) throw fileError(label, `pickle${where} refers to an external object, which a plain pickle here may not`);
    return persistentLoad(pid);
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case OP.PROTO: {
        const v = u8();
        if (v > HIGHEST_PROTOCOL) throw fileError(label, `pickle protocol ${v} is newer than this reader (up to ${HIGHEST_PROTOCOL})`);
        break;
      }
      case OP.FRAME:
        u64(); // frames only batch reads; the data is contiguous here
        break;
      case OP.STOP: {
        if (metastack.length) throw fail('STOP inside an unclosed MARK');
        const value = pop();
        return { value, end: pos };
      }
      case OP.MARK:
        metastack.push(stack);
        stack = [];
        break;
      case OP.POP:
        if (stack.length) stack.pop();
        else popMark();
        break;
      case OP.POP_MARK:
        popMark();
        break;
      case OP.DUP:
        stack.push(top());
        break;

      // scalars
      case OP.NONE:
        stack.push(null);
        break;
      case OP.NEWTRUE:
        stack.push(true);
        break;
      case OP.NEWFALSE:
        stack.push(false);
        break;
      case OP.BININT:
        stack.push(i32());
        break;
      case OP.BININT1:
        stack.push(u8());
        break;
      case OP.BININT2:
        stack.push(u16());
        break;
      case OP.LONG1:
        stack.push(decodeLong(take(u8())));
        break;
      case OP.LONG4: {
        const n = i32();
        if (n < 0) throw fail('LONG4 with a negative length');
        stack.push(decodeLong(take(n)));
        break;
      }
      case OP.INT: {
        const s = lineStr().trim();
        if (s === '01') stack.push(true);
        else if (s === '00') stack.push(false);
        else if (/^[+-]?\d+$/.test(s)) stack.push(narrow(BigInt(s)));
        else throw fail(`INT argument '${s}' is not an integer`);
        break;
      }
      case OP.LONG: {
        const s = lineStr().trim().replace(/L$/, '');
        if (!/^[+-]?\d+$/.test(s)) throw fail(`LONG argument '${s}' is not an integer`);
        stack.push(narrow(BigInt(s)));
        break;
      }
      case OP.BINFLOAT:
        need(8);
        stack.push(view.getFloat64(pos, false)); // big-endian, unlike everything else
        pos += 8;
        break;
      case OP.FLOAT: {
        const s = lineStr().trim();
        const v = s === 'nan' ? NaN : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s);
        if (Number.isNaN(v) && s !== 'nan') throw fail(`FLOAT argument '${s}' is not a number`);
        stack.push(v);
        break;
      }

      // strings and bytes
      case OP.BINUNICODE:
        stack.push(decodeUtf8(take(u32())));
        break;
      case OP.SHORT_BINUNICODE:
        stack.push(decodeUtf8(take(u8())));
        break;
      case OP.BINUNICODE8:
        stack.push(decodeUtf8(take(u64())));
        break;
      case OP.UNICODE:
        stack.push(decodeRawUnicodeEscape(line()));
        break;
      case OP.STRING:
        stack.push(decodePyStringLiteral(lineStr()));
        break;
      case OP.BINSTRING: {
        const n = i32();
        if (n < 0) throw fail('BINSTRING with a negative length');
        stack.push(decodePy2Str(take(n)));
        break;
      }
      case OP.SHORT_BINSTRING:
        stack.push(decodePy2Str(take(u8())));
        break;
      case OP.BINBYTES:
        stack.push(takeCopy(u32()));
        break;
      case OP.SHORT_BINBYTES:
        stack.push(takeCopy(u8()));
        break;
      case OP.BINBYTES8:
      case OP.BYTEARRAY8:
        stack.push(takeCopy(u64()));
        break;

      // containers
      case OP.EMPTY_DICT:
        stack.push({});
        break;
      case OP.EMPTY_LIST:
        stack.push([]);
        break;
      case OP.EMPTY_TUPLE:
        stack.push([]);
        break;
      case OP.EMPTY_SET:
        stack.push([]);
        break;
      case OP.TUPLE1:
        stack.push([pop()]);
        break;
      case OP.TUPLE2: {
        const b = pop();
        const a = pop();
        stack.push([a, b]);
        break;
      }
      case OP.TUPLE3: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push([a, b, c]);
        break;
      }
      case OP.TUPLE:
      case OP.LIST:
      case OP.FROZENSET: {
        // popMark() swaps `stack`, so it must run before `stack.push` is looked up
        const items = popMark();
        stack.push(items);
        break;
      }
      case OP.DICT: {
        const items = popMark();
        const d = {};
        setItems(d, items);
        stack.push(d);
        break;
      }
      case OP.SETITEM: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case OP.SETITEMS: {
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case OP.APPEND: {
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case OP.APPENDS:
      case OP.ADDITEMS: {
        const items = popMark();
        appendItems(top(), items);
        break;
      }

      // memo
      case OP.BINPUT:
        memo.set(u8(), top());
        break;
      case OP.LONG_BINPUT:
        memo.set(u32(), top());
        break;
      case OP.PUT: {
        const s = lineStr();
        if (!/^\d+$/.test(s)) throw fail(`PUT argument '${s}' is not an index`);
        memo.set(Number(s), top());
        break;
      }
      case OP.MEMOIZE:
        memo.set(memo.size, top());
        break;
      case OP.BINGET:
        stack.push(memoGet(u8()));
        break;
      case OP.LONG_BINGET:
        stack.push(memoGet(u32()));
        break;
      case OP.GET: {
        const s = lineStr();
        if (!/^\d+$/.test(s)) throw fail(`GET argument '${s}' is not an index`);
        stack.push(memoGet(Number(s)));
        break;
      }

      // globals and objects: the only places where a pickle can ask for behaviour
      case OP.GLOBAL: {
        const module = lineStr();
        const name = lineStr();
        stack.push(resolveGlobal(module, name));
        break;
      }
      case OP.STACK_GLOBAL: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw fail('STACK_GLOBAL operands are not strings');
        stack.push(resolveGlobal(module, name));
        break;
      }
      case OP.INST: {
        const module = lineStr();
        const name = lineStr();
        const cls = resolveGlobal(module, name);
        const args = popMark();
        stack.push(invoke(cls, args, 'call', 'INST'));
        break;
      }
      case OP.OBJ: {
        const items = popMark();
        if (items.length === 0) throw fail('OBJ without a class');
        stack.push(invoke(items[0], items.slice(1), 'call', 'OBJ'));
        break;
      }
      case OP.REDUCE: {
        const args = pop();
        const fn = pop();
        stack.push(invoke(fn, args, 'call', 'REDUCE'));
        break;
      }
      case OP.NEWOBJ: {
        const args = pop();
        const cls = pop();
        stack.push(invoke(cls, args, 'construct', 'NEWOBJ'));
        break;
      }
      case OP.NEWOBJ_EX: {
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (isPlainObject(kwargs) && Object.keys(kwargs).length) throw fail('NEWOBJ_EX with keyword arguments is not supported');
        stack.push(invoke(cls, args, 'construct', 'NEWOBJ_EX'));
        break;
      }
      case OP.BUILD: {
        const state = pop();
        const obj = top();
        // Python would call __setstate__ or update __dict__. Only objects made by an allow-listed
        // global that asks for its state get it; for everything else (dicts, tensors) it is dropped,
        // which is what we want for OrderedDict._metadata and tensor hooks.
        if (typeof obj === 'object' && obj !== null) builders.get(obj)?.build?.(obj, state);
        break;
      }
      case OP.BINPERSID:
        stack.push(loadPersistent(pop()));
        break;
      case OP.PERSID:
        stack.push(loadPersistent(lineStr()));
        break;

      case OP.EXT1:
      case OP.EXT2:
      case OP.EXT4:
        throw fileError(label, 'pickle uses the copyreg extension registry (EXT opcodes), which is not supported');
      case OP.NEXT_BUFFER:
      case OP.READONLY_BUFFER:
        throw fileError(label, 'pickle uses out-of-band buffers (protocol 5), which are not supported');
      default:
        throw fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}`);
    }
  }

  function decodeUtf8(bytes: Uint8Array): string {
    try {
      return UTF8.decode(bytes);
    } catch {
      // Python writes lone surrogates with 'surrogatepass'; keep going rather than refuse the file
      return new TextDecoder('utf-8').decode(bytes);
    }
  }
}
