import { tf } from './tf.js';

/**
 * Runs f in a tensor scope and disposes every tensor it made. Unlike tf.tidy, f may return plain
 * values (images as typed arrays, records of numbers).
 */
export function scoped<T>(f: () => T): T {
  tf.engine().startScope();
  try {
    return f();
  } finally {
    tf.engine().endScope();
  }
}
