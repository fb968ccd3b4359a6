import type { KernelContext } from './kernels.js';

/**
 * A pass over the data is split into fixed chunks of CHUNK_ROWS rows; each chunk's partial sums
 * are kept apart and added in chunk order, so one thread or many give the same bits.
 */
export const CHUNK_ROWS = 2048;

/** Rows of the silhouette's pair loop per kernel call. */
const SILHOUETTE_ROWS = 64;

export const chunkCount = (rows: number): number => Math.max(1, Math.ceil(rows / CHUNK_ROWS));

/** What a command asks of the kernels; the numbers after it are its arguments (pointers and sizes). */
export const OP = {
  /** kmAssign: mode, X, n, d, k, centers, half, shift, labels, upper, lower, chunkSums, chunkCounts, chunkValid, wantInertia, stats. */
  assign: 1,
  /** kppDistances: X, n, d, cands, trials, closest, out, partials. */
  kpp: 2,
  /** silhouetteBlock over fixed blocks: X, n, d, labels, k, bounds (i32 x blocks+1), blocks, outs, outStride. */
  silhouette: 3,
  /** Whole k-means restarts, each on one worker (handled by the worker, not here). */
  restarts: 4,
  /** colSums per chunk: X, n, d, mean (0 for plain sums), partials (chunks x d). */
  colSums: 5,
} as const;

export interface Command {
  op: number;
  args: number[];
  /** Run on the calling thread even when a team is there (too little work to share). */
  local?: boolean;
}

/** Runs commands: on this thread (size 1), or split over a team of workers sharing the memory. */
export interface Executor {
  readonly size: number;
  /** Runs a command to the end, blocking this thread. */
  run(cmd: Command): void;
  /** Runs a command; this thread stays free meanwhile. */
  runAsync(cmd: Command): Promise<void>;
}

/** The rows a part of a split pass takes: part w of `size` gets one contiguous run of chunks. */
export function chunkRange(chunks: number, w: number, size: number): [number, number] {
  const per = Math.ceil(chunks / size);
  return [Math.min(chunks, w * per), Math.min(chunks, (w + 1) * per)];
}

/** Does part w of `size` of a kernel command (restarts are the worker's own business). */
export function execPart(ctx: KernelContext, cmd: Command, w: number, size: number): void {
  const a = cmd.args;
  const ks = ctx.kernels;
  switch (cmd.op) {
    // One kernel call per chunk (or per few rows): V8 first runs a WebAssembly function from its
    // baseline compiler and switches to the optimised code between calls, never inside one, so a
    // pass made of one long call would run unoptimised on each new worker.
    case OP.assign: {
      const [from, to] = chunkRange(chunkCount(a[2]), w, size);
      for (let c = from; c < to; c++)
        ks.kmAssign(
          a[0],
          a[1],
          a[2],
          a[3],
          a[4],
          a[5],
          a[6],
          a[7],
          a[8],
          a[9],
          a[10],
          a[11],
          a[12],
          a[13],
          CHUNK_ROWS,
          c,
          c + 1,
          a[14],
          a[15],
        );
      return;
    }
    case OP.kpp: {
      const chunks = chunkCount(a[1]);
      const [from, to] = chunkRange(chunks, w, size);
      for (let c = from; c < to; c++)
        ks.kppDistances(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], chunks, CHUNK_ROWS, c, c + 1);
      return;
    }
    case OP.colSums: {
      const [X, n, d, mean, partials] = a;
      const [from, to] = chunkRange(chunkCount(n), w, size);
      for (let c = from; c < to; c++)
        ks.colSums(X, d, c * CHUNK_ROWS, Math.min(n, (c + 1) * CHUNK_ROWS), mean, partials + c * d * 8);
      return;
    }
    case OP.silhouette: {
      const [X, n, d, labels, k, bounds, blocks, outs, stride] = a;
      const b0 = ctx.mem.i32(bounds, blocks + 1);
      for (let b = w; b < blocks; b += size)
        for (let i = b0[b]; i < b0[b + 1]; i += SILHOUETTE_ROWS)
          ks.silhouetteBlock(
            X,
            n,
            d,
            labels,
            k,
            i,
            Math.min(b0[b + 1], i + SILHOUETTE_ROWS),
            outs + b * stride,
          );
      return;
    }
    default:
      throw new Error(`unknown kernel command ${cmd.op}`);
  }
}

/** Runs every command on this thread. */
export function serialExecutor(ctx: KernelContext): Executor {
  const run = (cmd: Command) => execPart(ctx, cmd, 0, 1);
  return { size: 1, run, runAsync: async (cmd) => run(cmd) };
}

/** A computation that yields the commands it needs run and gets control back when each is done. */
export type Steps<T> = Generator<Command, T, void>;

/** Drives steps to the end on `exec`, blocking this thread. */
export function drive<T>(steps: Steps<T>, exec: Executor): T {
  let r = steps.next();
  try {
    while (!r.done) {
      exec.run(r.value);
      r = steps.next();
    }
  } catch (e) {
    // Let the steps free what they hold (their finally blocks), then pass the error on.
    if (!r.done) steps.return(undefined as T);
    throw e;
  }
  return r.value;
}

/** Drives steps to the end on `exec`, leaving this thread free while each command runs. */
export async function driveAsync<T>(steps: Steps<T>, exec: Executor): Promise<T> {
  let r = steps.next();
  try {
    while (!r.done) {
      await exec.runAsync(r.value);
      r = steps.next();
    }
  } catch (e) {
    if (!r.done) steps.return(undefined as T);
    throw e;
  }
  return r.value;
}
