/**
 * `aueditnet train editor`: trains AUEditNet on the training subjects of a DISFA-layout fold with
 * a frozen GAN pair (latents cached once in <out>/latents-train.safetensors), the frozen F_pre and
 * F_id, and writes editor.safetensors + editor.json. Checkpoints every --every steps and on Ctrl-C or SIGTERM;
 * `--resume` continues exactly.
 */
import type { Command } from 'commander';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { openDisfa } from '../data/disfa.js';
import { disfaFold } from '../data/folds.js';
import { latentsOf } from '../data/latentCache.js';
import { resolveEditorConfig, type EditorConfig } from '../editor/config.js';
import { EDITOR_JSON, readEditorMeta, saveEditor } from '../editor/editorFiles.js';
import { frozenFid, frozenFpre } from '../editor/frozenNets.js';
import { trainEditor } from '../editor/trainer.js';
import { AUEditNet } from '../editor/auEditNet.js';
import { checkInitArchitecture, commandHistory, editorInit } from '../editor/editorInit.js';
import { scheduledLr, scheduleFlags, scheduleFromOptions } from '../nn/lrSchedule.js';
import { checkpointInfo, checkpointPath, checkpointStep } from '../nn/trainLoop.js';
import { fileError, UserError } from '../errors.js';
import { imageSetFromDisfa } from '../estimators/loadImageSet.js';
import { loadEstimator } from '../estimators/model.js';
import { loadModels } from '../gan/modelDir.js';
import { initRuntime } from '../runtime/index.js';
import { cachedLatents, foldSubjects, requireDir } from './foldLatents.js';
import { progress } from './progress.js';
import { addScheduleOptions, positiveInt } from './args.js';

interface Options {
  data?: string;
  export?: string;
  decayFrom?: string;
  decayTo?: string;
  lrFinal?: string;
  fold: string;
  pair: string;
  fpre: string;
  id: string;
  out: string;
  config?: string;
  steps: string;
  batch: string;
  lr: string;
  seed: string;
  every: string;
  ckpt: string;
  resume?: boolean;
  init?: string;
  quiet?: boolean;
}

export function readEditorConfigFile(file: string | undefined, levels: number[]): EditorConfig {
  if (!file) return resolveEditorConfig({ levels });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fileError(file, code === 'ENOENT' ? 'no such file' : `not valid JSON (${(err as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fileError(file, 'must hold a JSON object of editor settings');
  return resolveEditorConfig({ levels, ...(raw as Record<string, unknown>) }, file);
}

/**
 * The training record of an export. A finished run's own record (its editor.json at the
 * checkpoint's step) is kept whole; a mid-run export gets the checkpoint's provenance. When the run
 * began with `--init` from an editor folder, that folder's commands become `history`, read before
 * the export may overwrite it (shipping a fine-tune into the folder it started from).
 */
function exportRecord(out: string, checkpoint: string, step: number, run: Record<string, unknown>): Record<string, unknown> {
  let training: Record<string, unknown> = { checkpoint, step, ...run, exportedMidRun: true };
  if (existsSync(join(out, EDITOR_JSON))) {
    const finished = readEditorMeta(out).training;
    if (finished && finished['steps'] === step) training = { ...finished, shippedFrom: out };
  }
  if (Array.isArray(training['history'])) return training;
  const info = checkpointInfo(out);
  if (Array.isArray(info['history'])) return { ...training, history: info['history'] };
  // runs begun before the history was recorded: read the --init folder, if it is one
  const from = training['init'] ?? info['init'];
  if (typeof from === 'string' && existsSync(join(from, EDITOR_JSON))) {
    const history = commandHistory(readEditorMeta(from).training ?? {});
    if (history.length > 0) training['history'] = history;
  }
  return training;
}

/** `--export DIR`: the editor of a run's checkpoint as editor files, without training (ship or evaluate mid-run). */
async function exportRun(o: Options & { export: string }): Promise<void> {
  const file = checkpointPath(o.out);
  if (!existsSync(file)) throw fileError(file, 'no checkpoint to export (run `aueditnet train editor` into --out first)');
  requireDir(o.pair, 'the GAN pair of --pair (the one the run trains with)');
  await initRuntime();
  const init = editorInit(file);
  const pair = await loadModels(o.pair, { generator: true });
  const rows = pair.generator!.model.nLatent;
  pair.generator!.model.dispose();
  const ed = new AUEditNet(init.config).build(rows);
  try {
    init.load(ed);
    const training = exportRecord(o.out, file, init.step, init.run);
    mkdirSync(o.export, { recursive: true });
    await saveEditor(o.export, ed, { rows, pair: relative(resolve(o.export), resolve(o.pair)) || '.', training });
    process.stdout.write(`wrote ${o.export}/editor.safetensors and editor.json from ${file} (step ${init.step})\n`);
  } finally {
    ed.dispose();
  }
}

async function run(o: Options): Promise<void> {
  if (o.export !== undefined) return exportRun(o as Options & { export: string });
  if (!o.data) throw new UserError('--data <dir> is required for training (a DISFA-layout folder)');
  const data = o.data;
  const fold = disfaFold(Number(o.fold));
  const steps = positiveInt('steps', o.steps), batch = positiveInt('batch', o.batch), every = positiveInt('every', o.every), ckpt = positiveInt('checkpoint-every', o.ckpt);
  const lr = Number(o.lr), seed = Number(o.seed);
  if (!(lr > 0)) throw new UserError(`--lr ${o.lr}: expected a positive number`);
  const schedule = scheduleFromOptions(o, lr, steps, (m) => new UserError(m));
  if (o.init !== undefined && o.resume) throw new UserError('--init starts a new run from earlier weights; --resume continues this run from its checkpoint: pass one of them');
  requireDir(data, 'the DISFA-layout data set of --data');
  requireDir(o.pair, 'the GAN pair of --pair');
  if (o.init !== undefined && existsSync(checkpointPath(o.out))) {
    throw new UserError(`${checkpointPath(o.out)}: a checkpoint exists; --init starts a new run, so choose another --out folder (or --resume this one)`);
  }
  const init = o.init !== undefined ? editorInit(o.init) : undefined;
  const runtime = await initRuntime();
  const ds = await openDisfa(data);
  const { train: subjects } = foldSubjects(ds, fold, data);
  const pair = await loadModels(o.pair, { generator: true, encoder: true });
  const g = pair.generator!.model.freeze();
  const e = pair.encoder!.model.freeze();
  // default levels: every W+ row up to 64 px (DESIGN §3), i.e. all of a 64-px generator's
  const rows = g.nLatent;
  const config = readEditorConfigFile(o.config, [...Array(Math.min(rows, 10)).keys()]);
  const bad = config.levels.find((l) => l >= rows);
  if (bad !== undefined) throw new UserError(`editor config: level ${bad} does not exist; the generator has W+ rows 0–${rows - 1}`);
  if (config.styleDim !== g.styleDim) throw new UserError(`editor config: styleDim ${config.styleDim} but the generator's W rows are ${g.styleDim} long`);
  if (init) checkInitArchitecture(init, config);
  const fpre = loadEstimator(o.fpre, 'fpre');
  const fid = loadEstimator(o.id, 'fid');
  for (const [name, est] of [['F_pre', fpre], ['F_id', fid]] as const) {
    if (est.size !== g.config.size) throw new UserError(`${name} takes ${est.size}-px images, the generator makes ${g.config.size}-px ones`);
  }
  mkdirSync(o.out, { recursive: true });
  const cache = await cachedLatents({ ds, subjects, encoder: e, encoderFile: pair.encoder!.file, outDir: o.out, what: 'train', every, quiet: o.quiet });
  const loadBar = progress('loading training frames', cache.count, { quiet: o.quiet });
  const images = await imageSetFromDisfa(ds, subjects, { every, onProgress: (d) => loadBar.update(d) });
  loadBar.stop();
  if (images.count !== cache.count) throw new Error(`latent cache has ${cache.count} rows but ${images.count} frames were read`);
  if (images.size !== g.config.size) throw fileError(data, `frames are ${images.size} px, the generator makes ${g.config.size} px`);
  const initial = o.resume ? checkpointStep(o.out) : (init?.step ?? 0);
  // a resumed run that began with --init: its checkpoint says where the weights came from
  const stored = o.resume ? checkpointInfo(o.out) : {};
  const origin = init
    ? { init: o.init, initStep: init.step, ...(init.history ? { history: init.history } : {}) }
    : stored['init'] !== undefined
      ? { init: stored['init'], initStep: stored['initStep'], ...(Array.isArray(stored['history']) ? { history: stored['history'] } : {}) }
      : {};
  const bar = progress('training editor', steps, { quiet: o.quiet, initial });
  const t0 = performance.now();
  const { editor, result } = await trainEditor({
    config,
    data: { images, rows, latents: (idx) => latentsOf(cache, idx) },
    generator: g,
    fpre: frozenFpre(fpre),
    fid: frozenFid(fid),
    outDir: o.out,
    steps,
    batch,
    lr,
    seed,
    resume: o.resume,
    init,
    schedule,
    checkpointEvery: ckpt,
    log: (m) => process.stderr.write(`${m}\n`),
    onStep: (step, logs) => {
      const fields: Record<string, string> = { lr: scheduledLr(lr, schedule, step).toExponential(1) };
      for (const [k, v] of Object.entries(logs)) fields[k] = v.toFixed(4);
      fields['triples/s'] = ((batch * (step - initial)) / ((performance.now() - t0) / 1000)).toFixed(2);
      bar.update(step, fields);
    },
  });
  bar.stop();
  if (result.stoppedBy === 'signal') {
    process.stderr.write(`stopped at step ${result.step}; continue with the same command and --resume\n`);
    return;
  }
  const outAbs = resolve(o.out), pairAbs = resolve(o.pair);
  await saveEditor(o.out, editor, {
    rows,
    pair: relative(outAbs, pairAbs) || '.',
    training: {
      command: `aueditnet train editor --data ${data} --fold ${fold.fold} --pair ${o.pair} --fpre ${o.fpre} --id ${o.id} --out ${o.out}${o.config ? ` --config ${o.config}` : ''}${o.init !== undefined ? ` --init ${o.init}` : ''} --steps ${steps} --batch ${batch} --lr ${lr} --seed ${seed} --every ${every}${scheduleFlags(schedule, steps)}`,
      fold: fold.fold,
      subjects,
      frames: images.count,
      ...origin,
      steps: result.step,
      wallSecondsThisRun: Math.round((performance.now() - t0) / 1000),
      backend: runtime.backend,
      threads: runtime.threads,
      lastLosses: result.logs,
    },
  });
  editor.dispose();
  process.stdout.write(`wrote ${o.out}/editor.safetensors and editor.json\n`);
}

export function register(train: Command): void {
  addScheduleOptions(
    train
    .command('editor')
    .description('train AUEditNet on the training subjects of a DISFA-layout fold (frozen GAN pair, F_pre and F_id)')
    .option('--data <dir>', 'DISFA-layout data set (e.g. from `aueditnet synth disfa`; required unless --export)')
    .option('--fold <k>', 'train on the two other parts of the standard 3-fold subject split', '3')
    .option('--pair <dir>', 'GAN pair folder (generator + encoder)', 'models/synthfacs-64')
    .option('--fpre <dir>', 'folder or file of the F_pre network', 'models/synthfacs-64')
    .option('--id <dir>', 'folder or file of the F_id network (fid.safetensors)', 'models/synthfacs-64')
    .requiredOption('--out <dir>', 'output folder: editor.safetensors, editor.json, checkpoint.safetensors, latents-train.safetensors')
    .option('--config <file>', 'JSON with editor settings over the defaults: branch single|dual, modules flat|levelwise, labelMapping, levels, lambda {R,P,F,ID,L,N,RN,RNF} (N, RN, RNF: our neutral losses, default 0), sizes')
    .option('--steps <n>', 'optimizer steps', '4000')
    .option('--batch <n>', 'triples per step', '8')
    .option('--lr <x>', 'Adam learning rate', '1e-4')
    .option('--seed <n>', 'seed of the initial weights and the triple order', '1')
    .option('--every <k>', 'use every k-th frame', '2')
    .option('--checkpoint-every <n>', 'steps between checkpoints', '200')
    .option('--resume', 'continue from <out>/checkpoint.safetensors')
    .option('--init <path>', 'start a new run from earlier weights: a `train editor` checkpoint (parameters only, fresh Adam) or an exported editor folder; the architecture must match, loss weights may change; steps count on from theirs')
    .option('--export <dir>', 'do not train: write <out>/checkpoint.safetensors as editor files into <dir>, with the run\'s training record and the commands behind its --init as history (ship it, or evaluate mid-run; --pair names the run\'s pair, recorded relative to <dir>)')
    .option('--quiet', 'no progress output')
    .action((o: Options & { checkpointEvery: string }) => run({ ...o, ckpt: o.checkpointEvery })),
  );
}
