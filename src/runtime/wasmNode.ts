import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import workerThreads from 'node:worker_threads';
import { tf } from './tf.js';

const require = createRequire(import.meta.url);

type WasmModule = typeof import('@tensorflow/tfjs-backend-wasm');

/** Folder holding the .wasm binaries inside node_modules: never a CDN. */
export function wasmDistDir(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep;
}

/**
 * Starts tfjs-wasm's threaded SIMD build under Node with `threads` XNNPACK threads.
 *
 * tfjs disables threads in Node because emscripten's pthread workers are started from blob URLs,
 * which Node's Worker cannot load. We let the backend build its scripts as usual, catch them on
 * their way into a Blob, write them to a temp folder and hand Worker the file paths. The
 * backend also sizes its pool as logical_cores / 2 (it assumes hyper-threading) and ignores
 * setThreadsCount there, so the core count it reads is scaled for the duration of the start.
 *
 * Every global touched (Blob, URL.createObjectURL, os.cpus, worker_threads.Worker,
 * globalThis.Worker) is restored before this function returns, the temp folder is deleted once
 * the workers have loaded the scripts, and the workers are unref'd so they never keep the
 * process alive.
 */
/**
 * The threaded start did not finish in time. Under heavy load (CI, two test forks on two cores) it
 * has twice waited forever on a pthread worker's "loaded" message; the counts say how far the
 * workers got.
 */
export class WasmThreadStartTimeout extends Error {
  constructor(seconds: number, readonly created: number, readonly online: number, readonly loaded: number, readonly errors: string[]) {
    super(
      `tfjs-wasm's thread pool did not start within ${seconds} s (${created} workers created, ${online} online, ` +
        `${loaded} loaded the module${errors.length > 0 ? `; worker errors: ${errors.join(' | ')}` : ''})`,
    );
    this.name = 'WasmThreadStartTimeout';
  }
}

export async function startThreadedWasm(wasm: WasmModule, threads: number, timeoutSeconds = 60): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `aueditnet-wasm-${process.pid}-`));
  const mainPath = path.join(dir, 'main.js');
  const workerPath = path.join(dir, 'worker.js');
  const g = globalThis as unknown as Record<string, unknown>;
  const saved = {
    Blob: globalThis.Blob,
    createObjectURL: URL.createObjectURL,
    cpus: os.cpus,
    Worker: workerThreads.Worker,
    globalWorker: g['Worker'],
    hadGlobalWorker: Object.prototype.hasOwnProperty.call(globalThis, 'Worker'),
  };
  const workers: workerThreads.Worker[] = [];
  const progress = { online: 0, loaded: 0, errors: [] as string[] };

  const texts = new WeakMap<Blob, string>();

  class CapturingBlob extends saved.Blob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      const text = (parts ?? []).filter((p): p is string => typeof p === 'string').join('');
      texts.set(this, text);
      if (text.startsWith('var WasmBackendModuleThreadedSimd')) {
        // The factory's source refers to these names from the bundle that defined it.
        const prelude =
          "var require$$0=require('fs'),require$$1=require('path'),require$$2=require('worker_threads')," +
          "require$$3=require('perf_hooks'),require$$4=require('os'),commonjsGlobal=globalThis;\n";
        writeFileSync(mainPath, prelude + text);
      }
    }
  }
  const createObjectURL = (obj: Blob | MediaSource): string => {
    const text = obj instanceof saved.Blob ? texts.get(obj) : undefined;
    if (text !== undefined && text.includes('ENVIRONMENT_IS_NODE')) {
      // The worker source had its newlines escaped for the Blob; undo that, and make it load the
      // main script from our file instead of from a blob URL.
      const src = text
        .replace(/\\\\n/g, '\\n')
        .replace(
          /var objectUrl=URL\.createObjectURL\(e\.data\.urlOrBlob\);importScripts\(objectUrl\);URL\.revokeObjectURL\(objectUrl\)/,
          `importScripts(${JSON.stringify(mainPath)})`,
        );
      writeFileSync(workerPath, src);
      return workerPath;
    }
    return saved.createObjectURL(obj as Blob);
  };
  class TrackedWorker extends saved.Worker {
    constructor(filename: string | URL, options?: workerThreads.WorkerOptions) {
      super(filename, options);
      workers.push(this);
      this.once('online', () => progress.online++);
      this.on('message', (m: unknown) => {
        if ((m as { cmd?: unknown } | null)?.cmd === 'loaded') progress.loaded++;
      });
      this.on('error', (e: Error) => progress.errors.push(e.message));
    }
  }
  const realCpus = saved.cpus;
  try {
    globalThis.Blob = CapturingBlob as typeof Blob;
    URL.createObjectURL = createObjectURL;
    os.cpus = () => {
      const c = realCpus();
      return Array.from({ length: 2 * threads }, (_, i) => c[i % c.length]!);
    };
    (workerThreads as { Worker: unknown }).Worker = TrackedWorker;
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasm.setThreadsCount(threads);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new WasmThreadStartTimeout(timeoutSeconds, workers.length, progress.online, progress.loaded, progress.errors)),
        timeoutSeconds * 1000,
      );
    });
    const ok = await Promise.race([tf.setBackend('wasm'), timeout]).finally(() => clearTimeout(timer));
    if (!ok) throw new Error('tf.setBackend("wasm") returned false');
    return wasm.getThreadsCount();
  } finally {
    globalThis.Blob = saved.Blob;
    URL.createObjectURL = saved.createObjectURL;
    os.cpus = saved.cpus;
    (workerThreads as { Worker: unknown }).Worker = saved.Worker;
    if (saved.hadGlobalWorker) g['Worker'] = saved.globalWorker;
    else delete g['Worker'];
    for (const w of workers) w.unref();

    rmSync(dir, { recursive: true, force: true });
  }
}
