/** Mean squared error between two equally long series. */
export function mse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`mse: lengths differ (${a.length} vs ${b.length})`);
  if (a.length === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s / a.length;
}
