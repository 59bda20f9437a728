// Child-process probe for runtime.test.ts: starts the runtime from the environment and prints it.
import { initRuntime } from '../../src/runtime/index.js';
import { UserError } from '../../src/errors.js';

try {
  const info = await initRuntime();
  process.stdout.write(JSON.stringify(info) + '\n');
} catch (err) {
  if (err instanceof UserError) {
    process.stderr.write(`aueditnet: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
