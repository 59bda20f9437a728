/**
 * The plain torch.nn layers of the e4e encoder — Conv2d, BatchNorm2d, PReLU — with PyTorch's
 * default initialisation, so an encoder built from a config trains like one built in PyTorch.
 */
import { tf } from '../runtime/tf.js';
import type { ParamStore, WeightInit } from './params.js';

/** torch.nn.Conv2d (NHWC here). Default init: kaiming_uniform(a=√5) = U(±1/√fan_in), bias likewise. */
export class Conv2d {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(
    store: ParamStore,
    prefix: string,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    readonly stride: number,
    readonly padding: number,
    bias: boolean,
    init: WeightInit,
  ) {
    const k = kernelSize;
    const bound = 1 / Math.sqrt(inChannels * k * k);
    this.weight = store.add(`${prefix}.weight`, [outChannels, inChannels, k, k], 'conv', 'param', () => init.uniform([k, k, inChannels, outChannels], bound));
    this.bias = bias ? store.add(`${prefix}.bias`, [outChannels], 'plain', 'param', () => init.uniform([outChannels], bound)) : null;
  }

  get pad(): tf.backend_util.ExplicitPadding {
    const p = this.padding;
    return [[0, 0], [p, p], [p, p], [0, 0]];
  }

  /** With an optional replacement filter/bias (e.g. with a BatchNorm folded in). */
  forward(x: tf.Tensor4D, filter: tf.Tensor4D = this.weight as tf.Tensor as tf.Tensor4D, bias: tf.Tensor1D | null = this.bias as tf.Tensor1D | null): tf.Tensor4D {
    if (bias) return tf.fused.conv2d({ x, filter, strides: this.stride, pad: this.pad, bias });
    return tf.conv2d(x, filter, this.stride, this.pad);
  }
}

/**
 * torch.nn.BatchNorm2d: eval mode normalises with the running statistics; train mode with the
 * batch's (biased variance) and updates the running ones (momentum 0.1, unbiased variance), as
 * PyTorch does.
 */
export class BatchNorm2d {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  readonly eps = 1e-5;
  readonly momentum = 0.1;

  constructor(store: ParamStore, prefix: string, readonly channels: number) {
    this.weight = store.add(`${prefix}.weight`, [channels], 'plain', 'param', () => tf.ones([channels]));
    this.bias = store.add(`${prefix}.bias`, [channels], 'plain', 'param', () => tf.zeros([channels]));
    this.runningMean = store.add(`${prefix}.running_mean`, [channels], 'plain', 'buffer', () => tf.zeros([channels]));
    this.runningVar = store.add(`${prefix}.running_var`, [channels], 'plain', 'buffer', () => tf.ones([channels]));
    store.extras.set(`${prefix}.num_batches_tracked`, { dtype: 'int64', shape: [], data: new BigInt64Array(1) });
  }

  /** y = x·a + b in eval mode: a = γ/√(var + eps), b = β − mean·a. */
  affine(): { a: tf.Tensor1D; b: tf.Tensor1D } {
    const a = tf.mul(this.weight, tf.rsqrt(tf.add(this.runningVar, this.eps))) as tf.Tensor1D;
    const b = tf.sub(this.bias, tf.mul(this.runningMean, a)) as tf.Tensor1D;
    return { a, b };
  }

  forward(x: tf.Tensor4D, training = false): tf.Tensor4D {
    if (!training) {
      return tf.batchNorm(x, this.runningMean as tf.Tensor1D, this.runningVar as tf.Tensor1D, this.bias as tf.Tensor1D, this.weight as tf.Tensor1D, this.eps);
    }
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const n = x.size / this.channels;
    const m = this.momentum;
    // running statistics are state: nothing downstream of them reaches the loss, so no gradient flows
    const newMean = tf.tidy(() => tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
    const newVar = tf.tidy(() => tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(variance, (m * n) / Math.max(1, n - 1))));
    this.runningMean.assign(newMean);
    this.runningVar.assign(newVar);
    newMean.dispose();
    newVar.dispose();
    // broadcasting ops rather than tf.batchNorm: its gradient tiles mean/variance to the input's
    // shape, the slowest kernel of an encoder training step on wasm
    return tf.add(tf.mul(tf.sub(x, mean), tf.mul(tf.rsqrt(tf.add(variance, this.eps)), this.weight)), this.bias);
  }
}

/** torch.nn.PReLU(num_parameters = C), init 0.25. */
export class PReLU {
  readonly weight: tf.Variable;

  constructor(store: ParamStore, prefix: string, channels: number) {
    this.weight = store.add(`${prefix}.weight`, [channels], 'plain', 'param', () => tf.fill([channels], 0.25));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return prelu(x, this.weight as tf.Tensor as tf.Tensor1D);
  }
}

/**
 * Prelu with per-channel slopes; the gradient is written with `step` because the built-in one goes
 * through `where`, which is ~15× slower on tfjs-wasm.
 */
export function prelu(x: tf.Tensor4D, alpha: tf.Tensor1D): tf.Tensor4D {
  if (!tf.engine().isTapeOn()) return tf.prelu(x, alpha as tf.Tensor as tf.Tensor4D);
  const fn = (input: tf.Tensor4D, slopes: tf.Tensor1D, save: tf.GradSaveFunc) => {
    save([input, slopes]);
    return {
      value: tf.prelu(input, slopes as tf.Tensor as tf.Tensor4D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, a] = saved as [tf.Tensor4D, tf.Tensor1D];
        const pos = tf.step(xs);
        const dx = tf.mul(dy, tf.add(pos, tf.mul(tf.sub(1, pos), a)));
        const da = tf.sum(tf.mul(dy, tf.sub(xs, tf.relu(xs))), [0, 1, 2]); // min(x, 0)
        return [dx, da];
      },
    };
  };
  const f = tf.customGrad(fn as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor4D;
  return f(x, alpha);
}
