/**
 * Models built from configs (random reference init), saved to and loaded from our model directory,
 * architectures inferred back from the weights, and e4e's image preprocessing.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inferEncoderConfig, inferGeneratorConfig, readCheckpoint } from '../../src/gan/checkpoint.js';
import { ffhqEncoderConfig, ffhqGeneratorConfig, IR_UNITS, type EncoderConfig, type GeneratorConfig } from '../../src/gan/config.js';
import { Encoder } from '../../src/gan/encoder.js';
import { Generator } from '../../src/gan/generator.js';
import { loadModels, saveEncoder, saveGenerator } from '../../src/gan/modelDir.js';
import { encoderInput, resizeBilinearPil } from '../../src/gan/preprocess.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { initRuntime, tf } from '../../src/runtime/index.js';
import { compare, tempDir } from './helpers.js';

const dir = tempDir();

beforeAll(async () => {
  await initRuntime();
});

const smallG: GeneratorConfig = { size: 32, styleDim: 16, nMlp: 3, lrMlp: 0.01, channels: { '4': 16, '8': 12, '16': 8, '32': 8 }, blurKernel: [1, 3, 3, 1] };
const smallE: EncoderConfig = {
  inputSize: 32,
  mode: 'ir',
  units: [2, 3, 2, 1],
  widths: [4, 8, 12, 16],
  seReduction: 16,
  styleDim: 16,
  blockWidth: 8,
  styleCount: 8,
  coarseInd: 2,
  middleInd: 5,
  structure: 'e4e',
  progressiveStage: 18,
};

describe('reference initialisation', () => {
  it('generator: N(0,1) weights, modulation bias 1, zero biases and noise strengths, mapping weights / lr_mlp', () => {
    const g = new Generator(smallG, { seed: 1 });
    const sd = g.stateDict();
    const stat = (k: string) => {
      const d = sd[k]!.data as Float32Array;
      const mean = d.reduce((a, b) => a + b, 0) / d.length;
      return { mean, std: Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length) };
    };
    expect(Array.from(sd['convs.0.conv.modulation.bias']!.data as Float32Array).every((v) => v === 1)).toBe(true);
    expect(Array.from(sd['convs.0.activate.bias']!.data as Float32Array).every((v) => v === 0)).toBe(true);
    expect(Array.from(sd['convs.0.noise.weight']!.data as Float32Array)).toEqual([0]);
    expect(Array.from(sd['style.1.bias']!.data as Float32Array).every((v) => v === 0)).toBe(true);
    expect(stat('style.1.weight').std).toBeGreaterThan(80); // randn / 0.01
    expect(stat('convs.2.conv.weight').std).toBeCloseTo(1, 0);
    expect(sd['convs.0.conv.blur.kernel']!.data[0]).toBeCloseTo(1 / 16, 7);
    expect(sd['noises.noise_4']!.shape).toEqual([1, 1, 16, 16]);
    // same seed, same model; another seed, another model
    const again = new Generator(smallG, { seed: 1 }).stateDict();
    const other = new Generator(smallG, { seed: 2 }).stateDict();
    expect(Array.from(again['convs.2.conv.weight']!.data as Float32Array)).toEqual(Array.from(sd['convs.2.conv.weight']!.data as Float32Array));
    expect(Array.from(other['convs.2.conv.weight']!.data as Float32Array)).not.toEqual(Array.from(sd['convs.2.conv.weight']!.data as Float32Array));
    g.dispose();
  });

  it('encoder: PyTorch defaults (U(±1/√fan_in) convs, BN 1/0/0/1, PReLU 0.25), int64 num_batches_tracked', () => {
    const e = new Encoder(smallE, { seed: 3 });
    const sd = e.stateDict();
    const w = sd['body.2.res_layer.1.weight']!.data as Float32Array; // [8, 4·?, 3, 3]
    const fanIn = sd['body.2.res_layer.1.weight']!.shape.slice(1).reduce((a, b) => a * b, 1);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(fanIn));
    expect(Array.from(sd['input_layer.1.running_var']!.data as Float32Array).every((v) => v === 1)).toBe(true);
    expect(Array.from(sd['input_layer.2.weight']!.data as Float32Array).every((v) => Math.abs(v - 0.25) < 1e-7)).toBe(true);
    expect(sd['body.0.res_layer.0.num_batches_tracked']!.dtype).toBe('int64');
    expect(sd['styles.0.linear.weight']!.shape).toEqual([16, 8]);
    e.dispose();
  });
});

describe('model directory round trip and architecture inference', () => {
  it('generator: save, infer the config from the weights alone, load, same image', async () => {
    const g = new Generator(smallG, { seed: 4 });
    const mean = g.meanLatent(256);
    g.setLatentAvg(mean);
    mean.dispose();
    await saveGenerator(dir, g);
    expect(inferGeneratorConfig(readCheckpoint(join(dir, 'generator.safetensors')).generator!, 'x')).toEqual(smallG);
    const meta = JSON.parse(readFileSync(join(dir, 'generator.json'), 'utf8'));
    expect(meta.format).toBe('aueditnet-generator');
    expect(meta.config).toEqual(smallG);
    const { generator } = await loadModels(dir, { generator: true });
    const h = generator!.model;
    const w = tf.randomNormal([2, 8, 16], 0, 1, 'float32', 9) as tf.Tensor3D;
    expect(compare(h.synthesis(w), g.synthesis(w)).maxAbs).toBe(0);
    expect(compare(h.latentAvg!, g.latentAvg!).maxAbs).toBe(0);
    expect(compare(h.forward([w], { inputIsLatent: true, truncation: 0.5 }), g.forward([w], { inputIsLatent: true, truncation: 0.5 })).maxAbs).toBe(0);
    h.dispose();
    g.dispose();
  });

  it('encoder: save (IR without SE, narrow style blocks), infer, load, same codes; the JSON beside it is optional', async () => {
    const e = new Encoder(smallE, { seed: 5 });
    const avg = tf.randomNormal([8, 16], 0, 1, 'float32', 6);
    e.setLatentAvg(avg);
    avg.dispose();
    await saveEncoder(dir, e);
    const st = readSafetensors(join(dir, 'encoder.safetensors'));
    expect(st.tensors['latent_avg']!.shape).toEqual([8, 16]);
    expect(inferEncoderConfig(readCheckpoint(join(dir, 'encoder.safetensors')).encoder!, 'x')).toEqual(smallE);
    const x = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
    for (const withJson of [true, false]) {
      if (!withJson) rmSync(join(dir, 'encoder.json'));
      const { encoder } = await loadModels(join(dir, 'encoder.safetensors'), { encoder: true });
      expect(compare(encoder!.model.encode(x), e.encode(x)).maxAbs).toBe(0);
      encoder!.model.dispose();
    }
    expect(existsSync(join(dir, 'encoder.json'))).toBe(false);
    e.dispose();
  });

  it('IR-SE-100 and IR-152 bodies are recognised from their unit counts', () => {
    for (const depth of [100, 152]) {
      const cfg: EncoderConfig = { ...smallE, mode: depth === 100 ? 'ir_se' : 'ir', units: IR_UNITS[depth]!, widths: [4, 8, 12, 16], seReduction: depth === 100 ? 4 : 16 };
      const e = new Encoder(cfg, { init: 'zeros' });
      const sd = e.stateDict();
      expect(inferEncoderConfig({ tensors: sd, prefix: '' }, 'x')).toEqual(cfg);
      e.dispose();
    }
  });

  it('the official configurations: 1024-px config-f generator and IR-SE-50 e4e have the published sizes', () => {
    const g = new Generator(ffhqGeneratorConfig(), { init: 'zeros' });
    expect(g.nLatent).toBe(18);
    expect(g.store.countParams()).toBe(30_370_060);
    g.dispose();
    const e = new Encoder(ffhqEncoderConfig(), { init: 'zeros' });
    expect(e.styleCount).toBe(18);
    expect(e.store.names().filter((n) => n.startsWith('body.')).length).toBeGreaterThan(200);
    e.dispose();
  });
});

describe('e4e preprocessing', () => {
  // Pillow 9.4 Image.resize(BILINEAR) of the 7×5 float image sin(1.3x + 0.7y)
  const src = { width: 7, height: 5, data: new Float32Array(7 * 5 * 3) };
  for (let y = 0; y < 5; y++) for (let x = 0; x < 7; x++) for (let c = 0; c < 3; c++) src.data[(y * 7 + x) * 3 + c] = Math.sin(1.3 * x + 0.7 * y);
  const pil: Record<string, number[]> = {
    '3x2': [0.490313, -0.361349, 0.451333, -0.021151, -0.096021, 0.271373],
    '7x3': [0.276093, 0.940304, 0.226967, -0.818877, -0.665064, 0.463069, 0.912805, 0.882456, 0.382712, -0.677706, -0.745283, 0.278981, 0.894537, 0.199595, 0.561369, -0.577105, -0.870118, 0.111593, 0.92982, 0.385858, -0.723387],
  };

  it.each(Object.keys(pil))('resize to %s matches Pillow BILINEAR (antialiased when shrinking)', (size) => {
    const [w, h] = size.split('x').map(Number) as [number, number];
    const r = resizeBilinearPil(src, w, h);
    const got = Array.from({ length: w * h }, (_, i) => r.data[i * 3]!);
    got.forEach((v, i) => expect(v).toBeCloseTo(pil[size]![i]!, 5));
  });

  it('normalises to (x − 0.5) / 0.5', () => {
    const img = { width: 2, height: 2, data: Float32Array.from([0, 0.5, 1, 0, 0.5, 1, 0, 0.5, 1, 0, 0.5, 1]) };
    expect(Array.from(encoderInput(img, 2))).toEqual([-1, 0, 1, -1, 0, 1, -1, 0, 1, -1, 0, 1]);
  });
});
