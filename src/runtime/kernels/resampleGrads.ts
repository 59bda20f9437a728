import { tf } from '../tf.js';

type Backend = tf.KernelBackend & {
  readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): tf.TensorInfo;
  makeOutput?(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.backend_util.BackendValues): tf.TensorInfo;
};

function output(b: Backend, shape: number[], values: Float32Array): tf.TensorInfo {
  if (b.makeOutput) return b.makeOutput(shape, 'float32', undefined, values);
  return b.makeTensorInfo!(shape, 'float32', values);
}

function floatValues(b: Backend, t: tf.TensorInfo): Float32Array {
  const v = b.readSync(t.dataId);
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

interface Axis {
  ratio: number;
}
function axis(inSize: number, outSize: number, alignCorners: boolean): Axis {
  const effIn = alignCorners && outSize > 1 ? inSize - 1 : inSize;
  const effOut = alignCorners && outSize > 1 ? outSize - 1 : outSize;
  return { ratio: effIn / effOut };
}

/**
 * Gradients of resizeBilinear / resizeNearestNeighbor written as the exact transpose of tfjs's
 * forward sampling (same source-index formulas, halfPixelCenters included). Each dy value is
 * scattered to the input pixels the forward pass read it from.
 *
 * Replaces built-in kernels that are wrong: tfjs-cpu's bilinear gradient returns [B, W, H, C]
 * and ignores halfPixelCenters; its nearest gradient indexes dy with the image's batch stride
 * (wrong for batch > 1); wasm's bilinear gradient ignores halfPixelCenters.
 */
export const resizeBilinearGradKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as Backend;
  const { images, dy } = inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
  const { alignCorners, halfPixelCenters } = attrs as { alignCorners: boolean; halfPixelCenters?: boolean };
  const [B, H, W, C] = images.shape as [number, number, number, number];
  const [, Ho, Wo] = dy.shape as [number, number, number, number];
  const dyv = floatValues(b, dy);
  const out = new Float32Array(B * H * W * C);
  const ry = axis(H, Ho, alignCorners).ratio, rx = axis(W, Wo, alignCorners).ratio;
  const src = (o: number, ratio: number, size: number) => {
    const f = halfPixelCenters ? ratio * (o + 0.5) - 0.5 : ratio * o;
    const lo = Math.max(0, Math.floor(f));
    return { lo, hi: Math.min(size - 1, Math.ceil(f)), frac: f - lo };
  };
  const cols = Array.from({ length: Wo }, (_, c) => src(c, rx, W));
  let k = 0;
  for (let n = 0; n < B; n++) {
    for (let r = 0; r < Ho; r++) {
      const sr = src(r, ry, H);
      const top = (n * H + sr.lo) * W, bot = (n * H + sr.hi) * W;
      for (let c = 0; c < Wo; c++) {
        const sc = cols[c]!;
        const tl = (top + sc.lo) * C, tr = (top + sc.hi) * C, bl = (bot + sc.lo) * C, br = (bot + sc.hi) * C;
        const wt = 1 - sr.frac, wb = sr.frac, wl = 1 - sc.frac, wr = sc.frac;
        for (let d = 0; d < C; d++) {
          const g = dyv[k++]!;
          out[tl + d]! += g * wt * wl;
          out[tr + d]! += g * wt * wr;
          out[bl + d]! += g * wb * wl;
          out[br + d]! += g * wb * wr;
        }
      }
    }
  }
  return output(b, images.shape, out);
};

export const resizeNearestGradKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as Backend;
  const { images, dy } = inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
  const { alignCorners, halfPixelCenters } = attrs as { alignCorners: boolean; halfPixelCenters?: boolean };
  const [B, H, W, C] = images.shape as [number, number, number, number];
  const [, Ho, Wo] = dy.shape as [number, number, number, number];
  const dyv = floatValues(b, dy);
  const out = new Float32Array(B * H * W * C);
  const ry = axis(H, Ho, alignCorners).ratio, rx = axis(W, Wo, alignCorners).ratio;
  const near = (o: number, ratio: number, size: number) => {
    const f = halfPixelCenters ? ratio * (o + 0.5) : ratio * o;
    const i = Math.min(size - 1, alignCorners ? Math.round(f) : Math.floor(f));
    return halfPixelCenters ? Math.max(0, i) : i;
  };
  const cols = Array.from({ length: Wo }, (_, c) => near(c, rx, W));
  let k = 0;
  for (let n = 0; n < B; n++) {
    for (let r = 0; r < Ho; r++) {
      const row = (n * H + near(r, ry, H)) * W;
      for (let c = 0; c < Wo; c++) {
        const o = (row + cols[c]!) * C;
        for (let d = 0; d < C; d++) out[o + d]! += dyv[k++]!;
      }
    }
  }
  return output(b, images.shape, out);
};

/**
 * MaxPool gradient: dy goes to the first maximum of each window (tfjs-cpu's tie rule). Replaces
 * wasm's MaxPoolGrad, which gives wrong values (e.g. 2×2 stride 2 'valid' on a 9×8 input).
 */
export const maxPoolGradKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as Backend;
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const a = attrs as { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'same' | 'valid' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo, strideHeight: sh, strideWidth: sw } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
  const { top, left } = info.padInfo;
  const xv = floatValues(b, input), dyv = floatValues(b, dy);
  const out = new Float32Array(B * H * W * C);
  for (let n = 0; n < B; n++) {
    for (let i = 0; i < Ho; i++) {
      const r0 = Math.max(0, i * sh - top), r1 = Math.min(H, i * sh - top + fh);
      for (let j = 0; j < Wo; j++) {
        const c0 = Math.max(0, j * sw - left), c1 = Math.min(W, j * sw - left + fw);
        const dyBase = ((n * Ho + i) * Wo + j) * C;
        for (let d = 0; d < C; d++) {
          let best = Number.NEGATIVE_INFINITY, at = -1;
          for (let r = r0; r < r1; r++) {
            for (let c = c0; c < c1; c++) {
              const idx = ((n * H + r) * W + c) * C + d;
              if (xv[idx]! > best) {
                best = xv[idx]!;
                at = idx;
              }
            }
          }
          if (at >= 0) out[at]! += dyv[dyBase + d]!;
        }
      }
    }
  }
  return output(b, input.shape, out);
};
