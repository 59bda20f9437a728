/**
 * Inversion refinement: W+ optimised against the image, starting from the encoder's answer (the
 * "encoder + optimisation" inversion of the e4e/PTI literature). The encoder's code is the fast,
 * editable starting point; a few dozen steps of gradient descent on the pixel error recover detail
 * the encoder misses. Optional `anchor` keeps the code near the encoder's (L2 on W+), since codes
 * that drift far from where the encoder puts faces edit less predictably.
 */
import { Adam } from '../nn/adam.js';
import { tf } from '../runtime/tf.js';
import type { Generator } from './generator.js';

export interface RefineOptions {
  steps: number;
  /** Adam step on W+ (default 0.01). */
  lr?: number;
  /** Weight of mean((w − w_E)²) (default 0). */
  anchor?: number;
  /** Called after each step with the step number and the batch's pixel MSE. */
  onStep?: (step: number, mse: number) => void;
}

/**
 * Refines W+ [B, L, D] for images x [B, S, S, 3] in [-1, 1]. A generator rendering above the
 * image size is compared after average pooling down to it (the official 1024-px G against e4e's
 * 256-px input). Returns a new tensor; w0 and x are not disposed.
 */
export function refineLatents(g: Generator, x: tf.Tensor4D, w0: tf.Tensor3D, o: RefineOptions): tf.Tensor3D {
  if (!Number.isInteger(o.steps) || o.steps < 0) throw new RangeError(`refine steps must be an integer ≥ 0, got ${o.steps}`);
  const S = x.shape[1], R = g.config.size;
  if (R % S !== 0) throw new RangeError(`the generator renders ${R} px, which is not a multiple of the ${S}-px image`);
  const w = tf.tidy(() => tf.variable(w0.clone(), true));
  const anchor = o.anchor ?? 0;
  const opt = new Adam({ lr: o.lr ?? 0.01, beta1: 0.9, beta2: 0.999 });
  // only W+ may move; the generator's weights would otherwise collect gradients (and work)
  const frozenBefore = g.store.trainableVariables().every((v) => !v.trainable);
  if (!frozenBefore) g.store.setTrainable(false);
  try {
    for (let s = 1; s <= o.steps; s++) {
      const loss = opt.minimize(() => {
        let img = g.synthesis(w as unknown as tf.Tensor3D, { noise: 'const', mode: 'shared' });
        if (R !== S) img = tf.avgPool(img, R / S, R / S, 'valid');
        const mse = tf.losses.meanSquaredError(x, img) as tf.Scalar;
        return anchor > 0 ? (mse.add(tf.mean(tf.square(tf.sub(w, w0))).mul(anchor)) as tf.Scalar) : mse;
      }, [w]);
      if (o.onStep) o.onStep(s, loss.dataSync()[0]!);
      loss.dispose();
    }
    return tf.keep(w.clone()) as tf.Tensor3D;
  } finally {
    if (!frozenBefore) g.store.setTrainable(true);
    w.dispose();
    opt.dispose();
  }
}
