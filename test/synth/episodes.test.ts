import { describe, expect, it } from 'vitest';
import { AU_COUNT, AU_ORDER, auIndex } from '../../src/data/aus.js';
import { DISFA_SUBJECTS } from '../../src/data/folds.js';
import { auSequence, independentAuSequence, labelOf } from '../../src/synth/episodes.js';
import { nuisanceTrack } from '../../src/synth/nuisance-track.js';

const FRAMES = 600;
const seqs = DISFA_SUBJECTS.map((s) => auSequence(s, FRAMES, 0));

function rate(pred: (f: number[]) => boolean): number {
  let n = 0;
  let total = 0;
  for (const seq of seqs) {
    for (let f = 0; f < FRAMES; f++) {
      total++;
      if (pred(Array.from(seq.subarray(f * AU_COUNT, (f + 1) * AU_COUNT), labelOf))) n++;
    }
  }
  return n / total;
}
const on = (au: number) => (l: number[]) => l[auIndex(au)]! >= 1;
const both = (a: number, b: number) => (l: number[]) => on(a)(l) && on(b)(l);

describe('DISFA-like AU episodes', () => {
  it('is a pure function of subject, length and seed, with truth in [0, 5] rounded to 1e-4', () => {
    expect(auSequence('SN003', 300, 5)).toEqual(auSequence('SN003', 300, 5));
    expect(auSequence('SN003', 300, 5)).not.toEqual(auSequence('SN003', 300, 6));
    let bad = 0;
    for (const seq of seqs) for (const v of seq) if (!(v >= 0 && v <= 5) || Math.abs(v * 1e4 - Math.round(v * 1e4)) > 1e-6) bad++;
    expect(bad).toBe(0);
    expect([0, 0.49, 0.5, 1.2, 4.6, 5, 7, -1].map(labelOf)).toEqual([0, 0, 1, 1, 5, 5, 5, 0]);
  });

  it('leaves most frames of every AU at 0, with DISFA-like base rates', () => {
    for (const au of AU_ORDER) expect(rate(on(au)), `AU${au}`).toBeLessThan(0.5);
    // the frequent DISFA AUs are frequent, the rare ones rare (see docs/synthfacs.md)
    expect(rate(on(25))).toBeGreaterThan(0.2);
    expect(rate(on(12))).toBeGreaterThan(0.1);
    expect(rate(on(4))).toBeGreaterThan(0.07);
    for (const rare of [5, 9, 15, 20]) expect(rate(on(rare)), `AU${rare}`).toBeLessThan(0.07);
    const neutral = rate((l) => l.every((v) => v === 0));
    expect(neutral).toBeGreaterThan(0.25);
    expect(neutral).toBeLessThan(0.55);
  });

  it('has the co-occurrences of spontaneous expressions: 1+2, 6+12, 25+26, 15+17, and 4 often alone', () => {
    const cond = (a: number, b: number) => rate(both(a, b)) / rate(on(b));
    expect(cond(1, 2)).toBeGreaterThan(0.7); // outer brow raises come with the inner brow
    expect(cond(12, 6)).toBeGreaterThan(0.7); // cheek raise is a smile's
    expect(cond(25, 26)).toBeGreaterThan(0.7); // jaw drop parts the lips
    expect(cond(17, 15)).toBeGreaterThan(0.4);
    const alone4 = rate((l) => on(4)(l) && l.every((v, i) => i === auIndex(4) || v === 0)) / rate(on(4));
    expect(alone4).toBeGreaterThan(0.3);
    // and no AU is tied to every other: smiles without lips apart exist
    expect(cond(25, 12)).toBeLessThan(0.9);
  });

  it('rises and falls smoothly (onset – apex – offset): never more than 2.5 levels from one frame to the next', () => {
    for (const seq of seqs.slice(0, 5)) {
      let maxJump = 0;
      for (let i = 0; i < AU_COUNT; i++) {
        for (let f = 1; f < FRAMES; f++) maxJump = Math.max(maxJump, Math.abs(seq[f * AU_COUNT + i]! - seq[(f - 1) * AU_COUNT + i]!));
      }
      expect(maxJump).toBeLessThan(2.5);
    }
  });

  it('moves the head smoothly within a fixed room, or not at all without nuisance', () => {
    const track = nuisanceTrack('SN010', 200, 1, true);
    for (let f = 1; f < track.length; f++) {
      expect(Math.abs(track[f]!.yaw - track[f - 1]!.yaw)).toBeLessThan(1);
      expect(track[f]!.bgHue).toBe(track[0]!.bgHue);
      expect(track[f]!.lightAngle).toBe(track[0]!.lightAngle);
    }
    expect(new Set(track.map((n) => n.yaw)).size).toBeGreaterThan(100);
    expect(new Set(nuisanceTrack('SN010', 50, 1, false).map((n) => JSON.stringify(n))).size).toBe(1);
  });
});

describe('independent AU episodes (posed-style frames)', () => {
  const N = 2400;
  const ind = DISFA_SUBJECTS.slice(0, 6).map((s) => independentAuSequence(s, N, 0));
  const at = (seq: Float64Array, f: number, i: number) => seq[f * AU_COUNT + i]!;

  it('is a pure function of subject, length and seed, with truth in [0, 5]', () => {
    expect(independentAuSequence('SN003', 300, 5)).toEqual(independentAuSequence('SN003', 300, 5));
    expect(independentAuSequence('SN003', 300, 5)).not.toEqual(independentAuSequence('SN003', 300, 6));
    for (const seq of ind) for (const v of seq) expect(v >= 0 && v <= 5).toBe(true);
  });

  it('makes every AU active in about a third of the frames, with high intensities common', () => {
    for (let i = 0; i < AU_COUNT; i++) {
      let on = 0, high = 0;
      for (const seq of ind) for (let f = 0; f < N; f++) {
        const l = labelOf(at(seq, f, i));
        if (l >= 1) on++;
        if (l >= 3) high++;
      }
      expect(on / (N * ind.length), `AU${AU_ORDER[i]}`).toBeGreaterThan(0.25);
      expect(on / (N * ind.length), `AU${AU_ORDER[i]}`).toBeLessThan(0.55);
      expect(high / (N * ind.length), `AU${AU_ORDER[i]}`).toBeGreaterThan(0.1);
    }
  });

  it('moves AUs independently: AU6 and AU12 (and AU1 and AU2) are uncorrelated, unlike in the DISFA-like episodes', () => {
    const corr = (seqs: Float64Array[], frames: number, a: number, b: number) => {
      const xs: number[] = [], ys: number[] = [];
      for (const seq of seqs) for (let f = 0; f < frames; f++) {
        xs.push(at(seq, f, auIndex(a)));
        ys.push(at(seq, f, auIndex(b)));
      }
      const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
      const mx = mean(xs), my = mean(ys);
      let sxy = 0, sxx = 0, syy = 0;
      xs.forEach((x, k) => {
        sxy += (x - mx) * (ys[k]! - my);
        sxx += (x - mx) ** 2;
        syy += (ys[k]! - my) ** 2;
      });
      return sxy / Math.sqrt(sxx * syy);
    };
    expect(Math.abs(corr(ind, N, 6, 12))).toBeLessThan(0.1);
    expect(Math.abs(corr(ind, N, 1, 2))).toBeLessThan(0.1);
    expect(corr(seqs, FRAMES, 6, 12)).toBeGreaterThan(0.4);
  });
});
