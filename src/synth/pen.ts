/**
 * Draws in face units (1 = frame width, frontal face) through a small pseudo-3D head model, so that
 * yaw moves the nose more than the cheeks and foreshortens the far side. Roll, scale and shift are
 * the base transform handed in by the renderer.
 *
 * The pen also remembers the context state it last set (alpha, styles, line width, transform) and
 * skips redundant sets: at 64 px a face is a few hundred small draws, and each property set costs as
 * much as drawing a small path, so this is what makes ≥ 500 faces/s possible.
 */
import type { Canvas2D, Gradient2D } from './canvas2d.js';
import { css, type Rgb } from './palette.js';

export type Pt = readonly [number, number];
export type Matrix = readonly [number, number, number, number, number, number];
export type Style = Rgb | Gradient2D;

/** Depth of the head surface in front of the ear plane, from a cylinder across the face. */
export function headDepth(x: number): number {
  const u = (x - 0.5) / 0.42;
  return 0.2 * Math.sqrt(Math.max(0, 1 - u * u));
}

const PIVOT_DEPTH = 0.12;

/**
 * Unit radial gradients (colour → transparent) by colour, shared by all pens: gradient objects do
 * not belong to a context, and their geometry is always the unit circle.
 */
const blobGradients = new Map<string, Gradient2D>();

function isRgb(style: Style): style is Rgb {
  return Array.isArray(style);
}

export class Pen {
  private readonly cos: number;
  private readonly sin: number;
  private alpha = NaN;
  private fillStyle: unknown = undefined;
  private strokeStyle: unknown = undefined;
  private width = NaN;
  private lineCap = '';
  private transformed = false;
  /** Pixels per face unit (frame size × zoom). */
  readonly pixels: number;

  constructor(
    readonly ctx: Canvas2D,
    yawDeg: number,
    private readonly base: Matrix,
  ) {
    const yaw = (yawDeg * Math.PI) / 180;
    this.cos = Math.cos(yaw);
    this.sin = Math.sin(yaw);
    this.pixels = Math.hypot(base[0], base[1]);
    ctx.setTransform(...base);
  }

  /**
   * Whether details finer than a pixel at 64 px (hair strands, tooth gaps, iris rings) are worth
   * drawing: below ~100 px they only cost time.
   */
  get fine(): boolean {
    return this.pixels >= 100;
  }

  /** Projected x of a point; `dz` is extra depth above the head cylinder (the nose, the lips). */
  px(x: number, dz = 0): number {
    return 0.5 + (x - 0.5) * this.cos + (headDepth(x) + dz - PIVOT_DEPTH) * this.sin;
  }

  p(x: number, y: number, dz = 0): Pt {
    return [this.px(x, dz), y];
  }

  save(): void {
    this.untransform();
    this.ctx.save();
  }

  restore(): void {
    this.ctx.restore();
    this.alpha = NaN;
    this.fillStyle = undefined;
    this.strokeStyle = undefined;
    this.width = NaN;
    this.lineCap = '';
  }

  clip(): void {
    this.ctx.clip();
  }

  cap(value: CanvasLineCap): this {
    if (value !== this.lineCap) {
      this.ctx.lineCap = value;
      this.lineCap = value;
    }
    return this;
  }

  private setAlpha(a: number): void {
    if (a !== this.alpha) {
      this.ctx.globalAlpha = a;
      this.alpha = a;
    }
  }

  private untransform(): void {
    if (this.transformed) {
      this.ctx.setTransform(...this.base);
      this.transformed = false;
    }
  }

  begin(): this {
    this.untransform();
    this.ctx.beginPath();
    return this;
  }

  move(x: number, y: number, dz = 0): this {
    this.ctx.moveTo(this.px(x, dz), y);
    return this;
  }

  line(x: number, y: number, dz = 0): this {
    this.ctx.lineTo(this.px(x, dz), y);
    return this;
  }

  quad(cx: number, cy: number, x: number, y: number, dz = 0): this {
    this.ctx.quadraticCurveTo(this.px(cx, dz), cy, this.px(x, dz), y);
    return this;
  }

  bez(c1x: number, c1y: number, c2x: number, c2y: number, x: number, y: number, dz = 0): this {
    this.ctx.bezierCurveTo(this.px(c1x, dz), c1y, this.px(c2x, dz), c2y, this.px(x, dz), y);
    return this;
  }

  /**
   * Ellipse centred at a projected point, as its own closed sub-path (canvas would otherwise join
   * it to the previous point with a line); its width is foreshortened with the yaw.
   */
  ellipse(cx: number, cy: number, rx: number, ry: number, rot = 0, dz = 0): this {
    const x = this.px(cx, dz);
    const r = Math.max(rx * this.cos, 1e-6);
    this.ctx.moveTo(x + r * Math.cos(rot), cy + r * Math.sin(rot));
    this.ctx.ellipse(x, cy, r, Math.max(ry, 1e-6), rot, 0, Math.PI * 2);
    this.ctx.closePath();
    return this;
  }

  close(): this {
    this.ctx.closePath();
    return this;
  }

  /**
   * A soft-edged elliptical blob: colour at `alpha` in the centre fading to nothing at the rim.
   * Canvas radial gradients are circular, so the ellipse is a unit circle under a scaling transform;
   * the unit gradient is built once per colour and reused.
   */
  blob(cx: number, cy: number, rx: number, ry: number, color: Rgb, alpha: number, rot = 0, core = 0, dz = 0): this {
    if (alpha <= 0.004) return this;
    const ctx = this.ctx;
    const solid = css(color);
    const key = core > 0 ? `${solid}/${core}` : solid;
    let g = blobGradients.get(key);
    if (!g) {
      g = ctx.createRadialGradient(0, 0, 0, 0, 0, 1);
      g.addColorStop(0, solid);
      if (core > 0) g.addColorStop(core, solid);
      g.addColorStop(1, css(color, 0));
      // a data set renders one identity (one palette) hundreds of times: keep recent colours
      if (blobGradients.size >= 512) blobGradients.clear();
      blobGradients.set(key, g);
    }
    const sx = Math.max(rx * this.cos, 1e-6);
    const sy = Math.max(ry, 1e-6);
    const c = Math.cos(rot);
    const s = Math.sin(rot);
    // base × translate(px, cy) × rotate(rot) × scale(sx, sy)
    const la = c * sx;
    const lb = s * sx;
    const lc = -s * sy;
    const ld = c * sy;
    const le = this.px(cx, dz);
    const lf = cy;
    const [a, b, cc, d, e, f] = this.base;
    ctx.setTransform(a * la + cc * lb, b * la + d * lb, a * lc + cc * ld, b * lc + d * ld, a * le + cc * lf + e, b * le + d * lf + f);
    this.transformed = true;
    ctx.beginPath();
    ctx.arc(0, 0, 1, 0, Math.PI * 2);
    this.setAlpha(Math.min(alpha, 1));
    if (this.fillStyle !== g) {
      ctx.fillStyle = g;
      this.fillStyle = g;
    }
    ctx.fill();
    return this;
  }

  /**
   * A smooth curve through the points (Catmull-Rom turned into Bézier segments), open or closed.
   * Starts a new sub-path unless `connect` is set.
   */
  smooth(points: readonly Pt[], closed: boolean, connect = false, dz = 0): this {
    const n = points.length;
    if (n < 2) return this;
    const at = (i: number): Pt => (closed ? points[(i + n) % n]! : points[Math.min(Math.max(i, 0), n - 1)]!);
    if (connect) this.line(points[0]![0], points[0]![1], dz);
    else this.move(points[0]![0], points[0]![1], dz);
    const segments = closed ? n : n - 1;
    for (let i = 0; i < segments; i++) {
      const p0 = at(i - 1);
      const p1 = at(i);
      const p2 = at(i + 1);
      const p3 = at(i + 2);
      this.bez(
        p1[0] + (p2[0] - p0[0]) / 6,
        p1[1] + (p2[1] - p0[1]) / 6,
        p2[0] - (p3[0] - p1[0]) / 6,
        p2[1] - (p3[1] - p1[1]) / 6,
        p2[0],
        p2[1],
        dz,
      );
    }
    if (closed) this.close();
    return this;
  }

  linear(x0: number, y0: number, x1: number, y1: number, stops: ReadonlyArray<readonly [number, string]>): Gradient2D {
    const g = this.ctx.createLinearGradient(this.px(x0), y0, this.px(x1), y1);
    for (const [o, c] of stops) g.addColorStop(o, c);
    return g;
  }

  radial(cx: number, cy: number, r0: number, r1: number, stops: ReadonlyArray<readonly [number, string]>, dz = 0): Gradient2D {
    const x = this.px(cx, dz);
    const g = this.ctx.createRadialGradient(x, cy, r0, x, cy, r1);
    for (const [o, c] of stops) g.addColorStop(o, c);
    return g;
  }

  /** Solid colours carry their alpha in the colour itself; gradients use globalAlpha. */
  fill(style: Style, alpha = 1): this {
    if (alpha <= 0.004) return this;
    const a = Math.min(alpha, 1);
    let value: unknown = style;
    if (isRgb(style)) {
      value = css(style, a);
      this.setAlpha(1);
    } else {
      this.setAlpha(a);
    }
    if (value !== this.fillStyle) {
      this.ctx.fillStyle = value;
      this.fillStyle = value;
    }
    this.ctx.fill();
    return this;
  }

  stroke(style: Style, width: number, alpha = 1): this {
    if (alpha <= 0.004) return this;
    const a = Math.min(alpha, 1);
    let value: unknown = style;
    if (isRgb(style)) {
      value = css(style, a);
      this.setAlpha(1);
    } else {
      this.setAlpha(a);
    }
    if (value !== this.strokeStyle) {
      this.ctx.strokeStyle = value;
      this.strokeStyle = value;
    }
    if (width !== this.width) {
      this.ctx.lineWidth = width;
      this.width = width;
    }
    this.ctx.stroke();
    return this;
  }
}
