import type { Command } from 'commander';
import { register as convert } from './convert.js';
import { register as doctor } from './doctor.js';
import { register as estimate } from './estimate.js';
import { register as inspect } from './inspect.js';
import { register as synth } from './synth.js';
import { register as train } from './train.js';

/** Every command lives in its own file exporting `register(program)`; this list wires them up. */
export function registerCommands(program: Command): void {
  doctor(program);
  inspect(program);
  convert(program);
  synth(program);
  train(program);
  estimate(program);
}
