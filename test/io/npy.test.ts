import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { encodeNpyHeader, parseNpy, readNpy, readNpyHeader, writeNpy } from '../../src/io/npy.js';
import { REF, tempDir } from './helpers.js';

const dir = tempDir();

/** A .npy file with a hand-written header dict (padded the way numpy pads it). */
function npyWith(dict: string, data: Uint8Array, version: 1 | 2 | 3 = 1): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  let text = dict;
  text += ' '.repeat((64 - ((pre + text.length + 1) % 64)) % 64) + '\n';
  const h = Buffer.from(text, version === 3 ? 'utf8' : 'latin1');
  const out = Buffer.alloc(pre + h.length + data.length);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(out, 0);
  if (version === 1) out.writeUInt16LE(h.length, 8);
  else out.writeUInt32LE(h.length, 8);
  h.copy(out, pre);
  Buffer.from(data).copy(out, pre + h.length);
  return out;
}

describe('.npy', () => {
  it('reads the reference arrays (numpy-written, v1.0)', () => {
    const z = readNpy(join(REF, 'z.npy'));
    expect(z.dtype).toBe('float32');
    expect(z.shape).toEqual([2, 64]);
    expect(z.data[0]).toBeCloseTo(-0.820135, 5);
    expect(z.data[3]).toBeCloseTo(-1.3884, 4);
    expect(readNpyHeader(join(REF, 'img_from_z.npy'))).toEqual({ dtype: 'float32', shape: [2, 3, 64, 64] });
  });

  it('writes byte-identical to numpy and round-trips every dtype', async () => {
    const wplus = readNpy(join(REF, 'wplus.npy'));
    await writeNpy(join(dir, 'wplus.npy'), wplus);
    expect(readFileSync(join(dir, 'wplus.npy')).equals(readFileSync(join(REF, 'wplus.npy')))).toBe(true);

    const cases = [
      { dtype: 'float64', shape: [3], data: new Float64Array([1 / 3, -1e300, 0]) },
      { dtype: 'float32', shape: [], data: new Float32Array([2.5]) },
      { dtype: 'int32', shape: [2, 1], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1]) },
      { dtype: 'int64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 62n]) },
      { dtype: 'uint8', shape: [3], data: new Uint8Array([0, 128, 255]) },
      { dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) },
      { dtype: 'float32', shape: [0, 5], data: new Float32Array(0) },
    ] as const;
    for (const [i, c] of cases.entries()) {
      const p = join(dir, `rt${i}.npy`);
      await writeNpy(p, c);
      const raw = readFileSync(p);
      expect(((raw.readUInt16LE(8) + 10) % 64)).toBe(0);
      expect(readNpy(p)).toEqual({ dtype: c.dtype, shape: [...c.shape], data: c.data });
    }
    expect(new TextDecoder().decode(encodeNpyHeader('float32', [7]))).toContain("'shape': (7,), }");
  });

  it('reads v2.0 and v3.0 headers and big-endian data', () => {
    const le = new Uint8Array(new Float64Array([1.5, -2]).buffer);
    const v2 = parseNpy(npyWith("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", le, 2), 'v2.npy');
    expect(v2).toEqual({ dtype: 'float64', shape: [2], data: new Float64Array([1.5, -2]) });
    const be = Buffer.alloc(8);
    be.writeInt32BE(-5, 0);
    be.writeInt32BE(70000, 4);
    const v3 = parseNpy(npyWith("{'descr': '>i4', 'fortran_order': False, 'shape': (1, 2), }", be, 3), 'v3.npy');
    expect(v3).toEqual({ dtype: 'int32', shape: [1, 2], data: new Int32Array([-5, 70000]) });
  });

  it('refuses Fortran order, object arrays, odd dtypes and truncation with clear messages', () => {
    const six = new Uint8Array(24);
    const fail = (name: string, bytes: Uint8Array, re: RegExp) => {
      const p = join(dir, name);
      writeFileSync(p, bytes);
      let err: unknown;
      try {
        readNpy(p);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(re);
    };
    fail('f.npy', npyWith("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", six), /f\.npy: stores a Fortran-order \(column-major\) array, which is not supported/);
    fail('o.npy', npyWith("{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", six), /o\.npy: holds a Python object array/);
    fail('c.npy', npyWith("{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }", six), /c\.npy: has dtype '<c8', which is not supported/);
    fail('rec.npy', npyWith("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,), }", six), /rec\.npy: holds a structured/);
    fail('t.npy', npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", six.subarray(0, 20)), /t\.npy: truncated \.npy file: float32 2×3 needs 24 bytes of data but 20 follow/);
    fail('x.npy', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), /x\.npy: not a \.npy file/);
    fail('h.npy', npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ", six), /h\.npy: corrupt \.npy header/);
    // a 1-D array is the same in both orders, so numpy's fortran_order flag is harmless there
    expect(parseNpy(npyWith("{'descr': '<f4', 'fortran_order': True, 'shape': (6,), }", six), 'ok.npy').shape).toEqual([6]);
    expect(() => readNpy(join(dir, 'missing.npy'))).toThrow(/missing\.npy: no such file/);
  });
});
