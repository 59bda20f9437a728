import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { readNpy } from '../../src/io/npy.js';
import { flattenCheckpoint, loadTorchCheckpoint, openTorchCheckpoint, TorchTensor } from '../../src/io/torch.js';
import { ZipReader } from '../../src/io/zip.js';
import { bytes, DTYPES, makeZip, REF, tempDir } from './helpers.js';

const dir = tempDir();

type Dict = Record<string, unknown>;

function tensorAt(root: unknown, ...path: string[]): TorchTensor {
  let v = root;
  for (const p of path) v = (v as Dict)[p];
  expect(v).toBeInstanceOf(TorchTensor);
  return v as TorchTensor;
}

function first(t: TorchTensor, n: number): number[] {
  return Array.from(t.data.slice(0, n) as Float32Array);
}

describe('reference fixtures', () => {
  const zip = loadTorchCheckpoint(join(REF, 'stylegan2-small.pt')) as Dict;
  const legacy = loadTorchCheckpoint(join(REF, 'stylegan2-small-legacy.pt')) as Dict;

  it('stylegan2-small: structure and first values from the README', () => {
    expect(Object.keys(zip)).toEqual(['g_ema', 'latent_avg']);
    const g = zip['g_ema'] as Dict;
    expect(Object.keys(g)).toHaveLength(87);
    expect(Object.keys(g).slice(0, 3)).toEqual(['style.1.weight', 'style.1.bias', 'style.2.weight']);
    const w = tensorAt(g, 'style.1.weight');
    expect(w.dtype).toBe('float32');
    expect(w.shape).toEqual([64, 64]);
    expect(w.data).toBeInstanceOf(Float32Array);
    const close = (t: TorchTensor, want: number[]) => first(t, want.length).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
    close(w, [-11.1719, -49.659, 16.3074]);
    close(tensorAt(g, 'conv1.conv.weight'), [-0.455851, -1.14689, 1.5274]);
    expect(tensorAt(g, 'conv1.conv.weight').shape).toEqual([1, 32, 32, 3, 3]);
    close(tensorAt(g, 'convs.0.conv.blur.kernel'), [0.0625, 0.1875, 0.1875]);
    close(tensorAt(g, 'noises.noise_8'), [1.10353, -1.00514, 0.0254673]);
    expect(tensorAt(g, 'noises.noise_8').shape).toEqual([1, 1, 64, 64]);
    close(tensorAt(g, 'conv1.noise.weight'), [-0.146636]);
  });

  it('latent_avg equals sg2_latent_avg.npy exactly', () => {
    const npy = readNpy(join(REF, 'sg2_latent_avg.npy'));
    const t = tensorAt(zip, 'latent_avg');
    expect(t.shape).toEqual([64]);
    expect(Array.from(t.data as Float32Array)).toEqual(Array.from(npy.data as Float32Array));
  });

  it('zip and legacy formats give identical tensors', () => {
    const a = flattenCheckpoint(zip).tensors;
    const b = flattenCheckpoint(legacy).tensors;
    expect(Object.keys(b)).toEqual(Object.keys(a));
    for (const key of Object.keys(a)) {
      expect(b[key]!.dtype).toBe(a[key]!.dtype);
      expect(b[key]!.shape).toEqual(a[key]!.shape);
      expect(Buffer.from((b[key]!.data as Float32Array).buffer).equals(Buffer.from((a[key]!.data as Float32Array).buffer))).toBe(true);
    }
  });

  it('e4e-small: int64 num_batches_tracked, latent_avg rows and opts', () => {
    const ckpt = loadTorchCheckpoint(join(REF, 'e4e-small.pt')) as Dict;
    expect(Object.keys(ckpt)).toEqual(['state_dict', 'latent_avg', 'opts']);
    const sd = ckpt['state_dict'] as Dict;
    expect(Object.keys(sd)).toHaveLength(469);
    const nbt = tensorAt(sd, 'encoder.body.23.res_layer.4.num_batches_tracked');
    expect(nbt.dtype).toBe('int64');
    expect(nbt.shape).toEqual([]);
    expect(nbt.data).toEqual(new BigInt64Array([0n]));
    const avg = tensorAt(ckpt, 'latent_avg');
    expect(avg.shape).toEqual([10, 64]);
    const d = avg.data as Float32Array;
    expect(d[0]).toBeCloseTo(-1.48608, 4);
    expect(d[64]).toBeCloseTo(0.235478, 4);
    expect(d[65]).toBeCloseTo(-0.926518, 4);
    expect(ckpt['opts']).toMatchObject({
      encoder_type: 'Encoder4Editing',
      stylegan_size: 64,
      start_from_latent_avg: true,
      dataset_type: 'ffhq_encode',
      checkpoint_path: null,
      learning_rate: 0.0001,
      fixture_width_divisor: 8,
      fixture_gradual_style_spatial: [4, 8, 16],
    });
    const flat = flattenCheckpoint(ckpt);
    expect(flat.values['opts.fixture_gradual_style_spatial']).toEqual([4, 8, 16]);
    expect(flat.values['opts.checkpoint_path']).toBeNull();
    expect(flat.tensors['state_dict.encoder.styles.9.linear.bias']!.shape).toEqual([64]);
  });

  it('opens lazily: structure first, data on access, once per storage', () => {
    const ckpt = openTorchCheckpoint(join(REF, 'stylegan2-small.pt'));
    try {
      expect(ckpt.format).toBe('zip');
      expect(ckpt.tensors).toHaveLength(88);
      expect(ckpt.tensors.every((t) => !t.isLoaded)).toBe(true);
      const t = ckpt.tensors[0]!;
      expect(t.read()).toEqual(t.data);
      expect(t.isLoaded).toBe(true);
    } finally {
      ckpt.close();
    }
  });
});

// ------------------------------------------------------------------------------------------------

interface ExpectedTensor {
  __tensor__: { dtype: string; shape: number[]; values: Array<number | string> };
}

const expected = (JSON.parse(readFileSync(join(DTYPES, 'torch-dtypes.json'), 'utf8')) as { object: unknown }).object;

/** Compares a loaded value with the generator's JSON description of it (see make-torch-fixtures.py). */
function check(actual: unknown, want: unknown, path: string): void {
  if (want !== null && typeof want === 'object' && !Array.isArray(want)) {
    const w = want as Record<string, unknown>;
    if ('__tensor__' in w) {
      const spec = (w as unknown as ExpectedTensor).__tensor__;
      expect(actual, path).toBeInstanceOf(TorchTensor);
      const t = actual as TorchTensor;
      expect(t.dtype, path).toBe(spec.dtype);
      expect(t.shape, path).toEqual(spec.shape);
      const got = Array.from(t.data as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? x.toString() : x));
      expect(got, path).toEqual(spec.values);
      return;
    }
    if ('__bigint__' in w) return expect(actual, path).toBe(BigInt(w['__bigint__'] as string));
    if ('__bytes__' in w) return expect(actual, path).toEqual(new Uint8Array(w['__bytes__'] as number[]));
    expect(Object.keys(actual as object), path).toEqual(Object.keys(w));
    for (const k of Object.keys(w)) check((actual as Dict)[k], w[k], `${path}.${k}`);
    return;
  }
  if (Array.isArray(want)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, path).toBe(want.length);
    want.forEach((x, i) => check((actual as unknown[])[i], x, `${path}.${i}`));
    return;
  }
  expect(actual, path).toEqual(want);
}

describe.each(['torch-dtypes.pt', 'torch-dtypes-p4.pt', 'torch-dtypes-legacy.pt'])('torch-generated %s', (name) => {
  it('matches the values torch computed (dtypes, strides, offsets, shared storages, plain values)', () => {
    check(loadTorchCheckpoint(join(DTYPES, name)), expected, '');
  });

  it('tensors sharing a storage do not share memory', () => {
    const root = loadTorchCheckpoint(join(DTYPES, name)) as Dict;
    const a = tensorAt(root, 'shared_a');
    const b = tensorAt(root, 'shared_b');
    (a.data as Float32Array)[0] = 1234;
    expect((b.data as Float32Array)[2]).toBe(0.5);
  });
});

// ------------------------------------------------------------------------------------------------

describe('refusals and corrupt files', () => {
  const write = (name: string, data: Uint8Array | string) => {
    const p = join(dir, name);
    writeFileSync(p, data);
    return p;
  };
  const refuse = (path: string, message: RegExp) => {
    let err: unknown;
    try {
      loadTorchCheckpoint(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  };

  it('missing file', () => refuse(join(dir, 'nope.pt'), /nope\.pt: no such file$/));

  it('zip cut in half', () => {
    const full = readFileSync(join(REF, 'stylegan2-small.pt'));
    const p = write('half.pt', full.subarray(0, full.length >> 1));
    refuse(p, /half\.pt: truncated zip: central directory missing/);
  });

  it('legacy file cut in half', () => {
    const full = readFileSync(join(REF, 'stylegan2-small-legacy.pt'));
    refuse(write('half-legacy.pt', full.subarray(0, full.length >> 1)), /half-legacy\.pt: truncated/);
    refuse(write('tiny-legacy.pt', full.subarray(0, 40)), /tiny-legacy\.pt: truncated pickle/);
  });

  it('zip with a storage entry missing', () => {
    const pkl = readZipEntry(join(REF, 'stylegan2-small.pt'), 'stylegan2-small/data.pkl');
    const p = write('nostorage.pt', makeZip({ 'archive/data.pkl': pkl, 'archive/version': '3\n' }));
    const ckpt = openTorchCheckpoint(p);
    try {
      expect(() => ckpt.tensors[0]!.data).toThrow(/nostorage\.pt: corrupt checkpoint: storage '0' is missing/);
    } finally {
      ckpt.close();
    }
  });

  it('TorchScript archives', () => {
    const p = write('scripted.pt', makeZip({ 'm/data.pkl': bytes(0x80, 2, 'N.'), 'm/constants.pkl': bytes(0x80, 2, ').'), 'm/code/__torch__.py': 'x' }));
    refuse(p, /scripted\.pt: is a TorchScript archive/);
  });

  it('legacy tar format', () => {
    const tar = new Uint8Array(1024);
    tar.set(Buffer.from('sys_info'), 0);
    tar.set(Buffer.from('ustar'), 257);
    refuse(write('old.pt', tar), /old\.pt: is a legacy tar-format PyTorch checkpoint/);
  });

  it('other formats say what they are', () => {
    copyFileSync(join(REF, 'z.npy'), join(dir, 'z.pt'));
    refuse(join(dir, 'z.pt'), /z\.pt: is not a PyTorch checkpoint \(it looks like a NumPy \.npy array\)/);
    refuse(write('npz.pt', makeZip({ 'a.npy': 'x' })), /npz\.pt: is a NumPy \.npz archive/);
    refuse(write('empty.pt', ''), /empty\.pt: is empty/);
    refuse(write('plain.pkl', bytes(0x80, 2, 'K', 5, '.')), /plain\.pkl: is a Python pickle but not a PyTorch checkpoint/);
  });

  it('a tensor view beyond its storage', () => {
    // _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', 2), 0, (3,), (1,), False, OrderedDict())
    const pkl = bytes(
      0x80, 2, 'ctorch._utils\n_rebuild_tensor_v2\n',
      '(', '(', 0x58, [7, 0, 0, 0], 'storage', 'ctorch\nFloatStorage\n', 0x58, [1, 0, 0, 0], '0', 0x58, [3, 0, 0, 0], 'cpu', 'K', 2, 't', 'Q',
      'K', 0, 'K', 3, 0x85, 'K', 1, 0x85, 0x89, 'ccollections\nOrderedDict\n)R', 't', 'R', '.',
    );
    const p = write('oob.pt', makeZip({ 'a/data.pkl': pkl, 'a/data/0': new Uint8Array(8) }));
    refuse(p, /oob\.pt: corrupt checkpoint: tensor 3 at offset 0 reaches element 2 of a 2-element storage/);
  });

  it('a hostile pickle inside a real zip checkpoint is refused and not run', () => {
    const canary = join(dir, 'canary');
    const evil = bytes(0x80, 2, 'cos\nsystem\n', 0x58, [canary.length + 6, 0, 0, 0], `touch ${canary}`, 0x85, 'R.');
    const p = write('bad.pt', makeZip({ 'archive/data.pkl': evil }));
    refuse(p, /^.*bad\.pt: pickle refers to global 'os\.system', which is not on the tensor-rebuild allow-list$/);
    expect(existsSync(canary)).toBe(false);
  });

  it('a whole pickled nn.Module is refused with advice', () => {
    const pkl = bytes(0x80, 2, 'cmodels.stylegan2.model\nGenerator\n)', 0x81, '.');
    refuse(write('module.pt', makeZip({ 'archive/data.pkl': pkl })), /module\.pt: pickle refers to global 'models\.stylegan2\.model\.Generator'/);
  });
});

describe('flattenCheckpoint', () => {
  it('joins dict keys with dots, expands lists with tensors, keeps plain lists whole', () => {
    const root = loadTorchCheckpoint(join(DTYPES, 'torch-dtypes.pt'));
    const { tensors, values } = flattenCheckpoint(root);
    expect(Object.keys(tensors)).toContain('nested.list.0');
    expect(Object.keys(tensors)).toContain('nested.od.b');
    expect(tensors['int64']!.dtype).toBe('int64');
    expect(values).toMatchObject({
      'nested.list.1': 1,
      'nested.list.2': 'two',
      'nested.list.3': null,
      'nested.od.a': 1,
      'nested.plain.list': [1, 2.5, 'x', [null, false]],
      'nested.plain.big': '1180591620717411303424',
      'nested.plain.bytes': { $bytes: 'AAH/' },
      'nested.plain.empty_dict': {},
      'nested.plain.int_keys.1': 'one',
      'nested.plain.tuple_keys.(1, 2)': 'a',
      'nested.ns.lr': 0.1,
    });
    expect(JSON.parse(JSON.stringify(values))).toEqual(values);
  });

  it('refuses key collisions and cycles with UserError', () => {
    expect(() => flattenCheckpoint({ a: { b: 1 }, 'a.b': 2 }, { label: 'c.pt' })).toThrow(/c\.pt: two entries flatten to the same key 'a\.b'/);
    const cyc: unknown[] = [];
    cyc.push(cyc, new TorchTensor('float32', [1], new Float32Array(1)));
    expect(() => flattenCheckpoint({ x: cyc })).toThrow(UserError);
  });
});

function readZipEntry(path: string, name: string): Uint8Array {
  const zip = ZipReader.open(path);
  try {
    return zip.read(name);
  } finally {
    zip.close();
  }
}
