/**
 * Nuisance: what changes between two photos of the same face with the same expression — small head
 * rotation, framing jitter, lighting and background. Kept apart from identity and AUs so a data set
 * can switch it off and the truth files can report it per frame.
 */
import type { Rng } from '../data/random.js';

export interface Nuisance {
  /** Head yaw in degrees (+ turns the face to the image's right). */
  readonly yaw: number;
  /** In-plane rotation in degrees. */
  readonly roll: number;
  /** Zoom about the frame centre (1 = the aligned crop). */
  readonly scale: number;
  /** Shift in frame widths. */
  readonly shiftX: number;
  readonly shiftY: number;
  /** Direction the key light comes from, degrees in the image plane (0 = from the right, 90 = from above). */
  readonly lightAngle: number;
  /** 0 = flat light, 1 = strong side light. */
  readonly lightStrength: number;
  /** Overall brightness multiplier. */
  readonly exposure: number;
  /** Background hue [0, 1), lightness [0, 1] and top-to-bottom gradient strength. */
  readonly bgHue: number;
  readonly bgLightness: number;
  readonly bgGradient: number;
}

export const NUISANCE_RANGES: Readonly<Record<keyof Nuisance, readonly [number, number]>> = {
  yaw: [-8, 8],
  roll: [-5, 5],
  scale: [0.95, 1.05],
  shiftX: [-0.025, 0.025],
  shiftY: [-0.02, 0.02],
  lightAngle: [0, 360],
  lightStrength: [0, 0.8],
  exposure: [0.85, 1.12],
  bgHue: [0, 1],
  bgLightness: [0.2, 0.9],
  bgGradient: [0, 1],
};

/** Frontal, centred, soft light from the upper left, a mid-grey background. */
export const NEUTRAL_NUISANCE: Nuisance = Object.freeze({
  yaw: 0,
  roll: 0,
  scale: 1,
  shiftX: 0,
  shiftY: 0,
  lightAngle: 120,
  lightStrength: 0.25,
  exposure: 1,
  bgHue: 0.6,
  bgLightness: 0.6,
  bgGradient: 0.3,
});

/** Independent draw of every nuisance factor within NUISANCE_RANGES. */
export function sampleNuisance(rng: Rng): Nuisance {
  const out: Record<string, number> = {};
  for (const [name, [lo, hi]] of Object.entries(NUISANCE_RANGES)) out[name] = rng.uniform(lo, hi);
  return out as unknown as Nuisance;
}

export function asNuisance(value: unknown): Nuisance {
  if (typeof value !== 'object' || value === null) throw new TypeError('nuisance must be an object');
  const rec = value as Record<string, unknown>;
  const out: Record<string, number> = {};
  for (const name of Object.keys(NUISANCE_RANGES)) {
    const v = rec[name];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`nuisance factor ${name} is missing or not a number`);
    out[name] = v;
  }
  return out as unknown as Nuisance;
}
