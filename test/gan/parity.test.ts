/**
 * Parity with the original PyTorch code (rosinality stylegan2-pytorch, omertov encoder4editing) on
 * the random-weight fixtures of test/fixtures/reference (see its README). Requirement: max abs error
 * ≤ 1e-4 × the reference output's range. Measured on wasm (2026-11-25), relative to the range:
 * w 0, img_from_z 4e-7, img_from_wplus 5e-7, codes 4–6e-7, decoded e4e codes 8e-7.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { inferEncoderConfig, inferGeneratorConfig, readCheckpoint } from '../../src/gan/checkpoint.js';
import type { ModConvMode } from '../../src/gan/modulatedConv.js';
import { initRuntime, tf } from '../../src/runtime/index.js';
import { compare, fixture, fixtureEncoder, fixtureGenerator, REF } from './helpers.js';

const TOL = 1e-4;

beforeAll(async () => {
  await initRuntime();
});

describe('architecture inferred from the fixture checkpoints', () => {
  it('stylegan2-small: 64 px, style dim 64, 2 mapping layers, patched widths', () => {
    const ck = readCheckpoint(`${REF}stylegan2-small.pt`);
    expect(ck.generator!.prefix).toBe('g_ema.');
    expect(inferGeneratorConfig(ck.generator!, 'x')).toEqual({
      size: 64,
      styleDim: 64,
      nMlp: 2,
      lrMlp: 0.01,
      channels: { '4': 32, '8': 32, '16': 32, '32': 32, '64': 16 },
      blurKernel: [1, 3, 3, 1],
    });
    expect(ck.latentAvg!.shape).toEqual([64]);
  });

  it('e4e-small: IR-SE-50 at /8 widths, SE reduction 4, 64 px input, 10 × 64 codes', () => {
    const ck = readCheckpoint(`${REF}e4e-small.pt`);
    expect(ck.encoder!.prefix).toBe('state_dict.encoder.');
    expect(ck.generator).toBeNull();
    expect(inferEncoderConfig(ck.encoder!, 'x')).toEqual({
      inputSize: 64,
      mode: 'ir_se',
      units: [3, 4, 14, 3],
      widths: [8, 16, 32, 64],
      seReduction: 4,
      styleDim: 64,
      blockWidth: 64,
      styleCount: 10,
      coarseInd: 3,
      middleInd: 7,
      structure: 'e4e',
      progressiveStage: 18,
    });
    expect(ck.latentAvg!.shape).toEqual([10, 64]);
  });
});

describe.each(['stylegan2-small.pt', 'stylegan2-small-legacy.pt'])('generator parity, %s', (file) => {
  it('w = mapping(z) (max abs error 0)', () => {
    const g = fixtureGenerator(file);
    const z = fixture('z.npy') as tf.Tensor2D;
    const w = g.map(z);
    const e = compare(w, fixture('w.npy'));
    expect(e.rel).toBeLessThanOrEqual(TOL);
    tf.dispose([z, w]);
    g.dispose();
  });

  it.each<ModConvMode>(['shared', 'perSample', 'auto'])('image from z and from W+ (mode %s; ≈5e-7 of the range)', (mode) => {
    const g = fixtureGenerator(file);
    const z = fixture('z.npy');
    const wplus = fixture('wplus.npy') as tf.Tensor3D;
    const fromZ = g.forward([z], { noise: 'const', mode });
    const fromW = g.synthesis(wplus, { noise: 'const', mode });
    const ez = compare(fromZ, fixture('img_from_z.npy'));
    const ew = compare(fromW, fixture('img_from_wplus.npy'));
    expect(ez.range).toBeGreaterThan(5); // the fixture images span about [-5, 6]
    expect(ez.rel).toBeLessThanOrEqual(TOL);
    expect(ew.rel).toBeLessThanOrEqual(TOL);
    tf.dispose([z, wplus, fromZ, fromW]);
    g.dispose();
  });

  it('frozen (precomputed weights) gives the same image', () => {
    const g = fixtureGenerator(file).freeze();
    const wplus = fixture('wplus.npy') as tf.Tensor3D;
    const img = g.synthesis(wplus);
    expect(compare(img, fixture('img_from_wplus.npy')).rel).toBeLessThanOrEqual(TOL);
    tf.dispose([wplus, img]);
    g.dispose();
  });

  it('explicit noise maps equal to the stored buffers give the const-noise image', () => {
    const g = fixtureGenerator(file);
    const wplus = fixture('wplus.npy') as tf.Tensor3D;
    const maps = Array.from({ length: g.numLayers }, (_, i) => g.store.get(`noises.noise_${i}`) as tf.Tensor as tf.Tensor4D);
    const img = g.synthesis(wplus, { noise: maps });
    expect(compare(img, fixture('img_from_wplus.npy')).rel).toBeLessThanOrEqual(TOL);
    tf.dispose([wplus, img]);
    g.dispose();
  });

  it("style mixing at inject_index 5 reproduces wplus's image", () => {
    const g = fixtureGenerator(file);
    const w = fixture('w.npy') as tf.Tensor2D;
    const img = g.forward([w, w.reverse(0)], { inputIsLatent: true, injectIndex: 5 });
    expect(compare(img, fixture('img_from_wplus.npy')).rel).toBeLessThanOrEqual(TOL);
    tf.dispose([w, img]);
    g.dispose();
  });
});

describe('encoder parity (e4e-small.pt)', () => {
  it('codes without latent_avg (≈6e-7 of the range)', () => {
    const e = fixtureEncoder();
    const x = fixture('e4e_input.npy') as tf.Tensor4D;
    const codes = e.forward(x);
    const err = compare(codes, fixture('e4e_codes_no_avg.npy'));
    expect(err.rel).toBeLessThanOrEqual(TOL);
    tf.dispose([x, codes]);
    e.dispose();
  });

  it('codes with latent_avg, eval and frozen (≈4e-7 of the range)', () => {
    const e = fixtureEncoder();
    const x = fixture('e4e_input.npy') as tf.Tensor4D;
    const ref = fixture('e4e_codes.npy');
    const a = e.encode(x);
    e.freeze();
    const b = e.encode(x);
    expect(compare(a, ref).rel).toBeLessThanOrEqual(TOL);
    expect(compare(b, ref).rel).toBeLessThanOrEqual(TOL);
    // a batch of 1 gives the same codes as the batch of 2
    const one = e.encode(x.slice([1, 0, 0, 0], [1, -1, -1, -1]));
    expect(compare(one, ref.slice([1, 0, 0], [1, -1, -1])).rel).toBeLessThanOrEqual(TOL);
    tf.dispose([x, ref, a, b, one]);
    e.dispose();
  });

  it('e4e codes decoded by stylegan2-small (≈8e-7 of the range)', () => {
    const e = fixtureEncoder().freeze();
    const g = fixtureGenerator().freeze();
    const x = fixture('e4e_input.npy') as tf.Tensor4D;
    const w = e.encode(x);
    const img = g.synthesis(w);
    expect(compare(img, fixture('e4e_decoded_img.npy')).rel).toBeLessThanOrEqual(TOL);
    tf.dispose([x, w, img]);
    e.dispose();
    g.dispose();
  });

  it("pSp structure: row 0 is e4e's w0 and e4e rows are w0 + pSp rows", () => {
    const e4e = fixtureEncoder();
    const psp = fixtureEncoder('psp');
    const x = fixture('e4e_input.npy') as tf.Tensor4D;
    const a = e4e.forward(x);
    const b = psp.forward(x);
    const w0 = b.slice([0, 0, 0], [-1, 1, -1]);
    const rebuilt = tf.concat([w0, tf.add(w0, b.slice([0, 1, 0], [-1, -1, -1]))], 1);
    expect(compare(rebuilt, a).maxAbs).toBeLessThan(1e-5);
    tf.dispose([x, a, b, w0, rebuilt]);
    e4e.dispose();
    psp.dispose();
  });
});
