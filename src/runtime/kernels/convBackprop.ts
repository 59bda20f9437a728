import { tf } from '../tf.js';
import { forwardWindow, pair, padOrCrop, type Pad } from './geometry.js';
import { backpropInputByPhases } from './phases.js';

type Rounding = 'floor' | 'round' | 'ceil' | undefined;

function assertNHWC(kernel: string, dataFormat: unknown): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`${kernel}: only NHWC is supported by the wasm training kernels (got ${String(dataFormat)})`);
  }
}

/**
 * dW[ky,kx,ci,co] = Σ_{b,i,j} x[b, s·i+ky−top, s·j+kx−left, ci] · dy[b,i,j,co].
 * Read as a conv it is x viewed as [Ci, H, W, B] correlated with dy viewed as a [Ho, Wo, B, Co]
 * filter at dilation = stride, which runs on the fast forward conv (XNNPACK) instead of a slow
 * generic loop.
 */
export function conv2dBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: [number, number],
  pad: Pad,
  dimRoundingMode?: Rounding,
): tf.Tensor4D {
  const [kh, kw] = filterShape;
  const win = forwardWindow(x.shape, kh, kw, strides, pad, dimRoundingMode);
  // crop trailing rows the forward pass never read; the rest of the padding goes into the conv
  const xs = padOrCrop(x, 0, Math.min(0, win.bottom), 0, Math.min(0, win.right));
  const out = tf.conv2d(
    xs.transpose([3, 1, 2, 0]) as tf.Tensor4D,
    dy.transpose([1, 2, 0, 3]) as tf.Tensor4D,
    1,
    [[0, 0], [win.top, Math.max(0, win.bottom)], [win.left, Math.max(0, win.right)], [0, 0]],
    'NHWC',
    strides,
  );
  return out.transpose([1, 2, 0, 3]);
}

/** dX for conv2d (and the forward pass of conv2dTranspose), as stride-1 convs per output phase. */
export function conv2dBackpropInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  strides: [number, number],
  pad: Pad,
  dimRoundingMode?: Rounding,
): tf.Tensor4D {
  const [kh, kw, ci, co] = filter.shape;
  const win = forwardWindow(inputShape, kh, kw, strides, pad, dimRoundingMode);
  const w2 = filter.reshape([kh * kw, ci * co]);
  return backpropInputByPhases(dy, inputShape, ci, kh, kw, strides, win.top, win.left, (d, p, taps, nr, nc) => {
    const sub = tf.gather(w2, taps).reshape([nr, nc, ci, co]).transpose([0, 1, 3, 2]) as tf.Tensor4D;
    return tf.conv2d(d, sub, 1, p);
  });
}

export const conv2dBackpropFilterKernel = (inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) => {
  assertNHWC('Conv2DBackpropFilter', attrs['dataFormat']);
  return conv2dBackpropFilter(
    inputs['x'] as tf.Tensor4D,
    inputs['dy'] as tf.Tensor4D,
    attrs['filterShape'] as [number, number, number, number],
    pair(attrs['strides'] as number | [number, number]),
    attrs['pad'] as Pad,
    attrs['dimRoundingMode'] as Rounding,
  );
};

export const conv2dBackpropInputKernel = (inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) => {
  assertNHWC('Conv2DBackpropInput', attrs['dataFormat']);
  return conv2dBackpropInput(
    inputs['dy'] as tf.Tensor4D,
    inputs['filter'] as tf.Tensor4D,
    attrs['inputShape'] as [number, number, number, number],
    pair(attrs['strides'] as number | [number, number]),
    attrs['pad'] as Pad,
    attrs['dimRoundingMode'] as Rounding,
  );
};
