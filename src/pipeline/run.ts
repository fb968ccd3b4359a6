import { resolve } from 'node:path';
import type { LoadedRecipe } from '../config/load.js';
import { append } from '../core/arrays.js';
import { SegmintError, type Warning } from '../core/errors.js';
import type { LedgerEntry } from '../data/cleaning-rules.js';
import { loadSources } from '../data/sources.js';
import { buildFeaturesInEngine, type EngineFeatures } from '../engine/features.js';
import type { EngineRunOptions } from '../engine/kmeans.js';
import type { SegmentProfile } from '../explain/profile.js';
import type { FeatureColumn, FeatureResult } from '../features/build.js';
import type { Drift } from '../model/record.js';
import type { FeatureTable } from '../prep/prepare.js';
import { Duck, duckdbEngine, qi } from '../sql/duckdb.js';
import { checkAbort, debugged } from '../sql/query.js';
import { acquireWorkspaceLock } from './atomic.js';
import { addClv } from './clv-stage.js';
import { type CleanSummary, dataStages } from './data-stages.js';
import type { WebhookResult } from './drift.js';
import { type OnEvent, STAGES, type Stage } from './events.js';
import { reconcileHistory, recordRun, setAsideDamagedHistory } from './history.js';
import { landRun, makeRunId, type RunState, writeRunFolder } from './outputs.js';
import { continuedFrom, loadPreviousRun } from './stable.js';
import { clusterStage, prepStage, profileStage, type StageResult } from './stages.js';

export interface RunOptions {
  onEvent?: OnEvent;
  /** Clock for the run id and timings (tests pass a fixed one). */
  now?: () => Date;
  /** Overrides recipe.output.dir. */
  outDir?: string;
  /** Aborting stops the run at the next stage (and the engine's running statement) with CANCELLED; nothing is written. */
  signal?: AbortSignal;
  /**
   * The release of the workspace lock when the caller took it already (a server takes it before it
   * answers a run request, so a run another process holds is a 409 there, not a failure later).
   */
  heldLock?: () => void;
  /** Choose k afresh from the metrics instead of keeping the previous run's k (`segmint run --reselect`). */
  reselect?: boolean;
}

export interface RunSummary {
  runId: string;
  runDir: string;
  latest: string;
  outDir: string;
  customers: number;
  k: number;
  reason: string;
  segments: SegmentProfile[];
  features: FeatureColumn[];
  ledger: LedgerEntry[];
  warnings: Warning[];
  files: Record<string, string>;
  /** The comparison with the previous run of the lineage, or null for a first run. */
  drift: Drift | null;
  /** What became of the drift webhook (null when there was nothing to send or no webhook). */
  webhook: WebhookResult | null;
}

/** Reads the feature table `features` into column arrays. */
export async function readFeatureTable(duck: Duck, columns: FeatureColumn[]): Promise<FeatureTable> {
  const r = await duck.columns(
    `SELECT customer_id, ${columns.map((c) => (c.type === 'numeric' ? `CAST(${qi(c.name)} AS DOUBLE)` : `CAST(${qi(c.name)} AS VARCHAR)`) + ` AS ${qi(c.name)}`).join(', ')} FROM features ORDER BY customer_id`,
  );
  const ids = r.values[0] as string[];
  const table: FeatureTable = { ids, numeric: [], categorical: [] };
  columns.forEach((c, j) => {
    const v = r.values[j + 1];
    if (c.type === 'numeric') {
      const x = v as Float64Array;
      for (let i = 0; i < x.length; i++) {
        if (x[i] === Number.POSITIVE_INFINITY || x[i] === Number.NEGATIVE_INFINITY) {
          throw new SegmintError('DATA_NONFINITE', `Feature "${c.name}" is ${x[i]} for customer ${ids[i]}.`, {
            where: { column: c.name },
            hint: 'A custom feature divides by zero or the data holds infinite values; guard it with NULLIF(..., 0).',
          });
        }
      }
      table.numeric.push({ name: c.name, values: x });
    } else table.categorical.push({ name: c.name, values: v as (string | null)[] });
  });
  return table;
}

/**
 * Loads files, cleans and builds the feature table in `duck` (table `features`) in the embedded
 * DuckDB, for tools that want only the features (the scoring API's posted orders, tests); a run
 * goes through dataStages, which also runs inside an engine.
 */
export async function computeFeatures(
  duck: Duck,
  loaded: LoadedRecipe,
  run: EngineRunOptions = {},
): Promise<{ data: CleanSummary; feats: FeatureResult; built: EngineFeatures }> {
  const sources = await loadSources(duck, loaded.recipe, loaded.baseDir);
  const built = await buildFeaturesInEngine(debugged(duckdbEngine(duck)), loaded.recipe, run, {
    sources: [...sources.values()],
    featuresTable: 'features',
  });
  return { data: built.data, feats: built.feats, built };
}

/**
 * Runs a recipe end to end as a list of typed stages, each a function of the earlier stages'
 * values: data -> clean -> features (dataStages) -> matrix -> prep -> cluster -> profile
 * (stages.ts) -> outputs -> history (outputs.ts). Outputs go to <out>/runs/<run-id>/ built under a
 * temporary name and renamed; then <out>/latest is pointed at it. A failure leaves earlier runs and
 * `latest` as they were, and is recorded in the history.
 */
export async function runRecipe(loaded: LoadedRecipe, opts: RunOptions = {}): Promise<RunSummary> {
  const { recipe } = loaded;
  const now = opts.now ?? (() => new Date());
  const started = now();
  const emit = opts.onEvent ?? (() => {});
  const timings: Record<string, number> = {};
  const warnings: Warning[] = [];
  let stageStart = 0;
  let current: Stage = 'data';
  const stage = (s: Stage) => {
    checkAbort(opts.signal, `The run (before ${s})`);
    current = s;
    stageStart = performance.now();
    emit({ type: 'stage', stage: s, index: STAGES.indexOf(s) + 1, total: STAGES.length });
  };
  const done = (detail: string) => {
    const ms = performance.now() - stageStart;
    timings[current] = Math.round(ms);
    emit({ type: 'stage-done', stage: current, ms, detail });
  };
  /** A typed stage's end: its warnings join the run's, its detail closes the progress line. */
  const finished = (r: StageResult) => {
    append(warnings, r.warnings);
    done(r.detail);
  };

  const outDir = resolve(loaded.baseDir, opts.outDir ?? recipe.output.dir);
  // Loaded while the first stages wait on DuckDB (the main thread is idle then); a failed load is
  // reported where the report is built.
  const reportModule = recipe.output.report ? import('../report/build.js') : null;
  reportModule?.catch(() => {});
  // One run at a time per workspace, across processes (RUN_IN_PROGRESS names the holder).
  const release = opts.heldLock ?? acquireWorkspaceLock(outDir);
  let duck: Duck;
  try {
    duck = await Duck.open();
  } catch (e) {
    release();
    throw e;
  }
  try {
    // A damaged history is set aside (kept) and rebuilt from the run folders.
    const aside = await setAsideDamagedHistory(outDir);
    if (aside)
      warnings.push({
        code: 'HISTORY_REBUILT',
        message: `The run history was damaged; it is kept as ${aside} and a new one is rebuilt from the run folders (failed runs, which have no folder, are not in it).`,
      });
    // A run killed after its folder was whole but before the history had it: record it now.
    for (const id of await reconcileHistory(outDir))
      warnings.push({
        code: 'HISTORY_RECOVERED',
        message: `Run ${id} was finished but missing from the history (its process was stopped); it is recorded now from its run.json.`,
      });
    const { data, feats, overview, inputs, clvSummary, featuresNote } = await dataStages(duck, loaded, {
      stage,
      done,
      emit,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    append(warnings, data.warnings);
    if (recipe.clv && !data.has.transactions) {
      throw new SegmintError(
        'RECIPE_INVALID',
        'clv needs a transactions source: the models read purchase histories.',
        { where: { path: 'clv' } },
      );
    }
    const clv = recipe.clv ? await addClv(duck, recipe, data.referenceDate, clvSummary!) : null;
    if (clv) {
      append(feats.columns, clv.columns);
      append(warnings, clv.warnings);
    }
    append(warnings, feats.warnings);
    done(`${feats.columns.length} features${featuresNote}`);

    stage('matrix');
    const table = await readFeatureTable(duck, feats.columns);
    done(`${table.ids.length.toLocaleString('en-US')} x ${feats.columns.length}`);

    stage('prep');
    const prepared = prepStage(recipe, table, !!clv, feats.columns);
    const { prep } = prepared;
    finished(prepared);

    stage('cluster');
    // The previous run of the lineage: its k and segments continue here where they hold up.
    const lineage = recipe.output.stableIds
      ? await loadPreviousRun(duck, outDir, { name: recipe.name, features: feats.columns.map((c) => c.name) })
      : { previous: null, changed: null };
    const clustered = await clusterStage(
      recipe,
      table,
      feats.columns,
      prep,
      emit,
      continuedFrom(lineage.previous, recipe, table.ids, prep.matrix, opts.reselect ?? false),
    );
    finished(clustered);

    stage('profile');
    const labelled = await profileStage(
      recipe,
      table,
      feats,
      prep,
      clustered,
      lineage,
      data.dated ? data.referenceDate : null,
    );
    finished(labelled);

    stage('outputs');
    const state: RunState = {
      loaded,
      started,
      now,
      data,
      feats,
      overview,
      inputs,
      clv,
      table,
      prep,
      clustered,
      labelled,
      warnings,
      timings,
      reportModule,
    };
    const { runId, runDir, files } = await writeRunFolder(duck, outDir, state, () => {
      timings.outputs = Math.round(performance.now() - stageStart);
    });
    const { latest, webhook } = await landRun(outDir, state, runId, runDir);
    done(runDir);
    return {
      runId,
      runDir,
      latest,
      outDir,
      customers: table.ids.length,
      k: clustered.sel.k,
      reason: clustered.sel.reason,
      segments: labelled.profiles,
      features: feats.columns,
      ledger: data.ledger,
      warnings,
      files,
      drift: labelled.drift,
      webhook,
    };
  } catch (e) {
    // A failed run is recorded with its error; earlier runs and latest stay as they were.
    const failedAt = now();
    await recordRun(
      outDir,
      {
        runId: `${makeRunId(started, loaded.hash)}-failed`,
        startedAt: started.toISOString(),
        finishedAt: failedAt.toISOString(),
        status: 'failed',
        customers: null,
        k: null,
        recipeHash: loaded.hash,
        runDir: null,
        error: e instanceof Error ? e.message : String(e),
        referenceDate: null,
      },
      [],
      { freshId: true },
    ).catch(() => {});
    throw e;
  } finally {
    duck.close();
    release();
  }
}
