/**
 * Reading files by position with errors a user can act on. Large checkpoints (1.2 GB) are never read
 * whole: readers keep a descriptor open and pull the byte ranges they need through these helpers.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { fileError, UserError } from '../errors.js';

/** Turns an fs error into the one-line problem description used after `file:`. */
export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a parent of this path is not a directory';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EROFS':
      return 'the file system is read-only';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

/** A file opened for positional reads; `label` is the path as the user wrote it, for messages. */
export class ReadableFile {
  private closed = false;

  private constructor(
    readonly label: string,
    private readonly fd: number,
    readonly size: number,
  ) {}

  static open(path: string): ReadableFile {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      throw fileError(path, describeFsError(err), err);
    }
    try {
      const st = fstatSync(fd);
      if (st.isDirectory()) throw fileError(path, 'is a directory, not a file');
      return new ReadableFile(path, fd, st.size);
    } catch (err) {
      closeSync(fd);
      if (err instanceof UserError) throw err;
      throw fileError(path, describeFsError(err), err);
    }
  }

  /**
   * Reads exactly `length` bytes at `position` into fresh memory. The buffer owns its own
   * ArrayBuffer at offset 0, so callers may view it as Float32Array/BigInt64Array without copying
   * (pooled Buffers can start at odd offsets). `what` names the part for the truncation message.
   */
  read(position: number, length: number, what: string): Uint8Array {
    if (this.closed) throw new Error(`${this.label}: read after close`);
    if (position < 0 || length < 0 || position + length > this.size) {
      throw fileError(this.label, `truncated: ${what} needs bytes ${position}..${position + length} but the file has ${this.size}`);
    }
    const out = new Uint8Array(new ArrayBuffer(length));
    let done = 0;
    while (done < length) {
      // readSync caps one call at 2 GB, so large storages take several calls
      const n = readSync(this.fd, out, done, Math.min(length - done, 0x40000000), position + done);
      if (n === 0) throw fileError(this.label, `truncated: ${what} ends early (the file shrank while being read?)`);
      done += n;
    }
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** Reads the first bytes of a file (fewer if it is shorter) for content sniffing. */
export function readHead(path: string, length: number): { head: Uint8Array; size: number } {
  const f = ReadableFile.open(path);
  try {
    const n = Math.min(length, f.size);
    return { head: f.read(0, n, 'the file header'), size: f.size };
  } finally {
    f.close();
  }
}
