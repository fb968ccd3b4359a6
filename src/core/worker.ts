import { Worker } from 'node:worker_threads';

/**
 * Starts the worker module `name` that sits beside the module at `base` (its import.meta.url):
 * name.js when built; from TypeScript sources (tests, tsx) the worker registers the tsx loader
 * before loading name.ts.
 */
export function startWorker(name: string, base: string, workerData?: unknown): Worker {
  const ext = base.endsWith('.ts') ? '.ts' : '.js';
  const url = new URL(`./${name}${ext}`, base);
  return ext === '.ts'
    ? new Worker(
        `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`,
        { eval: true, workerData },
      )
    : new Worker(url, { workerData });
}
