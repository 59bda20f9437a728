// Conv throughput of the runtime on the workload of ../shared/notes/runtime.md:
// 4 × (3×3 conv 128→128) on [8, 64, 64, 128] NHWC, forward and one SGD step (3 × forward FLOPs).
import { conv2dBackpropFilter, conv2dBackpropInput } from '../src/runtime/kernels/convBackprop.js';
import { initRuntime, machineInfo, measureConv, tf } from '../src/runtime/index.js';

async function medianMs(f: () => tf.Tensor, repeats = 5): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i <= repeats; i++) {
    const t0 = performance.now();
    const y = tf.tidy(f);
    await y.data();
    y.dispose();
    if (i > 0) t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
}

export async function run(args: string[]): Promise<unknown> {
  const fastKernels = !args.includes('--no-fast');
  const runtime = await initRuntime({ fastKernels });
  const w = { batch: 8, size: 64, channels: 128, layers: 4 };
  const speed = await measureConv(w, { repeats: 5, withStep: true });
  // per-kernel split of one layer, to show where a training step goes
  const x = tf.randomNormal([8, 64, 64, 128], 0, 1, 'float32', 3) as tf.Tensor4D;
  const k = tf.randomNormal([3, 3, 128, 128], 0, 0.03, 'float32', 4) as tf.Tensor4D;
  const layerGflop = speed.forwardGflop / w.layers;
  const kernels = {
    forwardMs: await medianMs(() => tf.conv2d(x, k, 1, 'same')),
    backpropInputMs: await medianMs(() => conv2dBackpropInput(x, k, [8, 64, 64, 128], [1, 1], 'same')),
    backpropFilterMs: await medianMs(() => conv2dBackpropFilter(x, x, [3, 3, 128, 128], [1, 1], 'same')),
  };
  tf.dispose([x, k]);
  const r1 = (v: number) => Math.round(v * 10) / 10;
  return {
    bench: 'runtime',
    workload: '4 × conv3×3 128→128 on [8,64,64,128] NHWC; fwd+bwd = one SGD step, counted as 3 × forward FLOPs',
    backend: runtime.backend,
    threads: runtime.threads,
    simd: runtime.simd,
    fastKernels,
    forwardMs: r1(speed.forwardMs),
    forwardGflops: r1(speed.forwardGflops),
    fwdBwdMs: r1(speed.stepMs!),
    fwdBwdGflops: r1(speed.stepGflops!),
    perLayerKernels: Object.fromEntries(
      Object.entries(kernels).map(([name, ms]) => [name, { ms: r1(ms), gflops: r1(layerGflop / (ms / 1000)) }]),
    ),
    machine: machineInfo(),
    tfjs: runtime.tfjsVersion,
    date: new Date().toISOString(),
  };
}
