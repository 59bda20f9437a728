/**
 * The ArcFace IR / IR-SE residual unit of e4e's backbone (models/encoders/helpers.py
 * bottleneck_IR, bottleneck_IR_SE), and the squeeze-excitation module:
 *
 *   res      = BN(in) → conv3×3(in→depth) → PReLU → conv3×3(depth→depth, stride) → BN [→ SE]
 *   shortcut = x[::s, ::s] (MaxPool2d(1, s)) if in == depth, else conv1×1(stride) → BN
 *   out      = res + shortcut
 *
 * In eval mode the BatchNorms after a conv are folded into that conv's filter and bias (exact);
 * the one before the first conv is not (its shift would also pad the borders), so it runs as a
 * fused BatchNorm kernel.
 */
import { tf } from '../runtime/tf.js';
import { Derived } from './derived.js';
import { linear4 } from './linear.js';
import type { ParamStore, WeightInit } from './params.js';
import { BatchNorm2d, Conv2d, PReLU } from './torchLayers.js';

/** SEModule: x · sigmoid(fc2(relu(fc1(avgpool(x))))), fc1/fc2 1×1 convs without bias. */
export class SEModule {
  readonly fc1: Conv2d;
  readonly fc2: Conv2d;

  constructor(store: ParamStore, prefix: string, channels: number, reduction: number, init: WeightInit) {
    const hidden = Math.floor(channels / reduction);
    this.fc1 = new Conv2d(store, `${prefix}.fc1`, channels, hidden, 1, 1, 0, false, init);
    this.fc2 = new Conv2d(store, `${prefix}.fc2`, hidden, channels, 1, 1, 0, false, init);
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    const [B, H, W, C] = x.shape;
    // the 1×1 convs act on one pooled vector per sample, laid out as rows [1, 1, B, C] (linear.ts)
    const pooled = tf.avgPool(x, [H, W], 1, 'valid');
    const rows: tf.Tensor4D = B === 1 ? pooled : pooled.reshape([1, 1, B, C]);
    const h = linear4(rows, this.fc1.weight as tf.Tensor as tf.Tensor4D, null, 'relu');
    const gate = tf.sigmoid(linear4(h, this.fc2.weight as tf.Tensor as tf.Tensor4D));
    return tf.mul(x, B === 1 ? gate : gate.reshape([B, 1, 1, C]));
  }
}

interface FoldedConv {
  w: tf.Tensor4D;
  b: tf.Tensor1D;
}

function fold(conv: Conv2d, bn: BatchNorm2d): FoldedConv {
  const { a, b } = bn.affine();
  return { w: tf.mul(conv.weight, a) as tf.Tensor4D, b };
}

export class BottleneckIR {
  readonly bn0: BatchNorm2d;
  readonly conv1: Conv2d;
  readonly prelu: PReLU;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly se: SEModule | null;
  readonly shortcutConv: Conv2d | null;
  readonly shortcutBn: BatchNorm2d | null;
  private readonly folded: Derived<{ res: FoldedConv; shortcut: FoldedConv | null }>;

  constructor(
    store: ParamStore,
    prefix: string,
    readonly inChannel: number,
    readonly depth: number,
    readonly stride: number,
    opts: { se: boolean; seReduction: number; init: WeightInit },
  ) {
    const { init } = opts;
    // registration order follows the reference state_dict: shortcut_layer before res_layer
    if (inChannel === depth) {
      this.shortcutConv = null;
      this.shortcutBn = null;
    } else {
      this.shortcutConv = new Conv2d(store, `${prefix}.shortcut_layer.0`, inChannel, depth, 1, stride, 0, false, init);
      this.shortcutBn = new BatchNorm2d(store, `${prefix}.shortcut_layer.1`, depth);
    }
    this.bn0 = new BatchNorm2d(store, `${prefix}.res_layer.0`, inChannel);
    this.conv1 = new Conv2d(store, `${prefix}.res_layer.1`, inChannel, depth, 3, 1, 1, false, init);
    this.prelu = new PReLU(store, `${prefix}.res_layer.2`, depth);
    this.conv2 = new Conv2d(store, `${prefix}.res_layer.3`, depth, depth, 3, stride, 1, false, init);
    this.bn2 = new BatchNorm2d(store, `${prefix}.res_layer.4`, depth);
    this.se = opts.se ? new SEModule(store, `${prefix}.res_layer.5`, depth, opts.seReduction, init) : null;
    this.folded = new Derived(() => ({
      res: fold(this.conv2, this.bn2),
      shortcut: this.shortcutConv && this.shortcutBn ? fold(this.shortcutConv, this.shortcutBn) : null,
    }));
  }

  forward(x: tf.Tensor4D, training = false): tf.Tensor4D {
    let shortcut: tf.Tensor4D;
    let res: tf.Tensor4D;
    const h = this.prelu.forward(this.conv1.forward(this.bn0.forward(x, training)));
    if (training) {
      res = this.bn2.forward(this.conv2.forward(h), true);
      shortcut = this.shortcutConv ? this.shortcutBn!.forward(this.shortcutConv.forward(x), true) : this.subsample(x);
    } else {
      const f = this.folded.get();
      res = this.conv2.forward(h, f.res.w, f.res.b);
      shortcut = this.shortcutConv ? this.shortcutConv.forward(x, f.shortcut!.w, f.shortcut!.b) : this.subsample(x);
    }
    if (this.se) res = this.se.forward(res);
    return tf.add(res, shortcut);
  }

  /** MaxPool2d(kernel 1, stride s): every s-th pixel. */
  private subsample(x: tf.Tensor4D): tf.Tensor4D {
    return this.stride === 1 ? x : tf.avgPool(x, 1, this.stride, 'valid');
  }

  freeze(): void {
    this.folded.freeze();
  }

  unfreeze(): void {
    this.folded.unfreeze();
  }
}
