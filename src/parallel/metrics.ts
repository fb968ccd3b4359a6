import type { Matrix } from '../core/matrix.js';
import {
  silhouetteBlocks,
  silhouetteDefined,
  silhouetteFromSums,
  silhouetteScore,
} from '../metrics/quality.js';
import { sharedMatrix } from './kmeans.js';
import type { WorkerPool } from './pool.js';

/**
 * The exact silhouette with its fixed row blocks spread over the pool; each block fills its own
 * n x k buffer and the buffers are added in block order, so the value equals silhouetteScore's.
 */
export async function silhouetteParallel(
  X0: Matrix,
  labels0: Int32Array,
  k: number,
  pool: WorkerPool | null,
): Promise<number> {
  if (!pool || pool.size < 2 || X0.rows < 2000) return silhouetteScore(X0, labels0, k);
  if (!silhouetteDefined(labels0, k)) return Number.NaN;
  const X = sharedMatrix(X0);
  const n = X.rows;
  const labels = new Int32Array(new SharedArrayBuffer(n * 4));
  labels.set(labels0);
  const bounds = silhouetteBlocks(n);
  const outs = bounds.slice(0, -1).map(() => new Float64Array(new SharedArrayBuffer(n * k * 8)));
  const perWorker = Array.from({ length: pool.size }, (_, w) =>
    outs.map((_, b) => b).filter((b) => b % pool.size === w),
  );
  await Promise.all(
    perWorker.map(async (blocks, w) => {
      for (const b of blocks) {
        await pool.call(w, {
          type: 'silhouette',
          data: X.data.buffer as SharedArrayBuffer,
          rows: n,
          cols: X.cols,
          labels: labels.buffer as SharedArrayBuffer,
          k,
          i0: bounds[b],
          i1: bounds[b + 1],
          out: outs[b].buffer as SharedArrayBuffer,
        });
      }
    }),
  );
  const sums = new Float64Array(n * k);
  for (const o of outs) for (let j = 0; j < sums.length; j++) sums[j] += o[j];
  return silhouetteFromSums(sums, labels0, k);
}
