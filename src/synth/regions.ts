/**
 * The facial region of each AU (its FACS area), as shapes on the neutral face. They define what
 * "local" means in the locality measure: the share of an AU's pixel change that falls inside its
 * region. Drawn through the same pen and transform as the face, so they follow head pose.
 */
import { auVector, type AuId } from '../data/aus.js';
import { activations } from './activation.js';
import type { Canvas2D } from './canvas2d.js';
import type { Identity } from './identity.js';
import { NEUTRAL_NUISANCE, type Nuisance } from './nuisance.js';
import { Pen } from './pen.js';
import { faceTransform } from './render.js';
import { buildRig, type FaceRig } from './rig.js';

type Area = 'foreheadCentral' | 'foreheadLateral' | 'brows' | 'glabella' | 'eyes' | 'cheeks' | 'nose' | 'upperLip' | 'nasolabial' | 'mouth' | 'chin' | 'jaw';

export const AU_REGIONS: Readonly<Record<AuId, readonly Area[]>> = {
  1: ['foreheadCentral', 'brows'],
  2: ['foreheadLateral', 'brows'],
  4: ['brows', 'glabella', 'eyes'],
  5: ['eyes'],
  6: ['eyes', 'cheeks'],
  9: ['nose', 'glabella', 'upperLip', 'nasolabial', 'eyes'],
  12: ['mouth', 'nasolabial', 'cheeks'],
  15: ['mouth', 'chin'],
  17: ['mouth', 'chin'],
  20: ['mouth', 'nasolabial'],
  25: ['mouth'],
  26: ['mouth', 'chin', 'jaw'],
};

const WHITE = [255, 255, 255] as const;

function paintArea(pen: Pen, rig: FaceRig, area: Area): void {
  const cx = rig.cx;
  const [bl, br] = rig.brows;
  const browInnerY = Math.min(bl.inner[1], br.inner[1]);
  const m = rig.mouth;
  const mw = (m.right[0] - m.left[0]) / 2;
  const rect = (x0: number, y0: number, x1: number, y1: number) => pen.begin().move(x0, y0).line(x1, y0).line(x1, y1).line(x0, y1).close().fill(WHITE);
  switch (area) {
    case 'foreheadCentral':
      rect(cx - 0.12, rig.hairlineY - 0.03, cx + 0.12, browInnerY + 0.01);
      break;
    case 'foreheadLateral':
      for (const b of rig.brows) rect(cx + b.side * 0.04, rig.hairlineY - 0.03, b.outer[0] + b.side * 0.035, b.peak[1] + 0.005);
      break;
    case 'brows':
      for (const b of rig.brows) {
        const x = (b.inner[0] + b.outer[0]) / 2;
        const y = (b.inner[1] + b.outer[1]) / 2 - b.thickness / 2 - 0.012;
        pen.begin().ellipse(x, y, Math.abs(b.outer[0] - b.inner[0]) / 2 + 0.035, 0.05).fill(WHITE);
      }
      break;
    case 'glabella':
      rect(cx - 0.055, browInnerY - 0.07, cx + 0.055, rig.eyeY + 0.02);
      break;
    case 'eyes':
      for (const e of rig.eyes) pen.begin().ellipse((e.inner[0] + e.outer[0]) / 2, rig.eyeY - 0.004, Math.abs(e.outer[0] - e.inner[0]) / 2 + 0.03, 0.042).fill(WHITE);
      break;
    case 'cheeks':
      for (const [x, y] of rig.cheeks) pen.begin().ellipse(x, y + 0.01, 0.1, 0.095).fill(WHITE);
      // crow's feet beside the outer eye corners
      for (const e of rig.eyes) pen.begin().ellipse(e.outer[0] + e.side * 0.03, e.outer[1], 0.045, 0.035).fill(WHITE);
      break;
    case 'nose': {
      const { alaHalf, alaY } = rig.nose;
      pen.begin().move(cx - 0.045, rig.eyeY - 0.03).line(cx + 0.045, rig.eyeY - 0.03).line(cx + alaHalf + 0.035, alaY + 0.035).line(cx - alaHalf - 0.035, alaY + 0.035).close().fill(WHITE);
      break;
    }
    case 'upperLip':
      rect(cx - mw - 0.03, rig.nose.tipY, cx + mw + 0.03, m.upperInner + 0.01);
      break;
    case 'nasolabial':
      for (const s of [-1, 1] as const) {
        const corner = s < 0 ? m.left : m.right;
        const x0 = cx + s * (rig.nose.alaHalf + 0.01);
        const y0 = rig.nose.alaY - 0.014;
        const dx = corner[0] - x0;
        const dy = corner[1] - y0;
        pen.begin().ellipse((x0 + corner[0]) / 2 + s * 0.03, (y0 + corner[1]) / 2 + 0.01, 0.06, Math.hypot(dx, dy) / 2 + 0.04, -Math.atan2(dx, dy) * 0.5).fill(WHITE);
      }
      break;
    case 'mouth':
      pen.begin().ellipse(cx, (m.upperTop + m.lowerBottom) / 2 + 0.008, mw + 0.075, 0.085).fill(WHITE);
      break;
    case 'chin': {
      const top = m.lowerBottom - 0.01;
      pen.begin().ellipse(cx, (top + rig.chin[1]) / 2 + 0.02, rig.chinHalf + 0.08, (rig.chin[1] - top) / 2 + 0.05).fill(WHITE);
      break;
    }
    case 'jaw':
      rect(cx - rig.jawHalf - 0.05, m.upperTop, cx + rig.jawHalf + 0.05, 1.3);
      break;
  }
}

/** Paints the region of `au` white on black into the size × size canvas, on the neutral face. */
export function drawAuRegion(ctx: Canvas2D, size: number, identity: Identity, au: AuId, nuisance: Nuisance | null = null): void {
  const n = nuisance ?? NEUTRAL_NUISANCE;
  const rig = buildRig(identity, activations(auVector()));
  ctx.save();
  ctx.globalAlpha = 1;
  ctx.globalCompositeOperation = 'source-over';
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, size, size);
  const pen = new Pen(ctx, n.yaw, faceTransform(size, n));
  for (const area of AU_REGIONS[au]) paintArea(pen, rig, area);
  ctx.restore();
}

