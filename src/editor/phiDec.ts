/**
 * Φ_dec^j: an embedding z (D) → the residual ΔW^j for its level (or for all edited rows in the flat
 * variant). The last layer starts at a tenth of the usual scale, so a fresh editor changes W
 * little and training starts from the inversion rather than from noise.
 */
import { dense } from '../nn/layers.js';
import type { Params } from '../nn/params.js';
import { tf } from '../runtime/tf.js';
import type { EditorConfig } from './config.js';

export function phiDec(p: Params, c: EditorConfig, m: number, z: tf.Tensor2D, outDim: number): tf.Tensor2D {
  const name = `phi_dec.${m}`;
  let h = tf.leakyRelu(dense(p, `${name}.fc1`, z, c.hidden, { gain: Math.SQRT2 }), 0.2) as tf.Tensor2D;
  h = tf.leakyRelu(dense(p, `${name}.fc2`, h, c.hidden, { gain: Math.SQRT2 }), 0.2) as tf.Tensor2D;
  return dense(p, `${name}.out`, h, outDim, { gain: 0.1 });
}
