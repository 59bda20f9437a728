/**
 * The subject adversary of H_est (`train hest --subject-adversary λ`): the gradient reversal is
 * exact, the trunk receives −λ × the head's plain gradient while the head itself learns normally,
 * and the trained H_est is saved without the head and records λ.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HEST_DEFAULT, hestHidden } from '../../src/estimators/hest.js';
import { buildEstimator } from '../../src/estimators/model.js';
import { gradientReversal, subjectLoss } from '../../src/estimators/subjectAdversary.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { Params } from '../../src/nn/params.js';
import { checkpointInfo } from '../../src/nn/trainLoop.js';
import { initRuntime, tf } from '../../src/runtime/index.js';
import { writeDisfa } from '../../src/synth/disfa-writer.js';
import { cli } from '../cli/helpers.js';
import { tempDir } from '../gan/helpers.js';

beforeAll(async () => {
  await initRuntime();
});

const close = (a: Float32Array | Int32Array | Uint8Array, b: Float32Array | Int32Array | Uint8Array, tol: number) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  expect(worst).toBeLessThanOrEqual(tol);
};

describe('gradientReversal', () => {
  it('passes values through and returns −scale × the incoming gradient', () => {
    const x = tf.tensor2d([[0.5, -1, 2], [3, 0, -0.25]]);
    const w = tf.tensor2d([[1, 2, 3], [-4, 5, 0.5]]);
    close(gradientReversal(x, 0.3).dataSync() as Float32Array, x.dataSync() as Float32Array, 0);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(gradientReversal(a as tf.Tensor2D, 0.3), w)))(x);
    close(g.dataSync() as Float32Array, w.mul(-0.3).dataSync() as Float32Array, 1e-7);
    tf.dispose([x, w, g]);
  });
});

describe('subjectLoss', () => {
  it('sends the trunk −λ × the plain gradient of the subject loss and trains the head as usual', () => {
    const est = buildEstimator('hest', HEST_DEFAULT, 16, 3);
    const adv = new Params(9);
    const x = tf.randomUniform([4, 16, 16, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
    const who = [0, 2, 1, 2];
    tf.tidy(() => subjectLoss(adv, tf.zeros([2, HEST_DEFAULT.hidden]) as tf.Tensor2D, [0, 1], 3, 1));
    const trunk = est.params.variable('stem.conv.weight');
    const head = adv.variable('adversary.1.weight');
    const grads = (scale: number) =>
      tf.variableGrads(() => subjectLoss(adv, hestHidden(est.params, '', HEST_DEFAULT, x, false), who, 3, scale), [trunk, head]).grads;
    // scale −1 reverses the reversal: the plain gradient of the subject loss
    const plain = grads(-1), reversed = grads(0.25);
    const t = plain[trunk.name]!.mul(-0.25);
    close(reversed[trunk.name]!.dataSync() as Float32Array, t.dataSync() as Float32Array, 1e-6);
    expect(Math.max(...Array.from(plain[trunk.name]!.abs().dataSync()))).toBeGreaterThan(0);
    close(reversed[head.name]!.dataSync() as Float32Array, plain[head.name]!.dataSync() as Float32Array, 1e-6);
    tf.dispose([x, t, ...Object.values(plain), ...Object.values(reversed)]);
    est.params.dispose();
    adv.dispose();
  });
});

describe('aueditnet train hest --subject-adversary', () => {
  let data: string;
  beforeAll(async () => {
    data = tempDir();
    await writeDisfa({ out: data, size: 32, frames: 8, subjects: ['SN001', 'SN002', 'SN003', 'SN029'], seed: 2, nuisance: true, workers: 0 });
  }, 120_000);

  it('trains, records λ, ships H_est without the head, and refuses another λ on resume', async () => {
    const out = tempDir();
    const args = ['train', 'hest', '--data', data, '--fold', '3', '--out', out, '--steps', '3', '--batch', '4', '--every', '1'];
    const r = await cli([...args, '--subject-adversary', '0.2']);
    expect(r.code, r.stderr).toBe(0);
    // the summary line carries both parts of the loss
    expect(r.stderr).toMatch(/training hest: 3\/3 .*au [\d.]+, subject [\d.]+/);
    const meta = JSON.parse(readFileSync(join(out, 'hest.json'), 'utf8')) as { training: { command: string } };
    expect(meta.training.command).toMatch(/--subject-adversary 0\.2$/);
    const shipped = Object.keys(readSafetensors(join(out, 'hest.safetensors')).tensors);
    expect(shipped.some((k) => k.startsWith('adversary'))).toBe(false);
    expect(shipped).toContain('head.1.weight');
    const ckpt = Object.keys(readSafetensors(join(out, 'checkpoint.safetensors')).tensors);
    expect(ckpt.some((k) => k.includes('adversary.1.weight'))).toBe(true);
    expect(checkpointInfo(out)).toEqual({});
    const other = await cli([...args, '--steps', '4', '--subject-adversary', '0.5', '--resume', '--quiet']);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/another training config \(subjectAdversary: 0.2 → 0.5\)/);
    const bad = await cli([...args, '--subject-adversary', '-1', '--quiet']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--subject-adversary -1: expected a positive number/);
  }, 120_000);
});
