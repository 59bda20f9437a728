/**
 * `aueditnet train directions`: the linear-direction baseline (src/editor/directions.ts). Encodes
 * the fold's training (and test) subjects once with the pair's frozen encoder — cached in
 * <out>/latents-train.safetensors and latents-test.safetensors, reused while the encoder, data,
 * --every and subjects are unchanged — fits per-AU directions and the read-out, writes
 * directions.safetensors + directions.json and prints the read-out's per-AU R².
 */
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AU_ORDER } from '../data/aus.js';
import { openDisfa } from '../data/disfa.js';
import { disfaFold } from '../data/folds.js';
import { fitDirections, LinearDirections, saveDirections } from '../editor/directions.js';
import { UserError } from '../errors.js';
import { sha256File } from '../gan/checkpoint.js';
import { loadModels } from '../gan/modelDir.js';
import { initRuntime } from '../runtime/index.js';
import { cachedLatents, foldSubjects, requireDir } from './foldLatents.js';
import { positiveInt } from './args.js';

interface Options {
  data: string;
  fold: string;
  pair: string;
  out: string;
  every: string;
  lambda: string;
  readoutLambda?: string;
  batch: string;
  quiet?: boolean;
}

const fmt = (v: number | null) => (v === null ? '   —  ' : v.toFixed(3).padStart(6));

async function run(o: Options): Promise<void> {
  const fold = disfaFold(Number(o.fold));
  const every = positiveInt('every', o.every);
  const batch = positiveInt('batch', o.batch);
  const lambda = Number(o.lambda);
  if (!(lambda > 0) || !Number.isFinite(lambda)) throw new UserError(`--lambda ${o.lambda}: expected a positive number`);
  let readoutLambda: number | 'auto' = lambda;
  if (o.readoutLambda !== undefined) {
    readoutLambda = o.readoutLambda === 'auto' ? 'auto' : Number(o.readoutLambda);
    if (readoutLambda !== 'auto' && !(readoutLambda > 0 && Number.isFinite(readoutLambda))) throw new UserError(`--readout-lambda ${o.readoutLambda}: expected a positive number or 'auto'`);
  }
  requireDir(o.data, 'the DISFA-layout data set of --data');
  requireDir(o.pair, 'the GAN pair of --pair: a model folder with encoder.safetensors');
  await initRuntime();
  const ds = await openDisfa(o.data);
  const { train: trainSubjects, test: testSubjects } = foldSubjects(ds, fold, o.data);

  const { encoder: loaded } = await loadModels(o.pair, { encoder: true });
  const encoder = loaded!.model.freeze();
  try {
    const encoderSha = await sha256File(loaded!.file);
    mkdirSync(o.out, { recursive: true });
    const cached = (subjects: string[], what: 'train' | 'test') =>
      cachedLatents({ ds, subjects, encoder, encoderFile: loaded!.file, outDir: o.out, what, every, batch, quiet: o.quiet });
    const train = await cached(trainSubjects, 'train');
    const test = testSubjects.length > 0 ? await cached(testSubjects, 'test') : null;

    const { data, report } = fitDirections(train, { lambda, readoutLambda });
    const dirs = new LinearDirections(data);
    let r2Test: (number | null)[] | null;
    try {
      r2Test = test ? dirs.score(test) : null;
    } finally {
      dirs.dispose();
    }
    const perAu = (r: (number | null)[]) => Object.fromEntries(AU_ORDER.map((au, i) => [`AU${au}`, r[i] === null ? null : Math.round(r[i]! * 1e4) / 1e4]));
    await saveDirections(o.out, data, {
      fold: fold.fold,
      trainSubjects,
      testSubjects,
      every,
      lambda,
      readoutLambda: report.readoutLambda,
      readoutCv: report.readoutCv,
      trainRows: report.rows,
      testRows: test?.count ?? 0,
      readoutRows: report.readoutRows,
      latentR2: Math.round(report.latentR2 * 1e4) / 1e4,
      r2Train: perAu(report.r2Train),
      r2Test: r2Test ? perAu(r2Test) : null,
      pair: { dir: o.pair, encoderFile: loaded!.file, encoderSha256: encoderSha },
      data: { root: o.data, manifest: ds.manifest },
      command: `aueditnet train directions --data ${o.data} --fold ${fold.fold} --pair ${o.pair} --out ${o.out} --every ${every} --lambda ${lambda}${o.readoutLambda !== undefined ? ` --readout-lambda ${o.readoutLambda}` : ''}`,
    });
    const lines = [
      `read-out R² per AU (${report.rows} training latents of ${trainSubjects.length} subjects${test ? `, ${test.count} test latents of ${testSubjects.length}` : ''}); directions explain ${(report.latentR2 * 100).toFixed(1)}% of the subject-centred latent variance`,
      ...(report.readoutCv
        ? [`read-out ridge by subject-grouped ${report.readoutCv.folds}-fold CV: ${report.readoutCv.grid.map((l, k) => `λ ${l}: ${report.readoutCv!.mse[k]!.toFixed(3)}`).join(', ')} → λ ${report.readoutCv.chosen}`]
        : []),
      `  AU    ${AU_ORDER.map((a) => String(a).padStart(6)).join(' ')}`,
      `  train ${report.r2Train.map(fmt).join(' ')}`,
      ...(r2Test ? [`  test  ${r2Test.map(fmt).join(' ')}`] : []),
      `wrote ${join(o.out, 'directions.safetensors')} and directions.json`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    encoder.dispose();
  }
}

export function register(train: Command): void {
  train
    .command('directions')
    .description('fit the linear-direction baseline: per-AU least-squares directions in W+ on the training subjects of a DISFA-layout fold, plus a linear AU read-out')
    .requiredOption('--data <dir>', 'DISFA-layout data set (e.g. from `aueditnet synth disfa`)')
    .option('--fold <k>', 'fit on the two training parts of the standard 3-fold subject split, score on part k', '3')
    .requiredOption('--pair <dir>', 'GAN pair model folder (encoder.safetensors; from `aueditnet train pair` or `aueditnet import`)')
    .requiredOption('--out <dir>', 'output folder: directions.safetensors, directions.json, latents-train/test.safetensors (latent caches)')
    .option('--every <k>', 'use every k-th frame (neighbouring video frames are near-duplicates)', '2')
    .option('--lambda <x>', 'ridge strength, relative to the mean label variance (directions) and the mean latent energy (read-out)', '1e-3')
    .option('--readout-lambda <x|auto>', "ridge strength of the AU read-out alone (default: --lambda); 'auto' picks it from 1e-3…1e2 by subject-grouped 3-fold cross-validation on the training subjects")
    .option('--batch <n>', 'images per encoder call', '32')
    .option('--quiet', 'no progress output')
    .action((o: Options) => run(o));
}
