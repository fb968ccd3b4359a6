import type { Command } from 'commander';
import { traitColumn } from '../features/catalogue.js';
import type { RunSummary } from '../pipeline/run.js';
import { action, addCommon, type CommonOpts, printJson } from './common.js';
import { EXIT, fmtInt, fmtNum, fmtPct, type Io, table } from './output.js';

/** The closing table of a run: one row per segment. */
export function segmentTable(s: RunSummary): string {
  const pick = (trait: string) => traitColumn(s.features, trait)?.name;
  const r = pick('recency');
  const f = pick('frequency');
  const m = pick('monetary');
  const header = [
    'segment',
    'customers',
    'share',
    'revenue',
    ...(r ? ['recency (d)'] : []),
    ...(f ? ['orders'] : []),
    ...(m ? ['spend'] : []),
  ];
  const rows = s.segments.map((p) => [
    `${p.id} ${p.name}`,
    fmtInt(p.size),
    fmtPct(p.shareCustomers),
    fmtPct(p.shareRevenue),
    ...(r ? [fmtNum(p.means[r])] : []),
    ...(f ? [fmtNum(p.means[f])] : []),
    ...(m ? [fmtNum(p.means[m], 2)] : []),
  ]);
  return table(header, rows);
}

export function printRunSummary(io: Io, s: RunSummary): void {
  io.out(`\n${fmtInt(s.customers)} customers in ${s.k} segments. ${s.reason}\n\n${segmentTable(s)}\n\n`);
  if (s.warnings.length) io.out(`warnings:\n${s.warnings.map((w) => `  - ${w.message}`).join('\n')}\n\n`);
  if (s.drift)
    io.out(
      `drift since run ${s.drift.previousRunId}: ${s.drift.alerts.length ? `${s.drift.alerts.length} alert(s) (the DRIFT warnings above)` : 'within the thresholds'}; ${s.drift.moved.share === null ? 'no returning customers' : `${(100 * s.drift.moved.share).toFixed(1)}% of returning customers changed segment`}${s.webhook ? `; webhook ${s.webhook.delivered ? 'delivered' : 'failed'} (${s.webhook.attempts} attempt(s))` : ''}\n\n`,
    );
  const lines: [string, string | undefined][] = [
    ['report', s.files['report.html']],
    ['tags', s.files['tags.csv'] ?? s.files['tags.parquet']],
    ['profiles', s.files['profiles.csv']],
    ['rules', s.files['rules.txt']],
    ['model', s.files['model.json']],
    ['run', s.files['run.json']],
    ['latest', s.latest],
  ];
  io.out(
    `outputs: ${s.runDir}\n${lines
      .filter(([, v]) => v)
      .map(([k, v]) => `  ${`${k}:`.padEnd(10)}${v}`)
      .join('\n')}\n`,
  );
}

export const runJson = (s: RunSummary) => ({
  runId: s.runId,
  runDir: s.runDir,
  latest: s.latest,
  customers: s.customers,
  k: s.k,
  reason: s.reason,
  segments: s.segments,
  warnings: s.warnings,
  files: s.files,
  ledger: s.ledger,
  drift: s.drift,
  webhook: s.webhook,
});

export function registerRun(program: Command, io: Io): void {
  addCommon(
    program
      .command('run')
      .description('run a recipe: data -> features -> segments -> tags, model and run record')
      .argument('<recipe>', 'recipe file (YAML or JSON)')
      .option('--out <dir>', 'output folder (overrides output.dir)')
      .option(
        '--fail-on-drift',
        'exit with code 4 when the run crossed a drift threshold (the run is still kept)',
      )
      .option(
        '--reselect',
        "choose k afresh from the metrics instead of keeping the previous run's k (cluster.keepMargin)",
      ),
    true,
  ).action(
    action(
      io,
      async (
        file: string,
        opts: CommonOpts & { out?: string; failOnDrift?: boolean; reselect?: boolean },
      ) => {
        // The heavy modules load with the command, so `segmint --help` starts at once.
        const [{ loadRecipe }, { runRecipe }, { progressRenderer }] = await Promise.all([
          import('../config/load.js'),
          import('../pipeline/run.js'),
          import('./progress.js'),
        ]);
        const loaded = loadRecipe(file, opts.set ?? []);
        const progress = progressRenderer(io, !opts.json && !opts.quiet);
        // Ctrl-C stops the run at the next step (and the engine's running statement): CANCELLED,
        // nothing written, the last good run untouched.
        const stop = new AbortController();
        const onSigint = () => stop.abort();
        process.once('SIGINT', onSigint);
        const summary = await runRecipe(loaded, {
          onEvent: progress.onEvent,
          signal: stop.signal,
          ...(opts.out ? { outDir: opts.out } : {}),
          ...(opts.reselect ? { reselect: true } : {}),
        }).finally(() => {
          process.off('SIGINT', onSigint);
          progress.stop();
        });
        if (opts.json) printJson(io, runJson(summary));
        else printRunSummary(io, summary);
        if (opts.failOnDrift && summary.drift?.alerts.length) process.exitCode = EXIT.drift;
      },
    ),
  );
}
