/**
 * Contact sheets: the AU sheet (rows AU1 … AU26, columns intensity 0 … 5, for a few identities) and
 * the identity sheet (a grid of neutral faces). They are how a person checks the renderer: each
 * row should show one nameable FACS change growing from left to right. Node-only (text and PNG).
 */
import { AU_NAMES, AU_ORDER, auVector } from '../data/aus.js';
import { mixSeed, Rng } from '../data/random.js';
import { newCanvas } from './canvas-node.js';
import type { Identity } from './identity.js';
import { sampleNuisance } from './nuisance.js';
import { drawFace } from './render.js';

export interface SheetFace {
  label: string;
  identity: Identity;
}

export interface AuSheetOptions {
  tile: number;
  intensities?: readonly number[];
  /** Show the FACS name beside each AU number. */
  names?: boolean;
}

const INK = '#1d1d1f';
const FONT = "'DejaVu Sans', Arial, sans-serif";
const PAPER = '#f4f3ef';

export function auSheet(faces: readonly SheetFace[], opts: AuSheetOptions): Buffer {
  const tile = opts.tile;
  const levels = opts.intensities ?? [0, 1, 2, 3, 4, 5];
  const font = Math.max(10, Math.round(tile * 0.15));
  const left = Math.round(font * (opts.names === false ? 3.2 : 9.5));
  const top = Math.round(font * 3.2);
  const gap = Math.round(tile * 0.25);
  const groupW = levels.length * tile;
  const width = left + faces.length * groupW + (faces.length - 1) * gap;
  const height = top + AU_ORDER.length * tile;
  const { canvas, ctx } = newCanvas(width, height);
  ctx.fillStyle = PAPER;
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = INK;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'center';
  faces.forEach((face, g) => {
    const x0 = left + g * (groupW + gap);
    ctx.font = `bold ${font}px ${FONT}`;
    ctx.fillText(face.label, x0 + groupW / 2, font * 0.9);
    ctx.font = `${font}px ${FONT}`;
    levels.forEach((v, c) => ctx.fillText(String(v), x0 + c * tile + tile / 2, font * 2.3));
  });
  ctx.textAlign = 'left';
  AU_ORDER.forEach((au, r) => {
    const y = top + r * tile;
    ctx.fillStyle = INK;
    ctx.font = `bold ${font}px ${FONT}`;
    ctx.fillText(`AU${au}`, font * 0.4, y + tile / 2 - (opts.names === false ? 0 : font * 0.6));
    if (opts.names !== false) {
      ctx.font = `${Math.round(font * 0.8)}px ${FONT}`;
      ctx.fillText(AU_NAMES[au], font * 0.4, y + tile / 2 + font * 0.6);
    }
    faces.forEach((face, g) => {
      const x0 = left + g * (groupW + gap);
      levels.forEach((v, c) => drawFace(ctx, tile, { identity: face.identity, aus: auVector({ [au]: v }) }, x0 + c * tile, y, true));
    });
  });
  return canvas.toBuffer('image/png');
}

export interface IdentitySheetOptions {
  tile: number;
  columns?: number;
  /** Draw each face with a random nuisance (seeded) instead of the neutral one. */
  nuisanceSeed?: number;
  labels?: boolean;
}

export function identitySheet(faces: readonly SheetFace[], opts: IdentitySheetOptions): Buffer {
  const tile = opts.tile;
  const cols = opts.columns ?? Math.ceil(Math.sqrt(faces.length));
  const rows = Math.ceil(faces.length / cols);
  const font = Math.max(9, Math.round(tile * 0.12));
  const labelH = opts.labels === false ? 0 : Math.round(font * 1.5);
  const { canvas, ctx } = newCanvas(cols * tile, rows * (tile + labelH));
  ctx.fillStyle = PAPER;
  ctx.fillRect(0, 0, cols * tile, rows * (tile + labelH));
  faces.forEach((face, i) => {
    const x = (i % cols) * tile;
    const y = Math.floor(i / cols) * (tile + labelH);
    const nuisance = opts.nuisanceSeed === undefined ? null : sampleNuisance(new Rng(mixSeed('sheet-nuisance', opts.nuisanceSeed, i)));
    drawFace(ctx, tile, { identity: face.identity, aus: auVector(), nuisance }, x, y, true);
    if (labelH) {
      ctx.fillStyle = INK;
      ctx.font = `${font}px ${FONT}`;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(face.label, x + tile / 2, y + tile + labelH / 2);
    }
  });
  return canvas.toBuffer('image/png');
}
