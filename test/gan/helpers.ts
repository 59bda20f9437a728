/** Shared helpers for the GAN tests: fixture paths, layout conversion, error measures, fixture models. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { inferEncoderConfig, inferGeneratorConfig, readCheckpoint } from '../../src/gan/checkpoint.js';
import { encoderFromCheckpoint, generatorFromCheckpoint } from '../../src/gan/modelDir.js';
import type { Encoder } from '../../src/gan/encoder.js';
import type { Generator } from '../../src/gan/generator.js';
import { readNpy } from '../../src/io/npy.js';
import { loadPairData, type PairData } from '../../src/gan/pairData.js';
import { writePool } from '../../src/synth/pool-writer.js';
import { tf } from '../../src/runtime/index.js';

export const REF = new URL('../fixtures/reference/', import.meta.url).pathname;

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aueditnet-gan-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A fixture array as a tensor; 4-D NCHW arrays come back NHWC. */
export function fixture(name: string): tf.Tensor {
  const t = readNpy(join(REF, name));
  const x = tf.tensor(t.data as Float32Array, t.shape, 'float32');
  if (t.shape.length !== 4) return x;
  const y = x.transpose([0, 2, 3, 1]);
  x.dispose();
  return y;
}

/** max |a − b| and the range (max − min) of the reference b. */
export function compare(a: tf.Tensor, b: tf.Tensor): { maxAbs: number; range: number; rel: number } {
  return tf.tidy(() => {
    const maxAbs = tf.abs(tf.sub(a, b)).max().dataSync()[0]!;
    const range = tf.sub(b.max(), b.min()).dataSync()[0]!;
    return { maxAbs, range, rel: maxAbs / range };
  });
}

export function fixtureGenerator(file = 'stylegan2-small.pt'): Generator {
  const ck = readCheckpoint(join(REF, file));
  return generatorFromCheckpoint(ck, inferGeneratorConfig(ck.generator!, file)).generator;
}

/** The e4e-small encoder; `structure: 'psp'` loads the same weights as pSp's GradualStyleEncoder. */
export function fixtureEncoder(structure: 'e4e' | 'psp' = 'e4e'): Encoder {
  const ck = readCheckpoint(join(REF, 'e4e-small.pt'));
  const opts = Object.fromEntries(Object.entries(ck.values).filter(([k]) => k.startsWith('opts.')).map(([k, v]) => [k.slice(5), v]));
  return encoderFromCheckpoint(ck, { ...inferEncoderConfig(ck.encoder!, 'e4e-small.pt', opts), structure }).encoder;
}

/** A tiny 32-px pool (3 images per identity) for the pair trainer's tests: the last 2 identities are the validation set. */
export async function tinyPairPool(identities: number, seed: number): Promise<{ pool: string; train: PairData; val: PairData }> {
  const pool = tempDir();
  await writePool({ out: pool, size: 32, identities, perIdentity: 3, seed, nuisance: true, workers: 0, force: true });
  return { pool, train: await loadPairData(pool, { from: 0, to: identities - 2 }), val: await loadPairData(pool, { from: identities - 2, to: identities }) };
}
