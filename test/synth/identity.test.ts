import { describe, expect, it } from 'vitest';
import { auVector } from '../../src/data/aus.js';
import { DISFA_SUBJECTS } from '../../src/data/folds.js';
import { activations } from '../../src/synth/activation.js';
import { renderRgb } from '../../src/synth/canvas-node.js';
import { asIdentity, IDENTITY_FACTORS, sampleIdentity, subjectIdentity } from '../../src/synth/identity.js';
import { asNuisance, NEUTRAL_NUISANCE, NUISANCE_RANGES, sampleNuisance } from '../../src/synth/nuisance.js';
import { buildRig } from '../../src/synth/rig.js';
import { Rng } from '../../src/data/random.js';

describe('identity', () => {
  it('has at least 20 continuous factors, each drawn inside its range, the same for the same seed', () => {
    expect(IDENTITY_FACTORS.length).toBeGreaterThanOrEqual(20);
    for (let seed = 0; seed < 200; seed++) {
      const id = sampleIdentity(seed);
      for (const f of IDENTITY_FACTORS) {
        expect(id[f.name]).toBeGreaterThanOrEqual(f.min);
        expect(id[f.name]).toBeLessThanOrEqual(f.max);
      }
    }
    expect(sampleIdentity(42)).toEqual(sampleIdentity(42));
    expect(sampleIdentity(42)).not.toEqual(sampleIdentity(43));
    expect(subjectIdentity('SN001')).toEqual(subjectIdentity('sn001'));
    expect(asIdentity(JSON.parse(JSON.stringify(sampleIdentity(5))))).toEqual(sampleIdentity(5));
    expect(() => asIdentity({ faceWidth: 0.3 })).toThrow(/jawWidth/);
  });

  it('makes 36 identities visibly distinct at 64 px, and every DISFA subject different from every other', () => {
    const size = 64;
    const imgs = Array.from({ length: 36 }, (_, i) => renderRgb({ identity: sampleIdentity(i + 1), aus: auVector() }, size));
    let minRms = Infinity;
    for (let i = 0; i < imgs.length; i++) {
      for (let j = i + 1; j < imgs.length; j++) {
        let e = 0;
        for (let k = 0; k < imgs[i]!.length; k++) {
          const d = imgs[i]![k]! - imgs[j]![k]!;
          e += d * d;
        }
        minRms = Math.min(minRms, Math.sqrt(e / imgs[i]!.length));
      }
    }
    // the closest pair of the 36 still differs by more than any single AU at intensity 5 (≈ 6–12 levels RMS)
    expect(minRms).toBeGreaterThan(12);
    const keys = new Set(DISFA_SUBJECTS.map((s) => JSON.stringify(subjectIdentity(s))));
    expect(keys.size).toBe(27);
  });

  it('places the neutral face like an FFHQ-aligned crop (the FFHQ crop of its landmarks is the frame)', () => {
    // FFHQ alignment: centre = eye midpoint + 0.1 × eye-to-mouth, side = 2 × max(2 × eye distance, 1.8 × eye-to-mouth)
    for (let seed = 0; seed < 100; seed++) {
      const r = buildRig(sampleIdentity(seed), activations(auVector()));
      const eyes = r.eyes.map((e) => [(e.inner[0] + e.outer[0]) / 2, (e.inner[1] + e.outer[1]) / 2] as const);
      const ex = (eyes[0]![0] + eyes[1]![0]) / 2;
      const ey = (eyes[0]![1] + eyes[1]![1]) / 2;
      const mx = (r.mouth.left[0] + r.mouth.right[0]) / 2;
      const my = (r.mouth.left[1] + r.mouth.right[1]) / 2;
      const e2e = Math.hypot(eyes[1]![0] - eyes[0]![0], eyes[1]![1] - eyes[0]![1]);
      const e2m = Math.hypot(mx - ex, my - ey);
      const side = 2 * Math.max(2 * e2e, 1.8 * e2m);
      expect(Math.abs(ex - 0.5)).toBeLessThan(0.01);
      expect(Math.abs(ey + 0.1 * (my - ey) - 0.5)).toBeLessThan(0.03);
      expect(Math.abs(side - 1)).toBeLessThan(0.09);
      // cheek to cheek about 70 % of the frame, chin near the bottom
      expect(2 * r.faceHalf).toBeGreaterThan(0.62);
      expect(2 * r.faceHalf).toBeLessThan(0.78);
      expect(r.chin[1]).toBeGreaterThan(0.88);
      expect(r.chin[1]).toBeLessThan(0.97);
    }
  });
});

describe('nuisance', () => {
  it('samples inside its ranges, and reads back only complete records', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 100; i++) {
      const n = sampleNuisance(rng);
      for (const [k, [lo, hi]] of Object.entries(NUISANCE_RANGES)) {
        expect(n[k as keyof typeof n]).toBeGreaterThanOrEqual(lo);
        expect(n[k as keyof typeof n]).toBeLessThanOrEqual(hi);
      }
    }
    expect(asNuisance({ ...NEUTRAL_NUISANCE })).toEqual(NEUTRAL_NUISANCE);
    expect(() => asNuisance({ yaw: 1 })).toThrow(/roll/);
  });

  it('changes the picture but not the face: a yawed, lit, shifted render differs from the neutral one', () => {
    const id = sampleIdentity(8);
    const a = renderRgb({ identity: id, aus: auVector() }, 64);
    const b = renderRgb({ identity: id, aus: auVector(), nuisance: { ...NEUTRAL_NUISANCE, yaw: 6, roll: 3, shiftX: 0.02 } }, 64);
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff += Math.abs(a[i]! - b[i]!);
    expect(diff / a.length).toBeGreaterThan(3);
  });
});
