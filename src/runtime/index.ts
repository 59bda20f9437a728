export { tf } from './tf.js';
export { initRuntime, runtimeInfo, withBackend, defaultThreads, type BackendName, type RuntimeInfo, type RuntimeOptions } from './backend.js';
export { registerTrainingKernels, restoreKernels } from './kernels/index.js';
export { measureConv, type ConvSpeed, type ConvWorkload } from './measure.js';
export { machineInfo } from './machine.js';
export { scoped } from './scoped.js';
