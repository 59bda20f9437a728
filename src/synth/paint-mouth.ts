/**
 * Lower face: cheeks (AU6, AU12), nasolabial folds (AU12, AU9, AU20), lips and teeth (AU12, AU15,
 * AU20, AU25, AU26), folds around the mouth (AU15, AU20) and the chin (AU17).
 */
import { css, mix, scale, type Palette } from './palette.js';
import type { Pen } from './pen.js';
import type { FaceRig, MouthRig } from './rig.js';

const LIP_DZ = 0.035;

export function paintCheeks(pen: Pen, rig: FaceRig, pal: Palette): void {
  // a touch of the lip colour: cheeks are ruddier than the rest of the face
  const light = mix(mix(pal.skin, pal.lip, 0.25), [255, 246, 236], 0.45);
  for (const [x, y] of rig.cheeks) {
    const s = x < rig.cx ? -1 : 1;
    pen.blob(x - s * 0.005, y - 0.004, rig.cheekRadius * 0.85, rig.cheekRadius * 0.6, light, 0.05 + 0.4 * rig.cheekBulge);
    // lower rim of the raised cheek, where it meets the nasolabial fold and the jowl
    pen.blob(x - s * 0.012, y + rig.cheekRadius * 1.0, rig.cheekRadius * 0.8, rig.cheekRadius * 0.26, pal.crease, 0.2 * rig.cheekBulge);
  }
}

export function paintNasolabial(pen: Pen, rig: FaceRig, pal: Palette): void {
  const cx = rig.cx;
  const { alaHalf, alaY } = rig.nose;
  const m = rig.mouth;
  const { alpha, spread } = rig.nasolabial;
  pen.cap('round');
  // the fold: a sharp crease with the cheek's bulge catching light beside it (offset towards the cheek)
  const fold = (off: number) => {
    for (const s of [-1, 1] as const) {
      const corner = s < 0 ? m.left : m.right;
      const x0 = cx + s * (alaHalf + 0.01);
      const y0 = alaY - 0.014;
      const x1 = corner[0] + s * (0.014 + spread * 0.5);
      const y1 = corner[1] + 0.02;
      const qx = cx + s * (alaHalf + 0.05 + spread);
      const qy = (y0 + y1) / 2 - 0.01;
      pen.move(x0 + s * off, y0 + off * 0.3).quad(qx + s * off * 1.15, qy, x1 + s * off, y1);
    }
  };
  pen.begin();
  fold(0.006);
  pen.stroke(pal.sheen, 0.008, alpha * 0.9 * pal.sheenAlpha);
  pen.begin();
  fold(0);
  pen.stroke(pal.crease, 0.013, alpha * 0.25).stroke(pal.crease, 0.0055, alpha * 0.75);
}

function upperLipPath(pen: Pen, m: MouthRig): Pen {
  const [lx, ly] = m.left;
  const [rx, ry] = m.right;
  const cx = m.cx;
  const top = m.upperTop;
  const peak = top - 0.003;
  return pen
    .begin()
    .move(lx, ly, LIP_DZ)
    .bez(lx + (cx - m.bowDx - lx) * 0.45, ly - (ly - peak) * 0.55, cx - m.bowDx * 1.6, peak, cx - m.bowDx, peak, LIP_DZ)
    .quad(cx - m.bowDx * 0.45, peak, cx, top + 0.002, LIP_DZ)
    .quad(cx + m.bowDx * 0.45, peak, cx + m.bowDx, peak, LIP_DZ)
    .bez(cx + m.bowDx * 1.6, peak, rx - (rx - cx - m.bowDx) * 0.45, ry - (ry - peak) * 0.55, rx, ry, LIP_DZ)
    .quad(cx + (rx - cx) * 0.55, m.upperInner, cx, m.upperInner, LIP_DZ)
    .quad(cx - (cx - lx) * 0.55, m.upperInner, lx, ly, LIP_DZ)
    .close();
}

function lowerLipPath(pen: Pen, m: MouthRig): Pen {
  const [lx, ly] = m.left;
  const [rx, ry] = m.right;
  const cx = m.cx;
  const b = m.lowerBottom;
  return pen
    .begin()
    .move(lx, ly, LIP_DZ)
    .quad(cx - (cx - lx) * 0.55, m.lowerInner, cx, m.lowerInner, LIP_DZ)
    .quad(cx + (rx - cx) * 0.55, m.lowerInner, rx, ry, LIP_DZ)
    .bez(rx - (rx - cx) * 0.2, ry + (b - ry) * 0.8, cx + (rx - cx) * 0.5, b, cx, b, LIP_DZ)
    .bez(cx - (cx - lx) * 0.5, b, lx + (cx - lx) * 0.2, ly + (b - ly) * 0.8, lx, ly, LIP_DZ)
    .close();
}

function interiorPath(pen: Pen, m: MouthRig): Pen {
  const [lx, ly] = m.left;
  const [rx, ry] = m.right;
  const cx = m.cx;
  return pen
    .begin()
    .move(lx, ly, LIP_DZ)
    .quad(cx - (cx - lx) * 0.55, m.upperInner, cx, m.upperInner, LIP_DZ)
    .quad(cx + (rx - cx) * 0.55, m.upperInner, rx, ry, LIP_DZ)
    .quad(cx + (rx - cx) * 0.55, m.lowerInner, cx, m.lowerInner, LIP_DZ)
    .quad(cx - (cx - lx) * 0.55, m.lowerInner, lx, ly, LIP_DZ)
    .close();
}

export function paintMouth(pen: Pen, rig: FaceRig, pal: Palette): void {
  const m = rig.mouth;
  const cx = m.cx;
  const mw = (m.right[0] - m.left[0]) / 2;
  // philtrum and the shadow under the nose
  pen.blob(cx, (rig.nose.tipY + m.upperTop) / 2 + 0.004, 0.012, (m.upperTop - rig.nose.tipY) * 0.4, pal.crease, 0.18);
  // shadow where the lower lip turns under (mentolabial sulcus), deeper and curved with AU17
  pen.blob(cx, m.lowerBottom + 0.012, mw * 0.55, 0.0085, pal.crease, rig.wrinkles.mentolabial);

  if (rig.aperture > 0.0004) {
    pen.save();
    interiorPath(pen, m);
    pen.clip();
    interiorPath(pen, m).fill(pal.mouth);
    // Lips apart alone (AU25) bare the closed teeth; the jaw (AU26) opens a dark gap between the rows.
    const upperH = m.biteY - m.upperInner + 0.01;
    const teeth = (top: number, h: number, half: number, shade: number) =>
      pen.begin().move(cx - half, top, LIP_DZ).line(cx + half, top, LIP_DZ).line(cx + half, top + h, LIP_DZ).line(cx - half, top + h, LIP_DZ).close()
        .fill(pen.linear(0, top, 0, top + h, [
          [0, css(scale(pal.teeth, 0.72 * shade))],
          [0.35, css(scale(pal.teeth, shade))],
          [1, css(scale(pal.teeth, 0.9 * shade))],
        ]));
    if (upperH > 0) teeth(m.upperInner - 0.01, upperH, mw, 1);
    for (let k = -3; k <= 3 && pen.fine; k++) {
      const x = cx + k * 0.0125 * (mw / 0.1) * (1 + 0.08 * Math.abs(k));
      pen.begin().move(x, m.upperInner, LIP_DZ).line(x, m.biteY, LIP_DZ).stroke(scale(pal.teeth, 0.6), 0.0018, 0.5);
    }
    teeth(m.biteY + m.teethGap, 0.02 * (mw / 0.1), mw * 0.8, 0.88);
    // dark mouth corners
    pen.blob(m.left[0] + 0.01, (m.left[1] + m.lowerInner) / 2, 0.02, 0.02, pal.mouth, 0.8);
    pen.blob(m.right[0] - 0.01, (m.right[1] + m.lowerInner) / 2, 0.02, 0.02, pal.mouth, 0.8);
    pen.restore();
  }
  upperLipPath(pen, m).fill(scale(pal.lip, 0.86));
  lowerLipPath(pen, m).fill(pal.lip);
  // the lower lip catches light, more so when the chin pushes it up and out (AU17)
  pen.blob(cx, m.lowerInner + (m.lowerBottom - m.lowerInner) * 0.42, mw * 0.45, (m.lowerBottom - m.lowerInner) * 0.3, [255, 245, 240], 0.16 + 0.3 * rig.wrinkles.chin, 0, 0, LIP_DZ);
  // the lip line, which the opening replaces
  const lineAlpha = 0.9 * Math.max(0, 1 - rig.aperture / 0.006);
  pen.cap('round');
  if (lineAlpha > 0.01) {
    pen.begin().move(m.left[0], m.left[1], LIP_DZ).quad(cx - mw * 0.55, m.upperInner, cx, m.upperInner, LIP_DZ).quad(cx + mw * 0.55, m.upperInner, m.right[0], m.right[1], LIP_DZ)
      .stroke(scale(pal.lip, 0.32), 0.0062, lineAlpha);
  }
  for (const [x, y] of [m.left, m.right]) pen.blob(x, y, 0.008, 0.006, pal.crease, 0.55, 0, 0, LIP_DZ);
}

export function paintMouthFolds(pen: Pen, rig: FaceRig, pal: Palette, texture: (label: string) => () => number): void {
  const m = rig.mouth;
  const w = rig.wrinkles;
  pen.cap('round');
  const corners = [[-1, m.left] as const, [1, m.right] as const];
  // AU15: folds running down from the lowered corners
  if (w.depressor > 0.01) {
    pen.begin();
    for (const [s, [x, y]] of corners) pen.move(x + s * 0.004, y + 0.008).quad(x + s * 0.01, y + 0.025, x + s * 0.008, y + 0.045);
    pen.stroke(pal.crease, 0.006, w.depressor);
    for (const [s, [x, y]] of corners) pen.blob(x + s * 0.002, y + 0.02, 0.012, 0.02, pal.crease, w.depressor * 0.4);
  }
  // AU20: the skin beyond the stretched corners bunches into short vertical creases
  if (w.stretch > 0.01) {
    pen.begin();
    for (const [s, [x, y]] of corners) pen.move(x + s * 0.013, y - 0.012).quad(x + s * 0.018, y, x + s * 0.014, y + 0.014);
    pen.stroke(pal.crease, 0.0055, w.stretch);
    for (const [s, [x, y]] of corners) pen.blob(x + s * 0.014, y, 0.008, 0.016, pal.crease, w.stretch * 0.4);
  }
  // AU17: chin boss pushed up, dimpled ("orange peel") skin
  const chinY = rig.chin[1];
  const bossY = (m.lowerBottom + chinY) / 2 + 0.008;
  pen.blob(rig.cx, bossY, rig.chinHalf * 0.9 + 0.02, (chinY - m.lowerBottom) * 0.32, [255, 250, 240], 0.12 + 0.3 * w.chin);
  if (w.chin > 0.01) {
    const rnd = texture('chin');
    // dimples on a jittered spiral: evenly spread like orange peel, each a pit with lit rim above
    const pits: Array<readonly [number, number]> = [];
    for (let i = 0; i < 20; i++) {
      const a = ((i + 0.5 + 0.6 * (rnd() - 0.5)) / 20) * Math.PI * 2 * 2.618;
      const r = Math.sqrt((i + 0.5) / 20) * (0.85 + 0.3 * rnd());
      pits.push([rig.cx + Math.cos(a) * r * (rig.chinHalf * 0.8 + 0.01), bossY + Math.sin(a) * r * (chinY - m.lowerBottom) * 0.26]);
    }
    pen.begin();
    for (const [x, y] of pits) pen.ellipse(x, y - 0.0025, 0.0034, 0.0022);
    pen.fill(pal.sheen, w.chin * 0.5 * pal.sheenAlpha);
    pen.begin();
    for (const [x, y] of pits) pen.ellipse(x, y, 0.003, 0.0024);
    pen.fill(pal.crease, w.chin * 0.45);
  }
}
