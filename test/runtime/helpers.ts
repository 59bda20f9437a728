import { tf, withBackend } from '../../src/runtime/index.js';

/** max|a − b| / max|b|: one number per comparison, insensitive to where the values sit. */
export function relErr(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => {
    const den = b.abs().max().dataSync()[0]!;
    const num = a.sub(b).abs().max().dataSync()[0]!;
    return den === 0 ? num : num / den;
  });
}

/** Deterministic pseudo-random values (tests must not depend on global RNG state). */
export function rand(shape: number[], seed: number, scale = 1): tf.Tensor {
  let s = seed >>> 0 || 1;
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    v[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return tf.tensor(v, shape);
}

/**
 * Runs `f` on the current backend (wasm) and on cpu; returns both results as plain arrays of
 * tensors kept outside any tidy so the caller can compare and dispose them.
 */
export async function onBoth(f: () => tf.Tensor[]): Promise<{ wasm: tf.Tensor[]; cpu: tf.Tensor[] }> {
  const wasm = tf.tidy(f);
  const cpu = await withBackend('cpu', () => tf.tidy(() => f().map((t) => t.clone())));
  return { wasm, cpu };
}

/** Compares every output of `f` between wasm and cpu and returns the worst relative error. */
export async function worstVsCpu(f: () => tf.Tensor[]): Promise<number> {
  const { wasm, cpu } = await onBoth(f);
  let worst = 0;
  for (let i = 0; i < wasm.length; i++) {
    // move the cpu result's values into a fresh tensor on the current backend
    const ref = tf.tensor(await cpu[i]!.data(), cpu[i]!.shape, cpu[i]!.dtype);
    worst = Math.max(worst, relErr(wasm[i]!, ref));
    ref.dispose();
  }
  tf.dispose([...wasm, ...cpu]);
  return worst;
}

/**
 * Central finite differences of a scalar function at `count` spread-out coordinates of x, on the
 * current backend. With a loss linear in x (Σ R ⊙ op(x)) a large step is exact up to float
 * rounding, which is what lets a 1e-4 tolerance hold in float32.
 */
export function finiteDiff(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor, count: number, eps: number): { idx: number[]; fd: number[] } {
  const base = x.dataSync().slice();
  const idx: number[] = [];
  const fd: number[] = [];
  const n = base.length;
  for (let k = 0; k < Math.min(count, n); k++) {
    const i = Math.floor((k * n) / Math.min(count, n) + (k * 7) % Math.max(1, Math.floor(n / count)));
    const at = (delta: number) => {
      const v = base.slice();
      v[i]! += delta;
      return tf.tidy(() => f(tf.tensor(v, x.shape)).dataSync()[0]!);
    };
    idx.push(i);
    fd.push((at(eps) - at(-eps)) / (2 * eps));
  }
  return { idx, fd };
}

/** Worst |analytic − fd| at the sampled coordinates, relative to the largest analytic gradient. */
export function fdRelErr(grad: tf.Tensor, idx: number[], fd: number[]): number {
  const g = grad.dataSync();
  let gmax = 0;
  for (const v of g) gmax = Math.max(gmax, Math.abs(v));
  let worst = 0;
  idx.forEach((i, k) => (worst = Math.max(worst, Math.abs(g[i]! - fd[k]!))));
  return gmax === 0 ? worst : worst / gmax;
}
