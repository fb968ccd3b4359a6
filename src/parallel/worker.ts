import { workerData } from 'node:worker_threads';
import { runRestartsPart } from '../cluster/kmeans.js';
import { execPart, OP } from '../kernels/exec.js';
import type { KernelName } from '../kernels/kernel-set.js';
import { adoptKernelContext } from '../kernels/kernels.js';
import { CTL, MAX_ARGS, OP_EXIT } from './team.js';

// A team worker: joins the owner's kernel memory, then waits on the control block for commands,
// does its part of each and counts itself done. See team.ts.
const data = workerData as {
  memory: WebAssembly.Memory;
  ctl: SharedArrayBuffer;
  args: SharedArrayBuffer;
  error: SharedArrayBuffer;
  kernels: KernelName;
  size: number;
  index: number;
};
const ctx = adoptKernelContext(data.memory, data.kernels);
const ctl = new Int32Array(data.ctl);
const argv = new Float64Array(data.args);
const error = new Uint8Array(data.error);
let seen = 0;
for (;;) {
  while (Atomics.load(ctl, CTL.seq) === seen) Atomics.wait(ctl, CTL.seq, seen);
  seen = Atomics.load(ctl, CTL.seq);
  const op = Atomics.load(ctl, CTL.op);
  if (op === OP_EXIT) break;
  try {
    ctx.mem.refresh();
    const args = Array.from(argv.subarray(0, MAX_ARGS));
    if (op === OP.restarts) runRestartsPart(ctx, args, data.index, data.size);
    else execPart(ctx, { op, args }, data.index, data.size);
  } catch (e) {
    const msg = new TextEncoder().encode(e instanceof Error ? (e.stack ?? e.message) : String(e));
    error.fill(0);
    error.set(msg.subarray(0, error.length - 1));
    Atomics.store(ctl, CTL.failed, 1);
  }
  Atomics.add(ctl, CTL.done, 1);
  Atomics.notify(ctl, CTL.done);
}
