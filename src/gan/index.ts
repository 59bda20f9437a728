export { Generator, type ForwardOptions, type GeneratorBuildOptions, type NoiseSpec, type SynthesisOptions } from './generator.js';
export { Encoder, type EncoderBuildOptions, type EncoderCall } from './encoder.js';
export {
  ffhqEncoderConfig,
  ffhqGeneratorConfig,
  IR_UNITS,
  nLatent,
  rosinalityChannels,
  validateEncoderConfig,
  validateGeneratorConfig,
  type EncoderConfig,
  type GeneratorConfig,
} from './config.js';
export { inferEncoderConfig, inferGeneratorConfig, readCheckpoint, sha256File, type CheckpointContents } from './checkpoint.js';
export {
  encoderFromCheckpoint,
  ENCODER_FILE,
  generatorFromCheckpoint,
  GENERATOR_FILE,
  LATENT_AVG_KEY,
  loadEncoder,
  loadGenerator,
  loadModels,
  saveEncoder,
  saveGenerator,
  type ModelMeta,
  type SourceInfo,
} from './modelDir.js';
export { encoderInput, resizeBilinearPil } from './preprocess.js';
export type { ModConvMode } from './modulatedConv.js';
