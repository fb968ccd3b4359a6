import type { SummaryRows } from '../clv/summary.js';
import type { LoadedRecipe } from '../config/load.js';
import { engineOf } from '../config/recipe.js';
import type { CleanResult } from '../data/cleaning-rules.js';
import type { Duck } from '../data/duck.js';
import type { DataOverview } from '../data/overview.js';
import { loadSources } from '../data/sources.js';
import { debugged, duckdbEngine } from '../engine/engine.js';
import {
  buildFeaturesInEngine,
  clvSummaryInEngine,
  openRecipeEngine,
  pullFeatures,
} from '../engine/features.js';
import type { FeatureResult } from '../features/build.js';
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
  inputs: { source: string; kind: string; file: string; rows: number }[];
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
  run: { stage: (s: Stage) => void; done: (detail: string) => void; emit: OnEvent; signal?: AbortSignal },
): Promise<DataStages> {
  const { recipe } = loaded;
  const { stage, done, emit } = run;
  const engineSpec = engineOf(recipe);
  const cleanDetail = (d: CleanSummary, where = '') =>
    `${d.customers.toLocaleString('en-US')} customers${d.dated ? `, reference date ${d.referenceDate}` : ', no dates'}${d.windowStart ? `, window from ${d.windowStart}` : ''}${where}`;
  if (engineSpec) {
    stage('data');
    const engine = await openRecipeEngine(engineSpec, loaded.baseDir);
    try {
      done(`${engineSpec.type}: ${Object.keys(recipe.sources).length} table(s)`);
      stage('clean');
      const built = await buildFeaturesInEngine(engine, recipe, {
        onProgress: (d, total, label) => emit({ type: 'progress', stage: 'clean', done: d, total, label }),
        ...(run.signal ? { signal: run.signal } : {}),
      });
      done(cleanDetail(built.data, ` (in ${engineSpec.type})`));
      stage('features');
      const pulled = await pullFeatures(engine, duck, built.table, built.feats.columns);
      let clvSummary: SummaryRows | null = null;
      if (recipe.clv) {
        const { calibrationEnd, unitDays } = clvPeriod(recipe, built.data.referenceDate);
        clvSummary = await clvSummaryInEngine(engine, built, calibrationEnd, unitDays);
      }
      return {
        data: built.data,
        feats: built.feats,
        overview: built.overview,
        inputs: Object.values(built.data.byKind).map((s) => ({
          source: s.name,
          kind: s.spec.kind,
          file: s.file,
          rows: s.rows,
        })),
        clvSummary,
        featuresNote: ` (built in ${engineSpec.type} as ${built.table}; ${pulled.toLocaleString('en-US')} customer rows copied here, no order lines)`,
      };
    } finally {
      await engine.close();
    }
  }
  stage('data');
  const sources = await loadSources(duck, recipe, loaded.baseDir);
  done([...sources.values()].map((s) => `${s.name}: ${s.rows.toLocaleString('en-US')} rows`).join(', '));
  // The same cleaner and feature SELECT as inside an engine, on the embedded DuckDB that read the files.
  stage('clean');
  const engine = debugged(duckdbEngine(duck));
  const built = await buildFeaturesInEngine(
    engine,
    recipe,
    {
      onProgress: (d, total, label) => emit({ type: 'progress', stage: 'clean', done: d, total, label }),
      ...(run.signal ? { signal: run.signal } : {}),
    },
    { sources: [...sources.values()], featuresTable: 'features' },
  );
  done(cleanDetail(built.data));
  stage('features');
  let clvSummary: SummaryRows | null = null;
  if (recipe.clv) {
    const { calibrationEnd, unitDays } = clvPeriod(recipe, built.data.referenceDate);
    clvSummary = await clvSummaryInEngine(engine, built, calibrationEnd, unitDays);
  }
  return {
    data: built.data,
    feats: built.feats,
    overview: built.overview,
    inputs: [...sources.values()].map((s) => ({
      source: s.name,
      kind: s.spec.kind,
      file: s.file,
      rows: s.rows,
    })),
    clvSummary,
    featuresNote: '',
  };
}
