/**
 * Constant lr until `decayFrom`, then cosine down to `lrFinal` at step `decayTo`, constant after.
 * A late decay buys what thousands of constant-rate steps would (measured on the pair: +0.9 dB in
 * 200 decayed steps, docs/decisions.md). Kept out of the compared training config, so a run can be
 * extended or re-scheduled on resume.
 */
export interface LrSchedule {
  decayFrom: number;
  decayTo: number;
  lrFinal: number;
}

export function scheduledLr(lr: number, s: LrSchedule | undefined, step: number): number {
  if (!s || step <= s.decayFrom) return lr;
  if (step >= s.decayTo) return s.lrFinal;
  const t = (step - s.decayFrom) / (s.decayTo - s.decayFrom);
  return s.lrFinal + ((lr - s.lrFinal) * (1 + Math.cos(Math.PI * t))) / 2;
}

/**
 * `--decay-from` / `--decay-to` / `--lr-final` of a training command, checked; undefined when none
 * is given. `--decay-to` defaults to --steps; an earlier one lets a decayed run be extended at its
 * final rate (without it, a longer --steps would stretch the cosine and raise the rate again).
 */
export function scheduleFromOptions(
  o: { decayFrom?: string; decayTo?: string; lrFinal?: string },
  lr: number,
  steps: number,
  error: (msg: string) => Error,
): LrSchedule | undefined {
  if ((o.decayFrom === undefined) !== (o.lrFinal === undefined)) throw error('--decay-from and --lr-final go together');
  if (o.decayFrom === undefined) {
    if (o.decayTo !== undefined) throw error('--decay-to needs --decay-from and --lr-final');
    return undefined;
  }
  const decayFrom = Number(o.decayFrom), lrFinal = Number(o.lrFinal);
  if (!Number.isInteger(decayFrom) || decayFrom < 0 || decayFrom >= steps) throw error(`--decay-from ${o.decayFrom}: expected a step in [0, --steps ${steps})`);
  const decayTo = o.decayTo === undefined ? steps : Number(o.decayTo);
  if (!Number.isInteger(decayTo) || decayTo <= decayFrom || decayTo > steps) {
    throw error(`--decay-to ${o.decayTo}: expected a step in (--decay-from ${decayFrom}, --steps ${steps}]`);
  }
  if (!(lrFinal > 0) || lrFinal > lr) throw error(`--lr-final ${o.lrFinal}: expected a positive number no larger than --lr ${lr}`);
  return { decayFrom, decayTo, lrFinal };
}

/** The options that rebuild `s` in a recorded command line (`--decay-to` only where it is not --steps). */
export function scheduleFlags(s: LrSchedule | undefined, steps: number): string {
  if (!s) return '';
  return ` --decay-from ${s.decayFrom}${s.decayTo !== steps ? ` --decay-to ${s.decayTo}` : ''} --lr-final ${s.lrFinal}`;
}
