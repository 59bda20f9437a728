/**
 * The dlib face-recognition ResNet (128-D descriptors, Euclidean distance; the paper's ID metric
 * [9]) as shipped by `@vladmandic/face-api` (`model/face_recognition_model-weights_manifest.json`
 * + `.bin`, uint8-quantised), ported to tfjs ops here after face-api's src/faceRecognitionNet:
 *
 *   pixels 0–255, padded to a square with zeros (centred), resized bilinearly to 150×150
 *   (no corner alignment) → minus mean RGB [122.782, 117.001, 104.298], ÷ 255
 *   → conv7×7/2 'valid' (32) → maxpool 3/2 'valid' → 3 × res(32) → resDown(64) + 3 × res(64)
 *   → resDown(128) + 2 × res(128) → resDown(256) + 2 × res(256) → resDown(256)
 *   → global mean → fc [256, 128]
 *
 * Each conv is conv + bias then a per-channel affine "scale" layer (dlib's folded BatchNorm),
 * folded here into the conv. A residual unit is relu(conv(relu(conv(x))) + x); the down unit's
 * first conv is 3×3/2 'valid' and its shortcut is a 2×2/2 average pool, zero-padded to the new
 * channel count (and the residual branch zero-padded by a row and a column when it comes out one
 * smaller). The descriptor is not normalised: dlib compares with Euclidean distance (same person
 * below ~0.6).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileError, UserError } from '../errors.js';
import { findPackageDir, readWeightsManifest } from '../io/graphModelFiles.js';
import { tf } from '../runtime/tf.js';
import type { PhotoIdNet } from './photoId.js';

export const FACE_API_PACKAGE = '@vladmandic/face-api';
const MANIFEST = 'face_recognition_model-weights_manifest.json';
export const DLIB_INPUT = 150;
export const DLIB_MEAN_RGB = [122.782, 117.001, 104.298] as const;

const BLOCKS: ReadonlyArray<[string, 'res' | 'down']> = [
  ['conv32_1', 'res'], ['conv32_2', 'res'], ['conv32_3', 'res'],
  ['conv64_down', 'down'], ['conv64_1', 'res'], ['conv64_2', 'res'], ['conv64_3', 'res'],
  ['conv128_down', 'down'], ['conv128_1', 'res'], ['conv128_2', 'res'],
  ['conv256_down', 'down'], ['conv256_1', 'res'], ['conv256_2', 'res'],
  ['conv256_down_out', 'down'],
];

/** The weights manifest: `source` (the manifest, or a folder holding it or a model/ folder with it), else the installed package. */
export function resolveDlibManifest(source?: string): string {
  if (source !== undefined) {
    if (!existsSync(source)) throw fileError(source, `not found (expected ${MANIFEST} or a folder holding it, e.g. node_modules/${FACE_API_PACKAGE}/model)`);
    if (!statSync(source).isDirectory()) return source;
    for (const p of [path.join(source, MANIFEST), path.join(source, 'model', MANIFEST)]) if (existsSync(p)) return p;
    throw fileError(source, `holds no ${MANIFEST} (nor model/${MANIFEST})`);
  }
  const here = path.dirname(fileURLToPath(import.meta.url));
  const dir = findPackageDir(FACE_API_PACKAGE, [here, process.cwd()]);
  if (!dir) throw new UserError(`the dlib face-recognition net needs the npm package ${FACE_API_PACKAGE}, which is not installed: run \`npm i ${FACE_API_PACKAGE}\`, or pass the folder holding ${MANIFEST}`);
  const file = path.join(dir, 'model', MANIFEST);
  if (!existsSync(file)) throw fileError(file, `not found in the installed ${FACE_API_PACKAGE} (reinstall it: \`npm i ${FACE_API_PACKAGE}\`)`);
  return file;
}

interface FoldedConv {
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
}

/** conv + bias, then x·s + t: filter·s, bias·s + t. */
function foldConv(w: tf.NamedTensorMap, prefix: string, label: string): FoldedConv {
  const get = (name: string, rank: number): tf.Tensor => {
    const t = w[`${prefix}/${name}`];
    if (!t) throw fileError(label, `has no weight '${prefix}/${name}'`);
    if (t.rank !== rank) throw fileError(label, `weight '${prefix}/${name}' has shape [${t.shape.join(', ')}], expected rank ${rank}`);
    return t;
  };
  const filter = get('conv/filters', 4);
  const out = filter.shape[3]!;
  const [bias, s, t] = ['conv/bias', 'scale/weights', 'scale/biases'].map((n) => get(n, 1));
  for (const [n, v] of [['conv/bias', bias!], ['scale/weights', s!], ['scale/biases', t!]] as const) {
    if (v.shape[0] !== out) throw fileError(label, `weight '${prefix}/${n}' has ${v.shape[0]} values, the conv has ${out} filters`);
  }
  return { filter: tf.mul(filter, s!) as tf.Tensor4D, bias: tf.add(tf.mul(bias!, s!), t!) as tf.Tensor1D };
}

interface DlibParams {
  stem: FoldedConv;
  blocks: Array<{ kind: 'res' | 'down'; conv1: FoldedConv; conv2: FoldedConv }>;
  fc: tf.Tensor2D;
}

function conv(x: tf.Tensor4D, c: FoldedConv, stride: number, pad: 'same' | 'valid', relu: boolean): tf.Tensor4D {
  return tf.fused.conv2d({ x, filter: c.filter, strides: stride, pad, bias: c.bias, activation: relu ? 'relu' : 'linear' });
}

function forward(p: DlibParams, x: tf.Tensor4D): tf.Tensor2D {
  let h = conv(x, p.stem, 2, 'valid', true);
  h = tf.maxPool(h, 3, 2, 'valid');
  for (const b of p.blocks) {
    if (b.kind === 'res') {
      const r = conv(conv(h, b.conv1, 1, 'same', true), b.conv2, 1, 'same', false);
      h = tf.relu(tf.add(r, h)) as tf.Tensor4D;
    } else {
      let r = conv(conv(h, b.conv1, 2, 'valid', true), b.conv2, 1, 'same', false);
      let pooled = tf.avgPool(h, 2, 2, 'valid');
      if (pooled.shape[1] !== r.shape[1] || pooled.shape[2] !== r.shape[2]) {
        r = tf.pad(r, [[0, 0], [0, pooled.shape[1] - r.shape[1]], [0, pooled.shape[2] - r.shape[2]], [0, 0]]);
      }
      if (pooled.shape[3] !== r.shape[3]) pooled = tf.pad(pooled, [[0, 0], [0, 0], [0, 0], [0, r.shape[3] - pooled.shape[3]]]);
      h = tf.relu(tf.add(pooled, r)) as tf.Tensor4D;
    }
  }
  return tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, p.fc);
}

/** NHWC [-1, 1] of any size → the net's input: 0–255, centred square zero padding, 150×150, mean-subtracted, ÷ 255. */
export function dlibInput(images: tf.Tensor4D): tf.Tensor4D {
  if (images.rank !== 4 || images.shape[3] !== 3) throw new UserError(`images must be NHWC [B, H, W, 3], got [${images.shape.join(', ')}]`);
  return tf.tidy(() => {
    let x = tf.mul(tf.add(images, 1), 127.5) as tf.Tensor4D;
    const [, H, W] = x.shape;
    if (H !== W) {
      // face-api's padToSquare(centre): round(diff / 2) zeros after, the rest before
      const diff = Math.abs(H - W);
      const after = Math.round(diff * 0.5);
      const before = diff - after;
      x = H > W ? tf.pad(x, [[0, 0], [0, 0], [before, after], [0, 0]]) : tf.pad(x, [[0, 0], [before, after], [0, 0], [0, 0]]);
    }
    if (x.shape[1] !== DLIB_INPUT) x = tf.image.resizeBilinear(x, [DLIB_INPUT, DLIB_INPUT], false, false);
    return tf.div(tf.sub(x, tf.tensor1d([...DLIB_MEAN_RGB])), 255) as tf.Tensor4D;
  });
}

export async function loadDlibFaceNet(source?: string): Promise<PhotoIdNet> {
  const file = resolveDlibManifest(source);
  const { specs, data } = readWeightsManifest(file);
  let weights: tf.NamedTensorMap;
  try {
    weights = tf.io.decodeWeights(data, specs);
  } catch (err) {
    throw fileError(file, `weights could not be decoded: ${(err as Error).message}`, err);
  }
  let params: DlibParams;
  try {
    params = tf.tidy((): tf.TensorContainer => {
      const fc = weights['fc'];
      if (!fc || fc.rank !== 2) throw fileError(file, `has no 2-D weight 'fc'`);
      return {
        stem: foldConv(weights, 'conv32_down', file),
        blocks: BLOCKS.map(([name, kind]) => ({ kind, conv1: foldConv(weights, `${name}/conv1`, file), conv2: foldConv(weights, `${name}/conv2`, file) })),
        fc: fc.clone() as tf.Tensor2D,
      } as unknown as tf.TensorContainer;
    }) as unknown as DlibParams;
  } finally {
    tf.dispose(weights);
  }
  const dim = params.fc.shape[1];
  return {
    kind: 'dlib',
    dim,
    inputSize: DLIB_INPUT,
    distance: 'euclidean',
    source: file,
    embed: (images) => tf.tidy(() => forward(params, dlibInput(images))),
    dispose: () => tf.dispose(params as unknown as tf.TensorContainer),
  };
}
