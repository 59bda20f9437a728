/**
 * Where the AUs change a SynthFACS face: a per-pixel map for weighting the pair's pixel losses
 * (`train pair --region-weight K`). A plain pixel MSE spends the pair's capacity on hair, skin and
 * background, and the small AU details (brows, lids, lip corners) are averaged away (the step-3600
 * pair kept H_est ICC 0.02 on its reconstructions; docs/decisions.md).
 *
 * The map is measured, not drawn from the FACS regions of regions.ts (those cover 45 % of the
 * frame): mean over identities × nuisance draws and the 12 AUs of |I(AU = 5) − I(0)| (mean over
 * the channels), smoothed by a 3×3 box so the weight does not end at an edge, square-rooted so the
 * weak AUs (AU5, AU9) are not drowned by the jaw drop, and scaled to a maximum of 1.
 */
import { AU_COUNT } from '../data/aus.js';
import { Rng } from '../data/random.js';
import { renderRgb } from './canvas-node.js';
import { sampleIdentity } from './identity.js';
import { sampleNuisance } from './nuisance.js';

export interface AuRegionMapOptions {
  /** Identities (each with its own nuisance draw) averaged over (default 32). */
  identities?: number;
  /** Intensity of the AU renders compared with the neutral one (default 5). */
  intensity?: number;
  seed?: number;
}

// the map is deterministic and costs 13 renders per identity (0.4 s at 64 px, minutes at 1024), and
// eval-pair asks for it once per report; callers get their own copy of the cached map
const cache = new Map<string, Float32Array>();

/** [size × size] map in [0, 1], row-major. */
export function auRegionMap(size: number, o: AuRegionMapOptions = {}): Float32Array {
  const n = o.identities ?? 32;
  const intensity = o.intensity ?? 5;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`identities must be a positive integer, got ${n}`);
  const seed = o.seed ?? 0x4e61;
  const key = `${size}:${n}:${intensity}:${seed}`;
  let map = cache.get(key);
  if (!map) cache.set(key, (map = computeMap(size, n, intensity, seed)));
  return map.slice();
}

function computeMap(size: number, n: number, intensity: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const acc = new Float64Array(size * size);
  for (let k = 0; k < n; k++) {
    const identity = sampleIdentity(rng.u32());
    const nuisance = sampleNuisance(rng);
    const base = renderRgb({ identity, aus: new Float64Array(AU_COUNT), nuisance }, size);
    for (let i = 0; i < AU_COUNT; i++) {
      const aus = new Float64Array(AU_COUNT);
      aus[i] = intensity;
      const img = renderRgb({ identity, aus, nuisance }, size);
      for (let p = 0; p < size * size; p++) {
        const d = Math.abs(img[3 * p]! - base[3 * p]!) + Math.abs(img[3 * p + 1]! - base[3 * p + 1]!) + Math.abs(img[3 * p + 2]! - base[3 * p + 2]!);
        acc[p]! += d;
      }
    }
  }
  const out = new Float32Array(size * size);
  let max = 0;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      let s = 0, c = 0;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy, xx = x + dx;
          if (yy < 0 || yy >= size || xx < 0 || xx >= size) continue;
          s += acc[yy * size + xx]!;
          c++;
        }
      const v = Math.sqrt(s / c);
      out[y * size + x] = v;
      if (v > max) max = v;
    }
  if (max > 0) for (let p = 0; p < out.length; p++) out[p]! /= max;
  return out;
}

/**
 * Per-pixel loss weights 1 + K·map, scaled to mean 1 so that K changes where the loss looks, not
 * how large it is (the loss weights λ keep their meaning).
 */
export function regionPixelWeights(map: Float32Array, k: number): Float32Array {
  if (!(k >= 0) || !Number.isFinite(k)) throw new RangeError(`region weight must be a finite number ≥ 0, got ${k}`);
  const w = Float32Array.from(map, (v) => 1 + k * v);
  let mean = 0;
  for (const v of w) mean += v;
  mean /= w.length;
  for (let p = 0; p < w.length; p++) w[p]! /= mean;
  return w;
}
