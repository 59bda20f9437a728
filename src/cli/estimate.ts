import type { Command } from 'commander';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { AU_ORDER } from '../data/aus.js';
import { fileError, UserError } from '../errors.js';
import { estimateAus } from '../estimators/evaluate.js';
import { estimatorFiles, loadEstimator } from '../estimators/model.js';
import { readImage } from '../io/image.js';
import { initRuntime, tf } from '../runtime/index.js';
import { scoped } from '../runtime/scoped.js';

export const DEFAULT_MODEL_DIR = new URL('../../models/synthfacs-64/', import.meta.url).pathname;
const IMAGE_EXT = /\.(png|jpe?g|webp|gif|tiff?|avif)$/i;

function listImages(target: string): string[] {
  if (!existsSync(target)) throw fileError(target, 'no such file or folder');
  if (!statSync(target).isDirectory()) return [target];
  const files = readdirSync(target)
    .filter((f) => IMAGE_EXT.test(f))
    .sort()
    .map((f) => path.join(target, f));
  if (files.length === 0) throw fileError(target, 'holds no images (png, jpg, webp, gif, tiff, avif)');
  return files;
}

export function register(program: Command): void {
  program
    .command('estimate')
    .description('estimate the 12 AU intensities (FACS 0–5) of face images with H_est')
    .argument('<image|folder>', 'an image, or a folder of images')
    .option('--model <dir>', 'folder with hest.safetensors + hest.json (default: the shipped SynthFACS model)')
    .option('--json', 'one JSON object per image instead of a table')
    .action(async (target: string, o: { model?: string; json?: boolean }) => {
      const dir = o.model ?? DEFAULT_MODEL_DIR;
      if (!existsSync(estimatorFiles(dir, 'hest').weights)) {
        throw new UserError(
          o.model ? `${estimatorFiles(dir, 'hest').weights}: no such file` : `no shipped H_est model yet (${estimatorFiles(dir, 'hest').weights}); train one with 'aueditnet train hest' and pass --model`,
        );
      }
      const files = listImages(target);
      await initRuntime();
      const est = loadEstimator(dir, 'hest');
      if (!o.json) process.stdout.write(['image'.padEnd(24), ...AU_ORDER.map((a) => `AU${a}`.padStart(6))].join('') + '\n');
      for (const file of files) {
        const img = await readImage(file);
        if (img.width !== est.size || img.height !== est.size) {
          process.stderr.write(`aueditnet: ${file}: ${img.width}×${img.height} resized to the model's ${est.size}×${est.size} (no face alignment)\n`);
        }
        const values = scoped(() => {
          let x = tf.tensor4d(img.data, [1, img.height, img.width, 3]).mul(2).sub(1) as tf.Tensor4D;
          if (img.width !== est.size || img.height !== est.size) x = tf.image.resizeBilinear(x, [est.size, est.size], false, true);
          return Array.from(estimateAus(est, x).dataSync());
        });
        if (o.json) {
          process.stdout.write(JSON.stringify({ image: file, aus: Object.fromEntries(AU_ORDER.map((a, i) => [`AU${a}`, Math.round(values[i]! * 1000) / 1000])) }) + '\n');
        } else {
          const name = path.basename(file);
          process.stdout.write([(name.length > 23 ? name.slice(0, 22) + '…' : name).padEnd(24), ...values.map((v) => v.toFixed(2).padStart(6))].join('') + '\n');
        }
      }
    });
}
