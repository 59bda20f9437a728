/**
 * tfjs model files read from disk, without tfjs-node: a graph model (`model.json` + weight shards)
 * as the ModelArtifacts `tf.loadGraphModel` takes from an IOHandler, and a bare weights manifest
 * (`*-weights_manifest.json` + shards, face-api's format) as specs + one buffer for
 * `tf.io.decodeWeights`. Shards are concatenated in manifest order, as tfjs' own loaders do.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { io } from '@tensorflow/tfjs-core';
import { fileError } from '../errors.js';

interface ManifestGroup {
  paths: string[];
  weights: io.WeightsManifestEntry[];
}

function readJson(file: string, what: string): unknown {
  if (!existsSync(file)) throw fileError(file, `not found (${what})`);
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw fileError(file, `is not valid JSON (${(err as Error).message})`, err);
  }
}

function isGroupList(v: unknown): v is ManifestGroup[] {
  return Array.isArray(v) && v.every((g) => typeof g === 'object' && g !== null && Array.isArray((g as ManifestGroup).paths) && Array.isArray((g as ManifestGroup).weights));
}

/** Reads every shard of a manifest, relative to `dir`, into one buffer. */
function readShards(groups: ManifestGroup[], dir: string, label: string): { specs: io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const specs: io.WeightsManifestEntry[] = [];
  const parts: Buffer[] = [];
  for (const g of groups) {
    specs.push(...g.weights);
    for (const p of g.paths) {
      if (path.isAbsolute(p) || p.split(/[\\/]/).includes('..')) throw fileError(label, `weight shard path '${p}' leaves the model folder`);
      const shard = path.join(dir, p);
      if (!existsSync(shard)) throw fileError(shard, `not found (a weight shard named in ${label})`);
      parts.push(readFileSync(shard));
    }
  }
  const total = parts.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const b of parts) {
    out.set(b, o);
    o += b.byteLength;
  }
  return { specs, data: out.buffer };
}

/** A graph model's model.json and shards as ModelArtifacts. */
export function readGraphModelArtifacts(modelJson: string): io.ModelArtifacts {
  const j = readJson(modelJson, 'a tfjs graph model') as Record<string, unknown>;
  if (typeof j !== 'object' || j === null || typeof j['modelTopology'] !== 'object' || !isGroupList(j['weightsManifest'])) {
    throw fileError(modelJson, 'is not a tfjs graph model (no modelTopology and weightsManifest)');
  }
  const { specs, data } = readShards(j['weightsManifest'], path.dirname(modelJson), modelJson);
  return {
    modelTopology: j['modelTopology'] as object,
    format: j['format'] as string | undefined,
    generatedBy: j['generatedBy'] as string | undefined,
    convertedBy: j['convertedBy'] as string | null | undefined,
    signature: j['signature'] as object | undefined,
    userDefinedMetadata: j['userDefinedMetadata'] as Record<string, object> | undefined,
    modelInitializer: j['modelInitializer'] as object | undefined,
    weightSpecs: specs,
    weightData: data,
  };
}

/** An IOHandler over a graph model on disk, for `tf.loadGraphModel(handler)`. */
export function graphModelFromFiles(modelJson: string): io.IOHandler {
  return { load: async () => readGraphModelArtifacts(modelJson) };
}

/** A bare weights manifest (a JSON list of {paths, weights}) and its shards. */
export function readWeightsManifest(manifestJson: string): { specs: io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const j = readJson(manifestJson, 'a tfjs weights manifest');
  if (!isGroupList(j)) throw fileError(manifestJson, 'is not a tfjs weights manifest (expected a list of {paths, weights})');
  return readShards(j, path.dirname(manifestJson), manifestJson);
}

/**
 * The folder of an installed npm package, looked up from this module and from the working
 * directory (a package installed beside the project, or in the user's own project); null if none.
 */
export function findPackageDir(name: string, fromDirs: readonly string[]): string | null {
  for (const from of fromDirs) {
    try {
      const req = createRequire(path.join(from, 'noop.js'));
      return path.dirname(req.resolve(`${name}/package.json`));
    } catch {
      // not installed there
    }
  }
  return null;
}
