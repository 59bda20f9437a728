/**
 * Table 2's "L2" image similarity: the mean squared difference per pixel and channel, with both
 * images in [0, 1] (the paper does not fix a scale; [0, 1] makes numbers independent of the
 * model's internal [-1, 1] range — multiply by 4 for that range).
 */
export function imageL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`imageL2: images differ in size (${a.length} vs ${b.length} values)`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s / a.length;
}
