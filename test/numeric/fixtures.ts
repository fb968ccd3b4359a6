import { fromRows, type Matrix } from '../../src/core/matrix.js';
import { createRng, randNormal } from '../../src/core/rng.js';

/** Gaussian blobs around the given centres, deterministic from the seed. */
export function blobs(seed: number, perCluster: number, centres: number[][], sd = 1): Matrix {
  const rng = createRng(seed);
  const rows: number[][] = [];
  for (const c of centres)
    for (let i = 0; i < perCluster; i++) rows.push(c.map((v) => v + sd * randNormal(rng)));
  return fromRows(rows);
}

/** Whether two labelings are the same partition (equal up to renaming). */
export function samePartition(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  const ab = new Map<number, number>();
  const ba = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    if ((ab.get(a[i]) ?? b[i]) !== b[i] || (ba.get(b[i]) ?? a[i]) !== a[i]) return false;
    ab.set(a[i], b[i]);
    ba.set(b[i], a[i]);
  }
  return true;
}
