/** `aueditnet neutral`: remove every AU from a face (Ŵ_N). */
import type { Command } from 'commander';
import { writePng } from '../io/image.js';
import { openEditor, requireImage } from './editArgs.js';

export function register(program: Command): void {
  program
    .command('neutral')
    .description('neutralise a face: the editor removes every AU (the source branch, Ŵ_N)')
    .argument('<image>', 'face image')
    .option('--out <file>', 'neutral image (PNG)', 'neutral.png')
    .option('--model <dir>', 'editor folder (default: the shipped SynthFACS model)')
    .action(async (image: string, o: { out: string; model?: string }) => {
      requireImage(image, 'the face to neutralise');
      const ed = await openEditor(o.model);
      try {
        await writePng(o.out, await ed.neutral(image));
        process.stdout.write(`wrote ${o.out}\n`);
      } finally {
        ed.dispose();
      }
    });
}
