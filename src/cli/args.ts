/** Option parsing the commands share. */
import type { Command } from 'commander';
import { UserError } from '../errors.js';

/** `--name v` as a positive integer, or a one-line error naming the option. */
export function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--${name} ${v}: expected a positive integer`);
  return n;
}

/** `--decay-from` / `--decay-to` / `--lr-final` of every trainer with a late cosine decay (checked by scheduleFromOptions). */
export function addScheduleOptions(command: Command): Command {
  return command
    .option('--decay-from <step>', 'cosine learning-rate decay from this step to --decay-to (with --lr-final)')
    .option('--decay-to <step>', 'step where the decay reaches --lr-final, constant after (default: --steps; set it to extend a decayed run at its final rate)')
    .option('--lr-final <x>', 'learning rate reached at --decay-to (with --decay-from)');
}
