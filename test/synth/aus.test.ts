import { describe, expect, it } from 'vitest';
import { AU_ORDER, auVector, type AuId } from '../../src/data/aus.js';
import { activation } from '../../src/synth/activation.js';
import { renderRgb } from '../../src/synth/canvas-node.js';
import { sampleIdentity, subjectIdentity } from '../../src/synth/identity.js';
import { auOnly, changeCurve, changeEnergy, locality, regionMask } from '../../src/synth/measures.js';
import { buildRig } from '../../src/synth/rig.js';
import { activations } from '../../src/synth/activation.js';

// identities chosen to cover glasses, a beard, long hair and a fringe among them
const IDS = [sampleIdentity(1), sampleIdentity(3), subjectIdentity('SN023'), sampleIdentity(26)];

describe('AU locality', () => {
  it.each(AU_ORDER.map((au) => [au]))('AU%i: ≥ 80 %% of the pixel change (0 → 4) lies in its FACS region', (au) => {
    for (const id of IDS) {
      const l = locality(id, au as AuId, 128);
      expect(l.energy).toBeGreaterThan(0);
      expect(l.share).toBeGreaterThanOrEqual(0.8);
      // the region is a part of the face, not the whole frame
      expect(l.regionArea).toBeLessThan(0.25);
    }
  });
});

describe('AU intensity', () => {
  it.each(AU_ORDER.map((au) => [au]))('AU%i: the pixel change grows with every intensity step 1 … 5', (au) => {
    for (const id of IDS) {
      const curve = changeCurve(id, au as AuId, 128, [1, 2, 3, 4, 5]);
      for (let i = 1; i < curve.length; i++) expect(curve[i]!, `identity ${IDS.indexOf(id)}, step ${i + 1}`).toBeGreaterThan(curve[i - 1]!);
    }
  });

  it('every AU is visible at 64 px from intensity 3 inside its region, and subtle AUs stay smaller than large ones', () => {
    const size = 64;
    const rms: Record<number, number> = {};
    for (const au of AU_ORDER) {
      let sum = 0;
      for (const id of IDS) {
        const a = renderRgb({ identity: id, aus: auOnly(au, 0) }, size);
        const b = renderRgb({ identity: id, aus: auOnly(au, 3) }, size);
        const mask = regionMask(id, au, size);
        let maxDiff = 0;
        for (let p = 0; p < size * size; p++) {
          if (!mask[p]) continue;
          for (let c = 0; c < 3; c++) maxDiff = Math.max(maxDiff, Math.abs(a[p * 3 + c]! - b[p * 3 + c]!));
        }
        // a change of ≥ 20 grey levels (of 255) in the region: faint for the subtle AUs, but visible
        expect(maxDiff, `AU${au}`).toBeGreaterThanOrEqual(20);
        sum += Math.sqrt(changeEnergy(a, b) / a.length);
      }
      rms[au] = sum / IDS.length;
    }
    // FACS: lip-corner depressor and stretcher are slight movements, jaw drop and lips part are large
    expect(rms[15]!).toBeLessThan(rms[26]!);
    expect(rms[20]!).toBeLessThan(rms[25]!);
  });

  it('renders values between integers between their neighbours', () => {
    const id = IDS[0]!;
    const base = renderRgb({ identity: id, aus: auOnly(12, 0) }, 64);
    const d = (v: number) => changeEnergy(base, renderRgb({ identity: id, aus: auOnly(12, v) }, 64));
    expect(d(2.5)).toBeGreaterThan(d(2));
    expect(d(2.5)).toBeLessThan(d(3));
  });

  it('keeps out-of-range intensities sensible: above 5 grows a little and saturates, below 0 is 0 except AU5', () => {
    expect(activation(12, 5)).toBe(1);
    expect(activation(12, 6)).toBeGreaterThan(1);
    expect(activation(12, 6)).toBeLessThan(1.15);
    expect(activation(12, 100)).toBeLessThanOrEqual(1.25);
    expect(activation(12, -2)).toBe(0);
    expect(activation(12, Number.NaN)).toBe(0);
    expect(activation(5, -1)).toBeLessThan(0);
    expect(activation(5, -100)).toBeGreaterThanOrEqual(-0.6);
    // AU5 below 0 lowers the upper lid a little: the eye opening shrinks but stays open
    const open = (v: number) => {
      const e = buildRig(IDS[0]!, activations(auOnly(5, v))).eyes[0];
      return e.upper + e.lower;
    };
    expect(open(-2)).toBeLessThan(open(0));
    expect(open(-50)).toBeGreaterThan(0.4 * open(0));
    expect(open(3)).toBeGreaterThan(open(0));
    // and extreme inputs still draw a face
    const rgb = renderRgb({ identity: IDS[1]!, aus: auVector(Object.fromEntries(AU_ORDER.map((au) => [au, 9]))) }, 64);
    expect(rgb.length).toBe(64 * 64 * 3);
  });

  it('the rig moves each AU\'s landmarks the FACS way', () => {
    const id = IDS[0]!;
    const rig = (aus: Record<number, number>) => buildRig(id, activations(auVector(aus)));
    const n = rig({});
    expect(rig({ 1: 4 }).brows[0].inner[1]).toBeLessThan(n.brows[0].inner[1] - 0.02);
    expect(Math.abs(rig({ 1: 4 }).brows[0].outer[1] - n.brows[0].outer[1])).toBeLessThan(0.005);
    expect(rig({ 2: 4 }).brows[1].outer[1]).toBeLessThan(n.brows[1].outer[1] - 0.02);
    const b4 = rig({ 4: 4 }).brows[1];
    expect(b4.inner[1]).toBeGreaterThan(n.brows[1].inner[1] + 0.015);
    expect(b4.inner[0]).toBeLessThan(n.brows[1].inner[0]);
    expect(rig({ 6: 4 }).eyes[0].lower).toBeLessThan(n.eyes[0].lower);
    expect(rig({ 6: 4 }).cheeks[0][1]).toBeLessThan(n.cheeks[0][1]);
    expect(rig({ 9: 4 }).nose.alaY).toBeLessThan(n.nose.alaY);
    const m12 = rig({ 12: 4 }).mouth;
    expect(m12.right[1]).toBeLessThan(n.mouth.right[1] - 0.02);
    expect(m12.right[0]).toBeGreaterThan(n.mouth.right[0] + 0.015);
    expect(rig({ 15: 4 }).mouth.right[1]).toBeGreaterThan(n.mouth.right[1] + 0.01);
    expect(rig({ 17: 4 }).mouth.lowerBottom).toBeLessThan(n.mouth.lowerBottom);
    expect(rig({ 20: 4 }).mouth.right[0]).toBeGreaterThan(n.mouth.right[0] + 0.02);
    expect(rig({ 25: 4 }).aperture).toBeGreaterThan(0.02);
    expect(n.aperture).toBe(0);
    expect(rig({ 26: 4 }).chin[1]).toBeGreaterThan(n.chin[1] + 0.03);
    expect(rig({ 26: 4 }).aperture).toBe(0);
    expect(rig({ 25: 4, 26: 4 }).aperture).toBeGreaterThan(rig({ 25: 4 }).aperture + 0.03);
  });
});
