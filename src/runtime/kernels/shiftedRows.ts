import { tf } from '../tf.js';

/** A project-private kernel; registered for every backend we run on. */
export const SHIFTED_ROWS = 'AueditnetShiftedRows';

type HeapBackend = tf.KernelBackend & {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
};
type PlainBackend = tf.KernelBackend & {
  readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): tf.TensorInfo;
};

/**
 * out[t·R + r, :] = x[r, offsets[t] : offsets[t] + width] for x of shape [R, cols].
 *
 * This is the im2col of the weight gradient (see convBackprop.ts). Each output row is one
 * contiguous copy, done straight in the wasm heap: tfjs-wasm's Slice and Concat take ~10× longer
 * for the same bytes.
 */
export const shiftedRowsKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { offsets, width } = attrs as unknown as { offsets: number[]; width: number };
  const [R, cols] = x.shape as [number, number];
  for (const o of offsets) {
    if (o < 0 || o + width > cols) throw new Error(`${SHIFTED_ROWS}: window ${o}+${width} outside ${cols} columns`);
  }
  const shape = [offsets.length * R, width];
  const hb = backend as HeapBackend;
  if (typeof hb.typedArrayFromHeap === 'function') {
    const out = hb.makeOutput(shape, 'float32');
    // views taken after the allocation, which may have grown the heap
    const src = hb.typedArrayFromHeap(x);
    const dst = hb.typedArrayFromHeap(out);
    // copyWithin inside one buffer is a memmove (~8 GB/s); set() between views is ~5× slower
    const heap = new Float32Array(src.buffer);
    const s0 = src.byteOffset / 4, d0 = dst.byteOffset / 4;
    offsets.forEach((o, t) => {
      for (let r = 0; r < R; r++) {
        const from = s0 + r * cols + o;
        heap.copyWithin(d0 + (t * R + r) * width, from, from + width);
      }
    });
    return out;
  }
  const pb = backend as PlainBackend;
  const src = pb.readSync(x.dataId) as Float32Array;
  const dst = new Float32Array(shape[0]! * width);
  copy(src, dst, offsets, R, cols, width);
  return pb.makeTensorInfo(shape, 'float32', dst);
};

function copy(src: Float32Array, dst: Float32Array, offsets: number[], R: number, cols: number, width: number): void {
  offsets.forEach((o, t) => {
    for (let r = 0; r < R; r++) dst.set(src.subarray(r * cols + o, r * cols + o + width), (t * R + r) * width);
  });
}

export function shiftedRows(x: tf.Tensor2D, offsets: number[], width: number): tf.Tensor2D {
  return tf.engine().runKernel(SHIFTED_ROWS, { x }, { offsets, width } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}
