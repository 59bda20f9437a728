/**
 * `aueditnet eval`: the paper's editing evaluation (Sec. 4.2, Tables 1–2, Fig. 2) on the test
 * subjects of a DISFA-layout fold — the protocol is src/eval/editProtocol.ts, the tables
 * src/eval/reportTables.ts. Writes report.json (everything, with the command, the data manifest and
 * the sha256 of every model file), report.md and grid.png, each atomically. No timestamps are
 * written, so re-running the recorded command reproduces the files.
 */
import type { Command } from 'commander';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { AU_ORDER } from '../data/aus.js';
import { openDisfa } from '../data/disfa.js';
import { disfaFold } from '../data/folds.js';
import { disfaDataHash } from '../data/latentCache.js';
import { readTruth, truthPath } from '../data/truth.js';
import { loadDirections, type LinearDirections } from '../editor/directions.js';
import { EDITOR_FILE, EDITOR_JSON, loadEditorNet, type EditorMeta } from '../editor/editorFiles.js';
import type { AUEditNet } from '../editor/auEditNet.js';
import { fileError, UserError } from '../errors.js';
import { estimatorFiles, loadEstimator, type EstimatorKind } from '../estimators/model.js';
import { editorMethod, gridRows, inversionSource, inversionTarget, linearMethod, oracleRenderer, runProtocol, selectPairs, summarise, type EvalMethod, type GridImages, type SubjectTruth } from '../eval/editProtocol.js';
import { oracleTable, table1, table2 } from '../eval/reportTables.js';
import { sha256File } from '../gan/checkpoint.js';
import type { Encoder } from '../gan/encoder.js';
import type { Generator } from '../gan/generator.js';
import { loadModels } from '../gan/modelDir.js';
import { writeFileAtomic } from '../io/atomic.js';
import { readImage } from '../io/image.js';
import { initRuntime } from '../runtime/index.js';
import { newCanvas } from '../synth/canvas-node.js';
import { asIdentity, subjectIdentity } from '../synth/identity.js';
import { requireDir } from './foldLatents.js';
import { progress } from './progress.js';

interface Options {
  data: string;
  fold: string;
  editor: string;
  variants?: string;
  directions?: string;
  hest?: string;
  idmetric?: string;
  every: string;
  maxPairs: string;
  seed: string;
  batch: string;
  gridRows: string;
  out: string;
  quiet?: boolean;
}

const DEFAULT_EDITOR = 'models/synthfacs-64';

/**
 * A model file as the report names it: relative to the working directory when inside it, so a
 * report re-run from another clone of the project is byte-identical; absolute otherwise.
 */
export function reportPath(p: string): string {
  const rel = path.relative(process.cwd(), path.resolve(p));
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : path.resolve(p);
}

function positiveInt(name: string, v: string, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UserError(`--${name} ${v}: expected an integer ≥ ${min}`);
  return n;
}

interface ModelFile {
  role: string;
  path: string;
  sha256: string;
}

function checkEstimator(dir: string, kind: EstimatorKind, flag: string): void {
  const { weights, json } = estimatorFiles(dir, kind);
  if (!existsSync(dir)) throw fileError(dir, `no such file or directory (${flag})`);
  if (!existsSync(weights) || !existsSync(json)) throw fileError(dir, `has no ${path.basename(weights)} + ${path.basename(json)} (pass ${flag} DIR; made by \`aueditnet train ${kind}\`)`);
}

function loadEditorChecked(dir: string, rows: number, what: string): { editor: AUEditNet; meta: EditorMeta } {
  requireDir(dir, what);
  const loaded = loadEditorNet(dir);
  if (loaded.meta.rows !== rows) {
    loaded.editor.dispose();
    throw fileError(path.join(dir, EDITOR_JSON), `the editor was trained on W+ with ${loaded.meta.rows} rows, the generator/encoder pair has ${rows}`);
  }
  return loaded;
}

/** Distinct, readable method names from folder names. */
function uniqueName(name: string, taken: Set<string>): string {
  let n = name, k = 2;
  while (taken.has(n)) n = `${name} (${k++})`;
  taken.add(n);
  return n;
}

const FONT = "'DejaVu Sans', Arial, sans-serif";

/** Splits a column title into at most two lines of about `width` characters. */
function titleLines(title: string, width: number): string[] {
  if (title.length <= width) return [title];
  const words = title.split(' ');
  let first = '';
  while (words.length > 1 && (first ? `${first} ${words[0]}` : words[0]!).length <= width) first = first ? `${first} ${words.shift()}` : words.shift()!;
  return first ? [first, words.join(' ')] : [title];
}

/**
 * The Fig.-2-style grid as PNG bytes: a header row with the column titles, a left column with
 * "subject source→target", cells upscaled (nearest neighbour, integer factor) to at least 96 px.
 */
function gridPng(g: GridImages): Buffer {
  const S = g.size;
  const k = Math.max(1, Math.ceil(96 / S));
  const D = S * k;
  const gap = 4, font = 11, left = 74, top = font * 3 + gap;
  const cols = g.columns.length, rows = g.rows.length;
  const width = left + cols * (D + gap), height = top + Math.max(1, rows) * (D + gap);
  const { canvas, ctx } = newCanvas(width, height);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#1d1d1f';
  ctx.font = `${font}px ${FONT}`;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'center';
  const chars = Math.max(8, Math.floor(D / (font * 0.55)));
  g.columns.forEach((c, i) => titleLines(c, chars).forEach((line, l, all) => ctx.fillText(line, left + i * (D + gap) + D / 2, top / 2 + (l - (all.length - 1) / 2) * (font + 2))));
  ctx.textAlign = 'left';
  g.rows.forEach((cells, r) => {
    const y0 = top + r * (D + gap);
    const p = g.pairs[r]!;
    ctx.fillStyle = '#1d1d1f';
    ctx.fillText(p.subject, 4, y0 + D / 2 - font * 0.7);
    ctx.fillText(`${p.source} → ${p.target}`, 4, y0 + D / 2 + font * 0.7);
    cells.forEach((cell, c) => {
      const img = ctx.createImageData(D, D);
      for (let y = 0; y < D; y++) {
        for (let x = 0; x < D; x++) {
          const src = (Math.floor(y / k) * S + Math.floor(x / k)) * 3, dst = (y * D + x) * 4;
          for (let ch = 0; ch < 3; ch++) img.data[dst + ch] = Math.round(Math.min(1, Math.max(0, cell[src + ch]!)) * 255);
          img.data[dst + 3] = 255;
        }
      }
      ctx.putImageData(img, left + c * (D + gap), y0);
    });
  });
  return canvas.toBuffer('image/png');
}

/** JSON with NaN/Infinity as null and typed arrays as plain arrays. */
function toJson(v: unknown): string {
  return `${JSON.stringify(v, (_, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? null : ArrayBuffer.isView(x) ? Array.from(x as Float32Array) : x), 2)}\n`;
}

async function run(o: Options): Promise<void> {
  const fold = disfaFold(Number(o.fold));
  const every = positiveInt('every', o.every);
  const maxPairs = positiveInt('max-pairs', o.maxPairs);
  const seed = positiveInt('seed', o.seed, 0);
  const batch = positiveInt('batch', o.batch);
  const nGrid = positiveInt('grid-rows', o.gridRows, 0);
  requireDir(o.data, 'the DISFA-layout data set of --data');
  requireDir(o.editor, 'the editor folder of --editor: editor.json + editor.safetensors');
  const variantDirs = (o.variants ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const v of variantDirs) requireDir(v, 'an editor folder of --variants');
  if (o.directions) requireDir(o.directions, 'the linear-direction folder of --directions');
  const hestDir = o.hest ?? o.editor;
  const idDir = o.idmetric ?? o.editor;
  checkEstimator(hestDir, 'hest', '--hest');
  checkEstimator(idDir, 'idmetric', '--idmetric');

  await initRuntime();
  const ds = await openDisfa(o.data);
  const present = new Set(ds.subjects.map((s) => s.id));
  const testSubjects = fold.test.filter((s) => present.has(s));
  if (testSubjects.length === 0) throw fileError(o.data, `holds none of fold ${fold.fold}'s test subjects (${fold.test.join(' ')})`);
  if (testSubjects.length < fold.test.length) process.stderr.write(`note: ${fold.test.length - testSubjects.length} test subjects of fold ${fold.fold} are not in ${o.data}; evaluating on ${testSubjects.join(' ')}\n`);
  const pairs = selectPairs(testSubjects.map((id) => ({ id, frames: ds.subject(id).frames })), { every, maxPairs, seed });
  if (pairs.length === 0) throw new UserError(`no pairs: the test subjects have fewer than two frames at --every ${every}`);

  const disposers: (() => void)[] = [];
  try {
    // the editor and its pair
    requireDir(o.editor, 'the editor folder of --editor');
    const first = loadEditorNet(o.editor);
    disposers.push(() => first.editor.dispose());
    const pairDir = path.resolve(o.editor, first.meta.pair);
    requireDir(pairDir, `the generator/encoder pair named in ${path.join(o.editor, EDITOR_JSON)}`);
    const pair = await loadModels(pairDir, { generator: true, encoder: true });
    const G: Generator = pair.generator!.model.freeze();
    const E: Encoder = pair.encoder!.model.freeze();
    disposers.push(() => G.dispose(), () => E.dispose());
    const rows = G.nLatent;
    if (first.meta.rows !== rows) throw fileError(path.join(o.editor, EDITOR_JSON), `the editor was trained on W+ with ${first.meta.rows} rows, the generator in ${pairDir} has ${rows}`);
    if (E.config.styleCount < rows || E.config.styleDim !== G.styleDim) throw fileError(pairDir, `the encoder gives [${E.config.styleCount}, ${E.config.styleDim}] latents, the generator needs [${rows}, ${G.styleDim}]`);
    const models: ModelFile[] = [];
    const file = async (role: string, p: string) => models.push({ role, path: reportPath(p), sha256: await sha256File(p) });
    await file('generator', pair.generator!.file);
    await file('encoder', pair.encoder!.file);
    await file('editor', path.join(o.editor, EDITOR_FILE));

    const names = new Set<string>();
    const methods: EvalMethod[] = [editorMethod(uniqueName('AUEditNet', names), first.editor)];
    const genSha = models[0]!.sha256;
    for (const v of variantDirs) {
      const ld = loadEditorChecked(v, rows, 'an editor folder of --variants');
      disposers.push(() => ld.editor.dispose());
      const vPair = path.resolve(v, ld.meta.pair);
      if (vPair !== pairDir) {
        const g2 = path.join(vPair, 'generator.safetensors');
        if (!existsSync(g2) || (await sha256File(g2)) !== genSha) throw fileError(path.join(v, EDITOR_JSON), `was trained with the pair in ${vPair}, not the editor's ${pairDir}; variants must share the generator`);
      }
      methods.push(editorMethod(uniqueName(path.basename(path.resolve(v)), names), ld.editor));
      await file(`variant ${methods.at(-1)!.name}`, path.join(v, EDITOR_FILE));
    }
    if (o.directions) {
      const { directions } = loadDirections(o.directions);
      disposers.push(() => directions.dispose());
      if (directions.L !== E.config.styleCount || directions.D !== G.styleDim) {
        throw fileError(o.directions, `directions are for W+ [${directions.L}, ${directions.D}], the pair's latents are [${E.config.styleCount}, ${G.styleDim}]`);
      }
      methods.push(linearMethod(uniqueName('linear directions', names), directions as LinearDirections));
      await file('directions', existsSync(path.join(o.directions, 'directions.safetensors')) ? path.join(o.directions, 'directions.safetensors') : o.directions);
    }
    methods.push(inversionSource, inversionTarget);

    const hest = loadEstimator(hestDir, 'hest');
    disposers.push(() => hest.params.dispose());
    const idmetric = loadEstimator(idDir, 'idmetric');
    disposers.push(() => idmetric.params.dispose());
    await file('hest', estimatorFiles(hestDir, 'hest').weights);
    await file('idmetric', estimatorFiles(idDir, 'idmetric').weights);

    // the oracle: SynthFACS truth of every test subject
    let truth: Map<string, SubjectTruth> | null = null;
    if (ds.kind === 'synthfacs' && testSubjects.every((s) => existsSync(truthPath(o.data, s)))) {
      const manifestSubjects = (ds.manifest?.['subjects'] ?? []) as { id?: string; identity?: unknown }[];
      truth = new Map();
      for (const s of testSubjects) {
        const m = manifestSubjects.find((x) => x.id === s);
        truth.set(s, { identity: m?.identity ? asIdentity(m.identity) : subjectIdentity(s), frames: await readTruth(o.data, s) });
      }
    }
    const oracle = truth ? oracleRenderer(truth) : undefined;

    const bar = progress('evaluating pairs', pairs.length, { quiet: o.quiet });
    const raw = await runProtocol(
      pairs,
      methods,
      { generator: G, encoder: E, hest, idmetric },
      { image: (s, f) => readImage(ds.framePath(s, f)), labels: (s, f) => ds.label(s, f), oracle },
      { batch, gridPairs: gridRows(pairs.length, nGrid), onProgress: (d) => bar.update(d) },
    );
    bar.stop();
    const summary = summarise(raw, AU_ORDER);

    const command = [
      `aueditnet eval --data ${o.data} --fold ${fold.fold} --editor ${o.editor}`,
      variantDirs.length ? ` --variants ${variantDirs.join(',')}` : '',
      o.directions ? ` --directions ${o.directions}` : '',
      ` --hest ${hestDir} --idmetric ${idDir} --every ${every} --max-pairs ${maxPairs} --seed ${seed} --batch ${batch} --grid-rows ${nGrid} --out ${o.out}`,
    ].join('');
    const perSubject = Object.fromEntries(testSubjects.map((s) => [s, pairs.filter((p) => p.subject === s).length]));
    const definitions = {
      pairs: 'source = every k-th frame of each test subject, target = another k-th frame of the same subject (seeded per subject); a seeded subsample above --max-pairs',
      targets: 'the target frame\'s labels: a = intensity, c = (a > 0)',
      table1: 'per-AU ICC(3,1) and MSE between the target intensities and H_est(Î_tar); (N): MSE of H_est(Î_N) against all-zero',
      identity: 'Euclidean distance between L2-normalised ID-metric embeddings (range 0–2, = sqrt(2(1 − cos))), Î_tar vs the real I_tar and vs G(E(I_tar))',
      l2: 'per-pixel-and-channel MSE with images in [0, 1], Î_tar vs the real I_tar (resized to the generator size if needed) and vs G(E(I_tar))',
      oracle: 'exact SynthFACS render of the source subject with the source frame\'s nuisance and the target labels; L2 as above, and MSE between H_est(Î_tar) and H_est(oracle)',
      inversion: 'GAN inversion (source): Î_tar = G(E(I_src)), the paper\'s Table-2 baseline and the do-nothing floor of Table 1; GAN inversion (target): Î_tar = G(E(I_tar)), the ceiling of Table 1 (its inverted-target columns are 0 by construction)',
      noise: 'generator noise: the constant buffers (deterministic)',
    };
    const report = {
      format: 'aueditnet-eval-report',
      version: 1,
      command,
      settings: { fold: fold.fold, every, maxPairs, seed, batch, gridRows: nGrid },
      data: { root: o.data, kind: ds.kind, testSubjects, dataHash: disfaDataHash(ds, testSubjects), manifest: ds.manifest, oracle: truth !== null },
      models,
      counts: { pairs: pairs.length, perSubject, methods: methods.map((m) => m.name), generatorSize: G.config.size, hestSize: hest.size, idmetricSize: idmetric.size },
      definitions,
      auOrder: [...AU_ORDER],
      summary,
      grid: { file: 'grid.png', columns: raw.grid.columns, pairs: raw.grid.pairs },
      pairs: pairs.map((p) => [p.subject, p.source, p.target]),
    };

    const oracleMd = oracleTable(summary, AU_ORDER);
    const md = [
      `# Edit evaluation — fold ${fold.fold}`,
      '',
      `\`${command}\``,
      '',
      `${pairs.length} same-subject pairs on ${testSubjects.length} test subjects (${Object.entries(perSubject).map(([s, n]) => `${s}: ${n}`).join(', ')}), data ${ds.kind} (\`${o.data}\`), generator ${G.config.size} px.`,
      '',
      '## Table 1 — accuracy of AU intensity editing (H_est)',
      '',
      table1(summary, AU_ORDER),
      '',
      '## Table 2 — identity preservation and image similarity (mean ± sd over pairs)',
      '',
      table2(summary),
      '',
      `ID distance: ${definitions.identity}. L2: ${definitions.l2}.`,
      ...(oracleMd ? ['', '## Oracle (SynthFACS ground truth of the edit)', '', oracleMd, '', `Oracle: ${definitions.oracle}.`] : []),
      '',
      '## Figure',
      '',
      `![grid](grid.png) — rows: pairs ${raw.grid.pairs.map((p) => `${p.subject} ${p.source}→${p.target}`).join('; ')}; columns: ${raw.grid.columns.join(' | ')}.`,
      '',
      `Baselines: ${definitions.inversion}.`,
      '',
      '## Models',
      '',
      ...models.map((m) => `- ${m.role}: \`${m.path}\` sha256 ${m.sha256.slice(0, 16)}…`),
      '',
    ].join('\n');

    mkdirSync(o.out, { recursive: true });
    await writeFileAtomic(path.join(o.out, 'grid.png'), gridPng(raw.grid));
    await writeFileAtomic(path.join(o.out, 'report.md'), md);
    await writeFileAtomic(path.join(o.out, 'report.json'), toJson(report));
    process.stdout.write(`${table1(summary, AU_ORDER)}\n\n${table2(summary)}\n\nwrote ${path.join(o.out, 'report.json')}, report.md and grid.png\n`);
  } finally {
    for (const d of disposers.reverse()) d();
  }
}

export function register(program: Command): void {
  program
    .command('eval')
    .description("the paper's editing evaluation on a fold's test subjects: Table 1 (H_est ICC/MSE vs the target AUs), Table 2 (ID distance, L2), SynthFACS oracle columns and a Fig.-2 grid")
    .requiredOption('--data <dir>', 'DISFA-layout data set (e.g. from `aueditnet synth disfa`)')
    .option('--fold <k>', 'evaluate on part k of the standard 3-fold subject split', '3')
    .option('--editor <dir>', 'editor folder (editor.json names its generator/encoder pair)', DEFAULT_EDITOR)
    .option('--variants <dirs>', 'more editor folders to compare, comma-separated (same pair)')
    .option('--directions <dir>', 'linear-direction baseline folder (from `aueditnet train directions`)')
    .option('--hest <dir>', 'folder or file of H_est (default: the editor folder)')
    .option('--idmetric <dir>', 'folder or file of the ID-metric net (default: the editor folder)')
    .option('--every <k>', 'use every k-th frame as source and target candidates', '1')
    .option('--max-pairs <n>', 'at most this many pairs (a seeded subsample)', '1000')
    .option('--seed <s>', 'seed of the pair selection', '1')
    .option('--batch <n>', 'pairs per model call', '16')
    .option('--grid-rows <n>', 'pairs shown in grid.png', '4')
    .requiredOption('--out <dir>', 'output folder: report.json, report.md, grid.png')
    .option('--quiet', 'no progress output')
    .action((o: Options) => run(o));
}
