import { tf } from '../runtime/tf.js';
import type { Params } from './params.js';

/**
 * Stateless layer functions over a Params store: `conv(p, 'trunk.0', x, 64, 3)` creates
 * `trunk.0.weight` / `trunk.0.bias` on first use. Initialisation is He/Kaiming-normal for layers
 * followed by ReLU-like activations, as in torchvision.
 */
export function conv(
  p: Params,
  name: string,
  x: tf.Tensor4D,
  cout: number,
  k: number,
  opts: { stride?: number; bias?: boolean; pad?: 'same' | 'valid'; gain?: number } = {},
): tf.Tensor4D {
  const cin = x.shape[3];
  const w = p.get(`${name}.weight`, [k, k, cin, cout], { normal: (opts.gain ?? Math.SQRT2) / Math.sqrt(k * k * cin) }, { kind: 'conv' });
  let y = tf.conv2d(x, w as tf.Tensor as tf.Tensor4D, opts.stride ?? 1, opts.pad ?? 'same');
  if (opts.bias !== false) y = y.add(p.get(`${name}.bias`, [cout], 'zeros'));
  return y;
}

export function dense(p: Params, name: string, x: tf.Tensor2D, cout: number, opts: { bias?: boolean; gain?: number } = {}): tf.Tensor2D {
  const cin = x.shape[1];
  const w = p.get(`${name}.weight`, [cin, cout], { normal: (opts.gain ?? 1) / Math.sqrt(cin) }, { kind: 'linear' });
  const y = matMulViaConv(x, w as tf.Tensor as tf.Tensor2D);
  return opts.bias !== false ? (y.add(p.get(`${name}.bias`, [cout], 'zeros')) as tf.Tensor2D) : y;
}

/**
 * x·W as a 1×1 conv: the same GEMM forward, but its gradients run on the fast conv backprop
 * kernels, where matMul's gradient needs a transposed matMul (~2 GFLOP/s on wasm).
 */
export function matMulViaConv(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const [b, cin] = x.shape;
  const cout = w.shape[1];
  return tf.conv2d(x.reshape([1, 1, b, cin]) as tf.Tensor4D, w.reshape([1, 1, cin, cout]) as tf.Tensor4D, 1, 'valid').reshape([b, cout]);
}

/** Batch statistics waiting to be folded into running averages after the optimizer step. */
const pending = new WeakMap<Params, { name: string; mean: tf.Tensor; variance: tf.Tensor }[]>();

/**
 * BatchNorm over NHWC (or [B, C]). In training mode it normalises with the batch statistics and
 * queues them; `commitBatchNorm(p)` (called by the training loop after each step, outside the
 * gradient tape) folds them into running_mean / running_var with PyTorch's momentum 0.1 and
 * unbiased variance, so saved weights behave like a PyTorch BatchNorm in eval mode.
 */
export function batchNorm(p: Params, name: string, x: tf.Tensor, training: boolean, eps = 1e-5): tf.Tensor {
  const c = x.shape[x.rank - 1]!;
  const gamma = p.get(`${name}.weight`, [c], 'ones');
  const beta = p.get(`${name}.bias`, [c], 'zeros');
  const runMean = p.get(`${name}.running_mean`, [c], 'zeros', { trainable: false });
  const runVar = p.get(`${name}.running_var`, [c], 'ones', { trainable: false });
  // written with broadcasting ops: tf.batchNorm's gradient tiles its inputs (slowest kernel of a
  // training step on wasm), while these reduce through the fast Sum path
  if (!training) return x.sub(runMean).mul(runVar.add(eps).rsqrt().mul(gamma)).add(beta);
  const axes = [...Array(x.rank - 1).keys()];
  const { mean, variance } = tf.moments(x, axes);
  const n = x.size / c;
  const list = pending.get(p) ?? [];
  list.push({ name, mean: tf.keep(mean.clone()), variance: tf.keep(variance.mul(n / Math.max(1, n - 1))) });
  pending.set(p, list);
  return x.sub(mean).mul(variance.add(eps).rsqrt().mul(gamma)).add(beta);
}

export function commitBatchNorm(p: Params, momentum = 0.1): void {
  const list = pending.get(p);
  if (!list) return;
  for (const { name, mean, variance } of list) {
    tf.tidy(() => {
      const rm = p.variable(`${name}.running_mean`), rv = p.variable(`${name}.running_var`);
      rm.assign(rm.mul(1 - momentum).add(mean.mul(momentum)));
      rv.assign(rv.mul(1 - momentum).add(variance.mul(momentum)));
    });
    tf.dispose([mean, variance]);
  }
  pending.delete(p);
}

/** Drops queued statistics (e.g. after an evaluation pass run in training mode by mistake). */
export function discardBatchNorm(p: Params): void {
  for (const { mean, variance } of pending.get(p) ?? []) tf.dispose([mean, variance]);
  pending.delete(p);
}

export function prelu(p: Params, name: string, x: tf.Tensor): tf.Tensor {
  const c = x.shape[x.rank - 1]!;
  return tf.prelu(x, p.get(`${name}.weight`, [c], (s) => tf.fill(s, 0.25)));
}

export function flatten(x: tf.Tensor): tf.Tensor2D {
  return x.reshape([x.shape[0]!, -1]);
}
