import { batchNorm, conv, dense, flatten } from '../nn/layers.js';
import type { Params } from '../nn/params.js';
import { tf } from '../runtime/tf.js';

/**
 * H_est: absolute AU intensities from one image, with a ResNet-style trunk (a different family
 * from F_pre's VGG trunk, as the paper's evaluator is a different network from its loss network).
 */
export interface HestConfig {
  stem: number;
  /** Width of each residual stage; every stage halves the resolution. */
  stages: number[];
  hidden: number;
  outputs: number;
}

export const HEST_DEFAULT: HestConfig = { stem: 24, stages: [32, 64, 128], hidden: 256, outputs: 12 };

function basicBlock(p: Params, name: string, x: tf.Tensor4D, width: number, stride: number, training: boolean): tf.Tensor4D {
  let h = conv(p, `${name}.conv1`, x, width, 3, { stride, bias: false });
  h = tf.relu(batchNorm(p, `${name}.bn1`, h, training)) as tf.Tensor4D;
  h = conv(p, `${name}.conv2`, h, width, 3, { bias: false, gain: 1 });
  h = batchNorm(p, `${name}.bn2`, h, training) as tf.Tensor4D;
  let skip = x;
  if (stride !== 1 || x.shape[3] !== width) {
    skip = batchNorm(p, `${name}.down.bn`, conv(p, `${name}.down.conv`, x, width, 1, { stride, bias: false, gain: 1 }), training) as tf.Tensor4D;
  }
  return tf.relu(h.add(skip)) as tf.Tensor4D;
}

export function hestForward(p: Params, cfg: HestConfig, x: tf.Tensor4D, training: boolean): tf.Tensor2D {
  let h = conv(p, 'stem.conv', x, cfg.stem, 3, { bias: false });
  h = tf.relu(batchNorm(p, 'stem.bn', h, training)) as tf.Tensor4D;
  cfg.stages.forEach((w, i) => {
    h = basicBlock(p, `stage.${i}`, h, w, 2, training);
  });
  // a 2×2 average before the head: the 8×8 map flattened would put 80 % of the weights in one layer
  const z = tf.relu(dense(p, 'head.0', flatten(tf.avgPool(h, 2, 2, 'valid')), cfg.hidden));
  return dense(p, 'head.1', z, cfg.outputs);
}
