import { CHUNK_ROWS, chunkCount } from '../kernels/exec.js';
import type { KernelMemory } from '../kernels/memory.js';

export { CHUNK_ROWS, chunkCount };

/**
 * Per-row and per-chunk state of a k-means run, as pointers into the kernel memory (so every
 * worker of a team reads and writes the same arrays). A chunk in which no label changed keeps its
 * sums from the previous pass (same rows, same labels, same order: the same numbers).
 */
export interface KState {
  n: number;
  k: number;
  d: number;
  /** n int32 labels. */
  labels: number;
  /** n doubles. Lloyd: squared distance to the nearest centre. Hamerly: upper bound of the distance to the assigned centre. */
  upper: number;
  /** n doubles. Hamerly: lower bound of the distance to the second-nearest centre. */
  lower: number;
  /** Per chunk: k x d sums of its rows by label. */
  chunkSums: number;
  /** Per chunk: k counts. */
  chunkCounts: number;
  /** Per chunk: 1 when chunkSums/chunkCounts match its current labels. */
  chunkValid: number;
  /** Per chunk: labels changed and inertia of the last pass (two doubles). */
  stats: number;
  /** k x d current centres, k half-distances to the nearest other, k shifts (Hamerly). */
  centers: number;
  half: number;
  shift: number;
}

/** Trials per k-means++ step, as scikit-learn: 2 + floor(ln k). */
export const kppTrials = (k: number): number => 2 + Math.floor(Math.log(k));

/** Scratch of k-means++ seeding: closest distances, candidate distances, their cumulative sum, candidate rows, chunk partials. */
export interface KppScratch {
  closest: number;
  candDist: number;
  cands: number;
  partials: number;
}

/** Everything one restart needs, laid out in one block so a worker can find it from its base. */
export interface RestartSpace {
  state: KState;
  kpp: KppScratch;
  /** n int32: the labels of the best restart run here so far. */
  bestLabels: number;
  bytes: number;
}

const up = (b: number) => Math.ceil(b / 64) * 64;

/** The layout of a restart's space from its base pointer; the same on every thread. */
export function restartSpaceAt(base: number, n: number, k: number, d: number): RestartSpace {
  const chunks = chunkCount(n);
  const trials = kppTrials(k);
  let at = base;
  const take = (bytes: number) => {
    const p = at;
    at += up(bytes);
    return p;
  };
  const state: KState = {
    n,
    k,
    d,
    labels: take(n * 4),
    upper: take(n * 8),
    lower: take(n * 8),
    chunkSums: take(chunks * k * d * 8),
    chunkCounts: take(chunks * k * 8),
    chunkValid: take(chunks),
    stats: take(chunks * 16),
    centers: take(k * d * 8),
    half: take(k * 8),

    shift: take(k * 8),
  };
  const kpp: KppScratch = {
    closest: take(n * 8),
    candDist: take(trials * n * 8),
    cands: take(trials * d * 8),
    partials: take(trials * chunks * 8),
  };
  const bestLabels = take(n * 4);
  return { state, kpp, bestLabels, bytes: at - base };
}

/** Allocates `count` restart spaces in one block; returns the base and the stride. */
export function allocRestartSpaces(
  mem: KernelMemory,
  count: number,
  n: number,
  k: number,
  d: number,
): { base: number; stride: number; spaces: RestartSpace[] } {
  const stride = restartSpaceAt(0, n, k, d).bytes;
  const base = mem.alloc(stride * count);
  const spaces = Array.from({ length: count }, (_, w) => restartSpaceAt(base + w * stride, n, k, d));
  return { base, stride, spaces };
}

/** Resets a state for a new run: labels -1, every chunk's sums stale. */
export function resetState(mem: KernelMemory, s: KState): void {
  mem.i32(s.labels, s.n).fill(-1);
  mem.u8(s.chunkValid, chunkCount(s.n)).fill(0);
}
