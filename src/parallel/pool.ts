import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SegmintError } from '../core/errors.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

/** How many threads to use: `auto` is every core this process may use. */
export function resolveThreads(threads: number | 'auto' | undefined): number {
  if (threads === undefined || threads === 'auto') return Math.max(1, availableParallelism());
  return Math.max(1, Math.floor(threads));
}

/** A few long-lived workers, each answering one request at a time, in order. */
export class WorkerPool {
  private readonly queues: Promise<unknown>[];
  private closed = false;
  private constructor(private readonly workers: Worker[]) {
    this.queues = workers.map(() => Promise.resolve());
    for (const w of workers) w.unref();
  }

  static create(size: number): WorkerPool {
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const url = new URL(`./worker${ext}`, import.meta.url);
    // From TypeScript sources (tests, tsx) the worker registers the tsx loader before loading itself.
    const make =
      ext === '.ts'
        ? () =>
            new Worker(
              `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`,
              { eval: true },
            )
        : () => new Worker(url);
    return new WorkerPool(Array.from({ length: size }, make));
  }

  get size(): number {
    return this.workers.length;
  }

  /** Sends one request to worker `i` and resolves with its reply. */
  call(i: number, msg: WorkerRequest): Promise<WorkerReply> {
    if (this.closed) return Promise.reject(new SegmintError('INTERNAL', 'The worker pool is closed.'));
    const w = this.workers[i];
    const next = this.queues[i].then(
      () =>
        new Promise<WorkerReply>((resolve, reject) => {
          const onMessage = (reply: WorkerReply) => {
            w.off('error', onError);
            if (reply.type === 'error')
              reject(new SegmintError('INTERNAL', `A worker failed: ${reply.message}`));
            else resolve(reply);
          };
          const onError = (e: Error) => {
            w.off('message', onMessage);
            reject(e);
          };
          w.once('message', onMessage);
          w.once('error', onError);
          w.postMessage(msg);
        }),
    );
    this.queues[i] = next.catch(() => {});
    return next;
  }

  /** Sends a request to every worker. */
  broadcast(msg: WorkerRequest): Promise<WorkerReply[]> {
    return Promise.all(this.workers.map((_, i) => this.call(i, msg)));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
