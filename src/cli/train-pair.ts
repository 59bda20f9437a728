import type { Command } from 'commander';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileError, UserError } from '../errors.js';
import { finalizePair, pairFromCheckpoint, synthfacsDiscriminatorConfig, synthfacsPairConfig, trainPair } from '../gan/pairTrainer.js';
import { scheduledLr, scheduleFromOptions } from '../nn/lrSchedule.js';
import { pairInit } from '../gan/pairInit.js';
import { checkpointPath, checkpointStep } from '../nn/trainLoop.js';
import { loadPairData, poolIdentityCount } from '../gan/pairData.js';
import { saveEncoder, saveGenerator } from '../gan/modelDir.js';
import { initRuntime, tf } from '../runtime/index.js';
import { loadEstimator } from '../estimators/model.js';
import { fpreForward, fpreTrunk, type FpreConfig } from '../estimators/fpre.js';
import { auRegionMap, regionPixelWeights } from '../synth/auRegionMap.js';
import { progress } from './progress.js';
import { addScheduleOptions, positiveInt } from './args.js';

interface Options {
  data?: string;
  export?: string;
  out: string;
  steps: string;
  batch: string;
  lr: string;
  seed: string;
  holdout: string;
  every: string;
  resume?: boolean;
  quiet?: boolean;
  init?: string;
  genBatch: string;
  lambdaLat: string;
  freezeGenerator?: boolean;
  lambdaFeat: string;
  lambdaAu: string;
  regionWeight: string;
  lambdaAdv: string;
  advBatch: string;
  dLrMul: string;
  gLrMul: string;
  warmup: string;
  r1: string;
  r1Every: string;
  ema: string;
  fpre?: string;
  decayFrom?: string;
  decayTo?: string;
  lrFinal?: string;
}

/** `--export DIR`: the run's checkpoint as finalised model files, without training. */
async function exportRun(o: Options & { export: string }): Promise<void> {
  const file = checkpointPath(o.out);
  if (!existsSync(file)) throw fileError(file, 'no checkpoint to export (run `aueditnet train pair` into --out first)');
  const runtime = await initRuntime();
  const { generator, encoder, step, config } = pairFromCheckpoint(file);
  try {
    mkdirSync(o.export, { recursive: true });
    const notes = { training: { checkpoint: file, step, batch: config.batch, lr: config.lr, seed: config.seed, ...(config.emaImages !== undefined ? { weights: `moving average, half-life ${config.emaImages} images` } : {}), backend: runtime.backend, threads: runtime.threads, exportedMidRun: true } };
    await saveGenerator(o.export, generator, { latentAvgOrigin: 'mean w of 4096 random z', notes });
    await saveEncoder(o.export, encoder, { latentAvgOrigin: 'the generator latent_avg', notes });
  } finally {
    generator.dispose();
    encoder.dispose();
  }
  process.stdout.write(`wrote ${o.export}/generator.safetensors and encoder.safetensors from ${file} (step ${step})\n`);
}

async function run(o: Options): Promise<void> {
  if (o.export !== undefined) return exportRun(o as Options & { export: string });
  if (!o.data) throw new UserError('--data <dir> is required for training (a `synth pool` folder)');
  const data = o.data;
  const steps = positiveInt('steps', o.steps), batch = positiveInt('batch', o.batch), every = positiveInt('every', o.every);
  const holdout = positiveInt('holdout', o.holdout);
  const lr = Number(o.lr), seed = Number(o.seed);
  if (!(lr > 0)) throw new UserError(`--lr ${o.lr}: expected a positive number`);
  if (!Number.isInteger(seed)) throw new UserError(`--seed ${o.seed}: expected an integer`);
  const genBatch = Number(o.genBatch), lambdaLat = Number(o.lambdaLat);
  if (!Number.isInteger(genBatch) || genBatch < 0) throw new UserError(`--gen-batch ${o.genBatch}: expected an integer ≥ 0`);
  if (!(lambdaLat >= 0)) throw new UserError(`--lambda-lat ${o.lambdaLat}: expected a number ≥ 0`);
  if (o.init !== undefined && o.resume) throw new UserError('--init starts a new run from earlier weights; --resume continues this run from its checkpoint: pass one of them');
  const lambdaFeat = Number(o.lambdaFeat);
  if (!(lambdaFeat >= 0)) throw new UserError(`--lambda-feat ${o.lambdaFeat}: expected a number ≥ 0`);
  if (lambdaFeat > 0 && !o.fpre) throw new UserError('--lambda-feat needs --fpre DIR (the frozen F_pre whose trunk gives the features)');
  const lambdaAu = Number(o.lambdaAu);
  if (!(lambdaAu >= 0)) throw new UserError(`--lambda-au ${o.lambdaAu}: expected a number ≥ 0`);
  if (lambdaAu > 0 && !o.fpre) throw new UserError('--lambda-au needs --fpre DIR (the frozen F_pre that predicts the AU change)');
  const regionWeight = Number(o.regionWeight);
  if (!(regionWeight >= 0) || !Number.isFinite(regionWeight)) throw new UserError(`--region-weight ${o.regionWeight}: expected a number ≥ 0`);
  const lambdaAdv = Number(o.lambdaAdv), r1 = Number(o.r1);
  if (!(lambdaAdv >= 0) || !Number.isFinite(lambdaAdv)) throw new UserError(`--lambda-adv ${o.lambdaAdv}: expected a number ≥ 0`);
  if (!(r1 >= 0) || !Number.isFinite(r1)) throw new UserError(`--r1 ${o.r1}: expected a number ≥ 0`);
  if (r1 > 0 && lambdaAdv === 0) throw new UserError('--r1 regularises the discriminator, which is trained only with --lambda-adv > 0');
  const advBatch = positiveInt('adv-batch', o.advBatch), r1Every = positiveInt('r1-every', o.r1Every);
  const dLrMul = Number(o.dLrMul);
  if (!(dLrMul > 0) || !Number.isFinite(dLrMul)) throw new UserError(`--d-lr-mul ${o.dLrMul}: expected a positive number`);
  if (lambdaAdv > 0) {
    const group = synthfacsDiscriminatorConfig().stddevGroup;
    if (advBatch > batch || advBatch % Math.min(group, advBatch) !== 0) {
      throw new UserError(`--adv-batch ${advBatch}: expected at most --batch (${batch}) and a multiple of ${group} (the discriminator compares images in groups of ${group})`);
    }
  }
  const warmup = Number(o.warmup);
  if (!Number.isInteger(warmup) || warmup < 0) throw new UserError(`--warmup ${o.warmup}: expected a whole number of steps ≥ 0`);
  const gLrMul = Number(o.gLrMul);
  if (!(gLrMul > 0) || !Number.isFinite(gLrMul)) throw new UserError(`--g-lr-mul ${o.gLrMul}: expected a positive number`);
  const emaImages = Number(o.ema);
  if (!(emaImages >= 0) || !Number.isFinite(emaImages)) throw new UserError(`--ema ${o.ema}: expected a half-life in images ≥ 0 (0: off)`);
  const schedule = scheduleFromOptions(o, lr, steps, (m) => new UserError(m));
  const runtime = await initRuntime();
  const n = await poolIdentityCount(data);
  if (holdout >= n) throw new UserError(`--holdout ${holdout}: the pool has only ${n} identities`);
  const load = async (from: number, to: number, what: string) => {
    const bar = progress(`loading ${what} images`, 1, { quiet: o.quiet });
    const d = await loadPairData(data, { from, to }, { onProgress: (done, total) => bar.update(done / total) });
    bar.stop();
    return d;
  };
  // the last identities are never trained on: PSNR on them is a held-out number
  const train = await load(0, n - holdout, 'training');
  const val = await load(n - holdout, n, 'held-out');
  mkdirSync(o.out, { recursive: true });
  const log = join(o.out, 'log.jsonl');
  // options left at their defaults keep the config (and so the resume check) as older runs wrote it
  const config = { ...synthfacsPairConfig(), batch, lr, seed, genBatch, lambdaLat, ...(o.freezeGenerator ? { freezeGenerator: true } : {}), ...(lambdaFeat > 0 ? { lambdaFeat } : {}), ...(lambdaAu > 0 ? { lambdaAu } : {}), ...(regionWeight > 0 ? { regionWeight } : {}), ...(lambdaAdv > 0 ? { lambdaAdv, discriminator: synthfacsDiscriminatorConfig(), advBatch, ...(dLrMul !== 1 ? { dLrMul } : {}) } : {}), ...(r1 > 0 ? { r1, r1Every } : {}), ...(emaImages > 0 ? { emaImages } : {}), ...(gLrMul !== 1 ? { gLrMul } : {}) };
  let features: ((x: tf.Tensor4D) => tf.Tensor4D[]) | undefined;
  let auDelta: ((a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor2D) | undefined;
  if (lambdaFeat > 0 || lambdaAu > 0) {
    const est = loadEstimator(o.fpre!, 'fpre');
    if (est.size !== config.generator.size) throw new UserError(`--fpre ${o.fpre}: F_pre takes ${est.size}-px images, the pair makes ${config.generator.size}-px ones`);
    est.params.setTrainable(false);
    if (lambdaFeat > 0) features = (x) => fpreTrunk(est.params, est.config as FpreConfig, x, false);
    if (lambdaAu > 0) auDelta = (a, b) => fpreForward(est.params, est.config as FpreConfig, a, b, false).delta;
  }
  // the weights are derived here, not stored: the config holds K, so --resume checks it
  const pixelWeights = regionWeight > 0 ? regionPixelWeights(auRegionMap(config.generator.size), regionWeight) : undefined;
  if (o.init !== undefined && existsSync(checkpointPath(o.out))) {
    throw new UserError(`${checkpointPath(o.out)}: a checkpoint exists; --init starts a new run, so choose another --out folder (or --resume this one)`);
  }
  const init = o.init !== undefined ? await pairInit(o.init) : undefined;
  // every option as given, defaults included, for log.jsonl and the model files' training notes
  const recipe = { genBatch, lambdaLat, freezeGenerator: !!o.freezeGenerator, lambdaFeat, lambdaAu, regionWeight, lambdaAdv, advBatch, dLrMul, r1, r1Every, emaImages, gLrMul, warmup };
  if (init) appendFileSync(log, `${JSON.stringify({ init: o.init, initStep: init.step, config: { ...recipe, fpre: o.fpre ?? null, lr }, time: new Date().toISOString() })}\n`);
  const initial = o.resume ? checkpointStep(o.out) : (init?.step ?? 0);
  const bar = progress('training pair', steps, { quiet: o.quiet, initial });
  const t0 = performance.now();
  const { generator, encoder, result } = await trainPair({
    config,
    train,
    val,
    outDir: o.out,
    steps,
    resume: o.resume,
    init,
    schedule,
    ...(warmup > 0 ? { warmup } : {}),
    features,
    auDelta,
    pixelWeights,
    checkpointEvery: every,
    onStep: (step, logs) => {
      const rate = (batch * (step - initial)) / ((performance.now() - t0) / 1000);
      bar.update(step, {
        lr: scheduledLr(lr, schedule, step).toExponential(1),
        gen: logs['gen']!.toFixed(4),
        rec: logs['rec']!.toFixed(4),
        lat: logs['lat']!.toFixed(3),
        ...(logs['feat'] !== undefined ? { feat: logs['feat'].toFixed(4) } : {}),
        ...(logs['au'] !== undefined ? { au: logs['au'].toFixed(4) } : {}),
        ...(logs['adv'] !== undefined ? { adv: logs['adv'].toFixed(3), d: logs['d']!.toFixed(3), 'D(real)': logs['dReal']!.toFixed(2), 'D(fake)': logs['dFake']!.toFixed(2) } : {}),
        ...(logs['r1'] !== undefined ? { r1: logs['r1'].toFixed(3) } : {}),
        'img/s': rate.toFixed(1),
      });
    },
    onCheckpoint: (step, v) => {
      appendFileSync(log, `${JSON.stringify({ ...v, wallSeconds: Math.round((performance.now() - t0) / 1000), time: new Date().toISOString() })}\n`);
    },
  });
  bar.stop();
  if (result.stoppedBy === 'signal') {
    process.stderr.write(`stopped at step ${result.step}; continue with --resume\n`);
    return;
  }
  finalizePair(generator, encoder);
  const notes = {
    training: {
      command: process.argv.slice(2).join(' '),
      config: { ...recipe, ...(o.fpre ? { fpre: o.fpre } : {}) },
      ...(schedule ? { schedule: schedule as unknown as Record<string, number> } : {}),
      pool: data,
      trainIdentities: n - holdout,
      heldOutIdentities: holdout,
      steps: result.step,
      backend: runtime.backend,
      threads: runtime.threads,
    },
  };
  await saveGenerator(o.out, generator, { latentAvgOrigin: 'mean w of 4096 random z', notes });
  await saveEncoder(o.out, encoder, { latentAvgOrigin: 'the generator latent_avg', notes });
  process.stdout.write(`wrote ${o.out}/generator.safetensors and encoder.safetensors (see log.jsonl for the held-out PSNR per checkpoint)\n`);
}

export function register(train: Command): void {
  const d = synthfacsPairConfig();
  addScheduleOptions(
    train
    .command('pair')
    .description(
      'train the SynthFACS generator/encoder pair (StyleGAN2 and e4e architectures, 64 px) on a `synth pool` folder; writes generator/encoder model files, preview.png and log.jsonl',
    )
    .option('--data <dir>', 'pool folder from `aueditnet synth pool` (required unless --export)')
    .requiredOption('--out <dir>', 'output folder: checkpoint.safetensors, preview.png, log.jsonl, then the model files')
    .option('--steps <n>', 'optimizer steps', '20000')
    .option('--batch <n>', 'images per step', String(d.batch))
    .option('--lr <x>', 'Adam learning rate', String(d.lr))
    .option('--seed <n>', 'seed of the initial weights, batches and z noise', String(d.seed))
    .option('--holdout <n>', 'last n pool identities kept out of training, for the PSNR in log.jsonl', '100')
    .option('--every <n>', 'checkpoint, preview and held-out PSNR every n steps', '250')
    .option('--resume', 'continue from <out>/checkpoint.safetensors')
    .option('--init <path>', 'start a new run from earlier weights: a `train pair` checkpoint (parameters only, fresh Adam) or an exported pair folder; steps count on from theirs')
    .option('--gen-batch <n>', 'faces per step also rendered from the mapping (L_gen); 0 trains the encoder path only', String(d.genBatch))
    .option('--lambda-lat <x>', 'weight of L_lat, which ties E(I) to the mapping\'s w', String(d.lambdaLat))
    .option('--lambda-feat <x>', 'weight of a perceptual loss on G(E(I)): feature MSE in the trunk of the frozen F_pre of --fpre (0: off)', '0')
    .option('--lambda-au <x>', 'weight of an AU-consistency loss: F_pre\'s predicted AU change from I to G(E(I)), squared (0: off)', '0')
    .option('--region-weight <k>', 'weigh the pixel losses by 1 + k·(where the AUs change a SynthFACS face), scaled to mean 1 (0: off)', '0')
    .option('--lambda-adv <x>', 'weight of the non-saturating adversarial loss on every image G renders, judged by a StyleGAN2 discriminator trained beside the pair (0: off, no discriminator)', '0')
    .option('--adv-batch <n>', 'images of each kind (real, reconstructed) the discriminator judges per step, a multiple of 4', '8')
    .option('--d-lr-mul <x>', "the discriminator's learning rate as a multiple of --lr (and of its schedule)", '1')
    .option('--r1 <gamma>', 'R1 penalty γ/2·‖∇D(real)‖² on the discriminator (estimated by a random finite difference; needs --lambda-adv)', '0')
    .option('--r1-every <n>', 'apply R1 every n steps, weighted ×n (lazy regularisation)', '16')
    .option('--g-lr-mul <x>', "the generator's learning rate (mapping included) as a multiple of --lr (and of its schedule); its equalised weights move slowly at a rate the encoder tolerates", '1')
    .option('--warmup <n>', "ramp the learning rate up linearly over the optimizer's first n steps (fresh after --init, continued on --resume); spares trained weights Adam's first full-size steps (0: off)", '0')
    .option('--ema <images>', "keep a moving average of G's and E's weights with this half-life in images (StyleGAN2's g_ema: 10000); validation, previews, --export and the finished model use the average (0: off)", '0')
    .option('--fpre <dir>', 'folder or file of F_pre, for --lambda-feat and --lambda-au')
    .option('--freeze-generator', 'train E only, against a fixed G (a late phase, from --init)')
    .option('--export <dir>', 'do not train: write <out>/checkpoint.safetensors as finalised generator/encoder files into <dir> (ship or evaluate a pair mid-run)')
    .option('--quiet', 'no progress output')
    .action((o: Options) => run(o)),
  );
}
