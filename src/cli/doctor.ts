import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { initRuntime, machineInfo, measureConv } from '../runtime/index.js';
import { packageVersion } from './main.js';

const require = createRequire(import.meta.url);

/** Reads the version from the package's own package.json, which some `exports` maps hide. */
function versionOf(pkg: string): string {
  let dir: string;
  try {
    dir = path.dirname(require.resolve(pkg));
  } catch {
    return 'not installed';
  }
  for (; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      const meta = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (meta.name === pkg && meta.version) return meta.version;
    } catch {
      // no package.json at this level
    }
  }
  return 'unknown';
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description('Show the compute backend, its thread count, a measured conv speed and the versions in use')
    .option('--json', 'print one JSON object instead of text')
    .option('--no-measure', 'skip the short conv speed measurement')
    .action(async (opts: { json?: boolean; measure: boolean }) => {
      const runtime = await initRuntime();
      const speed = opts.measure ? await measureConv({ batch: 4, size: 32, channels: 64, layers: 4 }, { repeats: 3 }) : null;
      const report = {
        aueditnet: packageVersion(),
        backend: runtime.backend,
        threads: runtime.threads,
        simd: runtime.simd,
        fallback: runtime.fallback ?? null,
        convGflops: speed ? Math.round(speed.forwardGflops * 10) / 10 : null,
        convWorkload: speed ? '4 × conv3×3 64→64 on [4,32,32,64], forward' : null,
        versions: {
          node: process.versions.node,
          tfjs: runtime.tfjsVersion,
          'tfjs-backend-wasm': versionOf('@tensorflow/tfjs-backend-wasm'),
          sharp: versionOf('sharp'),
          'tfjs-node': versionOf('@tensorflow/tfjs-node'),
        },
        machine: machineInfo(),
      };
      if (opts.json) {
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        return;
      }
      const lines = [
        `aueditnet ${report.aueditnet}`,
        `backend     ${report.backend}${report.simd ? ' (SIMD)' : ''}, ${report.threads} thread${report.threads === 1 ? '' : 's'}`,
        ...(report.fallback ? [`fallback    ${report.fallback}`] : []),
        ...(speed ? [`conv speed  ${report.convGflops} GFLOP/s (${report.convWorkload})`] : []),
        `machine     ${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.memoryGiB} GiB, ${report.machine.platform}`,
        `versions    ${Object.entries(report.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
