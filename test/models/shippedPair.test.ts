/**
 * The shipped SynthFACS pair (models/synthfacs-64): it loads, it inverts faces of test-fold
 * subjects it never saw to within the reconstruction quality recorded in models/MODELS.md, and
 * refinement sharpens that. The faces are rendered here from the SynthFACS oracle, so the test
 * needs no data set. Thresholds sit about 1 dB under the measured values: a regression in the
 * port, the preprocessing or the shipped files fails it, noise of 8 faces does not.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auIndex } from '../../src/data/aus.js';
import { defaultModelDir } from '../../src/editor/api.js';
import { psnr } from '../../src/eval/psnr.js';
import type { Encoder } from '../../src/gan/encoder.js';
import type { Generator } from '../../src/gan/generator.js';
import { loadModels } from '../../src/gan/modelDir.js';
import { estimateAus } from '../../src/estimators/evaluate.js';
import { loadEstimator } from '../../src/estimators/model.js';
import { refineLatents } from '../../src/gan/refine.js';
import { initRuntime, tf } from '../../src/runtime/index.js';
import { imageToTensorData } from '../../src/io/image.js';
import { subjectFace } from '../../src/synth/subjectFace.js';

const SYNTH = { noise: 'const', mode: 'shared' } as const;
// fold-3 test subjects: no shipped network trained on them
const SUBJECTS = ['SN003', 'SN029', 'SN023', 'SN025', 'SN008', 'SN005', 'SN007', 'SN017'];
const EXPRESSIONS: Record<number, number>[] = [{}, { 12: 3, 6: 2 }, { 4: 3 }, { 25: 2, 26: 2 }, { 1: 2, 2: 2 }, { 15: 2, 17: 2 }, { 9: 2 }, { 20: 3 }];

/**
 * dB; the shipped pair (runs/pair9 at step 8641, generator and encoder trained together, session 17)
 * measured 28.25 on these 8 faces, and 29.86 after 20 refinement steps. The pair shipped before it
 * (pair3's generator with pair5's encoder) measured 25.27 / 27.18.
 */
const PLAIN_MIN = 27.3;
/**
 * H_est reading of the reconstructions, AU at 4 minus AU at 0, mean of 4 faces (the originals rise
 * by 1.9 for AU26, 3.5 for AU25, 1.3 for AU1, 3.4 for AU4). Measured with the shipped H_est (the
 * session-10 ensemble): AU26 0.58, AU25 0.49, AU1 0.45, AU4 0.34 — weak, and not the same pattern as
 * the pair shipped before (AU26 0.29, AU25 −0.05, AU1 0.09, AU4 0.89; AU12 0.71 there, 0.21 here):
 * the sharper pair keeps the mouth and brow-raise changes better and the brow lowering worse. The
 * pixel-only step-3600 pair kept almost nothing (ICC 0.02 on reconstructions; MODELS.md).
 */
const RISE_MIN: Record<number, number> = { 26: 0.4, 25: 0.3, 1: 0.3, 4: 0.2 };

let g: Generator, e: Encoder, x: tf.Tensor4D;

beforeAll(async () => {
  await initRuntime();
  const m = await loadModels(defaultModelDir(), { generator: true, encoder: true });
  g = m.generator!.model.freeze();
  e = m.encoder!.model.freeze();
  const S = g.config.size;
  const data = new Float32Array(SUBJECTS.length * S * S * 3);
  SUBJECTS.forEach((s, i) => {
    data.set(imageToTensorData(subjectFace(s, EXPRESSIONS[i]!, S)), i * S * S * 3);
  });
  x = tf.tensor4d(data, [SUBJECTS.length, S, S, 3]);
}, 120_000);

afterAll(() => {
  g?.dispose();
  e?.dispose();
  x?.dispose();
});

function meanPsnr(rec: tf.Tensor4D): number {
  const n = x.shape[1]! * x.shape[2]! * 3;
  const a = tf.tidy(() => x.add(1).div(2).dataSync() as Float32Array);
  const b = tf.tidy(() => rec.clipByValue(-1, 1).add(1).div(2).dataSync() as Float32Array);
  let sum = 0;
  for (let i = 0; i < x.shape[0]; i++) sum += psnr(a.subarray(i * n, (i + 1) * n), b.subarray(i * n, (i + 1) * n));
  return sum / x.shape[0];
}

describe('shipped SynthFACS pair', () => {
  it('is the 64-px, 10-row pair with latent_avg, as models/MODELS.md describes', () => {
    expect(g.config.size).toBe(64);
    expect(g.nLatent).toBe(10);
    expect(e.styleCount).toBe(10);
    expect(g.latentAvg?.shape).toEqual([512]);
    expect(e.latentAvg?.shape).toEqual([512]);
    expect(join(defaultModelDir())).toMatch(/models[\\/]synthfacs-64$/);
  });

  it('inverts unseen test-fold faces: G(E(I)) PSNR above the recorded level, higher still after refinement', () => {
    const w = e.encode(x);
    const plain = meanPsnr(g.synthesis(w, SYNTH) as tf.Tensor4D);
    expect(plain).toBeGreaterThan(PLAIN_MIN);
    const refined = refineLatents(g, x, w, { steps: 20 });
    const better = meanPsnr(g.synthesis(refined, SYNTH) as tf.Tensor4D);
    expect(better).toBeGreaterThan(plain + 1.2);
    tf.dispose([w, refined]);
  }, 120_000);

  it('keeps some of a strong jaw drop, lips parting, brow raise and brow lowering: H_est on reconstructions rises with AU26, AU25, AU1 and AU4', () => {
    const hest = loadEstimator(defaultModelDir(), 'hest');
    const S = g.config.size;
    const faces = (aus: Record<number, number>) => {
      const d = new Float32Array(4 * S * S * 3);
      SUBJECTS.slice(0, 4).forEach((s, i) => {
        d.set(imageToTensorData(subjectFace(s, aus, S)), i * S * S * 3);
      });
      return tf.tensor4d(d, [4, S, S, 3]);
    };
    // H_est's mean reading of the 4 reconstructions, per AU
    const read = (aus: Record<number, number>) =>
      tf.tidy(() => {
        const rec = g.synthesis(e.encode(faces(aus)), SYNTH).clipByValue(-1, 1) as tf.Tensor4D;
        return estimateAus(hest, rec).mean(0).arraySync() as number[];
      });
    const rest = read({});
    for (const au of [26, 25, 1, 4]) {
      const rise = read({ [au]: 4 })[auIndex(au)]! - rest[auIndex(au)]!;
      expect(rise, `AU${au}`).toBeGreaterThan(RISE_MIN[au]!);
    }
    hest.params.dispose();
  }, 120_000);
});
