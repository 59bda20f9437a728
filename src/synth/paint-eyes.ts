/**
 * Upper face: eye sockets, eyes and lids (AU5, AU6), brows (AU1, AU2, AU4), forehead lines (AU1
 * central, AU2 lateral), glabella lines (AU4), crow's feet and the infraorbital furrow (AU6).
 */
import { css, mix, type Palette, type Rgb } from './palette.js';
import type { Pen, Pt } from './pen.js';
import type { BrowRig, EyeRig, FaceRig } from './rig.js';

const lerp = (a: number, b: number, t: number) => a + (b - a) * t;

type Cubic = readonly [Pt, Pt, Pt, Pt];

/**
 * A lid as one cubic from the inner to the outer corner. Control points at 4/3 of the lid height
 * give the curve exactly that height; the upper lid peaks towards the nose, the lower one towards
 * the temple, as real lids do.
 */
function lid(e: EyeRig, dir: -1 | 1): Cubic {
  const [ix, iy] = e.inner;
  const [ox, oy] = e.outer;
  const h = (dir < 0 ? e.upper : e.lower) * (4 / 3) * dir;
  const [a, b] = dir < 0 ? [0.12, 0.62] : [0.38, 0.88];
  return [e.inner, [lerp(ix, ox, a), lerp(iy, oy, a) + h], [lerp(ix, ox, b), lerp(iy, oy, b) + h], e.outer];
}

/** The part of a cubic between t0 and t1 (de Casteljau), shifted down by dy. */
function subCubic(c: Cubic, t0: number, t1: number, dy = 0): Cubic {
  const split = (p: Cubic, t: number): [Cubic, Cubic] => {
    const m = (u: Pt, v: Pt): Pt => [lerp(u[0], v[0], t), lerp(u[1], v[1], t)];
    const p01 = m(p[0], p[1]);
    const p12 = m(p[1], p[2]);
    const p23 = m(p[2], p[3]);
    const q0 = m(p01, p12);
    const q1 = m(p12, p23);
    const r = m(q0, q1);
    return [
      [p[0], p01, q0, r],
      [r, q1, p23, p[3]],
    ];
  };
  const right = t0 > 0 ? split(c, t0)[1] : c;
  const part = t1 < 1 ? split(right, (t1 - t0) / (1 - t0))[0] : right;
  return part.map(([x, y]) => [x, y + dy] as const) as unknown as Cubic;
}

function trace(pen: Pen, c: Cubic, connect = false): Pen {
  if (connect) pen.line(c[0][0], c[0][1]);
  else pen.move(c[0][0], c[0][1]);
  return pen.bez(c[1][0], c[1][1], c[2][0], c[2][1], c[3][0], c[3][1]);
}

function reverse(c: Cubic): Cubic {
  return [c[3], c[2], c[1], c[0]];
}

export function paintSockets(pen: Pen, rig: FaceRig, pal: Palette): void {
  for (const e of rig.eyes) {
    const ex = (e.inner[0] + e.outer[0]) / 2;
    pen.blob(ex + e.side * 0.008, rig.eyeY - 0.018, 0.072, 0.04, pal.crease, 0.2 + rig.socketShadow * 0.5);
    // the inner corner of the socket, beside the nose bridge
    pen.blob(e.inner[0] - e.side * 0.01, rig.eyeY - 0.004, 0.02, 0.025, pal.crease, 0.18 + rig.socketShadow * 0.3);
  }
}

export function paintEyes(pen: Pen, rig: FaceRig, pal: Palette, iris: Rgb, lash: Rgb): void {
  // both eyes under one clip: each layer (white, iris, pupil, …) is one draw for the pair
  const open = rig.eyes.filter((e) => e.upper + e.lower > 0.002);
  if (open.length > 0) {
    const eyes = () => {
      pen.begin();
      for (const e of open) {
        trace(pen, lid(e, -1));
        trace(pen, reverse(lid(e, 1)), true).close();
      }
      return pen;
    };
    pen.save();
    eyes();
    pen.clip();
    eyes().fill(pal.sclera);
    const circles = (k: number, dx = 0, dy = 0) => {
      pen.begin();
      for (const e of open) pen.ellipse(e.iris.x + dx * e.iris.r, e.iris.y + dy * e.iris.r, e.iris.r * k, e.iris.r * k, 0, 0.004);
      return pen;
    };
    circles(1).fill(iris);
    if (pen.fine) {
      circles(0.55).fill(mix(iris, [230, 220, 190], 0.22), 0.6);
      circles(0.88).stroke([iris[0] * 0.45, iris[1] * 0.45, iris[2] * 0.45], open[0]!.iris.r * 0.24);
    }
    circles(0.42).fill([12, 10, 10]);
    circles(0.2, -0.32, -0.35).fill([255, 255, 255], 0.85);
    // the upper lid shades the top of the eyeball
    pen.begin();
    for (const e of open) trace(pen, lid(e, -1));
    pen.stroke(pal.crease, 0.016, 0.4);
    pen.restore();
  }
  // lash lines (dark, heavier towards the outer corner), lower lids and lid creases: one path each
  pen.cap('round');
  pen.begin();
  for (const e of rig.eyes) trace(pen, subCubic(lid(e, -1), 0.02, 1));
  pen.stroke(lash, 0.0055, 0.95);
  pen.begin();
  for (const e of rig.eyes) trace(pen, subCubic(lid(e, -1), 0.55, 1));
  pen.stroke(lash, 0.008, 0.9);
  for (const e of rig.eyes) trace(pen.begin(), subCubic(lid(e, 1), 0.1, 0.95, 0.0015)).stroke(pal.crease, 0.003, e.lowerLidAlpha);
  pen.begin();
  for (const e of rig.eyes) if (e.creaseAlpha > 0.01) trace(pen, subCubic(lid(e, -1), 0.15, 0.92, -e.creaseGap));
  pen.stroke(pal.crease, 0.0035, rig.eyes[0].creaseAlpha);
}

function browPath(pen: Pen, b: BrowRig): Pen {
  const t = b.thickness;
  const s = b.side;
  const [ix, iy] = b.inner;
  const [px, py] = b.peak;
  const [ox, oy] = b.outer;
  return pen
    .begin()
    .move(ix, iy)
    .quad(lerp(ix, px, 0.5), lerp(iy, py, 0.5) + 0.002, px, py)
    .quad(lerp(px, ox, 0.55), lerp(py, oy, 0.4), ox, oy)
    .quad(ox - s * 0.01, oy - t * 0.55, px + s * 0.005, py - t * 0.95)
    .quad(lerp(ix, px, 0.45), lerp(iy, py, 0.5) - t * 1.2, ix + s * 0.002, iy - t * 1.1)
    .quad(ix - s * 0.004, iy - t * 0.5, ix, iy)
    .close();
}

export function paintBrows(pen: Pen, rig: FaceRig, pal: Palette): void {
  for (const b of rig.brows) {
    const g = pen.linear(b.inner[0], 0, b.outer[0], 0, [
      [0, css(pal.brow, 0.72)],
      [0.45, css(pal.brow, 0.96)],
      [1, css(pal.brow, 0.8)],
    ]);
    browPath(pen, b).fill(g);
  }
}

/**
 * Skin creases: dark lines with a faint highlight just below, as wrinkles catch top light. All
 * lines of one kind go into one path, so a kind costs two draws however many lines it has.
 */
function creases(pen: Pen, pal: Palette, alpha: number, width: number, draw: (dy: number) => void): void {
  if (alpha <= 0.01) return;
  pen.cap('round');
  pen.begin();
  draw(width * 0.9);
  pen.stroke(pal.sheen, width * 0.8, alpha * pal.sheenAlpha);
  pen.begin();
  draw(0);
  pen.stroke(pal.crease, width, alpha);
}

export function paintUpperWrinkles(pen: Pen, rig: FaceRig, pal: Palette): void {
  const w = rig.wrinkles;
  const cx = rig.cx;
  const [bl, br] = rig.brows;
  const innerTop = Math.min(bl.inner[1], br.inner[1]) - bl.thickness;
  // Forehead lines form in the skin between the brows and the hairline (or fringe): as the brows
  // rise the lines crowd together instead of climbing under the hair.
  const top = rig.fringeY + 0.028;
  const rows = (bottom: number, n: number) => {
    const gap = Math.max(0.006, Math.min(0.02, (bottom - top) / Math.max(1, n - 1)));
    return Array.from({ length: n }, (_, k) => Math.max(bottom - gap * k, Math.min(bottom, top)));
  };
  // AU1: horizontal lines over the centre of the forehead, raised with the inner brows
  creases(pen, pal, w.foreheadCentral, 0.0065, (dy) => {
    rows(innerTop - 0.026, 3).forEach((y, k) => {
      const half = 0.07 - 0.008 * k;
      pen.move(cx - half, y + 0.006 + dy).quad(cx, y - 0.008 + dy, cx + half, y + 0.006 + dy);
    });
  });
  // AU2: lines above the outer brows, following their arch
  creases(pen, pal, w.foreheadLateral, 0.006, (dy) => {
    for (const b of rig.brows) {
      const ys = rows(b.peak[1] - b.thickness - 0.024, 2);
      for (let k = 0; k < 2; k++) {
        const y = ys[k]! + dy;
        const x0 = cx + b.side * 0.055;
        const x1 = b.outer[0] - b.side * (0.012 + 0.01 * k);
        pen.move(x0, y + 0.004).quad((x0 + x1) / 2, y - 0.006, x1, y + 0.012);
      }
    }
  });
  // AU4: vertical lines between the lowered brows, and a bunched-up bulge above them
  creases(pen, pal, w.glabella, 0.006, (dy) => {
    for (const s of [-1, 1] as const) {
      const x = cx + s * 0.011 + dy * s;
      const top = innerTop - 0.02;
      pen.move(x + s * 0.002, top).quad(x - s * 0.002, top + 0.02, x + s * 0.004, innerTop + bl.thickness + 0.012);
    }
  });
  pen.blob(cx, innerTop + 0.004, 0.05, 0.02, pal.crease, 0.25 * w.glabella);
  // AU6: crow's feet fanning out from the outer eye corner, and the furrow below the lower lid
  creases(pen, pal, w.crowsFeet, 0.007, (dy) => {
    for (const e of rig.eyes) {
      const s = e.side;
      const [ox, oy] = e.outer;
      for (const [ang, len] of [
        [-0.45, 0.022],
        [0.05, 0.026],
        [0.5, 0.022],
      ] as const) {
        const x0 = ox + s * 0.011;
        const y0 = oy + ang * 0.012 + dy;
        pen.move(x0, y0).quad(x0 + s * len * 0.6, y0 + ang * 0.008, x0 + s * len, y0 + ang * len * 0.75);
      }
    }
  });
  creases(pen, pal, w.infraorbital, 0.0065, (dy) => {
    for (const e of rig.eyes) trace(pen, subCubic(lid(e, 1), 0.15, 0.95, 0.016 + dy));
  });
}
