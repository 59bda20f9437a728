import { tf } from '../tf.js';
import { forwardWindow, pair, padOrCrop, type Pad } from './geometry.js';
import { pickRows } from './convBackprop.js';
import { backpropInputByPhases } from './phases.js';

type Rounding = 'floor' | 'round' | 'ceil' | undefined;

function assertNoDilation(kernel: string, dilations: unknown): void {
  const [dh, dw] = pair((dilations ?? 1) as number | [number, number]);
  if (dh !== 1 || dw !== 1) throw new Error(`${kernel}: dilations > 1 are not supported in gradients (got ${dh}×${dw})`);
}

/**
 * Input gradient of a depthwise conv with channel multiplier m: treat the C·m output channels as
 * C·m independent depthwise channels (multiplier 1), then sum each group of m.
 */
export function depthwiseBackpropInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  strides: [number, number],
  pad: Pad,
  dimRoundingMode?: Rounding,
): tf.Tensor4D {
  const [kh, kw, C, m] = filter.shape;
  const win = forwardWindow(inputShape, kh, kw, strides, pad, dimRoundingMode);
  const w2 = filter.reshape([kh * kw, C * m]) as tf.Tensor2D;
  const expanded: [number, number, number, number] = [inputShape[0], inputShape[1], inputShape[2], C * m];
  const dx = backpropInputByPhases(dy, expanded, C * m, kh, kw, strides, win.top, win.left, (d, p, taps, nr, nc) => {
    const sub = pickRows(w2, taps).reshape([nr, nc, C * m, 1]) as tf.Tensor4D;
    return tf.depthwiseConv2d(d, sub, 1, p);
  });
  if (m === 1) return dx;
  const [B, H, W] = inputShape;
  return dx.reshape([B, H, W, C, m]).sum(4) as tf.Tensor4D;
}

/**
 * dW[ky,kx,c,q] = Σ_{b,i,j} x[b, s·i+ky−top, s·j+kx−left, c] · dy[b,i,j,c·m+q]: one depthwise
 * correlation per (b, c) pair — x as [1, H, W, B·C], dy as a [Ho, Wo, B·C, m] filter at
 * dilation = stride — then a sum over b. Exactly the FLOPs of the forward pass.
 */
export function depthwiseBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: [number, number],
  pad: Pad,
  dimRoundingMode?: Rounding,
): tf.Tensor4D {
  const [kh, kw, C, m] = filterShape;
  const [B] = x.shape;
  const win = forwardWindow(x.shape, kh, kw, strides, pad, dimRoundingMode);
  const xs = padOrCrop(x, 0, Math.min(0, win.bottom), 0, Math.min(0, win.right));
  const xr = xs.transpose([1, 2, 0, 3]).reshape([1, xs.shape[1], xs.shape[2], B * C]) as tf.Tensor4D;
  const Ho = dy.shape[1], Wo = dy.shape[2];
  const fr = dy.reshape([B, Ho, Wo, C, m]).transpose([1, 2, 0, 3, 4]).reshape([Ho, Wo, B * C, m]) as tf.Tensor4D;
  const out = tf.depthwiseConv2d(
    xr,
    fr,
    1,
    [[0, 0], [win.top, Math.max(0, win.bottom)], [win.left, Math.max(0, win.right)], [0, 0]],
    'NHWC',
    strides,
  );
  return out.reshape([kh, kw, B, C, m]).sum(2) as tf.Tensor4D;
}

export const depthwiseBackpropInputKernel = (inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) => {
  assertNoDilation('DepthwiseConv2dNativeBackpropInput', attrs['dilations']);
  return depthwiseBackpropInput(
    inputs['dy'] as tf.Tensor4D,
    inputs['filter'] as tf.Tensor4D,
    attrs['inputShape'] as [number, number, number, number],
    pair(attrs['strides'] as number | [number, number]),
    attrs['pad'] as Pad,
    attrs['dimRoundingMode'] as Rounding,
  );
};

export const depthwiseBackpropFilterKernel = (inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) => {
  assertNoDilation('DepthwiseConv2dNativeBackpropFilter', attrs['dilations']);
  return depthwiseBackpropFilter(
    inputs['x'] as tf.Tensor4D,
    inputs['dy'] as tf.Tensor4D,
    attrs['filterShape'] as [number, number, number, number],
    pair(attrs['strides'] as number | [number, number]),
    attrs['pad'] as Pad,
    attrs['dimRoundingMode'] as Rounding,
  );
};
