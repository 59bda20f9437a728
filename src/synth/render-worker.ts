/**
 * Worker thread of the render pool: renders batches of faces to PNG and writes them atomically,
 * replying with how many it finished. Node-only.
 */
import { parentPort } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { renderPng } from './canvas-node.js';
import type { RenderBatch, WorkerReply } from './render-pool.js';

if (!parentPort) throw new Error('render-worker must run in a worker thread');
const port = parentPort;

port.on('message', (batch: RenderBatch) => {
  void (async () => {
    try {
      const writes: Promise<void>[] = [];
      for (const job of batch.jobs) {
        const png = renderPng({ identity: job.identity, aus: job.aus, nuisance: job.nuisance }, batch.size);
        writes.push(writeFileAtomic(job.path, png));
      }
      await Promise.all(writes);
      port.postMessage({ id: batch.id, done: batch.jobs.length } satisfies WorkerReply);
    } catch (err) {
      const message = err instanceof Error ? (err instanceof UserError ? err.message : (err.stack ?? err.message)) : String(err);
      port.postMessage({ id: batch.id, done: 0, error: message, userError: err instanceof UserError } satisfies WorkerReply);
    }
  })();
});
