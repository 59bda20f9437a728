import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { mergeHest } from '../estimators/hestEnsemble.js';
import { initRuntime } from '../runtime/index.js';

/** Merges trained H_est networks into one ensemble model folder (the mean of their intensities). */
async function run(dirs: string[], o: { out: string }): Promise<void> {
  await initRuntime();
  mkdirSync(o.out, { recursive: true });
  const r = await mergeHest(dirs, o.out);
  process.stdout.write(`wrote ${path.join(o.out, 'hest.safetensors')} and hest.json: the mean of ${r.members.length} H_est networks (${r.members.map((m) => m.source).join(', ')})\n`);
}

export function register(program: Command): void {
  program
    .command('ensemble-hest')
    .description('merge trained H_est networks (same architecture and size) into one H_est that reads the mean of their intensities')
    .argument('<dirs...>', 'folders (or .safetensors files) of 2 or more trained H_est networks, e.g. runs/hest5 runs/hest6')
    .requiredOption('--out <dir>', 'output folder: hest.safetensors + hest.json (members listed with their sha256 and training record)')
    .action((dirs: string[], o: { out: string }) => run(dirs, o));
}
