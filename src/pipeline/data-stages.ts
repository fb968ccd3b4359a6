import type { SummaryRows } from '../clv/summary.js';
import type { LoadedRecipe } from '../config/load.js';
import { engineOf } from '../config/recipe.js';
import type { CleanResult } from '../data/cleaning-rules.js';
import type { DataOverview } from '../data/overview.js';
import { loadSources } from '../data/sources.js';
import {
  buildFeaturesInEngine,
  clvSummaryInEngine,
  openRecipeEngine,
  pullFeatures,
} from '../engine/features.js';
import type { EngineSource } from '../engine/session.js';
import type { FeatureResult } from '../features/build.js';
import type { Duck } from '../sql/duckdb.js';
import { duckdbEngine } from '../sql/duckdb.js';
import { debugged, type Engine } from '../sql/query.js';
import { clvPeriod } from './clv-stage.js';
import type { OnEvent, Stage } from './events.js';

/** What the later stages need from cleaning, in-process or inside an engine. */
export type CleanSummary = Pick<
  CleanResult,
  'ledger' | 'warnings' | 'referenceDate' | 'dated' | 'windowStart' | 'has' | 'customers'
>;

export interface DataStages {
  data: CleanSummary;
  feats: FeatureResult;
  overview: DataOverview;
  inputs: { source: string; kind: string; file: string; sheet?: string; rows: number }[];
  /** Inside an engine the CLV summary is computed there (one row per customer comes back). */
  clvSummary: SummaryRows | null;
  /** What the features stage adds to its line (where the table was built). */
  featuresNote: string;
}

/**
 * The first stages of a run, data -> clean -> features, ending with table `features` in `duck`:
 * in the embedded DuckDB from files, or inside the recipe's engine (only per-customer rows come
 * back). `stage` and `done` mark the stages as the run reports them.
 */
export async function dataStages(
  duck: Duck,
  loaded: LoadedRecipe,
  run: {
    stage: (s: Stage) => void;
    done: (detail: string) => void;
    emit: OnEvent;
    signal?: AbortSignal;
    overview?: boolean;
  },
): Promise<DataStages> {
  const { recipe } = loaded;
  const { stage, done, emit } = run;
  const engineSpec = engineOf(recipe);
  const cleanDetail = (d: CleanSummary, where = '') =>
    `${d.customers.toLocaleString('en-US')} customers${d.dated ? `, reference date ${d.referenceDate}` : ', no dates'}${d.windowStart ? `, window from ${d.windowStart}` : ''}${where}`;
  // The files are read into the embedded DuckDB, which is then the engine; or the recipe's engine
  // holds the tables. Either way the same cleaner and feature SELECT run there.
  stage('data');
  let engine: Engine;
  let given: { sources: EngineSource[]; featuresTable: string } | undefined;
  if (engineSpec) {
    engine = await openRecipeEngine(engineSpec, loaded.baseDir);
    done(`${engineSpec.type}: ${Object.keys(recipe.sources).length} table(s)`);
  } else {
    const sources = [...(await loadSources(duck, recipe, loaded.baseDir)).values()];
    engine = debugged(duckdbEngine(duck));
    given = { sources, featuresTable: 'features' };
    done(sources.map((s) => `${s.name}: ${s.rows.toLocaleString('en-US')} rows`).join(', '));
  }
  try {
    stage('clean');
    const built = await buildFeaturesInEngine(
      engine,
      recipe,
      {
        onProgress: (d, total, label) => emit({ type: 'progress', stage: 'clean', done: d, total, label }),
        ...(run.signal ? { signal: run.signal } : {}),
        ...(run.overview === false ? { overview: false } : {}),
      },
      given,
    );
    done(cleanDetail(built.data, engineSpec ? ` (in ${engineSpec.type})` : ''));
    stage('features');
    // Only one row per customer comes back from an engine into the embedded DuckDB.
    const pulled = engineSpec ? await pullFeatures(engine, duck, built.table, built.feats.columns) : 0;
    let clvSummary: SummaryRows | null = null;
    if (recipe.clv) {
      const { calibrationEnd, unitDays } = clvPeriod(recipe, built.data.referenceDate);
      clvSummary = await clvSummaryInEngine(engine, built, calibrationEnd, unitDays);
    }
    return {
      data: built.data,
      feats: built.feats,
      overview: built.overview,
      inputs: (given?.sources ?? Object.values(built.data.byKind)).map((s) => ({
        source: s.name,
        kind: s.spec.kind,
        file: s.file,
        ...(s.sheet !== undefined ? { sheet: s.sheet } : {}),
        rows: s.rows,
        ...(s.joins ? { joins: s.joins } : {}),
      })),
      clvSummary,
      featuresNote: engineSpec
        ? ` (built in ${engineSpec.type} as ${built.table}; ${pulled.toLocaleString('en-US')} customer rows copied here, no order lines)`
        : '',
    };
  } finally {
    if (engineSpec) await engine.close();
  }
}
