/**
 * Weight-only tensors a layer computes from its variables before a forward pass (scaled weights,
 * demodulation matrices, phase filters). While training they are recomputed every call so gradients
 * reach the variables; once a model is frozen they are computed once and kept, because XNNPACK
 * re-packs a conv filter it has not seen before (~9 ns per element) and cached, constant filters
 * skip that.
 */
import { tf } from '../runtime/tf.js';

export class Derived<T extends object> {
  private kept: T | null = null;

  constructor(private readonly compute: () => T) {}

  /** The kept tensors while frozen, else freshly computed ones (owned by the caller's tidy). */
  get(): T {
    return this.kept ?? this.compute();
  }

  get frozen(): boolean {
    return this.kept !== null;
  }

  freeze(): void {
    if (!this.kept) this.kept = tf.tidy(() => this.compute() as unknown as tf.TensorContainer) as unknown as T;
  }

  unfreeze(): void {
    if (this.kept) tf.dispose(this.kept as unknown as tf.TensorContainer);
    this.kept = null;
  }
}
