import { resolve } from 'node:path';
import type { Command } from 'commander';
import { SegmintError } from '../core/errors.js';
import { action, addCommon, type CommonOpts } from './common.js';
import type { Io } from './output.js';

export function registerServe(program: Command, io: Io): void {
  addCommon(
    program
      .command('serve')
      .description(
        'serve the scoring API and dashboard for a workspace, and re-run the recipe on its schedule',
      )
      .requiredOption('-w, --workspace <dir>', "the recipe's output folder (runs/, latest, history.duckdb)")
      .option('-r, --recipe <file>', 'the recipe, for POST /v1/runs and its schedule')
      .option('--host <host>', 'address to bind', '127.0.0.1')
      .option('-p, --port <port>', 'port', '8080')
      .option('--api-key <key>', 'require this key on /v1 routes (or set SEGMINT_API_KEY)'),
  ).action(
    action(
      io,
      async (
        opts: CommonOpts & {
          workspace: string;
          recipe?: string;
          host: string;
          port: string;
          apiKey?: string;
        },
      ) => {
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new SegmintError('USAGE', `--port must be a port number, not "${opts.port}".`);
        const { startService } = await import('../serve/service.js');
        const svc = await startService({
          workspace: resolve(opts.workspace),
          recipe: opts.recipe,
          host: opts.host,
          port,
          apiKey: opts.apiKey ?? process.env.SEGMINT_API_KEY,
          onRun: (r) => io.err(r.error ? `run failed: ${r.error}\n` : `run ${r.runId} done\n`),
        });
        const info = { address: svc.address, workspace: resolve(opts.workspace), nextRun: svc.nextRun() };
        io.out(
          opts.json
            ? `${JSON.stringify({ ok: true, ...info })}\n`
            : `serving ${info.address} (workspace ${info.workspace})${info.nextRun ? `, next scheduled run ${info.nextRun}` : ''}\n`,
        );
        await new Promise<void>((done) => {
          const stop = () => {
            svc.close().then(done);
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      },
    ),
  );
}
