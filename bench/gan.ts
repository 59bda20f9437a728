// Speed of the GAN pair at batch 1 (issue 4's measures), random weights:
//   gen1024  the official-size generator (1024 px, config-f widths, 18 W+ rows): seconds per image
//   enc256   the official e4e encoder (IR-SE-50, 256 px input, 18 × 512): seconds per image
//   pair64   the SynthFACS 64-px pair's architecture, encode + generate: milliseconds
//   d64      the pair trainer's discriminator (--lambda-adv), batch 8: forward, weight gradients, input gradient
// Options: --runs N (timed runs after one warm-up, default 3), --only gen1024|enc256|pair64|d64,
// --torch <script.py> (runs the PyTorch reference, e.g. /tmp/torch_gen_bench.py, with --python <exe>,
// default python3, and reports the ratio).
import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import { ffhqEncoderConfig, ffhqGeneratorConfig, type EncoderConfig, type GeneratorConfig } from '../src/gan/config.js';
import { Encoder } from '../src/gan/encoder.js';
import { Generator } from '../src/gan/generator.js';
import { Discriminator } from '../src/gan/discriminator.js';
import { synthfacsDiscriminatorConfig, synthfacsPairConfig } from '../src/gan/pairTrainer.js';
import { initRuntime, machineInfo, measureConv, tf } from '../src/runtime/index.js';

/** The SynthFACS pair's architecture (the embedded default, src/gan/pairTrainer.ts). */
export const LIGHT_GENERATOR: GeneratorConfig = synthfacsPairConfig().generator;
export const LIGHT_ENCODER: EncoderConfig = synthfacsPairConfig().encoder;

function stats(ms: number[]): { medianMs: number; minMs: number; runs: number } {
  const s = [...ms].sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 10) / 10;
  return { medianMs: r(s[Math.floor(s.length / 2)]!), minMs: r(s[0]!), runs: s.length };
}

/**
 * Wall times of `f` (tensor materialised on the host) after `warm` untimed calls, and the process
 * CPU time of each call (all threads): on a machine shared with other jobs, wall time grows with
 * the contention while CPU time mostly does not.
 */
function time(f: () => tf.Tensor, runs: number, warm = 1): number[] & { cpuMs?: number[] } {
  for (let i = 0; i < warm; i++) {
    const y = tf.tidy(f);
    y.dataSync();
    y.dispose();
  }
  const out: number[] & { cpuMs?: number[] } = [];
  out.cpuMs = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const y = tf.tidy(f);
    y.dataSync();
    out.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    out.cpuMs.push((c.user + c.system) / 1000);
    y.dispose();
  }
  return out;
}

function cpuSeconds(t: { cpuMs?: number[] }): number {
  const s = [...(t.cpuMs ?? [])].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)]!) / 1000;
}

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function run(args: string[]): Promise<unknown> {
  const runs = Number(arg(args, '--runs') ?? 3);
  const only = arg(args, '--only');
  const torchScript = arg(args, '--torch');
  const python = arg(args, '--python') ?? 'python3';
  const runtime = await initRuntime();
  const report: Record<string, unknown> = {
    bench: 'gan',
    backend: runtime.backend,
    threads: runtime.threads,
    simd: runtime.simd,
    machine: machineInfo(),
    loadAverageAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
  // The same conv workload as `aueditnet doctor`, before and after: on a shared machine it shows
  // how much of the CPU the benchmark actually had.
  const calibrate = async () => Math.round((await measureConv({ batch: 4, size: 32, channels: 64, layers: 4 }, { repeats: 5 })).forwardGflops * 10) / 10;
  report['convGflopsAtStart'] = await calibrate();

  if (!only || only === 'pair64') {
    const g = new Generator(LIGHT_GENERATOR, { seed: 1 }).freeze();
    const e = new Encoder(LIGHT_ENCODER, { seed: 2 }).freeze();
    const x = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    const w = e.encode(x);
    const n = Math.max(30, runs * 10);
    // steady state: the first ~50 calls are slower (JIT tier-up, XNNPACK operator set-up)
    for (let i = 0; i < 50; i++) tf.dispose(tf.tidy(() => g.synthesis(e.encode(x))));
    report['pair64'] = {
      what: 'encode a 64×64 image and generate its reconstruction, batch 1, frozen (inference) models',
      generator: LIGHT_GENERATOR,
      encoder: LIGHT_ENCODER,
      params: { generator: g.store.countParams(), encoder: e.store.countParams() },
      encodeGenerate: stats(time(() => g.synthesis(e.encode(x)), n, 5)),
      encodeOnly: stats(time(() => e.encode(x), n, 5)),
      generateOnly: stats(time(() => g.synthesis(w), n, 5)),
      targetMs: 25,
    };
    tf.dispose([x, w]);
    g.dispose();
    e.dispose();
  }

  if (!only || only === 'd64') {
    const d = new Discriminator(synthfacsDiscriminatorConfig(), { seed: 8 });
    const x = tf.randomUniform([8, 64, 64, 3], -1, 1, 'float32', 9) as tf.Tensor4D;
    const weightGrads = () => {
      const { value, grads } = tf.variableGrads(() => tf.mean(d.forward(x)) as tf.Scalar, d.trainableVariables());
      tf.dispose(Object.values(grads));
      return value;
    };
    report['d64'] = {
      what: "the pair trainer's StyleGAN2 discriminator at 64 px, batch 8 (the default --adv-batch); a training step runs it three times: reals and reconstructions with weight gradients, reconstructions with the input gradient",
      config: synthfacsDiscriminatorConfig(),
      params: d.store.countParams(),
      forward: stats(time(() => d.forward(x), runs)),
      forwardWeightGradients: stats(time(weightGrads, runs)),
      forwardInputGradient: stats(time(() => tf.grad((t: tf.Tensor) => tf.mean(d.forward(t as tf.Tensor4D, { detach: true })))(x), runs)),
    };
    x.dispose();
    d.dispose();
  }

  if (!only || only === 'enc256') {
    const e = new Encoder(ffhqEncoderConfig(), { seed: 4 }).freeze();
    const x = tf.randomUniform([1, 256, 256, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
    const t = time(() => e.encode(x), runs);
    const s = stats(t);
    report['enc256'] = { what: 'official e4e encoder (IR-SE-50, 256 px → 18 × 512), batch 1', params: e.store.countParams(), seconds: s.medianMs / 1000, minSeconds: s.minMs / 1000, cpuSeconds: cpuSeconds(t), runs: s.runs };
    x.dispose();
    e.dispose();
  }

  if (!only || only === 'gen1024') {
    const t0 = performance.now();
    const g = new Generator(ffhqGeneratorConfig(1024), { seed: 6 }).freeze();
    const buildMs = performance.now() - t0;
    const w = tf.randomNormal([1, g.nLatent, 512], 0, 1, 'float32', 7) as tf.Tensor3D;
    const t = time(() => g.synthesis(w), runs);
    const s = stats(t);
    report['gen1024'] = {
      what: 'StyleGAN2 config-f generator, 1024 px, W+ input, stored noise, batch 1 (first call excluded: it packs every filter)',
      params: g.store.countParams(),
      buildAndFreezeSeconds: Math.round(buildMs) / 1000,
      seconds: s.medianMs / 1000,
      minSeconds: s.minMs / 1000,
      cpuSeconds: cpuSeconds(t),
      runs: s.runs,
      targetSeconds: 6,
    };
    w.dispose();
    g.dispose();
    if (torchScript) {
      try {
        const { stdout } = await promisify(execFile)(python, [torchScript, String(runtime.threads), '1024'], { maxBuffer: 1 << 20 });
        const torch = JSON.parse(stdout.trim().split('\n').pop()!) as { median_s_after_warmup: number };
        report['torch1024'] = { script: torchScript, python, ...torch, ratioTorchOverOurs: Math.round((torch.median_s_after_warmup / (s.medianMs / 1000)) * 100) / 100 };
      } catch (err) {
        report['torch1024'] = { script: torchScript, error: err instanceof Error ? err.message.split('\n')[0] : String(err) };
      }
    }
  }
  report['convGflopsAtEnd'] = await calibrate();
  report['loadAverageAtEnd'] = os.loadavg().map((v) => Math.round(v * 100) / 100);
  report['tfjs'] = runtime.tfjsVersion;
  report['date'] = new Date().toISOString();
  return report;
}
