import { tf } from './tf.js';

export interface ConvWorkload {
  batch: number;
  size: number;
  channels: number;
  layers: number;
}

export interface ConvSpeed {
  workload: ConvWorkload;
  /** FLOPs of one forward pass (2 per multiply-add). */
  forwardGflop: number;
  forwardMs: number;
  forwardGflops: number;
  /** One optimizer step (forward, input and weight gradients), counted as 3 × forward FLOPs. */
  stepMs?: number;
  stepGflops?: number;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Times `layers` × (3×3 conv C→C, 'same') on [batch, size, size, C]: the median of `repeats`
 * runs after one warm-up, forward alone and, if `withStep`, a full SGD step.
 */
export async function measureConv(w: ConvWorkload, opts: { repeats?: number; withStep?: boolean } = {}): Promise<ConvSpeed> {
  const repeats = opts.repeats ?? 5;
  const { batch, size, channels: C, layers } = w;
  const forwardGflop = (2 * batch * size * size * C * C * 9 * layers) / 1e9;
  const x = tf.randomNormal([batch, size, size, C], 0, 1, 'float32', 1) as tf.Tensor4D;
  const ws = Array.from({ length: layers }, (_, i) => tf.variable(tf.randomNormal([3, 3, C, C], 0, 1 / Math.sqrt(9 * C), 'float32', 2 + i)));
  const forward = () => ws.reduce<tf.Tensor4D>((h, k) => tf.conv2d(h, k as tf.Tensor4D, 1, 'same'), x);
  try {
    const fwd: number[] = [];
    for (let i = 0; i <= repeats; i++) {
      const t0 = performance.now();
      const y = tf.tidy(forward);
      await y.data();
      y.dispose();
      if (i > 0) fwd.push(performance.now() - t0);
    }
    const forwardMs = median(fwd);
    const out: ConvSpeed = { workload: w, forwardGflop, forwardMs, forwardGflops: forwardGflop / (forwardMs / 1000) };
    if (opts.withStep) {
      const opt = tf.train.sgd(1e-6);
      const steps: number[] = [];
      for (let i = 0; i <= repeats; i++) {
        const t0 = performance.now();
        const l = opt.minimize(() => forward().square().mean() as tf.Scalar, true)!;
        await l.data();
        l.dispose();
        if (i > 0) steps.push(performance.now() - t0);
      }
      opt.dispose();
      out.stepMs = median(steps);
      out.stepGflops = (3 * forwardGflop) / (out.stepMs / 1000);
    }
    return out;
  } finally {
    tf.dispose([x, ...ws]);
  }
}
