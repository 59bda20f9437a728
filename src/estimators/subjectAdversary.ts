/**
 * A subject adversary for H_est (domain-adversarial training, Ganin & Lempitsky 2015, with the
 * training subjects as the domains). H_est trained on 18 faces learns their resting looks as AUs:
 * a person whose eyes are wide at rest reads as AU5 (docs/decisions.md, "identity confound"). A
 * small head learns to name the training subject from H_est's hidden features, and its gradient
 * reaches the trunk reversed and scaled by λ, so the features the AU head reads carry as little of
 * "who" as the AU loss allows. Only the training subjects are used, as issue #5 asks.
 *
 * The head's weights live in their own Params, checkpointed with the run but never shipped: the
 * saved H_est is the same network as without the adversary.
 */
import { dense } from '../nn/layers.js';
import type { Params } from '../nn/params.js';
import { tf } from '../runtime/tf.js';

/** Hidden width of the adversary head. */
export const ADVERSARY_HIDDEN = 128;

/** Identity forward; the gradient comes back multiplied by −scale. */
export function gradientReversal(x: tf.Tensor2D, scale: number): tf.Tensor2D {
  const reverse = (a: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    return { value: a.clone(), gradFunc: (dy: tf.Tensor) => dy.mul(-scale) };
  };
  const f = tf.customGrad(reverse as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as tf.Tensor2D;
}

/** Subject logits [B, subjects] from H_est's hidden features [B, hidden], reversed by `scale`. */
export function subjectLogits(adv: Params, z: tf.Tensor2D, subjects: number, scale: number): tf.Tensor2D {
  const h = tf.relu(dense(adv, 'adversary.0', gradientReversal(z, scale), ADVERSARY_HIDDEN)) as tf.Tensor2D;
  return dense(adv, 'adversary.1', h, subjects);
}

/** Mean cross-entropy of the subject head on the batch's subject indices. */
export function subjectLoss(adv: Params, z: tf.Tensor2D, subject: readonly number[], subjects: number, scale: number): tf.Scalar {
  const logits = subjectLogits(adv, z, subjects, scale);
  const onehot = tf.oneHot(tf.tensor1d(subject as number[], 'int32'), subjects);
  return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar;
}
