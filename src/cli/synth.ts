/**
 * `aueditnet synth …`: the SynthFACS world (DESIGN §5) — DISFA-layout data sets with exact AU truth,
 * identity pools, single oracle renders and contact sheets.
 */
import type { Command } from 'commander';
import { AU_ORDER, auIndex, AU_COUNT } from '../data/aus.js';
import { DISFA_SUBJECTS, parseSubjects } from '../data/folds.js';
import { mixSeed, Rng } from '../data/random.js';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { checkSize, renderPng } from '../synth/canvas-node.js';
import { EPISODE_STYLES, writeDisfa, type EpisodeStyle } from '../synth/disfa-writer.js';
import { sampleIdentity, subjectIdentity, type Identity } from '../synth/identity.js';
import { sampleNuisance } from '../synth/nuisance.js';
import { writePool } from '../synth/pool-writer.js';
import { defaultWorkers } from '../synth/render-pool.js';
import { auSheet, identitySheet, type SheetFace } from '../synth/sheet.js';
import { packageVersion } from './main.js';
import { formatDuration, progress } from './progress.js';

function intOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const v = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(v) || v < min || v > max) {
      throw new UserError(`--${name} must be a whole number${max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : ` ≥ ${min}`}, got "${value}"`);
    }
    return v;
  };
}

const seedOption = intOption('seed', 0, 2 ** 32 - 1);

/** "12=3", "AU12=3.5", "au5=-1" → [AU index, intensity]. */
export function parseAuAssignment(text: string): [number, number] {
  const m = /^\s*(?:au)?(\d+)\s*=\s*(\S+)\s*$/i.exec(text);
  if (!m) throw new UserError(`--au expects AU=intensity such as 12=3, got "${text}"`);
  const au = Number(m[1]);
  const value = Number(m[2]);
  if (auIndex(au) < 0) throw new UserError(`--au ${text}: AU ${au} is not one of ${AU_ORDER.join(' ')}`);
  if (!Number.isFinite(value)) throw new UserError(`--au ${text}: intensity must be a number`);
  return [auIndex(au), value];
}

/** "SN003" (a DISFA subject's fixed identity) or a whole-number seed. */
export function parseIdentity(text: string): { label: string; identity: Identity } {
  const t = text.trim();
  if (/^sn\d{1,3}$/i.test(t)) {
    const [id] = parseSubjects(t);
    return { label: id!, identity: subjectIdentity(id!) };
  }
  if (/^\d+$/.test(t) && Number(t) < 2 ** 32) return { label: `#${t}`, identity: sampleIdentity(Number(t)) };
  throw new UserError(`--identity must be a DISFA subject id (SN001 …) or a whole-number seed below 2^32, got "${text}"`);
}

const collect = (value: string, previous: string[]) => [...previous, value];

interface CommonDataOptions {
  out: string;
  size: number;
  seed: number;
  nuisance: boolean;
  workers?: number;
  force?: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  const synth = program.command('synth').description('SynthFACS: render faces with exact AU ground truth and write DISFA-layout data sets');

  synth
    .command('disfa')
    .description('write a DISFA-layout data set: 27 subjects, AU episodes, label files, frames and exact truth')
    .requiredOption('--out <dir>', 'output folder (new or empty)')
    .option('--size <px>', 'frame size in pixels', intOption('size', 16, 1024), 64)
    .option('--frames <n>', 'frames per subject', intOption('frames', 1, 100_000), 600)
    .option('--subjects <list>', 'all, or ids such as SN001,SN002', 'all')
    .option('--seed <n>', 'seed of the AU episodes and head motion', seedOption, 0)
    .option('--no-nuisance', 'frontal, centred faces in fixed light (no head motion, lighting or background changes)')
    .option('--episodes <style>', 'disfa: spontaneous episodes whose AUs co-occur as in DISFA; independent: every AU moves on its own, peaks even over 0.5–5 (posed-style frames that stop an estimator reading an AU from its companions)', 'disfa')
    .option('--workers <n>', `render threads (default ${defaultWorkers()}; 0 = this thread)`, intOption('workers', 0, 64))
    .option('--force', 'write into a non-empty folder')
    .option('--quiet', 'no progress output')
    .action(async (opts: CommonDataOptions & { frames: number; subjects: string; episodes: string }) => {
      if (!(EPISODE_STYLES as readonly string[]).includes(opts.episodes)) throw new UserError(`--episodes must be one of ${EPISODE_STYLES.join(', ')}, got "${opts.episodes}"`);
      checkSize(opts.size);
      const subjects = parseSubjects(opts.subjects, DISFA_SUBJECTS);
      const t0 = performance.now();
      let bar: ReturnType<typeof progress> | undefined;
      const summary = await writeDisfa({
        out: opts.out,
        size: opts.size,
        frames: opts.frames,
        subjects,
        seed: opts.seed,
        nuisance: opts.nuisance,
        episodes: opts.episodes as EpisodeStyle,
        workers: opts.workers,
        force: opts.force,
        version: packageVersion(),
        onStart: (total) => (bar = progress('rendering frames', total, { quiet: opts.quiet })),
        onProgress: (done) => bar?.update(done),
      });
      bar?.stop();
      const seconds = (performance.now() - t0) / 1000;
      const rates = AU_ORDER.map((au, i) => `AU${au} ${(100 * summary.baseRate1[i]!).toFixed(0)}%`).join(' ');
      process.stdout.write(
        `wrote ${subjects.length} subjects × ${opts.frames} frames (${opts.size} px) to ${opts.out} in ${formatDuration(seconds)}\n` +
          `frames with label ≥ 1: ${rates}; any AU ${(100 * summary.anyAu).toFixed(0)}%\n`,
      );
    });

  synth
    .command('pool')
    .description('write many identities with broad random AU combinations (for the encoder, generator and identity networks)')
    .requiredOption('--out <dir>', 'output folder (new or empty)')
    .option('--identities <n>', 'number of identities', intOption('identities', 1, 10_000_000), 5000)
    .option('--per-identity <n>', 'images per identity', intOption('per-identity', 1, 10_000), 8)
    .option('--size <px>', 'image size in pixels', intOption('size', 16, 1024), 64)
    .option('--seed <n>', 'seed of identities, AUs and nuisance', seedOption, 0)
    .option('--no-nuisance', 'frontal, centred faces in fixed light')
    .option('--workers <n>', `render threads (default ${defaultWorkers()}; 0 = this thread)`, intOption('workers', 0, 64))
    .option('--force', 'write into a non-empty folder')
    .option('--quiet', 'no progress output')
    .action(async (opts: CommonDataOptions & { identities: number; perIdentity: number }) => {
      checkSize(opts.size);
      const t0 = performance.now();
      let bar: ReturnType<typeof progress> | undefined;
      await writePool({
        out: opts.out,
        size: opts.size,
        identities: opts.identities,
        perIdentity: opts.perIdentity,
        seed: opts.seed,
        nuisance: opts.nuisance,
        workers: opts.workers,
        force: opts.force,
        version: packageVersion(),
        onStart: (total) => (bar = progress('rendering images', total, { quiet: opts.quiet })),
        onProgress: (done) => bar?.update(done),
      });
      bar?.stop();
      process.stdout.write(`wrote ${opts.identities} identities × ${opts.perIdentity} images (${opts.size} px) to ${opts.out} in ${formatDuration((performance.now() - t0) / 1000)}\n`);
    });

  synth
    .command('render')
    .description('render one face: the oracle image of an identity with given AU intensities')
    .requiredOption('--identity <id>', 'DISFA subject id (SN001 …) or a whole-number seed')
    .option('--au <AU=intensity>', 'AU intensity, repeatable: --au 12=3 --au 6=2 (floats allowed)', collect, [])
    .option('--size <px>', 'image size in pixels', intOption('size', 16, 1024), 256)
    .option('--nuisance-seed <n>', 'draw a random head pose, light and background from this seed (default: neutral)', intOption('nuisance-seed', 0, 2 ** 32 - 1))
    .requiredOption('--out <file>', 'PNG file to write')
    .action(async (opts: { identity: string; au: string[]; size: number; nuisanceSeed?: number; out: string }) => {
      checkSize(opts.size);
      const { identity } = parseIdentity(opts.identity);
      const aus = new Float64Array(AU_COUNT);
      for (const a of opts.au) {
        const [i, v] = parseAuAssignment(a);
        aus[i] = v;
      }
      const nuisance = opts.nuisanceSeed === undefined ? null : sampleNuisance(new Rng(mixSeed('render-nuisance', opts.nuisanceSeed)));
      await writeFileAtomic(opts.out, renderPng({ identity, aus, nuisance }, opts.size));
    });

  synth
    .command('sheet')
    .description('contact sheet: rows AU1 … AU26 × intensity 0 … 5 for 3 identities, or --identities N neutral faces')
    .requiredOption('--out <file>', 'PNG file to write')
    .option('--identities <n>', 'identity sheet of N faces instead of the AU sheet', intOption('identities', 1, 400))
    .option('--subjects <list>', 'AU sheet: the identities to show (DISFA ids or seeds)', 'SN007,SN026,SN032')
    .option('--tile <px>', 'size of each face', intOption('tile', 32, 512), 96)
    .option('--seed <n>', 'identity sheet: first identity seed (faces are seeds seed, seed+1, …)', seedOption, 1)
    .option('--nuisance', 'identity sheet: draw each face with a random head pose, light and background')
    .action(async (opts: { out: string; identities?: number; subjects: string; tile: number; seed: number; nuisance?: boolean }) => {
      let png: Buffer;
      if (opts.identities !== undefined) {
        const faces: SheetFace[] = Array.from({ length: opts.identities }, (_, i) => ({ label: `#${opts.seed + i}`, identity: sampleIdentity(opts.seed + i) }));
        png = identitySheet(faces, { tile: opts.tile, nuisanceSeed: opts.nuisance ? opts.seed : undefined });
      } else {
        const faces = opts.subjects.split(',').filter((s) => s.trim()).map(parseIdentity);
        if (faces.length === 0) throw new UserError('--subjects names no identity');
        png = auSheet(faces, { tile: opts.tile });
      }
      await writeFileAtomic(opts.out, png);
    });
}
