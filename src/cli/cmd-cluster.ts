import { resolve } from 'node:path';
import type { Command } from 'commander';
import { SegmintError } from '../core/errors.js';
import { action, addCommon, type CommonOpts, engineFromFlags, printJson } from './common.js';
import type { Io } from './output.js';

interface ClusterOpts extends CommonOpts {
  engine: string;
  table: string;
  features: string;
  k: string;
  seed: string;
  scaler: string;
  log?: string;
  categorical?: string;
  onehotTop: string;
  sampleSize: string;
  maxIter: string;
  id: string;
  outTable?: string;
  database?: string;
  url?: string;
  out?: string;
}

const int = (v: string, flag: string, min: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new SegmintError('USAGE', `${flag} must be a whole number of at least ${min}, not "${v}".`);
  return n;
};

export function registerCluster(program: Command, io: Io): void {
  addCommon(
    program
      .command('cluster')
      .description(
        'k-means on a customer feature table where it lives (DuckDB file, PostgreSQL, ClickHouse): only the sample and centroids come to this machine',
      )
      .requiredOption('--engine <engine>', 'duckdb, postgres or clickhouse')
      .requiredOption('--table <table>', 'the table of customer features (one row per customer)')
      .option('--features <columns>', 'comma-separated numeric columns to cluster on')
      .option(
        '--categorical <columns>',
        'comma-separated text columns, one-hot encoded (the most frequent levels, the rest as other)',
      )
      .option('--onehot-top <n>', 'levels of a categorical column that get their own column', '8')
      .requiredOption(
        '--k <n|min..max>',
        'number of segments, or a range to choose from by silhouette on the sample',
      )
      .option('--seed <n>', 'seed of the sample and the k-means++ start', '42')
      .option(
        '--scaler <scaler>',
        'standard (mean 0, sd 1), minmax ([0, 1]), robust (median 0, IQR 1), all fitted in the engine, or none',
        'standard',
      )
      .option(
        '--log <columns>',
        'comma-separated skewed columns to log1p-transform before scaling (e.g. spend)',
      )
      .option('--sample-size <n>', 'rows drawn in the engine for the k-means++ start', '10000')
      .option('--max-iter <n>', 'at most this many Lloyd iterations', '300')
      .option('--id <column>', 'customer id column', 'customer_id')
      .option('--out-table <table>', 'write customer_id, segment, distance to this table in the engine')
      .option('--database <file>', 'with --engine duckdb: the database file')
      .option(
        '--url <url>',
        'with postgres: connection URL (default SEGMINT_PG_URL, DATABASE_URL, PG*); with clickhouse: HTTP URL (default SEGMINT_CLICKHOUSE_URL, http://127.0.0.1:8123/)',
      )
      .option('--out <file>', 'write the result (preparation, centres, sizes, seed) as JSON here'),
  ).action(
    action(io, async (opts: ClusterOpts) => {
      const [
        { cancelOnAbort },
        { openEngine },
        { clusterInEngine, selectKInEngine },
        { fitPrepInEngine },
        { writeFileAtomic },
        { OTHER },
      ] = await Promise.all([
        import('../sql/query.js'),
        import('../sql/open.js'),
        import('../engine/kmeans.js'),
        import('../engine/prep.js'),
        import('../pipeline/atomic.js'),
        import('../prep/prepare.js'),
      ]);
      const range = /^(\d+)\.\.(\d+)$/.exec(opts.k.trim());
      const kMin = range ? int(range[1], '--k', 1) : int(opts.k, '--k', 1);
      const kMax = range ? int(range[2], '--k', kMin) : kMin;
      const seed = int(opts.seed, '--seed', 0);
      if (!['standard', 'minmax', 'robust', 'none'].includes(opts.scaler))
        throw new SegmintError(
          'USAGE',
          `--scaler must be standard, minmax, robust or none, not "${opts.scaler}".`,
        );
      const list = (v: string | undefined) =>
        (v ?? '')
          .split(',')
          .map((f) => f.trim())
          .filter(Boolean);
      const features = list(opts.features);
      if (!features.length && !list(opts.categorical).length)
        throw new SegmintError(
          'USAGE',
          'Name the columns to cluster on with --features and/or --categorical.',
        );
      const runner = await openEngine(engineFromFlags(opts), '--engine');
      const stop = new AbortController();
      const onSigint = () => stop.abort();
      process.once('SIGINT', onSigint);
      const untie = cancelOnAbort(runner, stop.signal);
      try {
        const prep = await fitPrepInEngine(
          runner,
          opts.table,
          features,
          opts.scaler as 'standard',
          list(opts.log),
          {
            categorical: list(opts.categorical),
            onehotTop: int(opts.onehotTop, '--onehot-top', 1),
          },
        );
        const common = {
          prep,
          table: opts.table,
          idColumn: opts.id,
          seed,
          sampleSize: int(opts.sampleSize, '--sample-size', kMax),
          maxIter: int(opts.maxIter, '--max-iter', 1),
          ...(opts.outTable ? { outTable: opts.outTable } : {}),
          signal: stop.signal,
          onProgress: (_done: number, _total: number, label: string) => {
            if (!opts.quiet && !opts.json) io.err(`  ${label}\n`);
          },
        };
        let selection = null;
        let r: Awaited<ReturnType<typeof clusterInEngine>>;
        if (kMax > kMin) {
          const s = await selectKInEngine(runner, { ...common, kMin, kMax });
          selection = { chosen: s.chosen, elbow: s.elbow, candidates: s.candidates };
          r = { ...s.best, rowsMoved: s.rowsMoved };
        } else r = await clusterInEngine(runner, { ...common, k: kMin });
        const k = selection?.chosen ?? kMin;
        const dim = prep.outputNames.length;
        // Centres back in the table's units: x = p * scale + center, then expm1 where log1p was
        // applied; a categorical level's centre is the share of the segment with that level.
        const segments = Array.from({ length: k }, (_, c) => {
          const centre: Record<string, number> = {};
          let t = 0;
          for (const s of prep.steps) {
            if (s.type === 'numeric') {
              const v = r.centers[c * dim + t++] * s.scale + s.center;
              centre[s.name] = s.log ? Math.expm1(v) : v;
            } else
              for (const level of [...s.levels, ...(s.other ? [OTHER] : [])])
                centre[`${s.name}=${level}`] = r.centers[c * dim + t++] / s.weight;
          }
          return { segment: c, size: r.counts[c], centre };
        });
        const result = {
          engine: runner.dialect,
          table: opts.table,
          k,
          seed,
          inertia: r.inertia,
          iterations: r.nIter,
          sampleRows: r.sampleRows,
          rowsMoved: r.rowsMoved,
          outTable: opts.outTable ?? null,
          selection,
          prep,
          centers: Array.from(r.centers),
          segments,
        };
        if (opts.out) writeFileAtomic(resolve(opts.out), `${JSON.stringify(result, null, 2)}\n`);
        if (opts.json) printJson(io, result);
        else {
          if (selection) {
            io.out('k   inertia        silhouette (sample)\n');
            for (const c of selection.candidates)
              io.out(
                `${String(c.k).padEnd(3)} ${c.inertia.toPrecision(8).padEnd(14)} ${c.silhouette.toFixed(4)}${c.k === selection.chosen ? '  <- chosen (best silhouette)' : ''}${c.k === selection.elbow ? '  (elbow)' : ''}\n`,
              );
            io.out('\n');
          }
          const shown = Object.keys(segments[0]?.centre ?? {});
          io.out(`segment  size      ${shown.map((f) => f.padStart(12)).join(' ')}\n`);
          for (const s of segments)
            io.out(
              `${String(s.segment).padEnd(8)} ${String(s.size).padEnd(9)} ${shown.map((f) => (s.centre[f] as number).toPrecision(6).padStart(12)).join(' ')}\n`,
            );
          io.out(
            `\n${r.nIter} iteration(s) in ${runner.dialect}, inertia ${r.inertia.toPrecision(8)}; ${r.rowsMoved} row(s) came back (sample ${r.sampleRows} + centroids)${opts.outTable ? `; assignment written to ${opts.outTable}` : ''}${opts.out ? `; result in ${resolve(opts.out)}` : ''}\n`,
          );
        }
      } catch (e) {
        // A statement stopped by Ctrl-C fails in the engine; say what happened.
        if (stop.signal.aborted && !(e instanceof SegmintError && e.code === 'CANCELLED'))
          throw new SegmintError('CANCELLED', 'The in-engine k-means was cancelled.', {
            details: { cause: (e as Error).message },
          });
        throw e;
      } finally {
        process.off('SIGINT', onSigint);
        untie();
        await runner.close();
      }
    }),
  );
}
