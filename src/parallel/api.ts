import {
  fitKMeans as fitKMeansOn,
  type KMeansParams,
  type KMeansResult,
  MIN_PARALLEL_WORK,
} from '../cluster/kmeans.js';
import { fitMiniBatchKMeans as fitMiniBatchOn, type MiniBatchParams } from '../cluster/minibatch.js';
import type { Matrix } from '../core/matrix.js';
import { silhouetteScore as silhouetteOn } from '../metrics/quality.js';
import { resolveThreads, Team } from './team.js';

/** How many threads a library call may use: every core unless told otherwise. */
export interface ThreadOption {
  /** Worker threads for the heavy passes: a number, or `auto` (default) for every core. */
  threads?: number | 'auto';
}

/** A team when the work is worth threads (small inputs run on the calling thread). */
const teamIf = (threads: ThreadOption['threads'], work: number) =>
  work >= MIN_PARALLEL_WORK ? Team.get(resolveThreads(threads)) : null;

/**
 * k-means (greedy k-means++, nInit seeded restarts, Hamerly's bounds) on the WebAssembly SIMD
 * kernels and every core: restarts side by side, or a single run split by fixed row chunks. The
 * result is the same, bit for bit, on any number of threads and with either kernel set. Blocks the
 * calling thread until done (the workers share the data; nothing is posted per pass).
 */
export function fitKMeans(X: Matrix, params: KMeansParams & ThreadOption): KMeansResult {
  const team = teamIf(params.threads, X.rows * params.k * X.cols);
  return fitKMeansOn(X, params, team ?? undefined);
}

/** Mini-batch k-means (scikit-learn's MiniBatchKMeans); the final full-data assignment on every core. */
export function fitMiniBatchKMeans(X: Matrix, params: MiniBatchParams & ThreadOption): KMeansResult {
  const team = teamIf(params.threads, X.rows * params.k * X.cols);
  return fitMiniBatchOn(X, params, team ?? undefined);
}

/** The exact mean silhouette (each pair once, O(n k) memory), its row blocks on every core. */
export function silhouetteScore(X: Matrix, labels: Int32Array, k: number, opts: ThreadOption = {}): number {
  const team = X.rows >= 2000 ? Team.get(resolveThreads(opts.threads)) : null;
  return silhouetteOn(X, labels, k, team ?? undefined);
}
