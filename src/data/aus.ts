/**
 * The 12 facial action units coded in DISFA, in the one order used everywhere in the project:
 * label vectors, network heads, the T matrix rows, truth files and tables.
 */
export const AU_ORDER = [1, 2, 4, 5, 6, 9, 12, 15, 17, 20, 25, 26] as const;

export type AuId = (typeof AU_ORDER)[number];

export const AU_COUNT = AU_ORDER.length;

/** FACS names, for help texts, sheets and tables. */
export const AU_NAMES: Readonly<Record<AuId, string>> = {
  1: 'inner brow raiser',
  2: 'outer brow raiser',
  4: 'brow lowerer',
  5: 'upper lid raiser',
  6: 'cheek raiser',
  9: 'nose wrinkler',
  12: 'lip corner puller',
  15: 'lip corner depressor',
  17: 'chin raiser',
  20: 'lip stretcher',
  25: 'lips part',
  26: 'jaw drop',
};

/** Position of an AU in AU_ORDER, or -1 for an AU DISFA does not code. */
export function auIndex(au: number): number {
  return (AU_ORDER as readonly number[]).indexOf(au);
}

export function isAuId(au: number): au is AuId {
  return auIndex(au) >= 0;
}

/** Intensities in AU_ORDER, length 12. Floats: 0–5 is the label range, other values are allowed. */
export type AuVector = ArrayLike<number>;

/** Builds a vector in AU_ORDER from a sparse map such as {12: 3, 6: 2}; absent AUs are 0. */
export function auVector(values: Partial<Record<number, number>> = {}): Float64Array {
  const v = new Float64Array(AU_COUNT);
  for (const [key, value] of Object.entries(values)) {
    const i = auIndex(Number(key));
    if (i < 0) throw new RangeError(`AU ${key} is not one of ${AU_ORDER.join(' ')}`);
    v[i] = value ?? 0;
  }
  return v;
}
