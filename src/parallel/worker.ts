import { parentPort } from 'node:worker_threads';
import { assignRange, type KState, stateFromBuffers } from '../cluster/kernels.js';
import { kmeansPlusPlus, lloyd } from '../cluster/kmeans.js';
import type { Matrix } from '../core/matrix.js';
import { createRng } from '../core/rng.js';
import { silhouetteBlock } from '../metrics/quality.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

const jobs = new Map<number, { X: Matrix; state: KState }>();

function handle(msg: WorkerRequest): WorkerReply {
  switch (msg.type) {
    case 'load':
      jobs.set(msg.job, {
        X: { rows: msg.rows, cols: msg.cols, data: new Float64Array(msg.data) },
        state: stateFromBuffers(msg.k, msg.cols, msg.state),
      });
      return { type: 'ok' };
    case 'unload':
      jobs.delete(msg.job);
      return { type: 'ok' };
    case 'assign': {
      const { X, state } = jobs.get(msg.job)!;
      return { type: 'assigned', parts: assignRange(X, msg.fromChunk, msg.toChunk, msg.req, state) };
    }
    case 'silhouette':
      silhouetteBlock(
        { rows: msg.rows, cols: msg.cols, data: new Float64Array(msg.data) },
        new Int32Array(msg.labels),
        msg.k,
        msg.i0,
        msg.i1,
        new Float64Array(msg.out),
      );
      return { type: 'ok' };
    case 'restart': {
      const { X } = jobs.get(msg.job)!;
      const centers = msg.init ? Float64Array.from(msg.init) : kmeansPlusPlus(X, msg.k, createRng(msg.seed));
      const r = lloyd(X, centers, msg.k, msg.maxIter, msg.tolAbs, msg.algorithm);
      return { type: 'restarted', centers, labels: r.labels, inertia: r.inertia, nIter: r.nIter };
    }
  }
}

parentPort!.on('message', (msg: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    reply = handle(msg);
  } catch (e) {
    reply = { type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  parentPort!.postMessage(reply);
});
