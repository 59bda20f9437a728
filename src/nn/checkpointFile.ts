/**
 * A training checkpoint on disk: one safetensors file, split into parts when it would exceed a size
 * limit. The repository refuses files over 30 MB, and a run's checkpoint (parameters plus two Adam
 * moments) must be committable so that a fresh machine can `--resume` it.
 *
 * Layout: `<dir>/checkpoint.safetensors` holds the metadata, the list of its parts and as many
 * tensors as fit; each part `checkpoint.s<step>.p<k>.safetensors` holds more. Parts are named by
 * step and written before the main file is renamed into place, so a crash at any moment leaves the
 * previous complete set readable; stale parts are removed only after the new main file exists.
 */
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileError } from '../errors.js';
import { SafetensorsFile, writeSafetensors, type TensorToWrite } from '../io/safetensors.js';
import { DTYPE_SIZE, numelOf, type Tensor } from '../io/tensor.js';

/** Below GitHub's 50 MB warning and the project's 30 MB limit, with room for the header. */
export const DEFAULT_PART_BYTES = 24 * 1024 * 1024;

const PART_RE = /^checkpoint\.s(\d+)\.p(\d+)\.safetensors$/;

function partName(step: number, k: number): string {
  return `checkpoint.s${String(step).padStart(8, '0')}.p${k}.safetensors`;
}

function sizeOf(t: TensorToWrite): number {
  return numelOf(t.shape) * DTYPE_SIZE[t.dtype];
}

/**
 * Writes `tensors` at `file` (atomically, see above). `step` names the parts; tensors are packed in
 * name order, each file up to `maxBytes` of tensor data (a single larger tensor gets a file alone).
 */
export async function writeCheckpointFile(
  file: string,
  tensors: Record<string, TensorToWrite>,
  metadata: Record<string, string>,
  opts: { step: number; maxBytes?: number },
): Promise<void> {
  const maxBytes = opts.maxBytes ?? DEFAULT_PART_BYTES;
  const groups: string[][] = [[]];
  let used = 0;
  for (const name of Object.keys(tensors).sort()) {
    const n = sizeOf(tensors[name]!);
    if (used > 0 && used + n > maxBytes) {
      groups.push([]);
      used = 0;
    }
    groups[groups.length - 1]!.push(name);
    used += n;
  }
  const dir = path.dirname(file);
  const parts = groups.slice(1).map((_, i) => partName(opts.step, i + 1));
  const pick = (names: string[]) => Object.fromEntries(names.map((n) => [n, tensors[n]!]));
  for (let i = 1; i < groups.length; i++) {
    await writeSafetensors(path.join(dir, parts[i - 1]!), pick(groups[i]!), { checkpointStep: String(opts.step) });
  }
  await writeSafetensors(file, pick(groups[0]!), parts.length ? { ...metadata, parts: JSON.stringify(parts), checkpointStep: String(opts.step) } : metadata);
  if (path.basename(file) === 'checkpoint.safetensors') {
    for (const f of readdirSync(dir)) if (PART_RE.test(f) && !parts.includes(f)) rmSync(path.join(dir, f), { force: true });
  }
}

/** A checkpoint opened for reading, its parts included; tensors are read one at a time. */
export class CheckpointFile {
  private readonly owner = new Map<string, SafetensorsFile>();

  private constructor(
    private readonly files: SafetensorsFile[],
    readonly metadata: Record<string, string>,
  ) {
    for (const f of files) for (const k of f.keys()) this.owner.set(k, f);
  }

  static open(file: string): CheckpointFile {
    const main = SafetensorsFile.open(file);
    const files = [main];
    try {
      const meta = { ...main.metadata };
      const raw = meta['parts'];
      if (raw !== undefined) {
        const parts = JSON.parse(raw) as string[];
        for (const p of parts) {
          if (!PART_RE.test(p)) throw fileError(file, `lists a part with an unexpected name: ${p}`);
          const full = path.join(path.dirname(file), p);
          let f: SafetensorsFile;
          try {
            f = SafetensorsFile.open(full);
          } catch (err) {
            throw fileError(file, `its part ${p} cannot be read (${(err as Error).message}); copy the checkpoint's part files along with it`);
          }
          files.push(f);
          if (f.metadata['checkpointStep'] !== meta['checkpointStep']) {
            throw fileError(full, `belongs to the checkpoint of step ${f.metadata['checkpointStep']}, not ${meta['checkpointStep']}`);
          }
        }
        delete meta['parts'];
        delete meta['checkpointStep'];
      }
      return new CheckpointFile(files, meta);
    } catch (err) {
      for (const f of files) f.close();
      throw err;
    }
  }

  get path(): string {
    return this.files[0]!.path;
  }

  /** Every file of the checkpoint, the main one first. */
  get paths(): string[] {
    return this.files.map((f) => f.path);
  }

  keys(): string[] {
    return [...this.owner.keys()];
  }

  has(key: string): boolean {
    return this.owner.has(key);
  }

  get(key: string): Tensor {
    const f = this.owner.get(key);
    if (!f) throw fileError(this.path, `no tensor named '${key}' (in the checkpoint or its parts)`);
    return f.get(key);
  }

  close(): void {
    for (const f of this.files) f.close();
  }
}
