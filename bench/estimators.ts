// Inference time of the estimators and identity networks at 64 px (issue 5 measures): milliseconds
// per image at batch 1 and batch 32, default architectures, random weights (speed does not depend
// on the values). Options: --runs N (timed calls, default 20)
import os from 'node:os';
import { estimateAus } from '../src/estimators/evaluate.js';
import { fpreForward, type FpreConfig } from '../src/estimators/fpre.js';
import { idForward, type IdNetConfig } from '../src/estimators/idnet.js';
import { buildEstimator, defaultConfig, ESTIMATOR_KINDS, type Estimator } from '../src/estimators/model.js';
import { initRuntime, machineInfo, tf } from '../src/runtime/index.js';
import { scoped } from '../src/runtime/scoped.js';

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function forward(est: Estimator, x: tf.Tensor4D): tf.Tensor {
  if (est.kind === 'hest') return estimateAus(est, x);
  if (est.kind === 'fpre') return fpreForward(est.params, est.config as FpreConfig, x, x, false).delta;
  return idForward(est.params, est.config as IdNetConfig, x, false);
}

export async function run(args: string[]): Promise<unknown> {
  const runs = Number(arg(args, '--runs') ?? 20);
  const runtime = await initRuntime();
  const report: Record<string, unknown> = { bench: 'estimators', backend: runtime.backend, threads: runtime.threads, machine: machineInfo(), loadAverageAtStart: os.loadavg() };
  for (const kind of ESTIMATOR_KINDS) {
    const est = buildEstimator(kind, defaultConfig(kind), 64, 1);
    const row: Record<string, number> = {};
    for (const batch of [1, 32]) {
      const x = tf.randomUniform([batch, 64, 64, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
      for (let i = 0; i < 5; i++) scoped(() => forward(est, x).dataSync());
      const ms: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        scoped(() => forward(est, x).dataSync());
        ms.push(performance.now() - t0);
      }
      ms.sort((a, b) => a - b);
      // F_pre sees two images per call (the Siamese pair)
      row[`msPerImageBatch${batch}`] = Math.round((ms[Math.floor(ms.length / 2)]! / batch / (kind === 'fpre' ? 2 : 1)) * 100) / 100;
      x.dispose();
    }
    report[kind] = row;
    est.params.dispose();
  }
  report['loadAverageAtEnd'] = os.loadavg();
  report['date'] = new Date().toISOString();
  return report;
}
