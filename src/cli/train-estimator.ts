import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { openDisfa } from '../data/disfa.js';
import { disfaFold } from '../data/folds.js';
import { foldSubjects } from './foldLatents.js';
import { UserError } from '../errors.js';
import { evaluateFpre, evaluateHest } from '../estimators/evaluate.js';
import { disfaFrameCount, imageSetFromDisfa, imageSetFromPool } from '../estimators/loadImageSet.js';
import { poolOverlap, readPoolIdentities, readPoolManifest } from '../estimators/poolIdentities.js';
import { concatImageSets } from '../estimators/imageSet.js';
import { defaultConfig, saveEstimator, type EstimatorKind } from '../estimators/model.js';
import { trainEstimator } from '../estimators/train.js';
import { initRuntime } from '../runtime/index.js';
import { checkpointStep } from '../nn/trainLoop.js';
import { progress } from './progress.js';
import { addScheduleOptions, positiveInt } from './args.js';
import { scheduleFlags, scheduleFromOptions } from '../nn/lrSchedule.js';

interface Options {
  data: string;
  fold: string;
  out: string;
  steps: string;
  batch: string;
  lr: string;
  seed: string;
  every: string;
  resume?: boolean;
  quiet?: boolean;
  jitter?: boolean;
  affine?: boolean;
  blur?: boolean;
  balance?: boolean;
  decayFrom?: string;
  decayTo?: string;
  lrFinal?: string;
  extra: string[];
  pool?: string;
  poolIdentities?: string;
  subjectAdversary?: string;
}

function positiveNumber(name: string, v: string): number {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new UserError(`--${name} ${v}: expected a positive number`);
  return n;
}

/** Trains F_pre or H_est on the training subjects of a fold and scores it on the test subjects. */
async function run(kind: Extract<EstimatorKind, 'fpre' | 'hest'>, o: Options): Promise<void> {
  const fold = disfaFold(Number(o.fold));
  const steps = positiveInt('steps', o.steps), batch = positiveInt('batch', o.batch), seed = Number(o.seed), every = positiveInt('every', o.every);
  const subjectAdversary = o.subjectAdversary === undefined ? undefined : positiveNumber('subject-adversary', o.subjectAdversary);
  const lr = positiveNumber('lr', o.lr);
  const schedule = scheduleFromOptions(o, lr, steps, (m) => new UserError(m));
  const runtime = await initRuntime();
  const ds = await openDisfa(o.data);
  const load = async (from: typeof ds, subjects: string[], what: string) => {
    const total = disfaFrameCount(from, subjects, { every });
    const bar = progress(`loading ${what} frames`, total, { quiet: o.quiet });
    const set = await imageSetFromDisfa(from, subjects, { every, onProgress: (d) => bar.update(d) });
    bar.stop();
    return set;
  };
  const subjects = foldSubjects(ds, fold, o.data, true);
  const main = await load(ds, subjects.train, 'training');
  // extra sets add frames of the fold's training subjects only; their test subjects are never read
  const extras: Array<{ root: string; manifest: unknown; trainSubjects: string[]; trainImages: number }> = [];
  const parts = [main];
  for (const dir of o.extra) {
    const eds = await openDisfa(dir);
    const present = new Set(eds.subjects.map((s) => s.id));
    const extraTrain = fold.train.filter((s) => present.has(s));
    if (extraTrain.length === 0) throw new UserError(`--extra ${dir} holds none of fold ${fold.fold}'s training subjects (${fold.train.join(' ')})`);
    const set = await load(eds, extraTrain, `extra training (${dir})`);
    if (set.size !== main.size) throw new UserError(`--extra ${dir} has ${set.size}-px frames, --data ${o.data} has ${main.size}-px frames`);
    parts.push(set);
    extras.push({ root: dir, manifest: eds.manifest, trainSubjects: extraTrain, trainImages: set.count });
  }
  // pool identities are other people than every DISFA-layout subject (checked, not assumed); this
  // departs from DESIGN §4's "training subjects only", so the record names it and reports keep it apart
  let poolRecord: { root: string; manifest: unknown; identities: number; images: number } | undefined;
  if (o.pool) {
    const ids = await readPoolIdentities(o.pool);
    const n = o.poolIdentities === undefined ? ids.length : positiveInt('pool-identities', o.poolIdentities);
    if (n > ids.length) throw new UserError(`--pool-identities ${n}: ${o.pool} holds ${ids.length} identities`);
    const clash = poolOverlap(ids.slice(0, n), ds.manifest);
    if (clash) throw new UserError(`--pool ${o.pool}: identity ${clash.index} is subject ${clash.subject} of ${o.data}; a pool must not hold the data set's subjects`);
    const manifest = await readPoolManifest(o.pool);
    const bar = progress('loading pool images', n * manifest.perIdentity, { quiet: o.quiet });
    const set = await imageSetFromPool(o.pool, { from: 0, to: n }, { onProgress: (d) => bar.update(d) });
    bar.stop();
    if (set.size !== main.size) throw new UserError(`--pool ${o.pool} has ${set.size}-px images, --data ${o.data} has ${main.size}-px frames`);
    parts.push(set);
    poolRecord = { root: o.pool, manifest, identities: n, images: set.count };
  }
  const train = parts.length > 1 ? concatImageSets(parts) : main;
  const test = await load(ds, subjects.test, 'test');
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
    jitter: o.jitter,
    affine: o.affine,
    blur: o.blur,
    balance: o.balance,
    schedule,
    ...(subjectAdversary ? { subjectAdversary } : {}),
    onStep: (step, logs) => bar.update(step, { loss: logs['loss']!.toFixed(4), ...(logs['subject'] !== undefined ? { au: logs['au']!.toFixed(4), subject: logs['subject'].toFixed(3) } : {}), 'img/s': ((batch * (kind === 'fpre' ? 2 : 1) * (step - initial)) / ((performance.now() - t0) / 1000)).toFixed(1) }),
  });
  bar.stop();
  if (result.stoppedBy === 'signal') {
    process.stderr.write(`stopped at step ${result.step}; continue with --resume\n`);
    return;
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const metrics =
    kind === 'hest'
      ? (() => {
          const s = evaluateHest(estimator, test);
          return { testIccMean: s.meanIcc, testMseMean: s.meanMse, iccUndefined: s.iccUndefined, perAu: s.perAu };
        })()
      : (() => {
          const s = evaluateFpre(estimator, test, 4000);
          return { testDeltaMse: s.mse, testDeltaMseIfPredictingZero: s.baselineMse, pairs: s.pairs };
        })();
  await saveEstimator(o.out, estimator, {
    training: {
      command: `aueditnet train ${kind} --data ${o.data} --fold ${o.fold} --out ${o.out} --steps ${steps} --batch ${batch} --lr ${lr} --seed ${seed} --every ${every}${o.jitter ? ' --jitter' : ''}${o.affine ? ' --affine' : ''}${o.blur ? ' --blur' : ''}${o.balance ? ' --balance' : ''}${scheduleFlags(schedule, steps)}${o.extra.map((d) => ` --extra ${d}`).join('')}${o.pool ? ` --pool ${o.pool}${o.poolIdentities ? ` --pool-identities ${o.poolIdentities}` : ''}` : ''}${subjectAdversary ? ` --subject-adversary ${subjectAdversary}` : ''}`,
      data: { root: o.data, manifest: ds.manifest, trainSubjects: subjects.train, testSubjects: subjects.test, trainImages: train.count, testImages: test.count, ...(extras.length ? { extra: extras } : {}), ...(poolRecord ? { pool: poolRecord } : {}) },
      steps: result.step,
      wallSeconds: Math.round(wallSeconds),
      backend: runtime.backend,
      threads: runtime.threads,
    },
    metrics,
  });
  process.stdout.write(`${kind}: ${JSON.stringify(metrics, (k, v) => (k === 'perAu' ? undefined : typeof v === 'number' ? Math.round(v * 1e4) / 1e4 : v))}\nwrote ${o.out}/${kind}.safetensors and ${kind}.json\n`);
}

export function register(train: Command): void {
  for (const kind of ['fpre', 'hest'] as const) {
    const cmd = train
      .command(kind)
      .description(
        kind === 'fpre'
          ? 'train F_pre, the Siamese AU-difference estimator used by the editor loss L_F, on the training subjects of a DISFA-layout fold'
          : 'train H_est, the absolute AU intensity estimator used only for evaluation, on the training subjects of a DISFA-layout fold',
      )
      .requiredOption('--data <dir>', 'DISFA-layout data set (e.g. from `aueditnet synth disfa`)')
      .option('--fold <k>', 'test on part k of the standard 3-fold subject split, train on the other two', '3')
      .requiredOption('--out <dir>', `output folder: ${kind}.safetensors, ${kind}.json, checkpoint.safetensors`)
      .option('--steps <n>', 'optimizer steps', kind === 'fpre' ? '3000' : '3000')
      .option('--batch <n>', kind === 'fpre' ? 'pairs per step' : 'images per step', kind === 'fpre' ? '32' : '64')
      .option('--lr <x>', 'Adam learning rate', '1e-3')
      .option('--seed <n>', 'seed of the initial weights and the batch order', kind === 'fpre' ? '11' : '23')
      .option('--every <k>', 'use every k-th frame (neighbouring video frames are near-duplicates)', '2')
      .option('--jitter', 'per-image shift (±3 px) and colour jitter on top of mirroring, against overfitting the training faces')
      .option('--blur', 'per-image blur of random strength (up to a σ = 1.5 px Gaussian), so that soft generated faces read like renders')
      .option('--affine', 'per-image zoom (0.92–1.10 on each axis) and ±2 px shift, against overfitting the training faces\' shapes')
      .option('--extra <dir>', 'another DISFA-layout set (e.g. `synth disfa --episodes independent`) whose frames of the fold\'s training subjects are added to the training images; repeatable', (v: string, prev: string[]) => [...prev, v], [] as string[])
      .option('--pool <dir>', 'also train on the images of a `synth pool` folder (other identities than every subject of --data, checked): more faces than the 18 training subjects, but outside DESIGN §4\'s "training subjects only" — a diagnostic, recorded as such')
      .option('--pool-identities <n>', 'use only the first n identities of --pool')
      .option('--resume', 'continue from <out>/checkpoint.safetensors')
      .option('--quiet', 'no progress output');
    addScheduleOptions(cmd);
    if (kind === 'hest') {
      cmd.option('--balance', 'half of each batch: an AU at random, then a frame where it is active (rare AUs in every batch)');
      cmd.option('--subject-adversary <lambda>', 'train a head that names the training subject from H_est\'s hidden features, its gradient reversed and scaled by lambda into the trunk, so the AU head cannot lean on who the person is (the head is not shipped)');
    }
    cmd.action((o: Options) => run(kind, o));
  }
}
