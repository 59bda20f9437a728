/**
 * The one tfjs entry point for the whole project. Model code imports `tf` from here and uses ops
 * only; which backend runs them is decided in `backend.ts`. The full `@tensorflow/tfjs` bundle is
 * used (not tfjs-core alone) because only it registers the gradients and chained tensor methods
 * in Node's CommonJS build.
 */
import * as tf from '@tensorflow/tfjs';

export { tf };
