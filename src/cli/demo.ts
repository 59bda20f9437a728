/**
 * `aueditnet demo`: the main job on the embedded default. Faces of SynthFACS test subjects (fold 3,
 * never seen by any shipped network) are rendered on the fly; for each: input, reconstruction,
 * neutral, single-AU edits, a smile (AU6 + AU12) at two intensities, and an expression transfer
 * from another test subject. Writes demo.png (a labelled grid) and demo.json (targets vs the
 * intensities H_est measures on the edited images) and prints a short table.
 */
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AU_ORDER, type AuId } from '../data/aus.js';
import { disfaFold } from '../data/folds.js';
import { defaultModelDir, loadEditor, type AuTargets, type EditResult } from '../editor/api.js';
import { fileError, UserError } from '../errors.js';
import { estimateAus } from '../estimators/evaluate.js';
import { loadEstimator } from '../estimators/model.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { RgbImage } from '../io/image.js';
import { tf } from '../runtime/index.js';
import { newCanvas } from '../synth/canvas-node.js';
import { subjectFace } from '../synth/subjectFace.js';
import { progress } from './progress.js';
import { scoped } from '../runtime/scoped.js';

export interface DemoEdit {
  label: string;
  targets: Partial<Record<`AU${AuId}`, number>>;
}

export const DEMO_EDITS: readonly DemoEdit[] = [
  { label: 'AU12 = 4', targets: { AU12: 4 } },
  { label: 'AU4 = 4', targets: { AU4: 4 } },
  { label: 'AU26 = 4', targets: { AU26: 4 } },
  { label: 'smile 2', targets: { AU6: 2, AU12: 2 } },
  { label: 'smile 4', targets: { AU6: 4, AU12: 4 } },
];

/** A mild expression for the inputs, so neutral and the edits have something to change. */
const INPUT_AUS: Partial<Record<`AU${AuId}`, number>>[] = [{ AU1: 1, AU2: 1 }, { AU4: 1.5 }, { AU25: 1, AU12: 1 }, { AU15: 1.5, AU17: 1 }];
/** The reference of the transfer column: surprise. */
const TRANSFER_AUS = { AU1: 3, AU2: 3, AU5: 2, AU25: 3, AU26: 3 };

/** Rows of images with column titles and row labels, on paper; tiles are drawn at `scale`×. */
export function labelledGrid(rows: { label: string; images: RgbImage[] }[], columns: string[], scale = 2): Buffer {
  const S = rows[0]!.images[0]!.width * scale;
  const font = Math.max(11, Math.round(S * 0.11));
  const left = Math.round(font * 5), top = Math.round(font * 2.2), gap = 4;
  const width = left + columns.length * (S + gap), height = top + rows.length * (S + gap);
  const { canvas, ctx } = newCanvas(width, height);
  ctx.fillStyle = '#f4f3ef';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#1d1d1f';
  ctx.font = `${font}px 'DejaVu Sans', Arial, sans-serif`;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'center';
  columns.forEach((c, i) => ctx.fillText(c, left + i * (S + gap) + S / 2, top / 2));
  ctx.textAlign = 'left';
  rows.forEach((r, j) => {
    const y = top + j * (S + gap);
    ctx.fillText(r.label, font * 0.3, y + S / 2);
    r.images.forEach((img, i) => {
      const tile = newCanvas(img.width, img.height);
      const id = tile.ctx.createImageData(img.width, img.height);
      for (let p = 0; p < img.width * img.height; p++) {
        for (let ch = 0; ch < 3; ch++) id.data[p * 4 + ch] = Math.round(Math.min(1, Math.max(0, img.data[p * 3 + ch]!)) * 255);
        id.data[p * 4 + 3] = 255;
      }
      tile.ctx.putImageData(id, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(tile.canvas, left + i * (S + gap), y, S, S);
    });
  });
  return canvas.toBuffer('image/png');
}

export async function runDemo(o: { out: string; model?: string; faces: number; quiet?: boolean }): Promise<{ summary: { edit: string; au: string; target: number; measured: number; source: number }[] }> {
  const dir = o.model ?? defaultModelDir();
  const ed = await loadEditor(dir);
  let hest;
  try {
    hest = loadEstimator(dir, 'hest');
  } catch (err) {
    ed.dispose();
    throw err;
  }
  try {
    const size = ed.size;
    if (hest.size !== size) throw fileError(dir, `H_est takes ${hest.size}-px images, the pair makes ${size}-px ones`);
    const subjects = disfaFold(3).test.slice(0, o.faces);
    const measure = (imgs: RgbImage[]) =>
      scoped(() => {
        const x = tf.tensor4d(Float32Array.from(imgs.flatMap((i) => Array.from(i.data, (v) => v * 2 - 1))), [imgs.length, size, size, 3]);
        return Array.from(estimateAus(hest, x).dataSync());
      });
    const rows: { label: string; images: RgbImage[] }[] = [];
    const records: unknown[] = [];
    const acc = DEMO_EDITS.map(() => new Map<string, { t: number; m: number; s: number; n: number }>());
    const bar = progress('demo faces', subjects.length, { quiet: o.quiet });
    for (const [k, subject] of subjects.entries()) {
      const input = subjectFace(subject, INPUT_AUS[k % INPUT_AUS.length]!, size);
      const refSubject = subjects[(k + 1) % subjects.length]!;
      const reference = subjectFace(refSubject, TRANSFER_AUS, size);
      const edits: EditResult[] = [];
      for (const e of DEMO_EDITS) edits.push(await ed.edit(input, e.targets as AuTargets));
      const transfer = await ed.transfer(input, reference);
      const images = [input, edits[0]!.reconstruction, edits[0]!.neutral, ...edits.map((r) => r.image), reference, transfer];
      rows.push({ label: subject, images });
      const measured = measure([input, edits[0]!.neutral, ...edits.map((r) => r.image), transfer]);
      const at = (i: number) => Object.fromEntries(AU_ORDER.map((a, j) => [`AU${a}`, Math.round(measured[i * 12 + j]! * 1000) / 1000]));
      const src = at(0);
      records.push({
        subject,
        inputAus: INPUT_AUS[k % INPUT_AUS.length],
        hestInput: src,
        hestNeutral: at(1),
        edits: DEMO_EDITS.map((e, i) => {
          for (const [au, t] of Object.entries(e.targets)) {
            const a = acc[i]!.get(au) ?? { t: 0, m: 0, s: 0, n: 0 };
            a.t += t!;
            a.m += at(2 + i)[au]!;
            a.s += src[au]!;
            a.n += 1;
            acc[i]!.set(au, a);
          }
          return { edit: e.label, target: e.targets, editorSourceEstimate: edits[i]!.source, hestEdited: at(2 + i) };
        }),
        transfer: { reference: refSubject, referenceAus: TRANSFER_AUS, hestTransfer: at(2 + DEMO_EDITS.length) },
      });
      bar.tick();
    }
    bar.stop();
    mkdirSync(o.out, { recursive: true });
    const columns = ['input', 'recon', 'neutral', ...DEMO_EDITS.map((e) => e.label), 'reference', 'transfer'];
    await writeFileAtomic(join(o.out, 'demo.png'), labelledGrid(rows, columns));
    const summary = DEMO_EDITS.flatMap((e, i) =>
      [...acc[i]!.entries()].map(([au, a]) => ({ edit: e.label, au, target: a.t / a.n, measured: Math.round((a.m / a.n) * 1000) / 1000, source: Math.round((a.s / a.n) * 1000) / 1000 })),
    );
    await writeFileAtomic(
      join(o.out, 'demo.json'),
      `${JSON.stringify({ model: dir, subjects, edits: DEMO_EDITS, measuredWith: 'H_est (hest.safetensors), never used in training', summary, faces: records }, null, 2)}\n`,
    );
    return { summary };
  } finally {
    ed.dispose();
    hest.params.dispose();
  }
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('edit faces of unseen SynthFACS test subjects with the shipped model: writes demo.png (grid) and demo.json (targets vs H_est-measured intensities)')
    .option('--out <dir>', 'output folder', 'demo')
    .option('--model <dir>', 'model folder (editor, pair and H_est; default: the shipped SynthFACS model)')
    .option('--faces <n>', 'number of test subjects (1–9)', '4')
    .option('--quiet', 'no progress output')
    .action(async (o: { out: string; model?: string; faces: string; quiet?: boolean }) => {
      const faces = Number(o.faces);
      if (!Number.isInteger(faces) || faces < 1 || faces > 9) throw new UserError(`--faces ${o.faces}: expected 1–9 (fold 3 has 9 test subjects)`);
      const { summary } = await runDemo({ out: o.out, model: o.model, faces, quiet: o.quiet });
      const lines = ['edit        AU     target  H_est(edited)  H_est(input)'];
      for (const s of summary) lines.push(`${s.edit.padEnd(11)} ${s.au.padEnd(6)} ${s.target.toFixed(2).padStart(6)}  ${s.measured.toFixed(2).padStart(13)}  ${s.source.toFixed(2).padStart(12)}`);
      process.stdout.write(`${lines.join('\n')}\nwrote ${join(o.out, 'demo.png')} and demo.json\n`);
    });
}
