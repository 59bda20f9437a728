import { describe, expect, it } from 'vitest';
import { scheduledLr, scheduleFlags, scheduleFromOptions } from '../../src/nn/lrSchedule.js';

const err = (m: string) => new Error(m);

describe('scheduleFromOptions', () => {
  it('decays to --steps unless --decay-to says otherwise', () => {
    expect(scheduleFromOptions({}, 1e-3, 100, err)).toBeUndefined();
    expect(scheduleFromOptions({ decayFrom: '50', lrFinal: '1e-4' }, 1e-3, 100, err)).toEqual({ decayFrom: 50, decayTo: 100, lrFinal: 1e-4 });
    expect(scheduleFromOptions({ decayFrom: '50', decayTo: '80', lrFinal: '1e-4' }, 1e-3, 100, err)).toEqual({ decayFrom: 50, decayTo: 80, lrFinal: 1e-4 });
  });

  it('extending a decayed run with --decay-to keeps every step of the first run and holds the final rate after it', () => {
    const first = scheduleFromOptions({ decayFrom: '50', lrFinal: '1e-4' }, 1e-3, 80, err)!;
    const extended = scheduleFromOptions({ decayFrom: '50', decayTo: '80', lrFinal: '1e-4' }, 1e-3, 200, err)!;
    for (let step = 1; step <= 80; step++) expect(scheduledLr(1e-3, extended, step)).toBe(scheduledLr(1e-3, first, step));
    for (const step of [81, 150, 200]) expect(scheduledLr(1e-3, extended, step)).toBe(1e-4);
    // without it the longer run re-spreads the cosine and the rate climbs back above its final value
    const stretched = scheduleFromOptions({ decayFrom: '50', lrFinal: '1e-4' }, 1e-3, 200, err)!;
    expect(scheduledLr(1e-3, stretched, 81)).toBeGreaterThan(8e-4);
  });

  it('refuses inconsistent options by name', () => {
    expect(() => scheduleFromOptions({ decayFrom: '50' }, 1e-3, 100, err)).toThrow('--decay-from and --lr-final go together');
    expect(() => scheduleFromOptions({ decayTo: '80' }, 1e-3, 100, err)).toThrow('--decay-to needs --decay-from');
    expect(() => scheduleFromOptions({ decayFrom: '50', decayTo: '50', lrFinal: '1e-4' }, 1e-3, 100, err)).toThrow('--decay-to 50');
    expect(() => scheduleFromOptions({ decayFrom: '50', decayTo: '101', lrFinal: '1e-4' }, 1e-3, 100, err)).toThrow('--decay-to 101');
    expect(() => scheduleFromOptions({ decayFrom: '50', decayTo: '7.5', lrFinal: '1e-4' }, 1e-3, 100, err)).toThrow('--decay-to 7.5');
    expect(() => scheduleFromOptions({ decayFrom: '100', lrFinal: '1e-4' }, 1e-3, 100, err)).toThrow('--decay-from 100');
    expect(() => scheduleFromOptions({ decayFrom: '50', lrFinal: '1e-2' }, 1e-3, 100, err)).toThrow('--lr-final 1e-2');
  });

  it('scheduleFlags writes the options back, --decay-to only where it differs from --steps', () => {
    expect(scheduleFlags(undefined, 100)).toBe('');
    expect(scheduleFlags({ decayFrom: 50, decayTo: 100, lrFinal: 1e-4 }, 100)).toBe(' --decay-from 50 --lr-final 0.0001');
    expect(scheduleFlags({ decayFrom: 50, decayTo: 80, lrFinal: 1e-4 }, 100)).toBe(' --decay-from 50 --decay-to 80 --lr-final 0.0001');
  });
});
