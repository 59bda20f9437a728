/**
 * AUEditNet's objectives (Eq. 4–8), all batch means. Images are NHWC in [-1, 1]. The frozen
 * networks come in as functions so the losses stay independent of how they are loaded:
 *   fpre(a, b)  → { delta [B, N], featuresB: f_k(b) }       the Siamese F_pre (Eq. 6)
 *   fid(x, fs?) → unit embeddings [B, E], block outputs in fs  F_id (Eq. 7; its blocks serve L_P)
 */
import { tf } from '../runtime/tf.js';
import { featureMse } from '../nn/featureMse.js';
import type { Labels } from './auEditNet.js';
import type { LevelLabels } from './psi.js';

export type FpreFn = (a: tf.Tensor4D, b: tf.Tensor4D) => { delta: tf.Tensor2D; featuresB: tf.Tensor4D[] };
export type FidFn = (x: tf.Tensor4D, features?: tf.Tensor4D[]) => tf.Tensor2D;

/** Eq. 5, pixel term: MSE(Î_tar, I_tar). */
export function lossR(iHat: tf.Tensor4D, iTar: tf.Tensor4D): tf.Scalar {
  return tf.losses.meanSquaredError(iTar, iHat) as tf.Scalar;
}

export { featureMse };

/**
 * Eq. 5, perceptual term: feature MSE in the frozen F_id's blocks. The paper's F_pcept is a VGG
 * (LPIPS-style); no ImageNet weights can be downloaded here, and the ID-metric net and H_est are
 * reserved for evaluation, so the face network that training already uses provides the features.
 */
export function lossP(fid: FidFn, iHat: tf.Tensor4D, iTar: tf.Tensor4D): tf.Scalar {
  const fh: tf.Tensor4D[] = [], ft: tf.Tensor4D[] = [];
  fid(iHat, fh);
  fid(iTar, ft);
  return featureMse(fh, ft);
}

/**
 * Eq. 6: (1/K) Σ_k MSE(f_k(Î_tar), f_k(I_tar)) + (1/N)·||F_pre(I_src, Î_tar) − F_pre(I_src, I_tar)||²
 * (the second term is the mean over the N AUs). F_pre is Siamese: both calls share I_src.
 */
export function lossF(fpre: FpreFn, iSrc: tf.Tensor4D, iHat: tf.Tensor4D, iTar: tf.Tensor4D): tf.Scalar {
  const hat = fpre(iSrc, iHat);
  const real = fpre(iSrc, iTar);
  return tf.add(featureMse(hat.featuresB, real.featuresB), tf.losses.meanSquaredError(real.delta, hat.delta)) as tf.Scalar;
}

/**
 * Neutral loss (ours; config lambda.N): (1/N)·||F_pre(I_src, Î_N) + a_src||². F_pre predicts the
 * AU change from its first image to its second, so a neutral Î_N of the source face is a change of
 * −a_src. Eq. 4 constrains Ŵ_N only through L_ID and through Ŵ_tar = Ŵ_N + ΔŴ_tar, which leaves the
 * split between Ŵ_N and ΔŴ_tar free; this pins it with the same frozen F_pre that L_F uses.
 */
export function lossN(fpre: FpreFn, iSrc: tf.Tensor4D, iN: tf.Tensor4D, aSrc: tf.Tensor2D): tf.Scalar {
  return tf.losses.meanSquaredError(tf.neg(aSrc), fpre(iSrc, iN).delta) as tf.Scalar;
}

/**
 * Neutral reconstruction (ours; config lambda.RN): MSE(Î_N, I_0) + feature MSE in F_id's blocks,
 * with I_0 a rest frame (every label 0) of the source's subject — Eq. 5's two terms with a neutral
 * frame of the same person as the target, as L_R uses another frame of the same person for Î_tar.
 */
export function lossRN(fid: FidFn, iN: tf.Tensor4D, iRest: tf.Tensor4D): tf.Scalar {
  return tf.add(lossR(iN, iRest), lossP(fid, iN, iRest)) as tf.Scalar;
}

/**
 * Neutral AU features (ours; config lambda.RNF): Eq. 6 with the rest frame I_0 as both F_pre's
 * reference and the target, i.e. lossF(fpre, I_0, Î_N, I_0): F_pre's features and its predicted
 * change from I_0 should not tell Î_N from I_0.
 */
export function lossRNF(fpre: FpreFn, iN: tf.Tensor4D, iRest: tf.Tensor4D): tf.Scalar {
  return lossF(fpre, iRest, iN, iRest);
}

/** Eq. 7: Σ over Î ∈ {Î_tar, Î_N} of 1 − cos(F_id(Î), F_id(I_tar)), averaged over the batch. */
export function lossID(fid: FidFn, iHat: tf.Tensor4D, iN: tf.Tensor4D, iTar: tf.Tensor4D): tf.Scalar {
  const e = fid(tf.concat([iHat, iN, iTar], 0));
  const [eh, en, et] = tf.split(e, 3, 0) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  // embeddings are unit length: cos = dot
  const cosH = tf.sum(tf.mul(eh, et), 1), cosN = tf.sum(tf.mul(en, et), 1);
  return tf.mean(tf.add(tf.sub(1, cosH), tf.sub(1, cosN))) as tf.Scalar;
}

/**
 * Eq. 8 with MSE for both ξ ∈ {c, a} (c as probabilities): the image-level estimates decoded by
 * Ψ_dec against the source labels, plus the level-wise estimates against Ψ_enc of the source
 * labels (the pseudo-labels); each term is a mean over AUs (and levels), as 1/N and 1/M say.
 * Without label mapping `pseudo` is the labels repeated per level and `decoded` their level mean.
 */
export function lossL(decoded: Labels, truth: Labels, levels: LevelLabels, pseudo: LevelLabels): tf.Scalar {
  const image = tf.add(tf.losses.meanSquaredError(truth.c, decoded.c), tf.losses.meanSquaredError(truth.a, decoded.a));
  const level = tf.add(tf.losses.meanSquaredError(pseudo.c, levels.c), tf.losses.meanSquaredError(pseudo.a, levels.a));
  return tf.add(image, level) as tf.Scalar;
}
