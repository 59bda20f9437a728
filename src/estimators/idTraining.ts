import type { Params } from '../nn/params.js';
import type { tf } from '../runtime/tf.js';
import { marginLoss, type MarginConfig } from './arcface.js';

/**
 * F_id is trained with ArcFace (additive angular margin), the ID metric with CosFace (additive
 * cosine margin): different families, seeds and objectives, so the metric does not share the
 * blind spots of the network the editor is trained against.
 */
export function arcConfigFor(kind: 'fid' | 'idmetric' | string, classes: number): MarginConfig & { lossOn: (p: Params, e: tf.Tensor2D, y: tf.Tensor1D) => tf.Scalar } {
  const cfg: MarginConfig = kind === 'fid' ? { classes, scale: 30, arcMargin: 0.3, cosMargin: 0 } : { classes, scale: 30, arcMargin: 0, cosMargin: 0.3 };
  return { ...cfg, lossOn: (p, e, y) => marginLoss(p, cfg, e, y) };
}
