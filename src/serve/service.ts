import { resolve } from 'node:path';
import { Cron } from 'croner';
import { loadRecipe } from '../config/load.js';
import { SegmintError } from '../core/errors.js';
import { redactSecrets } from '../core/redact.js';
import { acquireWorkspaceLock } from '../pipeline/atomic.js';
import { makeRunId } from '../pipeline/outputs.js';
import { runRecipe } from '../pipeline/run.js';
import { buildApp } from './app.js';

export interface ServiceOptions {
  workspace: string;
  recipe?: string | undefined;
  host?: string;
  port?: number;
  apiKey?: string | undefined;
  logger?: boolean;
  /** Called after each scheduled or requested run, successful or not. */
  onRun?: (r: {
    runId: string | null;
    error: string | null;
    warnings?: { code: string; message: string }[];
  }) => void;
}

/**
 * The scoring service with its scheduler: one run at a time (a second request gets 409, a cron tick
 * while a run goes on is skipped); a failed run is recorded and the last good model keeps serving.
 */
export async function startService(opts: ServiceOptions) {
  const workspace = resolve(opts.workspace);
  let running: Promise<void> | null = null;
  let job: Cron | null = null;
  const runNow = (): string => {
    if (!opts.recipe) throw new SegmintError('USAGE', 'No recipe to run: start the server with --recipe.');
    const loaded = loadRecipe(opts.recipe);
    const id = makeRunId(new Date(), loaded.hash);
    // The workspace lock is taken before the request is answered: a run another process holds
    // (a CLI run) is RUN_IN_PROGRESS naming it, a 409, instead of a 202 for a run that fails.
    const heldLock = acquireWorkspaceLock(workspace);
    running = runRecipe(loaded, { outDir: workspace, heldLock })
      .then((s) => {
        app.reloadModel();
        opts.onRun?.({ runId: s.runId, error: null, warnings: s.warnings });
      })
      .catch((e: unknown) => {
        opts.onRun?.({ runId: null, error: redactSecrets(e instanceof Error ? e.message : String(e)) });
      })
      .finally(() => {
        running = null;
      });
    return id;
  };
  const app = buildApp({
    workspace,
    apiKey: opts.apiKey,
    logger: opts.logger ?? false,
    isRunning: () => running !== null,
    ...(opts.recipe
      ? { startRun: async () => runNow(), recipe: () => loadRecipe(opts.recipe as string) }
      : {}),
  });
  if (opts.recipe) {
    const { recipe } = loadRecipe(opts.recipe);
    if (recipe.schedule) {
      try {
        job = new Cron(
          recipe.schedule.cron,
          { ...(recipe.schedule.timezone ? { timezone: recipe.schedule.timezone } : {}), protect: true },
          () => {
            if (running) return;
            try {
              runNow();
            } catch (e) {
              // Another process holds the workspace: this tick is skipped, and said.
              opts.onRun?.({ runId: null, error: redactSecrets(e instanceof Error ? e.message : String(e)) });
            }
          },
        );
      } catch (e) {
        throw new SegmintError(
          'RECIPE_INVALID',
          `schedule.cron "${recipe.schedule.cron}" is not a cron expression: ${(e as Error).message}`,
          { where: { path: 'schedule.cron' } },
        );
      }
    }
  }
  const address = await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 8080 });
  return {
    app,
    address,
    nextRun: () => job?.nextRun()?.toISOString() ?? null,
    /** Waits for a run in progress. */
    idle: async () => {
      while (running) await running;
    },
    close: async () => {
      job?.stop();
      while (running) await running;
      await app.close();
    },
  };
}
