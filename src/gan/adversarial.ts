/**
 * The StyleGAN2 adversarial losses (rosinality train.py): the logistic discriminator loss, the
 * non-saturating generator loss and the R1 penalty on real images.
 *
 * R1 (E‖∇ₓD(x)‖² on reals) needs a gradient of a gradient, and the replacement conv-gradient kernels
 * this runtime registers for tfjs-wasm have no gradients of their own. It is estimated instead with
 * a random directional finite difference: for u ~ N(0, I), E_u[(∇D·u)²] = ‖∇D‖², and
 * (D(x + εu) − D(x))/ε → ∇D·u as ε → 0. One extra forward pass, first-order gradients only; the
 * estimate is unbiased up to O(ε) and noisier than the exact penalty (one direction per image).
 */
import { tf } from '../runtime/tf.js';

/** softplus(−D(real)) + softplus(D(fake)), each averaged over its batch. */
export function dLogisticLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.add(tf.mean(tf.softplus(tf.neg(realLogits))), tf.mean(tf.softplus(fakeLogits))) as tf.Scalar);
}

/** softplus(−D(fake)) averaged: G's loss, strong where D is sure an image is fake. */
export function gNonSaturatingLoss(fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.softplus(tf.neg(fakeLogits))) as tf.Scalar);
}

/**
 * Directional finite-difference estimate of rosinality's `d_r1_loss` (per-image ‖∇ₓD‖² summed over
 * pixels, averaged over the batch). `direction` is u ~ N(0, I) of x's shape (the caller draws it
 * from a resumable stream); `d` is D's forward pass with gradients reaching its weights.
 */
export function r1Estimate(d: (x: tf.Tensor4D) => tf.Tensor2D, real: tf.Tensor4D, direction: tf.Tensor4D, eps = 1e-2): tf.Scalar {
  return tf.tidy(() => {
    const shifted = d(tf.add(real, tf.mul(direction, eps)) as tf.Tensor4D);
    const base = d(real);
    return tf.mean(tf.square(tf.div(tf.sub(shifted, base), eps))) as tf.Scalar;
  });
}
