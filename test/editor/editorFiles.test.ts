/**
 * Editor files: weights stored in float16 (the paper-sized editor would be 48 MB in float32, over the
 * repository's file limit). The rounding must leave the weights within half precision of the
 * originals and move edited W+ codes by little against the edit itself.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUEditNet } from '../../src/editor/auEditNet.js';
import { resolveEditorConfig } from '../../src/editor/config.js';
import { loadEditorNet, saveEditor } from '../../src/editor/editorFiles.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { initRuntime, tf } from '../../src/runtime/index.js';
import { tempDir } from '../data/temp.js';

beforeAll(async () => {
  await initRuntime();
});

describe('editor files', () => {
  it('store float16 weights that load back within half precision and edit almost as before', async () => {
    const dir = tempDir('aueditnet-edfiles-');
    const ed = new AUEditNet(resolveEditorConfig({ levels: [0, 1, 2, 3], styleDim: 32, hidden: 64, zDim: 8, psiHidden: 8 }), 3).build(6);
    await saveEditor(dir, ed, { rows: 6, pair: '.' });
    const file = join(dir, 'editor.safetensors');
    const raw = readSafetensors(file);
    expect(Object.values(raw.tensors).every((t) => t.dtype === 'float16')).toBe(true);
    const n = ed.params.names().reduce((a, k) => a + ed.params.variable(k).size, 0);
    expect(statSync(file).size).toBeLessThan(n * 2 + 20_000);
    const { editor: back } = loadEditorNet(dir);
    for (const k of ed.params.names()) {
      const a = ed.params.variable(k).dataSync(), b = back.params.variable(k).dataSync();
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!), k).toBeLessThanOrEqual(Math.abs(a[i]!) * 2 ** -11 + 6e-8);
    }
    const w = tf.randomNormal([3, 6, 32], 0, 1, 'float32', 4) as tf.Tensor3D;
    const a = tf.tensor2d(Array.from({ length: 36 }, (_, i) => (i % 5) - 1), [3, 12]);
    const target = { c: tf.cast(tf.greater(a, 0), 'float32') as tf.Tensor2D, a };
    const x = ed.edit(w, target), y = back.edit(w, target);
    const moved = tf.tidy(() => tf.sub(x.wTar, w).abs().mean().dataSync()[0]!);
    const diff = tf.tidy(() => tf.sub(x.wTar, y.wTar).abs().max().dataSync()[0]!);
    expect(diff).toBeLessThan(moved * 0.01);
    tf.dispose([w, target.a, target.c, x.wN, x.wTar, y.wN, y.wTar]);
    ed.dispose();
    back.dispose();
  });
});
