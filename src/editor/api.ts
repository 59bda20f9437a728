/**
 * The editing API (issue 6 part 4):
 *
 *   const ed = await loadEditor();                 // the shipped SynthFACS default
 *   const r = await ed.edit('face.png', { AU12: 3, AU6: 2 });
 *   await writePng('out.png', r.image);
 *   ed.neutral(img); ed.transfer(img, ref); ed.dispose();
 *
 * Images are `RgbImage`s ([0, 1] HWC) or paths; an image of another size than the pair's is
 * resized (bilinear, PIL-style) and `onWarning` says so. AU targets are keyed 'AU12', 'au12', '12'
 * or 12; unknown AUs and non-finite values are refused; floats and negatives are allowed. AUs not
 * given keep the editor's estimate of their source intensity unless `reset: true` (then they go to 0).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AU_ORDER, type AuId } from '../data/aus.js';
import { UserError } from '../errors.js';
import type { Encoder } from '../gan/encoder.js';
import type { Generator } from '../gan/generator.js';
import { loadModels } from '../gan/modelDir.js';
import { encoderInput, resizeBilinearPil } from '../gan/preprocess.js';
import { readImage, type RgbImage } from '../io/image.js';
import { initRuntime, scoped, tf } from '../runtime/index.js';
import type { AUEditNet } from './auEditNet.js';
import { loadEditorNet, type EditorMeta } from './editorFiles.js';

export type AuTargets = Readonly<Record<string | number, number>>;

export interface EditOptions {
  /** AUs not named go to 0 instead of keeping their estimated source intensity. */
  reset?: boolean;
}

export interface EditResult {
  image: RgbImage;
  /** Ŵ_N decoded: the face with every AU removed. */
  neutral: RgbImage;
  /** G(E(I)): what the inversion alone gives, for comparison. */
  reconstruction: RgbImage;
  /** The editor's estimate of the source intensities, in AU order. */
  source: Record<`AU${AuId}`, number>;
  /** The intensities asked for (given, kept or reset), in AU order. */
  target: Record<`AU${AuId}`, number>;
  wplus: Float32Array;
}

export interface LoadEditorOptions {
  /** Folder of the generator/encoder pair; default: the one named in editor.json. */
  pair?: string;
  onWarning?: (message: string) => void;
}

/** models/synthfacs-64 of this package. */
export function defaultModelDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'models', 'synthfacs-64');
}

const AU_LIST = AU_ORDER.map((a) => `AU${a}`).join(', ');

/** Validates AU targets: index in AU_ORDER → value. */
export function parseAuTargets(targets: AuTargets): Map<number, number> {
  const out = new Map<number, number>();
  for (const [key, value] of Object.entries(targets)) {
    const m = /^(?:au)?(\d+)$/i.exec(key.trim());
    const au = m ? Number(m[1]) : NaN;
    const i = (AU_ORDER as readonly number[]).indexOf(au);
    if (i < 0) throw new UserError(`unknown AU '${key}': the editor controls ${AU_LIST}`);
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new UserError(`AU${au}: intensity must be a finite number, got ${String(value)}`);
    if (out.has(i)) throw new UserError(`AU${au} is given twice`);
    out.set(i, value);
  }
  return out;
}

const named = (v: ArrayLike<number>) => Object.fromEntries(AU_ORDER.map((a, i) => [`AU${a}`, v[i]!])) as Record<`AU${AuId}`, number>;

export class LoadedEditor {
  constructor(
    readonly editor: AUEditNet,
    readonly generator: Generator,
    readonly encoder: Encoder,
    readonly meta: EditorMeta,
    private readonly warn: (message: string) => void,
  ) {}

  get size(): number {
    return this.generator.config.size;
  }

  private async input(image: RgbImage | string): Promise<tf.Tensor4D> {
    const img = typeof image === 'string' ? await readImage(image) : image;
    const S = this.encoder.config.inputSize;
    if (img.width !== S || img.height !== S) {
      this.warn(`${typeof image === 'string' ? image : 'input image'}: ${img.width}×${img.height} resized to ${S}×${S} (the model's size; faces are expected aligned and centred)`);
    }
    return tf.tensor4d(encoderInput(img.width === S && img.height === S ? img : resizeBilinearPil(img, S, S), S), [1, S, S, 3]);
  }

  private toImage(x: tf.Tensor4D): RgbImage {
    const [, H, W] = x.shape;
    const data = scoped(() => x.clipByValue(-1, 1).add(1).div(2).dataSync() as Float32Array);
    return { width: W, height: H, data: Float32Array.from(data) };
  }

  private render(w: tf.Tensor3D): RgbImage {
    return scoped(() => this.toImage(this.generator.synthesis(w, { noise: 'const' })));
  }

  /** Single-row W+ batches rendered together, one image each. */
  private renderAll(ws: tf.Tensor3D[]): RgbImage[] {
    return scoped(() => {
      const x = this.generator.synthesis(tf.concat(ws, 0) as tf.Tensor3D, { noise: 'const' });
      return (tf.split(x, ws.length, 0) as tf.Tensor4D[]).map((t) => this.toImage(t));
    });
  }

  private async encode(image: RgbImage | string): Promise<tf.Tensor3D> {
    const x = await this.input(image);
    const w = tf.tidy(() => this.encoder.encode(x));
    x.dispose();
    return w;
  }

  /** Edits the AU intensities of an aligned face. */
  async edit(image: RgbImage | string, targets: AuTargets, opts: EditOptions = {}): Promise<EditResult> {
    const given = parseAuTargets(targets);
    const w = await this.encode(image);
    try {
      return scoped(() => {
        const est = this.editor.estimate(w);
        const a = Array.from(est.a.dataSync()), c = Array.from(est.c.dataSync());
        const source = named(a);
        const ta = a.map((v, i) => (given.has(i) ? given.get(i)! : opts.reset ? 0 : v));
        // a given intensity activates its AU (c = 1 unless it is 0); a kept one keeps its estimated activation
        const tc = c.map((v, i) => (given.has(i) ? (given.get(i)! !== 0 ? 1 : 0) : opts.reset ? 0 : v));
        const { wN, wTar } = this.editor.edit(w, { c: tf.tensor2d([tc]), a: tf.tensor2d([ta]) });
        // one generator pass for the three images: per-call overhead dominates at batch 1
        const [image, neutral, reconstruction] = this.renderAll([wTar, wN, w]);
        return {
          image: image!,
          neutral: neutral!,
          reconstruction: reconstruction!,
          source,
          target: named(ta),
          wplus: Float32Array.from(wTar.dataSync()),
        };
      });
    } finally {
      w.dispose();
    }
  }

  /** The face with every AU removed (Ŵ_N). */
  async neutral(image: RgbImage | string): Promise<RgbImage> {
    const w = await this.encode(image);
    try {
      return scoped(() => this.render(this.editor.neutral(w)));
    } finally {
      w.dispose();
    }
  }

  /** Expression transfer: the reference's AU status on the source face. */
  async transfer(image: RgbImage | string, reference: RgbImage | string): Promise<RgbImage> {
    const w = await this.encode(image);
    const r = await this.encode(reference);
    try {
      return scoped(() => this.render(this.editor.transfer(w, r)));
    } finally {
      tf.dispose([w, r]);
    }
  }

  /** The editor's own estimate of the AU intensities of a face. */
  async estimate(image: RgbImage | string): Promise<Record<`AU${AuId}`, number>> {
    const w = await this.encode(image);
    try {
      return scoped(() => named(this.editor.estimate(w).a.dataSync()));
    } finally {
      w.dispose();
    }
  }

  dispose(): void {
    this.editor.dispose();
    this.generator.dispose();
    this.encoder.dispose();
  }
}

/** Loads an editor folder (default: the shipped SynthFACS model) with its generator/encoder pair. */
export async function loadEditor(dir?: string, opts: LoadEditorOptions = {}): Promise<LoadedEditor> {
  await initRuntime();
  const root = dir ?? defaultModelDir();
  const { editor, meta } = loadEditorNet(root);
  try {
    const pairDir = opts.pair ?? path.resolve(root, meta.pair);
    const pair = await loadModels(pairDir, { generator: true, encoder: true });
    const g = pair.generator!.model.freeze();
    const e = pair.encoder!.model.freeze();
    if (g.nLatent !== meta.rows) {
      g.dispose();
      e.dispose();
      throw new UserError(`${pairDir}: the generator has ${g.nLatent} W+ rows, the editor in ${root} was trained on ${meta.rows}`);
    }
    return new LoadedEditor(editor, g, e, meta, opts.onWarning ?? ((m) => process.stderr.write(`aueditnet: ${m}\n`)));
  } catch (err) {
    editor.dispose();
    throw err;
  }
}
