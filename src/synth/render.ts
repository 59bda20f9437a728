/**
 * SynthFACS renderer: (identity, AU intensities, nuisance, size) → a face, drawn with the standard
 * Canvas 2D API only, so the same function paints into a browser canvas or @napi-rs/canvas.
 */
import type { AuVector } from '../data/aus.js';
import { mixSeed, Rng } from '../data/random.js';
import { activations } from './activation.js';
import type { Canvas2D } from './canvas2d.js';
import type { Identity } from './identity.js';
import { NEUTRAL_NUISANCE, type Nuisance } from './nuisance.js';
import { paintBeard, paintGlasses } from './paint-extras.js';
import { paintEyes, paintBrows, paintSockets, paintUpperWrinkles } from './paint-eyes.js';
import { paintBackground, paintBody, paintEars, paintExposure, paintFaceSkin, paintHairBack, paintHairFront } from './paint-head.js';
import { paintCheeks, paintMouth, paintMouthFolds, paintNasolabial } from './paint-mouth.js';
import { paintNose } from './paint-nose.js';
import { mix, palette, scale } from './palette.js';
import { Pen } from './pen.js';
import { buildRig, type FaceRig } from './rig.js';

/** Bumped whenever a change to the renderer changes pixels; recorded in every manifest. */
export const RENDERER_VERSION = '1.0.0';

export const MIN_SIZE = 16;
export const MAX_SIZE = 1024;

export interface FaceSpec {
  identity: Identity;
  /** Intensities in AU_ORDER. */
  aus: AuVector;
  /** Omitted or null: the neutral nuisance (frontal, centred, standard light and background). */
  nuisance?: Nuisance | null;
}

/**
 * The canvas transform from face units to pixels: scale and roll about the frame centre, then the
 * shift. Exposed so region masks and landmarks land where the face does.
 */
export function faceTransform(size: number, n: Nuisance, x0 = 0, y0 = 0): [number, number, number, number, number, number] {
  const k = size * n.scale;
  const r = (n.roll * Math.PI) / 180;
  const a = k * Math.cos(r);
  const b = k * Math.sin(r);
  const c = -b;
  const d = a;
  const e = x0 + size * (0.5 + n.shiftX) - (a * 0.5 + c * 0.5);
  const f = y0 + size * (0.5 + n.shiftY) - (b * 0.5 + d * 0.5);
  return [a, b, c, d, e, f];
}

/** Resets every piece of context state the painters touch, so no render depends on the previous one. */
function resetState(ctx: Canvas2D): void {
  ctx.globalAlpha = 1;
  ctx.globalCompositeOperation = 'source-over';
  ctx.lineCap = 'butt';
  ctx.lineJoin = 'round';
  ctx.lineWidth = 0.01;
  ctx.fillStyle = '#000';
  ctx.strokeStyle = '#000';
}

/**
 * Paints one face into the size × size square at (x0, y0) of the canvas (a tile of a contact sheet,
 * or the whole canvas; `clip` keeps it inside the square on a larger canvas). Returns the rig, the
 * exact geometry that was drawn.
 */
export function drawFace(ctx: Canvas2D, size: number, spec: FaceSpec, x0 = 0, y0 = 0, clip = x0 !== 0 || y0 !== 0): FaceRig {
  const id = spec.identity;
  const n = spec.nuisance ?? NEUTRAL_NUISANCE;
  const rig = buildRig(id, activations(spec.aus));
  const pal = palette(id);
  const textureSeed = mixSeed('synthfacs-texture', Math.floor(id.texture * 2 ** 32));
  const texture = (label: string) => {
    const r = new Rng(mixSeed(textureSeed, label));
    return () => r.next();
  };
  ctx.save();
  resetState(ctx);
  // a face on a larger canvas (a sheet tile) must not paint outside its square
  if (clip) {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.beginPath();
    ctx.rect(x0, y0, size, size);
    ctx.clip();
  }
  const flat = new Pen(ctx, 0, [size, 0, 0, size, x0, y0]);
  paintBackground(flat, n);
  const pen = new Pen(ctx, n.yaw, faceTransform(size, n, x0, y0));
  paintHairBack(pen, id, rig, pal);
  paintBody(pen, rig, pal);
  paintEars(pen, id, rig, pal);
  paintFaceSkin(pen, rig, pal, n);
  paintCheeks(pen, rig, pal);
  paintSockets(pen, rig, pal);
  paintNasolabial(pen, rig, pal);
  paintNose(pen, rig, pal);
  paintMouthFolds(pen, rig, pal, texture);
  paintMouth(pen, rig, pal);
  const lash = mix(scale(pal.brow, 0.6), [10, 8, 8], 0.5);
  paintEyes(pen, rig, pal, pal.iris, lash);
  paintUpperWrinkles(pen, rig, pal);
  paintBrows(pen, rig, pal);
  paintBeard(pen, id, rig, pal);
  paintHairFront(pen, id, rig, pal, texture);
  paintGlasses(pen, id, rig);
  ctx.setTransform(size, 0, 0, size, x0, y0);
  ctx.globalAlpha = 1;
  paintExposure(flat, n);
  ctx.restore();
  return rig;
}
