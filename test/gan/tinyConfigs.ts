/**
 * Tiny 32-px GAN architectures for tests that need a whole pipeline, not parity: 8 W+ rows.
 * The 16-wide pair is the smallest that runs the editor; the 80-wide one leaves room for the
 * SynthFACS render code in z (pair trainer, latent-space tests).
 */
import type { EncoderConfig, GeneratorConfig } from '../../src/gan/config.js';

const encoder32 = (styleDim: number, mode: 'ir' | 'ir_se', widths: EncoderConfig['widths'], blockWidth: number): EncoderConfig => ({
  inputSize: 32,
  mode,
  units: [1, 1, 1, 1],
  widths,
  seReduction: 4,
  styleDim,
  blockWidth,
  styleCount: 8,
  coarseInd: 3,
  middleInd: 5,
  structure: 'e4e',
  progressiveStage: 18,
});

export const TINY_G16: GeneratorConfig = { size: 32, styleDim: 16, nMlp: 2, lrMlp: 1, channels: { '4': 8, '8': 8, '16': 8, '32': 4 }, blurKernel: [1, 3, 3, 1] };
export const TINY_E16: EncoderConfig = encoder32(16, 'ir', [4, 8, 8, 8], 8);

export const TINY_G80: GeneratorConfig = { size: 32, styleDim: 80, nMlp: 2, lrMlp: 1, channels: { '4': 16, '8': 16, '16': 8, '32': 8 }, blurKernel: [1, 3, 3, 1] };
export const TINY_E80: EncoderConfig = encoder32(80, 'ir_se', [8, 8, 16, 16], 16);
