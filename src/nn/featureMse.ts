import { tf } from '../runtime/tf.js';

/** Mean over feature maps of each map's MSE: every depth counts the same, whatever its size. */
export function featureMse(fx: tf.Tensor4D[], fy: tf.Tensor4D[]): tf.Scalar {
  if (fx.length !== fy.length || fx.length === 0) throw new Error(`featureMse: ${fx.length} vs ${fy.length} feature maps`);
  return tf.div(tf.addN(fx.map((f, k) => tf.losses.meanSquaredError(fy[k]!, f))), fx.length) as tf.Scalar;
}
