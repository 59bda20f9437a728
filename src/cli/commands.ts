import type { Command } from 'commander';
import { register as convert } from './convert.js';
import { register as doctor } from './doctor.js';
import { register as estimate } from './estimate.js';
import { register as generate } from './generate.js';
import { register as importCheckpoint } from './import.js';
import { register as inspect } from './inspect.js';
import { register as invert } from './invert.js';
import { register as synth } from './synth.js';
import { register as train } from './train.js';

/** Every command lives in its own file exporting `register(program)`; this list wires them up. */
export function registerCommands(program: Command): void {
  doctor(program);
  inspect(program);
  convert(program);
  importCheckpoint(program);
  generate(program);
  invert(program);
  synth(program);
  train(program);
  estimate(program);
}
