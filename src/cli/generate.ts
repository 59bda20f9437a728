/**
 * `aueditnet generate`: images from a StyleGAN2 generator, from seeds (z ~ N(0, I)) or from W+
 * latents, with optional truncation, as PNG or as the raw NCHW float32 output.
 */
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { imageOutputFormat, readLatents, writeImages } from '../gan/files.js';
import type { Generator } from '../gan/generator.js';
import { loadGenerator } from '../gan/modelDir.js';
import { initRuntime, tf } from '../runtime/index.js';

export interface GenerateOptions {
  model: string;
  seed?: number;
  count?: number;
  wplus?: string;
  truncation?: number;
  noise?: 'const' | 'random';
  noiseSeed?: number;
  out: string;
}

export interface GenerateResult {
  files: string[];
  count: number;
  size: number;
  ms: number;
}

/** z for sample k of `--seed N`: N(0, I) drawn with seed N + k, so a sample does not depend on --count. */
export function seedLatent(seed: number, dim: number): tf.Tensor2D {
  return tf.randomNormal([1, dim], 0, 1, 'float32', seed) as tf.Tensor2D;
}

async function meanForTruncation(g: Generator): Promise<void> {
  if (g.latentAvg) return;
  // rosinality's generate.py does the same when no mean is stored: mean of 4096 mapped z
  const mean = g.meanLatent(4096, 0);
  g.setLatentAvg(mean);
  mean.dispose();
  process.stderr.write('aueditnet: the model has no latent_avg; truncating towards the mean of 4096 mapped random z (seed 0)\n');
}

export async function generate(o: GenerateOptions): Promise<GenerateResult> {
  if ((o.seed === undefined) === (o.wplus === undefined)) throw new UserError('give exactly one of --seed N or --wplus w.npy');
  if (o.count !== undefined && o.seed === undefined) throw new UserError('--count goes with --seed');
  imageOutputFormat(o.out);
  await initRuntime();
  const { model: g } = await loadGenerator(o.model);
  try {
    g.freeze();
    const psi = o.truncation ?? 1;
    if (psi !== 1) await meanForTruncation(g);
    const L = g.nLatent, D = g.styleDim, S = g.config.size;
    let latents: { data: Float32Array; shape: [number, number, number] } | null = null;
    if (o.wplus !== undefined) latents = readLatents(o.wplus, L, D);
    const count = latents ? latents.shape[0] : (o.count ?? 1);
    const noiseSeed = o.noiseSeed ?? o.seed ?? 0;
    const out = new Float32Array(count * S * S * 3);
    const t0 = performance.now();
    // one sample at a time: batch 1 is the fastest form per image and bounds memory at 1024 px
    for (let k = 0; k < count; k++) {
      const img = tf.tidy(() => {
        let wp: tf.Tensor3D;
        if (latents) wp = tf.tensor3d(latents.data.subarray(k * L * D, (k + 1) * L * D), [1, L, D]);
        else {
          const w = g.mapping.forward(seedLatent(o.seed! + k, D));
          wp = tf.broadcastTo(w.reshape([1, 1, D]), [1, L, D]) as tf.Tensor3D;
        }
        if (psi !== 1) wp = g.truncate(wp, psi);
        return g.synthesis(wp, { noise: o.noise ?? 'const', seed: noiseSeed + k * 1000 });
      });
      out.set(img.dataSync(), k * S * S * 3);
      img.dispose();
    }
    const ms = performance.now() - t0;
    const files = await writeImages(o.out, out, [count, S, S, 3]);
    return { files, count, size: S, ms };
  } finally {
    g.dispose();
  }
}

function intOption(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UserError(`${name} must be an integer from ${min} to ${max}, got '${v}'`);
  return n;
}

export function register(program: Command): void {
  program
    .command('generate')
    .description('generate images with a StyleGAN2 generator from random seeds or from W+ latents')
    .requiredOption('--model <dir|file>', 'model directory (generator.safetensors), our .safetensors, or a rosinality / e4e .pt checkpoint')
    .option('--seed <n>', 'random seed of z; sample k of --count uses seed n + k')
    .option('--count <k>', 'number of images from consecutive seeds (default 1)')
    .option('--wplus <file>', 'W+ latents, .npy float32 [B, L, 512] or [L, 512] (also e4e latents.pt), e.g. from `aueditnet invert`')
    .option('--truncation <psi>', 'truncation ψ: w ← avg + ψ·(w − avg), towards the model\'s latent_avg (default 1 = none)')
    .option('--noise <mode>', "noise maps: 'const' (the stored ones, deterministic) or 'random'", 'const')
    .option('--noise-seed <n>', "seed of 'random' noise (default: --seed)")
    .requiredOption('--out <file>', 'out.png (8-bit RGB, [-1, 1] → [0, 255]; several images become out-000.png …) or out.npy (raw NCHW float32, unclamped)')
    .addHelpText(
      'after',
      `
The .npy output is the generator's output as is, [B, 3, H, W] float32 without clamping, for
numeric comparison with the PyTorch reference. Images are computed one at a time. Truncation uses
the model's latent_avg; a model without one truncates towards the mean of 4096 mapped random z,
as rosinality's generate.py does (a note is printed on stderr).

Examples:
  aueditnet generate --model models/ffhq --seed 42 --out face.png
  aueditnet generate --model stylegan2-ffhq-config-f.pt --seed 0 --count 8 --truncation 0.7 --out faces.png
  aueditnet generate --model models/ffhq --wplus w.npy --out recon.npy`,
    )
    .action(async (opts: { model: string; seed?: string; count?: string; wplus?: string; truncation?: string; noise: string; noiseSeed?: string; out: string }) => {
      if (opts.noise !== 'const' && opts.noise !== 'random') throw new UserError(`--noise must be 'const' or 'random', got '${opts.noise}'`);
      let truncation: number | undefined;
      if (opts.truncation !== undefined) {
        truncation = Number(opts.truncation);
        if (!Number.isFinite(truncation) || truncation < 0 || truncation > 2) throw new UserError(`--truncation must be a number from 0 to 2, got '${opts.truncation}'`);
      }
      const r = await generate({
        model: opts.model,
        seed: intOption('--seed', opts.seed, 0, 2 ** 31 - 1),
        count: intOption('--count', opts.count, 1, 100000),
        wplus: opts.wplus,
        truncation,
        noise: opts.noise,
        noiseSeed: intOption('--noise-seed', opts.noiseSeed, 0, 2 ** 31 - 1),
        out: opts.out,
      });
      const shown = r.files.length <= 3 ? r.files.join(', ') : `${r.files[0]} … ${r.files[r.files.length - 1]}`;
      process.stdout.write(`wrote ${shown}: ${r.count} image${r.count === 1 ? '' : 's'} of ${r.size}×${r.size} (${(r.ms / r.count / 1000).toFixed(2)} s per image)\n`);
    });
}
