/**
 * Node side of the renderer: a reusable @napi-rs/canvas per size, pixels out as RGB bytes or PNG.
 * The only file in src/synth that creates canvases.
 */
import { createCanvas, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import { UserError } from '../errors.js';
import type { Canvas2D } from './canvas2d.js';
import { encodePngRgb } from './png.js';
import { drawFace, MAX_SIZE, MIN_SIZE, type FaceSpec } from './render.js';

const surfaces = new Map<number, { canvas: Canvas; ctx: SKRSContext2D }>();

export function checkSize(size: number): number {
  if (!Number.isInteger(size) || size < MIN_SIZE || size > MAX_SIZE) {
    throw new UserError(`image size must be a whole number of pixels from ${MIN_SIZE} to ${MAX_SIZE}, got ${size}`);
  }
  return size;
}

function surface(size: number): { canvas: Canvas; ctx: SKRSContext2D } {
  let s = surfaces.get(size);
  if (!s) {
    const canvas = createCanvas(size, size);
    s = { canvas, ctx: canvas.getContext('2d') };
    surfaces.set(size, s);
  }
  return s;
}

/** Creates a fresh canvas for callers that compose several faces (contact sheets). */
export function newCanvas(width: number, height: number): { canvas: Canvas; ctx: Canvas2D & SKRSContext2D } {
  const canvas = createCanvas(width, height);
  return { canvas, ctx: canvas.getContext('2d') };
}

/** RGB bytes (HWC) of one face; the array is the caller's. */
export function renderRgb(spec: FaceSpec, size: number): Uint8Array {
  checkSize(size);
  const { canvas, ctx } = surface(size);
  drawFace(ctx, size, spec);
  // the canvas is opaque (the background covers it), so its RGBA bytes are straight colour
  const rgba = canvas.data();
  const n = size * size;
  const rgb = new Uint8Array(n * 3);
  for (let p = 0, q = 0; p < n * 4; p += 4, q += 3) {
    rgb[q] = rgba[p]!;
    rgb[q + 1] = rgba[p + 1]!;
    rgb[q + 2] = rgba[p + 2]!;
  }
  return rgb;
}

export function renderPng(spec: FaceSpec, size: number): Buffer {
  return encodePngRgb(size, size, renderRgb(spec, size));
}
