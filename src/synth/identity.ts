/**
 * Identity: the continuous factors that make one SynthFACS person differ from another (DESIGN §5).
 * An identity is a plain record of numbers, so it can be written to manifests and truth files and
 * rendered again later; it is a pure function of a seed.
 */
import { mixSeed, Rng } from '../data/random.js';

export interface FactorSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** 'tri' draws the mean of two uniforms: most people near the middle, a few at the extremes. */
  readonly dist: 'uniform' | 'tri';
  readonly doc: string;
}

// Lengths are in frame widths of the aligned crop (the renderer's unit), so a factor's range reads
// directly as "how much of the picture it moves"; 1/64 ≈ 0.016 is one pixel at 64 px.
export const IDENTITY_FACTORS = [
  { name: 'faceWidth', min: 0.325, max: 0.37, dist: 'tri', doc: 'half width of the face at the cheekbones' },
  { name: 'jawWidth', min: 0.66, max: 0.84, dist: 'tri', doc: 'jaw-angle half width / faceWidth' },
  { name: 'chinWidth', min: 0.18, max: 0.32, dist: 'tri', doc: 'chin half width / faceWidth' },
  { name: 'chinY', min: 0.91, max: 0.95, dist: 'tri', doc: 'height of the chin' },
  { name: 'jawY', min: 0.725, max: 0.785, dist: 'tri', doc: 'height of the jaw angle' },
  { name: 'cheekFullness', min: 0, max: 1, dist: 'uniform', doc: 'roundness of cheeks and jaw' },
  { name: 'hairlineY', min: 0.16, max: 0.23, dist: 'tri', doc: 'height of the hairline' },
  { name: 'skinTone', min: 0, max: 1, dist: 'uniform', doc: 'skin lightness, light to dark' },
  { name: 'skinWarmth', min: -1, max: 1, dist: 'tri', doc: 'skin undertone, cool to warm' },
  { name: 'eyeY', min: 0.45, max: 0.48, dist: 'tri', doc: 'height of the eye line' },
  { name: 'eyeSpacing', min: 0.115, max: 0.135, dist: 'tri', doc: 'half distance between the eye centres' },
  { name: 'eyeWidth', min: 0.1, max: 0.125, dist: 'tri', doc: 'width of the eye opening' },
  { name: 'eyeOpen', min: 0.32, max: 0.44, dist: 'tri', doc: 'eye opening height / width' },
  { name: 'eyeTilt', min: -0.006, max: 0.01, dist: 'tri', doc: 'outer canthus above the inner one' },
  { name: 'irisHue', min: 0, max: 1, dist: 'uniform', doc: 'iris colour: brown, hazel, green, blue, grey' },
  { name: 'irisDark', min: 0, max: 1, dist: 'uniform', doc: 'iris darkness' },
  { name: 'browThickness', min: 0.013, max: 0.026, dist: 'tri', doc: 'brow thickness' },
  { name: 'browArch', min: 0, max: 0.016, dist: 'tri', doc: 'brow arch height' },
  { name: 'browGap', min: 0.056, max: 0.076, dist: 'tri', doc: 'brow height above the eye line' },
  { name: 'browLength', min: 0.88, max: 1.08, dist: 'tri', doc: 'lateral extent of the brows' },
  { name: 'noseY', min: 0.615, max: 0.655, dist: 'tri', doc: 'height of the nose tip (nose length)' },
  { name: 'noseWidth', min: 0.042, max: 0.06, dist: 'tri', doc: 'half width of the nostril wings' },
  { name: 'mouthY', min: 0.73, max: 0.76, dist: 'tri', doc: 'height of the mouth line' },
  { name: 'mouthWidth', min: 0.088, max: 0.116, dist: 'tri', doc: 'half width of the mouth' },
  { name: 'upperLip', min: 0.014, max: 0.024, dist: 'tri', doc: 'upper lip fullness' },
  { name: 'lowerLip', min: 0.019, max: 0.032, dist: 'tri', doc: 'lower lip fullness' },
  { name: 'lipTone', min: 0, max: 1, dist: 'uniform', doc: 'lip redness' },
  { name: 'mouthCurve', min: -0.003, max: 0.003, dist: 'tri', doc: 'resting lip-corner height (+ up)' },
  { name: 'nasolabialDepth', min: 0, max: 1, dist: 'uniform', doc: 'resting depth of the nasolabial folds' },
  { name: 'earSize', min: 0.85, max: 1.15, dist: 'tri', doc: 'ear size' },
  { name: 'hairLength', min: 0, max: 1, dist: 'uniform', doc: 'hair length: cropped to shoulder length' },
  { name: 'hairVolume', min: 0, max: 1, dist: 'uniform', doc: 'hair volume above the skull' },
  { name: 'hairPart', min: -1, max: 1, dist: 'uniform', doc: 'side of the parting and sweep' },
  { name: 'hairFringe', min: 0, max: 1, dist: 'uniform', doc: 'fringe over the forehead (above 0.55)' },
  { name: 'hairLightness', min: 0, max: 1, dist: 'uniform', doc: 'hair colour: black to blond' },
  { name: 'hairRed', min: 0, max: 1, dist: 'uniform', doc: 'red tint of the hair (above 0.7)' },
  { name: 'hairGrey', min: 0, max: 1, dist: 'uniform', doc: 'greying (above 0.8)' },
  { name: 'beard', min: 0, max: 1, dist: 'uniform', doc: 'beard density (present above 0.78)' },
  { name: 'glasses', min: 0, max: 1, dist: 'uniform', doc: 'glasses (present above 0.82)' },
  { name: 'glassesShape', min: 0, max: 1, dist: 'uniform', doc: 'glasses frame: round to rectangular, colour' },
  { name: 'clothHue', min: 0, max: 1, dist: 'uniform', doc: 'clothing hue' },
  { name: 'clothLightness', min: 0, max: 1, dist: 'uniform', doc: 'clothing lightness' },
  { name: 'texture', min: 0, max: 1, dist: 'uniform', doc: 'seed of small per-person details (freckle and hair-strand placement)' },
] as const satisfies readonly FactorSpec[];

export type IdentityFactor = (typeof IDENTITY_FACTORS)[number]['name'];
export type Identity = Readonly<Record<IdentityFactor, number>>;

/** A fixed person from a seed; every seed in [0, 2^32) is a valid, distinct identity. */
export function sampleIdentity(seed: number): Identity {
  const rng = new Rng(mixSeed('synthfacs-identity', seed));
  const out: Record<string, number> = {};
  for (const f of IDENTITY_FACTORS) {
    const u = f.dist === 'tri' ? (rng.next() + rng.next()) / 2 : rng.next();
    out[f.name] = f.min + (f.max - f.min) * u;
  }
  return out as Identity;
}

/** The fixed identity of a DISFA subject id such as "SN001": derived from the id alone. */
export function subjectIdentity(subject: string): Identity {
  return sampleIdentity(subjectSeed(subject));
}

export function subjectSeed(subject: string): number {
  return mixSeed('disfa-subject', subject.toUpperCase());
}

/** Checks a record read back from a file, so a truncated truth file cannot render a broken face. */
export function asIdentity(value: unknown): Identity {
  if (typeof value !== 'object' || value === null) throw new TypeError('identity must be an object');
  const rec = value as Record<string, unknown>;
  const out: Record<string, number> = {};
  for (const f of IDENTITY_FACTORS) {
    const v = rec[f.name];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`identity factor ${f.name} is missing or not a number`);
    out[f.name] = v;
  }
  return out as Identity;
}
