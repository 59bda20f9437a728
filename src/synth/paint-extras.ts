/** Beard and glasses: identity features that partly cover AU regions, as they do on real faces. */
import type { Identity } from './identity.js';
import { mix, scale, type Palette, type Rgb } from './palette.js';
import type { Pen, Pt } from './pen.js';
import type { FaceRig } from './rig.js';

export const BEARD_THRESHOLD = 0.78;
export const GLASSES_THRESHOLD = 0.82;

export function paintBeard(pen: Pen, id: Identity, rig: FaceRig, pal: Palette): void {
  if (id.beard <= BEARD_THRESHOLD) return;
  const d = (id.beard - BEARD_THRESHOLD) / (1 - BEARD_THRESHOLD);
  const cx = rig.cx;
  const m = rig.mouth;
  const o = rig.outline;
  // outline: 0 skull top, 1–8 right side downwards, 9 chin, 10–17 left side upwards
  const outer: Pt[] = [[o[4]![0] * 0.998 + cx * 0.002, o[4]![1] + 0.02], o[5]!, o[6]!, o[7]!, o[8]!, o[9]!, o[10]!, o[11]!, o[12]!, o[13]!, [o[14]![0] * 0.998 + cx * 0.002, o[14]![1] + 0.02]];
  // the beard line on the cheeks belongs to the resting face; only its edge by the mouth follows the lips
  const tipY = id.noseY;
  const lowerY = m.lowerBottom + 0.012;
  const beard = mix(scale(pal.hair, 0.9), scale(pal.skin, 0.45), 0.2 * (1 - d));
  const alpha = 0.3 + 0.6 * d;
  const fw = rig.faceHalf;
  const inner: Pt[] = [
    [cx - fw * 0.93, rig.eyeY + 0.085],
    [cx - fw * 0.66, (tipY + id.mouthY) / 2 + 0.035],
    [m.left[0] - 0.03, m.left[1] + 0.012],
    [m.left[0] + 0.012, lowerY + 0.004],
    [cx, lowerY],
    [m.right[0] - 0.012, lowerY + 0.004],
    [m.right[0] + 0.03, m.right[1] + 0.012],
    [cx + fw * 0.66, (tipY + id.mouthY) / 2 + 0.035],
    [cx + fw * 0.93, rig.eyeY + 0.085],
  ];
  const region = () => pen.begin().smooth(outer, false).smooth(inner, false, true).close();
  // a wide faint stroke on the same path softens the edge, as a real beard thins out at its border
  region().stroke(beard, 0.018, alpha * 0.35).fill(beard, alpha);
  // moustache
  pen
    .begin()
    .move(m.left[0] - 0.006, m.left[1] + 0.006)
    .bez(m.left[0] - 0.004, tipY + 0.03, cx - 0.03, tipY + 0.014, cx, tipY + 0.022)
    .bez(cx + 0.03, tipY + 0.014, m.right[0] + 0.004, tipY + 0.03, m.right[0] + 0.006, m.right[1] + 0.006)
    .bez(m.right[0] - 0.01, m.upperTop - 0.002, cx + 0.02, m.upperTop - 0.004, cx, m.upperTop - 0.001)
    .bez(cx - 0.02, m.upperTop - 0.004, m.left[0] + 0.01, m.upperTop - 0.002, m.left[0] - 0.006, m.left[1] + 0.006)
    .close()
    .fill(beard, alpha);
}

function roundedRect(pen: Pen, cx: number, cy: number, hw: number, hh: number, r: number): Pen {
  const rr = Math.min(r, hw, hh);
  return pen
    .begin()
    .move(cx - hw + rr, cy - hh)
    .line(cx + hw - rr, cy - hh)
    .quad(cx + hw, cy - hh, cx + hw, cy - hh + rr)
    .line(cx + hw, cy + hh - rr)
    .quad(cx + hw, cy + hh, cx + hw - rr, cy + hh)
    .line(cx - hw + rr, cy + hh)
    .quad(cx - hw, cy + hh, cx - hw, cy + hh - rr)
    .line(cx - hw, cy - hh + rr)
    .quad(cx - hw, cy - hh, cx - hw + rr, cy - hh)
    .close();
}

export function paintGlasses(pen: Pen, id: Identity, rig: FaceRig): void {
  if (id.glasses <= GLASSES_THRESHOLD) return;
  const shape = id.glassesShape;
  const frame: Rgb = shape < 0.35 ? [150, 146, 140] : shape < 0.7 ? [24, 22, 22] : [92, 58, 38];
  const width = shape < 0.35 ? 0.0045 : 0.008;
  const cy = rig.eyeY - 0.004;
  const hw = id.eyeWidth * 0.5 + 0.028;
  const hh = 0.034 + 0.01 * shape;
  const r = hh * (1 - 0.75 * shape);
  pen.cap('round');
  for (const e of rig.eyes) {
    const ex = (e.inner[0] + e.outer[0]) / 2;
    roundedRect(pen, ex, cy, hw, hh, r).fill([200, 220, 235], 0.08).stroke(frame, width, 0.95);
    const edge = ex + e.side * hw;
    pen.begin().move(edge, cy - hh * 0.5).line(rig.cx + e.side * rig.faceHalf * 0.97, cy - hh * 0.45).stroke(frame, width * 0.8, 0.9);
  }
  const leftInner = (rig.eyes[0].inner[0] + rig.eyes[0].outer[0]) / 2 + hw;
  const rightInner = (rig.eyes[1].inner[0] + rig.eyes[1].outer[0]) / 2 - hw;
  pen
    .begin()
    .move(leftInner, cy - hh * 0.35)
    .quad(rig.cx, cy - hh * 0.75, rightInner, cy - hh * 0.35)
    .stroke(frame, width, 0.95);
}
