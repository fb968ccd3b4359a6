import type { Matrix } from '../core/matrix.js';
import { takeRows } from '../core/matrix.js';
import { createRng, deriveSeed, randInt } from '../core/rng.js';
import { checkInteger, checkMatrix, checkNumber } from '../core/validate.js';
import type { Executor } from '../kernels/exec.js';
import { kernelContext } from '../kernels/kernels.js';
import {
  assign,
  assignAsync,
  assignWith,
  type KMeansModel,
  type KMeansResult,
  kmeansPlusPlus,
} from './kmeans.js';

export interface MiniBatchParams {
  k: number;
  seed: number;
  /** Rows per step (scikit-learn's default 1024). */
  batchSize: number;
  /** Passes over the data at most (scikit-learn's max_iter). */
  maxEpochs: number;
  /** Stop after this many steps without improvement of the smoothed batch inertia. */
  maxNoImprovement: number;
  /** Seedings tried on a sample (3 x batchSize rows); the best is used. */
  nInit: number;
  /** Centres whose weight falls below this share of the heaviest are moved to a random batch row. */
  reassignmentRatio: number;
}

export const MINIBATCH_DEFAULTS: Omit<MiniBatchParams, 'k' | 'seed'> = {
  batchSize: 1024,
  maxEpochs: 100,
  maxNoImprovement: 10,
  nInit: 3,
  reassignmentRatio: 0.01,
};

/**
 * Centres by mini-batch k-means (Sculley 2010, as scikit-learn's MiniBatchKMeans): k-means++ on a sample,
 * then each step assigns a random batch and moves each centre toward its batch rows with a
 * per-centre learning rate 1 / (rows seen). Stops when the smoothed batch inertia has not improved
 * for maxNoImprovement steps. The returned inertia and labels are those of the full data. The
 * batch assignment is one kernel call per step (WebAssembly SIMD where available).
 */
export function miniBatchCenters(X: Matrix, p: MiniBatchParams): { centers: Float64Array; steps: number } {
  const { rows: n, cols: d } = X;
  const k = p.k;
  const rng = createRng(deriveSeed(p.seed, 0x3b));
  const batch = Math.min(p.batchSize, n);
  // Seeding: the best of nInit k-means++ runs on a sample, judged on that sample.
  const initRows = Math.min(n, 3 * batch < k ? k : 3 * batch);
  const sampleIdx = Int32Array.from({ length: initRows }, () => randInt(rng, n));
  const sample = takeRows(X, sampleIdx);
  let centers: Float64Array = new Float64Array(k * d);
  let bestInit = Number.POSITIVE_INFINITY;
  const scratch = new Int32Array(sample.rows);
  for (let r = 0; r < p.nInit; r++) {
    const c = kmeansPlusPlus(sample, k, createRng(deriveSeed(p.seed, r)));
    const inertia = assign(sample, c, k, scratch);
    if (inertia < bestInit) {
      bestInit = inertia;
      centers = c;
    }
  }
  const { mem, kernels } = kernelContext();
  const placed = mem.place(X);
  const cPtr = mem.putF64(centers);
  const sPtr = mem.alloc(k * d * 8);
  const bPtr = mem.alloc(k * 8);
  const idxPtr = mem.alloc(batch * 4);
  const labPtr = mem.alloc(batch * 4);
  try {
    const weights = new Float64Array(k);
    const steps = Math.ceil((p.maxEpochs * n) / batch);
    const alpha = Math.min(1, (2 * batch) / (n + 1));
    let ewa = Number.NaN;
    let bestEwa = Number.POSITIVE_INFINITY;
    let noImprovement = 0;
    let step = 0;
    const cv = mem.f64(cPtr, k * d);
    const sums = mem.f64(sPtr, k * d);
    const bcount = mem.f64(bPtr, k);
    const idx = mem.i32(idxPtr, batch);
    for (; step < steps; step++) {
      for (let b = 0; b < batch; b++) idx[b] = randInt(rng, n);
      const inertia = kernels.mbAssign(placed.ptr, d, k, cPtr, idxPtr, batch, labPtr, sPtr, bPtr);
      for (let c = 0; c < k; c++) {
        if (!bcount[c]) continue;
        const w = weights[c] + bcount[c];
        for (let t = 0; t < d; t++) cv[c * d + t] = (cv[c * d + t] * weights[c] + sums[c * d + t]) / w;
        weights[c] = w;
      }
      // Centres that attract (almost) nothing move to random rows of the batch, every few steps.
      if (p.reassignmentRatio > 0 && step % (10 + Math.floor(k / 2)) === 0 && step > 0) {
        let maxW = 0;
        for (let c = 0; c < k; c++) if (weights[c] > maxW) maxW = weights[c];
        let minKept = Number.POSITIVE_INFINITY;
        for (let c = 0; c < k; c++)
          if (weights[c] >= p.reassignmentRatio * maxW && weights[c] < minKept) minKept = weights[c];
        for (let c = 0; c < k; c++) {
          if (weights[c] < p.reassignmentRatio * maxW) {
            const i = idx[randInt(rng, batch)];
            for (let t = 0; t < d; t++) cv[c * d + t] = placed.data[i * d + t];
            weights[c] = Number.isFinite(minKept) ? minKept : 1;
          }
        }
      }
      // The first step's inertia measures the seeding, not the updates: leave it out, as scikit-learn does.
      if (step === 0) continue;
      const batchInertia = inertia / batch;
      ewa = Number.isNaN(ewa) ? batchInertia : ewa * (1 - alpha) + batchInertia * alpha;
      if (ewa < bestEwa) {
        bestEwa = ewa;
        noImprovement = 0;
      } else if (++noImprovement >= p.maxNoImprovement) break;
    }
    return { centers: cv.slice(), steps: Math.min(step + 1, steps) };
  } finally {
    for (const ptr of [cPtr, sPtr, bPtr, idxPtr, labPtr]) mem.release(ptr);
    placed.done();
  }
}

/** Packs centres found by mini-batch steps with the full-data labels and inertia. */
export function miniBatchResult(
  X: Matrix,
  p: MiniBatchParams,
  centers: Float64Array,
  steps: number,
  labels: Int32Array,
  inertia: number,
): KMeansResult {
  const model: KMeansModel = {
    kind: 'kmeans',
    k: p.k,
    dim: X.cols,
    centers: Array.from(centers),
    inertia,
    nIter: steps,
    seed: p.seed,
  };
  return { model, labels, restarts: [{ seed: p.seed, inertia, nIter: steps }] };
}

/** What the mini-batch fit checks before it runs: a finite matrix, k from 1 to its rows, and whole, positive steps. */
function checkMiniBatchInput(fn: string, X: Matrix, p: MiniBatchParams): void {
  checkMatrix(fn, X);
  checkInteger(fn, 'k', p.k, 1, X.rows);
  checkInteger(fn, 'seed', p.seed, 0);
  checkInteger(fn, 'batchSize', p.batchSize, 1);
  checkInteger(fn, 'maxEpochs', p.maxEpochs, 1);
  checkInteger(fn, 'maxNoImprovement', p.maxNoImprovement, 1);
  checkInteger(fn, 'nInit', p.nInit, 1);
  checkNumber(fn, 'reassignmentRatio', p.reassignmentRatio, 0, 1);
}

/** Mini-batch k-means; the final full-data assignment is split over `exec`'s team when given. */
export function fitMiniBatchKMeans(X: Matrix, p: MiniBatchParams, exec?: Executor): KMeansResult {
  checkMiniBatchInput('fitMiniBatchKMeans', X, p);
  const { centers, steps } = miniBatchCenters(X, p);
  if (exec) {
    const { labels, inertia } = assignWith(X, centers, p.k, exec);
    return miniBatchResult(X, p, centers, steps, labels, inertia);
  }
  const labels = new Int32Array(X.rows);
  const inertia = assign(X, centers, p.k, labels);
  return miniBatchResult(X, p, centers, steps, labels, inertia);
}

/** fitMiniBatchKMeans that leaves this thread free during the full-data assignment. */
export async function fitMiniBatchKMeansAsync(
  X: Matrix,
  p: MiniBatchParams,
  exec: Executor,
): Promise<KMeansResult> {
  checkMiniBatchInput('fitMiniBatchKMeansAsync', X, p);
  const { centers, steps } = miniBatchCenters(X, p);
  const { labels, inertia } = await assignAsync(X, centers, p.k, exec);
  return miniBatchResult(X, p, centers, steps, labels, inertia);
}
