/**
 * The import / generate / invert commands, run in-process through commander with the same error
 * handling as src/cli/main.ts (UserError and bad flags → one line, exit code 2).
 */
import { Command, CommanderError } from 'commander';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { register as registerGenerate } from '../../src/cli/generate.js';
import { register as registerImport } from '../../src/cli/import.js';
import { register as registerInvert } from '../../src/cli/invert.js';
import { UserError } from '../../src/errors.js';
import { readImage, writePng } from '../../src/io/image.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { flattenCheckpoint, loadTorchCheckpoint } from '../../src/io/torch.js';
import { initRuntime, tf } from '../../src/runtime/index.js';
import { compare, fixture, REF, tempDir } from './helpers.js';

const dir = tempDir();
const MODEL = join(dir, 'model');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(args: string[]): Promise<Run> {
  const program = new Command().name('aueditnet').exitOverride();
  let stdout = '';
  let stderr = '';
  program.configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
  registerImport(program);
  registerGenerate(program);
  registerInvert(program);
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => ((stdout += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((stderr += s), true)) as typeof process.stderr.write;
  try {
    await program.parseAsync(['node', 'aueditnet', ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    if (e instanceof CommanderError) return { code: e.exitCode === 0 ? 0 : 2, stdout, stderr };
    if (e instanceof UserError) return { code: 2, stdout, stderr: `${stderr}aueditnet: ${e.message}\n` };
    throw e;
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

async function ok(args: string[]): Promise<Run> {
  const r = await run(args);
  expect(r.code, r.stderr).toBe(0);
  return r;
}

async function refused(args: string[], message: RegExp): Promise<void> {
  const r = await run(args);
  expect(r.code, r.stdout).toBe(2);
  const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('aueditnet: ') || l.startsWith('error: '));
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(async () => {
  await initRuntime();
});

describe('aueditnet import', () => {
  it('rosinality checkpoint → generator.safetensors with g_ema names and latent_avg, JSON with architecture and sha256', async () => {
    const r = await ok(['import', join(REF, 'stylegan2-small.pt'), '--out', MODEL]);
    expect(r.stdout).toMatch(/generator\.safetensors: StyleGAN2 64 px, 10 W\+ rows × 64/);
    const meta = JSON.parse(readFileSync(join(MODEL, 'generator.json'), 'utf8'));
    expect(meta.config).toMatchObject({ size: 64, styleDim: 64, nMlp: 2, channels: { '64': 16 } });
    expect(meta.source).toMatchObject({ file: 'stylegan2-small.pt', sha256: '63cd29a1fecc2f3fb76b20049fb802701b2dd4c451f7af08a363a8a3d65b9f84', keyPrefix: 'g_ema.' });
    const st = readSafetensors(join(MODEL, 'generator.safetensors')).tensors;
    const ref = flattenCheckpoint(loadTorchCheckpoint(join(REF, 'stylegan2-small.pt'))).tensors;
    const gEma = Object.keys(ref).filter((k) => k.startsWith('g_ema.'));
    expect(Object.keys(st).sort()).toEqual([...gEma.map((k) => k.slice(6)), 'latent_avg'].sort());
    for (const k of gEma) expect(Array.from(st[k.slice(6)]!.data as Float32Array)).toEqual(Array.from(ref[k]!.data as Float32Array));
  });

  it('e4e checkpoint → encoder.safetensors without the encoder. prefix, num_batches_tracked kept as int64', async () => {
    const r = await ok(['import', join(REF, 'e4e-small.pt'), '--out', MODEL]);
    expect(r.stdout).toMatch(/encoder\.safetensors: e4e Encoder4Editing IR-SE-50, 64 px input → 10 × 64/);
    const st = readSafetensors(join(MODEL, 'encoder.safetensors')).tensors;
    expect(st['input_layer.0.weight']!.shape).toEqual([8, 3, 3, 3]);
    expect(st['latent_avg']!.shape).toEqual([10, 64]);
    expect(st['input_layer.1.num_batches_tracked']!.dtype).toBe('int64');
    expect(Object.keys(st)).toHaveLength(469 + 1);
    const meta = JSON.parse(readFileSync(join(MODEL, 'encoder.json'), 'utf8'));
    expect(meta.config).toMatchObject({ inputSize: 64, units: [3, 4, 14, 3], seReduction: 4 });
  });

  it('the legacy checkpoint imports to the same tensors; an existing model is not overwritten without --force', async () => {
    const other = join(dir, 'legacy');
    await ok(['import', join(REF, 'stylegan2-small-legacy.pt'), '--out', other]);
    const a = readSafetensors(join(MODEL, 'generator.safetensors')).tensors;
    const b = readSafetensors(join(other, 'generator.safetensors')).tensors;
    for (const k of Object.keys(a)) expect(Array.from(b[k]!.data as Float32Array)).toEqual(Array.from(a[k]!.data as Float32Array));
    await refused(['import', join(REF, 'stylegan2-small.pt'), '--out', other], /generator\.safetensors: already exists \(use --force/);
    await ok(['import', join(REF, 'stylegan2-small.pt'), '--out', other, '--force']);
  });

  it('refuses bad inputs', async () => {
    await refused(['import', join(REF, 'nope.pt'), '--out', join(dir, 'x')], /nope\.pt: no such file/);
    await refused(['import', join(REF, 'z.npy'), '--out', join(dir, 'x')], /z\.npy: is not a PyTorch checkpoint/);
    await refused(['import', join(REF, 'stylegan2-small.pt'), '--out', join(dir, 'y'), '--only', 'encoder'], /holds no e4e\/pSp encoder/);
    await refused(['import', join(REF, 'stylegan2-small.pt'), '--out', join(dir, 'y'), '--only', 'both'], /--only must be 'generator' or 'encoder'/);
    await refused(['import', join(REF, 'stylegan2-small.pt'), '--out', join(dir, 'y'), '--lr-mlp', '-1'], /--lr-mlp must be a positive number/);
    await refused(['import', join(REF, 'stylegan2-small.pt'), '--out', join(REF, 'z.npy')], /z\.npy: --out must be a directory/);
    await refused(['import', join(REF, 'stylegan2-small.pt')], /required option '--out <dir>'/);
    const torn = join(dir, 'torn.pt');
    const bytes = readFileSync(join(REF, 'stylegan2-small.pt'));
    writeFileSync(torn, bytes.subarray(0, bytes.length >> 1));
    await refused(['import', torn, '--out', join(dir, 'y')], /torn\.pt: /);
  });
});

describe('aueditnet generate', () => {
  it('--wplus → raw NCHW .npy equal to the reference image', async () => {
    const out = join(dir, 'img.npy');
    await ok(['generate', '--model', MODEL, '--wplus', join(REF, 'wplus.npy'), '--out', out]);
    const t = readNpy(out);
    expect(t.shape).toEqual([2, 3, 64, 64]);
    const img = tf.tensor(t.data as Float32Array, t.shape).transpose([0, 2, 3, 1]);
    expect(compare(img, fixture('img_from_wplus.npy')).rel).toBeLessThanOrEqual(1e-4);
  });

  it('--seed --count from a .pt directly → deterministic PNGs, one per seed', async () => {
    const out = join(dir, 'face.png');
    const r = await ok(['generate', '--model', join(REF, 'stylegan2-small-legacy.pt'), '--seed', '5', '--count', '2', '--truncation', '0.7', '--out', out]);
    expect(r.stdout).toMatch(/2 images of 64×64/);
    const [a, b] = [join(dir, 'face-000.png'), join(dir, 'face-001.png')];
    expect((await readImage(a)).width).toBe(64);
    const first = readFileSync(b);
    // sample k uses seed N + k: seed 6 alone is image 1 of the run above
    await ok(['generate', '--model', MODEL, '--seed', '6', '--truncation', '0.7', '--out', join(dir, 'one.png')]);
    expect(readFileSync(join(dir, 'one.png')).equals(first)).toBe(true);
    await ok(['generate', '--model', MODEL, '--seed', '6', '--noise', 'random', '--out', join(dir, 'rnd.png')]);
    expect(readFileSync(join(dir, 'rnd.png')).equals(first)).toBe(false);
  });

  it('refuses bad inputs', async () => {
    const o = ['--out', join(dir, 'g.png')];
    await refused(['generate', '--model', join(dir, 'missing'), '--seed', '1', ...o], /missing: no such file or directory/);
    await refused(['generate', '--model', MODEL, ...o], /exactly one of --seed N or --wplus/);
    await refused(['generate', '--model', MODEL, '--seed', '1', '--wplus', join(REF, 'wplus.npy'), ...o], /exactly one of --seed N or --wplus/);
    await refused(['generate', '--model', MODEL, '--wplus', join(REF, 'wplus.npy'), '--count', '2', ...o], /--count goes with --seed/);
    await refused(['generate', '--model', MODEL, '--seed', '-3', ...o], /--seed must be an integer/);
    await refused(['generate', '--model', MODEL, '--seed', '1', '--out', join(dir, 'g.jpg')], /g\.jpg: --out must end in \.png .* or \.npy/);
    await refused(['generate', '--model', MODEL, '--wplus', join(REF, 'w.npy'), ...o], /w\.npy: W\+ has shape 2×64; this generator needs \[B, 10, 64\]/);
    await refused(['generate', '--model', MODEL, '--seed', '1', '--noise', 'loud', ...o], /--noise must be 'const' or 'random'/);
    await refused(['generate', '--model', MODEL, '--seed', '1', '--truncation', 'x', ...o], /--truncation must be a number/);
    await refused(['generate', '--model', join(REF, 'e4e-small.pt'), '--seed', '1', ...o], /e4e-small\.pt: holds no StyleGAN2 generator/);
    await refused(['generate', '--model', join(REF, 'README.md'), '--seed', '1', ...o], /README\.md: is not a PyTorch checkpoint or safetensors file/);
    await refused(['generate', '--model', MODEL, '--seed', '1', '--bogus', ...o], /unknown option '--bogus'/);
  });
});

describe('aueditnet invert', () => {
  it('normalised .npy input → W+ with latent_avg, and its reconstruction, equal to the reference', async () => {
    const w = join(dir, 'w.npy');
    const rec = join(dir, 'rec.npy');
    await ok(['invert', '--model', MODEL, '--image', join(REF, 'e4e_input.npy'), '--out', w, '--recon', rec]);
    const codes = readNpy(w);
    expect(codes.shape).toEqual([2, 10, 64]);
    expect(compare(tf.tensor(codes.data as Float32Array, codes.shape), fixture('e4e_codes.npy')).rel).toBeLessThanOrEqual(1e-4);
    const img = readNpy(rec);
    expect(compare(tf.tensor(img.data as Float32Array, img.shape).transpose([0, 2, 3, 1]), fixture('e4e_decoded_img.npy')).rel).toBeLessThanOrEqual(1e-4);
  });

  it('an image is resized and normalised as e4e does: a 64×64 PNG gives the codes of its (x − 0.5)/0.5 array', async () => {
    const x = readNpy(join(REF, 'e4e_input.npy'));
    const px = new Uint8Array(64 * 64 * 3);
    for (let i = 0; i < 64 * 64; i++) for (let c = 0; c < 3; c++) px[i * 3 + c] = Math.round(((x.data[c * 4096 + i] as number) + 1) * 127.5);
    const png = join(dir, 'face.png');
    await writePng(png, { width: 64, height: 64, data: px });
    const npy = join(dir, 'face.npy');
    const nchw = new Float32Array(3 * 4096);
    for (let i = 0; i < 4096; i++) for (let c = 0; c < 3; c++) nchw[c * 4096 + i] = (px[i * 3 + c]! / 255 - 0.5) / 0.5;
    await writeNpy(npy, { dtype: 'float32', shape: [1, 3, 64, 64], data: nchw });
    await ok(['invert', '--model', MODEL, '--image', png, '--out', join(dir, 'wa.npy'), '--recon', join(dir, 'ra.png')]);
    await ok(['invert', '--model', MODEL, '--image', npy, '--out', join(dir, 'wb.npy')]);
    const a = readNpy(join(dir, 'wa.npy')).data as Float32Array;
    const b = readNpy(join(dir, 'wb.npy')).data as Float32Array;
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBeLessThan(1e-5);
    expect(existsSync(join(dir, 'ra.png'))).toBe(true);
    // a larger image is resized to the input size first
    const big = join(dir, 'big.png');
    await writePng(big, { width: 100, height: 90, data: new Uint8Array(100 * 90 * 3).fill(128) });
    await ok(['invert', '--model', MODEL, '--image', big, '--out', join(dir, 'wc.npy')]);
    expect(readNpy(join(dir, 'wc.npy')).shape).toEqual([1, 10, 64]);
  });

  it('--refine n optimises W+ after encoding: the reconstruction error of the codes drops', async () => {
    const input = readNpy(join(REF, 'e4e_input.npy'));
    const x = tf.tensor(input.data as Float32Array, input.shape).transpose([0, 2, 3, 1]);
    const err = async (extra: string[]) => {
      const rec = join(dir, `rec-${extra.length}.npy`);
      await ok(['invert', '--model', MODEL, '--image', join(REF, 'e4e_input.npy'), '--out', join(dir, `wr-${extra.length}.npy`), '--recon', rec, '--quiet', ...extra]);
      const img = readNpy(rec);
      return tf.tidy(() => tf.losses.meanSquaredError(x, tf.tensor(img.data as Float32Array, img.shape).transpose([0, 2, 3, 1])).dataSync()[0]!);
    };
    const plain = await err([]);
    const refined = await err(['--refine', '25']);
    expect(refined).toBeLessThan(plain * 0.8);
    await refused(['invert', '--model', MODEL, '--image', join(REF, 'e4e_input.npy'), '--out', join(dir, 'w.npy'), '--refine', 'x'], /--refine x: expected an integer ≥ 0/);
    x.dispose();
  });

  it('refuses bad inputs', async () => {
    const o = ['--out', join(dir, 'w.npy')];
    const legacyDir = join(dir, 'legacy');
    await refused(['invert', '--model', legacyDir, '--image', join(REF, 'e4e_input.npy'), ...o], /legacy: has no encoder\.safetensors/);
    await refused(['invert', '--model', MODEL, '--image', join(REF, 'img_from_z.npy'), '--out', join(dir, 'w.txt')], /w\.txt: --out must be a \.npy file/);
    await refused(['invert', '--model', MODEL, '--image', join(REF, 'wplus.npy'), ...o], /wplus\.npy: has shape 2×10×64; the encoder takes a normalised NCHW array \[B, 3, 64, 64\]/);
    await refused(['invert', '--model', MODEL, '--image', join(REF, 'README.md'), ...o], /README\.md: not an image/);
    await refused(['invert', '--model', join(REF, 'e4e-small.pt'), '--image', join(REF, 'e4e_input.npy'), ...o, '--recon', join(dir, 'r.png')], /e4e-small\.pt: holds no StyleGAN2 generator/);
    await refused(['invert', '--model', MODEL, '--image', join(REF, 'e4e_input.npy'), ...o, '--recon', join(dir, 'r.gif')], /r\.gif: --recon must end in \.png/);
    await refused(['invert', '--model', MODEL, ...o], /required option '--image <file>'/);
    copyFileSync(join(REF, 'stylegan2-small.pt'), join(dir, 'gen-only.pt'));
    await refused(['invert', '--model', join(dir, 'gen-only.pt'), '--image', join(REF, 'e4e_input.npy'), ...o], /gen-only\.pt: holds no e4e\/pSp encoder/);
  });
});

describe('help', () => {
  it.each(['import', 'generate', 'invert'])('%s --help explains the inputs and shows examples', async (cmd) => {
    const r = await run([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Usage: aueditnet ${cmd}`));
    expect(r.stdout).toMatch(/Examples:\n {2}aueditnet /);
  });
});
