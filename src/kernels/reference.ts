import type { KernelSet } from './kernel-set.js';
import type { KernelMemory } from './memory.js';

/**
 * Squared distance between the d doubles of `a` from ai and of `b` from bj, summed as the SIMD
 * kernels do: even dimensions in one accumulator, odd ones in another (an odd last dimension joins
 * the first), then the two added. The same bits as f64x2, on any platform.
 */
export function sqDistAt(
  a: ArrayLike<number>,
  ai: number,
  b: ArrayLike<number>,
  bj: number,
  d: number,
): number {
  let s0 = 0;
  let s1 = 0;
  let t = 0;
  for (; t + 1 < d; t += 2) {
    const e0 = a[ai + t] - b[bj + t];
    const e1 = a[ai + t + 1] - b[bj + t + 1];
    s0 += e0 * e0;
    s1 += e1 * e1;
  }
  if (t < d) {
    const e = a[ai + t] - b[bj + t];
    s0 += e * e;
  }
  return s0 + s1;
}

/** The same distance between the d doubles at F[a] and F[b] of one array. */
export const sqd = (F: Float64Array, a: number, b: number, d: number): number => sqDistAt(F, a, F, b, d);

/** The same distance between row i of `a` and row j of `b`, each d wide. */
export const sqDistRows = (
  a: ArrayLike<number>,
  i: number,
  b: ArrayLike<number>,
  j: number,
  d: number,
): number => sqDistAt(a, i * d, b, j * d, d);

/** The TypeScript twins of the WebAssembly kernels, over the same memory. */
export function referenceKernels(mem: KernelMemory): KernelSet {
  const views = () => {
    const b = mem.memory.buffer;
    return { F: new Float64Array(b), I: new Int32Array(b), U: new Uint8Array(b) };
  };
  return {
    name: 'js',
    kmAssign(
      mode,
      X,
      n,
      d,
      k,
      centers,
      half,
      shift,
      labels,
      upper,
      lower,
      chunkSums,
      chunkCounts,
      chunkValid,
      chunkRows,
      from,
      to,
      wantInertia,
      stats,
    ) {
      const { F, I, U } = views();
      const x0 = X >> 3;
      const c0 = centers >> 3;
      const h0 = half >> 3;
      const s0 = shift >> 3;
      const l0 = labels >> 2;
      const u0 = upper >> 3;
      const w0 = lower >> 3;
      let pMax = 0;
      let pMax2 = 0;
      let pArg = -1;
      if (mode === 2) {
        for (let c = 0; c < k; c++) {
          const p = F[s0 + c];
          if (p > pMax) {
            pMax2 = pMax;
            pMax = p;
            pArg = c;
          } else if (p > pMax2) pMax2 = p;
        }
      }
      const kd = k * d;
      for (let chunk = from; chunk < to; chunk++) {
        const start = chunk * chunkRows;
        const end = Math.min(n, start + chunkRows);
        let changed = 0;
        for (let i = start; i < end; i++) {
          const x = x0 + i * d;
          const a = I[l0 + i];
          if (mode === 2) {
            let u = F[u0 + i] + F[s0 + a];
            const l = F[w0 + i] - (a === pArg ? pMax2 : pMax);
            const h = F[h0 + a];
            const m = l > h ? l : h;
            F[w0 + i] = l;
            if (u <= m) {
              F[u0 + i] = u;
              continue;
            }
            u = Math.sqrt(sqd(F, x, c0 + a * d, d));
            F[u0 + i] = u;
            if (u <= m) continue;
          }
          let b1 = 0;
          let d1 = Number.POSITIVE_INFINITY;
          let d2 = Number.POSITIVE_INFINITY;
          for (let c = 0; c < k; c++) {
            const s = sqd(F, x, c0 + c * d, d);
            if (s < d1) {
              d2 = d1;
              d1 = s;
              b1 = c;
            } else if (s < d2) d2 = s;
          }
          if (b1 !== a) {
            changed++;
            I[l0 + i] = b1;
          }
          if (mode === 0) F[u0 + i] = d1;
          else {
            F[u0 + i] = Math.sqrt(d1);
            F[w0 + i] = Math.sqrt(d2);
          }
        }
        if (changed > 0 || U[chunkValid + chunk] === 0) {
          const sums = (chunkSums >> 3) + chunk * kd;
          const counts = (chunkCounts >> 3) + chunk * k;
          F.fill(0, sums, sums + kd);
          F.fill(0, counts, counts + k);
          for (let i = start; i < end; i++) {
            const a = I[l0 + i];
            F[counts + a]++;
            const so = sums + a * d;
            const xo = x0 + i * d;
            for (let t = 0; t < d; t++) F[so + t] += F[xo + t];
          }
          U[chunkValid + chunk] = 1;
        }
        let inertia = 0;
        if (wantInertia) {
          for (let i = start; i < end; i++) inertia += sqd(F, x0 + i * d, c0 + I[l0 + i] * d, d);
        }
        const st = (stats >> 3) + chunk * 2;
        F[st] = changed;
        F[st + 1] = inertia;
      }
    },
    kppDistances(X, n, d, cands, trials, closest, out, partials, chunks, chunkRows, from, to) {
      const { F } = views();
      const x0 = X >> 3;
      const cl = closest >> 3;
      const p0 = partials >> 3;
      for (let chunk = from; chunk < to; chunk++) {
        const start = chunk * chunkRows;
        const end = Math.min(n, start + chunkRows);
        for (let t = 0; t < trials; t++) F[p0 + t * chunks + chunk] = 0;
        for (let i = start; i < end; i++) {
          const c = F[cl + i];
          for (let t = 0; t < trials; t++) {
            const s = sqd(F, x0 + i * d, (cands >> 3) + t * d, d);
            const dd = s < c ? s : c;
            F[(out >> 3) + t * n + i] = dd;
            F[p0 + t * chunks + chunk] += dd;
          }
        }
      }
    },
    mbAssign(X, d, k, centers, idx, batch, lab, sums, bcount) {
      const { F, I } = views();
      const x0 = X >> 3;
      const c0 = centers >> 3;
      const s0 = sums >> 3;
      const b0 = bcount >> 3;
      F.fill(0, s0, s0 + k * d);
      F.fill(0, b0, b0 + k);
      let inertia = 0;
      for (let b = 0; b < batch; b++) {
        const x = x0 + I[(idx >> 2) + b] * d;
        let best = 0;
        let bd = Number.POSITIVE_INFINITY;
        for (let c = 0; c < k; c++) {
          const s = sqd(F, x, c0 + c * d, d);
          if (s < bd) {
            bd = s;
            best = c;
          }
        }
        I[(lab >> 2) + b] = best;
        inertia += bd;
        F[b0 + best]++;
        const so = s0 + best * d;
        for (let t = 0; t < d; t++) F[so + t] += F[x + t];
      }
      return inertia;
    },
    silhouetteBlock(X, n, d, labels, k, i0, i1, out) {
      const { F, I } = views();
      const x0 = X >> 3;
      const l0 = labels >> 2;
      const o0 = out >> 3;
      for (let i = i0; i < i1; i++) {
        const x = x0 + i * d;
        const li = I[l0 + i];
        const io = o0 + i * k;
        for (let j = i + 1; j < n; j++) {
          const dist = Math.sqrt(sqd(F, x, x0 + j * d, d));
          F[io + I[l0 + j]] += dist;
          F[o0 + j * k + li] += dist;
        }
      }
    },
    colSums(X, d, start, end, mean, out) {
      const { F } = views();
      const x0 = X >> 3;
      const o0 = out >> 3;
      const m0 = mean >> 3;
      F.fill(0, o0, o0 + d);
      for (let i = start; i < end; i++) {
        const x = x0 + i * d;
        if (mean === 0) for (let t = 0; t < d; t++) F[o0 + t] += F[x + t];
        else
          for (let t = 0; t < d; t++) {
            const e = F[x + t] - F[m0 + t];
            F[o0 + t] += e * e;
          }
      }
    },
    binColumn(col, n, uppers, nu, code, lo, hi) {
      const { F, U } = views();
      const c0 = col >> 3;
      const up = uppers >> 3;
      const lo0 = lo >> 3;
      const hi0 = hi >> 3;
      for (let i = 0; i < n; i++) {
        const v = F[c0 + i];
        // The kernel's halving search: the same steps for every value.
        let a = 0;
        let len = nu;
        while (len > 1) {
          const half = len >> 1;
          if (F[up + a + half - 1] < v) a += half;
          len -= half;
        }
        U[code + i] = a;
        if (v < F[lo0 + a]) F[lo0 + a] = v;
        if (v > F[hi0 + a]) F[hi0 + a] = v;
      }
    },
    sortF64(data, n, scratch) {
      // The same LSD radix sort on the bits, as two 32-bit halves (little-endian: low word first).
      const b = mem.memory.buffer;
      const words = (ptr: number) => new Uint32Array(b, ptr, n * 2);
      const counts = new Int32Array(b, scratch + n * 8, 2048);
      const D = words(data);
      for (let i = 0; i < n; i++) {
        const hi = D[2 * i + 1];
        if (hi >>> 31) {
          D[2 * i] = ~D[2 * i];
          D[2 * i + 1] = ~hi;
        } else D[2 * i + 1] = (hi | 0x80000000) >>> 0;
      }
      let src = D;
      let dst = words(scratch);
      const digit = (w: Uint32Array, i: number, s: number) =>
        s >= 32
          ? (w[2 * i + 1] >>> (s - 32)) & 2047
          : s + 11 <= 32
            ? (w[2 * i] >>> s) & 2047
            : ((w[2 * i] >>> s) | (w[2 * i + 1] << (32 - s))) & 2047;
      for (let s = 0; s < 64; s += 11) {
        counts.fill(0);
        for (let i = 0; i < n; i++) counts[digit(src, i, s)]++;
        let sum = 0;
        for (let j = 0; j < 2048; j++) {
          const v = counts[j];
          counts[j] = sum;
          sum += v;
        }
        for (let i = 0; i < n; i++) {
          const at = counts[digit(src, i, s)]++;
          dst[2 * at] = src[2 * i];
          dst[2 * at + 1] = src[2 * i + 1];
        }
        const t = src;
        src = dst;
        dst = t;
      }
      for (let i = 0; i < n; i++) {
        const hi = D[2 * i + 1];
        if (hi >>> 31) D[2 * i + 1] = (hi & 0x7fffffff) >>> 0;
        else {
          D[2 * i] = ~D[2 * i];
          D[2 * i + 1] = ~hi;
        }
      }
    },
    histogram(codes, y, w, samples, start, end, nClasses, nb, counts, weights, rows, clear) {
      const { F, I, U } = views();
      const c0 = counts >> 3;
      const w0 = weights >> 3;
      const r0 = rows >> 2;
      if (clear) {
        F.fill(0, c0, c0 + nb * nClasses);
        F.fill(0, w0, w0 + nb);
        I.fill(0, r0, r0 + nb);
      }
      const s0 = samples >> 2;
      const y0 = y >> 2;
      const ww = w >> 3;
      for (let i = start; i < end; i++) {
        const s = I[s0 + i];
        const b = U[codes + s];
        const wt = F[ww + s];
        F[c0 + b * nClasses + I[y0 + s]] += wt;
        F[w0 + b] += wt;
        I[r0 + b]++;
      }
    },
  };
}
