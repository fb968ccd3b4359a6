/**
 * Minimum-cost assignment (Hungarian algorithm, Kuhn-Munkres with potentials), O(n^3).
 * cost is rows x cols, row-major; rows <= cols is not required: the matrix is padded square.
 * Returns for each row the column it gets, or -1 when it got a padding column.
 */
export function assignMinCost(cost: ArrayLike<number>, rows: number, cols: number): Int32Array {
  const n = Math.max(rows, cols);
  let big = 0;
  for (let i = 0; i < cost.length; i++) if (Number.isFinite(cost[i]) && cost[i] > big) big = cost[i];
  big = big * 10 + 1;
  const a = (i: number, j: number): number =>
    i < rows && j < cols && Number.isFinite(cost[i * cols + j]) ? cost[i * cols + j] : big;
  // 1-based arrays as in the classic formulation.
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const p = new Int32Array(n + 1);
  const way = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(n + 1).fill(Number.POSITIVE_INFINITY);
    const used = new Uint8Array(n + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Number.POSITIVE_INFINITY;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = a(i0 - 1, j - 1) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  const out = new Int32Array(rows).fill(-1);
  for (let j = 1; j <= n; j++) {
    const i = p[j] - 1;
    if (i < rows && j - 1 < cols && Number.isFinite(cost[i * cols + (j - 1)])) out[i] = j - 1;
  }
  return out;
}
