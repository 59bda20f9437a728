/**
 * Architecture configs of the generator (rosinality StyleGAN2) and the encoder (e4e / pSp), as
 * stored in `generator.json` / `encoder.json`. Everything the reference constructors take as
 * arguments (or hard-code) is a field here, so a trainer can build any size and any width.
 */
import { UserError } from '../errors.js';

export interface GeneratorConfig {
  /** Output resolution, a power of two from 8 to 1024 (rosinality `size`). */
  size: number;
  /** Length of z, w and each W+ row (`style_dim`). */
  styleDim: number;
  /** Mapping layers after PixelNorm (`n_mlp`). */
  nMlp: number;
  /** Learning-rate multiplier of the mapping layers (`lr_mlp`); scales their weights at run time. */
  lrMlp: number;
  /** Feature channels per resolution, '4' … String(size) (rosinality `self.channels`). */
  channels: Record<string, number>;
  /** 1-D blur kernel (`blur_kernel`); its outer product, normalised, is the 2-D filter. */
  blurKernel: number[];
}

/** rosinality's default widths for `channel_multiplier` (2 = the official config-f). */
export function rosinalityChannels(size: number, channelMultiplier = 2): Record<string, number> {
  const all: Record<number, number> = {
    4: 512,
    8: 512,
    16: 512,
    32: 512,
    64: 256 * channelMultiplier,
    128: 128 * channelMultiplier,
    256: 64 * channelMultiplier,
    512: 32 * channelMultiplier,
    1024: 16 * channelMultiplier,
  };
  const out: Record<string, number> = {};
  for (let r = 4; r <= size; r *= 2) out[String(r)] = all[r]!;
  return out;
}

/** The FFHQ config-f generator of the official checkpoints (1024 px, 18 W+ levels). */
export function ffhqGeneratorConfig(size = 1024): GeneratorConfig {
  return { size, styleDim: 512, nMlp: 8, lrMlp: 0.01, channels: rosinalityChannels(size, 2), blurKernel: [1, 3, 3, 1] };
}

export function log2Int(n: number): number {
  return Math.round(Math.log2(n));
}

/** Number of W+ rows: 2·log2(size) − 2 (18 at 1024, 10 at 64). */
export function nLatent(size: number): number {
  return 2 * log2Int(size) - 2;
}

/** Number of noise inputs / StyledConvs: 2·(log2(size) − 2) + 1. */
export function numNoiseLayers(size: number): number {
  return 2 * (log2Int(size) - 2) + 1;
}

function isPow2(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

function positiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

/** Checks a config from a JSON file or a caller; returns it with defaults filled in. */
export function validateGeneratorConfig(c: Partial<GeneratorConfig>, where = 'generator config'): GeneratorConfig {
  const bad = (m: string) => new UserError(`${where}: ${m}`);
  if (!positiveInt(c.size) || !isPow2(c.size) || c.size < 8 || c.size > 1024) throw bad(`size must be a power of two from 8 to 1024, got ${String(c.size)}`);
  if (!positiveInt(c.styleDim)) throw bad(`styleDim must be a positive integer, got ${String(c.styleDim)}`);
  if (typeof c.nMlp !== 'number' || !Number.isInteger(c.nMlp) || c.nMlp < 0) throw bad(`nMlp must be a non-negative integer, got ${String(c.nMlp)}`);
  const lrMlp = c.lrMlp ?? 0.01;
  if (typeof lrMlp !== 'number' || !(lrMlp > 0)) throw bad(`lrMlp must be positive, got ${String(lrMlp)}`);
  const channels: Record<string, number> = {};
  for (let r = 4; r <= c.size; r *= 2) {
    const ch = c.channels?.[String(r)];
    if (!positiveInt(ch)) throw bad(`channels['${r}'] must be a positive integer, got ${String(ch)}`);
    channels[String(r)] = ch;
  }
  const blurKernel = c.blurKernel ?? [1, 3, 3, 1];
  if (!Array.isArray(blurKernel) || blurKernel.length < 1 || !blurKernel.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw bad('blurKernel must be a non-empty list of numbers');
  }
  if (blurKernel.reduce((a, b) => a + b, 0) === 0) throw bad('blurKernel must not sum to zero');
  return { size: c.size, styleDim: c.styleDim, nMlp: c.nMlp, lrMlp, channels, blurKernel: [...blurKernel] };
}

// ---------------------------------------------------------------------------------------------

/**
 * e4e's Encoder4Editing (and pSp's GradualStyleEncoder, which shares its weights layout): an IR or
 * IR-SE ResNet body, an FPN over the last three stages, and one GradualStyleBlock per W+ row.
 */
export interface EncoderConfig {
  /** Square input size; the coarse/middle/fine maps are inputSize/16, /8, /4. Official e4e: 256. */
  inputSize: number;
  /** Bottleneck type: 'ir_se' (official) or 'ir' (no squeeze-excitation). */
  mode: 'ir' | 'ir_se';
  /** Units per stage: IR-50 [3, 4, 14, 3], IR-100 [3, 13, 30, 3], IR-152 [3, 8, 36, 3]. */
  units: [number, number, number, number];
  /** Output channels per stage (official 64, 128, 256, 512); the input layer has widths[0]. */
  widths: [number, number, number, number];
  /** SE bottleneck reduction (official 16). */
  seReduction: number;
  /** W+ row length. */
  styleDim: number;
  /**
   * Width of the GradualStyleBlock convs. e4e/pSp use the style dim (512) and end each block with
   * an EqualLinear(512, 512); a smaller width (a lighter encoder for a small generator) makes that
   * last layer EqualLinear(blockWidth, styleDim). Default: styleDim.
   */
  blockWidth?: number;
  /** W+ rows produced (2·log2(generator size) − 2). */
  styleCount: number;
  /** Rows from the coarse map (c3) are 0 … coarseInd−1, middle (p2) up to middleInd−1, fine (p1) the rest. */
  coarseInd: number;
  middleInd: number;
  /**
   * 'e4e': w_i = w_0 + Δ_i (Encoder4Editing, with `progressiveStage` deltas applied);
   * 'psp': w_i = style_i(features) (pSp's GradualStyleEncoder).
   */
  structure: 'e4e' | 'psp';
  /** e4e ProgressiveStage: deltas 1 … progressiveStage are added (18 = Inference = all). */
  progressiveStage: number;
}

export const IR_UNITS: Record<number, [number, number, number, number]> = {
  50: [3, 4, 14, 3],
  100: [3, 13, 30, 3],
  152: [3, 8, 36, 3],
};

/** The official e4e_ffhq_encode configuration (IR-SE-50 at 256 px, 18 × 512 codes). */
export function ffhqEncoderConfig(): EncoderConfig {
  return {
    inputSize: 256,
    mode: 'ir_se',
    units: [...IR_UNITS[50]!],
    widths: [64, 128, 256, 512],
    seReduction: 16,
    styleDim: 512,
    blockWidth: 512,
    styleCount: 18,
    coarseInd: 3,
    middleInd: 7,
    structure: 'e4e',
    progressiveStage: 18,
  };
}

export function validateEncoderConfig(c: Partial<EncoderConfig>, where = 'encoder config'): EncoderConfig {
  const bad = (m: string) => new UserError(`${where}: ${m}`);
  if (!positiveInt(c.inputSize) || !isPow2(c.inputSize) || c.inputSize < 32) throw bad(`inputSize must be a power of two ≥ 32, got ${String(c.inputSize)}`);
  if (c.mode !== 'ir' && c.mode !== 'ir_se') throw bad(`mode must be 'ir' or 'ir_se', got ${String(c.mode)}`);
  const four = (v: unknown): v is [number, number, number, number] => Array.isArray(v) && v.length === 4 && v.every(positiveInt);
  if (!four(c.units)) throw bad('units must be four positive integers');
  if (!four(c.widths)) throw bad('widths must be four positive integers');
  const seReduction = c.seReduction ?? 16;
  if (!positiveInt(seReduction)) throw bad(`seReduction must be a positive integer, got ${String(seReduction)}`);
  if (c.mode === 'ir_se' && c.widths.some((w) => Math.floor(w / seReduction) < 1)) {
    throw bad(`seReduction ${seReduction} leaves an SE block with no channels for widths [${c.widths.join(', ')}]`);
  }
  if (!positiveInt(c.styleDim)) throw bad(`styleDim must be a positive integer, got ${String(c.styleDim)}`);
  const blockWidth = c.blockWidth ?? c.styleDim;
  if (!positiveInt(blockWidth)) throw bad(`blockWidth must be a positive integer, got ${String(c.blockWidth)}`);
  if (!positiveInt(c.styleCount)) throw bad(`styleCount must be a positive integer, got ${String(c.styleCount)}`);
  const coarseInd = c.coarseInd ?? 3;
  const middleInd = c.middleInd ?? 7;
  if (!positiveInt(coarseInd) || !positiveInt(middleInd) || coarseInd > middleInd) throw bad('need 0 < coarseInd ≤ middleInd');
  const structure = c.structure ?? 'e4e';
  if (structure !== 'e4e' && structure !== 'psp') throw bad(`structure must be 'e4e' or 'psp', got ${String(structure)}`);
  const progressiveStage = c.progressiveStage ?? 18;
  if (typeof progressiveStage !== 'number' || !Number.isInteger(progressiveStage) || progressiveStage < 0) throw bad('progressiveStage must be a non-negative integer');
  return {
    inputSize: c.inputSize,
    mode: c.mode,
    units: [...c.units],
    widths: [...c.widths],
    seReduction,
    styleDim: c.styleDim,
    blockWidth,
    styleCount: c.styleCount,
    coarseInd,
    middleInd,
    structure,
    progressiveStage,
  };
}

/** Spatial size of the GradualStyleBlock input for W+ row i: c3 (S/16), p2 (S/8) or p1 (S/4). */
export function styleBlockSpatial(c: EncoderConfig, i: number): number {
  const div = i < c.coarseInd ? 16 : i < c.middleInd ? 8 : 4;
  return c.inputSize / div;
}
