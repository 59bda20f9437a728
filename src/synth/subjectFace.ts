/**
 * A DISFA-layout subject's face with given AU intensities and no nuisance, as an RgbImage in
 * [0, 1] — the oracle render the demo and the shipped-model tests edit and compare against.
 */
import { AU_COUNT, auIndex } from '../data/aus.js';
import type { RgbImage } from '../io/image.js';
import { renderRgb } from './canvas-node.js';
import { subjectIdentity } from './identity.js';

/** AU intensities keyed by AU number, as `12` or `'AU12'`; AUs not named are 0. */
export function auVector(aus: Partial<Record<string | number, number>>): Float64Array {
  const v = new Float64Array(AU_COUNT);
  for (const [k, x] of Object.entries(aus)) {
    const i = auIndex(Number(k.replace(/^AU/, '')));
    if (i < 0) throw new RangeError(`not one of the 12 AUs: ${k}`);
    v[i] = x!;
  }
  return v;
}

export function subjectFace(subject: string, aus: Partial<Record<string | number, number>>, size: number): RgbImage {
  const rgb = renderRgb({ identity: subjectIdentity(subject), aus: auVector(aus), nuisance: null }, size);
  return { width: size, height: size, data: Float32Array.from(rgb, (v) => v / 255) };
}
