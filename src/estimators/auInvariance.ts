import { AU_COUNT, AU_ORDER } from '../data/aus.js';
import { cosineDistance } from '../eval/identity.js';
import { renderRgb } from '../synth/canvas-node.js';
import { sampleIdentity } from '../synth/identity.js';
import { tf } from '../runtime/tf.js';
import { type IdNetConfig, idForward } from './idnet.js';
import type { Estimator } from './model.js';
import { scoped } from '../runtime/scoped.js';

export interface AuInvariance {
  identities: number;
  /** Mean 1 − cos between a neutral face and the same face with one AU at 4, per AU. */
  perAu: { au: number; distance: number }[];
  meanAuDistance: number;
  /** Mean 1 − cos between neutral faces of different identities. */
  meanIdentityDistance: number;
  /** meanAuDistance / meanIdentityDistance: how much an expression looks like a new person. */
  ratio: number;
}

/**
 * Measured on oracle renders of identities the network never saw (seeds outside any data set),
 * so that only the AUs change between the two faces of a pair.
 */
export function auInvariance(est: Estimator, identities: number, seedBase = 0x1d5eed): AuInvariance {
  const cfg = est.config as IdNetConfig;
  const ids = Array.from({ length: identities }, (_, i) => sampleIdentity(seedBase + i));
  const embed = (pixels: Uint8Array[]): Float32Array[] =>
    scoped(() => {
      const n = est.size * est.size * 3;
      const x = new Float32Array(pixels.length * n);
      pixels.forEach((p, b) => p.forEach((v, k) => (x[b * n + k] = v / 127.5 - 1)));
      const e = idForward(est.params, cfg, tf.tensor4d(x, [pixels.length, est.size, est.size, 3]), false).dataSync() as Float32Array;
      return pixels.map((_, b) => e.slice(b * cfg.embedding, (b + 1) * cfg.embedding));
    });
  const neutral = embed(ids.map((identity) => renderRgb({ identity, aus: new Float64Array(AU_COUNT) }, est.size)));
  const perAu = AU_ORDER.map((au, j) => {
    const aus = new Float64Array(AU_COUNT);
    aus[j] = 4;
    const moved = embed(ids.map((identity) => renderRgb({ identity, aus }, est.size)));
    return { au, distance: moved.reduce((s, e, i) => s + cosineDistance(e, neutral[i]!), 0) / identities };
  });
  let between = 0, count = 0;
  for (let i = 0; i < identities; i++) for (let k = i + 1; k < identities; k++, count++) between += cosineDistance(neutral[i]!, neutral[k]!);
  const meanAu = perAu.reduce((s, x) => s + x.distance, 0) / perAu.length;
  const meanId = between / count;
  return { identities, perAu, meanAuDistance: meanAu, meanIdentityDistance: meanId, ratio: meanAu / meanId };
}
