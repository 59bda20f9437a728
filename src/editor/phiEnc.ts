/**
 * Φ_enc^j (Eq. 1): one level's W row (or, in the flat variant, all edited rows concatenated) →
 * activation logits ĉ^{·,j} [B, N], intensities â^{·,j} [B, N] and the embedding z^j [B, D].
 * Two hidden layers of `hidden` units with LeakyReLU 0.2, then one linear head split three ways.
 */
import { dense } from '../nn/layers.js';
import type { Params } from '../nn/params.js';
import { tf } from '../runtime/tf.js';
import { AU_N, type EditorConfig } from './config.js';

export interface PhiEncOutput {
  cLogit: tf.Tensor2D;
  a: tf.Tensor2D;
  z: tf.Tensor2D;
}

export function phiEnc(p: Params, c: EditorConfig, m: number, w: tf.Tensor2D): PhiEncOutput {
  const name = `phi_enc.${m}`;
  let h = tf.leakyRelu(dense(p, `${name}.fc1`, w, c.hidden, { gain: Math.SQRT2 }), 0.2) as tf.Tensor2D;
  h = tf.leakyRelu(dense(p, `${name}.fc2`, h, c.hidden, { gain: Math.SQRT2 }), 0.2) as tf.Tensor2D;
  const out = dense(p, `${name}.head`, h, 2 * AU_N + c.zDim);
  const [cLogit, a, z] = tf.split(out, [AU_N, AU_N, c.zDim], 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  return { cLogit, a, z };
}
