/**
 * The face rig: identity + AU activations → the positions of every feature the painter draws.
 * Each AU moves only the landmarks of its FACS region (DESIGN §5), by an amount proportional to its
 * activation; wrinkle and fold strengths follow the same activations. Units are frame widths, y down.
 */
import type { Activations } from './activation.js';
import type { Identity } from './identity.js';
import type { Pt } from './pen.js';

export type Side = -1 | 1;

export interface BrowRig {
  side: Side;
  /** Lower edge of the brow at its inner end, peak and tail. */
  inner: Pt;
  peak: Pt;
  outer: Pt;
  thickness: number;
}

export interface EyeRig {
  side: Side;
  inner: Pt;
  outer: Pt;
  /** Height of the upper-lid arc above the corner chord, and depth of the lower lid below it. */
  upper: number;
  lower: number;
  iris: { x: number; y: number; r: number };
  /** Height of the upper-lid crease above the lid, and how visible the crease is. */
  creaseGap: number;
  creaseAlpha: number;
  lowerLidAlpha: number;
}

export interface MouthRig {
  left: Pt;
  right: Pt;
  cx: number;
  /** Upper lip: top of the vermilion at the centre, cupid's-bow peaks half spacing, inner edge. */
  upperTop: number;
  bowDx: number;
  upperInner: number;
  /** Lower lip: inner edge and lower border at the centre. */
  lowerInner: number;
  lowerBottom: number;
  /** Vertical bend of the lip line between the corners (> 0: centre lower than the corners). */
  sag: number;
  /** Edge of the upper incisors, and how far the jaw has separated the lower ones from it. */
  biteY: number;
  teethGap: number;
}

export interface NoseRig {
  tipY: number;
  /** Half width of the nostril wings, their height, and how far the wings are lifted. */
  alaHalf: number;
  alaY: number;
  bridgeHalf: number;
}

export interface FaceRig {
  cx: number;
  eyeY: number;
  faceHalf: number;
  hairlineY: number;
  /** Lowest edge of the fringe (the hairline when there is none): forehead lines stay below it. */
  fringeY: number;
  chin: Pt;
  /** Chin height of the neutral face: neck and clothes hang from it, whatever the jaw does. */
  restChinY: number;
  chinHalf: number;
  jawY: number;
  jawHalf: number;
  /** Closed face outline, skull top first, clockwise in image coordinates. */
  outline: Pt[];
  brows: [BrowRig, BrowRig];
  eyes: [EyeRig, EyeRig];
  nose: NoseRig;
  mouth: MouthRig;
  /** Cheek apple centres (left, right), radius, and the bulge strength. */
  cheeks: [Pt, Pt];
  cheekRadius: number;
  cheekBulge: number;
  nasolabial: { alpha: number; spread: number };
  wrinkles: {
    foreheadCentral: number;
    foreheadLateral: number;
    glabella: number;
    crowsFeet: number;
    infraorbital: number;
    nose: number;
    chin: number;
    stretch: number;
    depressor: number;
    mentolabial: number;
  };
  /** Extra shadow between brow and eye (brows lowered over the lids). */
  socketShadow: number;
  /** Mouth aperture at the centre (0 = lips together). */
  aperture: number;
  jawDrop: number;
}

const lerp = (a: number, b: number, t: number) => a + (b - a) * t;
const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);
const pos = (v: number) => (v > 0 ? v : 0);

/** Whether the hair is the round curly mass (drawn instead of a cap with side locks and fringe). */
export function curlyHair(id: Identity): boolean {
  return id.hairVolume > 0.8 && id.hairLength >= 0.1 && id.hairLength < 0.55;
}

/** Lowest edge of the fringe, never low enough to hide the brows or the lines above them raised. */
export function fringeBottom(id: Identity): number {
  if (id.hairFringe <= 0.55 || id.hairLength < 0.1 || curlyHair(id)) return id.hairlineY;
  const lowest = id.eyeY - id.browGap - id.browArch - 0.04 - id.browThickness - 0.045;
  return Math.max(id.hairlineY, Math.min(id.hairlineY + ((id.hairFringe - 0.55) / 0.45) * 0.085, lowest));
}

export function buildRig(id: Identity, act: Activations): FaceRig {
  const cx = 0.5;
  const s1 = pos(act[1]);
  const s2 = pos(act[2]);
  const s4 = pos(act[4]);
  const s5 = act[5]; // may be negative: lids lowered
  const s6 = pos(act[6]);
  const s9 = pos(act[9]);
  const s12 = pos(act[12]);
  const s15 = pos(act[15]);
  const s17 = pos(act[17]);
  const s20 = pos(act[20]);
  const s25 = pos(act[25]);
  const s26 = pos(act[26]);

  const fw = id.faceWidth * (1 + 0.02 * id.cheekFullness);
  const eyeY = id.eyeY;
  const jawDrop = 0.06 * s26;

  // --- face outline -------------------------------------------------------------------------
  const chinY = id.chinY + jawDrop - 0.009 * s17;
  const chinHalf = fw * id.chinWidth;
  const jawHalf = fw * lerp(id.jawWidth, Math.min(id.jawWidth + 0.08, 0.95), id.cheekFullness);
  const jawY = id.jawY + 0.3 * jawDrop;
  const outline: Pt[] = [];
  const half = (side: Side): Pt[] => [
    [cx + side * fw * 0.58, id.hairlineY - 0.1],
    [cx + side * fw * 0.88, id.hairlineY - 0.02],
    [cx + side * fw * 0.98, eyeY - 0.07],
    [cx + side * fw, eyeY + 0.06],
    [cx + side * lerp(fw, jawHalf, 0.55), lerp(eyeY + 0.06, jawY, 0.6)],
    [cx + side * jawHalf, jawY],
    [cx + side * lerp(jawHalf, chinHalf, 0.62), lerp(jawY, chinY - 0.03, 0.65)],
    [cx + side * chinHalf, chinY - 0.022],
  ];
  outline.push([cx, id.hairlineY - 0.125]);
  outline.push(...half(1));
  outline.push([cx, chinY]);
  outline.push(...half(-1).reverse());

  // --- brows (AU1 inner up, AU2 outer up, AU4 down and together, AU9 inner down a little) ----
  const brows = ([-1, 1] as const).map((side): BrowRig => {
    const ex = cx + side * id.eyeSpacing;
    const base = eyeY - id.browGap;
    const innerX = cx + side * (0.042 + 0.1 * (id.eyeSpacing - 0.125)) - side * 0.013 * s4;
    const outerX = ex + side * id.eyeWidth * 0.78 * id.browLength;
    const peakX = lerp(innerX, outerX, 0.64);
    return {
      side,
      inner: [innerX, base + 0.008 - 0.034 * s1 - 0.003 * s2 + 0.026 * s4],
      peak: [peakX, base - id.browArch - 0.015 * s1 - 0.02 * s2 + 0.017 * s4],
      outer: [outerX, base + 0.012 - 0.5 * id.browArch - 0.003 * s1 - 0.035 * s2 + 0.008 * s4],
      thickness: id.browThickness,
    };
  }) as [BrowRig, BrowRig];

  // --- eyes (AU5 upper lid up, AU4 presses it down, AU6/AU9 push the lower lid up) -----------
  const opening = id.eyeWidth * id.eyeOpen;
  const upper0 = opening * 0.62;
  const lower0 = opening * 0.38;
  const irisR = id.eyeWidth * 0.215;
  const eyes = ([-1, 1] as const).map((side): EyeRig => {
    const ex = cx + side * id.eyeSpacing;
    const hw = id.eyeWidth / 2;
    let upper = upper0 * (1 - 0.16 * s4) + 0.021 * s5;
    upper = Math.max(upper, upper0 * 0.2);
    let lower = lower0 - 0.013 * s6 - 0.003 * s9;
    lower = Math.max(lower, -upper * 0.25);
    return {
      side,
      inner: [ex - side * hw, eyeY + 0.003],
      outer: [ex + side * hw, eyeY - id.eyeTilt],
      upper,
      lower,
      iris: { x: ex, y: eyeY + lower0 * 0.7 - irisR * 0.7 + 0.002, r: irisR },
      creaseGap: Math.max(0.004, 0.011 * (1 - 0.35 * s4) + 0.003 * Math.min(s5, 0)),
      creaseAlpha: 0.45 * clamp01(1 - 0.85 * pos(s5)) * (1 - 0.3 * s4),
      lowerLidAlpha: 0.22 + 0.35 * Math.min(s6, 1),
    };
  }) as [EyeRig, EyeRig];

  // --- nose (AU9: wings up and out) ----------------------------------------------------------
  const nose: NoseRig = {
    tipY: id.noseY - 0.004 * s9,
    alaHalf: id.noseWidth + 0.004 * s9,
    alaY: id.noseY - 0.004 - 0.016 * s9,
    bridgeHalf: 0.024 + 0.1 * (id.noseWidth - 0.05),
  };

  // --- mouth ---------------------------------------------------------------------------------
  // Corners: AU12 up and out, AU15 down, AU20 out, AU26 slightly down with the jaw.
  const mw = id.mouthWidth;
  const cornerX = mw + 0.03 * s12 + 0.04 * s20 - 0.005 * s15;
  const cornerY = id.mouthY - id.mouthCurve - 0.04 * s12 + 0.027 * s15 + 0.006 * s20 + 0.12 * jawDrop;
  const stomion = id.mouthY - 0.005 * s9 - 0.013 * s17;
  const thin = 1 - 0.18 * s12 - 0.45 * s20;
  const gate25 = clamp01(s25 / 0.3);
  const upperInner = stomion - 0.008 * s25 - 0.004 * s9;
  const lowerInner = stomion + 0.026 * s25 + 0.8 * jawDrop * gate25;
  const upperTop = upperInner - id.upperLip * thin * (1 - 0.15 * s9);
  const lowerBottom = stomion + id.lowerLip * (thin + 0.15 * s17) + 0.026 * s25 + 0.8 * jawDrop - 0.024 * s17;
  const mouth: MouthRig = {
    left: [cx - cornerX, cornerY],
    right: [cx + cornerX, cornerY],
    cx,
    upperTop,
    bowDx: 0.2 * mw,
    upperInner,
    lowerInner,
    lowerBottom,
    sag: stomion - cornerY,
    biteY: stomion + 0.003,
    teethGap: 0.9 * jawDrop * gate25,
  };

  // --- cheeks (AU6 up and full, AU12 a little) -------------------------------------------------
  const cheekY = eyeY + 0.115 - 0.03 * s6 - 0.012 * s12;
  const cheeks: [Pt, Pt] = [
    [cx - fw * 0.56, cheekY],
    [cx + fw * 0.56, cheekY],
  ];

  const nasolabialAlpha = Math.min(0.95, 0.04 + 0.12 * id.nasolabialDepth + 0.6 * s12 + 0.25 * s9 + 0.22 * s20);

  return {
    cx,
    eyeY,
    faceHalf: fw,
    hairlineY: id.hairlineY,
    fringeY: fringeBottom(id),
    chin: [cx, chinY],
    restChinY: id.chinY,
    chinHalf,
    jawY,
    jawHalf,
    outline,
    brows,
    eyes,
    nose,
    mouth,
    cheeks,
    cheekRadius: 0.085,
    cheekBulge: 0.1 + 0.55 * s6 + 0.2 * s12,
    nasolabial: { alpha: nasolabialAlpha, spread: 0.012 * s12 + 0.01 * s20 },
    wrinkles: {
      foreheadCentral: 0.75 * s1 ** 1.2,
      foreheadLateral: 0.6 * s2 ** 1.2,
      glabella: 0.8 * s4,
      crowsFeet: 0.75 * s6,
      infraorbital: 0.45 * s6 + 0.15 * s9,
      nose: 0.85 * s9,
      chin: 0.7 * s17,
      stretch: 0.55 * s20,
      depressor: 0.55 * s15,
      mentolabial: 0.2 + 0.35 * s17,
    },
    socketShadow: 0.5 * s4,
    aperture: lowerInner - upperInner,
    jawDrop,
  };
}
