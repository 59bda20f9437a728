import type { Command } from 'commander';
import { register as directions } from './train-directions.js';
import { register as estimators } from './train-estimator.js';
import { register as id } from './train-id.js';
import { register as pair } from './train-pair.js';
import { register as editor } from './train-editor.js';

/** `aueditnet train <what>`: every trainer is a subcommand in a train-*.ts file of its own. */
export function register(program: Command): void {
  const train = program.command('train').description('train the networks of the pipeline (estimators, GAN pair, editor)');
  estimators(train);
  id(train);
  pair(train);
  editor(train);
  directions(train);
}
