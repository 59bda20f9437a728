/** `aueditnet transfer`: put a reference face's expression (its AU status) on another face. */
import type { Command } from 'commander';
import { writePng } from '../io/image.js';
import { openEditor, requireImage } from './editArgs.js';

export function register(program: Command): void {
  program
    .command('transfer')
    .description("expression transfer: the reference face's AUs on the source face (Ŵ = W_src − Φ_dec(z_src) + Φ_dec(z_ref))")
    .argument('<image>', 'source face image')
    .requiredOption('--ref <file>', 'reference face whose expression is transferred')
    .option('--out <file>', 'result (PNG)', 'transfer.png')
    .option('--model <dir>', 'editor folder (default: the shipped SynthFACS model)')
    .action(async (image: string, o: { ref: string; out: string; model?: string }) => {
      requireImage(image, 'the source face');
      requireImage(o.ref, 'the reference face of --ref');
      const ed = await openEditor(o.model);
      try {
        await writePng(o.out, await ed.transfer(image, o.ref));
        process.stdout.write(`wrote ${o.out}\n`);
      } finally {
        ed.dispose();
      }
    });
}
