/**
 * `synth pool`: many identities, each with a few images of broad, random AU combinations, for
 * training the encoder/generator pair and the identity networks, which need identity variety more
 * than realistic AU statistics.
 *
 *   images/{identity:05d}/{k:02d}.png
 *   identities.jsonl   {"index", "seed", "identity"}
 *   labels.jsonl       {"file", "identity", "aus" (AU_ORDER), "nuisance"}
 *   manifest.json      written last
 */
import { join } from 'node:path';
import { AU_COUNT, auIndex } from '../data/aus.js';
import { mixSeed, Rng } from '../data/random.js';
import { AU_ORDER_LIST, ensureDir, factorRanges, generatorInfo, prepareOutput, writeJson, writeJsonLines } from './dataset-common.js';
import { PROTOTYPES } from './episodes.js';
import { sampleIdentity } from './identity.js';
import { sampleNuisance, type Nuisance } from './nuisance.js';
import { renderAll, type RenderJob } from './render-pool.js';

export interface PoolOptions {
  out: string;
  size: number;
  identities: number;
  perIdentity: number;
  seed: number;
  nuisance: boolean;
  workers?: number;
  force?: boolean;
  version?: string;
  onStart?: (total: number) => void;
  onProgress?: (done: number) => void;
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

/**
 * One AU vector: 15 % neutral, 35 % an expression prototype at a random strength, otherwise each
 * AU independently on (30 %) at a uniform intensity — broad coverage, including combinations that
 * spontaneous data rarely shows.
 */
export function randomAus(rng: Rng): number[] {
  const v = new Array<number>(AU_COUNT).fill(0);
  const r = rng.next();
  if (r < 0.15) return v;
  if (r < 0.5) {
    const proto = rng.pick(PROTOTYPES);
    const k = rng.uniform(0.4, 1.6);
    for (const m of proto.members) if (rng.chance(m.p)) v[auIndex(m.au)] = round4(Math.min(5, Math.max(0, rng.normal(m.peak, m.sd) * k)));
    return v;
  }
  for (let i = 0; i < AU_COUNT; i++) if (rng.chance(0.3)) v[i] = round4(rng.uniform(0.3, 5));
  return v;
}

export function roundNuisance(n: Nuisance): Nuisance {
  return Object.fromEntries(Object.entries(n).map(([k, v]) => [k, round4(v as number)])) as unknown as Nuisance;
}

export async function writePool(opts: PoolOptions): Promise<void> {
  prepareOutput(opts.out, opts.force ?? false);
  const jobs: RenderJob[] = [];
  const identities: unknown[] = [];
  const labels: unknown[] = [];
  for (let i = 0; i < opts.identities; i++) {
    const seed = mixSeed('pool-identity', opts.seed, i);
    const identity = sampleIdentity(seed);
    identities.push({ index: i, seed, identity });
    const dir = join(opts.out, 'images', String(i).padStart(5, '0'));
    ensureDir(dir);
    const rng = new Rng(mixSeed('pool-images', opts.seed, i));
    for (let k = 0; k < opts.perIdentity; k++) {
      const aus = randomAus(rng);
      const nuisance = opts.nuisance ? roundNuisance(sampleNuisance(rng)) : null;
      const file = `images/${String(i).padStart(5, '0')}/${String(k).padStart(2, '0')}.png`;
      labels.push({ file, identity: i, aus, nuisance });
      jobs.push({ path: join(opts.out, file), identity, aus, nuisance });
    }
  }
  await writeJsonLines(join(opts.out, 'identities.jsonl'), identities);
  await writeJsonLines(join(opts.out, 'labels.jsonl'), labels);
  opts.onStart?.(jobs.length);
  await renderAll(jobs, { size: opts.size, workers: opts.workers, onProgress: opts.onProgress });
  await writeJson(join(opts.out, 'manifest.json'), {
    kind: 'pool',
    generator: generatorInfo(opts.version),
    seed: opts.seed,
    size: opts.size,
    identities: opts.identities,
    perIdentity: opts.perIdentity,
    nuisance: opts.nuisance,
    auOrder: AU_ORDER_LIST,
    layout: { images: 'images/{identity:05d}/{k:02d}.png', identities: 'identities.jsonl', labels: 'labels.jsonl' },
    factorRanges: factorRanges(),
  });
}
