import type { Command } from 'commander';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { AU_ORDER } from '../data/aus.js';
import { openDisfa } from '../data/disfa.js';
import { disfaFold } from '../data/folds.js';
import { foldSubjects } from './foldLatents.js';
import { UserError } from '../errors.js';
import { estimateAus, predictSet, rows as splitRows } from '../estimators/evaluate.js';
import { disfaFrameCount, disfaFrames, imageSetFromDisfa } from '../estimators/loadImageSet.js';
import { LABELS_PER_IMAGE } from '../estimators/imageSet.js';
import { estimatorFiles, loadEstimator } from '../estimators/model.js';
import { auScores, type AuScores } from '../eval/auMetrics.js';
import { applyOffsets, calibrationPlan, personOffsets } from '../eval/personCalibration.js';
import { restReadings } from '../eval/restReadings.js';
import { ORACLE_LEVELS, oracleCurve, type OracleCurveRow } from '../eval/oracleCurve.js';
import { imageToTensorData, type RgbImage } from '../io/image.js';
import { subjectFace } from '../synth/subjectFace.js';
import { tf } from '../runtime/tf.js';
import { num } from '../eval/reportTables.js';
import { writeFileAtomic } from '../io/atomic.js';
import { initRuntime } from '../runtime/index.js';
import { positiveInt } from './args.js';
import { DEFAULT_MODEL_DIR } from './estimate.js';
import { progress } from './progress.js';
import { reportPath } from './eval.js';

interface Options {
  data: string;
  fold: string;
  model?: string;
  every: string;
  frames?: string;
  out?: string;
  calibrate?: string | boolean;
  oracle?: boolean;
  quiet?: boolean;
}

export const DEFAULT_CALIBRATION_PERCENTILE = 10;

function calibrationPercentile(v: string | boolean | undefined): number | undefined {
  if (v === undefined || v === false) return undefined;
  if (v === true) return DEFAULT_CALIBRATION_PERCENTILE;
  const p = Number(v);
  if (!(p >= 0 && p < 50)) throw new UserError(`--calibrate ${v}: expected a percentile in [0, 50)`);
  return p;
}

/** Share of frames whose label of each AU is ≥ 1: an ICC over a column that is nearly all 0 says little. */
function activeShare(labels: Float32Array): number[] {
  const n = labels.length / LABELS_PER_IMAGE;
  return AU_ORDER.map((_, j) => {
    let k = 0;
    for (let i = 0; i < n; i++) if (labels[i * LABELS_PER_IMAGE + j]! >= 1) k++;
    return n ? k / n : 0;
  });
}

/** Scores an H_est on the test subjects of a DISFA-layout fold: per-AU ICC(3,1) and MSE against the labels. */
async function run(o: Options): Promise<void> {
  const dir = o.model ?? DEFAULT_MODEL_DIR;
  if (!existsSync(estimatorFiles(dir, 'hest').weights)) throw new UserError(`${estimatorFiles(dir, 'hest').weights}: no such file`);
  const fold = disfaFold(Number(o.fold));
  const every = positiveInt('every', o.every);
  const maxFrames = o.frames === undefined ? undefined : positiveInt('frames', o.frames);
  const percentile = calibrationPercentile(o.calibrate);
  const runtime = await initRuntime();
  const ds = await openDisfa(o.data);
  if (o.oracle && ds.kind !== 'synthfacs') throw new UserError(`--oracle renders SynthFACS subjects; ${o.data} is not a SynthFACS data set (no SynthFACS manifest.json)`);
  const est = loadEstimator(dir, 'hest');
  const subjects = foldSubjects(ds, fold, o.data, true);
  const test = subjects.test;
  // which AUs may be calibrated is read from the training subjects' labels, never the test ones
  const plan = percentile === undefined ? null : (() => {
    const tr = disfaFrames(ds, subjects.train, { every, maxFrames });
    return calibrationPlan(tr.labels, tr.groups, LABELS_PER_IMAGE, percentile);
  })();
  const bar = progress('loading test frames', disfaFrameCount(ds, test, { every, maxFrames }), { quiet: o.quiet });
  const set = await imageSetFromDisfa(ds, test, { every, maxFrames, onProgress: (d) => bar.update(d) });
  bar.stop();
  if (set.size !== est.size) throw new UserError(`${o.data}: frames are ${set.size} px, the H_est in ${dir} takes ${est.size} px`);
  const t0 = performance.now();
  const pred = predictSet(est, set);
  const msPerImage = (performance.now() - t0) / set.count;
  const rows = (a: Float32Array) => splitRows(a, LABELS_PER_IMAGE);
  const s = auScores(rows(set.labels!), rows(pred));
  const cal: AuScores | null = plan ? auScores(rows(set.labels!), rows(applyOffsets(pred, set.groups, LABELS_PER_IMAGE, personOffsets(pred, set.groups, LABELS_PER_IMAGE, plan)))) : null;
  const active = activeShare(set.labels!);
  const rest = restReadings(set.labels!, pred, set.groups, test.length, LABELS_PER_IMAGE);
  let curve: OracleCurveRow[] | null = null;
  if (o.oracle) {
    curve = oracleCurve(
      test,
      (subject, au, level) => subjectFace(subject, { [au]: level }, est.size),
      (faces: RgbImage[], column) =>
        tf.tidy(() => {
          const S = est.size;
          const x = tf.tensor4d(Float32Array.from(faces.flatMap((f) => Array.from(imageToTensorData(f)))), [faces.length, S, S, 3]);
          return Array.from(estimateAus(est, x).slice([0, column], [-1, 1]).dataSync());
        }),
    );
  }
  const report = {
    model: reportPath(dir),
    data: reportPath(o.data),
    fold: Number(o.fold),
    testSubjects: test,
    every,
    ...(maxFrames ? { maxFrames } : {}),
    images: set.count,
    meanIcc: s.meanIcc,
    iccUndefined: s.iccUndefined,
    meanMse: s.meanMse,
    perAu: s.perAu.map((a, j) => ({ ...a, activeShare: active[j] })),
    restReadings: {
      method: "per test subject, the mean estimate of each AU over that subject's frames labelled 0 for it (null: none); 0 for a reader free of identity offsets",
      perSubject: Object.fromEntries(test.map((id, g) => [id, rest.means[g]])),
      worst: AU_ORDER.map((au, j) => ({ au, reading: rest.worst[j], subject: rest.worstGroup[j]! >= 0 ? test[rest.worstGroup[j]!] : null })),
    },
    ...(plan && cal
      ? {
          calibrated: {
            method: `per test subject, the ${plan.percentile}th percentile of its estimates subtracted from each calibrated AU (no test label used)`,
            percentile: plan.percentile,
            aus: AU_ORDER.filter((_, j) => plan.calibrated[j]),
            trainingMinRestShare: plan.minRestShare,
            meanIcc: cal.meanIcc,
            iccUndefined: cal.iccUndefined,
            meanMse: cal.meanMse,
            perAu: cal.perAu,
          },
        }
      : {}),
    ...(curve ? { oracleCurve: { levels: [...ORACLE_LEVELS], subjects: test, method: 'each test subject rendered with one AU at each level, no nuisance; mean reading of that AU', rows: curve } } : {}),
  };
  const md = [
    `H_est \`${report.model}\` on fold ${report.fold} of \`${report.data}\` (${set.count} test frames of ${test.length} subjects, every ${every}${maxFrames ? `, first ${maxFrames} frames of each` : ''})`,
    '',
    `| AU | ${AU_ORDER.join(' | ')} | mean |`,
    `|---|${AU_ORDER.map(() => '---|').join('')}---|`,
    `| ICC | ${s.perAu.map((a) => num(a.icc, 2)).join(' | ')} | ${num(s.meanIcc)} |`,
    `| MSE | ${s.perAu.map((a) => num(a.mse)).join(' | ')} | ${num(s.meanMse)} |`,
    ...(plan && cal
      ? [
          `| ICC, calibrated | ${cal.perAu.map((a) => num(a.icc, 2)).join(' | ')} | ${num(cal.meanIcc)} |`,
          `| MSE, calibrated | ${cal.perAu.map((a) => num(a.mse)).join(' | ')} | ${num(cal.meanMse)} |`,
        ]
      : []),
    `| label ≥ 1 | ${active.map((v) => `${(v * 100).toFixed(1)} %`).join(' | ')} | |`,
    '',
    'Rest readings: per test subject, the mean estimate of each AU over its frames labelled 0 for that AU (identity offsets; – = never at 0).',
    '',
    `| subject | ${AU_ORDER.join(' | ')} |`,
    `|---|${AU_ORDER.map(() => '---|').join('')}`,
    ...test.map((id, g) => `| ${id} | ${rest.means[g]!.map((v) => (v === null ? '–' : num(v, 2))).join(' | ')} |`),
    `| largest | ${rest.worst.map((v, j) => (rest.worstGroup[j]! < 0 ? '–' : `${num(v, 2)} (${test[rest.worstGroup[j]!]})`)).join(' | ')} |`,
    '',
    plan
      ? `Calibrated: per test subject, its ${plan.percentile}th-percentile estimate is subtracted for AU ${AU_ORDER.filter((_, j) => plan.calibrated[j]).join(', ')} (each training subject is at rest for these in ≥ ${2 * plan.percentile} % of its frames); ${AU_ORDER.filter((_, j) => !plan.calibrated[j]).join(', ') || 'no AU'} left as estimated.`
      : '',
    ...(curve
      ? [
          '',
          `Oracle dose–response: each of the ${test.length} test subjects rendered with one AU at intensity ${ORACLE_LEVELS.join(', ')} and nothing else (no nuisance); mean reading of that AU, and the least-squares slope (1 = the scale as rendered).`,
          '',
          `| AU | ${ORACLE_LEVELS.map((l) => `at ${l}`).join(' | ')} | slope |`,
          `|---|${ORACLE_LEVELS.map(() => '---|').join('')}---|`,
          ...curve.map((r) => `| ${r.au} | ${r.mean.map((v) => num(v, 2)).join(' | ')} | ${num(r.slope, 2)} |`),
          `| mean slope | ${ORACLE_LEVELS.map(() => '').join(' | ')} | ${num(curve.reduce((a, r) => a + r.slope, 0) / curve.length, 2)} |`,
          '',
        ]
      : []),
    s.iccUndefined ? `ICC undefined for ${s.iccUndefined} AU(s) (constant labels and estimates); the mean skips them.` : '',
  ].join('\n');
  process.stdout.write(md + '\n');
  process.stderr.write(`${set.count} images, ${msPerImage.toFixed(2)} ms per image (${runtime.backend}, ${runtime.threads} threads)\n`);
  if (o.out) {
    mkdirSync(o.out, { recursive: true });
    await writeFileAtomic(path.join(o.out, 'hest-report.json'), JSON.stringify(report, null, 2) + '\n');
    await writeFileAtomic(path.join(o.out, 'hest-report.md'), md + '\n');
    process.stdout.write(`wrote ${path.join(o.out, 'hest-report.json')} and hest-report.md\n`);
  }
}

export function register(program: Command): void {
  program
    .command('eval-hest')
    .description("score an H_est on the test subjects of a DISFA-layout fold: per-AU ICC(3,1) and MSE against the labels, and how often each AU is active")
    .requiredOption('--data <dir>', 'DISFA-layout data set (e.g. from `aueditnet synth disfa`)')
    .option('--fold <k>', 'test subjects = part k of the standard 3-fold split', '3')
    .option('--model <dir>', 'folder with hest.safetensors + hest.json (default: the shipped SynthFACS model)')
    .option('--every <k>', 'use every k-th frame', '2')
    .option('--frames <n>', 'only the first n frames of each subject')
    .option('--calibrate [percentile]', `also score with person-specific calibration: per test subject, subtract the given percentile (default ${DEFAULT_CALIBRATION_PERCENTILE}) of its own estimates from each AU that every training subject rests in for ≥ twice that share of frames`)
    .option('--oracle', 'SynthFACS only: also render each test subject with one AU at intensity 0–5 and nothing else, and report the mean reading per level and its slope (does H_est read an AU on its own, over its whole range?)')
    .option('--out <dir>', 'also write hest-report.json and hest-report.md there')
    .option('--quiet', 'no progress output')
    .action((o: Options) => run(o));
}
