/**
 * The frozen networks of the editor's losses as plain functions: F_pre (Siamese, Eq. 6) and F_id
 * (Eq. 7, its blocks for L_P), in eval mode with their weights excluded from training.
 */
import { fpreForward, type FpreConfig } from '../estimators/fpre.js';
import { idForward, type IdNetConfig } from '../estimators/idnet.js';
import type { Estimator } from '../estimators/model.js';
import type { FidFn, FpreFn } from './losses.js';

export function frozenFpre(est: Estimator): FpreFn {
  if (est.kind !== 'fpre') throw new Error(`expected an F_pre network, got '${est.kind}'`);
  est.params.setTrainable(false);
  return (a, b) => {
    const o = fpreForward(est.params, est.config as FpreConfig, a, b, false);
    return { delta: o.delta, featuresB: o.featuresB };
  };
}

export function frozenFid(est: Estimator): FidFn {
  if (est.kind !== 'fid' && est.kind !== 'idmetric') throw new Error(`expected an identity network, got '${est.kind}'`);
  est.params.setTrainable(false);
  return (x, features) => idForward(est.params, est.config as IdNetConfig, x, false, features);
}
