// Child-process probe for runtime.test.ts: starts the runtime from the environment and prints it,
// with the result of a small conv (so a started backend is shown to compute).
import { initRuntime, tf } from '../../src/runtime/index.js';
import { UserError } from '../../src/errors.js';

try {
  const info = await initRuntime();
  const conv = tf.tidy(() => tf.conv2d(tf.ones([1, 4, 4, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 1]) as tf.Tensor4D, 1, 'same').sum().arraySync() as number);
  process.stdout.write(JSON.stringify({ ...info, conv }) + '\n');
} catch (err) {
  if (err instanceof UserError) {
    process.stderr.write(`aueditnet: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
