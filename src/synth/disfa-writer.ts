/**
 * `synth disfa`: a SynthFACS data set in the exact layout of DISFA, so every reader and script made
 * for DISFA works on it, plus the oracle (truth/) DISFA cannot have.
 *
 *   ActionUnit_Labels/SNxxx/SNxxx_au{N}.txt   "frame,intensity" per line, frames from 1, integers 0–5
 *   Frames/SNxxx/{frame:05d}.png               the frame with the same 1-based number
 *   truth/SNxxx.jsonl                          {"frame", "aus" (AU_ORDER, continuous), "nuisance"}
 *   manifest.json                              written last: a folder without it is incomplete
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AU_COUNT, AU_ORDER } from '../data/aus.js';
import { DISFA_SUBJECTS } from '../data/folds.js';
import { writeFileAtomic } from '../io/atomic.js';
import { AU_ORDER_LIST, ensureDir, factorRanges, generatorInfo, prepareOutput, writeJson, writeJsonLines } from './dataset-common.js';
import { auSequence, FRAME_RATE, independentAuSequence, labelOf } from './episodes.js';
import { subjectIdentity, subjectSeed } from './identity.js';
import { nuisanceTrack } from './nuisance-track.js';
import { renderAll, type RenderJob } from './render-pool.js';

export interface DisfaOptions {
  out: string;
  size: number;
  frames: number;
  subjects?: readonly string[];
  seed: number;
  nuisance: boolean;
  /** 'disfa' (default): spontaneous, co-occurring episodes; 'independent': every AU on its own (see `independentAuSequence`). */
  episodes?: EpisodeStyle;
  workers?: number;
  force?: boolean;
  /** Package version for the manifest. */
  version?: string;
  /** Called once the frame count is known, then with the number of frames written so far. */
  onStart?: (totalFrames: number) => void;
  onProgress?: (framesDone: number) => void;
}

export interface DisfaSummary {
  subjects: string[];
  frames: number;
  /** Share of frames with label ≥ 1 and ≥ 2 per AU, in AU_ORDER. */
  baseRate1: number[];
  baseRate2: number[];
  anyAu: number;
}

export type EpisodeStyle = 'disfa' | 'independent';
export const EPISODE_STYLES: readonly EpisodeStyle[] = ['disfa', 'independent'];

export const frameFile = (frame: number) => `${String(frame).padStart(5, '0')}.png`;

export async function writeDisfa(opts: DisfaOptions): Promise<DisfaSummary> {
  const subjects = [...(opts.subjects ?? DISFA_SUBJECTS)];
  const episodes = opts.episodes ?? 'disfa';
  if (!EPISODE_STYLES.includes(episodes)) throw new Error(`episodes must be one of ${EPISODE_STYLES.join(', ')}, got ${String(episodes)}`);
  prepareOutput(opts.out, opts.force ?? false);
  const jobs: RenderJob[] = [];
  const ge1 = new Array<number>(AU_COUNT).fill(0);
  const ge2 = new Array<number>(AU_COUNT).fill(0);
  let anyAu = 0;
  const manifestSubjects: unknown[] = [];

  ensureDir(join(opts.out, 'truth'));
  for (const subject of subjects) {
    const identity = subjectIdentity(subject);
    const aus = (episodes === 'independent' ? independentAuSequence : auSequence)(subject, opts.frames, opts.seed);
    const nuisance = nuisanceTrack(subject, opts.frames, opts.seed, opts.nuisance);
    const labelDir = join(opts.out, 'ActionUnit_Labels', subject);
    const frameDir = join(opts.out, 'Frames', subject);
    ensureDir(labelDir);
    ensureDir(frameDir);
    removeStaleFrames(frameDir, opts.frames);

    const lines: string[] = AU_ORDER.map(() => '');
    const truth: unknown[] = [];
    for (let f = 0; f < opts.frames; f++) {
      const row = Array.from(aus.subarray(f * AU_COUNT, (f + 1) * AU_COUNT));
      let any = false;
      for (let i = 0; i < AU_COUNT; i++) {
        const label = labelOf(row[i]!);
        lines[i] += `${f + 1},${label}\n`;
        if (label >= 1) {
          ge1[i]!++;
          any = true;
        }
        if (label >= 2) ge2[i]!++;
      }
      if (any) anyAu++;
      truth.push({ frame: f + 1, aus: row, nuisance: opts.nuisance ? nuisance[f] : null });
      jobs.push({ path: join(frameDir, frameFile(f + 1)), identity, aus: row, nuisance: opts.nuisance ? nuisance[f]! : null });
    }
    await Promise.all(AU_ORDER.map((au, i) => writeFileAtomic(join(labelDir, `${subject}_au${au}.txt`), lines[i]!)));
    await writeJsonLines(join(opts.out, 'truth', `${subject}.jsonl`), truth);
    manifestSubjects.push({ id: subject, identitySeed: subjectSeed(subject), identity });
  }

  opts.onStart?.(jobs.length);
  await renderAll(jobs, { size: opts.size, workers: opts.workers, onProgress: opts.onProgress });

  const total = subjects.length * opts.frames;
  const summary: DisfaSummary = {
    subjects,
    frames: opts.frames,
    baseRate1: ge1.map((c) => round(c / total)),
    baseRate2: ge2.map((c) => round(c / total)),
    anyAu: round(anyAu / total),
  };
  await writeJson(join(opts.out, 'manifest.json'), {
    kind: 'disfa',
    generator: generatorInfo(opts.version),
    seed: opts.seed,
    episodes,
    size: opts.size,
    frames: opts.frames,
    frameRate: FRAME_RATE,
    nuisance: opts.nuisance,
    auOrder: AU_ORDER_LIST,
    labels: 'round(clamp(truth, 0, 5)); half rounds up',
    layout: {
      labels: 'ActionUnit_Labels/{subject}/{subject}_au{au}.txt',
      labelLine: '{frame},{intensity}',
      frames: 'Frames/{subject}/{frame:05d}.png',
      truth: 'truth/{subject}.jsonl',
      frameNumbers: 'from 1, the same numbers in label files, frame file names and truth',
    },
    labelStats: { baseRate1: summary.baseRate1, baseRate2: summary.baseRate2, anyAu: summary.anyAu },
    subjects: manifestSubjects,
    factorRanges: factorRanges(),
  });
  return summary;
}

function round(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

/** With --force over an earlier, longer set: frames past the new end would silently linger. */
function removeStaleFrames(dir: string, frames: number): void {
  for (const name of readdirSync(dir)) {
    const m = /^(\d{5})\.png$/.exec(name);
    if (m && Number(m[1]) > frames) rmSync(join(dir, name));
  }
}
