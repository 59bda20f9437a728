/**
 * Renders many faces to PNG files in parallel: worker threads (one per core by default) each take
 * batches of jobs, render, encode and write them. With `workers: 0` everything runs in this thread,
 * which tests and one-core machines use. Node-only.
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { renderPng } from './canvas-node.js';
import type { Identity } from './identity.js';
import type { Nuisance } from './nuisance.js';

export interface RenderJob {
  path: string;
  identity: Identity;
  aus: number[];
  nuisance: Nuisance | null;
}

export interface RenderBatch {
  id: number;
  size: number;
  jobs: RenderJob[];
}

export interface WorkerReply {
  id: number;
  done: number;
  error?: string;
  /** The error was the user's (e.g. an unwritable output folder), not a bug. */
  userError?: boolean;
}

export interface RenderPoolOptions {
  size: number;
  /** Worker threads; default one per available core, 0 = render in the calling thread. */
  workers?: number;
  /** Jobs per message; small enough for smooth progress, large enough to amortise messaging. */
  batch?: number;
  onProgress?: (done: number) => void;
}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(availableParallelism(), 16));
}

function startWorker(): Worker {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.ts')) return new Worker(new URL('./render-worker.js', import.meta.url));
  // Running from source (tests, tsx): Node will not start a worker from a .ts file even with a
  // loader flag, so a one-line bootstrap loads it through tsx's API.
  const api = createRequire(import.meta.url).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs');
  const entry = new URL('./render-worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(pathToFileURL(api).href)}).then((m) => m.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`;
  return new Worker(code, { eval: true });
}

/** Renders and writes every job; resolves when all files are on disk. */
export async function renderAll(jobs: RenderJob[], options: RenderPoolOptions): Promise<void> {
  const workers = options.workers ?? defaultWorkers();
  const batchSize = options.batch ?? 32;
  let done = 0;
  if (workers === 0 || jobs.length <= batchSize) {
    for (let i = 0; i < jobs.length; i += batchSize) {
      const slice = jobs.slice(i, i + batchSize);
      await Promise.all(slice.map((j) => writeFileAtomic(j.path, renderPng({ identity: j.identity, aus: j.aus, nuisance: j.nuisance }, options.size))));
      done += slice.length;
      options.onProgress?.(done);
    }
    return;
  }
  const batches: RenderBatch[] = [];
  for (let i = 0; i < jobs.length; i += batchSize) batches.push({ id: batches.length, size: options.size, jobs: jobs.slice(i, i + batchSize) });
  const pool = Array.from({ length: Math.min(workers, batches.length) }, startWorker);
  let next = 0;
  try {
    await Promise.all(
      pool.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            let inFlight = 0;
            const send = () => {
              if (next < batches.length) {
                inFlight++;
                w.postMessage(batches[next++]);
              } else if (inFlight === 0) {
                resolve();
              }
            };
            w.on('message', (reply: WorkerReply) => {
              inFlight--;
              if (reply.error !== undefined) return reject(reply.userError ? new UserError(reply.error) : new Error(reply.error));
              done += reply.done;
              options.onProgress?.(done);
              send();
            });
            w.on('error', reject);
            w.on('exit', (code) => {
              if (code !== 0) reject(new Error(`render worker exited with code ${code}`));
            });
            // two batches in flight per worker keep it busy while a reply travels back
            send();
            if (inFlight > 0) send();
          }),
      ),
    );
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}
