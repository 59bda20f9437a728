import { describe, expect, it } from 'vitest';
import { AU_NAMES, AU_ORDER, auIndex, auVector } from '../../src/data/aus.js';
import { DISFA_PARTS, DISFA_SUBJECTS, disfaFold, parseSubjects } from '../../src/data/folds.js';
import { hashString, mixSeed, Rng } from '../../src/data/random.js';
import { UserError } from '../../src/errors.js';

describe('AU order', () => {
  it('is DISFA\'s 12 AUs in the project order, with names', () => {
    expect([...AU_ORDER]).toEqual([1, 2, 4, 5, 6, 9, 12, 15, 17, 20, 25, 26]);
    expect(auIndex(12)).toBe(6);
    expect(auIndex(7)).toBe(-1);
    expect(Object.keys(AU_NAMES).map(Number).sort((a, b) => a - b)).toEqual([...AU_ORDER]);
    expect(Array.from(auVector({ 12: 3, 6: 2 }))).toEqual([0, 0, 0, 0, 2, 0, 3, 0, 0, 0, 0, 0]);
    expect(() => auVector({ 7: 1 })).toThrow(/AU 7/);
  });
});

describe('DISFA folds', () => {
  it('lists the 27 subjects: SN001–SN032 without 14, 15, 19, 20, 22', () => {
    expect(DISFA_SUBJECTS).toHaveLength(27);
    for (const missing of ['SN014', 'SN015', 'SN019', 'SN020', 'SN022']) expect(DISFA_SUBJECTS).not.toContain(missing);
    expect(DISFA_SUBJECTS[0]).toBe('SN001');
    expect(DISFA_SUBJECTS[26]).toBe('SN032');
  });

  it('splits into three disjoint parts of 9; each fold trains on 18 and tests on 9', () => {
    const all = DISFA_PARTS.flat();
    expect(new Set(all).size).toBe(27);
    for (const k of [1, 2, 3]) {
      const { train, test } = disfaFold(k);
      expect(train).toHaveLength(18);
      expect(test).toHaveLength(9);
      expect(train.filter((s) => test.includes(s))).toEqual([]);
    }
    expect(disfaFold(1).test).toEqual(['SN002', 'SN010', 'SN001', 'SN026', 'SN027', 'SN032', 'SN030', 'SN009', 'SN016']);
    expect(() => disfaFold(4)).toThrow(UserError);
  });

  it('parses subject lists the way users type them', () => {
    expect(parseSubjects('all')).toHaveLength(27);
    expect(parseSubjects('SN001, sn2,3,SN001')).toEqual(['SN001', 'SN002', 'SN003']);
    expect(() => parseSubjects('SN014')).toThrow(/unknown subject "SN014".*SN014/);
    expect(() => parseSubjects('bob')).toThrow(UserError);
  });
});

describe('seeded randomness', () => {
  it('repeats exactly for a seed, differs between seeds, and is roughly uniform', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(new Rng(8).next()).not.toBe(xs[0]);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(hashString('SN001')).not.toBe(hashString('SN002'));
    expect(mixSeed(1, 'a')).toBe(mixSeed(1, 'a'));
    expect(mixSeed(1, 'a')).not.toBe(mixSeed(1, 'b'));
    const counts = [0, 0, 0];
    const r = new Rng(1);
    for (let i = 0; i < 3000; i++) counts[r.weighted([1, 2, 0])]!++;
    expect(counts[2]).toBe(0);
    expect(counts[1]! / counts[0]!).toBeGreaterThan(1.7);
  });
});
