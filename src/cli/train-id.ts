import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { UserError } from '../errors.js';
import { auInvariance } from '../estimators/auInvariance.js';
import { verification } from '../estimators/evaluate.js';
import { imageSetFromPool } from '../estimators/loadImageSet.js';
import { readPoolManifest } from '../estimators/poolIdentities.js';
import { defaultConfig, saveEstimator } from '../estimators/model.js';
import { trainEstimator } from '../estimators/train.js';
import { initRuntime } from '../runtime/index.js';
import { checkpointStep } from '../nn/trainLoop.js';
import { progress } from './progress.js';

interface Options {
  data: string;
  net: string;
  out: string;
  holdout: string;
  steps: string;
  batch: string;
  lr: string;
  seed: string;
  resume?: boolean;
  quiet?: boolean;
}

function int(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UserError(`--${name} ${v}: expected an integer ≥ ${min}`);
  return n;
}

async function run(o: Options): Promise<void> {
  if (o.net !== 'fid' && o.net !== 'idmetric') throw new UserError(`--net ${o.net}: expected fid (F_id, ArcFace, the editor's ID loss) or idmetric (the separate ID metric)`);
  const kind = o.net;
  const manifest = await readPoolManifest(o.data);
  const total = manifest.identities;
  const holdout = int('holdout', o.holdout, 2);
  if (holdout >= total) throw new UserError(`--holdout ${holdout}: the pool has only ${total} identities`);
  const steps = int('steps', o.steps, 1), batch = int('batch', o.batch, 2), seed = Number(o.seed), lr = Number(o.lr);
  const runtime = await initRuntime();
  const load = async (from: number, to: number, what: string) => {
    const bar = progress(`loading ${what} images`, (to - from) * manifest.perIdentity, { quiet: o.quiet });
    const set = await imageSetFromPool(o.data, { from, to }, { onProgress: (d) => bar.update(d) });
    bar.stop();
    return set;
  };
  const train = await load(0, total - holdout, 'training');
  const test = await load(total - holdout, total, 'held-out');
  mkdirSync(o.out, { recursive: true });
  // a resumed run's bar starts at its checkpoint, so rate and ETA count only this process's steps
  const initial = o.resume ? checkpointStep(o.out) : 0;
  const bar = progress(`training ${kind}`, steps, { quiet: o.quiet, initial });
  const t0 = performance.now();
  const { estimator, result } = await trainEstimator({
    kind,
    config: defaultConfig(kind),
    train,
    outDir: o.out,
    steps,
    batch,
    lr,
    seed,
    resume: o.resume,
    onStep: (step, logs) => bar.update(step, { loss: logs['loss']!.toFixed(3), 'img/s': ((batch * (step - initial)) / ((performance.now() - t0) / 1000)).toFixed(1) }),
  });
  bar.stop();
  if (result.stoppedBy === 'signal') {
    process.stderr.write(`stopped at step ${result.step}; continue with --resume\n`);
    return;
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const v = verification(estimator, test, 10000);
  const inv = auInvariance(estimator, 40);
  const metrics = { verification: v, auInvariance: inv };
  await saveEstimator(o.out, estimator, {
    training: {
      command: `aueditnet train id --data ${o.data} --net ${kind} --out ${o.out} --holdout ${holdout} --steps ${steps} --batch ${batch} --lr ${lr} --seed ${seed}`,
      data: { root: o.data, identities: total - holdout, images: train.count, heldOutIdentities: holdout },
      steps: result.step,
      wallSeconds: Math.round(wallSeconds),
      backend: runtime.backend,
      threads: runtime.threads,
    },
    metrics,
  });
  process.stdout.write(
    `${kind}: verification accuracy ${(v.accuracy * 100).toFixed(2)}% on ${v.pairs} held-out pairs; ` +
      `AU change moves the embedding ${inv.meanAuDistance.toFixed(3)} vs ${inv.meanIdentityDistance.toFixed(3)} for a change of identity (ratio ${inv.ratio.toFixed(3)})\n` +
      `wrote ${o.out}/${kind}.safetensors and ${kind}.json\n`,
  );
}

export function register(train: Command): void {
  train
    .command('id')
    .description('train an identity network on a SynthFACS pool: F_id (ArcFace, for the ID loss) or the separate ID metric (CosFace, different architecture)')
    .requiredOption('--data <dir>', 'a folder written by `aueditnet synth pool`')
    .requiredOption('--net <fid|idmetric>', 'which network')
    .requiredOption('--out <dir>', 'output folder: <net>.safetensors, <net>.json, checkpoint.safetensors')
    .option('--holdout <n>', 'the last n identities are kept out of training for the verification test', '500')
    .option('--steps <n>', 'optimizer steps', '3000')
    .option('--batch <n>', 'images per step', '64')
    .option('--lr <x>', 'Adam learning rate', '1e-3')
    .option('--seed <n>', 'seed of the initial weights and the batch order', '31')
    .option('--resume', 'continue from <out>/checkpoint.safetensors')
    .option('--quiet', 'no progress output')
    .action((o: Options) => run(o));
}
