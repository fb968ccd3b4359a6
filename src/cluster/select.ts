import type { ClusterSpec } from '../config/recipe.js';
import type { Warning } from '../core/errors.js';
import { type Matrix, takeRows } from '../core/matrix.js';
import { createRng, deriveSeed, sampleIndices } from '../core/rng.js';
import { calinskiHarabasz, daviesBouldin, kneeIndex, silhouetteScore } from '../metrics/quality.js';
import { fitKMeans, type KMeansResult } from './kmeans.js';

export interface KMetrics {
  k: number;
  inertia: number;
  silhouette: number | null;
  calinskiHarabasz: number | null;
  daviesBouldin: number | null;
  nIter: number;
  smallestSegment: number;
}

export interface Selection {
  k: number;
  result: KMeansResult;
  metrics: KMetrics[];
  reason: string;
  /** Index of the elbow in metrics, or -1. */
  elbowK: number | null;
  silhouetteK: number | null;
  silhouetteSample: number;
  warnings: Warning[];
}

/** Fits k-means for each k in the recipe's range, scores every fit and picks k. */
export function selectK(
  X: Matrix,
  spec: ClusterSpec,
  onProgress?: (done: number, total: number, k: number) => void,
): Selection {
  const warnings: Warning[] = [];
  const ks = typeof spec.k === 'number' ? [spec.k] : range(spec.k.min, Math.min(spec.k.max, X.rows));
  const sampleIdx = sampleIndices(createRng(deriveSeed(spec.seed, 0x5111)), X.rows, spec.silhouetteSample);
  const sample = sampleIdx.length === X.rows ? X : takeRows(X, sampleIdx);
  const metrics: KMetrics[] = [];
  const fits = new Map<number, KMeansResult>();
  ks.forEach((k, i) => {
    const res = fitKMeans(X, { k, nInit: spec.nInit, maxIter: spec.maxIter, tol: spec.tol, seed: spec.seed });
    fits.set(k, res);
    const sizes = new Array(k).fill(0);
    for (const l of res.labels) sizes[l]++;
    const sampleLabels =
      sampleIdx.length === X.rows ? res.labels : Int32Array.from(sampleIdx, (r) => res.labels[r]);
    const sil = k >= 2 ? silhouetteScore(sample, sampleLabels, k) : Number.NaN;
    metrics.push({
      k,
      inertia: res.model.inertia,
      silhouette: Number.isNaN(sil) ? null : sil,
      calinskiHarabasz: k >= 2 ? calinskiHarabasz(X, res.labels, k) : null,
      daviesBouldin: k >= 2 ? daviesBouldin(X, res.labels, k) : null,
      nIter: res.model.nIter,
      smallestSegment: Math.min(...sizes),
    });
    onProgress?.(i + 1, ks.length, k);
  });
  const knee = kneeIndex(
    metrics.map((m) => m.k),
    metrics.map((m) => m.inertia),
  );
  const elbowK = knee >= 0 ? metrics[knee].k : null;
  let silhouetteK: number | null = null;
  let bestSil = Number.NEGATIVE_INFINITY;
  for (const m of metrics) {
    if (m.silhouette !== null && m.silhouette > bestSil + 1e-12) {
      bestSil = m.silhouette;
      silhouetteK = m.k;
    }
  }
  let k: number;
  let reason: string;
  if (typeof spec.k === 'number') {
    k = spec.k;
    reason = `k = ${k} is fixed by the recipe.`;
  } else if (spec.k.select === 'elbow' && elbowK !== null) {
    k = elbowK;
    reason = `k = ${k} is the elbow (knee) of the inertia curve over k = ${ks[0]}..${ks[ks.length - 1]}.`;
  } else if (silhouetteK !== null) {
    k = silhouetteK;
    reason = `k = ${k} has the highest silhouette (${bestSil.toFixed(3)}) over k = ${ks[0]}..${ks[ks.length - 1]}${spec.k.select === 'elbow' ? ' (the inertia curve has no clear elbow)' : ''}.`;
  } else {
    k = ks[0];
    reason = `k = ${k}: no metric could rank the candidates.`;
  }
  if (typeof spec.k !== 'number' && elbowK !== null && silhouetteK !== null && elbowK !== silhouetteK) {
    warnings.push({
      code: 'K_METRICS_DISAGREE',
      message: `The elbow suggests k = ${elbowK} and the silhouette k = ${silhouetteK}; the recipe's ${spec.k.select} rule chose k = ${k}.`,
    });
  }
  const chosen = metrics.find((m) => m.k === k)!;
  if (chosen.smallestSegment < 0.01 * X.rows) {
    warnings.push({
      code: 'SEGMENT_TINY',
      message: `A segment holds only ${chosen.smallestSegment} customer(s) (< 1%); outliers may need log transforms or robust scaling.`,
    });
  }
  return {
    k,
    result: fits.get(k)!,
    metrics,
    reason,
    elbowK,
    silhouetteK,
    silhouetteSample: sample.rows,
    warnings,
  };
}

const range = (a: number, b: number): number[] =>
  Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => a + i);
