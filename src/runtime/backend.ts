import os from 'node:os';
import { UserError } from '../errors.js';
import { registerResampleGradFixes, registerTrainingKernels } from './kernels/index.js';
import { tf } from './tf.js';
import { startThreadedWasm, WasmThreadStartTimeout, wasmDistDir } from './wasmNode.js';

export type BackendName = 'wasm' | 'cpu' | 'tensorflow';
const BACKENDS: readonly BackendName[] = ['wasm', 'cpu', 'tensorflow'];

export interface RuntimeOptions {
  /** Overrides AUEDITNET_BACKEND. */
  backend?: BackendName;
  /** XNNPACK threads for wasm; overrides AUEDITNET_THREADS. Default: number of cores. */
  threads?: number;
  /** Install the measured fast-path kernels on wasm (default true). */
  fastKernels?: boolean;
}

export interface RuntimeInfo {
  backend: BackendName;
  requested: BackendName;
  threads: number;
  simd: boolean;
  /** Why the requested backend is not the one in use; printed once on stderr when it happens. */
  fallback?: string;
  /** Why wasm runs on fewer threads than asked (its thread pool did not start); printed once. */
  degraded?: string;
  tfjsVersion: string;
}

let ready: Promise<RuntimeInfo> | null = null;
let current: RuntimeInfo | null = null;
let cpuFixed = false;

function parseBackend(value: string | undefined, source: string): BackendName | undefined {
  if (value === undefined || value === '') return undefined;
  if ((BACKENDS as readonly string[]).includes(value)) return value as BackendName;
  throw new UserError(`${source}=${value}: expected one of ${BACKENDS.join(', ')}`);
}

function parseThreads(value: string | number | undefined, source: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UserError(`${source}=${value}: expected an integer from 1 to 64`);
  return n;
}

function parseSeconds(value: string | undefined, source: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`${source}=${value}: expected a positive number of seconds`);
  return n;
}

export function defaultThreads(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

function notify(message: string): void {
  process.stderr.write(`aueditnet: ${message}\n`);
}

/**
 * Makes the cpu backend fit for use: exact resize gradients, and no banner recommending
 * tfjs-node on first use (we report backend choices ourselves).
 */
function prepareCpu(): void {
  if (!cpuFixed) {
    registerResampleGradFixes('cpu');
    cpuFixed = true;
  }
  const cpu = tf.findBackend('cpu') as (tf.KernelBackend & { firstUse?: boolean }) | null;
  if (cpu) cpu.firstUse = false;
}

/**
 * emscripten adds process listeners that rethrow every uncaught exception from inside its own
 * minified one-line file (so Node prints that 100 kB line with each error) and turn unhandled
 * rejections into exceptions. Start-up takes them off again: Node's own behaviour stays.
 */
async function withoutEmscriptenListeners<T>(start: () => Promise<T>): Promise<T> {
  const events = ['uncaughtException', 'unhandledRejection'] as const;
  const listeners = (e: (typeof events)[number]) => process.listeners(e as 'uncaughtException') as unknown[];
  const before = new Map(events.map((e) => [e, listeners(e)]));
  try {
    return await start();
  } finally {
    for (const e of events) {
      for (const l of listeners(e)) if (!before.get(e)!.includes(l)) process.off(e as 'uncaughtException', l as () => void);
    }
  }
}

interface WasmStart {
  threads: number;
  simd: boolean;
  /** Set when the thread pool did not start and one thread is used instead (already printed). */
  degraded?: string;
}

async function startWasm(threads: number, fastKernels: boolean, timeout: number): Promise<WasmStart> {
  return withoutEmscriptenListeners(() => startWasmInner(threads, fastKernels, timeout));
}

async function startWasmInner(threads: number, fastKernels: boolean, timeout: number): Promise<WasmStart> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(wasmDistDir());
  registerTrainingKernels('wasm', { fast: fastKernels });
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  let degraded: string | undefined;
  if (threads > 1 && simd && typeof SharedArrayBuffer === 'function') {
    try {
      return { threads: await startThreadedWasm(wasm, threads, timeout), simd };
    } catch (err) {
      if (!(err instanceof WasmThreadStartTimeout)) throw err;
      // A second setBackend builds a new, single-threaded module; tfjs drops the stuck start's
      // result if it ever arrives. Slower, but the process works instead of hanging.
      degraded = `${err.message}; continuing on 1 thread`;
      notify(degraded);
    }
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
  return degraded ? { threads: 1, simd, degraded } : { threads: 1, simd };
}

async function startTensorflow(): Promise<void> {
  // A variable specifier keeps bundlers and tsc from requiring a package we never depend on.
  const name = '@tensorflow/tfjs-node';
  await import(name);
  if (!(await tf.setBackend('tensorflow'))) throw new Error('tf.setBackend("tensorflow") returned false');
}

async function start(opts: RuntimeOptions): Promise<RuntimeInfo> {
  const requested = opts.backend ?? parseBackend(process.env['AUEDITNET_BACKEND'], 'AUEDITNET_BACKEND') ?? 'wasm';
  const threads =
    parseThreads(opts.threads, 'threads') ?? parseThreads(process.env['AUEDITNET_THREADS'], 'AUEDITNET_THREADS') ?? defaultThreads();
  // Seconds the threaded wasm start may take before one thread is used instead.
  const timeout = parseSeconds(process.env['AUEDITNET_WASM_START_TIMEOUT_S'], 'AUEDITNET_WASM_START_TIMEOUT_S') ?? 60;
  const base = { requested, tfjsVersion: tf.version.tfjs };
  const reasons: string[] = [];
  const order: BackendName[] = requested === 'tensorflow' ? ['tensorflow', 'wasm', 'cpu'] : requested === 'wasm' ? ['wasm', 'cpu'] : ['cpu'];
  for (const name of order) {
    try {
      let info: RuntimeInfo;
      if (name === 'wasm') {
        const w = await startWasm(threads, opts.fastKernels !== false, timeout);
        info = { ...base, backend: 'wasm', threads: w.threads, simd: w.simd };
        if (w.degraded) info.degraded = w.degraded;
      } else if (name === 'tensorflow') {
        await startTensorflow();
        info = { ...base, backend: 'tensorflow', threads: defaultThreads(), simd: false };
      } else {
        if (!(await tf.setBackend('cpu'))) throw new Error('tf.setBackend("cpu") returned false');
        prepareCpu();
        info = { ...base, backend: 'cpu', threads: 1, simd: false };
      }
      if (reasons.length > 0) {
        info.fallback = reasons.join('; ');
        notify(`${info.fallback}; using the ${name} backend instead`);
      }
      return info;
    } catch (err) {
      reasons.push(`backend ${name} could not start (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  throw new Error(`no tfjs backend could start: ${reasons.join('; ')}`);
}

/**
 * Chooses and starts the tfjs backend once per process: wasm (SIMD, one XNNPACK thread per core,
 * with training kernels) by default; AUEDITNET_BACKEND / AUEDITNET_THREADS override. A backend
 * that cannot start is reported once on stderr, never replaced silently.
 */
export function initRuntime(opts: RuntimeOptions = {}): Promise<RuntimeInfo> {
  if (!ready) {
    ready = start(opts).then((info) => (current = info));
    ready.catch(() => {
      ready = null;
    });
  }
  return ready;
}

/** The running backend, after `initRuntime` resolved. */
export function runtimeInfo(): RuntimeInfo {
  if (!current) throw new Error('runtime not initialised: await initRuntime() first');
  return current;
}

/**
 * Runs `fn` on another backend (e.g. 'cpu' as the reference in tests) and switches back. Tensors
 * created before move between backends on first use.
 */
export async function withBackend<T>(name: BackendName, fn: () => T | Promise<T>): Promise<T> {
  const before = tf.getBackend();
  await tf.setBackend(name);
  if (name === 'cpu') prepareCpu();
  try {
    return await fn();
  } finally {
    await tf.setBackend(before);
  }
}
