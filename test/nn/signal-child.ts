// Child process for trainLoop.test.ts: a real signal (argv[2], default SIGINT) arrives during step 3 of a long run.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Adam } from '../../src/nn/adam.js';
import { dense } from '../../src/nn/layers.js';
import { Params } from '../../src/nn/params.js';
import { checkpointPath, runTraining } from '../../src/nn/trainLoop.js';
import { initRuntime, tf } from '../../src/runtime/index.js';

const signal = (process.argv[2] ?? 'SIGINT') as NodeJS.Signals;
await initRuntime({ backend: 'cpu' });
const dir = mkdtempSync(path.join(os.tmpdir(), 'aueditnet-sig-'));
const p = new Params(1);
const x = tf.ones([2, 3]) as tf.Tensor2D;
tf.tidy(() => void dense(p, 'fc', x, 1));
const r = await runTraining({
  dir,
  totalSteps: 100000,
  checkpointEvery: 100000,
  models: { net: p },
  optimizer: new Adam({ lr: 1e-3 }),
  config: {},
  loss: (step) => {
    if (step === 2) process.kill(process.pid, signal);
    return { total: dense(p, 'fc', x, 1).square().mean() as tf.Scalar };
  },
});
process.stdout.write(JSON.stringify({ ...r, checkpoint: checkpointPath(dir) }) + '\n');
