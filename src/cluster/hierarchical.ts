import type { Matrix } from '../core/matrix.js';

export const LINKAGES = ['ward', 'complete', 'average', 'single'] as const;
export type Linkage = (typeof LINKAGES)[number];

/** complete and average linkage keep all pairwise distances: n(n-1)/2 doubles. */
export const MAX_CONDENSED_ROWS = 12000;

interface Merge {
  a: number;
  b: number;
  dist: number;
}

/**
 * Agglomerative clustering as SciPy's `linkage`: returns the (n-1) x 4 linkage matrix Z, row-major,
 * each row [cluster a, cluster b, distance, size]; points are 0..n-1 and the cluster made by row i
 * is n + i; rows sorted by distance; a < b.
 *
 * - ward: nearest-neighbour chain on cluster centroids and sizes, O(n) extra memory, O(n^2 d) time
 *   (Ward distance sqrt(2 |A||B| / (|A|+|B|)) ||cA - cB||, as SciPy's Lance-Williams update).
 *   Optional `weights` give each row a size (a micro-cluster standing for that many points).
 * - complete, average: nearest-neighbour chain on the condensed distance matrix, O(n^2) memory
 *   (at most MAX_CONDENSED_ROWS rows; the caller checks).
 * - single: Prim's minimum spanning tree, O(n) memory.
 */
export function linkage(X: Matrix, method: Linkage, weights?: Float64Array): Float64Array {
  const n = X.rows;
  if (n < 2) return new Float64Array(0);
  const sizes = weights ? Float64Array.from(weights) : new Float64Array(n).fill(1);
  const merges =
    method === 'ward'
      ? nnChainWard(X, Float64Array.from(sizes))
      : method === 'single'
        ? mstSingle(X)
        : nnChainCondensed(X, method);
  return labelMerges(merges, n, sizes);
}

function nnChainWard(X: Matrix, size: Float64Array): Merge[] {
  const { rows: n, cols: d } = X;
  const cent = Float64Array.from(X.data.subarray(0, n * d));
  const active = Int32Array.from({ length: n }, (_, i) => i);
  let nActive = n;
  const chain = new Int32Array(n);
  let len = 0;
  const merges: Merge[] = [];
  // Squared Ward distance between slots a and b.
  const dist2 = (a: number, b: number): number => {
    let s = 0;
    const ao = a * d;
    const bo = b * d;
    for (let t = 0; t < d; t++) {
      const e = cent[ao + t] - cent[bo + t];
      s += e * e;
    }
    const na = size[a];
    const nb = size[b];
    return ((2 * na * nb) / (na + nb)) * s;
  };
  for (let step = 0; step < n - 1; step++) {
    if (len === 0) chain[len++] = active[0];
    let x: number;
    let y: number;
    let cur: number;
    for (;;) {
      x = chain[len - 1];
      if (len > 1) {
        y = chain[len - 2];
        cur = dist2(x, y);
      } else {
        y = -1;
        cur = Number.POSITIVE_INFINITY;
      }
      const xo = x * d;
      const nx = size[x];
      for (let j = 0; j < nActive; j++) {
        const i = active[j];
        if (i === x) continue;
        const io = i * d;
        let s = 0;
        for (let t = 0; t < d; t++) {
          const e = cent[xo + t] - cent[io + t];
          s += e * e;
        }
        const ni = size[i];
        const dd = ((2 * nx * ni) / (nx + ni)) * s;
        if (dd < cur) {
          cur = dd;
          y = i;
        }
      }
      if (len > 1 && y === chain[len - 2]) break;
      chain[len++] = y;
    }
    len -= 2;
    merges.push({ a: x, b: y, dist: Math.sqrt(cur) });
    // The merged cluster lives on in slot y (as in SciPy); slot x goes.
    const nx = size[x];
    const ny = size[y];
    const nt = nx + ny;
    for (let t = 0; t < d; t++) cent[y * d + t] = (cent[x * d + t] * nx + cent[y * d + t] * ny) / nt;
    size[y] = nt;
    size[x] = 0;
    const pos = lowerBound(active, nActive, x);
    active.copyWithin(pos, pos + 1, nActive);
    nActive--;
  }
  return merges;
}

function lowerBound(a: Int32Array, len: number, v: number): number {
  let lo = 0;
  let hi = len;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of pair (i, j), i < j, in a condensed distance matrix of n points. */
const condensed = (n: number, i: number, j: number): number =>
  i < j ? n * i - (i * (i + 1)) / 2 + j - i - 1 : n * j - (j * (j + 1)) / 2 + i - j - 1;

function nnChainCondensed(X: Matrix, method: 'complete' | 'average'): Merge[] {
  const { rows: n, cols: d, data } = X;
  const D = new Float64Array((n * (n - 1)) / 2);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) {
        const e = data[i * d + t] - data[j * d + t];
        s += e * e;
      }
      D[condensed(n, i, j)] = Math.sqrt(s);
    }
  }
  const size = new Float64Array(n).fill(1);
  const chain = new Int32Array(n);
  let len = 0;
  const merges: Merge[] = [];
  for (let step = 0; step < n - 1; step++) {
    if (len === 0) {
      for (let i = 0; i < n; i++) {
        if (size[i] > 0) {
          chain[len++] = i;
          break;
        }
      }
    }
    let x: number;
    let y: number;
    let cur: number;
    for (;;) {
      x = chain[len - 1];
      if (len > 1) {
        y = chain[len - 2];
        cur = D[condensed(n, x, y)];
      } else {
        y = -1;
        cur = Number.POSITIVE_INFINITY;
      }
      for (let i = 0; i < n; i++) {
        if (size[i] === 0 || i === x) continue;
        const dd = D[condensed(n, x, i)];
        if (dd < cur) {
          cur = dd;
          y = i;
        }
      }
      if (len > 1 && y === chain[len - 2]) break;
      chain[len++] = y;
    }
    len -= 2;
    merges.push({ a: x, b: y, dist: cur });
    const nx = size[x];
    const ny = size[y];
    size[x] = 0;
    size[y] = nx + ny;
    for (let i = 0; i < n; i++) {
      if (size[i] === 0 || i === y) continue;
      const dx = D[condensed(n, i, x)];
      const dy = D[condensed(n, i, y)];
      D[condensed(n, i, y)] = method === 'complete' ? Math.max(dx, dy) : (nx * dx + ny * dy) / (nx + ny);
    }
  }
  return merges;
}

function mstSingle(X: Matrix): Merge[] {
  const { rows: n, cols: d, data } = X;
  const D = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const merged = new Uint8Array(n);
  const merges: Merge[] = [];
  let x = 0;
  for (let step = 0; step < n - 1; step++) {
    merged[x] = 1;
    let cur = Number.POSITIVE_INFINITY;
    let y = -1;
    for (let i = 0; i < n; i++) {
      if (merged[i]) continue;
      let s = 0;
      for (let t = 0; t < d; t++) {
        const e = data[x * d + t] - data[i * d + t];
        s += e * e;
      }
      const dist = Math.sqrt(s);
      if (D[i] > dist) D[i] = dist;
      if (D[i] < cur) {
        cur = D[i];
        y = i;
      }
    }
    merges.push({ a: x, b: y, dist: cur });
    x = y;
  }
  return merges;
}

/** Sorts merges by distance (stable) and numbers the clusters as SciPy does, with a union-find. */
function labelMerges(merges: Merge[], n: number, sizes: Float64Array): Float64Array {
  const order = merges.map((_, i) => i).sort((p, q) => merges[p].dist - merges[q].dist || p - q);
  const parent = new Int32Array(2 * n - 1).map((_, i) => i);
  const size = new Float64Array(2 * n - 1);
  size.set(sizes);
  const find = (v: number): number => {
    let r = v;
    while (parent[r] !== r) r = parent[r];
    while (parent[v] !== r) {
      const next = parent[v];
      parent[v] = r;
      v = next;
    }
    return r;
  };
  const Z = new Float64Array((n - 1) * 4);
  order.forEach((m, row) => {
    const ra = find(merges[m].a);
    const rb = find(merges[m].b);
    const id = n + row;
    parent[ra] = id;
    parent[rb] = id;
    size[id] = size[ra] + size[rb];
    Z[row * 4] = Math.min(ra, rb);
    Z[row * 4 + 1] = Math.max(ra, rb);
    Z[row * 4 + 2] = merges[m].dist;
    Z[row * 4 + 3] = size[id];
  });
  return Z;
}

/**
 * Cuts a linkage matrix into k flat clusters (the first n - k merges), labelled 0..k-1 in order of
 * each cluster's lowest point index.
 */
export function cutTree(Z: Float64Array, n: number, k: number): Int32Array {
  const parent = new Int32Array(2 * n - 1).map((_, i) => i);
  const find = (v: number): number => {
    while (parent[v] !== v) {
      parent[v] = parent[parent[v]];
      v = parent[v];
    }
    return v;
  };
  const merges = Math.max(0, n - Math.max(1, k));
  for (let row = 0; row < merges; row++) {
    const id = n + row;
    parent[find(Z[row * 4])] = id;
    parent[find(Z[row * 4 + 1])] = id;
  }
  const labels = new Int32Array(n);
  const map = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const r = find(i);
    let l = map.get(r);
    if (l === undefined) {
      l = map.size;
      map.set(r, l);
    }
    labels[i] = l;
  }
  return labels;
}

/** Means of the rows of each cluster, k x d. */
export function clusterMeans(X: Matrix, labels: Int32Array, k: number, weights?: Float64Array): Float64Array {
  const d = X.cols;
  const sums = new Float64Array(k * d);
  const w = new Float64Array(k);
  for (let i = 0; i < X.rows; i++) {
    const c = labels[i];
    const wi = weights ? weights[i] : 1;
    w[c] += wi;
    for (let t = 0; t < d; t++) sums[c * d + t] += wi * X.data[i * d + t];
  }
  for (let c = 0; c < k; c++) for (let t = 0; t < d; t++) sums[c * d + t] = w[c] ? sums[c * d + t] / w[c] : 0;
  return sums;
}

/** The top `levels` merges of a linkage matrix, for drawing a dendrogram. */
export function dendrogramTop(
  Z: Float64Array,
  n: number,
  levels = 50,
): { merges: { a: number; b: number; height: number; size: number }[]; n: number } {
  const rows = Z.length / 4;
  const from = Math.max(0, rows - levels);
  const merges = [];
  for (let r = from; r < rows; r++)
    merges.push({ a: Z[r * 4], b: Z[r * 4 + 1], height: Z[r * 4 + 2], size: Z[r * 4 + 3] });
  return { merges, n };
}
