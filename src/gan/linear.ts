/**
 * Matrix products as 1×1 convolutions. tfjs-wasm's MatMul re-packs its weight matrix on every call
 * (a [1, 512] × [512, 128] product takes 60–90 µs), while a conv caches the packed filter of a
 * tensor it has seen (25–30 µs for the same product); the generator and encoder make ~50 such
 * small products per image. Rows are laid out as [1, 1, rows, features], a valid NHWC image.
 */
import { tf } from '../runtime/tf.js';

/** x4: [1, 1, rows, in] · w4: [1, 1, in, out] (+ bias, + ReLU) → [1, 1, rows, out]. */
export function linear4(x4: tf.Tensor4D, w4: tf.Tensor4D, bias?: tf.Tensor1D | null, activation: 'linear' | 'relu' = 'linear'): tf.Tensor4D {
  if (!bias && activation === 'linear') return tf.conv2d(x4, w4, 1, 'valid');
  return tf.fused.conv2d({ x: x4, filter: w4, strides: 1, pad: 'valid', bias: bias ?? undefined, activation });
}

/** [rows, features] ↔ [1, 1, rows, features]. */
export function rows4(x: tf.Tensor2D): tf.Tensor4D {
  return x.reshape([1, 1, x.shape[0], x.shape[1]]);
}

export function rows2(x: tf.Tensor4D): tf.Tensor2D {
  return x.reshape([x.shape[2], x.shape[3]]);
}
