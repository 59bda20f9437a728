/**
 * The shipped AUEditNet (models/synthfacs-64/editor.*), loaded the way a user does (`loadEditor()`
 * with no folder), on faces of fold-3 test subjects that no shipped network trained on, rendered
 * here by the SynthFACS oracle. H_est, which the editor never saw, measures the edits:
 * - issue 6: asking for AU12 = 4 raises H_est's AU12 by at least 2 over the input;
 * - issue 6: `neutral` brings H_est's reading under 0.5 on average over the 12 AUs;
 * - tensor memory stays flat over 100 edits.
 * Measured values are in the constants' comments and in models/MODELS.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auIndex } from '../../src/data/aus.js';
import { defaultModelDir, loadEditor, type LoadedEditor } from '../../src/editor/api.js';
import { estimateAus } from '../../src/estimators/evaluate.js';
import { loadEstimator, type Estimator } from '../../src/estimators/model.js';
import { imageToTensorData, type RgbImage } from '../../src/io/image.js';
import { tf } from '../../src/runtime/index.js';
import { subjectFace } from '../../src/synth/subjectFace.js';

const SUBJECTS = ['SN003', 'SN029', 'SN023', 'SN025', 'SN008', 'SN005', 'SN007', 'SN017'];
/** Source expressions without AU12, so that a rise of AU12 is the edit's doing. */
const SOURCES: Record<number, number>[] = [{}, { 4: 2 }, { 25: 2, 26: 2 }, { 1: 2, 2: 2 }, {}, { 15: 2, 17: 2 }, { 20: 2 }, { 9: 2 }];
/** Expressive faces for `neutral`. */
const EXPRESSIVE: Record<number, number>[] = [{ 12: 3, 6: 2 }, { 4: 3 }, { 25: 3, 26: 3 }, { 1: 3, 2: 3 }, { 12: 4, 25: 2 }, { 15: 3, 17: 3 }, { 20: 3, 25: 2 }, { 9: 3, 4: 2 }];

/**
 * Issue 6's bars. Measured on the shipped editor (session 18: the session-17 editor fine-tuned 800
 * more steps with our neutral-reconstruction loss λ_RN 0.5, on the pair shipped with it, runs/pair9
 * at step 8641), read by the shipped H_est (the session-10 ensemble of hest3, hest5 and hest6):
 * AU12 rise **2.31**; neutral mean **0.23**; the AUs the faces were rendered with read 1.97 on the
 * inputs and 0.44 on Î_N. The session-17 editor read 2.26, 0.39 and 0.60; the one shipped before it,
 * behind pair3's generator and pair5's encoder, 2.03 (a thin margin) and 0.37.
 */
const AU12_RISE_MIN = 2;
const NEUTRAL_MEAN_MAX = 0.5;

let ed: LoadedEditor;
let hest: Estimator;

const face = (subject: string, aus: Record<number, number>): RgbImage => subjectFace(subject, aus, ed.size);

/** H_est's 12 readings per image, [n][12]. */
function read(images: RgbImage[]): number[][] {
  return tf.tidy(() => {
    const S = images[0]!.width;
    const x = tf.tensor4d(Float32Array.from(images.flatMap((im) => Array.from(imageToTensorData(im)))), [images.length, S, S, 3]);
    return estimateAus(hest, x).arraySync();
  });
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

beforeAll(async () => {
  ed = await loadEditor();
  hest = loadEstimator(defaultModelDir(), 'hest');
}, 120_000);

afterAll(() => {
  ed?.dispose();
  hest?.params.dispose();
});

describe('shipped AUEditNet', () => {
  it('is the dual-branch, level-wise editor on the shipped pair, over all 10 W+ rows', () => {
    expect(ed.meta.rows).toBe(10);
    expect(ed.editor.config.branch).toBe('dual');
    expect(ed.editor.config.modules).toBe('levelwise');
    expect(ed.editor.config.levels).toEqual([...Array(10).keys()]);
  });

  it('AU12 = 4 raises H_est’s AU12 by at least 2 over the input, on unseen subjects', async () => {
    const inputs = SUBJECTS.map((s, i) => face(s, SOURCES[i]!));
    const edited: RgbImage[] = [];
    for (const im of inputs) edited.push((await ed.edit(im, { AU12: 4 })).image);
    const k = auIndex(12);
    const before = read(inputs).map((r) => r[k]!);
    const after = read(edited).map((r) => r[k]!);
    const rise = mean(after) - mean(before);
    expect(rise).toBeGreaterThanOrEqual(AU12_RISE_MIN);
  }, 120_000);

  it('neutral brings H_est’s mean reading under 0.5 on expressive faces of unseen subjects', async () => {
    const inputs = SUBJECTS.map((s, i) => face(s, EXPRESSIVE[i]!));
    const neutral: RgbImage[] = [];
    for (const im of inputs) neutral.push(await ed.neutral(im));
    const rIn = read(inputs), rN = read(neutral);
    // the AUs each input was rendered with: H_est read 1.97 on the inputs, 0.44 on Î_N
    const active = (rows: number[][]) => mean(EXPRESSIVE.flatMap((e, f) => Object.keys(e).map((au) => rows[f]![auIndex(Number(au))]!)));
    expect(active(rN)).toBeLessThan(active(rIn) - 0.8);
    expect(mean(rN.flat())).toBeLessThan(NEUTRAL_MEAN_MAX);
  }, 120_000);

  it('keeps tf.memory() flat over 100 edits', async () => {
    const im = face('SN004', { 12: 2 });
    await ed.edit(im, { AU12: 1 });
    const start = tf.memory();
    for (let i = 0; i < 100; i++) await ed.edit(im, { AU12: (i % 5) - 1, AU6: i / 50 });
    const end = tf.memory();
    expect(end.numTensors).toBe(start.numTensors);
    expect(end.numBytes).toBe(start.numBytes);
  }, 120_000);
});
