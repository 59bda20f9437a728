/**
 * Colours: identity factors → skin, hair, iris, lip and cloth colours, and the small colour algebra
 * the renderer needs. Canvas styles are built as integer rgba() strings so that every engine parses
 * them to the same 8-bit values.
 */
import type { Identity } from './identity.js';

export type Rgb = readonly [number, number, number];

export function css(c: Rgb, alpha = 1): string {
  const r = Math.round(clamp255(c[0]));
  const g = Math.round(clamp255(c[1]));
  const b = Math.round(clamp255(c[2]));
  if (alpha >= 1) return `rgb(${r},${g},${b})`;
  return `rgba(${r},${g},${b},${Math.round(Math.max(0, alpha) * 1000) / 1000})`;
}

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

export function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

export function scale(c: Rgb, k: number): Rgb {
  return [c[0] * k, c[1] * k, c[2] * k];
}

/** Piecewise-linear lookup in a colour ramp sampled at even steps over [0, 1]. */
export function ramp(stops: readonly Rgb[], t: number): Rgb {
  const x = Math.min(Math.max(t, 0), 1) * (stops.length - 1);
  const i = Math.min(Math.floor(x), stops.length - 2);
  return mix(stops[i]!, stops[i + 1]!, x - i);
}

export function hsl(h: number, s: number, l: number): Rgb {
  const f = (n: number) => {
    const k = (n + h * 12) % 12;
    const a = s * Math.min(l, 1 - l);
    return 255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1)));
  };
  return [f(0), f(8), f(4)];
}

const SKIN: readonly Rgb[] = [
  [250, 222, 204],
  [240, 200, 172],
  [226, 178, 142],
  [200, 148, 108],
  [164, 110, 76],
  [120, 78, 54],
  [84, 54, 40],
];

const HAIR: readonly Rgb[] = [
  [22, 18, 17],
  [48, 33, 24],
  [88, 60, 38],
  [132, 96, 60],
  [176, 140, 92],
  [214, 186, 132],
];

const IRIS: readonly Rgb[] = [
  [58, 36, 22],
  [98, 64, 34],
  [122, 100, 52],
  [84, 116, 74],
  [74, 118, 160],
  [118, 134, 150],
];

export interface Palette {
  skin: Rgb;
  /** Darker skin for creases, folds and shadows. */
  crease: Rgb;
  /**
   * Light caught by the raised edge of a crease, and how strongly it shows: on dark skin wrinkles
   * read mostly through this sheen, so it is stronger there.
   */
  sheen: Rgb;
  sheenAlpha: number;
  lip: Rgb;
  hair: Rgb;
  brow: Rgb;
  iris: Rgb;
  sclera: Rgb;
  teeth: Rgb;
  mouth: Rgb;
  cloth: Rgb;
}

export function palette(id: Identity): Palette {
  const base = ramp(SKIN, id.skinTone);
  const w = id.skinWarmth * 9;
  const skin: Rgb = [base[0] + w, base[1] + w * 0.2, base[2] - w];
  let hair = ramp(HAIR, id.hairLightness * (1 - 0.35 * id.skinTone));
  if (id.hairRed > 0.7) hair = mix(hair, [150, 62, 30], (id.hairRed - 0.7) / 0.3 * (0.4 + 0.6 * id.hairLightness));
  if (id.hairGrey > 0.8) hair = mix(hair, [168, 166, 162], (id.hairGrey - 0.8) / 0.2 * 0.85);
  // brows are darker than the hair and always darker than the skin, so they read at 64 px
  const brow = mix(scale(hair, 0.75), scale(skin, 0.35), 0.25);
  const lipBase = mix(skin, [170, 64, 74], 0.4 + 0.3 * id.lipTone);
  return {
    skin,
    crease: scale(mix(skin, [90, 40, 30], 0.35), 0.62 - 0.12 * id.skinTone),
    sheen: mix(skin, [255, 250, 240], 0.35 + 0.15 * id.skinTone),
    sheenAlpha: 0.5 + 0.4 * id.skinTone,
    lip: scale(lipBase, 0.9 - 0.14 * id.skinTone),
    hair,
    brow,
    iris: scale(ramp(IRIS, id.irisHue), 1.05 - 0.45 * id.irisDark),
    sclera: [238, 234, 228],
    teeth: [236, 230, 214],
    mouth: [48, 18, 20],
    cloth: hsl(id.clothHue, 0.45, 0.18 + 0.6 * id.clothLightness),
  };
}
