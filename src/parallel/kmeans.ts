import {
  type AssignRequest,
  allocState,
  assignSerial,
  type ChunkStat,
  chunkCount,
  stateBuffers,
} from '../cluster/kernels.js';
import {
  fitKMeans,
  type KMeansParams,
  type KMeansResult,
  kmeansPlusPlus,
  kmeansSteps,
  meanVariance,
} from '../cluster/kmeans.js';
import { type MiniBatchParams, miniBatchCenters, miniBatchResult } from '../cluster/minibatch.js';
import type { Matrix } from '../core/matrix.js';
import { createRng, deriveSeed } from '../core/rng.js';
import type { WorkerPool } from './pool.js';

let nextJob = 1;

/** Shares the matrix and the k-means state with every worker under a new job id (unload it after). */
async function loadJob(pool: WorkerPool, X: Matrix, k: number, state: ReturnType<typeof allocState>) {
  const job = nextJob++;
  await pool.broadcast({
    type: 'load',
    job,
    data: X.data.buffer as SharedArrayBuffer,
    rows: X.rows,
    cols: X.cols,
    k,
    state: stateBuffers(state) as SharedArrayBuffer[],
  });
  return job;
}

/** One assignment pass: the fixed chunks split into one contiguous run per worker, results in chunk order. */
async function passOverPool(
  pool: WorkerPool,
  job: number,
  rows: number,
  req: AssignRequest,
): Promise<ChunkStat[]> {
  const chunks = chunkCount(rows);
  const per = Math.ceil(chunks / pool.size);
  const replies = await Promise.all(
    Array.from({ length: pool.size }, (_, w) =>
      pool.call(w, {
        type: 'assign',
        job,
        fromChunk: Math.min(chunks, w * per),
        toChunk: Math.min(chunks, (w + 1) * per),
        req,
      }),
    ),
  );
  return replies.flatMap((r) => (r.type === 'assigned' ? r.parts : []));
}

/** X on a SharedArrayBuffer (copied once if it is not). */
export function sharedMatrix(X: Matrix): Matrix {
  if (X.data.buffer instanceof SharedArrayBuffer) return X;
  const data = new Float64Array(new SharedArrayBuffer(X.data.byteLength));
  data.set(X.data);
  return { rows: X.rows, cols: X.cols, data };
}

/** Below this much work per pass (rows x k x d) threads cost more than they save. */
const MIN_WORK = 2_000_000;

/**
 * k-means on a worker pool, with exactly the result of fitKMeans on one thread: restarts run side
 * by side, each on one worker; a single run splits every pass by row chunks whose partial sums are
 * combined in chunk order.
 */
export async function fitKMeansParallel(
  X0: Matrix,
  params: KMeansParams,
  pool: WorkerPool | null,
): Promise<KMeansResult> {
  const runs = params.init ? 1 : params.nInit;
  if (!pool || pool.size < 2 || X0.rows * params.k * X0.cols < MIN_WORK) return fitKMeans(X0, params);
  const X = sharedMatrix(X0);
  const algorithm = params.algorithm ?? 'hamerly';
  const tolAbs = params.tol * meanVariance(X);
  const state = allocState(X.rows, params.k, X.cols, true);
  const job = await loadJob(pool, X, params.k, state);
  try {
    const results: {
      seed: number;
      centers: Float64Array;
      labels: Int32Array;
      inertia: number;
      nIter: number;
    }[] = [];
    if (runs >= 2) {
      const perWorker = Array.from({ length: pool.size }, (_, w) => {
        const mine = [];
        for (let r = w; r < runs; r += pool.size) mine.push(r);
        return mine;
      });
      await Promise.all(
        perWorker.map(async (restarts, w) => {
          for (const r of restarts) {
            const seed = deriveSeed(params.seed, r);
            const reply = await pool.call(w, {
              type: 'restart',
              job,
              k: params.k,
              seed,
              maxIter: params.maxIter,
              tolAbs,
              algorithm,
            });
            if (reply.type !== 'restarted') throw new Error('unexpected worker reply');
            results[r] = {
              seed,
              centers: reply.centers,
              labels: reply.labels,
              inertia: reply.inertia,
              nIter: reply.nIter,
            };
          }
        }),
      );
    } else {
      const seed = deriveSeed(params.seed, 0);
      const centers = params.init
        ? Float64Array.from(params.init)
        : kmeansPlusPlus(X, params.k, createRng(seed));
      const steps = kmeansSteps(X, centers, params.k, params.maxIter, tolAbs, algorithm, state);
      const pass = (req: AssignRequest) => passOverPool(pool, job, X.rows, req);
      let r = steps.next(undefined as unknown as ChunkStat[]);
      while (!r.done) r = steps.next(await pass(r.value));
      results.push({
        seed,
        centers,
        labels: Int32Array.from(r.value.labels),
        inertia: r.value.inertia,
        nIter: r.value.nIter,
      });
    }
    let best = results[0];
    for (const r of results) if (r.inertia < best.inertia) best = r;
    return {
      model: {
        kind: 'kmeans',
        k: params.k,
        dim: X.cols,
        centers: Array.from(best.centers),
        inertia: best.inertia,
        nIter: best.nIter,
        seed: best.seed,
      },
      labels: best.labels,
      restarts: results.map((r) => ({ seed: r.seed, inertia: r.inertia, nIter: r.nIter })),
    };
  } finally {
    await pool.broadcast({ type: 'unload', job });
  }
}

/**
 * Nearest centre of every row and the total squared distance, split by row chunks over the pool
 * (one thread when there is no pool or little work). Same numbers either way.
 */
export async function assignParallel(
  X0: Matrix,
  centers: Float64Array,
  k: number,
  pool: WorkerPool | null,
): Promise<{ labels: Int32Array; inertia: number }> {
  const parallel = !!pool && pool.size > 1 && X0.rows * k * X0.cols >= MIN_WORK;
  const X = parallel ? sharedMatrix(X0) : X0;
  const state = allocState(X.rows, k, X.cols, parallel);
  const req: AssignRequest = {
    mode: 'lloyd',
    k,
    centers,
    half: new Float64Array(k),
    shift: new Float64Array(k),
    inertia: true,
  };
  let stats: ChunkStat[];
  if (!parallel || !pool) stats = assignSerial(X, req, state);
  else {
    const job = await loadJob(pool, X, k, state);
    try {
      stats = await passOverPool(pool, job, X.rows, req);
    } finally {
      await pool.broadcast({ type: 'unload', job });
    }
  }
  let inertia = 0;
  for (const s of stats) inertia += s.inertia;
  return { labels: Int32Array.from(state.labels), inertia };
}

/** Mini-batch k-means with the final full-data assignment split over the pool. */
export async function fitMiniBatchParallel(
  X: Matrix,
  p: MiniBatchParams,
  pool: WorkerPool | null,
): Promise<KMeansResult> {
  const { centers, steps } = miniBatchCenters(X, p);
  const { labels, inertia } = await assignParallel(X, centers, p.k, pool);
  return miniBatchResult(X, p, centers, steps, labels, inertia);
}
