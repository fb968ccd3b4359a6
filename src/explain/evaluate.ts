import { createRng, deriveSeed } from '../core/rng.js';

export interface BinaryMetrics {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** [[true negatives, false positives], [false negatives, true positives]] */
  confusion: [[number, number], [number, number]];
  support: number;
}

/** Accuracy, precision, recall and F1 of predicted against actual (1 = in the target). 0 where undefined. */
export function binaryMetrics(actual: ArrayLike<number>, predicted: ArrayLike<number>): BinaryMetrics {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] === 1;
    const p = predicted[i] === 1;
    if (a && p) tp++;
    else if (!a && p) fp++;
    else if (a && !p) fn++;
    else tn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return {
    accuracy: actual.length ? (tp + tn) / actual.length : 0,
    precision,
    recall,
    f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
    confusion: [
      [tn, fp],
      [fn, tp],
    ],
    support: tp + fn,
  };
}

/**
 * A stratified, seeded split: within each class, a shuffled `testShare` of the rows (rounded, at
 * least one when the class has two or more rows) goes to the test set. Returns sorted row indices.
 * Typed arrays throughout (a class may hold millions of rows).
 */
export function stratifiedSplit(
  y: ArrayLike<number>,
  testShare: number,
  seed: number,
): { train: Int32Array; test: Int32Array } {
  return stratifiedPick(y, seed, 0x7e57, (size) =>
    size >= 2 ? Math.max(1, Math.round(size * testShare)) : 0,
  );
}

/**
 * A stratified, seeded sample of about `size` rows (each class keeps its share, rounded, at least
 * one row of every class): `test` holds the sample, `train` the rest. Sorted row indices.
 */
export function stratifiedSample(
  y: ArrayLike<number>,
  size: number,
  seed: number,
): { sample: Int32Array; rest: Int32Array } {
  const share = Math.min(1, size / Math.max(1, y.length));
  const { test, train } = stratifiedPick(y, seed, 0x5a3b, (n) =>
    Math.min(n, Math.max(1, Math.round(n * share))),
  );
  return { sample: test, rest: train };
}

/** Rows grouped by class (classes ascending), each class shuffled by a seeded Fisher-Yates; the first `take(classSize)` of each class are picked. */
function stratifiedPick(
  y: ArrayLike<number>,
  seed: number,
  stream: number,
  take: (classSize: number) => number,
): { train: Int32Array; test: Int32Array } {
  const rng = createRng(deriveSeed(seed, stream));
  const n = y.length;
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) counts.set(y[i], (counts.get(y[i]) ?? 0) + 1);
  const classes = [...counts.keys()].sort((a, b) => a - b);
  const next = new Map<number, number>();
  let offset = 0;
  for (const c of classes) {
    next.set(c, offset);
    offset += counts.get(c)!;
  }
  const grouped = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const at = next.get(y[i])!;
    grouped[at] = i;
    next.set(y[i], at + 1);
  }
  const picked = new Uint8Array(n);
  let nPicked = 0;
  let start = 0;
  for (const c of classes) {
    const size = counts.get(c)!;
    for (let i = size - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      const t = grouped[start + i];
      grouped[start + i] = grouped[start + j];
      grouped[start + j] = t;
    }
    const m = take(size);
    for (let i = 0; i < m; i++) picked[grouped[start + i]] = 1;
    nPicked += m;
    start += size;
  }
  const test = new Int32Array(nPicked);
  const train = new Int32Array(n - nPicked);
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    if (picked[i]) test[a++] = i;
    else train[b++] = i;
  }
  return { train, test };
}
