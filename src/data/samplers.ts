/**
 * Seeded frame samplers for training: pairs (two frames of one subject, for the Siamese estimator)
 * and triples (src and tar of one subject, rnd of another, for AUEditNet's dual branch). DISFA is
 * mostly neutral frames, so `activeShare` can ask for frames with some AU on more often than their
 * share.
 */
import { UserError } from '../errors.js';
import { AU_COUNT } from './aus.js';
import type { DisfaDataset, DisfaSubject } from './disfa.js';
import { mixSeed, Rng } from './random.js';

export interface FrameRef {
  subject: string;
  /** 1-based, as in the label files. */
  frame: number;
}

export interface Pair {
  a: FrameRef;
  b: FrameRef;
}

export interface Triple {
  src: FrameRef;
  tar: FrameRef;
  rnd: FrameRef;
}

export interface SamplerOptions {
  seed: number;
  /** Restrict to these subjects (e.g. a fold's training part). Default: all. */
  subjects?: readonly string[];
  /**
   * Probability of drawing a frame where some AU is ≥ 1 (when the subject has one); the rest are
   * drawn uniformly from all frames. Default: undefined = every frame equally likely.
   */
  activeShare?: number;
}

interface SubjectIndex {
  subject: DisfaSubject;
  active: Int32Array;
}

export class FrameSampler {
  private readonly rng: Rng;
  private readonly pool: SubjectIndex[];
  private readonly activeShare: number | undefined;

  constructor(data: DisfaDataset, options: SamplerOptions) {
    this.rng = new Rng(mixSeed('frame-sampler', options.seed));
    const ids = options.subjects ?? data.subjects.map((s) => s.id);
    this.pool = ids.map((id) => {
      const subject = data.subject(id);
      const active: number[] = [];
      for (let f = 0; f < subject.frames; f++) {
        for (let i = 0; i < AU_COUNT; i++) {
          if (subject.labels[f * AU_COUNT + i]! > 0) {
            active.push(f + 1);
            break;
          }
        }
      }
      return { subject, active: Int32Array.from(active) };
    });
    if (this.pool.length === 0) throw new UserError('the sampler has no subjects');
    if (options.activeShare !== undefined && !(options.activeShare >= 0 && options.activeShare <= 1)) {
      throw new UserError(`activeShare must be between 0 and 1, got ${options.activeShare}`);
    }
    this.activeShare = options.activeShare;
  }

  private frameOf(s: SubjectIndex): number {
    if (this.activeShare !== undefined && s.active.length > 0 && this.rng.chance(this.activeShare)) return s.active[this.rng.int(s.active.length)]!;
    return 1 + this.rng.int(s.subject.frames);
  }

  /** One frame; subjects are equally likely (DISFA subjects have equal frame counts). */
  frame(): FrameRef {
    const s = this.pool[this.rng.int(this.pool.length)]!;
    return { subject: s.subject.id, frame: this.frameOf(s) };
  }

  /** Two different frames of one subject. */
  pair(): Pair {
    const candidates = this.pool.filter((s) => s.subject.frames >= 2);
    if (candidates.length === 0) throw new UserError('pairs need a subject with at least 2 frames');
    const s = candidates[this.rng.int(candidates.length)]!;
    const a = this.frameOf(s);
    let b = this.frameOf(s);
    for (let tries = 0; b === a && tries < 32; tries++) b = this.frameOf(s);
    if (b === a) b = a === 1 ? 2 : a - 1;
    return { a: { subject: s.subject.id, frame: a }, b: { subject: s.subject.id, frame: b } };
  }

  /** src and tar from one subject (in random roles), rnd from another. */
  triple(): Triple {
    if (this.pool.length < 2) throw new UserError('triples need at least 2 subjects');
    const { a, b } = this.pair();
    let other = this.pool[this.rng.int(this.pool.length)]!;
    while (other.subject.id === a.subject) other = this.pool[this.rng.int(this.pool.length)]!;
    return { src: a, tar: b, rnd: { subject: other.subject.id, frame: this.frameOf(other) } };
  }
}
