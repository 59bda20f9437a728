import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import { Params } from '../nn/params.js';
import { tf } from '../runtime/tf.js';
import { arcConfigFor } from './idTraining.js';
import { FPRE_DEFAULT, fpreForward, type FpreConfig } from './fpre.js';
import { HEST_DEFAULT, hestForward, type HestConfig } from './hest.js';
import { FID_DEFAULT, IDMETRIC_DEFAULT, idForward, type IdNetConfig } from './idnet.js';

/** The four estimator networks of DESIGN.md §4, by the file name they are shipped under. */
export type EstimatorKind = 'fpre' | 'hest' | 'fid' | 'idmetric';
export const ESTIMATOR_KINDS: readonly EstimatorKind[] = ['fpre', 'hest', 'fid', 'idmetric'];

export type EstimatorConfig = FpreConfig | HestConfig | IdNetConfig;

export interface Estimator {
  kind: EstimatorKind;
  config: EstimatorConfig;
  size: number;
  params: Params;
}

export function defaultConfig(kind: EstimatorKind): EstimatorConfig {
  return { fpre: FPRE_DEFAULT, hest: HEST_DEFAULT, fid: FID_DEFAULT, idmetric: IDMETRIC_DEFAULT }[kind];
}

/** Runs one forward pass on a dummy batch so every parameter exists (Params creates on first use). */
export function buildEstimator(kind: EstimatorKind, config: EstimatorConfig, size: number, seed: number, classes?: number): Estimator {
  const params = new Params(seed);
  tf.tidy(() => {
    const x = tf.zeros([2, size, size, 3]) as tf.Tensor4D;
    if (kind === 'fpre') fpreForward(params, config as FpreConfig, x, x, false);
    else if (kind === 'hest') hestForward(params, config as HestConfig, x, false);
    else {
      const e = idForward(params, config as IdNetConfig, x, false);
      if (classes) arcConfigFor(kind, classes).lossOn(params, e, tf.tensor1d([0, 0], 'int32'));
    }
  });
  return { kind, config, size, params };
}

export interface EstimatorFileMeta {
  kind: EstimatorKind;
  config: EstimatorConfig;
  size: number;
  [key: string]: unknown;
}

/** `<dir>/<kind>.safetensors` + `<dir>/<kind>.json`; the ArcFace class centres are not shipped. */
export async function saveEstimator(dir: string, est: Estimator, meta: Record<string, unknown>): Promise<void> {
  const tensors = Object.fromEntries(Object.entries(est.params.toTorch()).filter(([k]) => !k.startsWith('margin.')));
  await writeSafetensors(path.join(dir, `${est.kind}.safetensors`), tensors, { format: 'pt', kind: est.kind });
  const json: EstimatorFileMeta = { kind: est.kind, config: est.config, size: est.size, ...meta };
  await writeFileAtomic(path.join(dir, `${est.kind}.json`), JSON.stringify(json, null, 2) + '\n');
}

export function estimatorFiles(dirOrFile: string, kind: EstimatorKind): { weights: string; json: string } {
  const base = dirOrFile.endsWith('.safetensors') ? dirOrFile.slice(0, -'.safetensors'.length) : path.join(dirOrFile, kind);
  return { weights: `${base}.safetensors`, json: `${base}.json` };
}

export function loadEstimator(dirOrFile: string, kind: EstimatorKind): Estimator {
  const { weights, json } = estimatorFiles(dirOrFile, kind);
  let meta: EstimatorFileMeta;
  try {
    meta = JSON.parse(readFileSync(json, 'utf8')) as EstimatorFileMeta;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fileError(json, code === 'ENOENT' ? 'no such file' : `not a valid estimator config (${(err as Error).message})`);
  }
  if (meta.kind !== kind) throw fileError(json, `holds a '${meta.kind}' network, expected '${kind}'`);
  const est = buildEstimator(kind, meta.config, meta.size, 0);
  est.params.loadTorch(weights, readSafetensors(weights).tensors);
  return est;
}
