import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AU_ORDER } from '../../src/data/aus.js';
import { openDisfa, type DisfaDataset } from '../../src/data/disfa.js';
import { formatLabelFile } from '../../src/data/labels.js';
import { FrameSampler } from '../../src/data/samplers.js';
import { UserError } from '../../src/errors.js';
import { tempDir } from './temp.js';

const dir = tempDir();
let data: DisfaDataset;

beforeAll(async () => {
  // 4 subjects × 100 frames; AU12 on in frames 91–100 only
  for (const id of ['SN001', 'SN002', 'SN003', 'SN004']) {
    mkdirSync(join(dir, 'ActionUnit_Labels', id), { recursive: true });
    for (const au of AU_ORDER) writeFileSync(join(dir, 'ActionUnit_Labels', id, `${id}_au${au}.txt`), formatLabelFile(Array.from({ length: 100 }, (_, f) => (au === 12 && f >= 90 ? 2 : 0))));
  }
  data = await openDisfa(dir, { checkFrames: false });
});

describe('frame samplers', () => {
  it('are reproducible from the seed', () => {
    const a = new FrameSampler(data, { seed: 3 });
    const b = new FrameSampler(data, { seed: 3 });
    const c = new FrameSampler(data, { seed: 4 });
    const ta = Array.from({ length: 20 }, () => a.triple());
    expect(Array.from({ length: 20 }, () => b.triple())).toEqual(ta);
    expect(Array.from({ length: 20 }, () => c.triple())).not.toEqual(ta);
  });

  it('draw pairs of two different frames of one subject, and triples with rnd from another subject', () => {
    const s = new FrameSampler(data, { seed: 1 });
    for (let i = 0; i < 500; i++) {
      const p = s.pair();
      expect(p.a.subject).toBe(p.b.subject);
      expect(p.a.frame).not.toBe(p.b.frame);
      const t = s.triple();
      expect(t.src.subject).toBe(t.tar.subject);
      expect(t.rnd.subject).not.toBe(t.src.subject);
      for (const r of [t.src, t.tar, t.rnd]) {
        expect(r.frame).toBeGreaterThanOrEqual(1);
        expect(r.frame).toBeLessThanOrEqual(100);
      }
    }
  });

  it('stay inside the given subjects (a fold\'s training part) and can favour frames with AUs on', () => {
    const train = new FrameSampler(data, { seed: 2, subjects: ['SN001', 'SN002'] });
    for (let i = 0; i < 200; i++) expect(['SN001', 'SN002']).toContain(train.triple().rnd.subject);
    const uniform = new FrameSampler(data, { seed: 2 });
    const active = new FrameSampler(data, { seed: 2, activeShare: 0.5 });
    const share = (s: FrameSampler) => {
      let n = 0;
      for (let i = 0; i < 2000; i++) if (s.frame().frame > 90) n++;
      return n / 2000;
    };
    expect(share(uniform)).toBeLessThan(0.15);
    expect(share(active)).toBeGreaterThan(0.45);
    expect(() => new FrameSampler(data, { seed: 1, subjects: ['SN001'] }).triple()).toThrow(UserError);
    expect(() => new FrameSampler(data, { seed: 1, activeShare: 2 })).toThrow(/activeShare/);
  });
});
