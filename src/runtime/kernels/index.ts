import { conv2dBackpropFilterKernel, conv2dBackpropInputKernel } from './convBackprop.js';
import { depthwiseBackpropFilterKernel, depthwiseBackpropInputKernel } from './depthwiseBackprop.js';
import { registerFastPaths } from './fastPaths.js';
import { kernelFromOps, setKernel } from './opsKernel.js';
import { maxPoolGradKernel, resizeBilinearGradKernel, resizeNearestGradKernel } from './resampleGrads.js';
import { SHIFTED_ROWS, shiftedRowsKernel } from './shiftedRows.js';
import { unsortedSegmentSumKernel } from './unsortedSegmentSum.js';

/**
 * The kernels tfjs-wasm lacks for training (it throws on them), plus a fast Conv2DBackpropInput
 * (the built-in one runs at a tenth of the forward conv's speed), all built from the fast
 * forward ops. `fast` also swaps in the measured fast paths of fastPaths.ts.
 */
export function registerTrainingKernels(backendName: string, opts: { fast?: boolean } = {}): void {
  setKernel(SHIFTED_ROWS, backendName, shiftedRowsKernel);
  setKernel('Conv2DBackpropFilter', backendName, kernelFromOps(conv2dBackpropFilterKernel));
  setKernel('Conv2DBackpropInput', backendName, kernelFromOps(conv2dBackpropInputKernel));
  setKernel('DepthwiseConv2dNativeBackpropInput', backendName, kernelFromOps(depthwiseBackpropInputKernel));
  setKernel('DepthwiseConv2dNativeBackpropFilter', backendName, kernelFromOps(depthwiseBackpropFilterKernel));
  setKernel('UnsortedSegmentSum', backendName, unsortedSegmentSumKernel);
  setKernel('MaxPoolGrad', backendName, maxPoolGradKernel);
  registerResampleGradFixes(backendName);
  if (opts.fast !== false) registerFastPaths(backendName);
}

/**
 * Exact resize gradients for a backend (see resampleGrads.ts for what is wrong with the built-in
 * ones). Applied to wasm and cpu alike, so both backends agree and cpu stays a valid reference.
 */
export function registerResampleGradFixes(backendName: string): void {
  setKernel(SHIFTED_ROWS, backendName, shiftedRowsKernel);
  setKernel('ResizeBilinearGrad', backendName, resizeBilinearGradKernel);
  setKernel('ResizeNearestNeighborGrad', backendName, resizeNearestGradKernel);
}

export { restoreKernels } from './opsKernel.js';
