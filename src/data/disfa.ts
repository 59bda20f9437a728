/**
 * Reader for the DISFA layout — the real DISFA (its ActionUnit_Labels folder plus frames extracted
 * from the videos into one folder per subject) and the SynthFACS sets written by `synth disfa`,
 * which use the same layout and add a manifest and truth files.
 */
import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileError, UserError } from '../errors.js';
import { describeFsError } from '../io/files.js';
import { AU_COUNT, AU_ORDER } from './aus.js';
import { parseLabelFile } from './labels.js';

export interface DisfaSubject {
  readonly id: string;
  /** Number of labelled frames; frames are numbered 1 … frames. */
  readonly frames: number;
  /** Intensities frame-major: frame f (1-based), AU i (AU_ORDER) at (f − 1) × 12 + i. */
  readonly labels: Uint8Array;
}

export interface OpenDisfaOptions {
  /** Label folder (default `<root>/ActionUnit_Labels`). */
  labelsDir?: string;
  /** Frame folder holding one folder per subject (default `<root>/Frames`). */
  framesDir?: string;
  /**
   * Frame file name inside the subject's folder. Tokens: {frame} (1-based, as in the label files),
   * {index} (0-based), either with a width such as {frame:05d}, and {subject}. A pattern with a
   * slash is taken relative to framesDir. Default `{frame:05d}.png`.
   */
  framePattern?: string;
  /** Only these subjects (default: every SNxxx folder of the label folder). */
  subjects?: readonly string[];
  /** Check that each subject's first and last frame files exist (default true). */
  checkFrames?: boolean;
}

export interface DisfaDataset {
  readonly root: string;
  /** 'synthfacs' when a SynthFACS manifest.json is present, else 'disfa'. */
  readonly kind: 'synthfacs' | 'disfa';
  readonly manifest: Readonly<Record<string, unknown>> | null;
  readonly subjects: readonly DisfaSubject[];
  /** Things worth knowing that did not stop the reader (e.g. label files of unequal length). */
  readonly warnings: readonly string[];
  subject(id: string): DisfaSubject;
  /** Intensities of one frame in AU_ORDER (a view into the subject's labels). */
  label(subject: string, frame: number): Uint8Array;
  framePath(subject: string, frame: number): string;
}

export const DEFAULT_FRAME_PATTERN = '{frame:05d}.png';

export function labelFilePath(labelsDir: string, subject: string, au: number): string {
  return join(labelsDir, subject, `${subject}_au${au}.txt`);
}

function formatFrame(pattern: string, subject: string, frame: number): string {
  return pattern.replace(/\{(frame|index|subject)(?::0?(\d+)d)?\}/g, (_, name: string, width: string | undefined) => {
    if (name === 'subject') return subject;
    const v = String(name === 'frame' ? frame : frame - 1);
    return width ? v.padStart(Number(width), '0') : v;
  });
}

function checkPattern(pattern: string): void {
  const rest = pattern.replace(/\{(frame|index|subject)(?::0?(\d+)d)?\}/g, '');
  if (/[{}]/.test(rest)) throw new UserError(`frame pattern "${pattern}": only {frame}, {index}, {subject} and widths such as {frame:05d} are understood`);
  if (!/\{(frame|index)/.test(pattern)) throw new UserError(`frame pattern "${pattern}" must contain {frame} or {index}`);
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fileError(file, code === 'ENOENT' ? `no such file (${what})` : describeFsError(err), err);
  }
}

export async function openDisfa(root: string, options: OpenDisfaOptions = {}): Promise<DisfaDataset> {
  if (!existsSync(root)) throw fileError(root, 'no such folder');
  if (!statSync(root).isDirectory()) throw fileError(root, 'is not a folder');
  const labelsDir = options.labelsDir ?? join(root, 'ActionUnit_Labels');
  const framesDir = options.framesDir ?? join(root, 'Frames');
  const pattern = options.framePattern ?? DEFAULT_FRAME_PATTERN;
  checkPattern(pattern);
  if (!existsSync(labelsDir) || !statSync(labelsDir).isDirectory()) {
    throw fileError(labelsDir, 'no such folder; a DISFA-layout data set keeps its labels in ActionUnit_Labels/SNxxx/SNxxx_au{N}.txt');
  }

  let manifest: Record<string, unknown> | null = null;
  const manifestPath = join(root, 'manifest.json');
  if (existsSync(manifestPath)) {
    const text = await readText(manifestPath, 'manifest');
    try {
      manifest = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw fileError(manifestPath, `is not valid JSON (${(err as Error).message})`, err);
    }
  }

  const ids = options.subjects
    ? [...options.subjects]
    : (await readdir(labelsDir, { withFileTypes: true }))
        .filter((d) => d.isDirectory() && /^SN\d{3}$/.test(d.name))
        .map((d) => d.name)
        .sort();
  if (ids.length === 0) throw fileError(labelsDir, 'holds no subject folders (SN001, SN002, …)');

  const warnings: string[] = [];
  const subjects: DisfaSubject[] = [];
  for (const id of ids) {
    const dir = join(labelsDir, id);
    if (!existsSync(dir)) throw fileError(dir, `no such folder (labels of subject ${id})`);
    const perAu = await Promise.all(
      AU_ORDER.map(async (au) => {
        const file = labelFilePath(labelsDir, id, au);
        return parseLabelFile(await readText(file, `each subject needs the label files ${id}_au1.txt … ${id}_au26.txt`), file);
      }),
    );
    const frames = Math.min(...perAu.map((a) => a.length));
    const longest = Math.max(...perAu.map((a) => a.length));
    if (longest !== frames) {
      const counts = AU_ORDER.map((au, i) => `au${au} ${perAu[i]!.length}`).join(', ');
      warnings.push(`${id}: label files have different frame counts (${counts}); using the first ${frames} frames`);
    }
    const labels = new Uint8Array(frames * AU_COUNT);
    for (let i = 0; i < AU_COUNT; i++) {
      const a = perAu[i]!;
      for (let f = 0; f < frames; f++) labels[f * AU_COUNT + i] = a[f]!;
    }
    subjects.push({ id, frames, labels });
  }

  const byId = new Map(subjects.map((s) => [s.id, s]));
  const subject = (id: string): DisfaSubject => {
    const s = byId.get(id);
    if (!s) throw new UserError(`subject ${id} is not in ${root}`);
    return s;
  };
  const framePath = (id: string, frame: number): string => {
    const name = formatFrame(pattern, id, frame);
    return pattern.includes('/') ? join(framesDir, name) : join(framesDir, id, name);
  };

  if (options.checkFrames ?? true) {
    for (const s of subjects) {
      for (const f of [1, s.frames]) {
        const p = framePath(s.id, f);
        if (!existsSync(p)) {
          throw fileError(p, `no such file: frame ${f} of ${s.id} (frames are looked up as ${join(framesDir, pattern.includes('/') ? pattern : `{subject}/${pattern}`)}; set the frame folder and pattern to match your extraction)`);
        }
      }
    }
  }

  return {
    root,
    kind: manifest && manifest['generator'] && (manifest['generator'] as Record<string, unknown>)['name'] === 'SynthFACS' ? 'synthfacs' : 'disfa',
    manifest,
    subjects,
    warnings,
    subject,
    label(id, frame) {
      const s = subject(id);
      if (!Number.isInteger(frame) || frame < 1 || frame > s.frames) throw new RangeError(`${id} has frames 1–${s.frames}, not ${frame}`);
      return s.labels.subarray((frame - 1) * AU_COUNT, frame * AU_COUNT);
    },
    framePath,
  };
}
