import { tf } from '../tf.js';
import { padOrCrop } from './geometry.js';

export type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];

/**
 * The input gradient of a strided correlation, computed without zero-dilating dy.
 *
 * dx[s·i + a] = Σ_k dy[(s·i + a + top − k) / s] · w[k] over the taps k with (a + top − k) ≡ 0 (mod s).
 * For each output phase (a, b) that is a stride-1 'valid' correlation of a window of dy with the
 * sub-filter of those taps (in reverse order), so the s² phases together cost exactly the forward
 * FLOPs, where zero-dilation would cost s² times more. The phases are then interleaved.
 *
 * `phaseConv(dy, pad, taps, nRows, nCols)` runs one phase as a 'valid' correlation of dy with the
 * explicit zero padding `pad` ([[0,0],[t,b],[l,r],[0,0]], given to the conv instead of copying dy
 * into a padded tensor); `taps` are flat indices ky·kw + kx of the filter taps to use, ordered as
 * the sub-filter's rows × cols.
 */
export function backpropInputByPhases(
  dy: tf.Tensor4D,
  inputShape: [number, number, number, number],
  channelsOut: number,
  kh: number,
  kw: number,
  strides: [number, number],
  top: number,
  left: number,
  phaseConv: (dy: tf.Tensor4D, pad: ExplicitPad, taps: number[], nRows: number, nCols: number) => tf.Tensor4D,
): tf.Tensor4D {
  const [B, H, W] = inputShape;
  const [sh, sw] = strides;
  const Ho = dy.shape[1], Wo = dy.shape[2];
  const axisPlan = (phase: number, pad: number, k: number, s: number, outLen: number, inLen: number) => {
    // taps in decreasing k = increasing offset m = (phase + pad − k) / s
    const ks: number[] = [];
    for (let t = k - 1; t >= 0; t--) if ((((phase + pad - t) % s) + s) % s === 0) ks.push(t);
    const n = Math.ceil((inLen - phase) / s);
    if (ks.length === 0 || n <= 0) return { ks, n, before: 0, after: 0 };
    const mMin = (phase + pad - ks[0]!) / s;
    const mMax = (phase + pad - ks[ks.length - 1]!) / s;
    return { ks, n, before: -mMin, after: n - 1 + mMax - (outLen - 1) };
  };
  const H2 = Math.ceil(H / sh), W2 = Math.ceil(W / sw);
  const rows: tf.Tensor4D[][] = [];
  for (let a = 0; a < sh; a++) {
    const pr = axisPlan(a, top, kh, sh, Ho, H);
    const row: tf.Tensor4D[] = [];
    for (let b = 0; b < sw; b++) {
      const pc = axisPlan(b, left, kw, sw, Wo, W);
      let out: tf.Tensor4D;
      if (pr.n <= 0 || pc.n <= 0) {
        out = tf.zeros([B, Math.max(pr.n, 0), Math.max(pc.n, 0), channelsOut]);
      } else if (pr.ks.length === 0 || pc.ks.length === 0) {
        out = tf.zeros([B, pr.n, pc.n, channelsOut]);
      } else {
        const taps = pr.ks.flatMap((ky) => pc.ks.map((kx) => ky * kw + kx));
        const win = padOrCrop(dy, Math.min(0, pr.before), Math.min(0, pr.after), Math.min(0, pc.before), Math.min(0, pc.after));
        const pad: ExplicitPad = [[0, 0], [Math.max(0, pr.before), Math.max(0, pr.after)], [Math.max(0, pc.before), Math.max(0, pc.after)], [0, 0]];
        out = phaseConv(win, pad, taps, pr.ks.length, pc.ks.length);
      }
      row.push(sh === 1 && sw === 1 ? out : padOrCrop(out, 0, H2 - out.shape[1], 0, W2 - out.shape[2]));
    }
    rows.push(row);
  }
  if (sh === 1 && sw === 1) return rows[0]![0]!;
  // [B, H2, W2, sw, C] per row phase, then [B, H2, sh, W2, sw, C] → [B, H2·sh, W2·sw, C]
  const stackedRows = rows.map((r) => tf.stack(r, 3));
  const all = tf.stack(stackedRows, 2).reshape([B, H2 * sh, W2 * sw, channelsOut]) as tf.Tensor4D;
  return all.shape[1] === H && all.shape[2] === W ? all : all.slice([0, 0, 0, 0], [B, H, W, channelsOut]);
}
