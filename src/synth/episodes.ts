/**
 * DISFA-like AU time courses: expression episodes (onset – apex – offset) drawn from prototypes
 * with the co-occurrences of spontaneous behaviour (1+2, 6+12, 25+26, 4 alone, 15+17 …), on top of
 * speech-like lip parting and a per-subject resting mouth. Most frames of most AUs stay at 0, as in
 * DISFA. Values are continuous truth; the label files hold their rounded values.
 */
import { AU_COUNT, AU_ORDER, auIndex } from '../data/aus.js';
import { mixSeed, Rng } from '../data/random.js';

interface Member {
  au: number;
  /** Peak intensity: mean and spread (normal, clipped to [0.3, 5]). */
  peak: number;
  sd: number;
  /** Chance the AU takes part in an episode of this prototype. */
  p: number;
  /** Frames by which this AU starts later than the episode (e.g. AU6 after AU12). */
  lag?: number;
}

interface Prototype {
  name: string;
  weight: number;
  members: Member[];
}

/** Episode prototypes and their relative frequencies, tuned against DISFA's base rates (docs/synthfacs.md). */
export const PROTOTYPES: readonly Prototype[] = [
  { name: 'smile', weight: 6, members: [{ au: 12, peak: 1.45, sd: 0.8, p: 1 }, { au: 6, peak: 1.25, sd: 0.7, p: 0.45, lag: 4 }, { au: 25, peak: 1.6, sd: 0.8, p: 0.4 }, { au: 26, peak: 1.2, sd: 0.6, p: 0.12 }] },
  { name: 'laugh', weight: 1.1, members: [{ au: 12, peak: 3.8, sd: 0.8, p: 1 }, { au: 6, peak: 2.8, sd: 0.8, p: 0.95, lag: 3 }, { au: 25, peak: 3.4, sd: 0.9, p: 0.95 }, { au: 26, peak: 2.8, sd: 1, p: 0.8, lag: 2 }] },
  { name: 'surprise', weight: 0.7, members: [{ au: 1, peak: 1.8, sd: 0.9, p: 1 }, { au: 2, peak: 1.5, sd: 0.8, p: 0.7 }, { au: 5, peak: 1.8, sd: 0.8, p: 0.5 }, { au: 25, peak: 2, sd: 0.8, p: 0.5 }, { au: 26, peak: 2, sd: 0.9, p: 0.4 }] },
  { name: 'frown', weight: 2.7, members: [{ au: 4, peak: 2.6, sd: 1.1, p: 1 }] },
  { name: 'sad', weight: 0.55, members: [{ au: 1, peak: 1.8, sd: 0.7, p: 1 }, { au: 4, peak: 2, sd: 0.8, p: 0.9 }, { au: 15, peak: 1.8, sd: 0.8, p: 0.7 }, { au: 17, peak: 1.8, sd: 0.8, p: 0.5 }] },
  { name: 'disgust', weight: 0.75, members: [{ au: 9, peak: 2.6, sd: 1, p: 1 }, { au: 4, peak: 1.8, sd: 0.8, p: 0.55 }, { au: 25, peak: 1.6, sd: 0.7, p: 0.4 }, { au: 17, peak: 1.5, sd: 0.6, p: 0.25 }, { au: 15, peak: 1.4, sd: 0.6, p: 0.2 }] },
  { name: 'doubt', weight: 0.85, members: [{ au: 17, peak: 2.2, sd: 0.9, p: 1 }, { au: 15, peak: 1.6, sd: 0.8, p: 0.55 }, { au: 4, peak: 1.4, sd: 0.6, p: 0.2 }] },
  { name: 'fear', weight: 0.3, members: [{ au: 1, peak: 2.6, sd: 0.8, p: 1 }, { au: 2, peak: 2.3, sd: 0.8, p: 0.85 }, { au: 4, peak: 1.8, sd: 0.8, p: 0.8 }, { au: 5, peak: 2, sd: 0.8, p: 0.7 }, { au: 20, peak: 2.2, sd: 0.8, p: 0.75 }, { au: 25, peak: 2.2, sd: 0.8, p: 0.85 }, { au: 26, peak: 1.6, sd: 0.7, p: 0.5 }] },
  { name: 'grimace', weight: 0.4, members: [{ au: 20, peak: 2.2, sd: 0.9, p: 1 }, { au: 25, peak: 1.6, sd: 0.7, p: 0.6 }, { au: 4, peak: 1.5, sd: 0.6, p: 0.3 }, { au: 12, peak: 1.4, sd: 0.6, p: 0.2 }] },
  { name: 'brow-flash', weight: 0.3, members: [{ au: 1, peak: 1.3, sd: 0.5, p: 1 }, { au: 2, peak: 1.1, sd: 0.5, p: 0.8 }] },
];

/** Reference frame rate of the sequences (DISFA videos are 20 fps). */
export const FRAME_RATE = 20;

function smoothstep(t: number): number {
  const x = t < 0 ? 0 : t > 1 ? 1 : t;
  return x * x * (3 - 2 * x);
}

interface Event {
  au: number;
  start: number;
  onset: number;
  apex: number;
  offset: number;
  peak: number;
  wobble: number;
  phase: number;
}

function eventValue(e: Event, t: number): number {
  const x = t - e.start;
  if (x <= 0) return 0;
  let env: number;
  if (x < e.onset) env = smoothstep(x / e.onset);
  else if (x < e.onset + e.apex) env = 1;
  else env = 1 - smoothstep((x - e.onset - e.apex) / e.offset);
  if (env <= 0) return 0;
  const wobble = 1 + e.wobble * Math.sin(e.phase + (x / FRAME_RATE) * 2.3);
  return env * e.peak * wobble;
}

function clampPeak(v: number): number {
  return Math.min(5, Math.max(0.3, v));
}

/** Per-subject behaviour: how often each prototype occurs and a resting mouth. */
interface Temperament {
  rate: number[];
  activity: number;
  restingLips: number;
  talkiness: number;
}

function temperament(rng: Rng): Temperament {
  return {
    rate: PROTOTYPES.map((p) => p.weight * Math.exp(rng.normal(0, 0.55))),
    activity: Math.exp(rng.normal(0, 0.3)),
    // about a quarter of people rest with the lips slightly apart, as DISFA's frequent low AU25 shows
    restingLips: rng.chance(0.25) ? rng.uniform(0.4, 1.4) : 0,
    talkiness: Math.exp(rng.normal(0, 0.5)),
  };
}

/**
 * AU intensities for `frames` frames of one subject, frame-major (frame f, AU i at f × 12 + i),
 * rounded to 1e-4 so the truth files reproduce them exactly.
 */
export function auSequence(subject: string, frames: number, seed: number): Float64Array {
  const rng = new Rng(mixSeed('disfa-episodes', seed, subject));
  const temp = temperament(rng.fork('temperament'));
  const events: Event[] = [];
  const totalRate = temp.rate.reduce((a, b) => a + b, 0);

  // expression episodes, one at a time, separated by neutral gaps
  const ep = rng.fork('episodes');
  let t = ep.exponential(60 / temp.activity);
  while (t < frames) {
    const proto = PROTOTYPES[ep.weighted(temp.rate)]!;
    const onset = 4 + ep.exponential(6);
    const apex = 8 + ep.exponential(30);
    const offset = 6 + ep.exponential(10);
    const scale = Math.exp(ep.normal(0, 0.2));
    for (const m of proto.members) {
      if (!ep.chance(m.p)) continue;
      events.push({
        au: m.au,
        start: t + (m.lag ?? 0) + ep.uniform(-1.5, 1.5),
        onset: onset * ep.uniform(0.8, 1.25),
        apex: Math.max(3, apex - (m.lag ?? 0) + ep.uniform(-3, 3)),
        offset: offset * ep.uniform(0.8, 1.25),
        peak: clampPeak(ep.normal(m.peak, m.sd) * scale),
        wobble: ep.uniform(0, 0.1),
        phase: ep.uniform(0, Math.PI * 2),
      });
    }
    t += onset + apex + offset + ep.exponential((70 * PROTOTYPES.length) / totalRate / temp.activity);
  }

  // speech-like lip parting, independent of the episodes
  const sp = rng.fork('speech');
  let s = sp.exponential(220 / temp.talkiness);
  while (s < frames) {
    const dur = 10 + sp.exponential(25);
    const withJaw = sp.chance(0.45);
    const peak = clampPeak(sp.normal(1.9, 0.6));
    events.push({ au: 25, start: s, onset: 4, apex: dur, offset: 5, peak, wobble: 0.25, phase: sp.uniform(0, 6.3) });
    if (withJaw) events.push({ au: 26, start: s + 1, onset: 4, apex: dur - 2, offset: 5, peak: clampPeak(peak * sp.uniform(0.6, 1)), wobble: 0.3, phase: sp.uniform(0, 6.3) });
    s += dur + sp.exponential(220 / temp.talkiness);
  }

  const out = new Float64Array(frames * AU_COUNT);
  const i25 = auIndex(25);
  for (let f = 0; f < frames; f++) out[f * AU_COUNT + i25] = temp.restingLips;
  for (const e of events) addEvent(out, e, auIndex(e.au), frames);
  return roundTruth(out);
}

/** Lays an event's time course over AU column i (overlapping events keep the larger value); returns the frame after its end. */
function addEvent(out: Float64Array, e: Event, i: number, frames: number): number {
  const to = Math.min(frames, Math.ceil(e.start + e.onset + e.apex + e.offset) + 1);
  for (let f = Math.max(0, Math.floor(e.start)); f < to; f++) {
    const v = eventValue(e, f);
    const k = f * AU_COUNT + i;
    if (v > out[k]!) out[k] = v;
  }
  return to;
}

/** Clips to 5 and rounds to 1e-4, so truth files reproduce the values exactly. */
function roundTruth(out: Float64Array): Float64Array {
  for (let k = 0; k < out.length; k++) out[k] = Math.round(Math.min(5, out[k]!) * 1e4) / 1e4;
  return out;
}

/** DISFA label value of a truth intensity: the nearest integer in 0–5. */
export function labelOf(intensity: number): number {
  return Math.min(5, Math.max(0, Math.round(intensity)));
}

/**
 * AU time courses in which every AU has its own episodes, independent of the others, with peaks
 * spread evenly over 0.5–5: the "posed" counterpart of `auSequence`. In spontaneous data AUs
 * co-occur (AU5 with AU1 + AU2, AU6 with AU12) and high intensities are rare, so an estimator
 * trained on it alone learns to read an AU from its companions (docs/decisions.md, H_est); frames
 * of the same people where each AU moves on its own break that shortcut. Each AU is active
 * (≥ 0.5) in roughly a third of the frames; any mix of AUs occurs. Same frame-major layout.
 */
export function independentAuSequence(subject: string, frames: number, seed: number): Float64Array {
  const out = new Float64Array(frames * AU_COUNT);
  for (let i = 0; i < AU_COUNT; i++) {
    const rng = new Rng(mixSeed('independent-episodes', seed, subject, i));
    let t = rng.exponential(40);
    while (t < frames) {
      const e: Event = {
        au: AU_ORDER[i]!,
        start: t,
        onset: 3 + rng.exponential(4),
        apex: 6 + rng.exponential(14),
        offset: 3 + rng.exponential(5),
        peak: rng.uniform(0.5, 5),
        wobble: rng.uniform(0, 0.1),
        phase: rng.uniform(0, Math.PI * 2),
      };
      t = addEvent(out, e, i, frames) + rng.exponential(40);
    }
  }
  return roundTruth(out);
}
