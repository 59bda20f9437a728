/** The nose, with the AU9 wrinkles across its root and its wings lifted. */
import { scale, type Palette } from './palette.js';
import type { Pen } from './pen.js';
import type { FaceRig } from './rig.js';

export function paintNose(pen: Pen, rig: FaceRig, pal: Palette): void {
  const cx = rig.cx;
  const { tipY, alaHalf, alaY, bridgeHalf } = rig.nose;
  pen.cap('round');
  // sides of the bridge, soft
  pen.begin();
  for (const s of [-1, 1] as const) {
    pen.move(cx + s * (bridgeHalf - 0.004), rig.eyeY - 0.005, 0.03).quad(cx + s * bridgeHalf, (rig.eyeY + tipY) / 2, cx + s * (alaHalf * 0.72), alaY - 0.028, 0.06);
  }
  pen.stroke(pal.crease, 0.016, 0.09).stroke(pal.crease, 0.007, 0.12);
  pen.blob(cx, (rig.eyeY + tipY) / 2, 0.01, (tipY - rig.eyeY) * 0.4, [255, 250, 240], 0.12, 0, 0, 0.06);
  // tip and its shadow
  pen.blob(cx, tipY - 0.014, 0.022, 0.016, [255, 250, 240], 0.16, 0, 0, 0.09);
  pen.blob(cx, tipY + 0.012, 0.032, 0.011, pal.crease, 0.45, 0, 0, 0.05);
  // nostril wings
  pen.begin();
  for (const s of [-1, 1] as const) {
    pen.move(cx + s * alaHalf * 0.62, alaY - 0.03, 0.05).bez(cx + s * (alaHalf + 0.006), alaY - 0.026, cx + s * (alaHalf + 0.004), alaY + 0.008, cx + s * alaHalf * 0.55, alaY + 0.013, 0.04);
  }
  pen.stroke(pal.crease, 0.0055, 0.55);
  for (const s of [-1, 1] as const) pen.blob(cx + s * (alaHalf + 0.002), alaY - 0.004, 0.008, 0.014, pal.crease, 0.3, 0, 0, 0.03);
  pen.begin();
  for (const s of [-1, 1] as const) pen.ellipse(cx + s * alaHalf * 0.46, alaY + 0.011, 0.012, 0.0052, s * 0.35, 0.05);
  pen.fill(scale(pal.crease, 0.45), 0.85);
  // AU9: transverse lines across the root of the nose and oblique "bunny lines" on its sides
  const a = rig.wrinkles.nose;
  if (a > 0.01) {
    // the skin bunched at the root of the nose darkens it as a whole, which is what 64 px can show
    pen.blob(cx, rig.eyeY + 0.022, bridgeHalf + 0.016, 0.026, pal.crease, 0.55 * a, 0, 0, 0.04);
    const light = pal.sheen;
    const across = (dy: number) => {
      for (let k = 0; k < 3; k++) {
        const y = rig.eyeY + 0.006 + 0.011 * k + dy;
        const hw = bridgeHalf + 0.006 - 0.002 * k;
        pen.move(cx - hw, y + 0.001, 0.04).quad(cx, y - 0.007, cx + hw, y + 0.001, 0.04);
      }
    };
    pen.begin();
    across(0.003);
    pen.stroke(light, 0.004, a * pal.sheenAlpha);
    pen.begin();
    across(0);
    pen.stroke(pal.crease, 0.0065, a * 0.9);
    pen.begin();
    for (const s of [-1, 1] as const) {
      for (let k = 0; k < 2; k++) {
        const x0 = cx + s * (bridgeHalf + 0.002);
        const y0 = rig.eyeY + 0.016 + 0.012 * k;
        pen.move(x0, y0, 0.03).quad(x0 + s * 0.012, y0 + 0.004, x0 + s * 0.02, y0 + 0.016, 0.02);
      }
    }
    pen.stroke(pal.crease, 0.0045, a * 0.8);
  }
}
