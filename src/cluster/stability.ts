import { type Matrix, takeRows } from '../core/matrix.js';
import { createRng, deriveSeed } from '../core/rng.js';

/**
 * How well each segment holds when the customers are resampled: the bootstrap of Hennig's
 * clusterboot (R package fpc, bootmethod "boot"). Each of B resamples draws n rows with
 * replacement, keeps each drawn row once (fpc's default, multipleboot = FALSE: about 63% of the
 * rows) and clusters them again with the same method; a segment's figure in a resample is the
 * Jaccard similarity between its members among the drawn rows and the most similar cluster of
 * the resample; its stability is the mean over the B resamples. Hennig's reading: under 0.6 the segment is not a stable group, 0.6-0.75 shows a
 * pattern whose members are doubtful, 0.75-0.85 is stable, 0.85 and above highly stable.
 */
export async function bootstrapStability(
  X: Matrix,
  labels: Int32Array,
  k: number,
  /** Clusters a resample (its rows in order) into labels 0..kb-1, with the seed of the resample. */
  recluster: (Xb: Matrix, seed: number) => Promise<{ labels: Int32Array; k: number }>,
  B: number,
  seed: number,
): Promise<Float64Array> {
  const rows = X.rows;
  const sum = new Float64Array(k);
  const drawn = new Uint8Array(rows);
  for (let b = 0; b < B; b++) {
    const rng = createRng(deriveSeed(seed, 0xb007 + b));
    drawn.fill(0);
    for (let i = 0; i < rows; i++) drawn[Math.floor(rng() * rows)] = 1;
    let n = 0;
    for (let i = 0; i < rows; i++) n += drawn[i];
    const idx = new Int32Array(n);
    for (let i = 0, j = 0; i < rows; i++) if (drawn[i]) idx[j++] = i;
    const r = await recluster(takeRows(X, idx), deriveSeed(seed, 0xc1b0 + b));
    // Counts of (original segment, resample cluster) over the drawn rows, and each side's size.
    const both = new Float64Array(k * r.k);
    const inA = new Float64Array(k);
    const inB = new Float64Array(r.k);
    for (let i = 0; i < n; i++) {
      const a = labels[idx[i]];
      const c = r.labels[i];
      both[a * r.k + c]++;
      inA[a]++;
      inB[c]++;
    }
    for (let a = 0; a < k; a++) {
      // A segment none of whose members was drawn scores 0 (fpc's zerobyzero = 0).
      let best = 0;
      for (let c = 0; c < r.k; c++) {
        const inter = both[a * r.k + c];
        const union = inA[a] + inB[c] - inter;
        if (union > 0 && inter / union > best) best = inter / union;
      }
      sum[a] += best;
    }
  }
  for (let a = 0; a < k; a++) sum[a] /= B;
  return sum;
}

/** A stability figure as it is shown (two decimals): the bands are read from the shown figure, so the words never contradict it. */
export const shownStability = (j: number): number => Number(j.toFixed(2));

/** Hennig's bands of a segment's bootstrap stability (as shown, two decimals), in plain words. */
export function stabilityWords(figure: number): string {
  const j = shownStability(figure);
  if (j >= 0.85) return 'highly stable';
  if (j >= 0.75) return 'stable';
  if (j >= 0.6) return 'a pattern, but who belongs to it is doubtful';
  return 'not a stable group';
}
