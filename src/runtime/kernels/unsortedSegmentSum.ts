import { tf } from '../tf.js';

type Backend = tf.KernelBackend & {
  readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.backend_util.BackendValues): tf.TensorInfo;
};

/**
 * Scatter-add of rows by segment id (the gradient of `gather`). A plain loop over memory the
 * backend already holds on the CPU: exact, O(size of x), and no one-hot matrix that would grow
 * with the number of segments. Ids outside [0, numSegments) are dropped, as TensorFlow does.
 */
export const unsortedSegmentSumKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as Backend;
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (attrs as { numSegments: number }).numSegments;
  const xv = b.readSync(x.dataId) as Float32Array | Int32Array;
  const ids = b.readSync(segmentIds.dataId) as Int32Array | Float32Array;
  const n = ids.length;
  const inner = n === 0 ? 0 : xv.length / n;
  const out = x.dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
  for (let i = 0; i < n; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner, dst = s * inner;
    for (let k = 0; k < inner; k++) out[dst + k]! += xv[src + k]!;
  }
  const shape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  return b.makeOutput(shape, x.dtype, undefined, out);
};
