/** `aueditnet edit`: set AU intensities of a face with the editor. */
import type { Command } from 'commander';
import { writePng } from '../io/image.js';
import { collectAu, intensityTable, openEditor, requireImage } from './editArgs.js';

interface Options {
  au?: Record<string, number>;
  reset?: boolean;
  out: string;
  neutral?: string;
  recon?: string;
  model?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('edit')
    .description('edit the AU intensities of an aligned face image (FACS 0–5; floats and negatives allowed)')
    .argument('<image>', 'face image (resized to the model size with a warning if it differs)')
    .option('--au <AU=value>', 'target intensity, repeatable: --au 12=3 --au 6=2 (AUs 1 2 4 5 6 9 12 15 17 20 25 26)', collectAu)
    .option('--reset', 'AUs not given go to 0 (default: they keep their estimated source intensity)')
    .option('--out <file>', 'edited image (PNG)', 'edited.png')
    .option('--neutral <file>', 'also write the neutral face (every AU removed)')
    .option('--recon <file>', 'also write the plain GAN reconstruction, for comparison')
    .option('--model <dir>', 'editor folder (default: the shipped SynthFACS model)')
    .option('--json', 'print source and target intensities as JSON')
    .action(async (image: string, o: Options) => {
      requireImage(image, 'the face to edit');
      const ed = await openEditor(o.model);
      try {
        const r = await ed.edit(image, o.au ?? {}, { reset: o.reset });
        await writePng(o.out, r.image);
        if (o.neutral) await writePng(o.neutral, r.neutral);
        if (o.recon) await writePng(o.recon, r.reconstruction);
        if (o.json) process.stdout.write(`${JSON.stringify({ image, out: o.out, source: r.source, target: r.target })}\n`);
        else process.stdout.write(`${intensityTable(r.source, r.target)}wrote ${o.out}\n`);
      } finally {
        ed.dispose();
      }
    });
}
