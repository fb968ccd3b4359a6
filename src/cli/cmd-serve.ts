import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { SegmintError } from '../core/errors.js';
import { action, addCommon, type CommonOpts } from './common.js';
import type { Io } from './output.js';

/**
 * The API key: from --api-key-file (its first line), else --api-key, else SEGMINT_API_KEY; none
 * means no key. An empty or unreadable key file is a USAGE error, never a server without a key.
 */
export function resolveApiKey(
  opts: { apiKey?: string | undefined; apiKeyFile?: string | undefined },
  env: Record<string, string | undefined>,
): string | undefined {
  if (opts.apiKeyFile) {
    let text: string;
    try {
      text = readFileSync(resolve(opts.apiKeyFile), 'utf8');
    } catch {
      throw new SegmintError('USAGE', `Cannot read the API key file ${opts.apiKeyFile}.`, {
        where: { file: opts.apiKeyFile },
        hint: 'Give a file that holds the key on its first line, readable by this user.',
      });
    }
    const key = text.split(/\r?\n/)[0].trim();
    if (!key)
      throw new SegmintError('USAGE', `The API key file ${opts.apiKeyFile} is empty.`, {
        where: { file: opts.apiKeyFile },
        hint: 'Write the key on its first line.',
      });
    return key;
  }
  return opts.apiKey || env.SEGMINT_API_KEY || undefined;
}

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
      .option(
        '--api-key-file <file>',
        'require the key in this file (its first line) on /v1 routes and the dashboard',
      )
      .option(
        '--api-key <key>',
        'the key itself (visible to other users in the process list: prefer --api-key-file or SEGMINT_API_KEY)',
      ),
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
          apiKeyFile?: string;
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
          apiKey: resolveApiKey(opts, process.env),
          onRun: (r) => {
            io.err(r.error ? `run failed: ${r.error}\n` : `run ${r.runId} done\n`);
            // Drift alerts and a failed webhook are logged; they never stop the server.
            for (const w of r.warnings ?? [])
              if (w.code.startsWith('DRIFT')) io.err(`  ${w.code}: ${w.message}\n`);
          },
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
