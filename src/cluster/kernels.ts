import type { Matrix } from '../core/matrix.js';

/**
 * Row-chunk kernels of k-means. A pass over the data is split into fixed chunks of CHUNK_ROWS
 * rows whose partial sums are combined in chunk order, so a run gives bit-identical results on
 * one thread or many.
 */
export const CHUNK_ROWS = 8192;

export const chunkCount = (rows: number): number => Math.max(1, Math.ceil(rows / CHUNK_ROWS));

/** Per-row state kept between iterations; on SharedArrayBuffers when workers share them. */
export interface KState {
  labels: Int32Array;
  /** Lloyd: squared distance to the nearest centre. Hamerly: upper bound of the distance to the assigned centre. */
  upper: Float64Array;
  /** Hamerly: lower bound of the distance to the second-nearest centre. */
  lower: Float64Array;
}

export type AssignMode = 'lloyd' | 'hamerly-init' | 'hamerly';

export interface AssignRequest {
  mode: AssignMode;
  k: number;
  /** Current centres, k x d. */
  centers: Float64Array;
  /** Hamerly: half the distance from each centre to its nearest other centre. */
  half: Float64Array;
  /** Hamerly: how far each centre moved since the last assignment. */
  shift: Float64Array;
  /** Also sum the exact squared distances of each row to its centre (the inertia). */
  inertia: boolean;
}

export interface ChunkResult {
  sums: Float64Array;
  counts: Float64Array;
  changed: number;
  inertia: number;
}

function allocState(rows: number, shared: boolean): KState {
  const mk = (bytes: number) =>
    shared && typeof SharedArrayBuffer !== 'undefined'
      ? new SharedArrayBuffer(bytes)
      : new ArrayBuffer(bytes);
  const labels = new Int32Array(mk(rows * 4));
  labels.fill(-1);
  return { labels, upper: new Float64Array(mk(rows * 8)), lower: new Float64Array(mk(rows * 8)) };
}

export { allocState };

/**
 * Assigns rows [start, end) for one k-means iteration and accumulates that chunk's sums and
 * counts. Lloyd searches every centre; Hamerly's bounds (Hamerly 2010, "Making k-means even
 * faster") skip the search whenever the assigned centre is provably still the nearest, which
 * gives the same labels as Lloyd from the same centres.
 */
export function assignChunk(
  X: Matrix,
  start: number,
  end: number,
  req: AssignRequest,
  state: KState,
  out: ChunkResult,
): void {
  const { cols: d, data } = X;
  const { k, centers, mode } = req;
  const { labels, upper, lower } = state;
  const sums = out.sums;
  const counts = out.counts;
  let changed = 0;
  let inertia = 0;
  let pMax = 0;
  let pMax2 = 0;
  let pArg = -1;
  if (mode === 'hamerly') {
    for (let c = 0; c < k; c++) {
      const p = req.shift[c];
      if (p > pMax) {
        pMax2 = pMax;
        pMax = p;
        pArg = c;
      } else if (p > pMax2) pMax2 = p;
    }
  }
  for (let i = start; i < end; i++) {
    const xo = i * d;
    let a = labels[i];
    let search = true;
    if (mode === 'hamerly') {
      let u = upper[i] + req.shift[a];
      const l = lower[i] - (a === pArg ? pMax2 : pMax);
      const h = req.half[a];
      const m = l > h ? l : h;
      if (u > m) {
        let s = 0;
        const co = a * d;
        for (let t = 0; t < d; t++) {
          const e = data[xo + t] - centers[co + t];
          s += e * e;
        }
        u = Math.sqrt(s);
        search = u > m;
      } else search = false;
      upper[i] = u;
      lower[i] = l;
    }
    if (search) {
      let b1 = 0;
      let d1 = Number.POSITIVE_INFINITY;
      let d2 = Number.POSITIVE_INFINITY;
      for (let c = 0; c < k; c++) {
        const co = c * d;
        let s = 0;
        for (let t = 0; t < d; t++) {
          const e = data[xo + t] - centers[co + t];
          s += e * e;
        }
        if (s < d1) {
          d2 = d1;
          d1 = s;
          b1 = c;
        } else if (s < d2) d2 = s;
      }
      if (b1 !== a) {
        changed++;
        a = b1;
        labels[i] = a;
      }
      if (mode === 'lloyd') upper[i] = d1;
      else {
        upper[i] = Math.sqrt(d1);
        lower[i] = Math.sqrt(d2);
      }
    }
    counts[a]++;
    const so = a * d;
    for (let t = 0; t < d; t++) sums[so + t] += data[xo + t];
    if (req.inertia) {
      let s = 0;
      for (let t = 0; t < d; t++) {
        const e = data[xo + t] - centers[so + t];
        s += e * e;
      }
      inertia += s;
    }
  }
  out.changed += changed;
  out.inertia += inertia;
}

export function newChunkResult(k: number, d: number): ChunkResult {
  return { sums: new Float64Array(k * d), counts: new Float64Array(k), changed: 0, inertia: 0 };
}

/** Runs one assignment over every chunk on this thread. */
export function assignSerial(X: Matrix, req: AssignRequest, state: KState): ChunkResult[] {
  const n = chunkCount(X.rows);
  const out: ChunkResult[] = [];
  for (let c = 0; c < n; c++) {
    const r = newChunkResult(req.k, X.cols);
    assignChunk(X, c * CHUNK_ROWS, Math.min(X.rows, (c + 1) * CHUNK_ROWS), req, state, r);
    out.push(r);
  }
  return out;
}
