// `npm run bench -- <name> [args]`: runs bench/<name>.ts and prints its JSON report on stdout.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3));
const [name, ...rest] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h' || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <${available.join('|')}> [options]\n`);
  process.exit(name && name !== '--help' && name !== '-h' ? 2 : 0);
}
const mod = (await import(`./${name}.ts`)) as { run(args: string[]): Promise<unknown> };
const report = await mod.run(rest);
process.stdout.write(JSON.stringify(report, null, 2) + '\n');
