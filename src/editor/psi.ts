/**
 * Ψ_enc / Ψ_dec (Eq. 3): the "latent space for labels". For each AU i its own small MLP maps the
 * label pair (c^i, a^i) to M level-wise pseudo-labels (c^{i,j}, a^{i,j}) and back. The N MLPs run
 * as one batched product ([N, B, in] × [N, in, out]); weights are stored per AU stacked on the
 * first axis (psi_enc.w1 [N, 2, H], …).
 *
 * Pseudo-activations are probabilities (sigmoid), comparable with σ(ĉ) of Φ_enc in L_L;
 * pseudo-intensities are unbounded, like the labels (negative and > 5 edits are allowed).
 */
import type { Params } from '../nn/params.js';
import { tf } from '../runtime/tf.js';
import { AU_N, moduleCount, type EditorConfig } from './config.js';

function perAuMlp(p: Params, name: string, x: tf.Tensor3D, hidden: number, out: number, outGain = 1): tf.Tensor3D {
  const inDim = x.shape[2];
  const w1 = p.get(`${name}.w1`, [AU_N, inDim, hidden], { normal: Math.SQRT2 / Math.sqrt(inDim) });
  const b1 = p.get(`${name}.b1`, [AU_N, 1, hidden], 'zeros');
  const w2 = p.get(`${name}.w2`, [AU_N, hidden, out], { normal: outGain / Math.sqrt(hidden) });
  const b2 = p.get(`${name}.b2`, [AU_N, 1, out], 'zeros');
  const h = tf.leakyRelu(tf.add(tf.matMul(x, w1 as tf.Tensor as tf.Tensor3D), b1), 0.2) as tf.Tensor3D;
  return tf.add(tf.matMul(h, w2 as tf.Tensor as tf.Tensor3D), b2) as tf.Tensor3D;
}

export interface LevelLabels {
  /** [M, B, N] probabilities. */
  c: tf.Tensor3D;
  /** [M, B, N] intensities. */
  a: tf.Tensor3D;
}

/** (c, a) [B, N] each → level-wise pseudo-labels [M, B, N]. */
export function psiEnc(p: Params, cfg: EditorConfig, c: tf.Tensor2D, a: tf.Tensor2D): LevelLabels {
  const M = moduleCount(cfg);
  const [B] = c.shape;
  const x = tf.stack([c, a], 2).transpose([1, 0, 2]) as tf.Tensor3D; // [N, B, 2]
  const y = perAuMlp(p, 'psi_enc', x, cfg.psiHidden, 2 * M); // [N, B, 2M]
  const r = y.reshape([AU_N, B, 2, M]).transpose([3, 2, 1, 0]); // [M, 2, B, N]
  const [cl, al] = tf.unstack(r, 1) as [tf.Tensor3D, tf.Tensor3D];
  return { c: tf.sigmoid(cl) as tf.Tensor3D, a: al };
}

/** Level-wise estimates [M, B, N] (c as probabilities) → (ĉ probability, â) [B, N]. */
export function psiDec(p: Params, cfg: EditorConfig, l: LevelLabels): { c: tf.Tensor2D; a: tf.Tensor2D } {
  // [M, B, N] ×2 → [N, B, 2M] with c and a of all levels per AU
  const x = tf.concat([l.c, l.a], 0).transpose([2, 1, 0]) as tf.Tensor3D;
  const y = perAuMlp(p, 'psi_dec', x, cfg.psiHidden, 2); // [N, B, 2]
  const [cl, a] = tf.unstack(y.transpose([2, 1, 0]), 0) as [tf.Tensor2D, tf.Tensor2D];
  return { c: tf.sigmoid(cl) as tf.Tensor2D, a };
}
