import { batchNorm, conv, dense, flatten } from '../nn/layers.js';
import type { Params } from '../nn/params.js';
import { tf } from '../runtime/tf.js';

/** Widths of the four VGG-style blocks and their conv counts (64-px input → 4×4 after four pools). */
export interface FpreConfig {
  widths: number[];
  convsPerBlock: number[];
  hidden: number;
  outputs: number;
}

export const FPRE_DEFAULT: FpreConfig = { widths: [16, 32, 64, 128], convsPerBlock: [1, 2, 2, 2], hidden: 256, outputs: 12 };

/**
 * F_pre's trunk, applied to both images of a pair with the same weights (Siamese). Returns the
 * output of every block before its pooling: these are the f_k of the paper's feature loss L_F.
 */
export function fpreTrunk(p: Params, cfg: FpreConfig, x: tf.Tensor4D, training: boolean): tf.Tensor4D[] {
  const features: tf.Tensor4D[] = [];
  let h = x;
  cfg.widths.forEach((w, b) => {
    for (let c = 0; c < cfg.convsPerBlock[b]!; c++) {
      const name = `trunk.${b}.${c}`;
      h = conv(p, `${name}.conv`, h, w, 3, { bias: false });
      h = tf.relu(batchNorm(p, `${name}.bn`, h, training)) as tf.Tensor4D;
    }
    features.push(h);
    h = tf.maxPool(h, 2, 2, 'valid');
  });
  return features;
}

/** Δa = head(g(I_b) − g(I_a)): the AU intensity change from image a to image b of one subject. */
export function fpreHead(p: Params, cfg: FpreConfig, fa: tf.Tensor4D, fb: tf.Tensor4D): tf.Tensor2D {
  // the last block's map unpooled: AU changes are small and local, pooling would blur where
  const d = flatten(fb.sub(fa));
  const h = tf.relu(dense(p, 'head.0', d, cfg.hidden));
  return dense(p, 'head.1', h, cfg.outputs);
}

export interface FpreOutput {
  delta: tf.Tensor2D;
  featuresA: tf.Tensor4D[];
  featuresB: tf.Tensor4D[];
}

export function fpreForward(p: Params, cfg: FpreConfig, a: tf.Tensor4D, b: tf.Tensor4D, training: boolean): FpreOutput {
  // one trunk call on the concatenated pair: the batch statistics of both halves are shared, as a
  // Siamese net in training mode should see them
  const n = a.shape[0];
  const both = fpreTrunk(p, cfg, tf.concat([a, b], 0), training);
  const featuresA = both.map((f) => f.slice([0, 0, 0, 0], [n, -1, -1, -1]));
  const featuresB = both.map((f) => f.slice([n, 0, 0, 0], [n, -1, -1, -1]));
  return { delta: fpreHead(p, cfg, featuresA[featuresA.length - 1]!, featuresB[featuresB.length - 1]!), featuresA, featuresB };
}
