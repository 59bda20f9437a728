// Regenerates fixtures/reference.json (run when a renderer change is intended, and bump
// RENDERER_VERSION): `node --import tsx test/synth/make-reference.ts`.
import { writeFileSync } from 'node:fs';
import { renderRgb } from '../../src/synth/canvas-node.js';
import { RENDERER_VERSION } from '../../src/synth/render.js';
import { machineInfo } from '../../src/runtime/machine.js';
import { referenceSpecs, sha256, thumbnail } from './helpers.js';

const faces = referenceSpecs().map((r) => {
  const rgb = renderRgb(r.spec, r.size);
  return { name: r.name, size: r.size, sha256: sha256(rgb), thumbnail16: thumbnail(rgb, r.size) };
});
const machine = machineInfo();
writeFileSync(
  new URL('./fixtures/reference.json', import.meta.url),
  JSON.stringify({ rendererVersion: RENDERER_VERSION, recordedOn: `${machine.cpu}, ${machine.platform}, node ${machine.node}`, faces }) + '\n',
);
