import { SegmintError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import { createRng, deriveSeed, type Rng } from '../core/rng.js';
import { checkInteger, checkMatrix, checkNumber } from '../core/validate.js';
import {
  type Command,
  chunkCount,
  drive,
  driveAsync,
  type Executor,
  OP,
  type Steps,
  serialExecutor,
} from '../kernels/exec.js';
import { ASSIGN_MODE } from '../kernels/kernel-set.js';
import { type KernelContext, kernelContext } from '../kernels/kernels.js';
import { sqDistRows, sqd } from '../kernels/reference.js';
import {
  allocRestartSpaces,
  CHUNK_ROWS,
  type KppScratch,
  type KState,
  kppTrials,
  type RestartSpace,
  resetState,
  restartSpaceAt,
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

export type KMeansAlgorithm = 'lloyd' | 'hamerly';

export interface KMeansRunResult {
  labels: Int32Array;
  inertia: number;
  nIter: number;
}

/** A matrix whose data is in the kernel memory at `ptr`. */
export interface Placed {
  rows: number;
  cols: number;
  ptr: number;
}

/**
 * Squared Euclidean distance between row i of `a` and row j of `b` (both d wide), summed in the
 * kernels' order (see kernels/reference.ts).
 */
export const sqDist = sqDistRows;

/** Below this much work per pass (rows x k x d) threads cost more than they save. */
export const MIN_PARALLEL_WORK = 2_000_000;

/** Runs on this thread whatever the executor (for passes too small to share). */
const local = (cmd: Command): Command => ({ ...cmd, local: true });

function assignCommand(mode: number, X: Placed, s: KState, inertia: boolean): Command {
  return {
    op: OP.assign,
    args: [
      mode,
      X.ptr,
      X.rows,
      X.cols,
      s.k,
      s.centers,
      s.half,
      s.shift,
      s.labels,
      s.upper,
      s.lower,
      s.chunkSums,
      s.chunkCounts,
      s.chunkValid,
      inertia ? 1 : 0,
      s.stats,
    ],
  };
}

/**
 * Greedy k-means++ seeding as scikit-learn does it: the first centre uniformly at random, then
 * for each next centre 2 + floor(ln k) candidates drawn with probability proportional to the
 * squared distance to the nearest chosen centre, keeping the candidate that lowers the potential
 * most. The candidates' distances are one kernel command per step (split by rows over a team);
 * potentials are chunk sums added in chunk order. Writes the k x d centres at `centers`.
 */
export function* kmeansPlusPlusSteps(
  ctx: KernelContext,
  X: Placed,
  k: number,
  rng: Rng,
  kpp: KppScratch,
  centers: number,
  share: boolean,
): Steps<void> {
  const { rows: n, cols: d } = X;
  const { mem } = ctx;
  const chunks = chunkCount(n);
  const trials = kppTrials(k);
  const wrap = share ? (c: Command) => c : local;
  const row = (i: number) => mem.f64(X.ptr + i * d * 8, d);
  let first = Math.floor(rng() * n);
  if (first >= n) first = n - 1;
  mem.f64(centers, d).set(row(first));
  mem.f64(kpp.closest, n).fill(Number.POSITIVE_INFINITY);
  mem.f64(kpp.cands, d).set(row(first));
  yield wrap({
    op: OP.kpp,
    args: [X.ptr, n, d, kpp.cands, 1, kpp.closest, kpp.closest, kpp.partials],
  });
  const potOf = (t: number) => {
    const p = mem.f64(kpp.partials + t * chunks * 8, chunks);
    let s = 0;
    for (let c = 0; c < chunks; c++) s += p[c];
    return s;
  };
  let pot = potOf(0);
  const cand = new Int32Array(trials);
  const cum = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    // Draw the candidates: searchsorted on the running sum of `closest`.
    const closest = mem.f64(kpp.closest, n);
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
      mem.f64(kpp.cands + t * d * 8, d).set(row(lo));
    }
    yield wrap({
      op: OP.kpp,
      args: [X.ptr, n, d, kpp.cands, trials, kpp.closest, kpp.candDist, kpp.partials],
    });
    let best = -1;
    let bestPot = Number.POSITIVE_INFINITY;
    for (let t = 0; t < trials; t++) {
      const p = potOf(t);
      if (p < bestPot) {
        bestPot = p;
        best = t;
      }
    }
    mem.f64(kpp.closest, n).set(mem.f64(kpp.candDist + best * n * 8, n));
    pot = bestPot;
    mem.f64(centers + c * d * 8, d).set(row(cand[best]));
  }
}

/**
 * Mean of the per-feature variances (scikit-learn scales tol by it), as steps: column sums by
 * chunk, the mean, then squared deviations by chunk, each added in chunk order.
 */
export function* meanVarianceSteps(ctx: KernelContext, X: Placed, share: boolean): Steps<number> {
  const { rows: n, cols: d } = X;
  if (!n || !d) return 0;
  const { mem } = ctx;
  const chunks = chunkCount(n);
  const parts = mem.alloc(chunks * d * 8);
  const mean = mem.alloc(d * 8);
  const wrap = share ? (c: Command) => c : local;
  const total = () => {
    const p = mem.f64(parts, chunks * d);
    const out = new Float64Array(d);
    for (let c = 0; c < chunks; c++) for (let t = 0; t < d; t++) out[t] += p[c * d + t];
    return out;
  };
  try {
    yield wrap({ op: OP.colSums, args: [X.ptr, n, d, 0, parts] });
    const m = mem.f64(mean, d);
    m.set(total());
    for (let t = 0; t < d; t++) m[t] /= n;
    yield wrap({ op: OP.colSums, args: [X.ptr, n, d, mean, parts] });
    const v = total();
    let sum = 0;
    for (let t = 0; t < d; t++) sum += v[t] / n;
    return sum / d;
  } finally {
    mem.release(mean);
    mem.release(parts);
  }
}

/** Mean of the per-feature variances, on this thread. */
export function meanVariance(X: Matrix): number {
  const ctx = kernelContext();
  const placed = ctx.mem.place(X);
  try {
    return drive(
      meanVarianceSteps(ctx, { rows: X.rows, cols: X.cols, ptr: placed.ptr }, false),
      serialExecutor(ctx),
    );
  } finally {
    placed.done();
  }
}

/**
 * One k-means run from the centres at s.centers (updated in place), as steps that yield each
 * assignment pass. It follows scikit-learn's loop: assign with the old centres, recompute the
 * means (an empty cluster takes the point farthest from its centre), stop when no label changed or
 * the centres moved less than tolAbs in total (squared), then one last assignment so the labels
 * match the final centres. The labels returned are a view of s.labels.
 */
export function* kmeansSteps(
  ctx: KernelContext,
  X: Placed,
  maxIter: number,
  tolAbs: number,
  algorithm: KMeansAlgorithm,
  s: KState,
  share: boolean,
): Steps<KMeansRunResult> {
  const { mem } = ctx;
  const { k, d } = s;
  const n = X.rows;
  const chunks = chunkCount(n);
  const wrap = share ? (c: Command) => c : local;
  const sums = new Float64Array(k * d);
  const counts = new Float64Array(k);
  const hamerly = algorithm === 'hamerly';
  let it = 0;
  for (; it < maxIter; it++) {
    if (hamerly) halfDistances(ctx, s);
    const mode = hamerly ? (it === 0 ? ASSIGN_MODE['hamerly-init'] : ASSIGN_MODE.hamerly) : ASSIGN_MODE.lloyd;
    yield wrap(assignCommand(mode, X, s, false));
    let changed = combine(ctx, s, chunks, sums, counts);
    changed += relocateEmpty(ctx, X, s, sums, counts, hamerly);
    const centers = mem.f64(s.centers, k * d);
    const shift = mem.f64(s.shift, k);
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
  if (hamerly) halfDistances(ctx, s);
  yield wrap(assignCommand(hamerly ? ASSIGN_MODE.hamerly : ASSIGN_MODE.lloyd, X, s, true));
  const stats = mem.f64(s.stats, chunks * 2);
  let inertia = 0;
  for (let c = 0; c < chunks; c++) inertia += stats[c * 2 + 1];
  return { labels: mem.i32(s.labels, n), inertia, nIter: Math.min(it + 1, maxIter) };
}

/** Adds the chunks' sums and counts in chunk order; returns how many labels changed. */
function combine(
  ctx: KernelContext,
  s: KState,
  chunks: number,
  sums: Float64Array,
  counts: Float64Array,
): number {
  const { mem } = ctx;
  const kd = sums.length;
  const k = counts.length;
  const cs = mem.f64(s.chunkSums, chunks * kd);
  const cc = mem.f64(s.chunkCounts, chunks * k);
  const stats = mem.f64(s.stats, chunks * 2);
  sums.fill(0);
  counts.fill(0);
  let changed = 0;
  for (let c = 0; c < chunks; c++) {
    const so = c * kd;
    for (let j = 0; j < kd; j++) sums[j] += cs[so + j];
    const co = c * k;
    for (let j = 0; j < k; j++) counts[j] += cc[co + j];
    changed += stats[c * 2];
  }
  return changed;
}

/** Half the distance from each centre to its nearest other (Hamerly's test). */
function halfDistances(ctx: KernelContext, s: KState): void {
  const { k, d } = s;
  const centers = ctx.mem.f64(s.centers, k * d);
  const half = ctx.mem.f64(s.half, k);
  half.fill(Number.POSITIVE_INFINITY);
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      const h = Math.sqrt(sqDistRows(centers, a, centers, b, d)) / 2;
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
  ctx: KernelContext,
  X: Placed,
  s: KState,
  sums: Float64Array,
  counts: Float64Array,
  hamerly: boolean,
): number {
  const { k, d } = s;
  const empty: number[] = [];
  for (let c = 0; c < k; c++) if (counts[c] === 0) empty.push(c);
  if (!empty.length) return 0;
  const { mem } = ctx;
  const n = X.rows;
  const F = new Float64Array(mem.memory.buffer);
  const x0 = X.ptr >> 3;
  const c0 = s.centers >> 3;
  const labels = mem.i32(s.labels, n);
  const dist = new Float64Array(n);
  for (let i = 0; i < n; i++) dist[i] = sqd(F, x0 + i * d, c0 + labels[i] * d, d);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => dist[b] - dist[a] || a - b);
  const valid = mem.u8(s.chunkValid, chunkCount(n));
  const upper = mem.f64(s.upper, n);
  const lower = mem.f64(s.lower, n);
  let moved = 0;
  for (let e = 0; e < empty.length && e < order.length; e++) {
    const i = order[e];
    const from = labels[i];
    const to = empty[e];
    if (counts[from] <= 1) continue;
    for (let t = 0; t < d; t++) {
      sums[from * d + t] -= F[x0 + i * d + t];
      sums[to * d + t] = F[x0 + i * d + t];
    }
    counts[from]--;
    counts[to] = 1;
    labels[i] = to;
    valid[Math.floor(i / CHUNK_ROWS)] = 0;
    if (hamerly) {
      upper[i] = Number.POSITIVE_INFINITY;
      lower[i] = 0;
    }
    moved++;
  }
  return moved;
}

/** What one restart needs to know. */
export interface RestartJob {
  k: number;
  maxIter: number;
  tolAbs: number;
  algorithm: KMeansAlgorithm;
  init?: Float64Array | undefined;
}

/** One restart: k-means++ from `seed` (or the given start), then k-means to convergence. */
export function* restartSteps(
  ctx: KernelContext,
  X: Placed,
  job: RestartJob,
  seed: number,
  space: RestartSpace,
  share: boolean,
): Steps<KMeansRunResult> {
  const s = space.state;
  resetState(ctx.mem, s);
  if (job.init) ctx.mem.f64(s.centers, job.k * X.cols).set(job.init);
  else yield* kmeansPlusPlusSteps(ctx, X, job.k, createRng(seed), space.kpp, s.centers, share);
  return yield* kmeansSteps(ctx, X, job.maxIter, job.tolAbs, job.algorithm, s, share);
}

/** Layout of the restarts' results: per restart inertia, iterations and the k x d centres. */
export const restartResultStride = (k: number, d: number): number => 8 * (2 + k * d);

/**
 * k-means with greedy k-means++ and `nInit` seeded restarts; the restart with the lowest inertia
 * wins (the first one on ties). With a team, restarts run side by side (each on one worker), or a
 * single run splits every pass by row chunks; either way the result is the one thread's, bit for
 * bit. O(nInit * iter * n * k * d).
 */
function* fitSteps(ctx: KernelContext, X0: Matrix, params: KMeansParams, size: number): Steps<KMeansResult> {
  const { mem } = ctx;
  const { k } = params;
  const placed = mem.place(X0);
  const X: Placed = { rows: X0.rows, cols: X0.cols, ptr: placed.ptr };
  const d = X.cols;
  const runs = params.init ? 1 : params.nInit;
  const big = X.rows * k * d >= MIN_PARALLEL_WORK && size >= 2;
  const side = big && runs >= 2;
  let tolAbs: number;
  try {
    tolAbs = params.tol * (yield* meanVarianceSteps(ctx, X, big));
  } catch (e) {
    placed.done();
    throw e;
  }
  const spaces = allocRestartSpaces(mem, side ? size : 1, X.rows, k, d);
  const job: RestartJob = {
    k,
    maxIter: params.maxIter,
    tolAbs,
    algorithm: params.algorithm ?? 'hamerly',
    init: params.init,
  };
  const stride = restartResultStride(k, d);
  const results = side ? mem.alloc(stride * runs + 8 * size) : 0;
  try {
    const restarts: KMeansResult['restarts'] = [];
    let best = -1;
    let bestInertia = Number.POSITIVE_INFINITY;
    let bestLabels: Int32Array | null = null;
    let bestCenters: Float64Array | null = null;
    if (side) {
      yield {
        op: OP.restarts,
        args: [
          X.ptr,
          X.rows,
          d,
          k,
          params.seed,
          runs,
          job.maxIter,
          job.tolAbs,
          job.algorithm === 'hamerly' ? 1 : 0,
          spaces.base,
          spaces.stride,
          results,
        ],
      };
      for (let r = 0; r < runs; r++) {
        const res = mem.f64(results + r * stride, 2 + k * d);
        restarts.push({ seed: deriveSeed(params.seed, r), inertia: res[0], nIter: res[1] });
        if (res[0] < bestInertia) {
          bestInertia = res[0];
          best = r;
          bestCenters = res.slice(2);
        }
      }
      bestLabels = mem.i32(spaces.spaces[best % size].bestLabels, X.rows).slice();
    } else {
      for (let r = 0; r < runs; r++) {
        const seed = deriveSeed(params.seed, r);
        const res = yield* restartSteps(ctx, X, job, seed, spaces.spaces[0], big);
        restarts.push({ seed, inertia: res.inertia, nIter: res.nIter });
        if (res.inertia < bestInertia) {
          bestInertia = res.inertia;
          best = r;
          bestLabels = res.labels.slice();
          bestCenters = mem.f64(spaces.spaces[0].state.centers, k * d).slice();
        }
      }
    }
    const b = restarts[best];
    return {
      model: {
        kind: 'kmeans',
        k,
        dim: d,
        centers: Array.from(bestCenters!),
        inertia: b.inertia,
        nIter: b.nIter,
        seed: b.seed,
      },
      labels: bestLabels!,
      restarts,
    };
  } finally {
    if (results) mem.release(results);
    mem.release(spaces.base);
    placed.done();
  }
}

/**
 * The restarts of a `restarts` command that fall to worker w of `size` (r = w, w + size, ...),
 * each run on this thread; results go where fitSteps reads them, and the labels of this worker's
 * best restart to its space's bestLabels.
 */
export function runRestartsPart(ctx: KernelContext, args: number[], w: number, size: number): void {
  const [ptr, rows, cols, k, seed, runs, maxIter, tolAbs, alg, base, spaceStride, results] = args;
  const { mem } = ctx;
  const X: Placed = { rows, cols, ptr };
  const space = restartSpaceAt(base + w * spaceStride, rows, k, cols);
  const job: RestartJob = { k, maxIter, tolAbs, algorithm: alg === 1 ? 'hamerly' : 'lloyd' };
  const stride = restartResultStride(k, cols);
  const serial = serialExecutor(ctx);
  let bestInertia = Number.POSITIVE_INFINITY;
  for (let r = w; r < runs; r += size) {
    const res = drive(restartSteps(ctx, X, job, deriveSeed(seed, r), space, false), serial);
    const out = mem.f64(results + r * stride, 2 + k * cols);
    out[0] = res.inertia;
    out[1] = res.nIter;
    out.set(mem.f64(space.state.centers, k * cols), 2);
    if (res.inertia < bestInertia) {
      bestInertia = res.inertia;
      mem.i32(space.bestLabels, rows).set(res.labels);
    }
  }
}

/** k-means on this thread, or on `exec`'s team (the same result either way). */
/**
 * What fitKMeans checks before any kernel runs (scikit-learn's _check_params_vs_input): a finite
 * matrix, k from 1 to its rows, whole nInit and maxIter of at least 1, a tolerance of 0 or more,
 * a whole seed, an algorithm it knows, and initial centres of k x d finite values.
 */
export function checkKMeansInput(fn: string, X: Matrix, p: KMeansParams): void {
  checkMatrix(fn, X);
  checkInteger(fn, 'k', p.k, 1, X.rows);
  checkInteger(fn, 'nInit', p.nInit, 1);
  checkInteger(fn, 'maxIter', p.maxIter, 1);
  checkNumber(fn, 'tol', p.tol, 0);
  checkInteger(fn, 'seed', p.seed, 0);
  if (p.algorithm !== undefined && p.algorithm !== 'lloyd' && p.algorithm !== 'hamerly')
    throw new SegmintError(
      'INVALID_ARGUMENT',
      `${fn}: algorithm is "${String(p.algorithm)}"; it is lloyd or hamerly.`,
      {
        hint: 'Leave algorithm out (hamerly) or pass lloyd.',
      },
    );
  if (p.init) checkMatrix(fn, { rows: p.k, cols: X.cols, data: p.init }, 'init (k x d centres)');
}

export function fitKMeans(X: Matrix, params: KMeansParams, exec?: Executor): KMeansResult {
  checkKMeansInput('fitKMeans', X, params);
  const ctx = kernelContext();
  const ex = exec ?? serialExecutor(ctx);
  return drive(fitSteps(ctx, X, params, ex.size), ex);
}

/** fitKMeans that leaves this thread free while the team works. */
export async function fitKMeansAsync(
  X: Matrix,
  params: KMeansParams,
  exec?: Executor,
): Promise<KMeansResult> {
  checkKMeansInput('fitKMeansAsync', X, params);
  const ctx = kernelContext();
  const ex = exec ?? serialExecutor(ctx);
  return driveAsync(fitSteps(ctx, X, params, ex.size), ex);
}

/** Greedy k-means++ centres (k x d) for X, on this thread. */
export function kmeansPlusPlus(X: Matrix, k: number, rng: Rng): Float64Array {
  const ctx = kernelContext();
  const { mem } = ctx;
  const placed = mem.place(X);
  const spaces = allocRestartSpaces(mem, 1, X.rows, k, X.cols);
  try {
    const s = spaces.spaces[0];
    drive(
      kmeansPlusPlusSteps(
        ctx,
        { rows: X.rows, cols: X.cols, ptr: placed.ptr },
        k,
        rng,
        s.kpp,
        s.state.centers,
        false,
      ),
      serialExecutor(ctx),
    );
    return mem.f64(s.state.centers, k * X.cols).slice();
  } finally {
    mem.release(spaces.base);
    placed.done();
  }
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
  const ctx = kernelContext();
  const { mem } = ctx;
  const placed = mem.place(X);
  const spaces = allocRestartSpaces(mem, 1, X.rows, k, X.cols);
  try {
    const s = spaces.spaces[0].state;
    resetState(mem, s);
    mem.f64(s.centers, k * X.cols).set(centers);
    const r = drive(
      kmeansSteps(ctx, { rows: X.rows, cols: X.cols, ptr: placed.ptr }, maxIter, tolAbs, algorithm, s, false),
      serialExecutor(ctx),
    );
    centers.set(mem.f64(s.centers, k * X.cols));
    return { ...r, labels: r.labels.slice() };
  } finally {
    mem.release(spaces.base);
    placed.done();
  }
}

/**
 * Nearest centre of every row as steps (one Lloyd pass with the inertia), split by rows when
 * `share`: labels and squared distances, and the inertia added in chunk order.
 */
function* assignSteps(
  ctx: KernelContext,
  X0: Matrix,
  centers: ArrayLike<number>,
  k: number,
  share: boolean,
): Steps<{ labels: Int32Array; sqDist: Float64Array; inertia: number }> {
  const { mem } = ctx;
  const placed = mem.place(X0);
  const X: Placed = { rows: X0.rows, cols: X0.cols, ptr: placed.ptr };
  const spaces = allocRestartSpaces(mem, 1, X.rows, k, X.cols);
  try {
    const s = spaces.spaces[0].state;
    resetState(mem, s);
    mem.f64(s.centers, k * X.cols).set(centers);
    const cmd = assignCommand(ASSIGN_MODE.lloyd, X, s, true);
    yield share ? cmd : local(cmd);
    const chunks = chunkCount(X.rows);
    const stats = mem.f64(s.stats, chunks * 2);
    let inertia = 0;
    for (let c = 0; c < chunks; c++) inertia += stats[c * 2 + 1];
    return {
      labels: mem.i32(s.labels, X.rows).slice(),
      sqDist: mem.f64(s.upper, X.rows).slice(),
      inertia,
    };
  } finally {
    mem.release(spaces.base);
    placed.done();
  }
}

/** Nearest centre of each row; returns the inertia. Writes labels and (optionally) squared distances. */
export function assign(
  X: Matrix,
  centers: Float64Array | number[],
  k: number,
  labels: Int32Array,
  dist?: Float64Array,
): number {
  const ctx = kernelContext();
  const r = drive(assignSteps(ctx, X, centers, k, false), serialExecutor(ctx));
  labels.set(r.labels);
  if (dist) dist.set(r.sqDist);
  return r.inertia;
}

/** Whether a pass over X with k centres is worth splitting over exec's team. */
const worthSharing = (X: Matrix, k: number, exec: Executor): boolean =>
  exec.size > 1 && X.rows * k * X.cols >= MIN_PARALLEL_WORK;

/** assign split over a team's workers when the work is large enough; the same numbers either way. */
export function assignAsync(
  X: Matrix,
  centers: Float64Array,
  k: number,
  exec: Executor,
): Promise<{ labels: Int32Array; inertia: number }> {
  return driveAsync(assignSteps(kernelContext(), X, centers, k, worthSharing(X, k, exec)), exec);
}

/** assign on a team, blocking this thread. */
export function assignWith(
  X: Matrix,
  centers: Float64Array,
  k: number,
  exec: Executor,
): { labels: Int32Array; inertia: number } {
  return drive(assignSteps(kernelContext(), X, centers, k, worthSharing(X, k, exec)), exec);
}

/** Nearest centre for each row of X. */
/** Up to this many row-centre pairs are scored here, without the kernels' memory (the API scores one row a call). */
export const SMALL_PREDICT = 4096;

/**
 * The nearest centre of a few rows, in the kernels' own arithmetic (sqDistRows sums as they do; the
 * first of equal distances wins, as there), so the labels and distances are the same bits.
 */
function predictSmall(
  model: Pick<KMeansModel, 'centers' | 'k'>,
  X: Matrix,
): { labels: Int32Array; distances: Float64Array } {
  const { rows: n, cols: d, data } = X;
  const labels = new Int32Array(n);
  const distances = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let d1 = Number.POSITIVE_INFINITY;
    let b1 = 0;
    for (let c = 0; c < model.k; c++) {
      const s = sqDistRows(data, i, model.centers, c, d);
      if (s < d1) {
        d1 = s;
        b1 = c;
      }
    }
    labels[i] = b1;
    distances[i] = Math.sqrt(d1);
  }
  return { labels, distances };
}

export function predictKMeans(
  model: Pick<KMeansModel, 'centers' | 'k'>,
  X: Matrix,
): { labels: Int32Array; distances: Float64Array } {
  if (X.rows * model.k <= SMALL_PREDICT) return predictSmall(model, X);
  const ctx = kernelContext();
  const r = drive(assignSteps(ctx, X, model.centers, model.k, false), serialExecutor(ctx));
  const distances = r.sqDist;
  for (let i = 0; i < distances.length; i++) distances[i] = Math.sqrt(distances[i]);
  return { labels: r.labels, distances };
}

/** Distance of every row to every centre (scikit-learn's transform): n x k, row-major. */
export function transformKMeans(model: Pick<KMeansModel, 'centers' | 'k'>, X: Matrix): Matrix {
  const { rows: n, cols: d, data } = X;
  const out = { rows: n, cols: model.k, data: new Float64Array(n * model.k) };
  for (let i = 0; i < n; i++)
    for (let c = 0; c < model.k; c++)
      out.data[i * model.k + c] = Math.sqrt(sqDistRows(data, i, model.centers, c, d));
  return out;
}
