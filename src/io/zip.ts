/**
 * A read-only zip reader over a file descriptor, enough for PyTorch checkpoints (which are zip
 * archives written by miniz: stored entries, ZIP64 once past 4 GB or 65535 entries). Only the
 * central directory is read up front; entry data is read when asked for, because official
 * checkpoints are over a gigabyte.
 */
import * as zlib from 'node:zlib';
import { fileError } from '../errors.js';
import { ReadableFile } from './files.js';

export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflated; anything else is refused when read. */
  readonly method: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly crc32: number;
  readonly localHeaderOffset: number;
  readonly encrypted: boolean;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
/** Deflate cannot expand data by more than about 1032:1; a larger claim is a zip bomb or corruption. */
const MAX_DEFLATE_RATIO = 1032;

// zlib.crc32 exists from Node 20.15 / 22.2; on older Node 20 releases the check is skipped.
const crc32 = (zlib as unknown as { crc32?: (data: Uint8Array) => number }).crc32;

function u64(view: DataView, at: number): number {
  const v = view.getBigUint64(at, true);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

export class ZipReader {
  private readonly byName: Map<string, ZipEntry>;

  private constructor(
    private readonly file: ReadableFile,
    readonly entries: readonly ZipEntry[],
  ) {
    this.byName = new Map(entries.map((e) => [e.name, e]));
  }

  /** Opens and indexes an archive; the descriptor stays open until close(). */
  static open(path: string): ZipReader {
    const file = ReadableFile.open(path);
    try {
      return new ZipReader(file, readCentralDirectory(file));
    } catch (err) {
      file.close();
      throw err;
    }
  }

  /** Indexes an already opened file (used when the caller sniffed the content first). */
  static fromFile(file: ReadableFile): ZipReader {
    return new ZipReader(file, readCentralDirectory(file));
  }

  get label(): string {
    return this.file.label;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  entry(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  /** Reads and (if needed) inflates one entry; the result owns its own ArrayBuffer at offset 0. */
  read(name: string): Uint8Array {
    const e = this.byName.get(name);
    if (!e) throw fileError(this.label, `zip entry '${name}' is missing`);
    return this.readEntry(e);
  }

  readEntry(e: ZipEntry): Uint8Array {
    const bad = (problem: string) => fileError(this.label, `corrupt zip: entry '${e.name}' ${problem}`);
    if (e.encrypted) throw fileError(this.label, `zip entry '${e.name}' is encrypted, which is not supported`);
    if (e.method !== 0 && e.method !== 8) {
      throw fileError(this.label, `zip entry '${e.name}' uses compression method ${e.method}; only stored (0) and deflate (8) are supported`);
    }
    const local = this.file.read(e.localHeaderOffset, 30, `the local header of zip entry '${e.name}'`);
    const view = new DataView(local.buffer);
    if (view.getUint32(0, true) !== SIG_LOCAL) throw bad('has no local header where the central directory says');
    // the local name/extra lengths may differ from the central ones (torch pads the local extra
    // field so tensor data starts 64-byte aligned), so the data offset comes from here
    const dataStart = e.localHeaderOffset + 30 + view.getUint16(26, true) + view.getUint16(28, true);
    if (dataStart + e.compressedSize > this.file.size) {
      throw fileError(this.label, `truncated zip: entry '${e.name}' runs past the end of the file`);
    }
    const raw = this.file.read(dataStart, e.compressedSize, `zip entry '${e.name}'`);
    let data: Uint8Array;
    if (e.method === 0) {
      if (e.compressedSize !== e.uncompressedSize) throw bad('is stored but its two sizes differ');
      data = raw;
    } else {
      if (e.uncompressedSize > e.compressedSize * MAX_DEFLATE_RATIO + 1024) throw bad('claims an impossible compression ratio');
      let out: Buffer;
      try {
        out = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, e.uncompressedSize) });
      } catch (err) {
        throw bad(`does not inflate (${(err as Error).message})`);
      }
      if (out.length !== e.uncompressedSize) throw bad(`inflates to ${out.length} bytes, not ${e.uncompressedSize}`);
      // inflate output may be a slice of a larger allocation; typed-array views need offset 0
      data = out.byteOffset === 0 ? new Uint8Array(out.buffer, 0, out.length) : new Uint8Array(out);
    }
    if (crc32 && crc32(data) >>> 0 !== e.crc32 >>> 0) throw bad('fails its CRC-32 check');
    return data;
  }

  close(): void {
    this.file.close();
  }
}

function readCentralDirectory(file: ReadableFile): ZipEntry[] {
  const label = file.label;
  const startsLikeZip = () => {
    if (file.size < 4) return false;
    return new DataView(file.read(0, 4, 'the file signature').buffer).getUint32(0, true) === SIG_LOCAL;
  };
  if (file.size < EOCD_SIZE) {
    throw fileError(label, startsLikeZip() ? 'truncated zip: central directory missing' : 'not a zip archive (too short)');
  }
  // the end-of-central-directory record is in the last 22 + 65535 bytes (it ends with a comment)
  const tailLen = Math.min(file.size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = file.size - tailLen;
  const tail = file.read(tailStart, tailLen, 'the end of the zip');
  const tv = new DataView(tail.buffer);
  let eocd = -1;
  for (let i = tailLen - EOCD_SIZE; i >= 0; i--) {
    if (tv.getUint32(i, true) === SIG_EOCD && i + EOCD_SIZE + tv.getUint16(i + 20, true) === tailLen) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    // a zip cut short keeps its local headers at the start but loses the directory at the end
    throw fileError(label, startsLikeZip() ? 'truncated zip: central directory missing' : 'not a zip archive (no end-of-central-directory record)');
  }
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  let cdEnd = tailStart + eocd; // where the directory should end if nothing is prepended

  // ZIP64: a locator just before the EOCD points at the ZIP64 record, which holds the real values
  // when the 16/32-bit ones are saturated. torch writes these records even for small archives.
  const locAt = tailStart + eocd - 20;
  const loc = locAt >= 0 ? new DataView(file.read(locAt, 20, 'the ZIP64 locator').buffer) : undefined;
  if (loc && loc.getUint32(0, true) === SIG_ZIP64_LOCATOR) {
    const z64At = u64(loc, 8);
    if (z64At + 56 > locAt) throw fileError(label, 'corrupt zip: ZIP64 locator points past itself');
    const z64 = new DataView(file.read(z64At, 56, 'the ZIP64 end-of-central-directory record').buffer);
    if (z64.getUint32(0, true) !== SIG_ZIP64_EOCD) throw fileError(label, 'corrupt zip: ZIP64 end-of-central-directory record missing');
    if (count === 0xffff) count = u64(z64, 32);
    if (cdSize === 0xffffffff) cdSize = u64(z64, 40);
    if (cdOffset === 0xffffffff) cdOffset = u64(z64, 48);
    cdEnd = z64At;
  } else if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    throw fileError(label, 'corrupt zip: ZIP64 locator missing');
  }
  // data prepended to the archive (self-extractors) shifts every offset by the same amount
  const shift = cdEnd - (cdOffset + cdSize);
  if (shift < 0) throw fileError(label, 'truncated zip: central directory missing or cut short');
  cdOffset += shift;
  if (count > cdSize / 46) throw fileError(label, `corrupt zip: ${count} entries cannot fit a ${cdSize}-byte central directory`);

  const cd = file.read(cdOffset, cdSize, 'the zip central directory');
  const v = new DataView(cd.buffer);
  const utf8 = new TextDecoder('utf-8');
  const latin1 = new TextDecoder('latin1');
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdSize || v.getUint32(p, true) !== SIG_CENTRAL) {
      throw fileError(label, `corrupt zip: central directory entry ${i} is damaged`);
    }
    const flags = v.getUint16(p + 8, true);
    const method = v.getUint16(p + 10, true);
    const crc = v.getUint32(p + 16, true);
    let compressedSize = v.getUint32(p + 20, true);
    let uncompressedSize = v.getUint32(p + 24, true);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    let localHeaderOffset = v.getUint32(p + 42, true);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cdSize) throw fileError(label, `corrupt zip: central directory entry ${i} is damaged`);
    const nameBytes = cd.subarray(p + 46, p + 46 + nameLen);
    // bit 11 marks UTF-8 names; older tools used CP437, for which latin1 is close enough for messages
    const name = (flags & 0x800 ? utf8 : latin1).decode(nameBytes);

    // ZIP64 extra field (id 1): 8-byte values for exactly those fields that are saturated above
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = v.getUint16(x, true);
      const size = v.getUint16(x + 2, true);
      if (id === 0x0001) {
        let q = x + 4;
        const take = () => {
          if (q + 8 > x + 4 + size) throw fileError(label, `corrupt zip: ZIP64 field of entry '${name}' is too short`);
          const val = u64(v, q);
          q += 8;
          return val;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
      }
      x += 4 + size;
    }
    localHeaderOffset += shift;
    if (localHeaderOffset + 30 > file.size) throw fileError(label, `truncated zip: entry '${name}' starts past the end of the file`);
    entries.push({ name, method, compressedSize, uncompressedSize, crc32: crc, localHeaderOffset, encrypted: (flags & 1) !== 0 });
    p = end;
  }
  return entries;
}
