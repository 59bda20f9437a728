/**
 * `aueditnet eval` (issue #6 part 5): same-subject seeded pairs, Table-1/2 aggregation on hand-made
 * numbers, and an end-to-end run on tiny random models (32 px) and a tiny SynthFACS set that writes
 * report.json / report.md / grid.png and reproduces its numbers for the same seed.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AU_COUNT, AU_ORDER } from '../../src/data/aus.js';
import { AUEditNet } from '../../src/editor/auEditNet.js';
import { resolveEditorConfig } from '../../src/editor/config.js';
import { saveDirections } from '../../src/editor/directions.js';
import { saveEditor } from '../../src/editor/editorFiles.js';
import { editorMethod, gridRows, inversionSource, meanSd, oracleRenderer, runProtocol, selectPairs, summarise, type MethodRaw } from '../../src/eval/editProtocol.js';
import { openDisfa } from '../../src/data/disfa.js';
import { readTruth } from '../../src/data/truth.js';
import { asIdentity } from '../../src/synth/identity.js';
import { table1, table2 } from '../../src/eval/reportTables.js';
import { buildEstimator, saveEstimator } from '../../src/estimators/model.js';
import { Encoder } from '../../src/gan/encoder.js';
import { Generator } from '../../src/gan/generator.js';
import { saveEncoder, saveGenerator } from '../../src/gan/modelDir.js';
import { readImage } from '../../src/io/image.js';
import { initRuntime, tf } from '../../src/runtime/index.js';
import { writeDisfa } from '../../src/synth/disfa-writer.js';
import { cli } from '../cli/helpers.js';
import { tempDir } from '../data/temp.js';
import { TINY_E16, TINY_G16 } from '../gan/tinyConfigs.js';

describe('selectPairs', () => {
  const subjects = [
    { id: 'SN003', frames: 40 },
    { id: 'SN029', frames: 31 },
    { id: 'SN023', frames: 1 },
  ];

  it('pairs frames of one subject, every k-th frame, never a frame with itself', () => {
    const pairs = selectPairs(subjects, { every: 3, seed: 7 });
    expect(pairs).toHaveLength(14 + 11); // SN023 has a single frame: no pairs
    for (const p of pairs) {
      expect(p.source).not.toBe(p.target);
      expect((p.source - 1) % 3).toBe(0);
      expect((p.target - 1) % 3).toBe(0);
      expect(p.target).toBeLessThanOrEqual(subjects.find((s) => s.id === p.subject)!.frames);
    }
    expect(pairs.filter((p) => p.subject === 'SN003').map((p) => p.source)).toEqual(Array.from({ length: 14 }, (_, i) => 1 + 3 * i));
  });

  it('is seeded: same seed, same pairs; another seed, other targets; subjects independent', () => {
    const a = selectPairs(subjects, { every: 1, seed: 1 });
    expect(selectPairs(subjects, { every: 1, seed: 1 })).toEqual(a);
    expect(selectPairs(subjects, { every: 1, seed: 2 })).not.toEqual(a);
    const alone = selectPairs([subjects[1]!], { every: 1, seed: 1 });
    expect(a.filter((p) => p.subject === 'SN029')).toEqual(alone);
  });

  it('keeps a seeded subsample of at most maxPairs, in order', () => {
    const all = selectPairs(subjects, { every: 1, seed: 4 });
    const some = selectPairs(subjects, { every: 1, seed: 4, maxPairs: 10 });
    expect(some).toHaveLength(10);
    expect(selectPairs(subjects, { every: 1, seed: 4, maxPairs: 10 })).toEqual(some);
    const pos = some.map((p) => all.findIndex((q) => q.subject === p.subject && q.source === p.source));
    expect(pos.every((x) => x >= 0)).toBe(true);
    expect([...pos].sort((x, y) => x - y)).toEqual(pos);
    expect(gridRows(70, 4)).toEqual([0, 23, 46, 69]);
    expect(gridRows(2, 4)).toEqual([0, 1]);
  });
});

describe('summarise', () => {
  // 4 pairs; targets vary in every AU
  const P = 4;
  const targets = new Float32Array(P * AU_COUNT).map((_, k) => ((k * 7) % 5) + (k % AU_COUNT === 0 ? Math.floor(k / AU_COUNT) : 0));
  const method = (name: string, hestTar: Float32Array, hestN: Float32Array | null): MethodRaw => ({
    name,
    kind: 'aueditnet',
    hestTar,
    hestN,
    idReal: Float64Array.from([0.1, 0.3, 0.2, 0.4]),
    idInverted: new Float64Array(P),
    l2Real: Float64Array.from([1, 1, 1, 1]),
    l2Inverted: Float64Array.from([0, 2, 0, 2]),
    l2Oracle: null,
  });

  it('a perfect method has ICC 1 and MSE 0; a constant one ICC 0 and the mean squared offset', () => {
    const constant = new Float32Array(P * AU_COUNT).fill(2);
    const neutral = new Float32Array(P * AU_COUNT).fill(0.5);
    const s = summarise({ targets, hestReal: targets, hestOracle: null, hestInv: targets, methods: [method('perfect', targets.slice(), null), method('constant', constant, neutral)] }, AU_ORDER);
    const [perfect, c] = s.methods;
    for (const x of perfect!.edit.perAu) {
      expect(x.icc).toBeCloseTo(1, 10);
      expect(x.mse).toBe(0);
    }
    expect(perfect!.neutral).toBeNull();
    AU_ORDER.forEach((au, j) => {
      const col = Array.from({ length: P }, (_, i) => targets[i * AU_COUNT + j]!);
      const want = col.reduce((t, v) => t + (v - 2) ** 2, 0) / P;
      expect(c!.edit.perAu[j]!.au).toBe(au);
      expect(c!.edit.perAu[j]!.mse).toBeCloseTo(want, 10);
      expect(c!.edit.perAu[j]!.icc).toBeCloseTo(0, 10);
    });
    expect(c!.neutral!.meanMse).toBeCloseTo(0.25, 10);
    expect(c!.identity.real.mean).toBeCloseTo(0.25, 10);
    expect(c!.l2.inverted).toEqual({ mean: 1, sd: Math.sqrt(4 / 3) });
    expect(s.reference.real.meanMse).toBe(0);
    expect(s.reference.oracle).toBeNull();
    expect(s.reference.neutral).toBeNull(); // no target at rest
    const md1 = table1(s, AU_ORDER);
    expect(md1).toContain('| constant (N) |');
    expect(md1).toContain('| perfect | 1.000 |');
    expect(table2(s)).toContain('| constant | Real | 0.250 ± 0.129 | 1.0000 ± 0.0000 |');
  });

  it('the N reference scores H_est against 0 on the rest targets only, real and inverted', () => {
    const t = targets.slice();
    t.fill(0, 1 * AU_COUNT, 2 * AU_COUNT); // pair 1: every label 0
    t.fill(0, 3 * AU_COUNT, 4 * AU_COUNT); // pair 3 too
    const real = new Float32Array(P * AU_COUNT).fill(9); // rows 0 and 2 must not count
    real.fill(0.5, 1 * AU_COUNT, 2 * AU_COUNT);
    real.fill(-0.5, 3 * AU_COUNT, 4 * AU_COUNT);
    const inv = new Float32Array(P * AU_COUNT).fill(9);
    inv.fill(1, 1 * AU_COUNT, 2 * AU_COUNT);
    inv.fill(2, 3 * AU_COUNT, 4 * AU_COUNT);
    inv[3 * AU_COUNT + 6] = 0; // AU12 of pair 3
    const s = summarise({ targets: t, hestReal: real, hestOracle: null, hestInv: inv, methods: [method('constant', real, new Float32Array(P * AU_COUNT))] }, AU_ORDER);
    const n = s.reference.neutral!;
    expect(n.frames).toBe(2);
    expect(n.real.meanMse).toBeCloseTo(0.25, 10);
    expect(n.inverted.perAu[0]!.mse).toBeCloseTo((1 + 4) / 2, 10);
    expect(n.inverted.perAu[6]).toEqual({ au: 12, mse: 0.5 });
    expect(n.inverted.meanMse).toBeCloseTo((11 * 2.5 + 0.5) / 12, 10);
    const md = table1(s, AU_ORDER);
    expect(md).toContain('| H_est on real I_tar at rest (N reference, 2 pairs) | 0.250 |');
    expect(md).toContain('| H_est on inverted I_tar at rest (N reference) | 2.500 |');
    // without a method that neutralises, the N references are not printed
    const noN = summarise({ targets: t, hestReal: real, hestOracle: null, hestInv: inv, methods: [method('x', real, null)] }, AU_ORDER);
    expect(table1(noN, AU_ORDER)).not.toContain('N reference');
  });

  it('meanSd of one value has sd 0; of none NaN', () => {
    expect(meanSd([3])).toEqual({ mean: 3, sd: 0 });
    expect(Number.isNaN(meanSd([]).mean)).toBe(true);
  });
});

describe('aueditnet eval (tiny models)', () => {
  const root = tempDir('aueditnet-eval-');
  const dataDir = join(root, 'disfa');
  const editorDir = join(root, 'editor');
  const variantDir = join(root, 'variant-flat');
  const badDir = join(root, 'bad-rows');
  const dirsDir = join(root, 'directions');
  const tinyG = TINY_G16;
  const tinyE = TINY_E16;
  const edCfg = (over: Record<string, unknown> = {}) => resolveEditorConfig({ levels: [0, 1, 2, 3, 4, 5], styleDim: 16, hidden: 16, zDim: 6, psiHidden: 4, ...over });

  beforeAll(async () => {
    await initRuntime();
    await writeDisfa({ out: dataDir, size: 32, frames: 6, subjects: ['SN003', 'SN029', 'SN001', 'SN002'], seed: 3, nuisance: true, workers: 0 });
    for (const d of [editorDir, variantDir, badDir, dirsDir]) mkdirSync(d);
    const g = new Generator(tinyG, { seed: 2 });
    const e = new Encoder(tinyE, { seed: 1 });
    await saveGenerator(editorDir, g);
    await saveEncoder(editorDir, e);
    g.dispose();
    e.dispose();
    const ed = new AUEditNet(edCfg(), 1).build(8);
    await saveEditor(editorDir, ed, { rows: 8, pair: '.' });
    ed.dispose();
    const flat = new AUEditNet(edCfg({ modules: 'flat' }), 2).build(8);
    await saveEditor(variantDir, flat, { rows: 8, pair: relative(variantDir, editorDir) });
    flat.dispose();
    const bad = new AUEditNet(edCfg(), 3).build(7);
    await saveEditor(badDir, bad, { rows: 7, pair: relative(badDir, editorDir) });
    bad.dispose();
    const hest = buildEstimator('hest', { stem: 4, stages: [4, 8], hidden: 8, outputs: 12 }, 32, 5);
    await saveEstimator(editorDir, hest, { note: 'test' });
    hest.params.dispose();
    const idm = buildEstimator('idmetric', { family: 'vgg', widths: [4, 8], embedding: 8 }, 16, 6);
    await saveEstimator(editorDir, idm, { note: 'test' });
    idm.params.dispose();
    const P = 8 * 16;
    const rnd = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + k) * 0.05);
    await saveDirections(dirsDir, { L: 8, D: 16, directions: rnd(12 * P, 1), readout: rnd(12 * P, 2), latentMean: rnd(P, 3), labelMean: new Float32Array(12).fill(0.5) }, { note: 'test' });
  }, 120_000);

  const args = (out: string) => ['eval', '--data', dataDir, '--fold', '3', '--editor', editorDir, '--variants', variantDir, '--directions', dirsDir, '--every', '1', '--max-pairs', '10', '--seed', '3', '--batch', '4', '--out', out];

  it('writes report.json, report.md and grid.png with a row per method, and reproduces them for the seed', async () => {
    const out1 = join(root, 'r1'), out2 = join(root, 'r2');
    const r = await cli(args(out1));
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['report.json', 'report.md', 'grid.png']) expect(existsSync(join(out1, f)), f).toBe(true);
    const rep = JSON.parse(readFileSync(join(out1, 'report.json'), 'utf8')) as {
      counts: { pairs: number; perSubject: Record<string, number>; methods: string[] };
      data: { testSubjects: string[]; oracle: boolean };
      models: { role: string; sha256: string }[];
      summary: { methods: { name: string; edit: { perAu: { mse: number; icc: number | null }[]; meanMse: number }; neutral: { meanMse: number } | null; identity: { real: { mean: number } }; l2: { real: { mean: number }; inverted: { mean: number } }; oracle: { l2: { mean: number }; hest: { meanMse: number } } | null }[] };
      pairs: [string, number, number][];
      grid: { columns: string[] };
    };
    expect(rep.data.testSubjects).toEqual(['SN003', 'SN029']);
    expect(rep.counts.pairs).toBe(10);
    expect(rep.counts.methods).toEqual(['AUEditNet', 'variant-flat', 'linear directions', 'GAN inversion (source)', 'GAN inversion (target)']);
    expect(rep.models.map((m) => m.role)).toEqual(['generator', 'encoder', 'editor', 'variant variant-flat', 'directions', 'hest', 'idmetric']);
    expect(rep.models.every((m) => /^[0-9a-f]{64}$/.test(m.sha256))).toBe(true);
    expect(rep.data.oracle).toBe(true);
    for (const [s] of rep.pairs) expect(['SN003', 'SN029']).toContain(s);
    for (const m of rep.summary.methods) {
      for (const x of m.edit.perAu) expect(Number.isFinite(x.mse)).toBe(true);
      for (const v of [m.edit.meanMse, m.identity.real.mean, m.l2.real.mean, m.l2.inverted.mean, m.oracle!.l2.mean, m.oracle!.hest.meanMse]) expect(Number.isFinite(v)).toBe(true);
      expect(m.neutral === null).toBe(m.name.startsWith('GAN inversion'));
    }
    expect(rep.summary.methods.find((m) => m.name === 'GAN inversion (target)')!.l2.inverted.mean).toBe(0);
    expect(rep.grid.columns).toEqual(['source', 'target', 'oracle', 'AUEditNet', 'variant-flat', 'linear directions', 'GAN inversion (source)', 'GAN inversion (target)', 'AUEditNet Î_N']);
    const md = readFileSync(join(out1, 'report.md'), 'utf8');
    for (const row of ['| AUEditNet |', '| variant-flat |', '| linear directions |', '| GAN inversion (source) |', '| AUEditNet (N) |', '| linear directions (N) |', '| AUEditNet | Real |']) expect(md).toContain(row);
    const grid = await readImage(join(out1, 'grid.png'));
    // 32-px cells shown at 96 px with a 4-px gap, a 74-px label column and a 37-px header
    expect([grid.width, grid.height]).toEqual([74 + 9 * 100, 37 + 4 * 100]);

    const again = await cli([...args(out2), '--quiet']);
    expect(again.code, again.stderr).toBe(0);
    const strip = (s: string) => s.replaceAll(out2, out1);
    expect(strip(readFileSync(join(out2, 'report.json'), 'utf8'))).toBe(readFileSync(join(out1, 'report.json'), 'utf8'));
    expect(strip(readFileSync(join(out2, 'report.md'), 'utf8'))).toBe(md);
  }, 300_000);

  it('runProtocol leaves no tensors behind and does not depend on the batch size', async () => {
    const ds = await openDisfa(dataDir);
    const g = new Generator(tinyG, { seed: 2 }).freeze();
    const e = new Encoder(tinyE, { seed: 1 }).freeze();
    const ed = new AUEditNet(edCfg(), 1).build(8);
    const hest = buildEstimator('hest', { stem: 4, stages: [4, 8], hidden: 8, outputs: 12 }, 32, 5);
    const idm = buildEstimator('idmetric', { family: 'vgg', widths: [4, 8], embedding: 8 }, 16, 6);
    const pairs = selectPairs([{ id: 'SN003', frames: 6 }], { every: 1, seed: 1, maxPairs: 5 });
    const frames = { image: (s: string, f: number) => readImage(ds.framePath(s, f)), labels: (s: string, f: number) => ds.label(s, f) };
    const run = (batch: number) => runProtocol(pairs, [editorMethod('AUEditNet', ed), inversionSource], { generator: g, encoder: e, hest, idmetric: idm }, frames, { batch, gridPairs: [0, 4] });
    await run(2);
    const before = tf.memory().numTensors;
    const a = await run(2);
    expect(tf.memory().numTensors).toBe(before);
    const b = await run(5);
    expect(a.grid.rows).toHaveLength(2);
    expect(a.grid.rows[0]).toHaveLength(2 + 2 + 1);
    a.methods.forEach((m, k) => {
      const n = b.methods[k]!;
      Array.from(m.hestTar).forEach((v, i) => expect(v).toBeCloseTo(n.hestTar[i]!, 4));
      Array.from(m.l2Real).forEach((v, i) => expect(v).toBeCloseTo(n.l2Real[i]!, 6));
    });
    for (const x of [g, e, ed]) x.dispose();
    hest.params.dispose();
    idm.params.dispose();
  }, 120_000);

  it('the oracle reproduces a frame exactly from its truth', async () => {
    const ds = await openDisfa(dataDir);
    const m = (ds.manifest!['subjects'] as { id: string; identity: unknown }[]).find((x) => x.id === 'SN029')!;
    const frames = await readTruth(dataDir, 'SN029');
    const render = oracleRenderer(new Map([['SN029', { identity: asIdentity(m.identity), frames }]]));
    const img = await readImage(ds.framePath('SN029', 4));
    const rgb = render({ subject: 'SN029', source: 4, target: 1 }, frames[3]!.aus, 32);
    expect(Array.from(rgb)).toEqual(Array.from(img.data, (v) => Math.round(v * 255)));
  });

  it('explains bad inputs in one line', async () => {
    const rows = await cli(['eval', '--data', dataDir, '--editor', badDir, '--hest', editorDir, '--idmetric', editorDir, '--out', join(root, 'o3')]);
    expect(rows.code).toBe(2);
    expect(rows.stderr).toMatch(/trained on W\+ with 7 rows.*has 8/);
    const noData = await cli(['eval', '--data', join(root, 'nodata'), '--editor', editorDir, '--out', join(root, 'o3')]);
    expect(noData.code).toBe(2);
    expect(noData.stderr).toMatch(/nodata.*no such directory/);
    const noHest = await cli(['eval', '--data', dataDir, '--editor', variantDir, '--out', join(root, 'o3')]);
    expect(noHest.code).toBe(2);
    expect(noHest.stderr).toMatch(/variant-flat.*hest\.safetensors.*--hest/);
    const help = await cli(['eval', '--help']);
    expect(help.stdout).toContain('--max-pairs');
    expect(help.stdout).toContain('--variants');
  }, 120_000);
});

describe('report paths', () => {
  it('names model files inside the working directory relatively, others absolutely', async () => {
    const { reportPath } = await import('../../src/cli/eval.js');
    expect(reportPath(join(process.cwd(), 'models', 'synthfacs-64', 'generator.safetensors'))).toBe('models/synthfacs-64/generator.safetensors');
    expect(reportPath('models/synthfacs-64/editor.safetensors')).toBe('models/synthfacs-64/editor.safetensors');
    const outside = join(relative(process.cwd(), '/'), 'elsewhere', 'g.safetensors');
    expect(reportPath(outside)).toBe('/elsewhere/g.safetensors');
  });
});
