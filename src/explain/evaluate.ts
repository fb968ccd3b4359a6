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
 */
export function stratifiedSplit(
  y: ArrayLike<number>,
  testShare: number,
  seed: number,
): { train: Int32Array; test: Int32Array } {
  const rng = createRng(deriveSeed(seed, 0x7e57));
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < y.length; i++) {
    const list = byClass.get(y[i]) ?? [];
    list.push(i);
    byClass.set(y[i], list);
  }
  const train: number[] = [];
  const test: number[] = [];
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const rows = byClass.get(cls)!;
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [rows[i], rows[j]] = [rows[j], rows[i]];
    }
    const nTest = rows.length >= 2 ? Math.max(1, Math.round(rows.length * testShare)) : 0;
    test.push(...rows.slice(0, nTest));
    train.push(...rows.slice(nTest));
  }
  return { train: Int32Array.from(train).sort(), test: Int32Array.from(test).sort() };
}
