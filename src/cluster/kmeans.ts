import type { Matrix } from '../core/matrix.js';
import { createRng, deriveSeed, type Rng } from '../core/rng.js';
import {
  type AssignRequest,
  allocState,
  assignSerial,
  CHUNK_ROWS,
  type ChunkStat,
  type KState,
} from './kernels.js';

export interface KMeansParams {
  k: number;
  nInit: number;
  maxIter: number;
  /** Relative tolerance: the run stops when the centres move less than tol x mean feature variance. */
  tol: number;
  seed: number;
  /** Optional fixed initial centres (k x d, row-major); then nInit is 1 and no seeding happens. */
  init?: Float64Array;
  /** lloyd searches every centre each pass; hamerly (default) skips provably useless searches, same result. */
  algorithm?: KMeansAlgorithm;
}

export interface KMeansModel {
  kind: 'kmeans';
  k: number;
  dim: number;
  /** k x d, row-major. */
  centers: number[];
  inertia: number;
  nIter: number;
  /** Seed of the restart that won. */
  seed: number;
}

export interface KMeansResult {
  model: KMeansModel;
  labels: Int32Array;
  /** Inertia of every restart, in restart order. */
  restarts: { seed: number; inertia: number; nIter: number }[];
}

/** Squared Euclidean distance between row i of `a` and row j of `b` (both d wide). */
export function sqDist(a: Float64Array, i: number, b: Float64Array | number[], j: number, d: number): number {
  let s = 0;
  const ai = i * d;
  const bj = j * d;
  for (let t = 0; t < d; t++) {
    const v = a[ai + t] - b[bj + t];
    s += v * v;
  }
  return s;
}

/**
 * Greedy k-means++ seeding as scikit-learn does it: the first centre uniformly at random, then
 * for each next centre 2 + floor(ln k) candidates drawn with probability proportional to the
 * squared distance to the nearest chosen centre, keeping the candidate that lowers the potential most.
 */
export function kmeansPlusPlus(X: Matrix, k: number, rng: Rng): Float64Array {
  const { rows: n, cols: d, data } = X;
  const centers = new Float64Array(k * d);
  const trials = 2 + Math.floor(Math.log(k));
  let first = Math.floor(rng() * n);
  if (first >= n) first = n - 1;
  centers.set(data.subarray(first * d, first * d + d), 0);
  const closest = new Float64Array(n);
  let pot = 0;
  for (let i = 0; i < n; i++) {
    closest[i] = sqDist(data, i, centers, 0, d);
    pot += closest[i];
  }
  const cand = new Int32Array(trials);
  const candDist = new Float64Array(trials * n);
  const cum = new Float64Array(n);
  const row = new Float64Array(d);
  for (let c = 1; c < k; c++) {
    // Draw the candidates: searchsorted on the running sum of `closest`.
    let acc = 0;
    for (let i = 0; i < n; i++) {
      acc += closest[i];
      cum[i] = acc;
    }
    for (let t = 0; t < trials; t++) {
      const target = rng() * pot;
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cum[mid] > target) hi = mid;
        else lo = mid + 1;
      }
      cand[t] = lo;
    }
    let best = -1;
    let bestPot = Number.POSITIVE_INFINITY;
    for (let t = 0; t < trials; t++) {
      let p = 0;
      const off = t * n;
      for (let j = 0; j < d; j++) row[j] = data[cand[t] * d + j];
      for (let i = 0; i < n; i++) {
        const xo = i * d;
        let s = 0;
        for (let j = 0; j < d; j++) {
          const e = data[xo + j] - row[j];
          s += e * e;
        }
        const dd = s < closest[i] ? s : closest[i];
        candDist[off + i] = dd;
        p += dd;
      }
      if (p < bestPot) {
        bestPot = p;
        best = t;
      }
    }
    closest.set(candDist.subarray(best * n, best * n + n));
    pot = bestPot;
    centers.set(data.subarray(cand[best] * d, cand[best] * d + d), c * d);
  }
  return centers;
}

/** Mean of the per-feature variances (scikit-learn scales tol by it); two row-major passes. */
export function meanVariance(X: Matrix): number {
  const { rows: n, cols: d, data } = X;
  if (!n || !d) return 0;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) mean[t] += data[i * d + t];
  for (let t = 0; t < d; t++) mean[t] /= n;
  const v = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < d; t++) {
      const e = data[i * d + t] - mean[t];
      v[t] += e * e;
    }
  }
  let total = 0;
  for (let t = 0; t < d; t++) total += v[t] / n;
  return total / d;
}

/** Nearest centre of each row; returns the inertia. Writes labels and (optionally) distances. */
export function assign(
  X: Matrix,
  centers: Float64Array | number[],
  k: number,
  labels: Int32Array,
  dist?: Float64Array,
): number {
  const { rows: n, cols: d, data } = X;
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bd = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      const dd = sqDist(data, i, centers, c, d);
      if (dd < bd) {
        bd = dd;
        best = c;
      }
    }
    labels[i] = best;
    if (dist) dist[i] = bd;
    inertia += bd;
  }
  return inertia;
}

export type KMeansAlgorithm = 'lloyd' | 'hamerly';

export interface KMeansRunResult {
  labels: Int32Array;
  inertia: number;
  nIter: number;
}

/**
 * One k-means run from the given centres (updated in place), as a generator that yields each
 * assignment pass for a runner to execute (on this thread, or split over workers) and receives
 * the per-chunk results in chunk order. It follows scikit-learn's loop: assign with the old
 * centres, recompute the means (an empty cluster takes the point farthest from its centre), stop
 * when no label changed or the centres moved less than tolAbs in total (squared), then one last
 * assignment so the labels match the final centres.
 */
export function* kmeansSteps(
  X: Matrix,
  centers: Float64Array,
  k: number,
  maxIter: number,
  tolAbs: number,
  algorithm: KMeansAlgorithm,
  state: KState,
): Generator<AssignRequest, KMeansRunResult, ChunkStat[]> {
  const d = X.cols;
  const half = new Float64Array(k);
  const shift = new Float64Array(k);
  const sums = new Float64Array(k * d);
  const counts = new Float64Array(k);
  const hamerly = algorithm === 'hamerly';
  let it = 0;
  for (; it < maxIter; it++) {
    if (hamerly) halfDistances(centers, k, d, half);
    const mode = hamerly ? (it === 0 ? 'hamerly-init' : 'hamerly') : 'lloyd';
    const parts = yield { mode, k, centers, half, shift, inertia: false };
    let changed = combine(state, parts, sums, counts);
    changed += relocateEmpty(X, centers, state, sums, counts, k, hamerly);
    let total = 0;
    for (let c = 0; c < k; c++) {
      let moved = 0;
      for (let t = 0; t < d; t++) {
        const v = counts[c] > 0 ? sums[c * d + t] / counts[c] : centers[c * d + t];
        const e = v - centers[c * d + t];
        moved += e * e;
        centers[c * d + t] = v;
      }
      shift[c] = Math.sqrt(moved);
      total += moved;
    }
    if (changed === 0 || total <= tolAbs) break;
  }
  if (hamerly) halfDistances(centers, k, d, half);
  const final = yield { mode: hamerly ? 'hamerly' : 'lloyd', k, centers, half, shift, inertia: true };
  let inertia = 0;
  for (const p of final) inertia += p.inertia;
  return { labels: state.labels, inertia, nIter: Math.min(it + 1, maxIter) };
}

/** Adds the chunks' sums and counts in chunk order; returns how many labels changed. */
function combine(state: KState, parts: ChunkStat[], sums: Float64Array, counts: Float64Array): number {
  sums.fill(0);
  counts.fill(0);
  const kd = sums.length;
  const k = counts.length;
  let changed = 0;
  for (let c = 0; c < parts.length; c++) {
    const so = c * kd;
    for (let j = 0; j < kd; j++) sums[j] += state.chunkSums[so + j];
    const co = c * k;
    for (let j = 0; j < k; j++) counts[j] += state.chunkCounts[co + j];
    changed += parts[c].changed;
  }
  return changed;
}

function halfDistances(centers: Float64Array, k: number, d: number, half: Float64Array): void {
  half.fill(Number.POSITIVE_INFINITY);
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      const h = Math.sqrt(sqDist(centers, a, centers, b, d)) / 2;
      if (h < half[a]) half[a] = h;
      if (h < half[b]) half[b] = h;
    }
  }
}

/**
 * Gives each empty cluster the point farthest from its centre (as scikit-learn does), moving it
 * in the sums and counts. Returns how many labels changed. Rare, so it recomputes distances.
 */
function relocateEmpty(
  X: Matrix,
  centers: Float64Array,
  state: KState,
  sums: Float64Array,
  counts: Float64Array,
  k: number,
  hamerly: boolean,
): number {
  const empty: number[] = [];
  for (let c = 0; c < k; c++) if (counts[c] === 0) empty.push(c);
  if (!empty.length) return 0;
  const { rows: n, cols: d, data } = X;
  const { labels } = state;
  const dist = new Float64Array(n);
  for (let i = 0; i < n; i++) dist[i] = sqDist(data, i, centers, labels[i], d);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => dist[b] - dist[a] || a - b);
  let moved = 0;
  for (let e = 0; e < empty.length && e < order.length; e++) {
    const i = order[e];
    const from = labels[i];
    const to = empty[e];
    if (counts[from] <= 1) continue;
    for (let t = 0; t < d; t++) {
      sums[from * d + t] -= data[i * d + t];
      sums[to * d + t] = data[i * d + t];
    }
    counts[from]--;
    counts[to] = 1;
    labels[i] = to;
    state.chunkValid[Math.floor(i / CHUNK_ROWS)] = 0;
    if (hamerly) {
      state.upper[i] = Number.POSITIVE_INFINITY;
      state.lower[i] = 0;
    }
    moved++;
  }
  return moved;
}

/** Drives a step generator on this thread. */
export function runSerial<T>(X: Matrix, state: KState, steps: Generator<AssignRequest, T, ChunkStat[]>): T {
  let r = steps.next(undefined as unknown as ChunkStat[]);
  while (!r.done) r = steps.next(assignSerial(X, r.value, state));
  return r.value;
}

/** One k-means run from the given centres (updated in place), on this thread. */
export function lloyd(
  X: Matrix,
  centers: Float64Array,
  k: number,
  maxIter: number,
  tolAbs: number,
  algorithm: KMeansAlgorithm = 'lloyd',
): KMeansRunResult {
  const state = allocState(X.rows, k, X.cols, false);
  const r = runSerial(X, state, kmeansSteps(X, centers, k, maxIter, tolAbs, algorithm, state));
  return { ...r, labels: Int32Array.from(r.labels) };
}

/**
 * k-means with greedy k-means++ and `nInit` seeded restarts; the restart with the lowest inertia
 * wins (the first one on ties). Deterministic for a given seed. O(nInit * iter * n * k * d).
 */
export function fitKMeans(X: Matrix, params: KMeansParams): KMeansResult {
  const { k } = params;
  const tolAbs = params.tol * meanVariance(X);
  const restarts: KMeansResult['restarts'] = [];
  let best: {
    labels: Int32Array;
    inertia: number;
    nIter: number;
    centers: Float64Array;
    seed: number;
  } | null = null;
  const runs = params.init ? 1 : params.nInit;
  for (let r = 0; r < runs; r++) {
    const seed = deriveSeed(params.seed, r);
    const centers = params.init ? Float64Array.from(params.init) : kmeansPlusPlus(X, k, createRng(seed));
    const res = lloyd(X, centers, k, params.maxIter, tolAbs, params.algorithm ?? 'hamerly');
    restarts.push({ seed, inertia: res.inertia, nIter: res.nIter });
    if (!best || res.inertia < best.inertia) best = { ...res, centers, seed };
  }
  const b = best!;
  return {
    model: {
      kind: 'kmeans',
      k,
      dim: X.cols,
      centers: Array.from(b.centers),
      inertia: b.inertia,
      nIter: b.nIter,
      seed: b.seed,
    },
    labels: b.labels,
    restarts,
  };
}

/** Nearest centre for each row of X. */
export function predictKMeans(
  model: Pick<KMeansModel, 'centers' | 'k'>,
  X: Matrix,
): { labels: Int32Array; distances: Float64Array } {
  const labels = new Int32Array(X.rows);
  const distances = new Float64Array(X.rows);
  assign(X, model.centers, model.k, labels, distances);
  for (let i = 0; i < distances.length; i++) distances[i] = Math.sqrt(distances[i]);
  return { labels, distances };
}

/** Distance of every row to every centre (scikit-learn's transform): n x k, row-major. */
export function transformKMeans(model: Pick<KMeansModel, 'centers' | 'k'>, X: Matrix): Matrix {
  const { rows: n, cols: d, data } = X;
  const out = { rows: n, cols: model.k, data: new Float64Array(n * model.k) };
  for (let i = 0; i < n; i++)
    for (let c = 0; c < model.k; c++)
      out.data[i * model.k + c] = Math.sqrt(sqDist(data, i, model.centers, c, d));
  return out;
}
