/**
 * The SynthFACS pair is trained with the render parameters known: each face's identity factors,
 * AU intensities and nuisance become the leading entries of the generator's z, the rest of z is
 * N(0, 1) noise the generator learns to ignore. The mapping network then learns a smooth map from
 * the world's factors to W, so W is organised the way a face world is (an AU is a direction,
 * identities are neighbourhoods), which is what the editor needs of a StyleGAN W+; and a random
 * z ~ N(0, I) still draws a plausible face, as with any StyleGAN.
 *
 * Every entry is scaled to zero mean and unit variance under the factor's own sampling
 * distribution, so the code's entries look like the noise entries around them.
 */
import { AU_COUNT } from '../data/aus.js';
import { IDENTITY_FACTORS, type Identity } from '../synth/identity.js';
import { NEUTRAL_NUISANCE, NUISANCE_RANGES, type Nuisance } from '../synth/nuisance.js';

/** Nuisance factors that are angles (hue is a turn): encoded as (cos, sin) so 0 and 360 meet. */
const CIRCULAR: Partial<Record<keyof Nuisance, number>> = { lightAngle: 360, bgHue: 1 };
const NUISANCE_KEYS = Object.keys(NUISANCE_RANGES) as (keyof Nuisance)[];

// pool AUs: 0 in about two thirds of the draws, otherwise spread over 0.3–5
const AU_MEAN = 0.8;
const AU_SD = 1.3;

export const SYNTH_CODE_DIM = IDENTITY_FACTORS.length + AU_COUNT + NUISANCE_KEYS.reduce((n, k) => n + (CIRCULAR[k] ? 2 : 1), 0);

/** The standardised code of one rendered face (nuisance null = the neutral framing and light). */
export function synthCode(identity: Identity, aus: ArrayLike<number>, nuisance: Nuisance | null): Float32Array {
  if (aus.length !== AU_COUNT) throw new RangeError(`expected ${AU_COUNT} AU intensities, got ${aus.length}`);
  const out = new Float32Array(SYNTH_CODE_DIM);
  let k = 0;
  for (const f of IDENTITY_FACTORS) {
    const v = identity[f.name as keyof Identity];
    const unit = (2 * (v - f.min)) / (f.max - f.min) - 1;
    // a uniform on [-1, 1] has variance 1/3; the mean of two uniforms, 1/6
    out[k++] = unit * (f.dist === 'uniform' ? Math.sqrt(3) : Math.sqrt(6));
  }
  for (let i = 0; i < AU_COUNT; i++) out[k++] = (aus[i]! - AU_MEAN) / AU_SD;
  const n = nuisance ?? NEUTRAL_NUISANCE;
  for (const key of NUISANCE_KEYS) {
    const period = CIRCULAR[key];
    if (period) {
      const a = (2 * Math.PI * n[key]) / period;
      out[k++] = Math.cos(a) * Math.SQRT2;
      out[k++] = Math.sin(a) * Math.SQRT2;
    } else {
      const [lo, hi] = NUISANCE_RANGES[key];
      out[k++] = ((2 * (n[key] - lo)) / (hi - lo) - 1) * Math.sqrt(3);
    }
  }
  return out;
}

/** Index of AU i's entry in the code (for moving one AU in z). */
export function auCodeIndex(i: number): number {
  return IDENTITY_FACTORS.length + i;
}

/** Code units per AU intensity unit. */
export const AU_CODE_SCALE = 1 / AU_SD;
