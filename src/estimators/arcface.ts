import type { Params } from '../nn/params.js';
import { tf } from '../runtime/tf.js';

/**
 * Additive angular margin loss (ArcFace, Deng et al. 2019): logits s·cos(θ_y + m) for the true
 * class and s·cos θ_j for the others, over L2-normalised embeddings and class centres. `m` = 0
 * with `cosMargin` > 0 gives CosFace (s·(cos θ_y − m)), used for the second ID network so the two
 * networks also differ in their training objective.
 */
export interface MarginConfig {
  classes: number;
  scale: number;
  arcMargin: number;
  cosMargin: number;
}

export function marginLoss(p: Params, cfg: MarginConfig, embeddings: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const d = embeddings.shape[1];
  const w = p.get('margin.weight', [d, cfg.classes], { normal: 1 / Math.sqrt(d) }, { kind: 'linear' });
  const wn = tf.div(w, tf.norm(w, 'euclidean', 0, true).add(1e-8));
  const cos = tf.matMul(embeddings, wn as tf.Tensor2D).clipByValue(-1 + 1e-6, 1 - 1e-6);
  const onehot = tf.oneHot(labels, cfg.classes).toFloat();
  let target = cos;
  if (cfg.arcMargin > 0) {
    // cos(θ + m) = cos θ cos m − sin θ sin m; past θ > π − m the margin would wrap around, so
    // there ArcFace falls back to cos θ − m·sin m (the "easy margin" variant's linear extension)
    const sin = tf.sqrt(tf.sub(1, cos.square()));
    const cm = Math.cos(cfg.arcMargin), sm = Math.sin(cfg.arcMargin);
    const withMargin = cos.mul(cm).sub(sin.mul(sm));
    // step() rather than where(greater()): the comparison must stay off the gradient tape
    const inRange = tf.step(cos.sub(Math.cos(Math.PI - cfg.arcMargin)));
    target = withMargin.mul(inRange).add(cos.sub(cfg.arcMargin * sm).mul(tf.sub(1, inRange)));
  }
  if (cfg.cosMargin > 0) target = target.sub(cfg.cosMargin);
  const logits = tf.add(cos.mul(tf.sub(1, onehot)), target.mul(onehot)).mul(cfg.scale);
  return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar;
}
