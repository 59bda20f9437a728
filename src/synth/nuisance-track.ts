/**
 * Per-frame nuisance of a video-like sequence: the head drifts and turns a little and smoothly, while
 * the room (background, light direction) stays that of the recording session.
 */
import { mixSeed, Rng } from '../data/random.js';
import { NEUTRAL_NUISANCE, sampleNuisance, type Nuisance } from './nuisance.js';
import { FRAME_RATE } from './episodes.js';

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

interface Wave {
  amp: number;
  period: number;
  phase: number;
}

function waves(rng: Rng, amp: number, count: number): Wave[] {
  return Array.from({ length: count }, (_, i) => ({
    amp: amp * rng.uniform(0.4, 1) / (i + 1),
    period: FRAME_RATE * rng.uniform(3, 14) / (i + 1),
    phase: rng.uniform(0, Math.PI * 2),
  }));
}

function at(ws: Wave[], t: number): number {
  let v = 0;
  for (const w of ws) v += w.amp * Math.sin(w.phase + (2 * Math.PI * t) / w.period);
  return v;
}

/** `enabled` false gives the neutral nuisance on every frame (the `--no-nuisance` data sets). */
export function nuisanceTrack(subject: string, frames: number, seed: number, enabled: boolean): Nuisance[] {
  if (!enabled) return Array.from({ length: frames }, () => NEUTRAL_NUISANCE);
  const rng = new Rng(mixSeed('disfa-nuisance', seed, subject));
  const session = sampleNuisance(rng);
  const yaw = waves(rng, 4.5, 2);
  const roll = waves(rng, 2.5, 2);
  const sx = waves(rng, 0.01, 2);
  const sy = waves(rng, 0.008, 2);
  const sc = waves(rng, 0.015, 1);
  const flicker = waves(rng, 0.01, 1);
  const yaw0 = rng.uniform(-2, 2);
  const out: Nuisance[] = [];
  for (let f = 0; f < frames; f++) {
    out.push({
      ...session,
      yaw: round4(yaw0 + at(yaw, f)),
      roll: round4(at(roll, f)),
      scale: round4(1 + at(sc, f)),
      shiftX: round4(at(sx, f)),
      shiftY: round4(at(sy, f)),
      lightAngle: round4(session.lightAngle),
      lightStrength: round4(session.lightStrength),
      exposure: round4(session.exposure * (1 + at(flicker, f))),
      bgHue: round4(session.bgHue),
      bgLightness: round4(session.bgLightness),
      bgGradient: round4(session.bgGradient),
    });
  }
  return out;
}
