import { batchNorm, conv, dense, flatten, prelu } from '../nn/layers.js';
import type { Params } from '../nn/params.js';
import { tf } from '../runtime/tf.js';

/**
 * Identity embedding networks. Two families, so that the ID metric is never the network the
 * editor was trained against: 'irse' (IR blocks with PReLU, the ArcFace/IR-SE family used for
 * F_id) and 'vgg' (plain conv stacks, used for the separate ID metric).
 */
export interface IdNetConfig {
  family: 'irse' | 'vgg';
  /** Stride of the first conv: identity lives in coarse shape and colour, so 2 quarters the cost. */
  stemStride?: number;
  widths: number[];
  embedding: number;
}

export const FID_DEFAULT: IdNetConfig = { family: 'irse', stemStride: 2, widths: [32, 64, 128, 256], embedding: 128 };
export const IDMETRIC_DEFAULT: IdNetConfig = { family: 'vgg', widths: [24, 48, 96, 192], embedding: 128 };

function irBlock(p: Params, name: string, x: tf.Tensor4D, width: number, stride: number, training: boolean): tf.Tensor4D {
  let h = batchNorm(p, `${name}.bn0`, x, training) as tf.Tensor4D;
  h = conv(p, `${name}.conv1`, h, width, 3, { bias: false });
  h = prelu(p, `${name}.prelu`, batchNorm(p, `${name}.bn1`, h, training)) as tf.Tensor4D;
  h = conv(p, `${name}.conv2`, h, width, 3, { stride, bias: false, gain: 1 });
  h = batchNorm(p, `${name}.bn2`, h, training) as tf.Tensor4D;
  const skip = stride === 1 && x.shape[3] === width ? x : (batchNorm(p, `${name}.down.bn`, conv(p, `${name}.down.conv`, x, width, 1, { stride, bias: false, gain: 1 }), training) as tf.Tensor4D);
  return h.add(skip);
}

/**
 * L2-normalised embeddings [B, embedding]. With `features`, each body block's output is pushed
 * there (the editor's perceptual loss L_P compares them).
 */
export function idForward(p: Params, cfg: IdNetConfig, x: tf.Tensor4D, training: boolean, features?: tf.Tensor4D[]): tf.Tensor2D {
  let h: tf.Tensor4D;
  if (cfg.family === 'irse') {
    h = conv(p, 'stem.conv', x, cfg.widths[0]!, 3, { bias: false, stride: cfg.stemStride ?? 1 });
    h = prelu(p, 'stem.prelu', batchNorm(p, 'stem.bn', h, training)) as tf.Tensor4D;
    cfg.widths.forEach((w, i) => {
      h = irBlock(p, `body.${i}`, h, w, 2, training);
      features?.push(h);
    });
  } else {
    h = x;
    cfg.widths.forEach((w, i) => {
      h = conv(p, `body.${i}.conv`, h, w, 3, { bias: false });
      h = tf.relu(batchNorm(p, `body.${i}.bn`, h, training)) as tf.Tensor4D;
      features?.push(h);
      h = tf.maxPool(h, 2, 2, 'valid');
    });
  }
  const e = batchNorm(p, 'embed.bn', dense(p, 'embed.fc', flatten(h), cfg.embedding, { bias: false }), training);
  return tf.div(e, tf.norm(e, 'euclidean', 1, true).add(1e-8)) as tf.Tensor2D;
}
