/**
 * Head painting: background, hair, ears, neck, clothes and the shaded skin of the face. Everything
 * here depends on identity and nuisance only, except the jaw line, which AU26 and AU17 move.
 */
import type { Identity } from './identity.js';
import type { Nuisance } from './nuisance.js';
import { css, hsl, mix, scale, type Palette } from './palette.js';
import type { Pen, Pt } from './pen.js';
import { curlyHair, type FaceRig } from './rig.js';

export function paintBackground(pen: Pen, n: Nuisance): void {
  const base = hsl(n.bgHue, 0.22, n.bgLightness);
  const top = scale(base, 1 + 0.18 * n.bgGradient);
  const bottom = scale(base, 1 - 0.3 * n.bgGradient);
  const ctx = pen.ctx;
  const g = ctx.createLinearGradient(0, 0, 0, 1);
  g.addColorStop(0, css(top));
  g.addColorStop(1, css(bottom));
  ctx.fillStyle = g;
  // generous margins: roll and shift must never reveal an unpainted corner
  ctx.fillRect(-0.5, -0.5, 2, 2);
}

interface HairShape {
  top: number;
  spread: number;
  length: number;
  /** Voluminous short-to-medium hair is drawn as a round, curly mass around the head. */
  curly: boolean;
}

function hairShape(id: Identity, rig: FaceRig): HairShape {
  return {
    top: rig.hairlineY - 0.15 - 0.06 * id.hairVolume,
    spread: 0.012 + 0.05 * id.hairVolume,
    length: id.hairLength,
    curly: curlyHair(id),
  };
}

/** Long hair behind the head and shoulders. */
export function paintHairBack(pen: Pen, id: Identity, rig: FaceRig, pal: Palette): void {
  const h = hairShape(id, rig);
  const cx = rig.cx;
  const fw = rig.faceHalf;
  if (h.curly) {
    const k = (id.hairVolume - 0.8) / 0.2;
    const rx = fw + 0.07 + 0.05 * k;
    const ry = 0.26 + 0.04 * k;
    const cy = rig.hairlineY + 0.05;
    const pts: Pt[] = [];
    // a bumpy dome over the head, then straight down the sides to below the ears (hidden by the face)
    for (let i = 0; i <= 16; i++) {
      const a = Math.PI * (1 + i / 16);
      const r = 1 + 0.03 * Math.cos(i * 2.4);
      pts.push([cx + Math.cos(a) * rx * r, cy + Math.sin(a) * ry * r]);
    }
    pts.push([cx + rx * 0.96, rig.eyeY + 0.04], [cx, rig.eyeY + 0.08], [cx - rx * 0.96, rig.eyeY + 0.04]);
    pen.begin().smooth(pts, true).fill(scale(pal.hair, 0.9));
    return;
  }
  if (h.length < 0.3) return;
  const bottom = rig.eyeY + 0.12 + 0.75 * (h.length - 0.3);
  const w = fw + 0.035 + h.spread + 0.04 * (h.length - 0.3);
  pen
    .begin()
    .move(cx, h.top)
    .bez(cx + w * 0.75, h.top, cx + w, rig.hairlineY, cx + w, rig.eyeY)
    .bez(cx + w, rig.eyeY + 0.15, cx + w * 0.98 + 0.03, bottom - 0.1, cx + w * 0.9 + 0.02, bottom)
    .line(cx - w * 0.9 - 0.02, bottom)
    .bez(cx - w * 0.98 - 0.03, bottom - 0.1, cx - w, rig.eyeY + 0.15, cx - w, rig.eyeY)
    .bez(cx - w, rig.hairlineY, cx - w * 0.75, h.top, cx, h.top)
    .close()
    .fill(scale(pal.hair, 0.82));
}

export function paintBody(pen: Pen, rig: FaceRig, pal: Palette): void {
  const cx = rig.cx;
  const neckHalf = rig.jawHalf * 0.74;
  const shade = scale(pal.skin, 0.8);
  // neck, darker under the jaw where the head shades it
  pen
    .begin()
    .move(cx - neckHalf, rig.restChinY - 0.2)
    .line(cx + neckHalf, rig.restChinY - 0.2)
    .line(cx + neckHalf * 1.05, 1.2)
    .line(cx - neckHalf * 1.05, 1.2)
    .close()
    .fill(pen.linear(0, rig.restChinY - 0.04, 0, rig.restChinY + 0.1, [
      [0, css(scale(shade, 0.55))],
      [0.45, css(scale(shade, 0.68))],
      [1, css(shade)],
    ]));
  // shoulders and collar
  const c = pal.cloth;
  const neckY = rig.restChinY + 0.06;
  pen.begin();
  for (const side of [-1, 1] as const) {
    pen
      .move(cx + side * neckHalf * 0.98, 1.2)
      .line(cx + side * neckHalf * 0.98, neckY)
      .bez(cx + side * (neckHalf + 0.1), neckY - 0.01, cx + side * 0.3, 0.885, cx + side * 0.62, 0.9)
      .line(cx + side * 0.62, 1.2)
      .close();
  }
  pen.fill(c);
  if (pen.fine) pen.begin().move(cx - neckHalf * 0.98, neckY).quad(cx, neckY + 0.09, cx + neckHalf * 0.98, neckY).stroke(scale(c, 0.6), 0.012);
}

export function paintEars(pen: Pen, id: Identity, rig: FaceRig, pal: Palette): void {
  const k = id.earSize;
  const top = rig.eyeY - 0.01 * k;
  const bottom = rig.eyeY + 0.115 * k;
  const ear = (side: -1 | 1) => {
    const x0 = rig.cx + side * rig.faceHalf * 0.96;
    const out = rig.cx + side * (rig.faceHalf + 0.038 * k);
    pen
      .move(x0, top)
      .bez(out, top - 0.025 * k, out + side * 0.008, top + 0.05 * k, out - side * 0.006, bottom - 0.025 * k)
      .bez(out - side * 0.012, bottom + 0.004, x0 + side * 0.006, bottom + 0.006, x0 - side * 0.004, bottom - 0.012)
      .close();
  };
  pen.begin();
  ear(-1);
  ear(1);
  pen.fill(scale(pal.skin, 0.93));
  if (!pen.fine) return;
  pen.begin();
  for (const side of [-1, 1] as const) {
    const x0 = rig.cx + side * rig.faceHalf * 0.96;
    const out = rig.cx + side * (rig.faceHalf + 0.038 * k);
    pen.move(x0 + side * 0.01, top + 0.012 * k).bez(out - side * 0.01, top, out - side * 0.004, top + 0.05 * k, out - side * 0.014, bottom - 0.03 * k);
  }
  pen.stroke(pal.crease, 0.005, 0.45);
}

export function facePath(pen: Pen, rig: FaceRig): Pen {
  return pen.begin().smooth(rig.outline, true);
}

function lightVector(n: Nuisance): Pt {
  const a = (n.lightAngle * Math.PI) / 180;
  return [Math.cos(a), -Math.sin(a)];
}

export function paintFaceSkin(pen: Pen, rig: FaceRig, pal: Palette, n: Nuisance): void {
  const cx = rig.cx;
  // skin, darkening towards the rim where the face turns away from the light (one opaque gradient)
  const rim = (t: number) => css(mix(pal.skin, pal.crease, t));
  facePath(pen, rig).fill(
    pen.radial(cx, rig.eyeY + 0.07, 0.12, rig.faceHalf * 1.3, [
      [0, rim(0)],
      [0.55, rim(0.05)],
      [1, rim(0.5)],
    ]),
  );
  pen.blob(cx, rig.hairlineY + 0.07, 0.14, 0.07, [255, 250, 240], 0.1);
  const [lx, ly] = lightVector(n);
  const r = rig.faceHalf;
  const cy = rig.eyeY + 0.1;
  facePath(pen, rig).fill(
    pen.linear(cx + lx * r, cy + ly * r, cx - lx * r, cy - ly * r, [
      [0, css([255, 248, 235], 0.28 * n.lightStrength)],
      [0.5, css([255, 248, 235], 0)],
      [1, css([20, 10, 10], 0.42 * n.lightStrength)],
    ]),
  );
}

/** Hair on top of the head (over the forehead edge and the temples), fringe and side locks. */
export function paintHairFront(pen: Pen, id: Identity, rig: FaceRig, pal: Palette, texture: (label: string) => () => number): void {
  const h = hairShape(id, rig);
  const cx = rig.cx;
  const fw = rig.faceHalf;
  const part = id.hairPart;
  const hl = rig.hairlineY;
  const cropped = h.length < 0.1;
  const hair = pal.hair;
  const alpha = cropped ? 0.55 + 3 * h.length : 1;
  const outer = fw + 0.012 + h.spread;
  const temple = rig.eyeY - 0.045;
  const partX = cx + part * 0.09;
  pen
    .begin()
    .move(cx - fw * 0.99, temple)
    .bez(cx - outer * 1.02, hl + 0.02, cx - outer * 0.9, h.top + 0.03, cx, h.top)
    .bez(cx + outer * 0.9, h.top + 0.03, cx + outer * 1.02, hl + 0.02, cx + fw * 0.99, temple)
    .line(cx + fw * 0.9, temple)
    .bez(cx + fw * 0.86, hl + 0.045, cx + fw * 0.6, hl - 0.005 + 0.012 * Math.max(0, part), partX, hl - 0.012)
    .bez(cx - fw * 0.6, hl - 0.005 + 0.012 * Math.max(0, -part), cx - fw * 0.86, hl + 0.045, cx - fw * 0.9, temple)
    .close()
    .fill(hair, alpha);
  // strands are finer than a pixel below ~100 px: skipped there, which is also what keeps 64 px fast
  if (!cropped && !h.curly && pen.fine) {
    const rnd = texture('strands');
    // strands from the parting, darker and lighter, so the hair reads as hair at 256 px and up
    for (let i = 0; i < 10; i++) {
      const t = (i + 0.5) / 10;
      const side = t < 0.5 ? -1 : 1;
      const ex = cx + side * (fw * (0.55 + 0.4 * rnd()));
      const ey = hl + 0.01 + 0.03 * rnd();
      pen
        .begin()
        .move(partX, h.top + 0.02)
        .quad(cx + side * outer * (0.3 + 0.6 * Math.abs(t - 0.5) * 2), h.top + 0.01, ex, ey)
        .stroke(i % 2 ? scale(pal.hair, 0.7) : mix(pal.hair, [255, 240, 210], 0.18), 0.005, 0.5);
    }
  }
  // side locks framing the face
  if (h.length > 0.3 && !h.curly) {
    const bottom = Math.min(rig.eyeY + 0.12 + 0.75 * (h.length - 0.3), 1.15);
    const w = 0.02 + 0.035 * h.length;
    for (const side of [-1, 1] as const) {
      const x = cx + side * (fw + 0.01);
      pen
        .begin()
        .move(cx + side * fw * 0.92, temple - 0.02)
        .bez(x + side * (w + 0.02), hl + 0.02, x + side * w, rig.eyeY + 0.1, x + side * (w * 0.6), bottom)
        .line(x - side * 0.005, bottom)
        .bez(x - side * 0.012, rig.eyeY + 0.15, x - side * 0.012, rig.eyeY, cx + side * fw * 0.85, temple + 0.01)
        .close()
        .fill(hair);
    }
  }
  // fringe: scalloped edge, swept towards the parting; never low enough to hide raised brows
  {
    const depth = rig.fringeY - hl;
    if (depth > 0.006) {
      const left = cx - fw * 0.84;
      const right = cx + fw * 0.84;
      pen.begin().move(left, hl + 0.02);
      const teeth = 6;
      for (let i = 0; i < teeth; i++) {
        const x0 = left + ((right - left) * i) / teeth;
        const x1 = left + ((right - left) * (i + 1)) / teeth;
        const sweep = -part * 0.015;
        const edge = (t: number) => hl + depth * (1 - 0.35 * ((2 * t - 1) * (2 * t - 1)));
        const tm = (i + 0.5) / teeth;
        pen.quad((x0 + x1) / 2 + sweep, edge(tm) + 0.012, x1, edge((i + 1) / teeth) - 0.006);
      }
      pen.line(right, hl - 0.03).line(left, hl - 0.03).close().fill(hair);
    }
  }
}

export function paintExposure(pen: Pen, n: Nuisance): void {
  const ctx = pen.ctx;
  const [lx, ly] = lightVector(n);
  const g = ctx.createLinearGradient(0.5 + lx * 0.7, 0.5 + ly * 0.7, 0.5 - lx * 0.7, 0.5 - ly * 0.7);
  g.addColorStop(0, css([255, 255, 255], 0.06 * n.lightStrength));
  g.addColorStop(1, css([0, 0, 0], 0.1 * n.lightStrength));
  ctx.fillStyle = g;
  ctx.fillRect(-0.5, -0.5, 2, 2);
  if (n.exposure < 1) {
    ctx.fillStyle = css([0, 0, 0], 1 - n.exposure);
    ctx.fillRect(-0.5, -0.5, 2, 2);
  } else if (n.exposure > 1) {
    ctx.fillStyle = css([255, 255, 255], Math.min(0.5, (n.exposure - 1) * 0.9));
    ctx.fillRect(-0.5, -0.5, 2, 2);
  }
}

