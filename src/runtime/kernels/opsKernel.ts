import { tf } from '../tf.js';

type TensorInfo = tf.TensorInfo;
type Backend = tf.KernelBackend & { incRef(dataId: tf.DataId): void };

/** Kernels whose original registration we replaced, so that `restoreKernels` can put them back. */
const replaced = new Map<string, tf.KernelConfig | null>();

function keyOf(kernelName: string, backendName: string): string {
  return `${backendName}/${kernelName}`;
}

/**
 * Builds a kernel out of ordinary tfjs ops. Inside a kernel the engine does not record to the
 * gradient tape (kernelDepth > 0), so the inner ops cost nothing in memory during training.
 *
 * tfjs keeps no reference count of its own for a Tensor made from a TensorInfo: each wrapper must
 * take a backend reference, else disposing it would free the caller's data.
 */
export function kernelFromOps(
  compute: (inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) => tf.Tensor,
): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const b = backend as Backend;
    const wrapped: Record<string, tf.Tensor> = {};
    for (const [name, info] of Object.entries(inputs as Record<string, TensorInfo>)) {
      b.incRef(info.dataId);
      wrapped[name] = tf.engine().makeTensorFromTensorInfo(info, b);
    }
    try {
      const out = tf.tidy(() => compute(wrapped, (attrs ?? {}) as Record<string, unknown>));
      b.incRef(out.dataId);
      const info: TensorInfo = { dataId: out.dataId, shape: out.shape, dtype: out.dtype };
      out.dispose();
      return info;
    } finally {
      for (const t of Object.values(wrapped)) t.dispose();
    }
  };
}

/** Registers (or replaces) a kernel; the replaced registration is remembered for `restoreKernels`. */
export function setKernel(kernelName: string, backendName: string, kernelFunc: tf.KernelFunc): void {
  const existing = tf.getKernel(kernelName, backendName) ?? null;
  const key = keyOf(kernelName, backendName);
  if (!replaced.has(key)) replaced.set(key, existing);
  if (existing) tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({
    kernelName,
    backendName,
    kernelFunc,
    setupFunc: existing?.setupFunc,
    disposeFunc: existing?.disposeFunc,
  });
}

/** The kernel function registered now (captured before replacing it, as the fallback path). */
export function currentKernel(kernelName: string, backendName: string): tf.KernelFunc {
  const k = tf.getKernel(kernelName, backendName);
  if (!k) throw new Error(`kernel ${kernelName} is not registered for ${backendName}`);
  return k.kernelFunc;
}

/** Puts back every kernel replaced through `setKernel` (used by tests comparing both). */
export function restoreKernels(backendName: string): void {
  for (const [key, config] of replaced) {
    const [b, name] = key.split('/') as [string, string];
    if (b !== backendName) continue;
    if (tf.getKernel(name, b)) tf.unregisterKernel(name, b);
    if (config) tf.registerKernel(config);
    replaced.delete(key);
  }
}
