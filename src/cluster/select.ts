import type { ClusterSpec } from '../config/recipe.js';
import { minOf } from '../core/arrays.js';
import type { Warning } from '../core/errors.js';
import { type Matrix, takeRows } from '../core/matrix.js';
import { createRng, deriveSeed, sampleIndices } from '../core/rng.js';
import type { Executor } from '../kernels/exec.js';
import {
  adjustedRandIndex,
  calinskiHarabasz,
  daviesBouldin,
  kneeIndex,
  silhouetteScore,
  silhouetteScoreAsync,
  withinSS,
} from '../metrics/quality.js';
import { clusterMeans, cutTree, dendrogramTop, linkage, MAX_CONDENSED_ROWS } from './hierarchical.js';
import { fitKMeans, fitKMeansAsync, type KMeansParams, type KMeansResult } from './kmeans.js';
import {
  fitMiniBatchKMeans,
  fitMiniBatchKMeansAsync,
  MINIBATCH_DEFAULTS,
  type MiniBatchParams,
} from './minibatch.js';
import { bootstrapStability } from './stability.js';

/** One fitted clustering: labels 0..k-1 and centres (k x d) in the prepared space. */
export interface ClusterFit {
  k: number;
  labels: Int32Array;
  centers: Float64Array;
  inertia: number;
  nIter: number;
  seed: number;
  restarts: KMeansResult['restarts'];
}

export interface KMetrics {
  k: number;
  inertia: number;
  silhouette: number | null;
  calinskiHarabasz: number | null;
  daviesBouldin: number | null;
  /** Mean adjusted Rand index between the fit and refits on subsamples; null when not computed. */
  stability: number | null;
  nIter: number;
  smallestSegment: number;
}

export interface Selection {
  k: number;
  fit: ClusterFit;
  metrics: KMetrics[];
  reason: string;
  elbowK: number | null;
  silhouetteK: number | null;
  silhouetteSample: number;
  /** Rows the metrics of every k were computed on when k was chosen on a sample (null: all rows). */
  selectionSample: number | null;
  /** For hierarchical and two-step: the top of the tree. */
  dendrogram: ReturnType<typeof dendrogramTop> | null;
  warnings: Warning[];
  /** What this selection made of the previous run it continues (null: a first run, or none given). */
  lineage: LineageChoice | null;
}

/** What a re-run continues: the previous run's k, and its segments as centres in this run's space. */
export interface Continued {
  runId: string;
  k: number;
  /** k x dim: the previous segments' customers' means in this run's prepared matrix; null when one has no customer left. */
  centers: Float64Array | null;
  /** Choose k afresh from the metrics (the recipe's k changed, or the user asked: --reselect). */
  reselect: string | null;
  /** How far the kept k may fall behind the best (cluster.keepMargin). */
  margin: number;
}

/** How the previous run's k and centres were used, for run.json and the run output. */
export interface LineageChoice {
  previousRunId: string;
  previousK: number;
  /** Whether the previous k was kept. */
  keptK: boolean;
  /** The fit: started from the previous centres and kept, or the fresh fit (with why). */
  warmStart: { used: boolean; inertia: number | null; freshInertia: number | null; note: string } | null;
}

/**
 * A k's quality by the recipe's select rule, higher better, and how far `q` is behind `best` on
 * the rule's own scale: absolute for the silhouette and stability (both within [-1, 1]), relative
 * for Calinski-Harabasz and Davies-Bouldin (unbounded). The elbow is ranked by the silhouette.
 */
function quality(select: string, m: KMetrics): number | null {
  if (select === 'calinski') return m.calinskiHarabasz;
  if (select === 'davies') return m.daviesBouldin === null ? null : -m.daviesBouldin;
  if (select === 'stability') return m.stability;
  return m.silhouette;
}
const behind = (select: string, q: number, best: number): number =>
  select === 'calinski' || select === 'davies' ? (best - q) / Math.max(Math.abs(best), 1e-12) : best - q;
const ruleMetric = (select: string): string =>
  select === 'calinski'
    ? 'Calinski-Harabasz index'
    : select === 'davies'
      ? 'Davies-Bouldin index'
      : select === 'stability'
        ? 'stability'
        : 'silhouette';

/** The heavy fits, injectable so the pipeline can run them on worker threads. */
export interface Fitters {
  kmeans: (X: Matrix, p: KMeansParams) => Promise<KMeansResult> | KMeansResult;
  minibatch: (X: Matrix, p: MiniBatchParams) => Promise<KMeansResult> | KMeansResult;
  silhouette: (X: Matrix, labels: Int32Array, k: number) => Promise<number> | number;
}

export const serialFitters: Fitters = {
  kmeans: (X, p) => fitKMeans(X, p),
  minibatch: (X, p) => fitMiniBatchKMeans(X, p),
  silhouette: (X, labels, k) => silhouetteScore(X, labels, k),
};

/** The fits on a team of workers, leaving the calling thread free (serial without one). */
export function teamFitters(exec: Executor | null): Fitters {
  if (!exec) return serialFitters;
  return {
    kmeans: (X, p) => fitKMeansAsync(X, p, exec),
    minibatch: (X, p) => fitMiniBatchKMeansAsync(X, p, exec),
    silhouette: (X, labels, k) => silhouetteScoreAsync(X, labels, k, exec),
  };
}

const fromKMeans = (r: KMeansResult): ClusterFit => ({
  k: r.model.k,
  labels: r.labels,
  centers: Float64Array.from(r.model.centers),
  inertia: r.model.inertia,
  nIter: r.model.nIter,
  seed: r.model.seed,
  restarts: r.restarts,
});

/**
 * A method fitted for every k at once where it can be: k-means and mini-batch fit each k; the
 * hierarchical methods build one tree and cut it at each k.
 */
export interface Method {
  fitK(k: number): Promise<ClusterFit>;
  dendrogram: ReturnType<typeof dendrogramTop> | null;
}

export async function prepareMethod(
  X: Matrix,
  spec: ClusterSpec,
  fitters: Fitters,
  seed = spec.seed,
): Promise<Method> {
  const kmeansParams = (k: number): KMeansParams => ({
    k,
    nInit: spec.nInit,
    maxIter: spec.maxIter,
    tol: spec.tol,
    seed,
    algorithm: spec.algorithm,
  });
  switch (spec.method) {
    case 'kmeans':
      return { fitK: async (k) => fromKMeans(await fitters.kmeans(X, kmeansParams(k))), dendrogram: null };
    case 'minibatch':
      return {
        fitK: async (k) =>
          fromKMeans(
            await fitters.minibatch(X, {
              ...MINIBATCH_DEFAULTS,
              k,
              seed,
              batchSize: spec.batchSize,
              nInit: Math.min(spec.nInit, 3),
            }),
          ),
        dendrogram: null,
      };
    case 'hierarchical': {
      const Z = linkage(X, spec.linkage);
      const fitK = async (k: number): Promise<ClusterFit> => {
        const labels = cutTree(Z, X.rows, k);
        const centers = clusterMeans(X, labels, k);
        return { k, labels, centers, inertia: withinSS(X, labels, centers), nIter: 0, seed, restarts: [] };
      };
      return { fitK, dendrogram: dendrogramTop(Z, X.rows) };
    }
    case 'rfm':
      throw new Error('method rfm segments by scores, not by fitting; the pipeline handles it');
    case 'twostep': {
      const m = Math.min(spec.microClusters, X.rows);
      const micro = fromKMeans(
        await fitters.kmeans(X, { ...kmeansParams(m), nInit: Math.min(spec.nInit, 3) }),
      );
      const weights = new Float64Array(m);
      for (const l of micro.labels) weights[l]++;
      // Empty micro-clusters (possible with duplicates) carry no weight: leave them out of the tree.
      const keep = Array.from({ length: m }, (_, i) => i).filter((i) => weights[i] > 0);
      const C = takeRows({ rows: m, cols: X.cols, data: micro.centers }, keep);
      const slot = new Int32Array(m).fill(-1);
      keep.forEach((c, i) => {
        slot[c] = i;
      });
      const Z = linkage(
        C,
        'ward',
        Float64Array.from(keep, (c) => weights[c]),
      );
      const fitK = async (k: number): Promise<ClusterFit> => {
        const microLabels = cutTree(Z, keep.length, k);
        const labels = Int32Array.from(micro.labels, (l) => microLabels[slot[l]]);
        const centers = clusterMeans(X, labels, k);
        return {
          k,
          labels,
          centers,
          inertia: withinSS(X, labels, centers),
          nIter: micro.nIter,
          seed,
          restarts: micro.restarts,
        };
      };
      return { fitK, dendrogram: dendrogramTop(Z, keep.length) };
    }
  }
}

/** The most rows hierarchical clustering takes (its O(n^2) time: ~50 s at this size with Ward). */
export const MAX_CHAIN_ROWS = 50_000;

/** Checks what a method can do with this many rows, before any work. */
export function methodLimits(spec: ClusterSpec, rows: number): string | null {
  if (
    spec.method === 'hierarchical' &&
    (spec.linkage === 'complete' || spec.linkage === 'average') &&
    rows > MAX_CONDENSED_ROWS
  ) {
    return `${spec.linkage} linkage keeps every pairwise distance and is limited to ${MAX_CONDENSED_ROWS.toLocaleString('en-US')} customers (here ${rows.toLocaleString('en-US')}); use linkage: ward, or method: twostep.`;
  }
  if (spec.method === 'hierarchical' && rows > MAX_CHAIN_ROWS) {
    // Time, not memory: the nearest-neighbour chain is O(n^2 d) (20,000 x 8 takes ~8 s; 500,000
    // would take hours).
    return `${spec.linkage} linkage compares every pair of customers (time grows with the square of their number) and is limited to ${MAX_CHAIN_ROWS.toLocaleString('en-US')} customers (here ${rows.toLocaleString('en-US')}); use method: twostep (k-means micro-clusters, then ${spec.linkage === 'ward' ? 'Ward' : 'the tree'} on them), which holds millions.`;
  }
  return null;
}

/**
 * Fits the recipe's method for each k in its range, scores every fit (inertia, silhouette on a
 * seeded sample, Calinski-Harabasz, Davies-Bouldin, and stability when asked) and picks k.
 */
export async function selectModel(
  input: Matrix,
  spec: ClusterSpec,
  opts: {
    fitters?: Fitters;
    onProgress?: (done: number, total: number, k: number) => void;
    /** The previous run this one continues: its k is kept and its centres start the fit, where they hold up. */
    previous?: Continued | null;
  } = {},
): Promise<Selection> {
  const fitters = opts.fitters ?? serialFitters;
  const warnings: Warning[] = [];
  let X = input;
  const kSpec = spec.k;
  const ks = typeof kSpec === 'number' ? [kSpec] : range(kSpec.min, Math.min(kSpec.max, X.rows));
  const select = typeof kSpec === 'number' ? null : kSpec.select;
  const stabilityRuns = spec.stabilityRuns || (select === 'stability' ? 5 : 0);
  // Above cluster.selectSample rows, k-means and mini-batch choose k on a seeded sample; the chosen
  // k is then fitted on every row from the sample's centres.
  const all = X;
  const sampled =
    ks.length > 1 && (spec.method === 'kmeans' || spec.method === 'minibatch') && X.rows > spec.selectSample;
  if (sampled)
    X = takeRows(X, sampleIndices(createRng(deriveSeed(spec.seed, 0x5e1e)), X.rows, spec.selectSample));
  const sampleIdx = sampleIndices(createRng(deriveSeed(spec.seed, 0x5111)), X.rows, spec.silhouetteSample);
  const sample = sampleIdx.length === X.rows ? X : takeRows(X, sampleIdx);
  const method = await prepareMethod(X, spec, fitters);
  // Stability: the same method refitted on seeded 80% subsamples, compared on the rows they share.
  const subsamples = Array.from({ length: stabilityRuns }, (_, b) =>
    sampleIndices(
      createRng(deriveSeed(spec.seed, 0x57ab + b)),
      X.rows,
      Math.max(2, Math.floor(0.8 * X.rows)),
    ),
  );
  const subMethods: Method[] = [];
  for (const [b, idx] of subsamples.entries())
    subMethods.push(await prepareMethod(takeRows(X, idx), spec, fitters, deriveSeed(spec.seed, 0x5ee0 + b)));
  const metrics: KMetrics[] = [];
  const fits = new Map<number, ClusterFit>();
  for (const [i, k] of ks.entries()) {
    const fit = await method.fitK(k);
    fits.set(k, fit);
    const sizes = new Array(k).fill(0);
    for (const l of fit.labels) sizes[l]++;
    const sampleLabels =
      sampleIdx.length === X.rows ? fit.labels : Int32Array.from(sampleIdx, (r) => fit.labels[r]);
    const sil = k >= 2 ? await fitters.silhouette(sample, sampleLabels, k) : Number.NaN;
    let stability: number | null = null;
    if (stabilityRuns) {
      let s = 0;
      for (const [b, idx] of subsamples.entries()) {
        const sub = await subMethods[b].fitK(k);
        s += adjustedRandIndex(
          Int32Array.from(idx, (r) => fit.labels[r]),
          sub.labels,
        );
      }
      stability = s / stabilityRuns;
    }
    metrics.push({
      k,
      inertia: fit.inertia,
      silhouette: Number.isNaN(sil) ? null : sil,
      calinskiHarabasz: k >= 2 ? calinskiHarabasz(X, fit.labels, k) : null,
      daviesBouldin: k >= 2 ? daviesBouldin(X, fit.labels, k) : null,
      stability,
      nIter: fit.nIter,
      smallestSegment: minOf(sizes),
    });
    opts.onProgress?.(i + 1, ks.length, k);
  }
  const knee = kneeIndex(
    metrics.map((m) => m.k),
    metrics.map((m) => m.inertia),
  );
  const elbowK = knee >= 0 ? metrics[knee].k : null;
  const best = (key: 'silhouette' | 'calinskiHarabasz' | 'stability', sign = 1): KMetrics | null => {
    let b: KMetrics | null = null;
    for (const m of metrics) {
      const v = m[key];
      if (v === null) continue;
      if (!b || sign * v > sign * (b[key] as number) + 1e-12) b = m;
    }
    return b;
  };
  const bySil = best('silhouette');
  const silhouetteK = bySil?.k ?? null;
  const span = `k = ${ks[0]}..${ks[ks.length - 1]}`;
  let k: number;
  let reason: string;
  if (select === null) {
    k = ks[0];
    reason = `k = ${k} is fixed by the recipe.`;
  } else if (select === 'elbow' && elbowK !== null) {
    k = elbowK;
    reason = `k = ${k} is the elbow (knee) of the inertia curve over ${span}.`;
  } else if (select === 'calinski' && best('calinskiHarabasz')) {
    const m = best('calinskiHarabasz')!;
    k = m.k;
    reason = `k = ${k} has the highest Calinski-Harabasz index (${m.calinskiHarabasz!.toFixed(1)}) over ${span}.`;
  } else if (select === 'davies') {
    let m = metrics[0];
    for (const x of metrics)
      if (x.daviesBouldin !== null && (m.daviesBouldin === null || x.daviesBouldin < m.daviesBouldin - 1e-12))
        m = x;
    k = m.k;
    reason = `k = ${k} has the lowest Davies-Bouldin index (${(m.daviesBouldin ?? Number.NaN).toFixed(3)}) over ${span}.`;
  } else if (select === 'stability' && best('stability')) {
    // Stability alone favours small k (any coarse split is stable): among the k within 0.01 of the
    // most stable, take the one with the best silhouette.
    const top = best('stability')!.stability!;
    const near = metrics.filter((m) => m.stability !== null && m.stability >= top - 0.01);
    const m = near.reduce((a, b) => ((b.silhouette ?? -2) > (a.silhouette ?? -2) + 1e-12 ? b : a));
    k = m.k;
    reason = `k = ${k} is among the most stable (mean adjusted Rand index ${m.stability!.toFixed(3)} over ${stabilityRuns} refits on 80% subsamples; best ${top.toFixed(3)}) over ${span}, with the best silhouette of those.`;
  } else if (bySil) {
    k = bySil.k;
    reason = `k = ${k} has the highest silhouette (${bySil.silhouette!.toFixed(3)}) over ${span}${select === 'elbow' ? ' (the inertia curve has no clear elbow)' : ''}.`;
  } else {
    k = ks[0];
    reason = `k = ${k}: no metric could rank the candidates.`;
  }
  if (select !== null && elbowK !== null && silhouetteK !== null && elbowK !== silhouetteK) {
    warnings.push({
      code: 'K_METRICS_DISAGREE',
      message: `The elbow suggests k = ${elbowK} and the silhouette k = ${silhouetteK}; the recipe's ${select} rule chose k = ${k}.`,
    });
  }
  // A re-run keeps its previous k while that k's quality is within the margin of the best.
  const prev = opts.previous ?? null;
  let lineage: LineageChoice | null = null;
  if (prev) {
    lineage = { previousRunId: prev.runId, previousK: prev.k, keptK: false, warmStart: null };
    const mine = metrics.find((m) => m.k === prev.k);
    const chosen = metrics.find((m) => m.k === k)!;
    if (select === null) lineage.keptK = k === prev.k;
    else if (prev.reselect) reason += ` k was chosen afresh: ${prev.reselect}.`;
    else if (!mine) reason += ` Run ${prev.runId} had k = ${prev.k}, outside ${span}.`;
    else if (mine.k === k) {
      lineage.keptK = true;
      reason += ` It is the k of run ${prev.runId}.`;
    } else {
      const [q, qb] = [quality(select, mine), quality(select, chosen)];
      const gap = q === null || qb === null ? Number.POSITIVE_INFINITY : behind(select, q, qb);
      const what = ruleMetric(select);
      const scale = select === 'calinski' || select === 'davies' ? ' (relative)' : '';
      if (gap <= prev.margin) {
        reason = `k = ${prev.k} is kept from run ${prev.runId}: its ${what} is ${gap.toFixed(3)}${scale} behind the best (k = ${k}), within cluster.keepMargin ${prev.margin}. (${reason})`;
        k = prev.k;
        lineage.keptK = true;
      } else
        reason += ` Run ${prev.runId} had k = ${prev.k}, whose ${what} is now ${gap.toFixed(3)}${scale} behind, more than cluster.keepMargin ${prev.margin}: k is chosen again.`;
    }
  }
  let fit = fits.get(k)!;
  if (sampled) {
    // The chosen k on every row, from the sample's centres (Lloyd iterations to convergence).
    fit = fromKMeans(
      await fitters.kmeans(all, {
        k,
        nInit: 1,
        maxIter: spec.maxIter,
        tol: spec.tol,
        seed: fit.seed,
        algorithm: spec.algorithm,
        init: fit.centers,
      }),
    );
    reason = `${reason.slice(0, -1)}; k was chosen on a seeded sample of ${X.rows.toLocaleString('en-US')} of the ${all.rows.toLocaleString('en-US')} customers (cluster.selectSample), and the k = ${k} segments were then fitted on all of them from the sample's centres.`;
  }
  // The previous segments' centres as a start of the kept k: kept when its fit is within
  // WARM_TOLERANCE of the fresh fit's inertia, so customers whose features barely moved keep
  // their segment.
  if (lineage?.keptK && prev) {
    const { fit: started, ...w } = await warmStart(all, spec, fitters, prev, k, fit);
    lineage.warmStart = w;
    fit = started;
    reason += ` ${w.note}`;
  }
  const sizes = new Array(k).fill(0);
  for (const l of fit.labels) sizes[l]++;
  const smallest = minOf(sizes);
  if (smallest < spec.minSegmentShare * all.rows) {
    warnings.push({
      code: 'SEGMENT_TINY',
      message: `A segment holds only ${smallest} customer(s) (under ${(100 * spec.minSegmentShare).toFixed(1)}%); outliers may need log transforms or robust scaling.`,
    });
  }
  return {
    k,
    fit,
    metrics,
    reason,
    elbowK,
    silhouetteK,
    selectionSample: sampled ? X.rows : null,
    silhouetteSample: sample.rows,
    dendrogram: method.dendrogram,
    warnings,
    lineage,
  };
}

/** Each segment's bootstrap stability (cluster/stability.ts), and what it was computed on. */
export interface SegmentStability {
  runs: number;
  /** Rows resampled (a seeded sample of the customers above cluster.bootstrap.sample). */
  rows: number;
  /** Per cluster label of the fit: the mean Jaccard similarity of its best match. */
  jaccard: number[];
}

/**
 * The bootstrap stability of each cluster of a fit: the same method refitted at the same k on
 * resamples (nInit as the recipe says; seeds from the recipe's seed). Null for classic RFM (rules,
 * not a fit) or when cluster.bootstrap.runs is 0.
 */
export async function segmentStability(
  X: Matrix,
  fit: ClusterFit,
  spec: ClusterSpec,
  fitters: Fitters = serialFitters,
): Promise<SegmentStability | null> {
  const { runs } = spec.bootstrap;
  // Too few customers for resamples to say anything (each keeps about 63% of them).
  if (!runs || spec.method === 'rfm' || fit.k < 2 || X.rows < 5 * fit.k) return null;
  // A Ward tree per resample costs the square of its rows: hierarchical resamples 2,000 at most.
  const sample =
    spec.method === 'hierarchical' ? Math.min(spec.bootstrap.sample, 2000) : spec.bootstrap.sample;
  const idx =
    X.rows > sample ? sampleIndices(createRng(deriveSeed(spec.seed, 0xb5a3)), X.rows, sample) : null;
  const Xs = idx ? takeRows(X, idx) : X;
  const labels = idx ? Int32Array.from(idx, (r) => fit.labels[r]) : fit.labels;
  const jaccard = await bootstrapStability(
    Xs,
    labels,
    fit.k,
    async (Xb, seed) => {
      if (Xb.rows < fit.k) return { labels: new Int32Array(Xb.rows), k: 1 };
      const m = await prepareMethod(Xb, spec, fitters, seed);
      const f = await m.fitK(fit.k);
      return { labels: f.labels, k: f.k };
    },
    runs,
    spec.seed,
  );
  return { runs, rows: Xs.rows, jaccard: Array.from(jaccard) };
}

/** How much more inertia a fit from the previous centres may have than the fresh fit and still be kept. */
export const WARM_TOLERANCE = 0.01;

async function warmStart(
  X: Matrix,
  spec: ClusterSpec,
  fitters: Fitters,
  prev: Continued,
  k: number,
  fresh: ClusterFit,
): Promise<NonNullable<LineageChoice['warmStart']> & { fit: ClusterFit }> {
  const no = (note: string) => ({
    used: false,
    inertia: null,
    freshInertia: fresh.inertia,
    note,
    fit: fresh,
  });
  if (spec.method !== 'kmeans' && spec.method !== 'minibatch')
    return no(`The ${spec.method} fit has no start to carry over.`);
  if (!prev.centers || prev.centers.length !== k * X.cols)
    return no(`A segment of run ${prev.runId} has no customer left, so the fit starts afresh.`);
  const warm = fromKMeans(
    await fitters.kmeans(X, {
      k,
      nInit: 1,
      maxIter: spec.maxIter,
      tol: spec.tol,
      seed: fresh.seed,
      algorithm: spec.algorithm,
      init: prev.centers,
    }),
  );
  const ratio = warm.inertia / fresh.inertia;
  const pct = `${(100 * (ratio - 1)).toFixed(2)}%`;
  return ratio <= 1 + WARM_TOLERANCE
    ? {
        used: true,
        inertia: warm.inertia,
        freshInertia: fresh.inertia,
        note: `The fit starts from run ${prev.runId}'s segments (inertia ${ratio <= 1 ? 'no higher than' : `${pct} above`} a fresh fit's, within ${100 * WARM_TOLERANCE}%).`,
        fit: warm,
      }
    : {
        used: false,
        inertia: warm.inertia,
        freshInertia: fresh.inertia,
        note: `Starting from run ${prev.runId}'s segments gave ${pct} more inertia than a fresh fit (more than ${100 * WARM_TOLERANCE}%): the fresh fit is kept.`,
        fit: fresh,
      };
}

const range = (a: number, b: number): number[] =>
  Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => a + i);

/**
 * A selection made from given labels (such as classic RFM segments), scored with the same metrics
 * as a fitted method so that runs compare.
 */
export async function selectionFromLabels(
  X: Matrix,
  labels: Int32Array,
  k: number,
  reason: string,
  spec: ClusterSpec,
  fitters: Fitters = serialFitters,
): Promise<Selection> {
  const centers = clusterMeans(X, labels, k);
  const sizes = new Array(k).fill(0);
  for (const l of labels) sizes[l]++;
  const sampleIdx = sampleIndices(createRng(deriveSeed(spec.seed, 0x5111)), X.rows, spec.silhouetteSample);
  const sample = sampleIdx.length === X.rows ? X : takeRows(X, sampleIdx);
  const sampleLabels = sampleIdx.length === X.rows ? labels : Int32Array.from(sampleIdx, (r) => labels[r]);
  const sil = k >= 2 ? await fitters.silhouette(sample, sampleLabels, k) : Number.NaN;
  const inertia = withinSS(X, labels, centers);
  const metrics: KMetrics[] = [
    {
      k,
      inertia,
      silhouette: Number.isNaN(sil) ? null : sil,
      calinskiHarabasz: k >= 2 ? calinskiHarabasz(X, labels, k) : null,
      daviesBouldin: k >= 2 ? daviesBouldin(X, labels, k) : null,
      stability: null,
      nIter: 0,
      smallestSegment: minOf(sizes),
    },
  ];
  return {
    k,
    fit: { k, labels, centers, inertia, nIter: 0, seed: spec.seed, restarts: [] },
    metrics,
    reason,
    elbowK: null,
    silhouetteK: null,
    silhouetteSample: sample.rows,
    selectionSample: null,
    dendrogram: null,
    warnings: [],
    lineage: null,
  };
}
