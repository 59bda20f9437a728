/**
 * `aueditnet train editor` end to end on tiny random networks and a tiny DISFA-layout set: the
 * editor files, the recorded pair path that `loadEditor` follows, a resume that extends the run,
 * the latent cache reused, and config errors named.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEditor } from '../../src/editor/api.js';
import { commandHistory } from '../../src/editor/editorInit.js';
import { checkpointInfo } from '../../src/nn/trainLoop.js';
import { buildEstimator, saveEstimator } from '../../src/estimators/model.js';
import { Encoder } from '../../src/gan/encoder.js';
import { Generator } from '../../src/gan/generator.js';
import { saveEncoder, saveGenerator } from '../../src/gan/modelDir.js';
import { initRuntime } from '../../src/runtime/index.js';
import { writeDisfa } from '../../src/synth/disfa-writer.js';
import { cli } from '../cli/helpers.js';
import { tempDir } from '../gan/helpers.js';
import { TINY_E16, TINY_G16 } from '../gan/tinyConfigs.js';

const tinyG = TINY_G16;
const tinyE = TINY_E16;

let models: string;
let data: string;
let config: string;

beforeAll(async () => {
  await initRuntime();
  models = tempDir();
  const g = new Generator(tinyG, { seed: 1 });
  const e = new Encoder(tinyE, { seed: 2 });
  await saveGenerator(models, g);
  await saveEncoder(models, e);
  g.dispose();
  e.dispose();
  const fpre = buildEstimator('fpre', { widths: [4, 8], convsPerBlock: [1, 1], hidden: 8, outputs: 12 }, 32, 3);
  const fid = buildEstimator('fid', { family: 'irse', stemStride: 2, widths: [4, 8], embedding: 8 }, 32, 4);
  await saveEstimator(models, fpre, {});
  await saveEstimator(models, fid, {});
  fpre.params.dispose();
  fid.params.dispose();
  data = tempDir();
  // SN001 and SN002 are fold-3 training subjects; SN003 is a test subject
  await writeDisfa({ out: data, size: 32, frames: 6, subjects: ['SN001', 'SN002', 'SN003'], seed: 4, nuisance: true, workers: 0 });
  config = join(tempDir(), 'editor.json');
  writeFileSync(config, JSON.stringify({ styleDim: 16, hidden: 16, zDim: 6, psiHidden: 4, lambda: { P: 0.2 } }));
}, 120_000);

describe('commandHistory', () => {
  it('lists the history, then the command, without repeating a command the history ends with', () => {
    expect(commandHistory({ history: ['a', 'b'], command: 'c' })).toEqual(['a', 'b', 'c']);
    expect(commandHistory({ history: ['a', 'b'], command: 'b' })).toEqual(['a', 'b']);
    expect(commandHistory({ command: 'c' })).toEqual(['c']);
    expect(commandHistory({ history: 'not a list', command: 7 })).toEqual([]);
  });
});

describe('aueditnet train editor', () => {
  it('trains, writes the editor files, resumes to more steps and loads through loadEditor', async () => {
    const out = tempDir();
    const args = ['train', 'editor', '--data', data, '--fold', '3', '--pair', models, '--fpre', models, '--id', models, '--out', out, '--config', config, '--batch', '2', '--every', '1', '--quiet'];
    const a = await cli([...args, '--steps', '3']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toMatch(/note: 24 subjects of fold 3 are not in/);
    for (const f of ['editor.safetensors', 'editor.json', 'checkpoint.safetensors', 'latents-train.safetensors']) expect(existsSync(join(out, f)), f).toBe(true);
    const meta = JSON.parse(readFileSync(join(out, 'editor.json'), 'utf8')) as { rows: number; config: { levels: number[]; lambda: { P: number } }; training: { steps: number; subjects: string[] } };
    expect(meta.rows).toBe(8);
    expect(meta.config.levels).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(meta.config.lambda.P).toBe(0.2);
    expect(meta.training.steps).toBe(3);
    // in the fold's part order (part 1 = 2 10 1 …)
    expect(meta.training.subjects).toEqual(['SN002', 'SN001']);
    const cacheTime = statSync(join(out, 'latents-train.safetensors')).mtimeMs;
    const b = await cli([...args, '--steps', '5', '--resume']);
    expect(b.code, b.stderr).toBe(0);
    // the latent cache was reused, not rewritten
    expect(statSync(join(out, 'latents-train.safetensors')).mtimeMs).toBe(cacheTime);
    expect((JSON.parse(readFileSync(join(out, 'editor.json'), 'utf8')) as { training: { steps: number } }).training.steps).toBe(5);
    const ed = await loadEditor(out);
    try {
      expect(ed.size).toBe(32);
    } finally {
      ed.dispose();
    }
  }, 300_000);

  it('--export writes the editor of a run mid-training; --decay-from/--lr-final are checked and recorded', async () => {
    const out = tempDir();
    const args = ['train', 'editor', '--data', data, '--fold', '3', '--pair', models, '--fpre', models, '--id', models, '--out', out, '--config', config, '--batch', '2', '--every', '1', '--quiet'];
    const a = await cli([...args, '--steps', '4', '--decay-from', '2', '--lr-final', '1e-5']);
    expect(a.code, a.stderr).toBe(0);
    const meta = JSON.parse(readFileSync(join(out, 'editor.json'), 'utf8')) as { training: { command: string } };
    expect(meta.training.command).toMatch(/--decay-from 2 --lr-final 0\.00001/);
    const dest = tempDir();
    const x = await cli(['train', 'editor', '--out', out, '--pair', models, '--export', dest]);
    expect(x.code, x.stderr).toBe(0);
    expect(x.stdout).toMatch(/step 4/);
    // the exported weights are the finished run's (both float16-rounded the same way)
    expect(readFileSync(join(dest, 'editor.safetensors')).equals(readFileSync(join(out, 'editor.safetensors')))).toBe(true);
    // a finished run's record is kept whole (its command, steps, losses), with where it came from
    const exported = JSON.parse(readFileSync(join(dest, 'editor.json'), 'utf8')) as { training: Record<string, unknown> };
    expect(exported.training).toMatchObject({ steps: 4, shippedFrom: out, command: meta.training.command });
    expect(exported.training['exportedMidRun']).toBeUndefined();
    const ed = await loadEditor(dest);
    ed.dispose();
    // mid-run (no finished record at the checkpoint's step): the checkpoint's provenance
    writeFileSync(join(out, 'editor.json'), readFileSync(join(out, 'editor.json'), 'utf8').replace('"steps": 4', '"steps": 3'));
    const mid = tempDir();
    expect((await cli(['train', 'editor', '--out', out, '--pair', models, '--export', mid])).code).toBe(0);
    expect((JSON.parse(readFileSync(join(mid, 'editor.json'), 'utf8')) as { training: unknown }).training).toMatchObject({ step: 4, exportedMidRun: true });
    const none = await cli(['train', 'editor', '--out', tempDir(), '--pair', models, '--export', dest]);
    expect(none.stderr).toMatch(/no checkpoint to export/);
    const half = await cli([...args, '--out', tempDir(), '--steps', '4', '--lr-final', '1e-5']);
    expect(half.stderr).toMatch(/--decay-from and --lr-final go together/);
    const noData = await cli(['train', 'editor', '--out', tempDir()]);
    expect(noData.stderr).toMatch(/--data <dir> is required/);
  }, 300_000);

  it('--init starts a new run from a checkpoint or an exported editor: same weights, steps counted on, loss weights may change', async () => {
    const a = tempDir();
    const base = ['train', 'editor', '--data', data, '--fold', '3', '--pair', models, '--fpre', models, '--id', models, '--batch', '2', '--every', '1', '--quiet'];
    const r0 = await cli([...base, '--out', a, '--config', config, '--steps', '2']);
    expect(r0.code, r0.stderr).toBe(0);
    const withN = join(tempDir(), 'withN.json');
    writeFileSync(withN, JSON.stringify({ styleDim: 16, hidden: 16, zDim: 6, psiHidden: 4, lambda: { P: 0.2, N: 1 } }));
    // zero steps after the init's: the new run's editor is the init's weights, bit for bit
    for (const from of [join(a, 'checkpoint.safetensors'), a]) {
      const b = tempDir();
      const r = await cli([...base, '--out', b, '--config', withN, '--init', from, '--steps', '2']);
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(join(b, 'editor.safetensors')).equals(readFileSync(join(a, 'editor.safetensors')))).toBe(true);
      const meta = JSON.parse(readFileSync(join(b, 'editor.json'), 'utf8')) as { config: { lambda: Record<string, number> }; training: { initStep: number; steps: number; command: string } };
      expect(meta.training).toMatchObject({ initStep: 2, steps: 2 });
      expect(meta.training.command).toContain(`--init ${from}`);
      expect(meta.config.lambda['N']).toBe(1);
    }
    const c = tempDir();
    const r1 = await cli([...base, '--out', c, '--config', withN, '--init', a, '--steps', '3']);
    expect(r1.code, r1.stderr).toBe(0);
    expect(readFileSync(join(c, 'editor.safetensors')).equals(readFileSync(join(a, 'editor.safetensors')))).toBe(false);
    expect((JSON.parse(readFileSync(join(c, 'editor.json'), 'utf8')) as { training: { steps: number } }).training.steps).toBe(3);
    // a resume keeps the record of where the weights came from
    const r6 = await cli([...base, '--out', c, '--config', withN, '--steps', '4', '--resume']);
    expect(r6.code, r6.stderr).toBe(0);
    const cMeta = JSON.parse(readFileSync(join(c, 'editor.json'), 'utf8')) as { training: Record<string, unknown> };
    expect(cMeta.training).toMatchObject({ init: a, initStep: 2, steps: 4 });
    // ... and the commands that made the init weights, oldest first, through the resume and an export
    const aCommand = (JSON.parse(readFileSync(join(a, 'editor.json'), 'utf8')) as { training: { command: string } }).training.command;
    expect(cMeta.training['history']).toEqual([aCommand]);
    // the resumed run's own checkpoint still carries it, for a later resume or a mid-run export
    expect(checkpointInfo(c)['history']).toEqual([aCommand]);
    const shipped = tempDir();
    expect((await cli(['train', 'editor', '--out', c, '--pair', models, '--export', shipped])).code).toBe(0);
    const sMeta = JSON.parse(readFileSync(join(shipped, 'editor.json'), 'utf8')) as { training: Record<string, unknown> };
    expect(sMeta.training).toMatchObject({ history: [aCommand], command: cMeta.training['command'], shippedFrom: c });
    // refusals: another architecture, a used --out, --init with --resume, a missing path
    const wide = join(tempDir(), 'wide.json');
    writeFileSync(wide, JSON.stringify({ styleDim: 16, hidden: 8, zDim: 6, psiHidden: 4 }));
    const r2 = await cli([...base, '--out', tempDir(), '--config', wide, '--init', a, '--steps', '3']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/was trained with hidden = 16, this run's config has 8/);
    const r3 = await cli([...base, '--out', c, '--config', withN, '--init', a, '--steps', '4']);
    expect(r3.stderr).toMatch(/a checkpoint exists; --init starts a new run/);
    const r4 = await cli([...base, '--out', c, '--config', withN, '--init', a, '--steps', '4', '--resume']);
    expect(r4.stderr).toMatch(/pass one of them/);
    const r5 = await cli([...base, '--out', tempDir(), '--config', withN, '--init', join(a, 'nope'), '--steps', '4']);
    expect(r5.stderr).toMatch(/nope: no such file or directory/);
  }, 300_000);

  it('names a bad config key, a level the generator lacks and a missing F_pre', async () => {
    const base = ['train', 'editor', '--data', data, '--pair', models, '--fpre', models, '--id', models, '--steps', '1', '--quiet'];
    const bad = join(tempDir(), 'bad.json');
    writeFileSync(bad, JSON.stringify({ styleDim: 16, brnch: 'dual' }));
    const r1 = await cli([...base, '--out', tempDir(), '--config', bad]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/bad\.json: unknown key 'brnch'/);
    const lv = join(tempDir(), 'lv.json');
    writeFileSync(lv, JSON.stringify({ styleDim: 16, levels: [0, 9] }));
    const r2 = await cli([...base, '--out', tempDir(), '--config', lv]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/level 9 does not exist; the generator has W\+ rows 0–7/);
    const r3 = await cli([...base, '--out', tempDir(), '--config', config, '--fpre', tempDir()]);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/fpre\.json: no such file/);
  }, 180_000);
});
