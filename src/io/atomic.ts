/**
 * Atomic file writes: data goes to a temp file in the target's directory, is fsynced, and is renamed
 * over the target. A crash or error mid-write leaves either the old file or the new one, never a
 * half-written checkpoint that a later run would load as "truncated". The temp file sits in the same
 * directory because rename is only atomic within one file system.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileError, UserError } from '../errors.js';
import { describeFsError } from './files.js';

export interface AtomicWriter {
  /** The final path. */
  readonly path: string;
  /** The temp file being written (`.<name>.tmp-<pid>-<random>`). */
  readonly tempPath: string;
  write(chunk: Uint8Array | string): Promise<void>;
  /** Flushes to disk and renames over `path`. The writer is finished afterwards. */
  commit(): Promise<void>;
  /** Discards the temp file; safe to call after a failed write or twice. */
  abort(): Promise<void>;
}

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

function writeError(path: string, err: unknown): UserError {
  if (err instanceof UserError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return fileError(path, `cannot write: directory ${dirname(path)} does not exist`, err);
  return fileError(path, `cannot write: ${describeFsError(err)}`, err);
}

class TempFileWriter implements AtomicWriter {
  private state: 'open' | 'committed' | 'aborted' = 'open';

  constructor(
    readonly path: string,
    readonly tempPath: string,
    private readonly handle: FileHandle,
  ) {}

  async write(chunk: Uint8Array | string): Promise<void> {
    if (this.state !== 'open') throw new Error(`${this.path}: write after ${this.state}`);
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    try {
      let done = 0;
      // FileHandle.write may write less than asked (large chunks, signals); loop until all is out
      while (done < bytes.length) {
        const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done);
        done += bytesWritten;
      }
    } catch (err) {
      await this.abort();
      throw writeError(this.path, err);
    }
  }

  async commit(): Promise<void> {
    if (this.state !== 'open') throw new Error(`${this.path}: commit after ${this.state}`);
    try {
      await this.handle.sync();
      await this.handle.close();
      await rename(this.tempPath, this.path);
      this.state = 'committed';
    } catch (err) {
      await this.abort();
      throw writeError(this.path, err);
    }
    await syncDirectory(dirname(this.path));
  }

  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await this.handle.close().catch(() => undefined);
    await unlink(this.tempPath).catch(() => undefined);
  }
}

/**
 * fsync the directory so the rename itself survives a power cut. Best effort: some platforms and
 * file systems refuse to open or sync directories, and the data file is already safe by then.
 */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // ignored on purpose, see above
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Opens a streaming atomic writer; nothing appears at `path` until `commit()`. */
export async function openAtomic(path: string): Promise<AtomicWriter> {
  const tempPath = tempPathFor(path);
  let handle: FileHandle;
  try {
    handle = await open(tempPath, 'wx');
  } catch (err) {
    throw writeError(path, err);
  }
  return new TempFileWriter(path, tempPath, handle);
}

/** Writes a whole file atomically. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const w = await openAtomic(path);
  await w.write(data);
  await w.commit();
}

/**
 * Runs `fill` against a streaming writer and commits, or removes the temp file if `fill` throws;
 * saves every caller from writing the same try/abort/rethrow.
 */
export async function withAtomicWriter(path: string, fill: (w: AtomicWriter) => Promise<void>): Promise<void> {
  const w = await openAtomic(path);
  try {
    await fill(w);
  } catch (err) {
    await w.abort();
    throw err;
  }
  await w.commit();
}
