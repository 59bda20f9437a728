/** Option parsing the commands share. */
import { UserError } from '../errors.js';

/** `--name v` as a positive integer, or a one-line error naming the option. */
export function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--${name} ${v}: expected a positive integer`);
  return n;
}
