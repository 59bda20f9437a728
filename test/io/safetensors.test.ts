import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { readSafetensors, SafetensorsFile, writeSafetensors } from '../../src/io/safetensors.js';
import { int64ToNumbers } from '../../src/io/tensor.js';
import { tempDir } from './helpers.js';

const dir = tempDir();

/** Assembles a safetensors file from a header object (or raw header text) and a data region. */
function craft(name: string, header: unknown, data: Uint8Array = new Uint8Array(0), headerLen?: bigint): string {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(headerLen ?? BigInt(json.length));
  const p = join(dir, name);
  writeFileSync(p, Buffer.concat([len, json, data]));
  return p;
}

function refuse(path: string, message: RegExp): void {
  let err: unknown;
  try {
    SafetensorsFile.open(path).close();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UserError);
  expect((err as Error).message).toMatch(message);
}

describe('safetensors round trip', () => {
  it('F32, F16 and I64 with metadata', async () => {
    const p = join(dir, 'rt.safetensors');
    const w = new Float32Array([0.1, -2.5, 3.75, 1e-3, 65504, 0]);
    const h = [1, -0.5, 1 / 3, 2 ** -24, 70000];
    const ids = new BigInt64Array([0n, -1n, 2n ** 62n, -(2n ** 63n)]);
    await writeSafetensors(
      p,
      {
        'layer.weight': { dtype: 'float32', shape: [2, 3], data: w },
        'b.half': { dtype: 'float16', shape: [5], data: h },
        'a.ids': { dtype: 'int64', shape: [2, 2], data: ids },
        'num_batches_tracked': { dtype: 'int64', shape: [], data: [0] },
        'empty': { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) },
      },
      { format: 'pt', note: 'héllo' },
    );
    const raw = readFileSync(p);
    const n = Number(raw.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(raw.toString('utf8', 8, 8 + n)) as Record<string, unknown>;
    expect(Object.keys(header)).toEqual(['__metadata__', 'a.ids', 'b.half', 'empty', 'layer.weight', 'num_batches_tracked']);
    expect(header['b.half']).toMatchObject({ dtype: 'F16', shape: [5] });

    const { tensors, metadata } = readSafetensors(p);
    expect(metadata).toEqual({ format: 'pt', note: 'héllo' });
    expect(tensors['layer.weight']).toEqual({ dtype: 'float32', shape: [2, 3], data: w });
    expect(tensors['b.half']!.dtype).toBe('float16');
    expect(Array.from(tensors['b.half']!.data as Float32Array)).toEqual([1, -0.5, 0.333251953125, 2 ** -24, Infinity]);
    expect(tensors['a.ids']!.data).toEqual(ids);
    expect(tensors['num_batches_tracked']).toEqual({ dtype: 'int64', shape: [], data: new BigInt64Array([0n]) });
    expect(tensors['empty']!.shape).toEqual([0, 4]);
    expect(int64ToNumbers(tensors['num_batches_tracked']!.data as BigInt64Array)).toEqual([0]);
    expect(() => int64ToNumbers(ids)).toThrow(RangeError);
  });

  it('data starts aligned to each element size (largest types first)', async () => {
    const p = join(dir, 'align.safetensors');
    await writeSafetensors(p, {
      a: { dtype: 'uint8', shape: [3], data: new Uint8Array([1, 2, 3]) },
      b: { dtype: 'float16', shape: [1], data: [1] },
      c: { dtype: 'float32', shape: [1], data: [1] },
      d: { dtype: 'int64', shape: [1], data: [5] },
      e: { dtype: 'bool', shape: [2], data: [1, 0] },
      f: { dtype: 'int32', shape: [2], data: new Int32Array([-7, 7]) },
    });
    const f = SafetensorsFile.open(p);
    try {
      for (const k of f.keys()) {
        const info = f.info(k);
        const size = { I64: 8, F32: 4, I32: 4, F16: 2, U8: 1, BOOL: 1 }[info.fileDtype]!;
        expect(info.byteOffset % size).toBe(0);
      }
      expect(f.get('e')).toEqual({ dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) });
      expect(f.get('f').data).toEqual(new Int32Array([-7, 7]));
    } finally {
      f.close();
    }
  });

  it('reads BF16 (hand-made bytes) as float32', () => {
    // bfloat16 bits: 1.0 = 0x3f80, -2.0 = 0xc000, 3.140625 = 0x4049, tiny 0x0001
    const data = new Uint8Array(new Uint16Array([0x3f80, 0xc000, 0x4049, 0x0001]).buffer);
    const p = craft('bf16.safetensors', { x: { dtype: 'BF16', shape: [2, 2], data_offsets: [0, 8] } }, data);
    const t = readSafetensors(p).tensors['x']!;
    expect(t.dtype).toBe('bfloat16');
    expect(Array.from(t.data as Float32Array)).toEqual([1, -2, 3.140625, 2 ** -133]);
  });

  it('a lazy file reads tensors on demand', () => {
    const p = craft('lazy.safetensors', {
      __metadata__: { k: 'v' },
      b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      f8: { dtype: 'F8_E4M3', shape: [2], data_offsets: [8, 10] },
    }, new Uint8Array(new Float32Array([1.5, 2.5, 0]).buffer).subarray(0, 10));
    const f = SafetensorsFile.open(p);
    try {
      expect(f.keys()).toEqual(['a', 'b', 'f8']);
      expect(f.metadata).toEqual({ k: 'v' });
      expect(f.info('f8')).toMatchObject({ fileDtype: 'F8_E4M3', dtype: undefined, shape: [2] });
      expect(f.get('b').data).toEqual(new Float32Array([2.5]));
      expect(() => f.get('f8')).toThrow(/lazy\.safetensors: tensor 'f8' has dtype F8_E4M3, which this reader does not support/);
      expect(() => f.get('zz')).toThrow(/no tensor named 'zz'/);
    } finally {
      f.close();
    }
  });
});

describe('corrupt and truncated safetensors', () => {
  const ok = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const eight = new Uint8Array(8);

  it('shorter than the length prefix', () => {
    writeFileSync(join(dir, 'tiny.safetensors'), Buffer.from([1, 2, 3]));
    refuse(join(dir, 'tiny.safetensors'), /tiny\.safetensors: truncated safetensors file: 3 bytes/);
  });
  it('header length past the end of the file', () => {
    refuse(craft('len.safetensors', ok, eight, 10_000n), /len\.safetensors: truncated safetensors file: header length 10000 runs past the end/);
  });
  it('absurd header length', () => {
    refuse(craft('huge.safetensors', ok, eight, 2n ** 60n), /huge\.safetensors: not a safetensors file or corrupt: header length \d+ is over the 100 MB/);
  });
  it('invalid JSON', () => {
    refuse(craft('json.safetensors', '{"w": {"dtype": "F32",', eight), /json\.safetensors: corrupt safetensors header: invalid JSON/);
    refuse(craft('arr.safetensors', '[1, 2]', eight), /the JSON is not an object/);
  });
  it('offsets outside the data region (e.g. the data was cut off)', () => {
    refuse(craft('oob.safetensors', ok, new Uint8Array(4)), /oob\.safetensors: truncated: tensor 'w' needs bytes up to 8 of the data region, the file holds 4$/);
  });
  it('offsets inconsistent with shape × dtype', () => {
    refuse(craft('size.safetensors', { w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, eight), /tensor 'w' is F32 3 = 12 bytes but data_offsets span 8/);
  });
  it('missing fields, overlaps, bad metadata', () => {
    refuse(craft('nodtype.safetensors', { w: { shape: [2], data_offsets: [0, 8] } }, eight), /tensor 'w' has no dtype/);
    refuse(craft('noshape.safetensors', { w: { dtype: 'F32', shape: [-1], data_offsets: [0, 8] } }, eight), /tensor 'w' has no valid shape/);
    refuse(craft('nooff.safetensors', { w: { dtype: 'F32', shape: [2] } }, eight), /tensor 'w' has no valid data_offsets/);
    refuse(
      craft('overlap.safetensors', { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, eight),
      /tensors 'a' and 'b' overlap/,
    );
    refuse(craft('meta.safetensors', { __metadata__: { n: 1 }, ...ok }, eight), /__metadata__ value 'n' is not a string/);
  });
  it('a file cut in half', async () => {
    const p = join(dir, 'full.safetensors');
    await writeSafetensors(p, { x: { dtype: 'float32', shape: [100], data: new Float32Array(100) } });
    const raw = readFileSync(p);
    writeFileSync(join(dir, 'cut.safetensors'), raw.subarray(0, raw.length >> 1));
    refuse(join(dir, 'cut.safetensors'), /cut\.safetensors: truncated: tensor 'x' needs bytes up to 400 of the data region/);
  });
  it('missing file', () => refuse(join(dir, 'nope.safetensors'), /nope\.safetensors: no such file/));
});
