/** Shared helpers for the SynthFACS tests (no vitest imports: hash-child.ts runs them outside vitest). */
import { createHash } from 'node:crypto';
import { auVector } from '../../src/data/aus.js';
import { renderRgb } from '../../src/synth/canvas-node.js';
import { sampleIdentity, subjectIdentity } from '../../src/synth/identity.js';
import { sampleNuisance } from '../../src/synth/nuisance.js';
import { Rng } from '../../src/data/random.js';
import type { FaceSpec } from '../../src/synth/render.js';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The faces whose pixels the determinism tests pin: neutral, expressive, with nuisance, a subject. */
export function referenceSpecs(): Array<{ name: string; spec: FaceSpec; size: number }> {
  return [
    { name: 'seed1-neutral-64', spec: { identity: sampleIdentity(1), aus: auVector() }, size: 64 },
    { name: 'seed2-smile-64', spec: { identity: sampleIdentity(2), aus: auVector({ 6: 3, 12: 4, 25: 2 }) }, size: 64 },
    { name: 'SN005-fear-nuisance-128', spec: { identity: subjectIdentity('SN005'), aus: auVector({ 1: 3.5, 2: 3, 4: 2, 5: 2.5, 20: 3, 25: 3, 26: 2 }), nuisance: sampleNuisance(new Rng(7)) }, size: 128 },
    { name: 'seed9-mixed-256', spec: { identity: sampleIdentity(9), aus: auVector({ 9: 3, 17: 2.5, 15: 2 }) }, size: 256 },
  ];
}

/** Mean-pooled thumbnail (RGB bytes) of a size × size image, for tolerant cross-machine comparison. */
export function thumbnail(rgb: Uint8Array, size: number, thumb = 16): number[] {
  const k = size / thumb;
  const out: number[] = [];
  for (let ty = 0; ty < thumb; ty++) {
    for (let tx = 0; tx < thumb; tx++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let y = ty * k; y < (ty + 1) * k; y++) for (let x = tx * k; x < (tx + 1) * k; x++) s += rgb[(y * size + x) * 3 + c]!;
        out.push(Math.round(s / (k * k)));
      }
    }
  }
  return out;
}

export function referenceHashes(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of referenceSpecs()) out[r.name] = sha256(renderRgb(r.spec, r.size));
  return out;
}
