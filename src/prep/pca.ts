import { createMatrix, type Matrix } from '../core/matrix.js';

/**
 * The first `m` principal components of X (rows centred): the eigenvectors of the covariance with
 * the largest eigenvalues, by cyclic Jacobi rotations on the d x d matrix. Each component's sign is
 * fixed so its largest coordinate is positive, so the projection is deterministic.
 */
export function pca(
  X: Matrix,
  m = 2,
  /** auto: Jacobi up to JACOBI_MAX_DIM columns, subspace iteration past it. */
  method: 'auto' | 'jacobi' | 'iteration' = 'auto',
): { components: Float64Array; variance: Float64Array; mean: Float64Array; explained: number[] } {
  const { rows: n, cols: d, data } = X;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) mean[t] += data[i * d + t] / n;
  if (method === 'iteration' || (method === 'auto' && d > JACOBI_MAX_DIM))
    return topComponents(X, mean, Math.min(m, d));
  const A = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const ea = data[i * d + a] - mean[a];
      for (let b = a; b < d; b++) A[a * d + b] += (ea * (data[i * d + b] - mean[b])) / Math.max(1, n - 1);
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) A[a * d + b] = A[b * d + a];
  const V = new Float64Array(d * d);
  for (let a = 0; a < d; a++) V[a * d + a] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += A[p * d + q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = A[p * d + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (A[q * d + q] - A[p * d + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < d; r++) {
          const arp = A[r * d + p];
          const arq = A[r * d + q];
          A[r * d + p] = c * arp - s * arq;
          A[r * d + q] = s * arp + c * arq;
        }
        for (let r = 0; r < d; r++) {
          const apr = A[p * d + r];
          const aqr = A[q * d + r];
          A[p * d + r] = c * apr - s * aqr;
          A[q * d + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < d; r++) {
          const vrp = V[r * d + p];
          const vrq = V[r * d + q];
          V[r * d + p] = c * vrp - s * vrq;
          V[r * d + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const order = Array.from({ length: d }, (_, i) => i).sort((a, b) => A[b * d + b] - A[a * d + a] || a - b);
  const k = Math.min(m, d);
  const components = new Float64Array(k * d);
  const variance = new Float64Array(k);
  let total = 0;
  for (let a = 0; a < d; a++) total += Math.max(0, A[a * d + a]);
  order.slice(0, k).forEach((col, j) => {
    let big = 0;
    for (let r = 0; r < d; r++) if (Math.abs(V[r * d + col]) > Math.abs(big)) big = V[r * d + col];
    const sign = big < 0 ? -1 : 1;
    for (let r = 0; r < d; r++) components[j * d + r] = sign * V[r * d + col];
    variance[j] = A[col * d + col];
  });
  return { components, variance, mean, explained: Array.from(variance, (v) => (total > 0 ? v / total : 0)) };
}

/** Rows of X projected on the components (n x m). */
export function project(X: Matrix, p: { components: Float64Array; mean: Float64Array }): Matrix {
  const d = X.cols;
  const m = p.components.length / d;
  const out = createMatrix(X.rows, m);
  for (let i = 0; i < X.rows; i++) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += (X.data[i * d + t] - p.mean[t]) * p.components[j * d + t];
      out.data[i * m + j] = s;
    }
  }
  return out;
}

/**
 * The Jacobi rotations cost O(d^3) a sweep: past this many columns (a wide customer table of
 * hundreds of attributes took minutes) the top components come from subspace iteration instead.
 */
export const JACOBI_MAX_DIM = 64;

/**
 * The top `m` principal components by orthogonal (subspace) iteration on the centred rows, never
 * forming the d x d covariance: V <- orth(Xc' Xc V) from a fixed start until V stops turning
 * (or 500 rounds), then sorted by variance with the same sign rule as pca().
 */
function topComponents(
  X: Matrix,
  mean: Float64Array,
  m: number,
): { components: Float64Array; variance: Float64Array; mean: Float64Array; explained: number[] } {
  const { rows: n, cols: d, data } = X;
  const denom = Math.max(1, n - 1);
  let total = 0;
  for (let t = 0; t < d; t++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += (data[i * d + t] - mean[t]) ** 2;
    total += s / denom;
  }
  // A deterministic start: column j weighs coordinate t by a fixed pattern that is not orthogonal
  // to much.
  let V = new Float64Array(m * d);
  for (let j = 0; j < m; j++)
    for (let t = 0; t < d; t++) V[j * d + t] = 1 + ((t * (j + 3) * 7919) % 101) / 101;
  const apply = (v: Float64Array): Float64Array => {
    // Xc' (Xc v) / (n - 1), row by row.
    const out = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += (data[i * d + t] - mean[t]) * v[t];
      for (let t = 0; t < d; t++) out[t] += ((data[i * d + t] - mean[t]) * s) / denom;
    }
    return out;
  };
  const orthonormalise = (W: Float64Array) => {
    for (let j = 0; j < m; j++) {
      for (let l = 0; l < j; l++) {
        let dot = 0;
        for (let t = 0; t < d; t++) dot += W[j * d + t] * W[l * d + t];
        for (let t = 0; t < d; t++) W[j * d + t] -= dot * W[l * d + t];
      }
      let norm = 0;
      for (let t = 0; t < d; t++) norm += W[j * d + t] ** 2;
      norm = Math.sqrt(norm) || 1;
      for (let t = 0; t < d; t++) W[j * d + t] /= norm;
    }
  };
  orthonormalise(V);
  const variance = new Float64Array(m);
  for (let round = 0; round < 500; round++) {
    const W = new Float64Array(m * d);
    for (let j = 0; j < m; j++) {
      const w = apply(V.subarray(j * d, (j + 1) * d));
      W.set(w, j * d);
      let ray = 0;
      for (let t = 0; t < d; t++) ray += w[t] * V[j * d + t];
      variance[j] = ray;
    }
    orthonormalise(W);
    let turned = 0;
    for (let j = 0; j < m; j++) {
      let dot = 0;
      for (let t = 0; t < d; t++) dot += W[j * d + t] * V[j * d + t];
      turned = Math.max(turned, 1 - Math.abs(dot));
    }
    V = W;
    if (turned < 1e-12) break;
  }
  const order = Array.from({ length: m }, (_, j) => j).sort((a, b) => variance[b] - variance[a] || a - b);
  const components = new Float64Array(m * d);
  const sorted = new Float64Array(m);
  order.forEach((col, j) => {
    let big = 0;
    for (let t = 0; t < d; t++) if (Math.abs(V[col * d + t]) > Math.abs(big)) big = V[col * d + t];
    const sign = big < 0 ? -1 : 1;
    for (let t = 0; t < d; t++) components[j * d + t] = sign * V[col * d + t];
    sorted[j] = variance[col];
  });
  return {
    components,
    variance: sorted,
    mean,
    explained: Array.from(sorted, (v) => (total > 0 ? v / total : 0)),
  };
}
