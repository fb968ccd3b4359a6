/**
 * Nelder-Mead minimisation (with adaptive parameters for the dimension, Gao & Han 2012), the robust
 * choice for a handful of log-parameters. Returns the best point, its value, and whether the
 * simplex shrank below the tolerances within maxIter.
 */
export function nelderMead(
  f: (x: number[]) => number,
  x0: number[],
  opts: { maxIter?: number; xtol?: number; ftol?: number; step?: number } = {},
): { x: number[]; fx: number; iterations: number; converged: boolean } {
  const n = x0.length;
  const maxIter = opts.maxIter ?? 2000 * n;
  const xtol = opts.xtol ?? 1e-10;
  const ftol = opts.ftol ?? 1e-12;
  const alpha = 1;
  const beta = 1 + 2 / n;
  const gamma = 0.75 - 1 / (2 * n);
  const delta = 1 - 1 / n;
  const safe = (x: number[]) => {
    const v = f(x);
    return Number.isFinite(v) ? v : Number.POSITIVE_INFINITY;
  };
  let simplex = [x0.slice()];
  for (let i = 0; i < n; i++) {
    const p = x0.slice();
    p[i] += p[i] !== 0 ? (opts.step ?? 0.1) * Math.max(1, Math.abs(p[i])) : 0.1;
    simplex.push(p);
  }
  let values = simplex.map(safe);
  let it = 0;
  let converged = false;
  for (; it < maxIter; it++) {
    const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
    simplex = order.map((i) => simplex[i]);
    values = order.map((i) => values[i]);
    let spread = 0;
    for (let i = 1; i <= n; i++)
      for (let j = 0; j < n; j++) spread = Math.max(spread, Math.abs(simplex[i][j] - simplex[0][j]));
    if (spread < xtol && Math.abs(values[n] - values[0]) < ftol * Math.max(1, Math.abs(values[0]))) {
      converged = true;
      break;
    }
    const centroid = new Array(n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j] += simplex[i][j] / n;
    const along = (t: number) => centroid.map((c, j) => c + t * (simplex[n][j] - c));
    const xr = along(-alpha);
    const fr = safe(xr);
    if (fr < values[0]) {
      const xe = along(-alpha * beta);
      const fe = safe(xe);
      if (fe < fr) {
        simplex[n] = xe;
        values[n] = fe;
      } else {
        simplex[n] = xr;
        values[n] = fr;
      }
    } else if (fr < values[n - 1]) {
      simplex[n] = xr;
      values[n] = fr;
    } else {
      const outside = fr < values[n];
      const xc = along(outside ? -alpha * gamma : gamma);
      const fc = safe(xc);
      if (fc < (outside ? fr : values[n])) {
        simplex[n] = xc;
        values[n] = fc;
      } else {
        for (let i = 1; i <= n; i++) {
          simplex[i] = simplex[i].map((v, j) => simplex[0][j] + delta * (v - simplex[0][j]));
          values[i] = safe(simplex[i]);
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i <= n; i++) if (values[i] < values[best]) best = i;
  return { x: simplex[best], fx: values[best], iterations: it, converged };
}

/** Numerical Hessian of f at x by central differences (step relative to each coordinate). */
export function hessian(f: (x: number[]) => number, x: number[]): number[][] {
  const n = x.length;
  const h = x.map((v) => 1e-4 * Math.max(1, Math.abs(v)));
  const H = Array.from({ length: n }, () => new Array(n).fill(0));
  const at = (di: number, dj: number, si: number, sj: number) => {
    const p = x.slice();
    p[di] += si * h[di];
    p[dj] += sj * h[dj];
    return f(p);
  };
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = (at(i, j, 1, 1) - at(i, j, 1, -1) - at(i, j, -1, 1) + at(i, j, -1, -1)) / (4 * h[i] * h[j]);
      H[i][j] = v;
      H[j][i] = v;
    }
  }
  return H;
}

/** Inverse of a small symmetric positive-definite matrix by Gauss-Jordan; null when singular. */
export function invert(A: number[][]): number[][] | null {
  const n = A.length;
  const M = A.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    if (Math.abs(M[p][c]) < 1e-300) return null;
    [M[c], M[p]] = [M[p], M[c]];
    const d = M[c][c];
    for (let j = 0; j < 2 * n; j++) M[c][j] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c];
      for (let j = 0; j < 2 * n; j++) M[r][j] -= f * M[c][j];
    }
  }
  return M.map((row) => row.slice(n));
}
