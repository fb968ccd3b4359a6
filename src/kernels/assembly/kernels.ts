// segmint's numeric kernels in AssemblyScript, compiled to WebAssembly with 128-bit SIMD (f64x2)
// by `npm run build:wasm` (part of `prepare`). Every pointer is a byte offset into the one shared
// memory; the caller (src/kernels/*.ts) owns allocation. Each kernel has a TypeScript twin in
// src/kernels/reference.ts that does the same arithmetic in the same order, so both give the same
// bits: a squared distance sums the even dimensions in lane 0 and the odd ones in lane 1 (an odd
// last dimension joins lane 0), then adds the two lanes.

/** Squared Euclidean distance between the d doubles at a and at b. */
// @ts-ignore: decorator
@inline
function sqd(a: usize, b: usize, d: i32): f64 {
  let acc = f64x2.splat(0);
  let t = 0;
  // Two steps per turn (the same additions in the same order, fewer loop branches).
  for (; t + 3 < d; t += 4) {
    const o = (<usize>t) << 3;
    const e = f64x2.sub(v128.load(a + o), v128.load(b + o));
    const f = f64x2.sub(v128.load(a + o, 16), v128.load(b + o, 16));
    acc = f64x2.add(f64x2.add(acc, f64x2.mul(e, e)), f64x2.mul(f, f));
  }
  for (; t + 1 < d; t += 2) {
    const o = (<usize>t) << 3;
    const e = f64x2.sub(v128.load(a + o), v128.load(b + o));
    acc = f64x2.add(acc, f64x2.mul(e, e));
  }
  let s0 = f64x2.extract_lane(acc, 0);
  const s1 = f64x2.extract_lane(acc, 1);
  if (t < d) {
    const o = (<usize>t) << 3;
    const e = load<f64>(a + o) - load<f64>(b + o);
    s0 += e * e;
  }
  return s0 + s1;
}

/** The bits of +Infinity as an integer. */
const INF_BITS: u64 = 0x7ff0000000000000;

/** The squared distances from x to the rows at a and at b (each as sqd), as the two lanes. */
// @ts-ignore: decorator
@inline
function sqd2(x: usize, a: usize, b: usize, d: i32): v128 {
  let p = f64x2.splat(0);
  let q = f64x2.splat(0);
  let t = 0;
  for (; t + 1 < d; t += 2) {
    const o = (<usize>t) << 3;
    const v = v128.load(x + o);
    const e = f64x2.sub(v, v128.load(a + o));
    const f = f64x2.sub(v, v128.load(b + o));
    p = f64x2.add(p, f64x2.mul(e, e));
    q = f64x2.add(q, f64x2.mul(f, f));
  }
  // Lane 0 of each: even dimensions; lane 1: odd ones. Pair them up: (p0, q0) + (p1, q1).
  let lo = i64x2.shuffle(p, q, 0, 2);
  const hi = i64x2.shuffle(p, q, 1, 3);
  if (t < d) {
    const o = (<usize>t) << 3;
    const v = load<f64>(x + o);
    const e = v - load<f64>(a + o);
    const f = v - load<f64>(b + o);
    lo = f64x2.add(lo, f64x2(e * e, f * f));
  }
  return f64x2.add(lo, hi);
}

/** dst[0..d) += src[0..d), lane by lane. */
// @ts-ignore: decorator
@inline
function addRow(dst: usize, src: usize, d: i32): void {
  let t = 0;
  for (; t + 1 < d; t += 2) {
    const o = (<usize>t) << 3;
    v128.store(dst + o, f64x2.add(v128.load(dst + o), v128.load(src + o)));
  }
  if (t < d) {
    const o = (<usize>t) << 3;
    store<f64>(dst + o, load<f64>(dst + o) + load<f64>(src + o));
  }
}

/**
 * One k-means assignment pass over chunks [from, to) of chunkRows rows (mode 0 Lloyd, 1 Hamerly's
 * first pass, 2 Hamerly with bounds; `half` has half the distance from each centre to its nearest
 * other), then each touched chunk's sums and counts by label, and with
 * wantInertia the exact squared distance of every row to its centre. stats gets, per chunk, the
 * number of labels that changed and the chunk's inertia (two doubles).
 */
export function kmAssign(
  mode: i32,
  X: usize,
  n: i32,
  d: i32,
  k: i32,
  centers: usize,
  half: usize,
  shift: usize,
  labels: usize,
  upper: usize,
  lower: usize,
  chunkSums: usize,
  chunkCounts: usize,
  chunkValid: usize,
  chunkRows: i32,
  from: i32,
  to: i32,
  wantInertia: i32,
  stats: usize,
): void {
  let pMax: f64 = 0;
  let pMax2: f64 = 0;
  let pArg: i32 = -1;
  if (mode == 2) {
    for (let c = 0; c < k; c++) {
      const p = load<f64>(shift + ((<usize>c) << 3));
      if (p > pMax) {
        pMax2 = pMax;
        pMax = p;
        pArg = c;
      } else if (p > pMax2) pMax2 = p;
    }
  }
  const rowBytes = (<usize>d) << 3;
  const kd = k * d;
  for (let chunk = from; chunk < to; chunk++) {
    const start = chunk * chunkRows;
    const end = min(n, start + chunkRows);
    let changed = 0;
    for (let i = start; i < end; i++) {
      const x = X + (<usize>i) * rowBytes;
      const li = labels + ((<usize>i) << 2);
      const ui = upper + ((<usize>i) << 3);
      const lo = lower + ((<usize>i) << 3);
      const a = load<i32>(li);
      if (mode == 2) {
        let u = load<f64>(ui) + load<f64>(shift + ((<usize>a) << 3));
        const l = load<f64>(lo) - (a == pArg ? pMax2 : pMax);
        const h = load<f64>(half + ((<usize>a) << 3));
        const m = l > h ? l : h;
        store<f64>(lo, l);
        if (u <= m) {
          store<f64>(ui, u);
          continue;
        }
        u = Math.sqrt(sqd(x, centers + (<usize>a) * rowBytes, d));
        store<f64>(ui, u);
        if (u <= m) continue;
      }
      // The nearest two centres without branches: which centre is nearer is as good as random to
      // the branch predictor. Squared distances are never negative, so their bits compare as
      // unsigned integers in the same order as the numbers (any NaN above +inf, never taken, as
      // with <), and integer selects compile to conditional moves (V8 branches on float selects).
      // Same result as
      // `if (s < d1) { d2 = d1; d1 = s; b1 = c } else if (s < d2) d2 = s`.
      let b1 = 0;
      let d1: u64 = INF_BITS;
      let d2: u64 = INF_BITS;
      let c = 0;
      // Two centres a turn: their distances are independent chains of additions.
      for (; c + 1 < k; c += 2) {
        const ca = centers + (<usize>c) * rowBytes;
        const sv = sqd2(x, ca, ca + rowBytes, d);
        const s = reinterpret<u64>(f64x2.extract_lane(sv, 0));
        const nearer = s < d1;
        d2 = select<u64>(d1, select<u64>(s, d2, s < d2), nearer);
        b1 = select<i32>(c, b1, nearer);
        d1 = select<u64>(s, d1, nearer);
        const s2 = reinterpret<u64>(f64x2.extract_lane(sv, 1));
        const nearer2 = s2 < d1;
        d2 = select<u64>(d1, select<u64>(s2, d2, s2 < d2), nearer2);
        b1 = select<i32>(c + 1, b1, nearer2);
        d1 = select<u64>(s2, d1, nearer2);
      }
      if (c < k) {
        const s = reinterpret<u64>(sqd(x, centers + (<usize>c) * rowBytes, d));
        const nearer = s < d1;
        d2 = select<u64>(d1, select<u64>(s, d2, s < d2), nearer);
        b1 = select<i32>(c, b1, nearer);
        d1 = select<u64>(s, d1, nearer);
      }
      if (b1 != a) {
        changed++;
        store<i32>(li, b1);
      }
      if (mode == 0) store<u64>(ui, d1);
      else {
        store<f64>(ui, Math.sqrt(reinterpret<f64>(d1)));
        store<f64>(lo, Math.sqrt(reinterpret<f64>(d2)));
      }
    }
    const valid = chunkValid + <usize>chunk;
    if (changed > 0 || load<u8>(valid) == 0) {
      const sums = chunkSums + (<usize>chunk) * (<usize>kd << 3);
      const counts = chunkCounts + (<usize>chunk) * (<usize>k << 3);
      memory.fill(sums, 0, (<usize>kd) << 3);
      memory.fill(counts, 0, (<usize>k) << 3);
      for (let i = start; i < end; i++) {
        const a = load<i32>(labels + ((<usize>i) << 2));
        const cp = counts + ((<usize>a) << 3);
        store<f64>(cp, load<f64>(cp) + 1);
        addRow(sums + (<usize>a) * rowBytes, X + (<usize>i) * rowBytes, d);
      }
      store<u8>(valid, 1);
    }
    let inertia: f64 = 0;
    if (wantInertia) {
      for (let i = start; i < end; i++) {
        const a = load<i32>(labels + ((<usize>i) << 2));
        inertia += sqd(X + (<usize>i) * rowBytes, centers + (<usize>a) * rowBytes, d);
      }
    }
    const st = stats + ((<usize>chunk) << 4);
    store<f64>(st, <f64>changed);
    store<f64>(st, inertia, 8);
  }
}

/**
 * k-means++ candidate distances over chunks [from, to): for each of the `trials` candidate rows
 * (doubles at cands, d each), out[t][i] = min(|x_i - cand_t|^2, closest[i]); partials[t][chunk]
 * gets each chunk's sum of out[t].
 */
export function kppDistances(
  X: usize,
  n: i32,
  d: i32,
  cands: usize,
  trials: i32,
  closest: usize,
  out: usize,
  partials: usize,
  chunks: i32,
  chunkRows: i32,
  from: i32,
  to: i32,
): void {
  const rowBytes = (<usize>d) << 3;
  const col = (<usize>n) << 3;
  for (let chunk = from; chunk < to; chunk++) {
    const start = chunk * chunkRows;
    const end = min(n, start + chunkRows);
    // Each row against every candidate while it is at hand; each candidate's sum in row order.
    for (let t = 0; t < trials; t++) store<f64>(partials + ((<usize>(t * chunks + chunk)) << 3), 0);
    for (let i = start; i < end; i++) {
      const x = X + (<usize>i) * rowBytes;
      const c = load<u64>(closest + ((<usize>i) << 3));
      for (let t = 0; t < trials; t++) {
        // min(s, closest) without a branch, as in kmAssign (the same as s < c ? s : c).
        const s = reinterpret<u64>(sqd(x, cands + (<usize>t) * rowBytes, d));
        const dd = reinterpret<f64>(select<u64>(s, c, s < c));
        store<f64>(out + (<usize>t) * col + ((<usize>i) << 3), dd);
        const pp = partials + ((<usize>(t * chunks + chunk)) << 3);
        store<f64>(pp, load<f64>(pp) + dd);
      }
    }
  }
}

/**
 * One mini-batch step's assignment: the rows listed at idx (batch of them) go to their nearest
 * centre (labels to lab); sums (k x d) and bcount (k) get the batch's sums and counts by label.
 * Returns the batch's inertia.
 */
export function mbAssign(
  X: usize,
  d: i32,
  k: i32,
  centers: usize,
  idx: usize,
  batch: i32,
  lab: usize,
  sums: usize,
  bcount: usize,
): f64 {
  const rowBytes = (<usize>d) << 3;
  memory.fill(sums, 0, (<usize>(k * d)) << 3);
  memory.fill(bcount, 0, (<usize>k) << 3);
  let inertia: f64 = 0;
  for (let b = 0; b < batch; b++) {
    const x = X + (<usize>load<i32>(idx + ((<usize>b) << 2))) * rowBytes;
    // Branch-free nearest centre, as in kmAssign.
    let best = 0;
    let bb: u64 = INF_BITS;
    for (let c = 0; c < k; c++) {
      const s = reinterpret<u64>(sqd(x, centers + (<usize>c) * rowBytes, d));
      const nearer = s < bb;
      best = select<i32>(c, best, nearer);
      bb = select<u64>(s, bb, nearer);
    }
    const bd = reinterpret<f64>(bb);
    store<i32>(lab + ((<usize>b) << 2), best);
    inertia += bd;
    const cp = bcount + ((<usize>best) << 3);
    store<f64>(cp, load<f64>(cp) + 1);
    addRow(sums + (<usize>best) * rowBytes, x, d);
  }
  return inertia;
}

/**
 * The silhouette's pair loop for rows [i0, i1): for every j > i, the distance d(i, j) is added to
 * out[i][label j] and to out[j][label i] (out is n x k doubles): each pair measured once.
 */
export function silhouetteBlock(X: usize, n: i32, d: i32, labels: usize, k: i32, i0: i32, i1: i32, out: usize): void {
  const rowBytes = (<usize>d) << 3;
  const outRow = (<usize>k) << 3;
  for (let i = i0; i < i1; i++) {
    const x = X + (<usize>i) * rowBytes;
    const li = <usize>load<i32>(labels + ((<usize>i) << 2));
    const oi = out + (<usize>i) * outRow;
    let j = i + 1;
    // Two partners at a time: both square roots in one f64x2.sqrt (correctly rounded per lane).
    for (; j + 1 < n; j += 2) {
      const s = f64x2.sqrt(
        f64x2(sqd(x, X + (<usize>j) * rowBytes, d), sqd(x, X + (<usize>(j + 1)) * rowBytes, d)),
      );
      const da = f64x2.extract_lane(s, 0);
      const db = f64x2.extract_lane(s, 1);
      const pa = oi + ((<usize>load<i32>(labels + ((<usize>j) << 2))) << 3);
      store<f64>(pa, load<f64>(pa) + da);
      const qa = out + (<usize>j) * outRow + (li << 3);
      store<f64>(qa, load<f64>(qa) + da);
      const pb = oi + ((<usize>load<i32>(labels + ((<usize>(j + 1)) << 2))) << 3);
      store<f64>(pb, load<f64>(pb) + db);
      const qb = out + (<usize>(j + 1)) * outRow + (li << 3);
      store<f64>(qb, load<f64>(qb) + db);
    }
    if (j < n) {
      const dist = Math.sqrt(sqd(x, X + (<usize>j) * rowBytes, d));
      const p = oi + ((<usize>load<i32>(labels + ((<usize>j) << 2))) << 3);
      store<f64>(p, load<f64>(p) + dist);
      const q = out + (<usize>j) * outRow + (li << 3);
      store<f64>(q, load<f64>(q) + dist);
    }
  }
}

/**
 * Bins one column (n doubles at col): code[i] is the first bin whose upper bound (uppers, nu
 * doubles, ascending) is >= the value (the last bin when none is); lo/hi (nu doubles each, preset
 * to +inf/-inf) get each bin's smallest and largest value. The search is branch-free (the same
 * halving steps for every value) and four rows go side by side, so their loads overlap.
 */
export function binColumn(col: usize, n: i32, uppers: usize, nu: i32, code: usize, lo: usize, hi: usize): void {
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const p = col + ((<usize>i) << 3);
    const v0 = load<f64>(p);
    const v1 = load<f64>(p, 8);
    const v2 = load<f64>(p, 16);
    const v3 = load<f64>(p, 24);
    let b0 = 0;
    let b1 = 0;
    let b2 = 0;
    let b3 = 0;
    let len = nu;
    while (len > 1) {
      const half = len >> 1;
      b0 = select<i32>(b0 + half, b0, load<f64>(uppers + ((<usize>(b0 + half - 1)) << 3)) < v0);
      b1 = select<i32>(b1 + half, b1, load<f64>(uppers + ((<usize>(b1 + half - 1)) << 3)) < v1);
      b2 = select<i32>(b2 + half, b2, load<f64>(uppers + ((<usize>(b2 + half - 1)) << 3)) < v2);
      b3 = select<i32>(b3 + half, b3, load<f64>(uppers + ((<usize>(b3 + half - 1)) << 3)) < v3);
      len -= half;
    }
    binOne(v0, b0, i, code, lo, hi);
    binOne(v1, b1, i + 1, code, lo, hi);
    binOne(v2, b2, i + 2, code, lo, hi);
    binOne(v3, b3, i + 3, code, lo, hi);
  }
  for (; i < n; i++) {
    const v = load<f64>(col + ((<usize>i) << 3));
    let b = 0;
    let len = nu;
    while (len > 1) {
      const half = len >> 1;
      b = select<i32>(b + half, b, load<f64>(uppers + ((<usize>(b + half - 1)) << 3)) < v);
      len -= half;
    }
    binOne(v, b, i, code, lo, hi);
  }
}

/** Stores row i's bin a (from the halving search) and widens that bin's lo/hi. */
// @ts-ignore: decorator
@inline
function binOne(v: f64, a: i32, i: i32, code: usize, lo: usize, hi: usize): void {
  store<u8>(code + <usize>i, <u8>a);
  const lp = lo + ((<usize>a) << 3);
  if (v < load<f64>(lp)) store<f64>(lp, v);
  const hp = hi + ((<usize>a) << 3);
  if (v > load<f64>(hp)) store<f64>(hp, v);
}

/**
 * Sorts n doubles at data ascending (as Float64Array.prototype.sort: -0 before +0), by an LSD
 * radix sort of their bits in six passes of 11 bits. scratch holds n doubles and 2048 counts.
 */
export function sortF64(data: usize, n: i32, scratch: usize): void {
  const counts = scratch + ((<usize>n) << 3);
  // Bits ordered as the numbers: flip all bits of negatives, the sign bit of the rest.
  for (let i = 0; i < n; i++) {
    const p = data + ((<usize>i) << 3);
    const b = load<u64>(p);
    store<u64>(p, (b >> 63) != 0 ? ~b : b | 0x8000000000000000);
  }
  let src = data;
  let dst = scratch;
  for (let shift: u64 = 0; shift < 64; shift += 11) {
    memory.fill(counts, 0, 2048 << 2);
    for (let i = 0; i < n; i++) {
      const c = counts + ((<usize>((load<u64>(src + ((<usize>i) << 3)) >> shift) & 2047)) << 2);
      store<i32>(c, load<i32>(c) + 1);
    }
    let sum = 0;
    for (let j = 0; j < 2048; j++) {
      const c = counts + ((<usize>j) << 2);
      const v = load<i32>(c);
      store<i32>(c, sum);
      sum += v;
    }
    for (let i = 0; i < n; i++) {
      const key = load<u64>(src + ((<usize>i) << 3));
      const c = counts + ((<usize>((key >> shift) & 2047)) << 2);
      const at = load<i32>(c);
      store<i32>(c, at + 1);
      store<u64>(dst + ((<usize>at) << 3), key);
    }
    const t = src;
    src = dst;
    dst = t;
  }
  // Six passes: the keys are back in data.
  for (let i = 0; i < n; i++) {
    const p = data + ((<usize>i) << 3);
    const b = load<u64>(p);
    store<u64>(p, (b >> 63) != 0 ? b & 0x7fffffffffffffff : ~b);
  }
}

/**
 * The tree's histogram of one feature over a node's samples (positions [start, end) of the i32
 * array at samples): per bin, the class weights (nb x nClasses doubles), the total weight and the
 * row count, added to what is there (clear: zero the first nb bins first).
 */
export function histogram(
  codes: usize,
  y: usize,
  w: usize,
  samples: usize,
  start: i32,
  end: i32,
  nClasses: i32,
  nb: i32,
  counts: usize,
  weights: usize,
  rows: usize,
  clear: i32,
): void {
  if (clear) {
    memory.fill(counts, 0, (<usize>(nb * nClasses)) << 3);
    memory.fill(weights, 0, (<usize>nb) << 3);
    memory.fill(rows, 0, (<usize>nb) << 2);
  }
  for (let i = start; i < end; i++) {
    const s = <usize>load<i32>(samples + ((<usize>i) << 2));
    const b = <usize>load<u8>(codes + s);
    const wt = load<f64>(w + (s << 3));
    const cp = counts + ((b * <usize>nClasses + <usize>load<i32>(y + (s << 2))) << 3);
    store<f64>(cp, load<f64>(cp) + wt);
    const wp = weights + (b << 3);
    store<f64>(wp, load<f64>(wp) + wt);
    const rp = rows + (b << 2);
    store<i32>(rp, load<i32>(rp) + 1);
  }
}

/**
 * Column sums of rows [start, end) of the matrix at X (d wide, each column summed in row order)
 * into the d doubles at out; with `mean` given (non-zero), the sums of squared deviations from it.
 */
export function colSums(X: usize, d: i32, start: i32, end: i32, mean: usize, out: usize): void {
  const rowBytes = (<usize>d) << 3;
  memory.fill(out, 0, rowBytes);
  if (mean == 0) {
    for (let i = start; i < end; i++) addRow(out, X + (<usize>i) * rowBytes, d);
    return;
  }
  for (let i = start; i < end; i++) {
    const x = X + (<usize>i) * rowBytes;
    let t = 0;
    for (; t + 1 < d; t += 2) {
      const o = (<usize>t) << 3;
      const e = f64x2.sub(v128.load(x + o), v128.load(mean + o));
      v128.store(out + o, f64x2.add(v128.load(out + o), f64x2.mul(e, e)));
    }
    if (t < d) {
      const o = (<usize>t) << 3;
      const e = load<f64>(x + o) - load<f64>(mean + o);
      store<f64>(out + o, load<f64>(out + o) + e * e);
    }
  }
}
