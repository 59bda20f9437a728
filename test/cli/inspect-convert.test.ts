import { Command } from 'commander';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { convertCheckpoint, register as registerConvert, sidecarPath } from '../../src/cli/convert.js';
import { inspectFile, register as registerInspect } from '../../src/cli/inspect.js';
import { UserError } from '../../src/errors.js';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { readTensorFile } from '../../src/io/tensor-file.js';
import { loadTorchCheckpoint, flattenCheckpoint } from '../../src/io/torch.js';
import { DTYPES, REF, tempDir } from '../io/helpers.js';

const dir = tempDir();

async function runCli(...args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerInspect(program);
  registerConvert(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'aueditnet', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('readTensorFile', () => {
  it('dispatches on content, not extension', () => {
    copyFileSync(join(REF, 'stylegan2-small.pt'), join(dir, 'weights.bin'));
    const f = readTensorFile(join(dir, 'weights.bin'));
    try {
      expect(f.format).toBe('pytorch-zip');
      expect(f.entries).toHaveLength(88);
      expect(f.entries[0]).toEqual({ name: 'g_ema.style.1.weight', dtype: 'float32', shape: [64, 64] });
      expect(f.read('g_ema.style.1.weight').data[0]).toBeCloseTo(-11.1719, 3);
      expect(() => f.read('nope')).toThrow(/no tensor named 'nope'/);
    } finally {
      f.close();
    }
    const npy = readTensorFile(join(REF, 'w.npy'));
    expect(npy.entries).toEqual([{ name: '', dtype: 'float32', shape: [2, 64] }]);
    expect(npy.read('').data).toHaveLength(128);
    writeFileSync(join(dir, 'notes.pt'), 'just text');
    expect(() => readTensorFile(join(dir, 'notes.pt'))).toThrow(/notes\.pt: is not a tensor file this tool reads/);
    expect(() => readTensorFile(join(dir, 'absent.pt'))).toThrow(/absent\.pt: no such file/);
  });
});

describe('aueditnet inspect', () => {
  it('prints a name/dtype/shape table with the checkpoint values', async () => {
    const out = await runCli('inspect', join(REF, 'e4e-small.pt'));
    expect(out).toContain('PyTorch checkpoint (zip)');
    expect(out).toMatch(/^name\s+dtype\s+shape$/m);
    expect(out).toMatch(/^state_dict\.encoder\.body\.0\.res_layer\.4\.num_batches_tracked\s+int64\s+\[\]$/m);
    expect(out).toMatch(/^latent_avg\s+float32\s+\[10, 64\]$/m);
    expect(out).toContain('470 tensors');
    expect(out).toContain('opts.encoder_type = "Encoder4Editing"');
  });

  it('--json', async () => {
    const report = JSON.parse(await runCli('inspect', '--json', join(REF, 'stylegan2-small-legacy.pt'))) as {
      format: string;
      tensors: Array<{ name: string; dtype: string; shape: number[] }>;
    };
    expect(report.format).toBe('pytorch-legacy');
    expect(report.tensors.find((t) => t.name === 'latent_avg')).toEqual({ name: 'latent_avg', dtype: 'float32', shape: [64] });
  });

  it('safetensors (with __metadata__) and .npy', async () => {
    const st = join(dir, 'small.safetensors');
    await writeSafetensors(st, { 'b.w': { dtype: 'float16', shape: [2, 3], data: new Float32Array(6) }, a: { dtype: 'int64', shape: [], data: [1] } }, { arch: 'tiny' });
    const out = await inspectFile(st);
    expect(out).toContain(': safetensors');
    expect(out).toMatch(/^a\s+int64\s+\[\]$/m);
    expect(out).toMatch(/^b\.w\s+float16\s+\[2, 3\]$/m);
    expect(out).toContain('arch = "tiny"');
    expect(await inspectFile(join(REF, 'wplus.npy'))).toMatch(/^\(whole file\)\s+float32\s+\[2, 10, 64\]$/m);
  });

  it('a missing file is a UserError', async () => {
    await expect(inspectFile(join(dir, 'x.pt'))).rejects.toThrow(UserError);
    await expect(inspectFile(join(dir, 'x.pt'))).rejects.toThrow(/x\.pt: no such file$/);
  });
});

describe('aueditnet convert', () => {
  it('flattens e4e into safetensors + JSON sidecar (F32, I64 kept)', async () => {
    const out = join(dir, 'e4e.safetensors');
    const log = await runCli('convert', join(REF, 'e4e-small.pt'), out);
    expect(log).toContain('470 tensors');
    const { tensors, metadata } = readSafetensors(out);
    expect(metadata).toEqual({ format: 'pt', source: 'e4e-small.pt' });
    const src = flattenCheckpoint(loadTorchCheckpoint(join(REF, 'e4e-small.pt'))).tensors;
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(src).sort());
    for (const [k, t] of Object.entries(src)) {
      expect(tensors[k]!.dtype).toBe(t.dtype);
      const a = tensors[k]!.data;
      // byte comparison: vitest's deep equality over 1.7 M elements takes seconds
      expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), k).toBe(true);
    }
    expect(tensors['state_dict.encoder.body.0.res_layer.4.num_batches_tracked']).toEqual({ dtype: 'int64', shape: [], data: new BigInt64Array([0n]) });
    const sidecar = JSON.parse(readFileSync(join(dir, 'e4e.json'), 'utf8')) as Record<string, unknown>;
    expect(sidecar).toMatchObject({ 'opts.stylegan_size': 64, 'opts.checkpoint_path': null, 'opts.fixture_gradual_style_spatial': [4, 8, 16] });
  });

  it('--half and --select', async () => {
    const out = join(dir, 'g.safetensors');
    const r = await convertCheckpoint(join(REF, 'stylegan2-small.pt'), out, { half: true, select: 'g_ema' });
    expect(r.tensors).toBe(87);
    const { tensors } = readSafetensors(out);
    expect(tensors['style.1.weight']!.dtype).toBe('float16');
    expect(tensors['style.1.weight']!.data[0]).toBeCloseTo(-11.1719, 2);
    expect(tensors['latent_avg']).toBeUndefined();
    expect(JSON.parse(readFileSync(sidecarPath(out), 'utf8'))).toEqual({});
    await expect(convertCheckpoint(join(REF, 'stylegan2-small.pt'), out, { select: 'nothing' })).rejects.toThrow(/no tensors under 'nothing'; tensors start with: g_ema, latent_avg/);
  });

  it('dtypes fixture: ints and bools keep their type, floats become F32', async () => {
    const out = join(dir, 'dtypes.safetensors');
    await convertCheckpoint(join(DTYPES, 'torch-dtypes-legacy.pt'), out);
    const { tensors } = readSafetensors(out);
    expect(tensors['int32']!.dtype).toBe('int32');
    expect(tensors['bool']!.dtype).toBe('bool');
    expect(tensors['half']!.dtype).toBe('float32');
    expect(tensors['double']!.dtype).toBe('float32');
    expect(tensors['transposed']!.shape).toEqual([4, 3]);
  });

  it('user errors', async () => {
    await expect(convertCheckpoint(join(dir, 'x.pt'), join(dir, 'y.safetensors'))).rejects.toThrow(/x\.pt: no such file$/);
    await expect(convertCheckpoint(join(REF, 'z.npy'), join(dir, 'y.safetensors'))).rejects.toThrow(/z\.npy: is not a PyTorch checkpoint/);
    await expect(convertCheckpoint(join(REF, 'stylegan2-small.pt'), join(dir, 'y.json'))).rejects.toThrow(/must not end in \.json/);
    await expect(convertCheckpoint(join(REF, 'stylegan2-small.pt'), join(dir, 'no', 'y.safetensors'))).rejects.toThrow(/directory .* does not exist/);
    expect(existsSync(join(dir, 'y.safetensors'))).toBe(false);
  });

  it('--help explains the command', async () => {
    const program = new Command().exitOverride();
    registerConvert(program);
    const help = program.commands.find((c) => c.name() === 'convert')!.helpInformation();
    expect(help).toContain('--half');
    expect(help).toContain('--select <prefix>');
  });
});
