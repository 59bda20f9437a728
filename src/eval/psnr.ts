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
