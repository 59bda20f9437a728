// Edit latency of the 64-px default and the editor's training throughput (issue 6 measures):
//   edit      encode + editor (Ŵ_N, Ŵ_tar) + 2 generations, batch 1, frozen models: milliseconds
//   training  one editor training step (batch 8 triples, all five losses) with the default F_pre
//             and F_id architectures: triples per second
// Weights are random (speed does not depend on their values); the architectures are the shipped
// ones: SynthFACS pair (src/gan/pairTrainer.ts), editor defaults (src/editor/config.ts).
// Options: --runs N (timed edit runs, default 50), --train-steps N (default 5), --only edit|training
import os from 'node:os';
import { AUEditNet } from '../src/editor/auEditNet.js';
import { defaultEditorConfig } from '../src/editor/config.js';
import { frozenFid, frozenFpre } from '../src/editor/frozenNets.js';
import { editorLoss, TripleSampler } from '../src/editor/trainer.js';
import { buildEstimator, defaultConfig } from '../src/estimators/model.js';
import { BatchRng } from '../src/estimators/train.js';
import type { ImageSet } from '../src/estimators/imageSet.js';
import { Encoder } from '../src/gan/encoder.js';
import { Generator } from '../src/gan/generator.js';
import { synthfacsPairConfig } from '../src/gan/pairTrainer.js';
import { Adam } from '../src/nn/adam.js';
import { initRuntime, machineInfo, tf } from '../src/runtime/index.js';
import { scoped } from '../src/runtime/scoped.js';

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const r1 = (v: number) => Math.round(v * 10) / 10;

export async function run(args: string[]): Promise<unknown> {
  const runs = Number(arg(args, '--runs') ?? 50);
  const trainSteps = Number(arg(args, '--train-steps') ?? 5);
  const only = arg(args, '--only');
  const runtime = await initRuntime();
  const pc = synthfacsPairConfig();
  const g = new Generator(pc.generator, { seed: 1 }).freeze();
  const e = new Encoder(pc.encoder, { seed: 2 }).freeze();
  const ed = new AUEditNet(defaultEditorConfig(), 3).build(g.nLatent);
  const report: Record<string, unknown> = { bench: 'edit', backend: runtime.backend, threads: runtime.threads, machine: machineInfo(), loadAverageAtStart: os.loadavg().map(r1) };
  if (!only || only === 'edit') {
    const x = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 4) as tf.Tensor4D;
    const target = { c: tf.tensor2d([[0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]]), a: tf.tensor2d([[0, 0, 0, 0, 2, 0, 3, 0, 0, 0, 0, 0]]) };
    const once = () =>
      tf.tidy(() => {
        const w = e.encode(x);
        const { wN, wTar } = ed.edit(w, target);
        const img = g.synthesis(tf.concat([wTar, wN], 0), { noise: 'const' });
        img.dataSync();
      });
    for (let i = 0; i < 30; i++) once();
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      once();
      ms.push(performance.now() - t0);
    }
    report['edit'] = { what: 'encode + edit + 2 generations (Ŵ_tar, Ŵ_N as one batch of 2), batch 1, 64 px', medianMs: r1(median(ms)), minMs: r1(Math.min(...ms)), runs, targetMs: 40 };
    tf.dispose([x, target.c, target.a]);
  }
  if (!only || only === 'training') {
    // a synthetic 64-px set: 4 subjects × 8 frames of noise with labels (content does not change speed)
    const count = 32, S = 64;
    const set: ImageSet = {
      size: S,
      count,
      pixels: Uint8Array.from({ length: count * S * S * 3 }, (_, i) => (i * 2654435761) >>> 24),
      labels: Float32Array.from({ length: count * 12 }, (_, i) => i % 5),
      groups: Int32Array.from({ length: count }, (_, i) => i % 4),
      groupNames: ['a', 'b', 'c', 'd'],
    };
    const lat = scoped(() => tf.randomNormal([count, g.nLatent, 512], 0, 1, 'float32', 5).dataSync() as Float32Array);
    const data = { images: set, rows: g.nLatent, latents: (idx: readonly number[]) => tf.tensor3d(Float32Array.from(idx.flatMap((i) => Array.from(lat.subarray(i * g.nLatent * 512, (i + 1) * g.nLatent * 512)))), [idx.length, g.nLatent, 512]) };
    const fpre = buildEstimator('fpre', defaultConfig('fpre'), 64, 6);
    const fid = buildEstimator('fid', defaultConfig('fid'), 64, 7);
    const fp = frozenFpre(fpre), fi = frozenFid(fid);
    const sampler = new TripleSampler(set, new BatchRng(1));
    const opt = new Adam({ lr: 1e-4 });
    const vars = ed.params.trainableVariables();
    const step = () => tf.dispose(opt.minimize(() => editorLoss(ed, g, fp, fi, data, sampler.next(8)).total, vars));
    step();
    const t0 = performance.now();
    for (let i = 0; i < trainSteps; i++) step();
    const s = (performance.now() - t0) / 1000 / trainSteps;
    report['training'] = { what: 'one editor training step: 8 triples, all five losses, gradients through frozen G, F_pre, F_id', secondsPerStep: Math.round(s * 100) / 100, triplesPerSecond: Math.round((8 / s) * 100) / 100, steps: trainSteps };
    opt.dispose();
    fpre.params.dispose();
    fid.params.dispose();
  }
  report['loadAverageAtEnd'] = os.loadavg().map(r1);
  report['date'] = new Date().toISOString();
  g.dispose();
  e.dispose();
  ed.dispose();
  return report;
}
