/**
 * The AUEditNet model (Eq. 1–3, 8) on tiny configs: shapes, rows outside `levels` kept exactly,
 * where each branch takes its embedding from, the variants, the losses on hand-computed cases,
 * gradients against the cpu backend, and flat tensor memory over repeated edits.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AUEditNet } from '../../src/editor/auEditNet.js';
import { resolveEditorConfig, type EditorConfig } from '../../src/editor/config.js';
import { featureMse, lossID, lossL, lossN, lossR } from '../../src/editor/losses.js';
import { initRuntime, tf } from '../../src/runtime/index.js';
import { rand, worstVsCpu } from '../runtime/helpers.js';

beforeAll(async () => {
  await initRuntime();
});

const N = 12;
const tiny = (over: Partial<EditorConfig> = {}): EditorConfig =>
  resolveEditorConfig({ levels: [0, 2, 3], styleDim: 16, hidden: 24, zDim: 8, psiHidden: 6, ...over });
const labels = (B: number, seed: number) => ({
  c: tf.tidy(() => rand([B, N], seed).greater(0).toFloat()) as tf.Tensor2D,
  a: tf.tidy(() => rand([B, N], seed + 1, 2.5).add(2.5)) as tf.Tensor2D,
});
const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

describe('config', () => {
  it('refuses unknown keys and bad values by name', () => {
    expect(() => resolveEditorConfig({ brnch: 'dual' })).toThrow(/unknown key 'brnch'/);
    expect(() => resolveEditorConfig({ branch: 'triple' })).toThrow(/branch must be/);
    expect(() => resolveEditorConfig({ levels: [0, 0] })).toThrow(/levels/);
    expect(() => resolveEditorConfig({ lambda: { R: -1 } })).toThrow(/lambda.R/);
    expect(() => resolveEditorConfig({ lambda: { Q: 1 } })).toThrow(/lambda.Q/);
    expect(resolveEditorConfig({ lambda: { ID: 0 } }).lambda).toMatchObject({ R: 1, ID: 0 });
    expect(resolveEditorConfig({ lambda: { RN: 0.5 } }).lambda).toMatchObject({ R: 1, RN: 0.5 });
    expect(() => resolveEditorConfig({ lambda: { RN: Number.NaN } })).toThrow(/lambda.RN/);
  });
});

describe('AUEditNet', () => {
  for (const variant of [
    { modules: 'levelwise', labelMapping: true },
    { modules: 'flat', labelMapping: true },
    { modules: 'levelwise', labelMapping: false },
  ] as const) {
    it(`${variant.modules}, labelMapping ${variant.labelMapping}: shapes, untouched rows kept, a fresh editor stays near W`, () => {
      const ed = new AUEditNet(tiny(variant), 1).build(5);
      tf.tidy(() => {
        const w = rand([3, 5, 16], 7) as tf.Tensor3D;
        const { wN, wTar } = ed.edit(w, labels(3, 3));
        expect(wN.shape).toEqual([3, 5, 16]);
        expect(wTar.shape).toEqual([3, 5, 16]);
        for (const r of [1, 4]) {
          expect(maxAbs(wTar.slice([0, r, 0], [-1, 1, -1]), w.slice([0, r, 0], [-1, 1, -1]))).toBe(0);
          expect(maxAbs(wN.slice([0, r, 0], [-1, 1, -1]), w.slice([0, r, 0], [-1, 1, -1]))).toBe(0);
        }
        // Φ_dec's last layer starts small: the edit moves W by a fraction of its scale
        expect(maxAbs(wN, w)).toBeGreaterThan(0);
        expect(maxAbs(wN, w)).toBeLessThan(1);
        const est = ed.estimate(w);
        expect(est.c.shape).toEqual([3, N]);
        const cv = est.c.dataSync();
        expect(Math.min(...cv)).toBeGreaterThanOrEqual(0);
        expect(Math.max(...cv)).toBeLessThanOrEqual(1);
        expect(ed.transfer(w, rand([3, 5, 16], 9) as tf.Tensor3D).shape).toEqual([3, 5, 16]);
      });
      ed.dispose();
    });
  }

  it('dual: the target branch depends on W_rnd, and Ŵ_N does not; single: W_rnd is ignored', () => {
    for (const branch of ['dual', 'single'] as const) {
      const ed = new AUEditNet(tiny({ branch }), 2).build(5);
      tf.tidy(() => {
        const w = rand([2, 5, 16], 1) as tf.Tensor3D;
        const l = labels(2, 5);
        const a = ed.forwardTrain(w, rand([2, 5, 16], 2) as tf.Tensor3D, l);
        const b = ed.forwardTrain(w, rand([2, 5, 16], 3) as tf.Tensor3D, l);
        expect(maxAbs(a.wN, b.wN)).toBe(0);
        if (branch === 'dual') expect(maxAbs(a.wTar, b.wTar)).toBeGreaterThan(1e-6);
        else expect(maxAbs(a.wTar, b.wTar)).toBe(0);
        // at test time both variants start from the source's own normalised embedding
        const e = ed.edit(w, l);
        const s = ed.forwardTrain(w, w, l);
        expect(maxAbs(e.wTar, s.wTar)).toBeLessThan(1e-6);
      });
      ed.dispose();
    }
  });

  it('without label mapping the pseudo-labels are the labels on every level', () => {
    const ed = new AUEditNet(tiny({ labelMapping: false }), 3).build(5);
    tf.tidy(() => {
      const l = labels(2, 8);
      const p = ed.pseudoLabels(l);
      expect(p.c.shape).toEqual([3, 2, N]);
      for (let m = 0; m < 3; m++) expect(maxAbs(p.a.slice([m, 0, 0], [1, -1, -1]).squeeze([0]), l.a)).toBe(0);
    });
    ed.dispose();
  });

  it('build creates every parameter a training step or an edit uses', () => {
    for (const labelMapping of [true, false]) {
      const ed = new AUEditNet(tiny({ labelMapping }), 7).build(5);
      const before = ed.params.names().sort();
      tf.tidy(() => {
        const w = rand([2, 5, 16], 1) as tf.Tensor3D;
        const o = ed.forwardTrain(w, w, labels(2, 3));
        lossL(ed.labelEstimates(o.sourceLevels), labels(2, 3), o.sourceLevels, ed.pseudoLabels(labels(2, 3)));
        ed.estimate(w);
        ed.transfer(w, w);
      });
      expect(ed.params.names().sort()).toEqual(before);
      if (labelMapping) expect(before).toContain('psi_dec.w1');
      ed.dispose();
    }
  });

  it('refuses a W+ that lacks an edited row or has another row length', () => {
    const ed = new AUEditNet(tiny(), 4).build(5);
    expect(() => tf.tidy(() => ed.neutral(tf.zeros([1, 3, 16]) as tf.Tensor3D))).toThrow(/row 3 .* 3 rows/);
    expect(() => tf.tidy(() => ed.neutral(tf.zeros([1, 5, 8]) as tf.Tensor3D))).toThrow(/expects 16/);
    ed.dispose();
  });

  it('gradients of a loss through both branches match the cpu backend', async () => {
    const worst = await worstVsCpu(() => {
      const ed = new AUEditNet(tiny(), 5).build(5);
      const w = rand([2, 5, 16], 11) as tf.Tensor3D, r = rand([2, 5, 16], 12) as tf.Tensor3D;
      const l = labels(2, 13);
      const { value, grads } = tf.variableGrads(() => {
        const o = ed.forwardTrain(w, r, l);
        const est = ed.labelEstimates(o.sourceLevels);
        return tf.addN([tf.sum(tf.square(o.wTar)), tf.sum(o.wN), lossL(est, l, o.sourceLevels, ed.pseudoLabels(l))]) as tf.Scalar;
      }, ed.params.trainableVariables());
      const out = [value, ...Object.values(grads)];
      const kept = out.map((t) => t.clone());
      ed.dispose();
      return kept;
    });
    expect(worst).toBeLessThan(1e-3);
  });

  it('keeps tensor memory flat over repeated edits', () => {
    const ed = new AUEditNet(tiny(), 6).build(5);
    const w = rand([1, 5, 16], 3) as tf.Tensor3D;
    const l = labels(1, 4);
    const run = () => tf.tidy(() => ed.edit(w, l).wTar.dataSync());
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 30; i++) run();
    expect(tf.memory().numTensors).toBe(before);
    ed.dispose();
  });
});

describe('losses on hand-computed cases', () => {
  it('lossR and featureMse are mean squared errors', () => {
    tf.tidy(() => {
      const a = tf.tensor4d([0, 1, 2, 3], [1, 2, 2, 1]), b = tf.tensor4d([1, 1, 0, 3], [1, 2, 2, 1]);
      expect(lossR(a, b).dataSync()[0]).toBeCloseTo((1 + 0 + 4 + 0) / 4, 6);
      expect(featureMse([a, a], [b, a]).dataSync()[0]).toBeCloseTo(5 / 4 / 2, 6);
    });
  });

  it('lossID: 1 − cos summed over Î_tar and Î_N, mean over the batch', () => {
    tf.tidy(() => {
      // a fake F_id: the first two pixel values, normalised
      const fid = (x: tf.Tensor4D) => {
        const v = x.reshape([x.shape[0], -1]).slice([0, 0], [-1, 2]) as tf.Tensor2D;
        return tf.div(v, tf.norm(v, 'euclidean', 1, true)) as tf.Tensor2D;
      };
      const img = (p: number[][]) => tf.tensor4d(p.flat(), [p.length, 1, 2, 1]);
      const tar = img([[1, 0], [0, 1]]);
      const hat = img([[1, 0], [1, 1]]); // cos 1, cos 1/√2
      const n = img([[0, 1], [0, 1]]); // cos 0, cos 1
      const v = lossID(fid, hat, n, tar).dataSync()[0]!;
      expect(v).toBeCloseTo(((0 + 1) + (1 - Math.SQRT1_2 + 0)) / 2, 5);
    });
  });

  it('lossN: F_pre\'s change from I_src to Î_N against −a_src, mean over AUs and batch', () => {
    tf.tidy(() => {
      // a fake F_pre: Δ = (mean of b) − (mean of a) for AU 1 and 2·that for AU 2
      const fpre = (a: tf.Tensor4D, b: tf.Tensor4D) => {
        const d = tf.sub(tf.mean(b, [1, 2, 3]), tf.mean(a, [1, 2, 3])).reshape([-1, 1]);
        return { delta: tf.concat([d, tf.mul(d, 2)], 1) as tf.Tensor2D, featuresB: [] };
      };
      const src = tf.tensor4d([1, 1, 0, 0], [2, 1, 2, 1]); // means 1, 0
      const iN = tf.tensor4d([0, 0, 0, 0], [2, 1, 2, 1]); // Δ = (−1, −2), (0, 0)
      const aSrc = tf.tensor2d([[1, 2], [0, 3]]); // −a = (−1, −2), (0, −3): errors 0, 0, 0, 3
      expect(lossN(fpre, src, iN, aSrc).dataSync()[0]).toBeCloseTo(9 / 4, 6);
      // a neutral Î_N of a neutral source costs nothing
      expect(lossN(fpre, iN, iN, tf.zeros([2, 2])).dataSync()[0]).toBe(0);
    });
  });

  it('lossL: image-level and level-wise MSE for c and a', () => {
    tf.tidy(() => {
      const t = { c: tf.tensor2d([[1, 0]]), a: tf.tensor2d([[3, 0]]) };
      const d = { c: tf.tensor2d([[0.5, 0]]), a: tf.tensor2d([[2, 0]]) }; // (0.25 + 0)/2 + (1 + 0)/2
      const lv = { c: tf.tensor3d([[[1, 0]], [[1, 1]]]), a: tf.tensor3d([[[3, 0]], [[3, 0]]]) };
      const ps = { c: tf.tensor3d([[[1, 0]], [[1, 0]]]), a: tf.tensor3d([[[3, 0]], [[1, 0]]]) }; // c: 1/4, a: 4/4
      expect(lossL(d, t, lv, ps).dataSync()[0]).toBeCloseTo(0.125 + 0.5 + 0.25 + 1, 5);
    });
  });
});
