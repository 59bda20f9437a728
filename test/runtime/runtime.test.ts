import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { promisify } from 'node:util';
import workerThreads from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultThreads, initRuntime, tf, type RuntimeInfo } from '../../src/runtime/index.js';
import { rand } from './helpers.js';

const run = promisify(execFile);
const before = {
  Blob: globalThis.Blob,
  createObjectURL: URL.createObjectURL,
  cpus: os.cpus,
  Worker: workerThreads.Worker,
  hasGlobalWorker: 'Worker' in globalThis,
  uncaught: process.listeners('uncaughtException').length,
  rejections: process.listeners('unhandledRejection').length,
};
let info: RuntimeInfo;

beforeAll(async () => {
  info = await initRuntime();
});

describe('runtime start-up', () => {
  it('runs wasm with SIMD and one thread per core', () => {
    expect(info.backend).toBe('wasm');
    expect(info.simd).toBe(true);
    expect(info.threads).toBe(Math.min(defaultThreads(), 64));
    expect(info.fallback).toBeUndefined();
  });

  it('leaves no global patched and no temp files behind', () => {
    expect(globalThis.Blob).toBe(before.Blob);
    expect(URL.createObjectURL).toBe(before.createObjectURL);
    expect(os.cpus).toBe(before.cpus);
    expect(workerThreads.Worker).toBe(before.Worker);
    expect('Worker' in globalThis).toBe(before.hasGlobalWorker);
    expect(process.listeners('uncaughtException').length).toBe(before.uncaught);
    expect(process.listeners('unhandledRejection').length).toBe(before.rejections);
    expect(readdirSync(os.tmpdir()).filter((f) => f.startsWith(`aueditnet-wasm-${process.pid}-`))).toEqual([]);
  });

  it('is started once: a second call returns the same info', async () => {
    expect(await initRuntime()).toBe(info);
  });
});

describe('tensor memory', () => {
  it('does not grow over 20 Adam steps of a small conv net', async () => {
    const vars = {
      c1: tf.variable(rand([3, 3, 3, 8], 1, 0.3)),
      c2: tf.variable(rand([4, 4, 8, 8], 2, 0.3)),
      emb: tf.variable(rand([5, 8], 3, 0.3)),
      d: tf.variable(rand([8, 2], 4, 0.3)),
      a: tf.variable(rand([8], 5, 0.1)),
    };
    const x = rand([4, 16, 16, 3], 6);
    const ids = tf.tensor1d([0, 2, 4, 2], 'int32');
    const opt = tf.train.adam(1e-3);
    const loss = () =>
      tf.tidy(() => {
        let h = tf.conv2d(x as tf.Tensor4D, vars.c1 as tf.Tensor as tf.Tensor4D, 1, 'same');
        h = tf.leakyRelu(h, 0.2);
        h = tf.conv2d(h, vars.c2 as tf.Tensor as tf.Tensor4D, 2, 'same');
        h = tf.prelu(h, vars.a as tf.Tensor) as tf.Tensor4D;
        h = tf.image.resizeBilinear(h, [16, 16]);
        h = tf.avgPool(h, 2, 2, 'valid');
        const { mean, variance } = tf.moments(h, [1, 2], true);
        h = h.sub(mean).div(variance.add(1e-5).sqrt());
        const pooled = h.mean([1, 2]).add(tf.gather(vars.emb, ids));
        return tf.matMul(pooled, vars.d).square().mean() as tf.Scalar;
      });
    const counts: number[] = [];
    for (let i = 0; i < 20; i++) {
      const l = opt.minimize(loss, true)!;
      await l.data();
      l.dispose();
      counts.push(tf.memory().numTensors);
    }
    expect(counts[19]).toBe(counts[1]);
    opt.dispose();
    tf.dispose([...Object.values(vars), x, ids]);
  });
});

describe('environment overrides (child processes)', () => {
  const probe = async (env: Record<string, string>) => {
    try {
      const r = await run(process.execPath, ['--import', 'tsx', 'test/runtime/print-runtime.ts'], { env: { ...process.env, ...env } });
      return { code: 0, out: JSON.parse(r.stdout) as RuntimeInfo, err: r.stderr };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, out: null, err: x.stderr };
    }
  };

  it('AUEDITNET_BACKEND=cpu gives cpu, silently', async () => {
    const r = await probe({ AUEDITNET_BACKEND: 'cpu' });
    expect(r.out?.backend).toBe('cpu');
    expect(r.err).toBe('');
  });

  it('AUEDITNET_THREADS=1 gives one thread', async () => {
    const r = await probe({ AUEDITNET_THREADS: '1' });
    expect(r.out).toMatchObject({ backend: 'wasm', threads: 1 });
  });

  it('a thread pool that does not start in time is reported, and wasm goes on with one thread', async () => {
    // 1 ms is too short for any start: it stands in for the hang seen under CI load.
    const r = await probe({ AUEDITNET_WASM_START_TIMEOUT_S: '0.001', AUEDITNET_THREADS: '2' });
    expect(r.code).toBe(0);
    expect(r.out).toMatchObject({ backend: 'wasm', threads: 1 });
    expect(r.out?.degraded).toMatch(/thread pool did not start within 0\.001 s \(\d+ workers created, \d+ online, \d+ loaded/);
    // 4×4 ones, 3×3×2 ones kernel, same padding: 4 corners × 8 + 8 edges × 12 + 4 inner × 18
    expect((r.out as unknown as { conv: number }).conv).toBe(200);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/continuing on 1 thread/);
  });

  it('the default start computes the same conv on every thread it asked for', async () => {
    const r = await probe({ AUEDITNET_THREADS: '2' });
    expect(r.out).toMatchObject({ backend: 'wasm', threads: 2 });
    expect(r.out?.degraded).toBeUndefined();
    expect((r.out as unknown as { conv: number }).conv).toBe(200);
  });

  it('AUEDITNET_BACKEND=tensorflow without tfjs-node falls back to wasm and says so once', async () => {
    const r = await probe({ AUEDITNET_BACKEND: 'tensorflow' });
    expect(r.out?.backend).toBe('wasm');
    expect(r.out?.fallback).toMatch(/tensorflow could not start/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/using the wasm backend instead/);
  });

  it('bad values are refused with a one-line error naming the variable', async () => {
    const a = await probe({ AUEDITNET_BACKEND: 'gpu' });
    expect(a.code).toBe(2);
    expect(a.err.trim()).toBe('aueditnet: AUEDITNET_BACKEND=gpu: expected one of wasm, cpu, tensorflow');
    const b = await probe({ AUEDITNET_THREADS: '0' });
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/AUEDITNET_THREADS=0/);
    const c = await probe({ AUEDITNET_WASM_START_TIMEOUT_S: 'soon' });
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/AUEDITNET_WASM_START_TIMEOUT_S=soon: expected a positive number of seconds/);
  });
});
