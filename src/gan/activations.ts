/**
 * Leaky ReLU in the form that is fast on tfjs-wasm. The engine's LeakyRelu and Maximum kernels run
 * at ~15 ns per element; Prelu with one slope per channel runs at the speed of an add (~0.7 ns),
 * 20× faster on the 1024² × 32 maps of a 1024-px generator. The gradient is written out with
 * `step`, because Prelu's built-in gradient goes through the equally slow `where`.
 */
import { tf } from '../runtime/tf.js';

const slopeCache = new Map<string, tf.Tensor1D>();

/** A kept [channels] vector of α: small, and made once instead of one Fill op per call. */
function slopes(alpha: number, channels: number): tf.Tensor1D {
  const key = `${alpha}/${channels}`;
  let t = slopeCache.get(key);
  if (!t || t.isDisposed) {
    t = tf.keep(tf.fill([channels], alpha) as tf.Tensor1D);
    slopeCache.set(key, t);
  }
  return t;
}

/** max(x, αx) for 0 ≤ α ≤ 1, over the last axis of any-rank x. */
export function leakyRelu<T extends tf.Tensor>(x: T, alpha: number): T {
  const a = slopes(alpha, x.shape[x.rank - 1] ?? 1);
  // outside a gradient computation the custom-gradient scope is pure overhead (~40 µs a call)
  if (!tf.engine().isTapeOn()) return tf.prelu(x, a as tf.Tensor as T);
  const fn = (input: tf.Tensor, save: tf.GradSaveFunc) => {
    save([input]);
    return {
      value: tf.prelu(input, a),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs] = saved as [tf.Tensor];
        return tf.mul(dy, tf.add(tf.mul(tf.step(xs), 1 - alpha), alpha));
      },
    };
  };
  return tf.customGrad(fn as unknown as Parameters<typeof tf.customGrad>[0])(x) as T;
}

/**
 * rosinality's fused_leaky_relu: leaky_relu(x + bias, 0.2) · √2, `bias` broadcast over the last
 * (channel) axis. The √2 keeps the activation variance of the equalized-learning-rate layers.
 */
export function fusedLeakyRelu<T extends tf.Tensor>(x: T, bias: tf.Tensor | null, negativeSlope = 0.2, scale = Math.SQRT2): T {
  const z = bias ? tf.add(x, bias) : x;
  return tf.mul(leakyRelu(z, negativeSlope), scale) as T;
}
