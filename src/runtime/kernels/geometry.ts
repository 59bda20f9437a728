import { tf } from '../tf.js';

export type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

export function pair(v: number | [number, number] | number[]): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0]!, v[1] ?? v[0]!];
}

/**
 * Pads (positive amounts) or crops (negative amounts) the two spatial axes of an NHWC tensor.
 * Backprop windows need both: 'valid' convs with a stride that does not tile the input leave
 * rows that the forward pass never read.
 */
export function padOrCrop(t: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  let r = t;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const ct = Math.max(0, -top), cb = Math.max(0, -bottom), cl = Math.max(0, -left), cr = Math.max(0, -right);
    r = r.slice([0, ct, cl, 0], [-1, r.shape[1] - ct - cb, r.shape[2] - cl - cr, -1]);
  }
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    r = r.pad([[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]]);
  }
  return r;
}

export interface Window {
  top: number;
  left: number;
  /** Padding after the input that the forward pass read (negative: trailing rows it never read). */
  bottom: number;
  right: number;
  outHeight: number;
  outWidth: number;
}

/** Where a forward conv of this geometry reads its input, in the tfjs conventions. */
export function forwardWindow(
  inShape: [number, number, number, number],
  kh: number,
  kw: number,
  strides: [number, number],
  pad: Pad,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): Window {
  const info = tf.backend_util.computeConv2DInfo(inShape, [kh, kw, inShape[3], 1], strides, 1, pad, dimRoundingMode);
  const { top, left } = info.padInfo;
  const [sh, sw] = strides;
  return {
    top,
    left,
    bottom: (info.outHeight - 1) * sh + kh - inShape[1] - top,
    right: (info.outWidth - 1) * sw + kw - inShape[2] - left,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
  };
}
