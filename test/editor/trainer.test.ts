/**
 * The editor's training loop on a tiny world (32 px, 3 subjects, tiny G/E/F_pre/F_id with random
 * weights): the weighted loss falls, frozen networks stay untouched, a resume continues bit for
 * bit on the cpu backend, a non-finite loss stops with the step number, memory stays flat.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { openDisfa } from '../../src/data/disfa.js';
import { AUEditNet } from '../../src/editor/auEditNet.js';
import { resolveEditorConfig, type EditorConfig } from '../../src/editor/config.js';
import { frozenFid, frozenFpre } from '../../src/editor/frozenNets.js';
import { featureMse, lossRN, lossRNF } from '../../src/editor/losses.js';
import { editorLoss, needsRest, TripleSampler, trainEditor, type EditorTrainData } from '../../src/editor/trainer.js';
import { batchImages, type ImageSet } from '../../src/estimators/imageSet.js';
import { imageSetFromDisfa } from '../../src/estimators/loadImageSet.js';
import { buildEstimator, type Estimator } from '../../src/estimators/model.js';
import { BatchRng } from '../../src/estimators/train.js';
import { Encoder } from '../../src/gan/encoder.js';
import { Generator } from '../../src/gan/generator.js';
import { initRuntime, tf, withBackend } from '../../src/runtime/index.js';
import { writeDisfa } from '../../src/synth/disfa-writer.js';
import { tempDir } from '../gan/helpers.js';
import { TINY_E16, TINY_G16 } from '../gan/tinyConfigs.js';

const tinyG = TINY_G16;
const tinyE = TINY_E16;
const cfg = (over: Partial<EditorConfig> = {}): EditorConfig =>
  resolveEditorConfig({ levels: [0, 1, 2, 3, 4, 5], styleDim: 16, hidden: 16, zDim: 6, psiHidden: 4, ...over });

let images: ImageSet;
let latents: Float32Array;
let g: Generator;
let fpreNet: Estimator;
let fidNet: Estimator;

function data(set = images, lat = latents): EditorTrainData {
  return { images: set, rows: 8, latents: (idx) => tf.tensor3d(Float32Array.from(idx.flatMap((i) => Array.from(lat.subarray(i * 128, (i + 1) * 128)))), [idx.length, 8, 16]) };
}

beforeAll(async () => {
  await initRuntime();
  const dir = tempDir();
  await writeDisfa({ out: dir, size: 32, frames: 6, subjects: ['SN001', 'SN002', 'SN003'], seed: 2, nuisance: true, workers: 0 });
  images = await imageSetFromDisfa(await openDisfa(dir), ['SN001', 'SN002', 'SN003']);
  const e = new Encoder(tinyE, { seed: 1 }).freeze();
  latents = tf.tidy(() => e.encode(batchImages(images, [...Array(images.count).keys()])).dataSync() as Float32Array);
  e.dispose();
  g = new Generator(tinyG, { seed: 2 }).freeze();
  fpreNet = buildEstimator('fpre', { widths: [4, 8], convsPerBlock: [1, 1], hidden: 8, outputs: 12 }, 32, 3);
  fidNet = buildEstimator('fid', { family: 'irse', stemStride: 2, widths: [4, 8], embedding: 8 }, 32, 4);
}, 120_000);

describe('TripleSampler', () => {
  it('draws src and tar from one subject (different frames) and rnd from another', () => {
    const s = new TripleSampler(images, new BatchRng(1));
    const t = s.next(200);
    for (let b = 0; b < 200; b++) {
      expect(images.groups[t.src[b]!]).toBe(images.groups[t.tar[b]!]);
      expect(t.src[b]).not.toBe(t.tar[b]);
      expect(images.groups[t.rnd[b]!]).not.toBe(images.groups[t.src[b]!]);
    }
  });
});

/** The tiny set with chosen rest frames: frames in `rest` get all-zero labels, every other frame AU12 = 2. */
function withRestFrames(rest: ReadonlySet<number>): ImageSet {
  const labels = new Float32Array(images.count * 12);
  for (let i = 0; i < images.count; i++) if (!rest.has(i)) labels[i * 12 + 6] = 2;
  return { ...images, labels };
}

describe('TripleSampler with rest frames (lambda.RN)', () => {
  // SN001 (frames 0–5): rest 1 and 4; SN002 (6–11): rest 9; SN003 (12–17): none
  const set = () => withRestFrames(new Set([1, 4, 9]));

  it('adds a rest frame of the src subject, −1 for a subject without one, and names that subject', () => {
    const s = new TripleSampler(set(), new BatchRng(1), true);
    expect(s.subjectsWithoutRest()).toEqual(['SN003']);
    const t = s.next(300);
    const seen = new Set<number>();
    for (let b = 0; b < 300; b++) {
      const r = t.rest![b]!;
      if (images.groupNames[images.groups[t.src[b]!]!] === 'SN003') expect(r).toBe(-1);
      else {
        expect(images.groups[r]).toBe(images.groups[t.src[b]!]);
        expect([1, 4, 9]).toContain(r);
        seen.add(r);
      }
    }
    expect([...seen].sort()).toEqual([1, 4, 9]);
  });

  it('draws the same triples as without rest frames (the rest draw comes after), and none when not asked', () => {
    const a = new TripleSampler(set(), new BatchRng(7), true).next(16);
    const b = new TripleSampler(set(), new BatchRng(7)).next(16);
    expect({ src: a.src, tar: a.tar, rnd: a.rnd }).toEqual(b);
    expect(b.rest).toBeUndefined();
  });

  it('refuses a set with no rest frame at all, by name of the loss', () => {
    expect(() => new TripleSampler(withRestFrames(new Set()), new BatchRng(1), true)).toThrow(/lambda\.RN \/ RNF need rest frames/);
  });
});

describe('trainEditor', () => {
  it('lowers the loss; G, F_pre and F_id do not change; memory is flat across steps', async () => {
    const before = [g.store.get('convs.0.conv.weight'), fpreNet.params.variable('trunk.0.0.conv.weight'), fidNet.params.variable('stem.conv.weight')].map((v) => Array.from(v.dataSync()));
    const logs: number[] = [];
    let mem: number[] = [];
    const { editor } = await trainEditor({
      config: cfg(),
      data: data(),
      generator: g,
      fpre: frozenFpre(fpreNet),
      fid: frozenFid(fidNet),
      outDir: tempDir(),
      steps: 30,
      batch: 4,
      lr: 3e-3,
      seed: 1,
      checkpointEvery: 1000,
      onStep: (step, l) => {
        logs.push(l['loss']!);
        if (step >= 10) mem.push(tf.memory().numTensors);
      },
    });
    const avg = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    expect(avg(logs.slice(22))).toBeLessThan(avg(logs.slice(0, 8)) * 0.8);
    const after = [g.store.get('convs.0.conv.weight'), fpreNet.params.variable('trunk.0.0.conv.weight'), fidNet.params.variable('stem.conv.weight')].map((v) => Array.from(v.dataSync()));
    expect(after).toEqual(before);
    mem = [...new Set(mem)];
    expect(mem).toHaveLength(1);
    editor.dispose();
  }, 300_000);

  it('each switched-off loss is left out of the step; lambda.N adds the neutral loss', () => {
    const ed = new AUEditNet(cfg({ lambda: { R: 1, P: 0, F: 0, ID: 1, L: 0 } }), 1).build(8);
    tf.tidy(() => {
      const r = editorLoss(ed, g, frozenFpre(fpreNet), frozenFid(fidNet), data(), new TripleSampler(images, new BatchRng(3)).next(2));
      expect(Object.keys(r.parts).sort()).toEqual(['ID', 'R']);
    });
    ed.dispose();
    const withN = new AUEditNet(cfg({ lambda: { R: 1, P: 0, F: 0, ID: 0, L: 0, N: 2 } }), 1).build(8);
    tf.tidy(() => {
      const r = editorLoss(withN, g, frozenFpre(fpreNet), frozenFid(fidNet), data(), new TripleSampler(images, new BatchRng(3)).next(2));
      expect(Object.keys(r.parts).sort()).toEqual(['N', 'R']);
      const [total, R, N] = [r.total, r.parts['R']!, r.parts['N']!].map((t) => t.dataSync()[0]!);
      expect(N).toBeGreaterThan(0);
      expect(total).toBeCloseTo(R + 2 * N, 5);
    });
    withN.dispose();
  });

  it('lambda.RN scores Î_N against the rest frames of the rows that have one (pixel + F_id features)', () => {
    const set = withRestFrames(new Set([1, 4, 9]));
    const ed = new AUEditNet(cfg({ lambda: { R: 1, P: 0, F: 0, ID: 0, L: 0, RN: 3 } }), 1).build(8);
    tf.tidy(() => {
      const t = new TripleSampler(set, new BatchRng(11), true).next(6);
      const r = editorLoss(ed, g, frozenFpre(fpreNet), frozenFid(fidNet), data(set), t);
      expect(Object.keys(r.parts).sort()).toEqual(['R', 'RN']);
      const [total, R, RN] = [r.total, r.parts['R']!, r.parts['RN']!].map((x) => x.dataSync()[0]!);
      // float32 sums of values near 150: compare relative to the size
      expect(Math.abs(total - (R + 3 * RN)) / total).toBeLessThan(1e-6);
      // by hand: Î_N = G(W_src − Φ_dec(z_src)) of the rows whose subject has a rest frame
      const rows = t.rest!.flatMap((x, b) => (x >= 0 ? [b] : []));
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.length).toBeLessThan(6);
      const iN = g.synthesis(ed.neutral(data(set).latents(rows.map((b) => t.src[b]!))), { noise: 'const', mode: 'shared' });
      const want = lossRN(frozenFid(fidNet), iN, batchImages(set, rows.map((b) => t.rest![b]!))).dataSync()[0]!;
      expect(RN).toBeGreaterThan(0);
      expect(Math.abs(RN - want) / want).toBeLessThan(1e-5);
      // no row with a rest frame: the term is 0, not NaN
      const none = editorLoss(ed, g, frozenFpre(fpreNet), frozenFid(fidNet), data(set), { ...t, rest: t.rest!.map(() => -1) });
      expect(none.parts['RN']!.dataSync()[0]).toBe(0);
    });
    ed.dispose();
  });

  it('lambda.RNF scores F_pre\'s view of Î_N against the same rest frames, with RN sharing the draw', () => {
    const set = withRestFrames(new Set([1, 4, 9]));
    const ed = new AUEditNet(cfg({ lambda: { R: 1, P: 0, F: 0, ID: 0, L: 0, RN: 2, RNF: 5 } }), 1).build(8);
    tf.tidy(() => {
      const t = new TripleSampler(set, new BatchRng(11), true).next(6);
      const r = editorLoss(ed, g, frozenFpre(fpreNet), frozenFid(fidNet), data(set), t);
      expect(Object.keys(r.parts).sort()).toEqual(['R', 'RN', 'RNF']);
      const [total, R, RN, RNF] = [r.total, r.parts['R']!, r.parts['RN']!, r.parts['RNF']!].map((x) => x.dataSync()[0]!);
      expect(Math.abs(total - (R + 2 * RN + 5 * RNF)) / total).toBeLessThan(1e-6);
      const rows = t.rest!.flatMap((x, b) => (x >= 0 ? [b] : []));
      const iN = g.synthesis(ed.neutral(data(set).latents(rows.map((b) => t.src[b]!))), { noise: 'const', mode: 'shared' });
      const iRest = batchImages(set, rows.map((b) => t.rest![b]!));
      // by hand: Eq. 6 with I_0 as reference and target
      const fp = frozenFpre(fpreNet);
      const hat = fp(iRest, iN), ref = fp(iRest, iRest);
      const want = featureMse(hat.featuresB, ref.featuresB).add(tf.losses.meanSquaredError(ref.delta, hat.delta)).dataSync()[0]!;
      expect(RNF).toBeGreaterThan(0);
      expect(Math.abs(RNF - want) / want).toBeLessThan(1e-5);
      // F_pre of a rest frame against itself: 0 by construction, so the term vanishes when Î_N = I_0
      expect(lossRNF(fp, iRest, iRest).dataSync()[0]).toBeCloseTo(0, 6);
      const none = editorLoss(ed, g, fp, frozenFid(fidNet), data(set), { ...t, rest: t.rest!.map(() => -1) });
      expect(none.parts['RNF']!.dataSync()[0]).toBe(0);
    });
    ed.dispose();
  });

  it('draws rest frames when only lambda.RNF asks for them', () => {
    expect(needsRest(cfg({ lambda: { R: 1, P: 0, F: 0, ID: 0, L: 0, RNF: 1 } }))).toBe(true);
    expect(needsRest(cfg({ lambda: { R: 1, P: 0, F: 0, ID: 0, L: 0, RN: 1 } }))).toBe(true);
    expect(needsRest(cfg({ lambda: { R: 1, P: 0, F: 0, ID: 0, L: 0 } }))).toBe(false);
  });

  it('resumes bit for bit on the cpu backend: 2 + resume + 2 steps equal 4 steps', async () => {
    await withBackend('cpu', async () => {
      const run = (dir: string, extra: { stopAfter?: number; resume?: boolean }) =>
        trainEditor({ config: cfg(), data: data(), generator: g, fpre: frozenFpre(fpreNet), fid: frozenFid(fidNet), outDir: dir, steps: 4, batch: 2, lr: 1e-3, seed: 5, checkpointEvery: 100, ...extra });
      const a = tempDir(), b = tempDir();
      const full = await run(a, {});
      (await run(b, { stopAfter: 2 })).editor.dispose();
      const rest = await run(b, { resume: true });
      expect(rest.result.step).toBe(4);
      for (const n of full.editor.params.names()) expect(Array.from(rest.editor.params.variable(n).dataSync()), n).toEqual(Array.from(full.editor.params.variable(n).dataSync()));
      full.editor.dispose();
      rest.editor.dispose();
    });
  }, 300_000);

  it('stops on a non-finite loss with the step number and keeps the last good checkpoint', async () => {
    let calls = 0;
    const d = data();
    const poisoned: EditorTrainData = { ...d, latents: (idx) => (++calls > 6 ? tf.fill([idx.length, 8, 16], NaN) : d.latents(idx)) as tf.Tensor3D };
    await expect(
      trainEditor({ config: cfg(), data: poisoned, generator: g, fpre: frozenFpre(fpreNet), fid: frozenFid(fidNet), outDir: tempDir(), steps: 10, batch: 2, lr: 1e-3, seed: 1, checkpointEvery: 2 }),
    ).rejects.toThrow(/loss became NaN at step 4; the last good checkpoint \(step 2\)/);
  }, 120_000);
});
