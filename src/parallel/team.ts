import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { SegmintError } from '../core/errors.js';
import { startWorker } from '../core/worker.js';
import { type Command, type Executor, execPart } from '../kernels/exec.js';
import { type KernelContext, kernelContext } from '../kernels/kernels.js';

/** How many threads to use: `auto` is every core this process may use. */
export function resolveThreads(threads: number | 'auto' | undefined): number {
  if (threads === undefined || threads === 'auto') return Math.max(1, availableParallelism());
  return Math.max(1, Math.floor(threads));
}

/** Slots of the control block (Int32). */
export const CTL = { seq: 0, done: 1, op: 2, failed: 3, ready: 4 } as const;
export const CTL_INTS = 8;
export const MAX_ARGS = 32;
export const ERROR_BYTES = 4096;
/** The op that tells workers to stop. */
export const OP_EXIT = -1;

/**
 * A team of worker threads that share this thread's kernel memory. A command is written to a
 * shared control block and every worker does its part (kernels/exec.ts splits passes by fixed row
 * chunks, so the result does not depend on the team's size); the calling thread either blocks
 * (run, Atomics.wait) or stays free (runAsync, Atomics.waitAsync). Workers wait on the block, so
 * nothing is copied or posted per command.
 */
export class Team implements Executor {
  readonly size: number;
  private readonly ctl: Int32Array;
  private readonly args: Float64Array;
  private readonly error: Uint8Array;
  private readonly workers: Worker[];
  private busy = false;
  private closed = false;

  private constructor(
    private readonly ctx: KernelContext,
    size: number,
  ) {
    this.size = size;
    this.ctl = new Int32Array(new SharedArrayBuffer(CTL_INTS * 4));
    this.args = new Float64Array(new SharedArrayBuffer(MAX_ARGS * 8));
    this.error = new Uint8Array(new SharedArrayBuffer(ERROR_BYTES));
    const workerData = {
      memory: ctx.mem.memory,
      ctl: this.ctl.buffer,
      args: this.args.buffer,
      error: this.error.buffer,
      kernels: ctx.kernels.name,
      size,
    };
    this.workers = Array.from({ length: size }, (_, index) => {
      const w = startWorker('worker', import.meta.url, { ...workerData, index });
      w.unref();
      return w;
    });
  }

  /**
   * A team of `threads` workers over this thread's kernel memory, or null for one thread (or where
   * the memory cannot be shared). Teams are kept for the life of the process; a team that is busy
   * (an async command in flight) is not handed out again, so a second caller gets its own.
   */
  static get(threads: number): Team | null {
    const ctx = kernelContext();
    if (threads < 2 || !ctx.mem.shared) return null;
    for (const t of teams) if (t.ctx === ctx && t.size === threads && !t.busy && !t.closed) return t;
    const t = new Team(ctx, threads);
    teams.push(t);
    return t;
  }

  private post(cmd: Command): number {
    if (this.closed) throw new SegmintError('INTERNAL', 'The worker team is closed.');
    if (cmd.op !== OP_EXIT && kernelContext() !== this.ctx)
      throw new SegmintError(
        'INTERNAL',
        'The worker team belongs to another kernel memory (setKernels was called).',
      );
    if (cmd.args.length > MAX_ARGS) throw new SegmintError('INTERNAL', 'Too many kernel arguments.');
    this.args.set(cmd.args);
    Atomics.store(this.ctl, CTL.op, cmd.op);
    Atomics.store(this.ctl, CTL.done, 0);
    Atomics.store(this.ctl, CTL.failed, 0);
    Atomics.add(this.ctl, CTL.seq, 1);
    Atomics.notify(this.ctl, CTL.seq);
    return this.size;
  }

  private check(): void {
    if (Atomics.load(this.ctl, CTL.failed)) {
      const bytes = this.error.slice();
      const end = bytes.indexOf(0);
      const msg = new TextDecoder().decode(bytes.subarray(0, end < 0 ? bytes.length : end));
      throw new SegmintError('INTERNAL', `A worker failed: ${msg}`);
    }
  }

  run(cmd: Command): void {
    if (cmd.local) {
      execPart(this.ctx, cmd, 0, 1);
      return;
    }
    if (this.busy) throw new SegmintError('INTERNAL', 'The worker team is busy.');
    this.busy = true;
    try {
      const want = this.post(cmd);
      for (;;) {
        const done = Atomics.load(this.ctl, CTL.done);
        if (done >= want) break;
        Atomics.wait(this.ctl, CTL.done, done, 1000);
      }
      this.check();
    } finally {
      this.busy = false;
    }
  }

  async runAsync(cmd: Command): Promise<void> {
    if (cmd.local) {
      execPart(this.ctx, cmd, 0, 1);
      return;
    }
    if (this.busy) throw new SegmintError('INTERNAL', 'The worker team is busy.');
    this.busy = true;
    // A pending Atomics.waitAsync does not keep Node's event loop alive (and the workers are
    // unref'd): hold it open with a timer until the team is done.
    const alive = setInterval(() => {}, 1 << 30);
    try {
      const want = this.post(cmd);
      for (;;) {
        const done = Atomics.load(this.ctl, CTL.done);
        if (done >= want) break;
        const w = Atomics.waitAsync(this.ctl, CTL.done, done, 1000);
        if (w.async) await w.value;
      }
      this.check();
    } finally {
      clearInterval(alive);
      this.busy = false;
    }
  }

  /** Stops the workers (teams are otherwise kept; their threads never hold the process open). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.post({ op: OP_EXIT, args: [] });
    this.closed = true;
    teams.splice(teams.indexOf(this), 1);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

const teams: Team[] = [];

/** An executor for `threads`: a team when there are two or more, else null (the caller runs serially). */
export const teamFor = (threads: number | 'auto' | undefined): Team | null =>
  Team.get(resolveThreads(threads));
