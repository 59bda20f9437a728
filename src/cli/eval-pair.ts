/**
 * `aueditnet eval-pair`: issue #4's measures of a generator/encoder pair on the test subjects of a
 * DISFA-layout fold (src/eval/pairProtocol.ts) — reconstruction PSNR, H_est on reconstructions vs
 * originals, interpolation evenness, and AU moves along linear W+ directions fitted on the
 * training subjects. Writes pair-report.json, pair-report.md and three PNG grids, atomically; no
 * timestamps, so re-running the recorded command reproduces the files.
 */
import type { Command } from 'commander';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { openDisfa } from '../data/disfa.js';
import { disfaFold } from '../data/folds.js';
import { buildLatentCache } from '../data/latentCache.js';
import { fitDirections, LinearDirections } from '../editor/directions.js';
import { fileError, UserError } from '../errors.js';
import { batchImages, type ImageSet } from '../estimators/imageSet.js';
import { imageSetFromDisfa } from '../estimators/loadImageSet.js';
import { estimatorFiles, loadEstimator } from '../estimators/model.js';
import { AU_IDS } from '../eval/auMetrics.js';
import { auMoveReport, crossSubjectPairs, interpolationImages, interpolationReport, moveAlong, reconstructionReport, type AuMoveReport, type InterpolationReport, type ReconstructionReport } from '../eval/pairProtocol.js';
import { sha256File } from '../gan/checkpoint.js';
import type { Encoder } from '../gan/encoder.js';
import type { Generator } from '../gan/generator.js';
import { loadModels } from '../gan/modelDir.js';
import { refineLatents } from '../gan/refine.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { RgbImage } from '../io/image.js';
import { initRuntime } from '../runtime/index.js';
import { scoped } from '../runtime/scoped.js';
import { tf } from '../runtime/tf.js';
import { positiveInt } from './args.js';
import { labelledGrid } from './demo.js';
import { foldSubjects, requireDir } from './foldLatents.js';
import { progress } from './progress.js';

interface Options {
  model: string;
  data: string;
  fold: string;
  hest?: string | false;
  every: string;
  paths: string;
  steps: string;
  amount: string;
  moveImages: string;
  directionsEvery: string;
  seed: string;
  out: string;
  refine: string;
  refineImages: string;
  quiet?: boolean;
}

export interface PairReport {
  command: string;
  models: { role: string; path: string; sha256: string }[];
  data: { root: string; fold: number; testSubjects: string[]; testImages: number; trainSubjects: string[] };
  reconstruction: ReconstructionReport;
  /** The encoder + optimisation inversion (gan/refine.ts) on an even subset of the test frames. */
  refined: { steps: number; lr: number; report: ReconstructionReport } | null;
  interpolation: InterpolationReport;
  auMoves: AuMoveReport | null;
}

/** Header of a table with one column per AU (AU_IDS order, as every per-AU list here) and a mean. */
const AU_TABLE_HEAD = [`| | ${AU_IDS.map((x) => `AU${x}`).join(' | ')} | mean |`, `|---|${AU_IDS.map(() => '---').join('|')}|---|`];

const f2 = (v: number) => v.toFixed(2);
const f3 = (v: number) => (Number.isNaN(v) ? '—' : v.toFixed(3));

export function pairReportMarkdown(r: PairReport): string {
  const rec = r.reconstruction;
  const lines = [
    '# GAN pair report',
    '',
    `\`${r.command}\``,
    '',
    `Test subjects of fold ${r.data.fold} (${r.data.testSubjects.join(' ')}), ${rec.images} frames; images in [0, 1].`,
    '',
    '## Reconstruction G(E(I))',
    '',
    `PSNR mean **${f2(rec.psnr.mean)} dB**, median ${f2(rec.psnr.median)}, worst frame ${f2(rec.psnr.min)}. Inside the AU regions (brows, lids, nose wings, lips: ${(100 * rec.auRegionPsnr.share).toFixed(1)} % of the pixels): mean **${f2(rec.auRegionPsnr.mean)} dB**, median ${f2(rec.auRegionPsnr.median)}.`,
    '',
    `| subject | ${Object.keys(rec.psnr.perSubject).join(' | ')} |`,
    `|---|${Object.keys(rec.psnr.perSubject).map(() => '---').join('|')}|`,
    `| PSNR (dB) | ${Object.values(rec.psnr.perSubject).map(f2).join(' | ')} |`,
    '',
  ];
  if (r.refined) {
    const q = r.refined.report;
    lines.push(
      `### With ${r.refined.steps} refinement steps (encoder + optimisation)`,
      '',
      `W+ from E, then ${r.refined.steps} Adam steps (lr ${r.refined.lr}) on the pixel error, on ${q.images} evenly spread test frames: PSNR mean **${f2(q.psnr.mean)} dB**, median ${f2(q.psnr.median)}, worst frame ${f2(q.psnr.min)}; in the AU regions ${f2(q.auRegionPsnr.mean)} dB.`,
      '',
    );
    if (q.au) lines.push(`H_est on these reconstructions: ICC ${f3(q.au.reconstruction.meanIcc)}, MSE vs labels ${f3(q.au.reconstruction.meanMse)}, MSE vs H_est on the originals ${f3(q.au.reconVsOriginal.meanMse)}.`, '');
  }
  if (rec.au) {
    const a = rec.au;
    lines.push(
      'H_est on originals and on reconstructions, against the labels, and reconstruction vs original:',
      '',
      ...AU_TABLE_HEAD,
      `| ICC original | ${a.original.perAu.map((p) => f3(p.icc)).join(' | ')} | ${f3(a.original.meanIcc)} |`,
      `| ICC reconstruction | ${a.reconstruction.perAu.map((p) => f3(p.icc)).join(' | ')} | ${f3(a.reconstruction.meanIcc)} |`,
      `| MSE original | ${a.original.perAu.map((p) => f3(p.mse)).join(' | ')} | ${f3(a.original.meanMse)} |`,
      `| MSE reconstruction | ${a.reconstruction.perAu.map((p) => f3(p.mse)).join(' | ')} | ${f3(a.reconstruction.meanMse)} |`,
      `| MSE H_est(rec) vs H_est(orig) | ${a.reconVsOriginal.perAu.map((p) => f3(p.mse)).join(' | ')} | ${f3(a.reconVsOriginal.meanMse)} |`,
      '',
    );
  }
  const it = r.interpolation;
  lines.push(
    '## Interpolation',
    '',
    `${it.paths} W+ lerps between frames of two different test subjects, ${it.steps} steps each. Evenness = largest step / mean step of the RMS pixel change (1 = even): mean ${f2(it.evenness.mean)}, worst ${f2(it.evenness.worst)}. Path ratio = summed steps / direct change (1 = a straight line in pixel space): mean ${f2(it.pathRatio.mean)}, worst ${f2(it.pathRatio.worst)}.`,
    '',
  );
  if (r.auMoves) {
    const m = r.auMoves;
    lines.push(
      '## AU moves along linear W+ directions',
      '',
      `Directions fitted on the training subjects' latents; each test latent moved by ${m.amount} units of one AU; change of H_est's reading (${m.images} frames).`,
      '',
      ...AU_TABLE_HEAD,
      `| that AU | ${m.perAu.map((p) => f2(p.moved)).join(' | ')} | ${f2(m.meanMoved)} |`,
      `| mean abs. other AUs | ${m.perAu.map((p) => f2(p.others)).join(' | ')} | ${f2(m.meanOthers)} |`,
      '',
    );
  }
  lines.push('## Files', '', ...r.models.map((m) => `- ${m.role}: \`${m.path}\` (sha256 ${m.sha256.slice(0, 16)}…)`), '');
  return lines.join('\n');
}

function toRgb(x: tf.Tensor4D): RgbImage[] {
  const [B, H, W] = x.shape;
  const d = scoped(() => x.clipByValue(-1, 1).add(1).div(2).dataSync() as Float32Array);
  const n = H * W * 3;
  return Array.from({ length: B }, (_, i) => ({ width: W, height: H, data: d.slice(i * n, (i + 1) * n) }));
}

async function writeGrids(out: string, g: Generator, e: Encoder, set: ImageSet, dirs: LinearDirections | null, o: { steps: number; amount: number; seed: number; refine: number }): Promise<void> {
  const SYNTH = { noise: 'const', mode: 'shared' } as const;
  const picks = crossSubjectPairs(set, 4, o.seed + 1);
  const faces = picks.map((p) => p[0]);
  const recRows = scoped(() => {
    const x = batchImages(set, faces);
    const w = e.encode(x);
    const rec = g.synthesis(w, SYNTH) as tf.Tensor4D;
    const rows = [
      { label: 'input', images: toRgb(x) },
      { label: 'G(E(I))', images: toRgb(rec) },
    ];
    if (o.refine > 0) rows.push({ label: `refined ×${o.refine}`, images: toRgb(g.synthesis(refineLatents(g, x, w, { steps: o.refine }), SYNTH) as tf.Tensor4D) });
    return rows;
  });
  await writeFileAtomic(path.join(out, 'recon.png'), labelledGrid(recRows, faces.map((i) => set.groupNames[set.groups[i]!]!)));
  const strips = interpolationImages(g, e, set, picks.slice(0, 3), o.steps);
  const interpRows = strips.map((s, k) => ({ label: `path ${k + 1}`, images: toRgb(s) }));
  tf.dispose(strips);
  await writeFileAtomic(path.join(out, 'interp.png'), labelledGrid(interpRows, Array.from({ length: o.steps + 1 }, (_, i) => `t=${(i / o.steps).toFixed(2)}`)));
  if (!dirs) return;
  const moveRows = scoped(() =>
    faces.slice(0, 3).map((i) => {
      const w = e.encode(batchImages(set, [i]));
      const imgs = [g.synthesis(w, SYNTH) as tf.Tensor4D, ...AU_IDS.map((_, j) => g.synthesis(moveAlong(dirs, w, j, o.amount), SYNTH) as tf.Tensor4D)];
      return { label: set.groupNames[set.groups[i]!]!, images: imgs.flatMap(toRgb) };
    }),
  );
  await writeFileAtomic(path.join(out, 'moves.png'), labelledGrid(moveRows, ['G(E(I))', ...AU_IDS.map((a) => `AU${a} +${o.amount}`)]));
}

async function run(o: Options): Promise<void> {
  const fold = disfaFold(Number(o.fold));
  const every = positiveInt('every', o.every), paths = positiveInt('paths', o.paths), steps = positiveInt('steps', o.steps);
  const moveImages = positiveInt('move-images', o.moveImages), directionsEvery = positiveInt('directions-every', o.directionsEvery);
  const amount = Number(o.amount), seed = Number(o.seed);
  const refine = Number(o.refine), refineImages = positiveInt('refine-images', o.refineImages);
  if (!Number.isInteger(refine) || refine < 0) throw new UserError(`--refine ${o.refine}: expected an integer ≥ 0`);
  if (!Number.isFinite(amount) || amount === 0) throw new UserError(`--amount ${o.amount}: expected a non-zero number`);
  if (!Number.isInteger(seed)) throw new UserError(`--seed ${o.seed}: expected an integer`);
  if (steps < 2) throw new UserError(`--steps ${o.steps}: expected an integer ≥ 2`);
  requireDir(o.data, 'the DISFA-layout data set of --data');
  if (!existsSync(o.model)) throw fileError(o.model, 'no such file or directory (--model: a pair folder with generator.safetensors and encoder.safetensors)');
  const hestDir = o.hest === false ? null : (o.hest ?? o.model);
  if (hestDir && !existsSync(estimatorFiles(hestDir, 'hest').weights)) throw fileError(hestDir, 'has no hest.safetensors (pass --hest DIR, or --no-hest to skip the AU measures)');
  await initRuntime();
  const ds = await openDisfa(o.data);
  const { train: trainSubjects, test: testSubjects } = foldSubjects(ds, fold, o.data);
  if (testSubjects.length < 2) throw fileError(o.data, `holds ${testSubjects.length} of fold ${fold.fold}'s test subjects; the interpolation needs two`);
  const loaded = await loadModels(o.model, { generator: true, encoder: true });
  const g = loaded.generator!.model.freeze(), e = loaded.encoder!.model.freeze();
  const hest = hestDir ? loadEstimator(hestDir, 'hest') : null;
  let dirs: LinearDirections | null = null;
  try {
    const bar = (what: string, total: number) => progress(what, total, { quiet: o.quiet });
    const frames = (subjects: string[], k: number) => subjects.reduce((n, id) => n + Math.ceil(ds.subject(id).frames / k), 0);
    let b = bar('loading test frames', frames(testSubjects, every));
    const set = await imageSetFromDisfa(ds, testSubjects, { every, onProgress: (d) => b.update(d) });
    b.stop();
    b = bar('reconstructing', set.count);
    const reconstruction = reconstructionReport(g, e, set, { hest: hest ?? undefined, onProgress: (d) => b.update(d) });
    b.stop();
    let refined: PairReport['refined'] = null;
    if (refine > 0) {
      const n = Math.min(refineImages, set.count);
      const indices = Array.from({ length: n }, (_, i) => Math.floor((i * set.count) / n));
      b = bar(`refining ${n} inversions (${refine} steps)`, n);
      refined = { steps: refine, lr: 0.01, report: reconstructionReport(g, e, set, { hest: hest ?? undefined, indices, refine: { steps: refine, lr: 0.01 }, chunk: 16, onProgress: (d) => b.update(d) }) };
      b.stop();
    }
    const interpolation = interpolationReport(g, e, set, { paths, steps, seed });
    let auMoves: AuMoveReport | null = null;
    if (hest) {
      b = bar('encoding training frames for the directions', frames(trainSubjects, directionsEvery));
      const cache = await buildLatentCache({ data: ds, subjects: trainSubjects, encoder: e, every: directionsEvery, onProgress: (d) => b.update(d) });
      b.stop();
      dirs = new LinearDirections(fitDirections(cache).data);
      auMoves = auMoveReport(g, e, hest, dirs, set, { amount, images: moveImages, seed });
    }
    mkdirSync(o.out, { recursive: true });
    const models = [
      { role: 'generator', path: loaded.generator!.file, sha256: await sha256File(loaded.generator!.file) },
      { role: 'encoder', path: loaded.encoder!.file, sha256: await sha256File(loaded.encoder!.file) },
      ...(hestDir ? [{ role: 'hest', path: estimatorFiles(hestDir, 'hest').weights, sha256: await sha256File(estimatorFiles(hestDir, 'hest').weights) }] : []),
    ];
    const command =
      `aueditnet eval-pair --model ${o.model} --data ${o.data} --fold ${fold.fold}` +
      (hestDir ? ` --hest ${hestDir}` : ' --no-hest') +
      ` --every ${every} --paths ${paths} --steps ${steps} --amount ${amount} --move-images ${moveImages} --directions-every ${directionsEvery} --seed ${seed}` +
      (refine > 0 ? ` --refine ${refine} --refine-images ${refineImages}` : '') +
      ` --out ${o.out}`;
    const report: PairReport = {
      command,
      models,
      data: { root: o.data, fold: fold.fold, testSubjects, testImages: set.count, trainSubjects },
      reconstruction,
      refined,
      interpolation,
      auMoves,
    };
    await writeFileAtomic(path.join(o.out, 'pair-report.json'), `${JSON.stringify(report, null, 2)}\n`);
    const md = pairReportMarkdown(report);
    await writeFileAtomic(path.join(o.out, 'pair-report.md'), md);
    await writeGrids(o.out, g, e, set, dirs, { steps, amount, seed, refine });
    if (!o.quiet) process.stdout.write(`${md}\nwrote ${o.out}/pair-report.{json,md}, recon.png, interp.png${dirs ? ', moves.png' : ''}\n`);
  } finally {
    dirs?.dispose();
    hest?.params.dispose();
    g.dispose();
    e.dispose();
  }
}

export function register(program: Command): void {
  program
    .command('eval-pair')
    .description("measure a generator/encoder pair on a fold's test subjects: reconstruction PSNR, H_est on reconstructions, interpolation evenness, AU moves along linear W+ directions")
    .option('--model <dir|file>', 'the pair: a folder with generator.safetensors + encoder.safetensors, or a checkpoint', 'models/synthfacs-64')
    .requiredOption('--data <dir>', 'DISFA-layout data set (e.g. from `aueditnet synth disfa`)')
    .option('--fold <k>', 'test subjects = part k of the standard 3-fold split; directions are fitted on the other two', '3')
    .option('--hest <dir>', 'H_est folder (default: the --model folder)')
    .option('--no-hest', 'skip the H_est and AU-move measures')
    .option('--every <k>', 'use every k-th test frame', '5')
    .option('--paths <n>', 'interpolation paths between frames of two different subjects', '32')
    .option('--steps <n>', 'steps per interpolation path', '8')
    .option('--amount <x>', 'AU units each latent is moved along a direction', '3')
    .option('--move-images <n>', 'test frames used for the AU moves', '64')
    .option('--directions-every <k>', 'every k-th training frame for fitting the directions', '10')
    .option('--seed <n>', 'seed of the interpolation pairs and AU-move frames', '1')
    .requiredOption('--out <dir>', 'output folder: pair-report.json, pair-report.md, recon.png, interp.png, moves.png')
    .option('--refine <n>', 'also measure the encoder + optimisation inversion: n Adam steps on W+ against each image (0: off)', '0')
    .option('--refine-images <n>', 'test frames (evenly spread) for --refine, which costs n forward/backward passes per frame', '128')
    .option('--quiet', 'no progress output')
    .action((o: Options) => run(o));
}
