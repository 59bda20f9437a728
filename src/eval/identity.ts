/**
 * Identity distances between face embeddings. The dlib face-recognition net (the paper's ID
 * metric [9]) is trained for Euclidean distance (same person below ~0.6); ArcFace-style nets are
 * trained on the angle, so 1 − cos.
 */
export function euclideanDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`euclideanDistance: lengths differ (${a.length} vs ${b.length})`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

export function cosineDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cosineDistance: lengths differ (${a.length} vs ${b.length})`);
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  if (na === 0 || nb === 0) throw new Error('cosineDistance: an embedding is all zeros');
  return 1 - dot / Math.sqrt(na * nb);
}
