import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { ZipReader } from '../../src/io/zip.js';
import { makeZip, tempDir } from './helpers.js';

const dir = tempDir();

// Written by CPython's zipfile with ZIP64_LIMIT forced down to 4 bytes, so both entries carry
// ZIP64 extra fields (sizes, and for the second one its local header offset) and the archive
// ends with a ZIP64 end record + locator, the way torch writes large checkpoints.
const ZIP64 =
  '504b03042d0000000000c376795d8ea37324ffffffffffffffff05001400612e747874010010000c000000000000000c0000000000000068656c6c6f2073746f726564504b03042d0000000800c376795d07d66f90ffffffffffffffff090014006469722f622e74787401001000b4000000000000000e000000000000004b494dcb492c494d5148193a0c00504b01022d032d0000000000c376795d8ea37324ffffffffffffffff050014000000000000000000800100000000612e747874010010000c000000000000000c00000000000000504b01022d032d0000000800c376795d07d66f90ffffffffffffffff09001c0000000000000000008001ffffffff6469722f622e74787401001800b4000000000000000e000000000000004300000000000000504b06062c000000000000002d002d000000000000000000020000000000000002000000000000009a000000000000008c00000000000000504b060700000000260100000000000001000000504b050600000000020002009a0000008c0000000000';

function file(name: string, data: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

function readAll(path: string): Record<string, string> {
  const z = ZipReader.open(path);
  try {
    return Object.fromEntries(z.entries.map((e) => [e.name, new TextDecoder().decode(z.readEntry(e))]));
  } finally {
    z.close();
  }
}

describe('ZipReader', () => {
  it('reads ZIP64 archives with stored and deflated entries', () => {
    const p = file('z64.zip', new Uint8Array(Buffer.from(ZIP64, 'hex')));
    expect(readAll(p)).toEqual({ 'a.txt': 'hello stored', 'dir/b.txt': 'deflated '.repeat(20) });
  });

  it('takes the counts from the ZIP64 record when the classic end record is saturated', () => {
    const buf = Buffer.from(ZIP64, 'hex');
    const eocd = buf.length - 22;
    buf.writeUInt16LE(0xffff, eocd + 8);
    buf.writeUInt16LE(0xffff, eocd + 10);
    buf.writeUInt32LE(0xffffffff, eocd + 12);
    buf.writeUInt32LE(0xffffffff, eocd + 16);
    expect(Object.keys(readAll(file('sat.zip', buf)))).toEqual(['a.txt', 'dir/b.txt']);
  });

  it('detects corruption and truncation with messages naming the file', () => {
    const good = Buffer.from(makeZip({ 'x/data.pkl': 'abcdef' }));
    const flipped = Buffer.from(good);
    flipped[30 + 'x/data.pkl'.length] ^= 1;
    expect(() => readAll(file('crc.zip', flipped))).toThrow(/crc\.zip: corrupt zip: entry 'x\/data\.pkl' fails its CRC-32 check/);
    expect(() => readAll(file('cut.zip', good.subarray(0, good.length - 30)))).toThrow(/cut\.zip: truncated zip: central directory missing/);
    expect(() => readAll(file('text.zip', new Uint8Array(Buffer.from('definitely not a zip file at all'))))).toThrow(
      /text\.zip: not a zip archive \(no end-of-central-directory record\)/,
    );
    const z64 = Buffer.from(ZIP64, 'hex');
    z64[0x80] ^= 0xff; // inside the deflated stream of dir/b.txt (its data starts at 0x7e)
    let err: unknown;
    try {
      readAll(file('inflate.zip', z64));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/inflate\.zip: corrupt zip: entry 'dir\/b\.txt'/);
  });
});
