/**
 * Peak signal-to-noise ratio of two images with values in [0, 1]: 10·log10(1 / MSE). Identical
 * images give +Infinity; callers averaging over a set should say how they treat that.
 */
export function psnr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`psnr: images differ in size (${a.length} vs ${b.length} values)`);
  if (a.length === 0) throw new Error('psnr: empty images');
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10(a.length / s);
}

/**
 * PSNR over the pixels where `mask` is true, for images stored pixel-major with
 * a.length / mask.length channels. Whole-image PSNR is dominated by hair, skin and background;
 * the brows, lids and lips that carry the AUs cover a few percent of a face, so they get their own.
 */
export function maskedPsnr(a: ArrayLike<number>, b: ArrayLike<number>, mask: ArrayLike<boolean>): number {
  if (a.length !== b.length) throw new Error(`maskedPsnr: images differ in size (${a.length} vs ${b.length} values)`);
  const c = a.length / mask.length;
  if (!Number.isInteger(c) || c < 1) throw new Error(`maskedPsnr: ${a.length} values do not fit a mask of ${mask.length} pixels`);
  let s = 0, n = 0;
  for (let p = 0; p < mask.length; p++) {
    if (!mask[p]) continue;
    for (let k = 0; k < c; k++) s += (a[p * c + k]! - b[p * c + k]!) ** 2;
    n += c;
  }
  if (n === 0) throw new Error('maskedPsnr: the mask selects no pixel');
  return 10 * Math.log10(n / s);
}
