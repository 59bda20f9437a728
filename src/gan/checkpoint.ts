/**
 * Reading generator and encoder weights from the files people have: rosinality checkpoints
 * (`{g_ema, latent_avg, …}`), e4e / pSp checkpoints (`{state_dict: {encoder.*, decoder.*},
 * latent_avg, opts}`), bare state dicts, and our own safetensors — and inferring the architecture
 * from the tensor shapes, so no size or width has to be given by hand.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { fileError } from '../errors.js';
import { describeFsError, readHead } from '../io/files.js';
import { SafetensorsFile } from '../io/safetensors.js';
import { sniffFormat, SNIFF_BYTES } from '../io/sniff.js';
import { formatShape, type Tensor as IoTensor } from '../io/tensor.js';
import { flattenCheckpoint, openTorchCheckpoint, type JsonValue } from '../io/torch.js';
import { validateEncoderConfig, validateGeneratorConfig, type EncoderConfig, type GeneratorConfig } from './config.js';

/** The weights of one network as found in a file: names without any prefix, PyTorch layout. */
export interface NetworkWeights {
  tensors: Record<string, IoTensor>;
  /** The prefix the names had in the file ('g_ema.', 'state_dict.encoder.', '' …). */
  prefix: string;
}

export interface CheckpointContents {
  path: string;
  format: 'pytorch-zip' | 'pytorch-legacy' | 'safetensors';
  generator: NetworkWeights | null;
  encoder: NetworkWeights | null;
  /** Top-level `latent_avg`: [D] from rosinality, [L, D] from e4e/pSp. */
  latentAvg: IoTensor | null;
  /** Non-tensor values (e4e/pSp `opts.*`, safetensors metadata), by dotted key. */
  values: Record<string, JsonValue>;
}

const GENERATOR_PREFIXES = ['g_ema.', 'state_dict.decoder.', 'decoder.', 'generator.', ''];
const ENCODER_PREFIXES = ['state_dict.encoder.', 'encoder.', ''];
const GENERATOR_MARK = 'conv1.conv.weight';
const ENCODER_MARK = 'input_layer.0.weight';

function pick(all: Record<string, IoTensor>, prefixes: string[], mark: string): NetworkWeights | null {
  for (const prefix of prefixes) {
    if (!Object.hasOwn(all, prefix + mark)) continue;
    const tensors: Record<string, IoTensor> = {};
    for (const [k, v] of Object.entries(all)) {
      if (k.startsWith(prefix) && k !== 'latent_avg') Object.defineProperty(tensors, k.slice(prefix.length), { value: v, enumerable: true, writable: true, configurable: true });
    }
    if (prefix === '') {
      // a bare state dict: keep only the network's own names
      for (const k of Object.keys(tensors)) if (k.includes('.') === false) delete tensors[k];
    }
    return { tensors, prefix };
  }
  return null;
}

/** Finds the networks among a file's tensors; only their tensors (and latent_avg) are read. */
function contents(path: string, format: CheckpointContents['format'], all: Record<string, IoTensor>, values: Record<string, JsonValue>): CheckpointContents {
  const generator = pick(all, GENERATOR_PREFIXES, GENERATOR_MARK);
  const encoder = pick(all, ENCODER_PREFIXES, ENCODER_MARK);
  if (!generator && !encoder) {
    const keys = Object.keys(all);
    const shown = keys.slice(0, 4).join(', ') || 'no tensors';
    throw fileError(path, `holds neither a StyleGAN2 generator (rosinality g_ema layout) nor an e4e/pSp encoder (found ${shown}${keys.length > 4 ? ', …' : ''})`);
  }
  const latentAvg = Object.hasOwn(all, 'latent_avg') ? all['latent_avg']! : null;
  // load what is used now (a training checkpoint also holds a discriminator and optimizer states)
  const load = (t: IoTensor): IoTensor => ({ dtype: t.dtype, shape: t.shape, data: t.data });
  const loadAll = (w: NetworkWeights | null): NetworkWeights | null => {
    if (!w) return null;
    const tensors: Record<string, IoTensor> = {};
    for (const [k, t] of Object.entries(w.tensors)) Object.defineProperty(tensors, k, { value: load(t), enumerable: true, writable: true, configurable: true });
    return { tensors, prefix: w.prefix };
  };
  return { path, format, generator: loadAll(generator), encoder: loadAll(encoder), latentAvg: latentAvg && load(latentAvg), values };
}

/** Reads a .pt/.pth (zip or legacy) or .safetensors file and finds the generator / encoder in it. */
export function readCheckpoint(path: string): CheckpointContents {
  const { head, size } = readHead(path, SNIFF_BYTES);
  const sniffed = sniffFormat(head, size);
  if (sniffed === 'safetensors') {
    const f = SafetensorsFile.open(path);
    try {
      // reads each tensor when `data` is first asked for
      const all: Record<string, IoTensor> = {};
      for (const k of f.keys()) {
        const info = f.info(k);
        let cached: IoTensor['data'] | undefined;
        const entry = {
          dtype: info.dtype ?? 'float32',
          shape: [...info.shape],
          get data() {
            return (cached ??= f.get(k).data);
          },
        } as IoTensor;
        Object.defineProperty(all, k, { value: entry, enumerable: true, writable: true, configurable: true });
      }
      return contents(path, 'safetensors', all, { ...f.metadata });
    } finally {
      f.close();
    }
  }
  if (sniffed === 'zip' || sniffed === 'pickle' || sniffed === 'tar') {
    const ckpt = openTorchCheckpoint(path);
    try {
      const flat = flattenCheckpoint(ckpt.root, { label: path });
      // TorchTensors load their data on first access
      return contents(path, ckpt.format === 'zip' ? 'pytorch-zip' : 'pytorch-legacy', flat.tensors, flat.values);
    } finally {
      ckpt.close();
    }
  }
  if (size === 0) throw fileError(path, 'is empty, not a checkpoint');
  throw fileError(path, 'is not a PyTorch checkpoint or safetensors file');
}

/** sha256 of a file, streamed (official checkpoints are hundreds of MB). */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('error', (err) => reject(fileError(path, describeFsError(err), err)))
      .on('data', (chunk) => h.update(chunk))
      .on('end', () => resolve(h.digest('hex')));
  });
}

function shapeOf(w: NetworkWeights, name: string, label: string): number[] {
  const t = w.tensors[name];
  if (!t || !Object.hasOwn(w.tensors, name)) throw fileError(label, `missing tensor '${w.prefix}${name}'`);
  return t.shape;
}

function countIndexed(keys: string[], re: RegExp): number {
  const seen = new Set<number>();
  for (const k of keys) {
    const m = re.exec(k);
    if (m) seen.add(Number(m[1]));
  }
  let n = 0;
  while (seen.has(n)) n++;
  return n;
}

/**
 * A rosinality generator's architecture from its weights: style dim and mapping depth from
 * `style.*`, resolution from the number of ToRGBs, widths from the conv weights, blur kernel from
 * the stored kernel buffers. lr_mlp is not visible in weights; rosinality's default (0.01) applies.
 */
export function inferGeneratorConfig(w: NetworkWeights, label: string, lrMlp = 0.01): GeneratorConfig {
  const keys = Object.keys(w.tensors);
  const mod = shapeOf(w, 'conv1.conv.modulation.weight', label);
  const styleDim = mod[1]!;
  let nMlp = 0;
  while (Object.hasOwn(w.tensors, `style.${nMlp + 1}.weight`)) nMlp++;
  const levels = countIndexed(keys, /^to_rgbs\.(\d+)\.conv\.weight$/);
  const size = 2 ** (2 + levels);
  if (size < 8 || size > 1024) throw fileError(label, `generator with ${levels} ToRGB levels (${size} px) is outside the supported 8–1024 px`);
  const input = shapeOf(w, 'input.input', label);
  if (input.length !== 4 || input[2] !== 4 || input[3] !== 4) throw fileError(label, `'${w.prefix}input.input' has shape ${formatShape(input)}, expected [1, C, 4, 4]`);
  const channels: Record<string, number> = { '4': input[1]! };
  for (let j = 0; j < levels; j++) channels[String(2 ** (j + 3))] = shapeOf(w, `convs.${2 * j}.conv.weight`, label)[1]!;
  let blurKernel = [1, 3, 3, 1];
  const kt = w.tensors['convs.0.conv.blur.kernel'];
  if (kt && kt.shape.length === 2) {
    // the buffer is outer(k, k)/Σ² · 4: its row sums are proportional to k
    const n = kt.shape[0]!;
    const d = kt.data as Float32Array;
    const rows = Array.from({ length: n }, (_, y) => Array.from({ length: n }, (_, x) => d[y * n + x]!).reduce((a, b) => a + b, 0));
    const ref = rows.map((r) => r / rows[0]!);
    const isDefault = n === 4 && [1, 3, 3, 1].every((v, i) => Math.abs(ref[i]! - v) < 1e-5);
    blurKernel = isDefault ? [1, 3, 3, 1] : ref;
  }
  return validateGeneratorConfig({ size, styleDim, nMlp, lrMlp, channels, blurKernel }, `${label}: inferred generator architecture`);
}

/**
 * An e4e / pSp encoder's architecture from its weights: stage widths and unit counts from `body.*`
 * (a new stage starts where the width changes), SE reduction from the SE squeeze width, W+ rows and
 * style dim from `styles.*`, and the input size from the number of stride-2 convs in the coarse
 * GradualStyleBlocks (log2(input/16) of them).
 */
export function inferEncoderConfig(w: NetworkWeights, label: string, opts: Record<string, JsonValue> = {}): EncoderConfig {
  const keys = Object.keys(w.tensors);
  const nUnits = countIndexed(keys, /^body\.(\d+)\.res_layer\.1\.weight$/);
  const depths = Array.from({ length: nUnits }, (_, i) => shapeOf(w, `body.${i}.res_layer.1.weight`, label)[0]!);
  const units: number[] = [];
  const widths: number[] = [];
  for (const d of depths) {
    if (widths.length === 0 || widths[widths.length - 1] !== d) {
      widths.push(d);
      units.push(1);
    } else units[units.length - 1]!++;
  }
  if (widths.length !== 4) throw fileError(label, `encoder body has ${widths.length} stages of distinct widths (${widths.join(', ')}); an IR/IR-SE backbone has 4`);
  const mode = Object.hasOwn(w.tensors, 'body.0.res_layer.5.fc1.weight') ? 'ir_se' : 'ir';
  let seReduction = 16;
  if (mode === 'ir_se') {
    const squeeze = shapeOf(w, 'body.0.res_layer.5.fc1.weight', label)[0]!;
    seReduction = Math.round(widths[0]! / squeeze);
  }
  const styleCount = countIndexed(keys, /^styles\.(\d+)\.linear\.weight$/);
  if (styleCount === 0) throw fileError(label, 'encoder has no styles.*.linear weights (not an e4e/pSp GradualStyle encoder)');
  const styleDim = shapeOf(w, 'styles.0.linear.weight', label)[0]!;
  const blockWidth = shapeOf(w, 'styles.0.linear.weight', label)[1]!;
  // Sequential indices 0, 2, 4, …: the LeakyReLUs sit at the odd ones
  const convs = Array.from({ length: styleCount }, (_, i) => {
    let n = 0;
    while (Object.hasOwn(w.tensors, `styles.${i}.convs.${2 * n}.weight`)) n++;
    return n;
  });
  const base = convs[0]!;
  let coarseInd = 0;
  while (coarseInd < styleCount && convs[coarseInd] === base) coarseInd++;
  let middleInd = coarseInd;
  while (middleInd < styleCount && convs[middleInd] === base + 1) middleInd++;
  for (let i = middleInd; i < styleCount; i++) {
    if (convs[i] !== base + 2) throw fileError(label, `GradualStyleBlock styles.${i} has ${convs[i]} convs; expected ${base + 2} for a fine block`);
  }
  const inputSize = 16 * 2 ** base;
  const encoderType = typeof opts['encoder_type'] === 'string' ? opts['encoder_type'] : 'Encoder4Editing';
  if (encoderType !== 'Encoder4Editing' && encoderType !== 'GradualStyleEncoder') {
    throw fileError(label, `encoder_type '${encoderType}' is not supported (Encoder4Editing and GradualStyleEncoder are)`);
  }
  return validateEncoderConfig(
    {
      inputSize,
      mode,
      units: units as [number, number, number, number],
      widths: widths as [number, number, number, number],
      seReduction,
      styleDim,
      blockWidth,
      styleCount,
      coarseInd,
      middleInd,
      structure: encoderType === 'GradualStyleEncoder' ? 'psp' : 'e4e',
      progressiveStage: 18,
    },
    `${label}: inferred encoder architecture`,
  );
}
