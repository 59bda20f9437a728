import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';

import { cli } from './helpers.js';

describe('aueditnet CLI', () => {
  it('doctor reports wasm with one thread per core', async () => {
    const r = await cli(['doctor', '--json', '--no-measure']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { backend: string; threads: number; simd: boolean; machine: { cores: number } };
    expect(report.backend).toBe('wasm');
    expect(report.simd).toBe(true);
    expect(report.threads).toBe(report.machine.cores);
    expect(r.stderr).toBe('');
  });

  it('doctor measures a conv speed', async () => {
    const r = await cli(['doctor']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/conv speed\s+\d+(\.\d+)? GFLOP\/s/);
  });

  it('prints --version, and --help for the program', async () => {
    const v = await cli(['--version']);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const h = await cli(['doctor', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/Usage: aueditnet doctor/);
  });

  it('every command and subcommand has a description and help text', () => {
    const walk = (cmd: Command, path: string[]): string[] =>
      cmd.commands.flatMap((c) => [[...path, c.name()].join(' '), ...walk(c, [...path, c.name()])]);
    const program = buildProgram();
    const all = walk(program, []);
    expect(all.length).toBeGreaterThan(0);
    for (const name of all) {
      let cmd: Command = program;
      for (const part of name.split(' ')) cmd = cmd.commands.find((c) => c.name() === part)!;
      expect(cmd.description(), name).not.toBe('');
      expect(cmd.helpInformation(), name).toMatch(new RegExp(`Usage: aueditnet ${name}`));
    }
  });

  it('an unknown command or option is a one-line usage error with exit code 2', async () => {
    const a = await cli(['frobnicate']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/unknown command 'frobnicate'/);
    const b = await cli(['doctor', '--bogus']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/unknown option '--bogus'/);
  });
});
