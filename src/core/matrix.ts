/** A dense row-major matrix of doubles. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

export function createMatrix(rows: number, cols: number): Matrix {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

/** Column j as a new array. */
export function column(m: Matrix, j: number): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = m.data[i * m.cols + j];
  return out;
}

/** Rows picked by index into a new matrix. */
export function takeRows(m: Matrix, idx: ArrayLike<number>): Matrix {
  const out = createMatrix(idx.length, m.cols);
  for (let r = 0; r < idx.length; r++)
    out.data.set(m.data.subarray(idx[r] * m.cols, (idx[r] + 1) * m.cols), r * m.cols);
  return out;
}

export function fromRows(rows: number[][]): Matrix {
  const cols = rows.length ? rows[0].length : 0;
  const m = createMatrix(rows.length, cols);
  rows.forEach((r, i) => {
    m.data.set(r, i * cols);
  });
  return m;
}

export function toRows(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < m.rows; i++) out.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  return out;
}
