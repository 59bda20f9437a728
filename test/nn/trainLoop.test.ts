import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Adam } from '../../src/nn/adam.js';
import { batchNorm, conv, dense, flatten } from '../../src/nn/layers.js';
import { Params } from '../../src/nn/params.js';
import { runTraining, type Resumable } from '../../src/nn/trainLoop.js';
import { initRuntime, tf } from '../../src/runtime/index.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'aueditnet-train-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

class Lcg implements Resumable {
  constructor(private s: number) {}
  next(): number {
    this.s = (Math.imul(this.s, 1664525) + 1013904223) >>> 0;
    return this.s / 2 ** 32;
  }
  getState(): number {
    return this.s;
  }
  setState(s: number): void {
    this.s = s;
  }
}

function model(p: Params, x: tf.Tensor4D, training: boolean): tf.Tensor2D {
  let h = conv(p, 'c1', x, 4, 3, { stride: 2 });
  h = batchNorm(p, 'bn1', h, training) as tf.Tensor4D;
  h = tf.relu(h);
  return dense(p, 'fc', flatten(h), 2);
}

/** A run of `steps` steps from scratch or resumed; returns every parameter's values. */
async function train(dir: string, steps: number, opts: { resume?: boolean; stopAfter?: number; lr?: number; maxFileBytes?: number; lrAt?: (s: number) => number } = {}) {
  const p = new Params(7);
  tf.tidy(() => void model(p, tf.zeros([1, 8, 8, 3]), false));
  const rng = new Lcg(42);
  const optimizer = new Adam({ lr: opts.lr ?? 1e-2 });
  const r = await runTraining({
    dir,
    totalSteps: steps,
    checkpointEvery: 100,
    models: { net: p },
    optimizer,
    rngs: { data: rng },
    config: { lr: opts.lr ?? 1e-2 },
    resume: opts.resume,
    stopAfter: opts.stopAfter,
    handleSignals: false,
    maxFileBytes: opts.maxFileBytes,
    lrAt: opts.lrAt,
    loss: () => {
      // the batch comes from the resumable stream, as real samplers do
      const v = Float32Array.from({ length: 4 * 8 * 8 * 3 }, () => rng.next() * 2 - 1);
      const x = tf.tensor4d(v, [4, 8, 8, 3]);
      const y = model(p, x, true);
      const target = tf.tensor2d([1, 0, 0, 1, 1, 1, 0, 0], [4, 2]);
      const mse = y.sub(target).square().mean() as tf.Scalar;
      return { total: mse, parts: { mse } };
    },
  });
  const values = Object.fromEntries(p.names().map((n) => [n, Array.from(p.variable(n).dataSync())]));
  p.dispose();
  optimizer.dispose();
  return { r, values };
}

describe('runTraining on the cpu backend', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'cpu' });
  });

  it('2k steps equal k steps + resume + k steps, bit for bit (params, BN stats, Adam, RNG)', async () => {
    const straight = await train(tmp(), 6);
    const d = tmp();
    const first = await train(d, 6, { stopAfter: 3 });
    expect(first.r).toMatchObject({ step: 3, stoppedBy: 'stopAfter' });
    const resumed = await train(d, 6, { resume: true });
    expect(resumed.r.step).toBe(6);
    expect(resumed.values).toEqual(straight.values);
    expect(straight.values['bn1.running_mean']!.some((v) => v !== 0)).toBe(true);
  });

  it('resumes bit for bit from a checkpoint written in parts', async () => {
    const straight = await train(tmp(), 6);
    const d = tmp();
    await train(d, 6, { stopAfter: 3, maxFileBytes: 200 });
    expect(readdirSync(d).filter((f) => /^checkpoint\.s00000003\.p\d+\.safetensors$/.test(f)).length).toBeGreaterThan(1);
    const resumed = await train(d, 6, { resume: true, maxFileBytes: 200 });
    expect(resumed.values).toEqual(straight.values);
    expect(readdirSync(d).some((f) => f.includes('.s00000003.'))).toBe(false);
  });

  it('lrAt sets the learning rate of each step: a zero rate leaves the weights alone', async () => {
    const still = await train(tmp(), 3, { lrAt: () => 0 });
    const init = await train(tmp(), 0);
    // BatchNorm's running statistics still move: they are not trained by the optimizer
    const trained = Object.keys(init.values).filter((n) => !n.includes('running'));
    expect(trained.length).toBeGreaterThan(2);
    for (const n of trained) expect(still.values[n], n).toEqual(init.values[n]);
    const moved = await train(tmp(), 3, { lrAt: (s) => (s === 3 ? 1e-2 : 0) });
    expect(moved.values['fc.weight']).not.toEqual(init.values['fc.weight']);
  });

  it('the loss goes down', async () => {
    const a = await train(tmp(), 1);
    const b = await train(tmp(), 40);
    expect(b.r.logs['loss']!).toBeLessThan(a.r.logs['loss']!);
  });

  it('refuses to overwrite a checkpoint without resume, and a resume with another config', async () => {
    const d = tmp();
    await train(d, 2);
    await expect(train(d, 4)).rejects.toThrow(/a checkpoint exists; pass --resume/);
    await expect(train(d, 4, { resume: true, lr: 5e-3 })).rejects.toThrow(/another training config \(lr: [\d.e-]+ → 0.005\)/);
    await expect(train(tmp(), 4, { resume: true })).rejects.toThrow(/no checkpoint to resume from/);
  });

  it('stops on a non-finite loss with the step number and keeps the last good checkpoint', async () => {
    const d = tmp();
    await expect(train(d, 50, { lr: 1e30 })).rejects.toThrow(/the loss became (NaN|Infinity) at step \d+; the last good checkpoint \(step \d+\) is kept/);
  });

  it('refuses a model that makes parameters inside the first step (they would never be trained)', async () => {
    const p = new Params(1);
    p.get('early', [2], 'ones');
    const optimizer = new Adam({ lr: 1e-2 });
    await expect(
      runTraining({
        dir: tmp(),
        totalSteps: 3,
        checkpointEvery: 100,
        models: { net: p },
        optimizer,
        config: {},
        handleSignals: false,
        loss: () => ({ total: tf.sum(tf.mul(p.get('early', [2], 'ones'), p.get('late', [2], 'ones'))) as tf.Scalar }),
      }),
    ).rejects.toThrow(/created 1 parameter\(s\) during the first step/);
    p.dispose();
    optimizer.dispose();
  });

  it('does not leak tensors across steps', async () => {
    const before = tf.memory().numTensors;
    await train(tmp(), 5);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('Ctrl-C or kill during training', () => {
  it.each(['SIGINT', 'SIGTERM'])('a real %s checkpoints after the current step and stops (the loop yields to the event loop)', async (signal) => {
    const { execFile } = await import('node:child_process');
    const { existsSync } = await import('node:fs');
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', 'test/nn/signal-child.ts', signal], { timeout: 60_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    const r = JSON.parse(out) as { step: number; stoppedBy: string; checkpoint: string };
    expect(r.stoppedBy).toBe('signal');
    expect(r.step).toBeLessThanOrEqual(4);
    expect(existsSync(r.checkpoint)).toBe(true);
    rmSync(path.dirname(r.checkpoint), { recursive: true, force: true });
  });
});
