import type { Command } from 'commander';
import { register as convert } from './convert.js';
import { register as demo } from './demo.js';
import { register as doctor } from './doctor.js';
import { register as edit } from './edit.js';
import { register as estimate } from './estimate.js';
import { register as evaluate } from './eval.js';
import { register as evaluatePair } from './eval-pair.js';
import { register as evaluateHest } from './eval-hest.js';
import { register as ensembleHest } from './ensemble-hest.js';
import { register as generate } from './generate.js';
import { register as importCheckpoint } from './import.js';
import { register as inspect } from './inspect.js';
import { register as invert } from './invert.js';
import { register as neutral } from './neutral.js';
import { register as synth } from './synth.js';
import { register as train } from './train.js';
import { register as transfer } from './transfer.js';

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
  evaluate(program);
  evaluatePair(program);
  evaluateHest(program);
  ensembleHest(program);
  edit(program);
  neutral(program);
  transfer(program);
  demo(program);
}
