/**
 * The files the generate/invert commands read and write: W+ latents (.npy, or a PyTorch file
 * holding one tensor such as e4e's latents.pt) and generator outputs as PNG or raw .npy.
 */
import { basename, dirname, extname, join } from 'node:path';
import { fileError } from '../errors.js';
import { tensorDataToImage, writePng } from '../io/image.js';
import { writeNpy } from '../io/npy.js';
import { readTensorFile } from '../io/tensor-file.js';
import { formatShape, isFloatDtype } from '../io/tensor.js';
import { nhwcToNchw } from './preprocess.js';

export type ImageFormat = 'png' | 'npy';

/** The output kind from a file name; anything but .png / .npy is refused. */
export function imageOutputFormat(path: string, flag = '--out'): ImageFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.png') return 'png';
  if (ext === '.npy') return 'npy';
  throw fileError(path, `${flag} must end in .png (8-bit image) or .npy (raw NCHW float32 array)`);
}

/** File names for a batch written as PNGs: out.png for one image, out-000.png … for several. */
export function pngNames(path: string, count: number): string[] {
  if (count === 1) return [path];
  const ext = extname(path);
  const stem = join(dirname(path), basename(path, ext));
  const digits = Math.max(3, String(count - 1).length);
  return Array.from({ length: count }, (_, i) => `${stem}-${String(i).padStart(digits, '0')}${ext}`);
}

/**
 * Writes generator images (NHWC data of [B, H, W, 3]): .npy as the raw NCHW float32 array, no
 * clamping; .png as 8-bit RGB with [-1, 1] mapped to [0, 255] (clamped). Returns the files written.
 */
export async function writeImages(path: string, data: Float32Array, shape: readonly [number, number, number, number]): Promise<string[]> {
  const [B, H, W, C] = shape;
  if (imageOutputFormat(path) === 'npy') {
    await writeNpy(path, { dtype: 'float32', shape: [B, C, H, W], data: nhwcToNchw(data, shape) });
    return [path];
  }
  const names = pngNames(path, B);
  const per = H * W * C;
  for (let b = 0; b < B; b++) await writePng(names[b]!, tensorDataToImage(data.subarray(b * per, (b + 1) * per), W, H));
  return names;
}

/**
 * Reads W+ latents: a .npy (or a PyTorch / safetensors file with exactly one tensor, e.g. e4e's
 * latents.pt) of shape [B, L, D] or [L, D]. Returns [B, L, D] float32 data.
 */
export function readLatents(path: string, rows: number, dim: number): { data: Float32Array; shape: [number, number, number] } {
  const f = readTensorFile(path);
  try {
    if (f.entries.length !== 1) {
      throw fileError(path, `holds ${f.entries.length} tensors; expected one W+ array of shape [B, ${rows}, ${dim}]`);
    }
    const t = f.read(f.entries[0]!.name);
    if (!isFloatDtype(t.dtype)) throw fileError(path, `W+ must be floating point, got ${t.dtype}`);
    const shape = t.shape.length === 2 ? [1, ...t.shape] : t.shape;
    if (shape.length !== 3 || shape[1] !== rows || shape[2] !== dim) {
      throw fileError(path, `W+ has shape ${formatShape(t.shape)}; this generator needs [B, ${rows}, ${dim}] (or [${rows}, ${dim}])`);
    }
    if (shape[0] === 0) throw fileError(path, 'W+ holds no latents (batch size 0)');
    const data = Float32Array.from(t.data as ArrayLike<number>);
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw fileError(path, `W+ contains ${data[bad]} at element ${bad}`);
    return { data, shape: shape as [number, number, number] };
  } finally {
    f.close();
  }
}
