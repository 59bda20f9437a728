/**
 * `aueditnet import <checkpoint> --out DIR`: a rosinality StyleGAN2 or e4e/pSp checkpoint → our
 * model directory (generator.safetensors / encoder.safetensors + JSON with the inferred
 * architecture and the source file's sha256).
 */
import type { Command } from 'commander';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileError, UserError } from '../errors.js';
import { describeFsError } from '../io/files.js';
import { inferGeneratorConfig, readCheckpoint, sha256File } from '../gan/checkpoint.js';
import { nLatent } from '../gan/config.js';
import { ENCODER_FILE, encoderFromCheckpoint, GENERATOR_FILE, generatorFromCheckpoint, saveEncoder, saveGenerator, type SourceInfo } from '../gan/modelDir.js';
import { initRuntime, tf } from '../runtime/index.js';

export interface ImportOptions {
  out: string;
  only?: 'generator' | 'encoder';
  lrMlp?: number;
  force?: boolean;
}

export interface ImportResult {
  written: string[];
  lines: string[];
}

function millions(n: number): string {
  return `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)} M`;
}

export async function importCheckpoint(input: string, options: ImportOptions): Promise<ImportResult> {
  const out = options.out;
  const existing = statSync(out, { throwIfNoEntry: false });
  if (existing && !existing.isDirectory()) throw fileError(out, '--out must be a directory');
  const ck = readCheckpoint(input);
  const wantG = options.only !== 'encoder';
  const wantE = options.only !== 'generator';
  if (options.only === 'generator' && !ck.generator) throw fileError(input, 'holds no StyleGAN2 generator to import');
  if (options.only === 'encoder' && !ck.encoder) throw fileError(input, 'holds no e4e/pSp encoder to import');
  const targets = [...(wantG && ck.generator ? [GENERATOR_FILE] : []), ...(wantE && ck.encoder ? [ENCODER_FILE] : [])];
  if (!options.force) {
    for (const t of targets) if (existsSync(join(out, t))) throw fileError(join(out, t), 'already exists (use --force to overwrite)');
  }
  try {
    mkdirSync(out, { recursive: true });
  } catch (err) {
    throw fileError(out, `cannot create the directory: ${describeFsError(err)}`, err);
  }
  await initRuntime();
  const bytes = statSync(input).size;
  const sha256 = await sha256File(input);
  const source = (prefix: string): SourceInfo => ({ file: basename(input), sha256, bytes, format: ck.format, keyPrefix: prefix });
  const result: ImportResult = { written: [], lines: [] };

  if (wantG && ck.generator) {
    const config = inferGeneratorConfig(ck.generator, input, options.lrMlp ?? 0.01);
    const { generator: g, latentAvgOrigin } = generatorFromCheckpoint(ck, config);
    try {
      await saveGenerator(out, g, { source: source(ck.generator.prefix), latentAvgOrigin: latentAvgOrigin ?? undefined, notes: { lrMlpAssumed: options.lrMlp === undefined } });
      const c = g.config;
      result.written.push(join(out, GENERATOR_FILE));
      result.lines.push(
        `wrote ${join(out, GENERATOR_FILE)}: StyleGAN2 ${c.size} px, ${nLatent(c.size)} W+ rows × ${c.styleDim}, ${c.nMlp} mapping layers, ` +
          `${millions(g.store.countParams())} parameters (from '${ck.generator.prefix || '(top level)'}'), latent_avg ${g.latentAvg ? `[${g.latentAvg.shape.join(', ')}]` : 'none'}`,
      );
    } finally {
      g.dispose();
    }
  }
  if (wantE && ck.encoder) {
    const { encoder: e, latentAvgOrigin } = encoderFromCheckpoint(ck);
    let origin = latentAvgOrigin;
    try {
      if (!e.latentAvg && ck.generator && ck.values['opts.start_from_latent_avg'] === true) {
        // pSp computes the mean of 10 000 mapped z when the checkpoint has no latent_avg
        const { generator: g } = generatorFromCheckpoint(ck);
        try {
          const rows = tf.tidy(() => tf.broadcastTo(g.meanLatent(10000, 0).reshape([1, -1]), [e.styleCount, e.config.styleDim]));
          e.setLatentAvg(rows);
          rows.dispose();
          origin = 'computed: mean of the decoder mapping over 10000 z (seed 0), as pSp does';
        } finally {
          g.dispose();
        }
      }
      await saveEncoder(out, e, { source: source(ck.encoder.prefix), latentAvgOrigin: origin ?? undefined });
      const c = e.config;
      // IR-50 counts the input conv, two convs per unit and the output layer: 2 + 2·(3+4+14+3)
      const depth = 2 + 2 * c.units.reduce((a, b) => a + b, 0);
      result.written.push(join(out, ENCODER_FILE));
      result.lines.push(
        `wrote ${join(out, ENCODER_FILE)}: ${c.structure === 'psp' ? 'pSp GradualStyleEncoder' : 'e4e Encoder4Editing'} ${c.mode.toUpperCase().replace('_', '-')}-${depth}, ` +
          `${c.inputSize} px input → ${c.styleCount} × ${c.styleDim}, ${millions(e.store.countParams())} parameters, latent_avg ${e.latentAvg ? `[${e.latentAvg.shape.join(', ')}]` : 'none'}`,
      );
    } finally {
      e.dispose();
    }
  }
  if (result.written.length === 0) throw new UserError(`${input}: nothing to import`);
  return result;
}

export function register(program: Command): void {
  program
    .command('import')
    .description('import a StyleGAN2 (rosinality) or e4e/pSp PyTorch checkpoint as a model directory of safetensors + JSON')
    .argument('<checkpoint>', 'a .pt/.pth file (zip or legacy format): rosinality {g_ema, latent_avg}, e4e/pSp {state_dict, latent_avg, opts}, or a bare state dict; safetensors files of the same layout work too')
    .requiredOption('--out <dir>', 'model directory to write (created if missing)')
    .option('--only <network>', "import just 'generator' or 'encoder' when the checkpoint has both")
    .option('--lr-mlp <x>', 'learning-rate multiplier of the mapping network (not stored in checkpoints; rosinality default 0.01)')
    .option('--force', 'overwrite existing generator/encoder files in the directory')
    .addHelpText(
      'after',
      `
The architecture is read from the tensor shapes: resolution, channel widths, style dimension and
mapping depth of the generator; backbone depth (IR-50/100/152, with or without SE), widths, input
size and number of W+ rows of the encoder. It is written to generator.json / encoder.json together
with the source file's name, size and sha256.

Files written:
  DIR/generator.safetensors  rosinality g_ema names (style.1.weight, convs.0.conv.weight, …)
                             plus 'latent_avg' [512] when the checkpoint has one
  DIR/encoder.safetensors    Encoder4Editing names without 'encoder.' (input_layer.0.weight, …)
                             plus 'latent_avg' [L, 512], which is added to the codes
An e4e checkpoint holds both networks (its 'decoder.*' weights are a StyleGAN2 generator).
No code from the checkpoint is run: only tensors and plain Python values are accepted.

Examples:
  aueditnet import stylegan2-ffhq-config-f.pt --out models/ffhq
  aueditnet import e4e_ffhq_encode.pt --out models/ffhq-e4e
  aueditnet import e4e_ffhq_encode.pt --out models/ffhq --only encoder`,
    )
    .action(async (input: string, opts: { out: string; only?: string; lrMlp?: string; force?: boolean }) => {
      if (opts.only !== undefined && opts.only !== 'generator' && opts.only !== 'encoder') {
        throw new UserError(`--only must be 'generator' or 'encoder', got '${opts.only}'`);
      }
      let lrMlp: number | undefined;
      if (opts.lrMlp !== undefined) {
        lrMlp = Number(opts.lrMlp);
        if (!(lrMlp > 0) || !Number.isFinite(lrMlp)) throw new UserError(`--lr-mlp must be a positive number, got '${opts.lrMlp}'`);
      }
      const r = await importCheckpoint(input, { out: opts.out, only: opts.only as ImportOptions['only'], lrMlp, force: opts.force });
      process.stdout.write(`${r.lines.join('\n')}\n`);
    });
}
