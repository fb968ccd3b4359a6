import { maxOf, minOf } from '../core/arrays.js';
import type { Matrix } from '../core/matrix.js';
import { checkLabels, checkMatrix } from '../core/validate.js';
import { drive, driveAsync, type Executor, OP, type Steps, serialExecutor } from '../kernels/exec.js';
import { kernelContext } from '../kernels/kernels.js';

/**
 * Row blocks of the silhouette's pair loop, fixed by n alone (not by the thread count) and holding
 * about equal numbers of pairs, so one thread or many add the same numbers in the same order.
 */
export function silhouetteBlocks(n: number, blocks = 4): number[] {
  const total = (n * (n - 1)) / 2;
  const bounds = [0];
  let acc = 0;
  let next = 1;
  for (let i = 0; i < n && next < blocks; i++) {
    acc += n - 1 - i;
    if (acc >= (total * next) / blocks) {
      bounds.push(i + 1);
      next++;
    }
  }
  while (bounds.length < blocks) bounds.push(n);
  bounds.push(n);
  return bounds;
}

/** The mean silhouette from per-row sums of distances to each cluster (n x k). */
export function silhouetteFromSums(sums: Float64Array, labels: Int32Array, k: number): number {
  const values = silhouetteValues(sums, labels, k);
  let total = 0;
  for (const v of values) total += v;
  return total / labels.length;
}

/** Each row's silhouette from per-row sums of distances to each cluster (n x k); singletons 0. */
export function silhouetteValues(sums: Float64Array, labels: Int32Array, k: number): Float64Array {
  const n = labels.length;
  const sizes = new Float64Array(k);
  for (let i = 0; i < n; i++) sizes[labels[i]]++;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const own = labels[i];
    if (sizes[own] <= 1) continue;
    const a = sums[i * k + own] / (sizes[own] - 1);
    let b = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      if (c === own || sizes[c] === 0) continue;
      const m = sums[i * k + c] / sizes[c];
      if (m < b) b = m;
    }
    const mx = Math.max(a, b);
    out[i] = mx > 0 ? (b - a) / mx : 0;
  }
  return out;
}

/** Whether at least two clusters are non-empty (the silhouette is defined). */
export function silhouetteDefined(labels: Int32Array, k: number): boolean {
  const seen = new Uint8Array(k);
  let used = 0;
  for (const l of labels) {
    if (!seen[l]) {
      seen[l] = 1;
      if (++used >= 2) return true;
    }
  }
  return false;
}

/**
 * Per-row sums of distances to each cluster (n x k) as steps: the pair loop in the fixed row
 * blocks `bounds`, each block into its own buffer (split over a team when `share`), the buffers
 * then added in block order, so the sums do not depend on the thread count.
 */
function* silhouetteSums(
  X: Matrix,
  labels: Int32Array,
  k: number,
  bounds: number[],
  share: boolean,
): Steps<Float64Array> {
  const { mem } = kernelContext();
  const n = X.rows;
  const blocks = bounds.length - 1;
  const placed = mem.place(X);
  const lab = mem.putI32(labels);
  const bnd = mem.putI32(bounds);
  const stride = n * k * 8;
  const outs = mem.calloc(stride * blocks);
  try {
    yield {
      op: OP.silhouette,
      args: [placed.ptr, n, X.cols, lab, k, bnd, blocks, outs, stride],
      local: !share,
    };
    const sums = new Float64Array(n * k);
    for (let b = 0; b < blocks; b++) {
      const part = mem.f64(outs + b * stride, n * k);
      for (let j = 0; j < sums.length; j++) sums[j] += part[j];
    }
    return sums;
  } finally {
    for (const p of [outs, bnd, lab]) mem.release(p);
    placed.done();
  }
}

/** Threads pay off for the silhouette from this many rows. */
const MIN_PARALLEL_ROWS = 2000;

/**
 * Mean silhouette coefficient, exact: each pair measured once, O(n^2 d) time and O(n k) extra
 * memory per block (never the n x n matrix). Singletons score 0 (as scikit-learn). NaN when fewer
 * than two clusters are used. With `exec`, the blocks are shared by its team; same value.
 */
export function silhouetteScore(X: Matrix, labels: Int32Array, k: number, exec?: Executor): number {
  checkMatrix('silhouetteScore', X);
  checkLabels('silhouetteScore', X, labels, k);
  if (!silhouetteDefined(labels, k)) return Number.NaN;
  const ex = exec ?? serialExecutor(kernelContext());
  const share = ex.size > 1 && X.rows >= MIN_PARALLEL_ROWS;
  return silhouetteFromSums(
    drive(silhouetteSums(X, labels, k, silhouetteBlocks(X.rows), share), ex),
    labels,
    k,
  );
}

/** silhouetteScore that leaves this thread free while the team works. */
export async function silhouetteScoreAsync(
  X: Matrix,
  labels: Int32Array,
  k: number,
  exec: Executor,
): Promise<number> {
  checkMatrix('silhouetteScoreAsync', X);
  checkLabels('silhouetteScoreAsync', X, labels, k);
  if (!silhouetteDefined(labels, k)) return Number.NaN;
  const share = exec.size > 1 && X.rows >= MIN_PARALLEL_ROWS;
  const sums = await driveAsync(silhouetteSums(X, labels, k, silhouetteBlocks(X.rows), share), exec);
  return silhouetteFromSums(sums, labels, k);
}

/** Silhouette of every row (scikit-learn's silhouette_samples), O(n k) extra memory. */
export function silhouetteSamples(X: Matrix, labels: Int32Array, k: number): Float64Array {
  const sums = drive(silhouetteSums(X, labels, k, [0, X.rows], false), serialExecutor(kernelContext()));
  return silhouetteValues(sums, labels, k);
}

function centroids(X: Matrix, labels: Int32Array, k: number): { centers: Float64Array; sizes: Float64Array } {
  const { rows: n, cols: d, data } = X;
  const centers = new Float64Array(k * d);
  const sizes = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    sizes[c]++;
    for (let t = 0; t < d; t++) centers[c * d + t] += data[i * d + t];
  }
  for (let c = 0; c < k; c++) for (let t = 0; t < d; t++) if (sizes[c]) centers[c * d + t] /= sizes[c];
  return { centers, sizes };
}

/** Calinski-Harabasz index (variance ratio criterion), as scikit-learn. */
export function calinskiHarabasz(X: Matrix, labels: Int32Array, k: number): number {
  const { rows: n, cols: d, data } = X;
  const { centers, sizes } = centroids(X, labels, k);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) mean[t] += data[i * d + t] / n;
  let between = 0;
  let within = 0;
  for (let c = 0; c < k; c++) {
    for (let t = 0; t < d; t++) {
      const e = centers[c * d + t] - mean[t];
      between += sizes[c] * e * e;
    }
  }
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    for (let t = 0; t < d; t++) {
      const e = data[i * d + t] - centers[c * d + t];
      within += e * e;
    }
  }
  return within === 0 ? 1 : (between * (n - k)) / (within * (k - 1));
}

/** Davies-Bouldin index (lower is better), as scikit-learn. */
export function daviesBouldin(X: Matrix, labels: Int32Array, k: number): number {
  const { rows: n, cols: d, data } = X;
  const { centers, sizes } = centroids(X, labels, k);
  const scatter = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    let s = 0;
    for (let t = 0; t < d; t++) {
      const e = data[i * d + t] - centers[c * d + t];
      s += e * e;
    }
    scatter[c] += Math.sqrt(s);
  }
  for (let c = 0; c < k; c++) if (sizes[c]) scatter[c] /= sizes[c];
  let total = 0;
  for (let a = 0; a < k; a++) {
    let worst = 0;
    for (let b = 0; b < k; b++) {
      if (a === b) continue;
      let s = 0;
      for (let t = 0; t < d; t++) {
        const e = centers[a * d + t] - centers[b * d + t];
        s += e * e;
      }
      const dist = Math.sqrt(s);
      const r = dist === 0 ? 0 : (scatter[a] + scatter[b]) / dist;
      if (r > worst) worst = r;
    }
    total += worst;
  }
  return total / k;
}

/**
 * Kneedle knee of a decreasing convex curve (inertia against k): the point farthest above the
 * straight line from the first to the last point, both axes scaled to [0, 1]. Returns the index,
 * or -1 when the curve has fewer than 3 points or no bend.
 */
export function kneeIndex(x: readonly number[], y: readonly number[]): number {
  if (x.length < 3) return -1;
  const x0 = x[0];
  const x1 = x[x.length - 1];
  const yMin = minOf(y);
  const yMax = maxOf(y);
  if (x1 === x0 || yMax === yMin) return -1;
  let best = -1;
  let bestDiff = 0;
  for (let i = 0; i < x.length; i++) {
    const xn = (x[i] - x0) / (x1 - x0);
    const yn = 1 - (y[i] - yMin) / (yMax - yMin);
    const diff = yn - xn;
    if (diff > bestDiff + 1e-12) {
      bestDiff = diff;
      best = i;
    }
  }
  return best;
}

/** Adjusted Rand index between two labelings of the same rows (Hubert & Arabie 1985), as scikit-learn. */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n !== b.length) throw new Error('adjustedRandIndex: labelings differ in length');
  const ka = new Map<number, number>();
  const kb = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    if (!ka.has(a[i])) ka.set(a[i], ka.size);
    if (!kb.has(b[i])) kb.set(b[i], kb.size);
  }
  const ra = ka.size;
  const rb = kb.size;
  const table = new Float64Array(ra * rb);
  const rowSum = new Float64Array(ra);
  const colSum = new Float64Array(rb);
  for (let i = 0; i < n; i++) {
    const x = ka.get(a[i])!;
    const y = kb.get(b[i])!;
    table[x * rb + y]++;
    rowSum[x]++;
    colSum[y]++;
  }
  const c2 = (v: number) => (v * (v - 1)) / 2;
  let sumComb = 0;
  for (const v of table) sumComb += c2(v);
  let sumA = 0;
  for (const v of rowSum) sumA += c2(v);
  let sumB = 0;
  for (const v of colSum) sumB += c2(v);
  const total = c2(n);
  const expected = total ? (sumA * sumB) / total : 0;
  const max = (sumA + sumB) / 2;
  // Identical trivial partitions (one cluster each, or all singletons) agree perfectly.
  if (max === expected) return 1;
  return (sumComb - expected) / (max - expected);
}

/** Within-cluster sum of squared distances to the cluster means. */
export function withinSS(X: Matrix, labels: Int32Array, centers: ArrayLike<number>): number {
  const { rows: n, cols: d, data } = X;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const co = labels[i] * d;
    for (let t = 0; t < d; t++) {
      const e = data[i * d + t] - centers[co + t];
      s += e * e;
    }
  }
  return s;
}
