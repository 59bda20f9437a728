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
  /**
   * Independently trained networks of this shape whose intensities are averaged (absent = 1). Their
   * weights sit under `members.<i>.`, as a PyTorch `nn.ModuleList` named `members` would store them.
   */
  members?: number;
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

/** The hidden features [B, hidden] the last (linear) layer reads: what a subject adversary sees. */
export function hestHidden(p: Params, pre: string, cfg: HestConfig, x: tf.Tensor4D, training: boolean): tf.Tensor2D {
  let h = conv(p, `${pre}stem.conv`, x, cfg.stem, 3, { bias: false });
  h = tf.relu(batchNorm(p, `${pre}stem.bn`, h, training)) as tf.Tensor4D;
  cfg.stages.forEach((w, i) => {
    h = basicBlock(p, `${pre}stage.${i}`, h, w, 2, training);
  });
  // a 2×2 average before the head: the 8×8 map flattened would put 80 % of the weights in one layer
  return tf.relu(dense(p, `${pre}head.0`, flatten(tf.avgPool(h, 2, 2, 'valid')), cfg.hidden));
}

/** The AU intensities from the hidden features. */
export function hestHead(p: Params, pre: string, cfg: HestConfig, z: tf.Tensor2D): tf.Tensor2D {
  return dense(p, `${pre}head.1`, z, cfg.outputs);
}

function single(p: Params, pre: string, cfg: HestConfig, x: tf.Tensor4D, training: boolean): tf.Tensor2D {
  return hestHead(p, pre, cfg, hestHidden(p, pre, cfg, x, training));
}

export function hestForward(p: Params, cfg: HestConfig, x: tf.Tensor4D, training: boolean): tf.Tensor2D {
  const n = cfg.members ?? 1;
  if (n === 1) return single(p, '', cfg, x, training);
  // an ensemble is only ever run frozen: its members were trained on their own
  if (training) throw new Error('an H_est ensemble cannot be trained; train its members and merge them');
  return tf.tidy(() => tf.addN(Array.from({ length: n }, (_, i) => single(p, `members.${i}.`, cfg, x, false))).div(n) as tf.Tensor2D);
}
