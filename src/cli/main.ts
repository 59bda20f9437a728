import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { registerCommands } from './commands.js';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('aueditnet')
    .description('Edit facial action unit intensities in the W+ space of a StyleGAN2 generator (AUEditNet, CVPR 2024)')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  return program;
}

/**
 * Runs the CLI and returns the exit code. User mistakes (UserError, bad flags) print one line and
 * give 2; anything else is a bug and keeps its stack trace so it can be reported.
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit through here with code 0; commander already printed the message
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UserError) {
      process.stderr.write(`aueditnet: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
