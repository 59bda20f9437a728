/**
 * Measures of the renderer the issue asks for, shared by tests, the bench and the docs:
 * locality (share of an AU's pixel change inside its region) and the size of the change per
 * intensity (which must grow monotonically). Node-only (renders through canvas-node).
 */
import { auIndex, AU_COUNT, type AuId } from '../data/aus.js';
import { newCanvas, renderRgb } from './canvas-node.js';
import type { Identity } from './identity.js';
import type { Nuisance } from './nuisance.js';
import { drawAuRegion } from './regions.js';

export function auOnly(au: number, intensity: number): Float64Array {
  const v = new Float64Array(AU_COUNT);
  v[auIndex(au)] = intensity;
  return v;
}

/** Region mask (1 inside) of an AU at the given size. */
export function regionMask(identity: Identity, au: AuId, size: number, nuisance: Nuisance | null = null): Uint8Array {
  const { canvas, ctx } = newCanvas(size, size);
  drawAuRegion(ctx, size, identity, au, nuisance);
  const rgba = canvas.data();
  const out = new Uint8Array(size * size);
  for (let p = 0; p < out.length; p++) out[p] = rgba[p * 4]! >= 128 ? 1 : 0;
  return out;
}

/** Sum over pixels of the squared RGB difference (in [0, 1] units). */
export function changeEnergy(a: Uint8Array, b: Uint8Array, mask?: Uint8Array): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) {
    if (mask && !mask[(i / 3) | 0]) continue;
    const d = (a[i]! - b[i]!) / 255;
    e += d * d;
  }
  return e;
}

export interface Locality {
  au: AuId;
  energy: number;
  inside: number;
  share: number;
  /** Fraction of the frame the region covers. */
  regionArea: number;
}

export function locality(identity: Identity, au: AuId, size: number, from = 0, to = 4, nuisance: Nuisance | null = null): Locality {
  const a = renderRgb({ identity, aus: auOnly(au, from), nuisance }, size);
  const b = renderRgb({ identity, aus: auOnly(au, to), nuisance }, size);
  const mask = regionMask(identity, au, size, nuisance);
  const energy = changeEnergy(a, b);
  const inside = changeEnergy(a, b, mask);
  let area = 0;
  for (const v of mask) area += v;
  return { au, energy, inside, share: energy > 0 ? inside / energy : 1, regionArea: area / mask.length };
}

/** Root-mean-square pixel change from intensity 0, at each of the given intensities. */
export function changeCurve(identity: Identity, au: AuId, size: number, intensities: readonly number[], nuisance: Nuisance | null = null): number[] {
  const base = renderRgb({ identity, aus: auOnly(au, 0), nuisance }, size);
  return intensities.map((v) => Math.sqrt(changeEnergy(base, renderRgb({ identity, aus: auOnly(au, v), nuisance }, size)) / base.length));
}
