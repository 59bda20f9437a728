/**
 * `aueditnet invert`: an aligned face image (or an already normalised tensor) → W+ with the e4e
 * encoder, optionally decoded back through the generator.
 */
import type { Command } from 'commander';
import { extname } from 'node:path';
import { fileError, UserError } from '../errors.js';
import { imageOutputFormat, writeImages } from '../gan/files.js';
import { loadModels } from '../gan/modelDir.js';
import { encoderInput, nchwToNhwc } from '../gan/preprocess.js';
import { readImage } from '../io/image.js';
import { readNpy, writeNpy } from '../io/npy.js';
import { formatShape, isFloatDtype } from '../io/tensor.js';
import { initRuntime, tf } from '../runtime/index.js';
import { refineLatents } from '../gan/refine.js';
import { progress } from './progress.js';

export interface InvertOptions {
  model: string;
  image: string;
  out: string;
  recon?: string;
  quiet?: boolean;
  /** Adam steps on W+ against the image after encoding (encoder + optimisation); 0 or absent: off. */
  refine?: string | number;
}

export interface InvertResult {
  batch: number;
  shape: [number, number, number];
  files: string[];
  encodeMs: number;
}

/** NHWC [B, S, S, 3] input data: a .npy is taken as normalised NCHW, anything else is read as an image. */
async function readInput(path: string, size: number): Promise<{ data: Float32Array; batch: number }> {
  if (extname(path).toLowerCase() === '.npy') {
    const t = readNpy(path);
    if (!isFloatDtype(t.dtype)) throw fileError(path, `must be floating point, got ${t.dtype}`);
    const shape = t.shape.length === 3 ? [1, ...t.shape] : t.shape;
    if (shape.length !== 4 || shape[1] !== 3 || shape[2] !== size || shape[3] !== size) {
      throw fileError(path, `has shape ${formatShape(t.shape)}; the encoder takes a normalised NCHW array [B, 3, ${size}, ${size}] (or [3, ${size}, ${size}])`);
    }
    if (shape[0] === 0) throw fileError(path, 'holds no images (batch size 0)');
    const data = nchwToNhwc(t.data as ArrayLike<number>, shape);
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw fileError(path, `contains ${data[bad]} at element ${bad}`);
    return { data, batch: shape[0]! };
  }
  const img = await readImage(path);
  return { data: encoderInput(img, size), batch: 1 };
}

export async function invert(o: InvertOptions): Promise<InvertResult> {
  if (extname(o.out).toLowerCase() !== '.npy') throw fileError(o.out, '--out must be a .npy file (W+ as float32 [B, L, 512])');
  if (o.recon !== undefined) imageOutputFormat(o.recon, '--recon');
  const refine = Number(o.refine ?? 0);
  if (!Number.isInteger(refine) || refine < 0) throw new UserError(`--refine ${o.refine}: expected an integer ≥ 0 (Adam steps on W+)`);
  await initRuntime();
  const { encoder: le, generator: lg } = await loadModels(o.model, { encoder: true, generator: o.recon !== undefined || refine > 0 });
  const e = le!.model;
  const g = lg?.model;
  try {
    e.freeze();
    if (g) {
      g.freeze();
      if (g.nLatent !== e.styleCount || g.styleDim !== e.config.styleDim) {
        throw new UserError(`${o.model}: the encoder gives ${e.styleCount} × ${e.config.styleDim} codes but the generator takes ${g.nLatent} × ${g.styleDim}`);
      }
    }
    const S = e.inputSize;
    const input = await readInput(o.image, S);
    const t0 = performance.now();
    let wplus = tf.tidy(() => e.encode(tf.tensor4d(input.data, [input.batch, S, S, 3])));
    const encodeMs = performance.now() - t0;
    if (g && refine > 0) {
      const x = tf.tensor4d(input.data, [input.batch, S, S, 3]);
      const bar = progress(`refining W+ (${input.batch} image${input.batch > 1 ? 's' : ''})`, refine, { quiet: o.quiet });
      try {
        const refined = refineLatents(g, x, wplus, { steps: refine, onStep: (s, mse) => bar.update(s, { mse: mse.toFixed(5) }) });
        wplus.dispose();
        wplus = refined;
      } finally {
        bar.stop();
        x.dispose();
      }
    }
    const shape = wplus.shape as [number, number, number];
    const files = [o.out];
    try {
      await writeNpy(o.out, { dtype: 'float32', shape, data: wplus.dataSync() as Float32Array });
      if (g && o.recon !== undefined) {
        const R = g.config.size;
        const out = new Float32Array(shape[0] * R * R * 3);
        for (let b = 0; b < shape[0]; b++) {
          // e4e decodes its inversions with the stored noise maps (randomize_noise=False)
          const img = tf.tidy(() => g.synthesis(wplus.slice([b, 0, 0], [1, -1, -1]), { noise: 'const' }));
          out.set(img.dataSync(), b * R * R * 3);
          img.dispose();
        }
        files.push(...(await writeImages(o.recon, out, [shape[0], R, R, 3])));
      }
    } finally {
      wplus.dispose();
    }
    return { batch: shape[0], shape, files, encodeMs };
  } finally {
    e.dispose();
    g?.dispose();
  }
}

export function register(program: Command): void {
  program
    .command('invert')
    .description('encode an aligned face image into W+ with the e4e encoder (optionally decode it back)')
    .requiredOption('--model <dir|file>', 'model directory (encoder.safetensors, and generator.safetensors for --recon), our .safetensors, or an e4e/pSp .pt checkpoint')
    .requiredOption('--image <file>', 'aligned face image (PNG/JPEG/…), or a .npy of normalised NCHW float32 [B, 3, S, S] in [-1, 1] at the encoder input size S')
    .requiredOption('--out <w.npy>', 'W+ latents, float32 [B, L, 512], latent_avg included (what the generator takes)')
    .option('--recon <file>', 'also decode W+ with the generator: .png (8-bit) or .npy (raw NCHW float32)')
    .option('--refine <n>', 'after encoding, n Adam steps on W+ against the image (encoder + optimisation: sharper, slower; needs the generator)', '0')
    .option('--quiet', 'no progress output')
    .addHelpText(
      'after',
      `
An image is prepared as e4e does: resized to the encoder's input size (256 for the official
model) with Pillow-style bilinear filtering, scaled to [0, 1], then (x - 0.5) / 0.5. The face
should already be FFHQ-aligned. A .npy input skips this and is used as is.

Reconstructions use the generator's stored noise maps (e4e's randomize_noise=False) and are
written at the generator's resolution.

Examples:
  aueditnet invert --model models/ffhq-e4e --image face.png --out w.npy --recon recon.png
  aueditnet invert --model e4e_ffhq_encode.pt --image batch.npy --out w.npy`,
    )
    .action(async (opts: InvertOptions) => {
      const r = await invert(opts);
      process.stdout.write(
        `wrote ${r.files.join(', ')}: W+ [${r.shape.join(', ')}] (${(r.encodeMs / r.batch / 1000).toFixed(2)} s per image to encode)\n`,
      );
    });
}
