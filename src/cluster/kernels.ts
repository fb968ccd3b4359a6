import type { Matrix } from '../core/matrix.js';

/**
 * Row-chunk kernels of k-means. A pass over the data is split into fixed chunks of CHUNK_ROWS
 * rows; each chunk's sums and counts are kept in the state and combined in chunk order, so a run
 * gives bit-identical results on one thread or many. A chunk in which no label changed keeps its
 * sums from the previous pass (same rows, same labels, same order: the same numbers), so late
 * iterations touch little more than the bounds.
 */
export const CHUNK_ROWS = 2048;

export const chunkCount = (rows: number): number => Math.max(1, Math.ceil(rows / CHUNK_ROWS));

/** Per-row and per-chunk state kept between passes; on SharedArrayBuffers when workers share it. */
export interface KState {
  k: number;
  d: number;
  labels: Int32Array;
  /** Lloyd: squared distance to the nearest centre. Hamerly: upper bound of the distance to the assigned centre. */
  upper: Float64Array;
  /** Hamerly: lower bound of the distance to the second-nearest centre. */
  lower: Float64Array;
  /** Per chunk: k x d sums of its rows by label. */
  chunkSums: Float64Array;
  /** Per chunk: k counts. */
  chunkCounts: Float64Array;
  /** Per chunk: 1 when chunkSums/chunkCounts match its current labels. */
  chunkValid: Uint8Array;
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

export interface ChunkStat {
  changed: number;
  inertia: number;
}

export function allocState(rows: number, k: number, d: number, shared: boolean): KState {
  const mk = (bytes: number) =>
    shared && typeof SharedArrayBuffer !== 'undefined'
      ? new SharedArrayBuffer(bytes)
      : new ArrayBuffer(bytes);
  const chunks = chunkCount(rows);
  const labels = new Int32Array(mk(rows * 4));
  labels.fill(-1);
  return {
    k,
    d,
    labels,
    upper: new Float64Array(mk(rows * 8)),
    lower: new Float64Array(mk(rows * 8)),
    chunkSums: new Float64Array(mk(chunks * k * d * 8)),
    chunkCounts: new Float64Array(mk(chunks * k * 8)),
    chunkValid: new Uint8Array(mk(chunks)),
  };
}

/** The buffers of a state, to send to a worker. */
export function stateBuffers(s: KState): ArrayBufferLike[] {
  return [
    s.labels.buffer,
    s.upper.buffer,
    s.lower.buffer,
    s.chunkSums.buffer,
    s.chunkCounts.buffer,
    s.chunkValid.buffer,
  ];
}

export function stateFromBuffers(k: number, d: number, b: ArrayBufferLike[]): KState {
  return {
    k,
    d,
    labels: new Int32Array(b[0]),
    upper: new Float64Array(b[1]),
    lower: new Float64Array(b[2]),
    chunkSums: new Float64Array(b[3]),
    chunkCounts: new Float64Array(b[4]),
    chunkValid: new Uint8Array(b[5]),
  };
}

/**
 * Assigns the rows of one chunk for a k-means pass and brings the chunk's sums up to date.
 * Lloyd searches every centre; Hamerly's bounds (Hamerly 2010, "Making k-means even faster") skip
 * the search whenever the assigned centre is provably still the nearest, which gives the same
 * labels as Lloyd from the same centres.
 */
export function assignChunk(X: Matrix, chunk: number, req: AssignRequest, state: KState): ChunkStat {
  const { cols: d, data } = X;
  const start = chunk * CHUNK_ROWS;
  const end = Math.min(X.rows, start + CHUNK_ROWS);
  const { k, centers, mode, shift, half } = req;
  const { labels, upper, lower } = state;
  let changed = 0;
  let pMax = 0;
  let pMax2 = 0;
  let pArg = -1;
  if (mode === 'hamerly') {
    for (let c = 0; c < k; c++) {
      const p = shift[c];
      if (p > pMax) {
        pMax2 = pMax;
        pMax = p;
        pArg = c;
      } else if (p > pMax2) pMax2 = p;
    }
  }
  const lloyd = mode === 'lloyd';
  const bounded = mode === 'hamerly';
  for (let i = start; i < end; i++) {
    const xo = i * d;
    const a = labels[i];
    if (bounded) {
      let u = upper[i] + shift[a];
      const l = lower[i] - (a === pArg ? pMax2 : pMax);
      const h = half[a];
      const m = l > h ? l : h;
      lower[i] = l;
      if (u <= m) {
        upper[i] = u;
        continue;
      }
      let s = 0;
      const co = a * d;
      for (let t = 0; t < d; t++) {
        const e = data[xo + t] - centers[co + t];
        s += e * e;
      }
      u = Math.sqrt(s);
      upper[i] = u;
      if (u <= m) continue;
    }
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
      labels[i] = b1;
    }
    if (lloyd) upper[i] = d1;
    else {
      upper[i] = Math.sqrt(d1);
      lower[i] = Math.sqrt(d2);
    }
  }
  const kd = k * d;
  if (changed > 0 || state.chunkValid[chunk] === 0) {
    const sums = state.chunkSums.subarray(chunk * kd, chunk * kd + kd);
    const counts = state.chunkCounts.subarray(chunk * k, chunk * k + k);
    sums.fill(0);
    counts.fill(0);
    for (let i = start; i < end; i++) {
      const a = labels[i];
      counts[a]++;
      const so = a * d;
      const xo = i * d;
      for (let t = 0; t < d; t++) sums[so + t] += data[xo + t];
    }
    state.chunkValid[chunk] = 1;
  }
  let inertia = 0;
  if (req.inertia) {
    for (let i = start; i < end; i++) {
      const xo = i * d;
      const co = labels[i] * d;
      let s = 0;
      for (let t = 0; t < d; t++) {
        const e = data[xo + t] - centers[co + t];
        s += e * e;
      }
      inertia += s;
    }
  }
  return { changed, inertia };
}

/** Runs one pass over chunks [from, to) on this thread. */
export function assignRange(
  X: Matrix,
  from: number,
  to: number,
  req: AssignRequest,
  state: KState,
): ChunkStat[] {
  const out: ChunkStat[] = [];
  for (let c = from; c < to; c++) out.push(assignChunk(X, c, req, state));
  return out;
}

/** Runs one pass over every chunk on this thread. */
export const assignSerial = (X: Matrix, req: AssignRequest, state: KState): ChunkStat[] =>
  assignRange(X, 0, chunkCount(X.rows), req, state);
