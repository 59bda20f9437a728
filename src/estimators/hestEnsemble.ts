import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileError, UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { sha256File } from '../gan/checkpoint.js';
import { writeSafetensors, type TensorToWrite } from '../io/safetensors.js';
import type { HestConfig } from './hest.js';
import { estimatorFiles, loadEstimator, type EstimatorFileMeta } from './model.js';

export interface HestMemberInfo {
  source: string;
  sha256: string;
  training?: unknown;
  metrics?: unknown;
}

/**
 * A member's training record without the data set's per-subject manifest (40 kB each): the data
 * set is named by its generator, seed, size and frame count, which regenerate it exactly.
 */
function briefTraining(t: unknown): unknown {
  if (!t || typeof t !== 'object') return t;
  const data = (t as { data?: { manifest?: Record<string, unknown> } }).data;
  if (!data?.manifest) return t;
  const { kind, generator, seed, size, frames } = data.manifest;
  return { ...t, data: { ...data, manifest: { kind, generator, seed, size, frames } } };
}

/**
 * Writes `<out>/hest.safetensors` + `hest.json` holding the given single H_est networks as one
 * ensemble whose reading is their mean. Members must share the architecture and input size; an
 * ensemble is not nested (merge its members instead), so the file says exactly which networks
 * vote.
 */
export async function mergeHest(dirs: string[], out: string): Promise<{ members: HestMemberInfo[]; config: HestConfig; size: number }> {
  if (dirs.length < 2) throw new UserError(`an ensemble needs at least 2 members, got ${dirs.length}`);
  const tensors: Record<string, TensorToWrite> = {};
  const members: HestMemberInfo[] = [];
  let first: { config: HestConfig; size: number; dir: string } | null = null;
  for (const [i, dir] of dirs.entries()) {
    const est = loadEstimator(dir, 'hest');
    const config = est.config as HestConfig;
    const { weights, json } = estimatorFiles(dir, 'hest');
    if ((config.members ?? 1) !== 1) throw fileError(json, `is already an ensemble of ${config.members}; merge its members instead`);
    if (!first) first = { config, size: est.size, dir };
    else if (JSON.stringify(config) !== JSON.stringify(first.config) || est.size !== first.size) {
      throw fileError(json, `has architecture ${JSON.stringify(config)} at ${est.size} px, but ${first.dir} has ${JSON.stringify(first.config)} at ${first.size} px; members must match`);
    }
    for (const [k, t] of Object.entries(est.params.toTorch())) tensors[`members.${i}.${k}`] = { dtype: t.dtype, shape: t.shape, data: t.data() };
    est.params.dispose();
    const meta = JSON.parse(readFileSync(json, 'utf8')) as EstimatorFileMeta;
    members.push({ source: dir, sha256: await sha256File(weights), training: briefTraining(meta['training']), metrics: meta['metrics'] });
  }
  const config: HestConfig = { ...first!.config, members: dirs.length };
  await writeSafetensors(path.join(out, 'hest.safetensors'), tensors, { format: 'pt', kind: 'hest' });
  const meta: EstimatorFileMeta = { kind: 'hest', config, size: first!.size, ensemble: { rule: 'mean of the members\' intensities', members } };
  await writeFileAtomic(path.join(out, 'hest.json'), JSON.stringify(meta, null, 2) + '\n');
  return { members, config, size: first!.size };
}
