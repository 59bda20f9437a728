import { tf } from '../tf.js';
import { kernelFromOps, currentKernel, setKernel } from './opsKernel.js';

type Backend = tf.KernelBackend & { incRef(dataId: tf.DataId): void };

/**
 * Faster replacements for wasm kernels that dominate training steps (measured in
 * `npm run bench -- runtime`, see docs/decisions.md). Each computes the same values as the
 * original; rare shapes go to the original kernel.
 */
export function registerFastPaths(backendName: string): void {
  // The engine runs Identity on every tensor it saves for backprop; tensors are immutable, so
  // sharing the buffer is equivalent to the copy the wasm kernel makes.
  setKernel('Identity', backendName, ({ inputs, backend }) => {
    const x = (inputs as { x: tf.TensorInfo }).x;
    (backend as Backend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });

  // wasm Sum and Mean transpose the whole tensor before reducing; the reductions training needs
  // (over the batch/spatial axes, keeping channels) are an average pool (times the count for Sum).
  for (const kernel of ['Sum', 'Mean'] as const) {
    const original = currentKernel(kernel, backendName);
    const scale = kernel === 'Sum';
    const fast = kernelFromOps(({ x }, attrs) => {
      const t = x!;
      const axes = tf.util.parseAxisParam(attrs['axis'] as number | number[], t.shape).sort((a, b) => a - b);
      const keep = attrs['keepDims'] as boolean;
      const outShape = t.shape.map((d, i) => (axes.includes(i) ? 1 : d)).filter((_, i) => keep || !axes.includes(i));
      const r = t.rank;
      if (axes.length === r - 1 && axes.every((a, i) => a === i)) {
        const C = t.shape[r - 1]!, n = t.size / C;
        const m = tf.avgPool(t.reshape([1, n, 1, C]) as tf.Tensor4D, [n, 1], 1, 'valid');
        return (scale ? m.mul(n) : m).reshape(outShape);
      }
      const [, H, W] = t.shape as [number, number, number, number];
      const m = tf.avgPool(t as tf.Tensor4D, [H, W], 1, 'valid');
      return (scale ? m.mul(H * W) : m).reshape(outShape);
    });
    setKernel(kernel, backendName, (args) => {
      const x = (args.inputs as { x: tf.TensorInfo }).x;
      const attrs = args.attrs as { axis: number | number[]; keepDims: boolean };
      if (x.dtype === 'float32') {
        const r = x.shape.length;
        const axes = tf.util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
        const size = x.shape.reduce((a, b) => a * b, 1);
        const leading = r >= 2 && axes.length === r - 1 && axes.every((a, i) => a === i) && size / x.shape[r - 1]! >= 16;
        const spatial = r === 4 && axes.length === 2 && axes[0] === 1 && axes[1] === 2 && x.shape[1]! * x.shape[2]! >= 16;
        if (leading || spatial) return fast(args);
      }
      return original(args);
    });
  }

  // max(x, αx) is LeakyRelu for 0 ≤ α ≤ 1 and runs as two fast elementwise kernels.
  const lrelu0 = currentKernel('LeakyRelu', backendName);
  const lreluFast = kernelFromOps(({ x }, attrs) => tf.maximum(x!, tf.mul(x!, attrs['alpha'] as number)));
  setKernel('LeakyRelu', backendName, (args) => {
    const alpha = (args.attrs as { alpha: number }).alpha;
    return alpha >= 0 && alpha <= 1 ? lreluFast(args) : lrelu0(args);
  });

  // The gradient of an exact 2× nearest upsampling is a 2×2 sum pool.
  const rnng0 = currentKernel('ResizeNearestNeighborGrad', backendName);
  const rnngFast = kernelFromOps(({ dy }) => tf.avgPool(dy as tf.Tensor4D, 2, 2, 'valid').mul(4));
  setKernel('ResizeNearestNeighborGrad', backendName, (args) => {
    const { images, dy } = args.inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
    const { alignCorners } = args.attrs as { alignCorners: boolean };
    const exact2x = dy.shape[1] === 2 * images.shape[1]! && dy.shape[2] === 2 * images.shape[2]!;
    return !alignCorners && exact2x ? rnngFast(args) : rnng0(args);
  });
}
