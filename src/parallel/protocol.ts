import type { AssignRequest, ChunkStat } from '../cluster/kernels.js';

/** Messages between the main thread and k-means workers. Buffers are shared, not copied. */
export type WorkerRequest =
  | {
      type: 'load';
      job: number;
      data: SharedArrayBuffer;
      rows: number;
      cols: number;
      k: number;
      state: SharedArrayBuffer[];
    }
  | { type: 'assign'; job: number; fromChunk: number; toChunk: number; req: AssignRequest }
  | {
      type: 'restart';
      job: number;
      k: number;
      seed: number;
      maxIter: number;
      tolAbs: number;
      algorithm: 'lloyd' | 'hamerly';
      init?: Float64Array;
    }
  | { type: 'unload'; job: number }
  | {
      type: 'silhouette';
      data: SharedArrayBuffer;
      rows: number;
      cols: number;
      labels: SharedArrayBuffer;
      k: number;
      i0: number;
      i1: number;
      out: SharedArrayBuffer;
    };

export type WorkerReply =
  | { type: 'ok' }
  | { type: 'assigned'; parts: ChunkStat[] }
  | { type: 'restarted'; centers: Float64Array; labels: Int32Array; inertia: number; nIter: number }
  | { type: 'error'; message: string };
