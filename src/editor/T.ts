/**
 * T: the global, trainable N × D matrix of editing directions, one row per AU, shared by every
 * level (Sec. 3.2). Σ_i gate^i · a^i · T_i is a [B, N] × [N, D] product; with level-wise
 * pseudo-labels the gated intensities differ per level and the product is taken per level.
 */
import type { Params } from '../nn/params.js';
import { tf } from '../runtime/tf.js';
import { AU_N, type EditorConfig } from './config.js';

export function directions(p: Params, c: EditorConfig): tf.Tensor2D {
  return p.get('T', [AU_N, c.zDim], { normal: 1 / Math.sqrt(c.zDim) }) as tf.Tensor as tf.Tensor2D;
}

/** Σ_i gate[:, i] · a[:, i] · T_i → [B, D]. */
export function applyT(T: tf.Tensor2D, gate: tf.Tensor2D, a: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(tf.mul(gate, a), T) as tf.Tensor2D;
}
