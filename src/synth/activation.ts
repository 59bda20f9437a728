/**
 * AU intensity (the label scale, 0–5, floats allowed) → activation, the fraction of each AU's full
 * movement the rig applies. Linear inside the label range so that the labels, which are rounded
 * truth values, stay evenly spaced in appearance; beyond 5 the movement keeps growing a little and
 * saturates, so out-of-range edits render sensibly instead of tearing the face.
 */
import { AU_COUNT, AU_ORDER, type AuVector } from '../data/aus.js';

/** Activation of one AU. Negative intensities are no movement, except AU5 (the lids close a little). */
export function activation(au: number, intensity: number): number {
  const a = Number.isFinite(intensity) ? intensity : 0;
  if (a <= 0) return au === 5 ? -0.6 * (1 - Math.exp(a / 2.5)) : 0;
  if (a <= 5) return a / 5;
  return 1 + 0.25 * (1 - Math.exp(-(a - 5) / 1.5));
}

/** Activations keyed by AU number, the form the rig reads. */
export type Activations = Readonly<Record<(typeof AU_ORDER)[number], number>>;

export function activations(aus: AuVector): Activations {
  if (aus.length !== AU_COUNT) throw new RangeError(`expected ${AU_COUNT} AU intensities in the order ${AU_ORDER.join(' ')}, got ${aus.length}`);
  const out: Record<number, number> = {};
  for (let i = 0; i < AU_COUNT; i++) out[AU_ORDER[i]!] = activation(AU_ORDER[i]!, aus[i]!);
  return out as Activations;
}
