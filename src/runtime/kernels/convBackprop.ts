import { tf } from '../tf.js';
import { forwardWindow, pair, padOrCrop, type Pad } from './geometry.js';
import { backpropInputByPhases } from './phases.js';
import { shiftedRows } from './shiftedRows.js';

/** Largest im2col matrix built at once (floats); bigger problems are split over input channels. */
const IM2COL_MAX_FLOATS = 48 * 2 ** 20;

type Rounding = 'floor' | 'round' | 'ceil' | undefined;

function assertNHWC(kernel: string, dataFormat: unknown): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`${kernel}: only NHWC is supported by the wasm training kernels (got ${String(dataFormat)})`);
  }
}

/**
 * dW[ky,kx,ci,co] = Σ_{b,i,j} x[b, s·i+ky−top, s·j+kx−left, ci] · dy[b,i,j,co].
 *
 * Stride 1 is one long GEMM, [kh·kw·Ci, P] × [P, Co] over the P pixels: in the padded image
 * flattened per channel, tap (ky, kx) is the same row shifted by ky·Wp + kx, so the im2col matrix
 * is made of contiguous row copies (shiftedRows) and dy only needs zero rows/cols appended. XNNPACK
 * runs that GEMM at the forward conv's speed; the generic form below runs at about half of it.
 */
export function conv2dBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: [number, number],
  pad: Pad,
  dimRoundingMode?: Rounding,
  maxIm2colFloats = IM2COL_MAX_FLOATS,
): tf.Tensor4D {
  const [kh, kw, ci, co] = filterShape;
  const win = forwardWindow(x.shape, kh, kw, strides, pad, dimRoundingMode);
  if (strides[0] !== 1 || strides[1] !== 1) return backpropFilterByPhases(x, dy, filterShape, strides, win, maxIm2colFloats);
  const [B] = x.shape;
  const Ho = dy.shape[1], Wo = dy.shape[2];
  const Hp = Ho + kh - 1, Wp = Wo + kw - 1;
  const xp = padOrCrop(x, win.top, Hp - x.shape[1] - win.top, win.left, Wp - x.shape[2] - win.left);
  const P = B * Hp * Wp;
  const tail = (kh - 1) * Wp + (kw - 1);
  const flat = xp.transpose([3, 0, 1, 2]).reshape([ci, P]).pad([[0, 0], [0, tail]]) as tf.Tensor2D;
  const offsets: number[] = [];
  for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) offsets.push(ky * Wp + kx);
  const dyFlat = padOrCrop(dy, 0, kh - 1, 0, kw - 1).reshape([1, 1, P, co]) as tf.Tensor4D;
  const group = Math.max(1, Math.min(ci, Math.floor(maxIm2colFloats / (offsets.length * P))));
  const parts: tf.Tensor[] = [];
  for (let c0 = 0; c0 < ci; c0 += group) {
    const n = Math.min(group, ci - c0);
    const rows = n === ci ? flat : flat.slice([c0, 0], [n, -1]);
    const a = shiftedRows(rows, offsets, P).reshape([1, 1, offsets.length * n, P]) as tf.Tensor4D;
    parts.push(tf.conv2d(a, dyFlat, 1, 'valid').reshape([kh, kw, n, co]));
  }
  return (parts.length === 1 ? parts[0]! : tf.concat(parts, 2)) as tf.Tensor4D;
}

/**
 * Stride s: tap (ky, kx) only ever meets input pixels of phase (ky mod s, kx mod s), so each of
 * the s² phase images (a strided subsample of the padded input) gives, with the stride-1 GEMM
 * above, the gradient of the taps of its phase; the phase results are then put back in tap order.
 */
function backpropFilterByPhases(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: [number, number],
  win: ReturnType<typeof forwardWindow>,
  maxIm2colFloats: number,
): tf.Tensor4D {
  const [kh, kw, ci, co] = filterShape;
  const [sh, sw] = strides;
  const [B] = x.shape;
  const Ho = dy.shape[1], Wo = dy.shape[2];
  const H2 = Math.ceil(((Ho - 1) * sh + kh) / sh), W2 = Math.ceil(((Wo - 1) * sw + kw) / sw);
  const xp = padOrCrop(x, win.top, H2 * sh - x.shape[1] - win.top, win.left, W2 * sw - x.shape[2] - win.left);
  // [B·H2, sh, W2, sw·C]: phase (a, b) is the 4-D slice [:, a, :, b·C : (b+1)·C]
  const grid = xp.reshape([B * H2, sh, W2, sw * ci]);
  const rows: tf.Tensor[] = [];
  const order: number[] = [];
  for (let a = 0; a < Math.min(sh, kh); a++) {
    for (let b = 0; b < Math.min(sw, kw); b++) {
      const nr = Math.ceil((kh - a) / sh), nc = Math.ceil((kw - b) / sw);
      const phase = grid.slice([0, a, 0, b * ci], [-1, 1, -1, ci]).reshape([B, H2, W2, ci]) as tf.Tensor4D;
      const xs = phase.slice([0, 0, 0, 0], [-1, Ho + nr - 1, Wo + nc - 1, -1]);
      const g = conv2dBackpropFilter(xs, dy, [nr, nc, ci, co], [1, 1], 'valid', undefined, maxIm2colFloats);
      rows.push(g.reshape([nr * nc, ci * co]));
      for (let qy = 0; qy < nr; qy++) for (let qx = 0; qx < nc; qx++) order.push((a + qy * sh) * kw + (b + qx * sw));
    }
  }
  // order[i] is the tap of stacked row i; gather by its inverse to list the taps as ky·kw + kx
  const inverse = new Array<number>(order.length);
  order.forEach((tap, i) => (inverse[tap] = i));
  return pickRows(tf.concat(rows, 0) as tf.Tensor2D, inverse).reshape([kh, kw, ci, co]);
}

/**
 * Rows `idx` of a matrix, as a product with a one-hot matrix (exact for finite values): wasm's
 * GatherV2 and Slice copy element by element and took ~25 ms for a 9 × 65536 filter, while the
 * product takes well under 1 ms.
 */
export function pickRows(m: tf.Tensor2D, idx: readonly number[]): tf.Tensor2D {
  if (idx.length === 1) return m.slice([idx[0]!, 0], [1, -1]);
  const onehot = new Float32Array(idx.length * m.shape[0]);
  idx.forEach((r, i) => (onehot[i * m.shape[0] + r] = 1));
  return tf.matMul(tf.tensor2d(onehot, [idx.length, m.shape[0]]), m);
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
  const w2 = filter.reshape([kh * kw, ci * co]) as tf.Tensor2D;
  return backpropInputByPhases(dy, inputShape, ci, kh, kw, strides, win.top, win.left, (d, p, taps, nr, nc) => {
    const sub = pickRows(w2, taps).reshape([nr, nc, ci, co]).transpose([0, 1, 3, 2]) as tf.Tensor4D;
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
