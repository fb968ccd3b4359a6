import { statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { serialFitters } from '../cluster/select.js';
import type { LoadedRecipe } from '../config/load.js';
import { redactRecipe } from '../config/load.js';
import type { Recipe } from '../config/recipe.js';
import { DriftSpec, engineOf } from '../config/recipe.js';
import { SegmintError, type Warning } from '../core/errors.js';
import { failpoint } from '../core/failpoint.js';
import type { LedgerEntry } from '../data/cleaning-rules.js';
import { orderKeyOf } from '../data/cleaning-rules.js';
import { loadSources } from '../data/sources.js';
import { buildFeaturesInEngine, type EngineFeatures, openRecipeEngine } from '../engine/features.js';
import { explainSegments } from '../explain/explain.js';
import type { Trait } from '../explain/personas.js';
import {
  type ClaimCheck,
  claimText,
  PERSONAS,
  type Position,
  personaEvidence,
  traitNames,
} from '../explain/personas.js';
import { canonicalOrder, profileSegments, type SegmentProfile } from '../explain/profile.js';
import { RFM_ACTIONS } from '../explain/rfm.js';
import { rulesFiles } from '../explain/rule-files.js';
import type { FeatureColumn, FeatureResult } from '../features/build.js';
import { traitOf } from '../features/catalogue.js';
import { MODEL_KIND, MODEL_SCHEMA_VERSION, type Model } from '../model/model.js';
import type { Drift, RunRecord } from '../model/record.js';
import type { FeatureTable } from '../prep/prepare.js';
import { buildReport } from '../report/build.js';
import { Duck, duckdbEngine, qi, qs } from '../sql/duckdb.js';
import { connectPostgres } from '../sql/postgres.js';
import { checkAbort } from '../sql/query.js';
import { writeQueryToEngine } from '../sql/tables.js';
import { VERSION } from '../version.js';
import { acquireWorkspaceLock, buildDirAtomic, pointLinkAtomic, writeFileAtomic } from './atomic.js';
import { addClv } from './clv-stage.js';
import { toCsv } from './csv.js';
import { type CleanSummary, dataStages } from './data-stages.js';
import {
  computeDrift,
  driftPayload,
  driftWarnings,
  featureDistributions,
  postWebhook,
  type WebhookResult,
} from './drift.js';
import { type OnEvent, STAGES, type Stage } from './events.js';
import { reconcileHistory, recordRun } from './history.js';
import { refineSegment } from './refine.js';
import { loadPreviousRun, migration, stableIds } from './stable.js';
import { clusterStage, prepStage } from './stages.js';

export interface RunOptions {
  onEvent?: OnEvent;
  /** Clock for the run id and timings (tests pass a fixed one). */
  now?: () => Date;
  /** Overrides recipe.output.dir. */
  outDir?: string;
  /** Aborting stops the run at the next stage (and the engine's running statement) with CANCELLED; nothing is written. */
  signal?: AbortSignal;
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
): Promise<{ data: CleanSummary; feats: FeatureResult; built: EngineFeatures }> {
  const sources = await loadSources(duck, loaded.recipe, loaded.baseDir);
  const built = await buildFeaturesInEngine(
    duckdbEngine(duck),
    loaded.recipe,
    {},
    {
      sources: [...sources.values()],
      featuresTable: 'features',
    },
  );
  return { data: built.data, feats: built.feats, built };
}

/**
 * The claims of an inherited name checked against the segment now: a persona's claims, or the
 * traits a name made from traits spoke of (each still differing the same way); null when they no
 * longer hold.
 */
function stillHolds(name: string, pos: Position, p: SegmentProfile): ClaimCheck[] | null {
  const key = (Object.keys(PERSONAS) as (keyof typeof PERSONAS)[]).find((k) => PERSONAS[k].name === name);
  if (key) return personaEvidence(key, pos);
  return traitNames(p.distinguishing).find((t) => t.name === name)?.claims ?? null;
}

/** A run id that sorts by time: 20261123T110203Z-<recipe hash prefix>. */
export function makeRunId(now: Date, hash: string): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${hash.slice(0, 8)}`;
}

/**
 * Runs a recipe end to end: data -> clean -> features -> matrix -> prep -> cluster -> profile ->
 * outputs. Outputs go to <out>/runs/<run-id>/ built under a temporary name and renamed; then
 * <out>/latest is pointed at it. A failure leaves earlier runs and `latest` as they were.
 */
/** What one order is in the run's transactions, and why (said in run.json), or null without any. */
function ordersCounted(recipe: Recipe): { source: string; key: string; reason: string } | null {
  const tx = Object.entries(recipe.sources).find(([, spec]) => spec.kind === 'transactions');
  if (!tx) return null;
  const [name, spec] = tx;
  return { source: name, ...orderKeyOf({ name, spec, columns: [] }) };
}

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

  const outDir = resolve(loaded.baseDir, opts.outDir ?? recipe.output.dir);
  // One run at a time per workspace, across processes (RUN_IN_PROGRESS names the holder).
  const release = acquireWorkspaceLock(outDir);
  let duck: Duck;
  try {
    duck = await Duck.open();
  } catch (e) {
    release();
    throw e;
  }
  try {
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
    warnings.push(...data.warnings);
    if (recipe.clv && !data.has.transactions) {
      throw new SegmintError(
        'RECIPE_INVALID',
        'clv needs a transactions source: the models read purchase histories.',
        { where: { path: 'clv' } },
      );
    }
    const clv = recipe.clv ? await addClv(duck, recipe, data.referenceDate, clvSummary!) : null;
    if (clv) {
      feats.columns.push(...clv.columns);
      warnings.push(...clv.warnings);
    }
    warnings.push(...feats.warnings);
    done(`${feats.columns.length} features${featuresNote}`);

    stage('matrix');
    const table = await readFeatureTable(duck, feats.columns);
    done(`${table.ids.length.toLocaleString('en-US')} x ${feats.columns.length}`);

    stage('prep');
    const prepared = prepStage(recipe, table, !!clv);
    const { prep } = prepared;
    warnings.push(...prepared.warnings);
    done(prepared.detail);

    stage('cluster');
    const { sel, rfmNames, rfm, rfmTable, ...clustered } = await clusterStage(
      recipe,
      table,
      feats.columns,
      prep,
      emit,
    );
    warnings.push(...clustered.warnings);
    done(clustered.detail);

    stage('profile');
    const k = sel.k;
    const dim = prep.matrix.cols;
    const revenue = feats.revenueColumn
      ? table.numeric.find((c) => c.name === feats.revenueColumn)?.values
      : undefined;
    let map = canonicalOrder(sel.fit.labels, k, sel.fit.centers, dim, revenue);
    // Stable ids: segments continue the previous run's ids (and names) where they match.
    const lineage = recipe.output.stableIds
      ? await loadPreviousRun(duck, outDir, { name: recipe.name, features: feats.columns.map((c) => c.name) })
      : { previous: null, changed: null };
    const previous = lineage.previous;
    if (lineage.changed)
      warnings.push({
        code: 'LINEAGE_NEW',
        message: `The features differ from run ${lineage.changed} of recipe "${recipe.name}": segment ids and names start afresh (a new lineage).`,
      });
    let continues: (number | null)[] = new Array(k).fill(null);
    if (previous) {
      const canonCenters = new Float64Array(k * dim);
      for (let c = 0; c < k; c++)
        for (let t = 0; t < dim; t++) canonCenters[map[c] * dim + t] = sel.fit.centers[c * dim + t];
      const st = stableIds(prep.matrix, table.ids, canonCenters, k, previous);
      const canonical = map;
      map = Int32Array.from(canonical, (c) => st.position[c]);
      continues = st.continues;
      warnings.push(...st.warnings);
    }
    const labels = Int32Array.from(sel.fit.labels, (l) => map[l]);
    const centers = new Array<number>(k * dim);
    for (let c = 0; c < k; c++)
      for (let t = 0; t < dim; t++) centers[map[c] * dim + t] = sel.fit.centers[c * dim + t];
    const profiles = profileSegments(table, labels, k, feats.revenueColumn);
    const explanation = explainSegments(
      table,
      feats.columns.map((c) => ({ ...c, trait: traitOf(c.feature) as Trait | undefined })),
      labels,
      k,
      profiles,
      recipe.explain,
      recipe.cluster.seed,
    );
    profiles.forEach((p, i) => {
      Object.assign(p, explanation.personas[i]);
    });
    if (previous) {
      // A segment that continues one of the previous run keeps its name and action; a new one whose
      // persona name is taken by a continuing segment gets a numeral.
      // The inherited name is kept only while its claims still hold for the segment; otherwise the
      // segment keeps its new, evidence-backed name and the change is reported.
      const carried = new Set<string>();
      profiles.forEach((p, i) => {
        const before =
          continues[i] === null ? undefined : previous.model.segments.find((sg) => sg.id === continues[i]);
        if (!before || recipe.explain.names[String(p.id)]) return;
        const claims = stillHolds(before.name, explanation.positions[i], p);
        if (claims) {
          Object.assign(p, {
            name: before.name,
            description: before.description,
            action: before.action,
            claims,
          });
          carried.add(before.name);
        } else if (before.name !== p.name)
          warnings.push({
            code: 'SEGMENT_RENAMED',
            message: `Segment ${p.id} was "${before.name}" in run ${previous.runId}; its numbers no longer back that name, so it is now "${p.name}".`,
          });
      });
      // A new segment whose name a continuing one took is named again from its own traits.
      profiles.forEach((p, i) => {
        if (continues[i] !== null || !carried.has(p.name)) return;
        const taken = new Set(profiles.map((q) => q.name));
        const t = traitNames(p.distinguishing).find((x) => !taken.has(x.name));
        if (t) Object.assign(p, t);
        else p.name = `${p.name} (new segment)`;
      });
    }
    // Method rfm: segments keep their classic names (recipe overrides still win).
    const rfmNameOf: string[] = [];
    if (recipe.cluster.method === 'rfm') {
      map.forEach((nw, old) => {
        rfmNameOf[nw] = rfmNames[old];
      });
      profiles.forEach((p, i) => {
        Object.assign(
          p,
          { name: rfmNameOf[i], ...RFM_ACTIONS[rfmNameOf[i]] },
          recipe.explain.names[String(p.id)] ?? {},
        );
      });
    }
    const refinement = recipe.refine
      ? await refineSegment(table, feats.columns, labels, k, recipe, recipe.refine, serialFitters)
      : null;
    if (recipe.refine && !refinement)
      warnings.push({
        code: 'REFINE_SKIPPED',
        message: 'The refine step found nothing to refine (see the warnings above).',
      });
    if (refinement) warnings.push(...refinement.warnings);
    const segName = (id: number) => profiles[id - 1].name;
    const segAction = (id: number) => profiles[id - 1].action;
    const distance = new Float64Array(labels.length);
    for (let i = 0; i < labels.length; i++) {
      let s = 0;
      for (let t = 0; t < dim; t++) {
        const e = prep.matrix.data[i * dim + t] - centers[labels[i] * dim + t];
        s += e * e;
      }
      distance[i] = Math.sqrt(s);
    }
    done(profiles.map((p) => `${p.name}: ${p.size}`).join(', '));

    // Drift: this run against the previous run of its lineage, on the recipe's thresholds.
    const segmentIds = Int32Array.from(labels, (l) => l + 1);
    const moves = previous ? migration(previous, table.ids, segmentIds, segName) : null;
    const distributions = featureDistributions(table);
    const drift =
      previous && moves
        ? computeDrift({
            previous,
            migration: moves,
            prep: prep.params,
            centers,
            segments: profiles,
            continues,
            table,
            spec: recipe.drift ?? DriftSpec.parse({}),
          })
        : null;
    if (drift) warnings.push(...driftWarnings(drift));

    stage('outputs');
    const model: Model = {
      kind: MODEL_KIND,
      schemaVersion: MODEL_SCHEMA_VERSION,
      segmintVersion: VERSION,
      name: recipe.name,
      recipeHash: loaded.hash,
      recipe: redactRecipe(recipe) as Record<string, unknown>,
      seed: recipe.cluster.seed,
      window: { referenceDate: data.referenceDate, days: recipe.window.days ?? null },
      features: feats.columns,
      prep: prep.params,
      clusterer: {
        method: recipe.cluster.method,
        rfm:
          recipe.cluster.method === 'rfm' && rfm
            ? {
                bins: recipe.cluster.rfm.bins,
                breaks: rfm.breaks,
                edgeRule: 'rfm-0.3.0',
                table: rfmTable,
                segmentNames: rfmNameOf,
                features: {
                  recency: rfmColumnName(feats.columns, 'recency_days'),
                  frequency: rfmColumnName(feats.columns, 'frequency'),
                  monetary: rfmColumnName(feats.columns, 'monetary'),
                },
              }
            : null,
        linkage:
          recipe.cluster.method === 'hierarchical'
            ? recipe.cluster.linkage
            : recipe.cluster.method === 'twostep'
              ? 'ward'
              : null,
        k,
        dim,
        centers,
        inertia: sel.fit.inertia,
        nIter: sel.fit.nIter,
        nInit: recipe.cluster.nInit,
        seed: sel.fit.seed,
      },
      segments: profiles.map((p) => ({
        id: p.id,
        name: p.name,
        description: p.description,
        action: p.action,
        size: p.size,
        shareCustomers: p.shareCustomers,
        shareRevenue: p.shareRevenue,
        means: p.means,
      })),
      rules: explanation.rules.map((r) => ({ segmentId: r.segmentId, rule: r.json })),
      clv: clv
        ? {
            unit: clv.unit,
            horizon: clv.horizon,
            discountRate: clv.discountRate,
            bgnbd: clv.bgnbd.params,
            gammaGamma: clv.gammaGamma?.params ?? null,
          }
        : null,
      refine: refinement
        ? {
            segmentId: refinement.segmentId,
            target: refinement.target,
            targetId: refinement.targetId,
            subsegments: refinement.subsegments.map((x) => ({ id: x.id, size: x.size })),
            prep: refinement.prep,
            centers: refinement.centers,
            rule: refinement.rule ? refinement.rule.json : null,
          }
        : null,
    };
    let runId = makeRunId(started, loaded.hash);
    const runsDir = join(outDir, 'runs');
    for (let i = 2; exists(join(runsDir, runId)); i++) runId = `${makeRunId(started, loaded.hash)}-${i}`;
    const runDir = join(runsDir, runId);
    const files: Record<string, string> = {};
    await buildDirAtomic(runDir, async (tmp) => {
      await duck.createFromColumns('segments_out', [
        { name: 'customer_id', type: 'VARCHAR', values: table.ids },
        { name: 'segment_id', type: 'INTEGER', values: Int32Array.from(labels, (l) => l + 1) },
        { name: 'segment_name', type: 'VARCHAR', values: Array.from(labels, (l) => segName(l + 1)) },
        { name: 'segment_action', type: 'VARCHAR', values: Array.from(labels, (l) => segAction(l + 1)) },
        { name: 'distance', type: 'DOUBLE', values: distance },
        ...(rfm
          ? [
              { name: 'rfm_r', type: 'INTEGER' as const, values: rfm.scores.r },
              { name: 'rfm_f', type: 'INTEGER' as const, values: rfm.scores.f },
              { name: 'rfm_m', type: 'INTEGER' as const, values: rfm.scores.m },
              { name: 'rfm_segment', type: 'VARCHAR' as const, values: rfm.segment },
            ]
          : []),
        ...(refinement
          ? [
              { name: 'subsegment_id', type: 'VARCHAR' as const, values: refinement.subsegmentOf },
              { name: refinement.target, type: 'INTEGER' as const, values: refinement.flag },
            ]
          : []),
      ]);
      const featureCols = recipe.output.includeFeatures ? feats.columns.map((c) => `f.${qi(c.name)}`) : [];
      const select = `SELECT s.customer_id, s.segment_id, s.segment_name, s.segment_action, s.distance${rfm ? ', s.rfm_r, s.rfm_f, s.rfm_m, s.rfm_segment' : ''}${refinement ? `, s.subsegment_id, s.${qi(refinement.target)}` : ''}${featureCols.length ? `, ${featureCols.join(', ')}` : ''} FROM segments_out s JOIN features f USING (customer_id) ORDER BY s.customer_id`;
      for (const fmt of recipe.output.formats) {
        const file = join(tmp, `tags.${fmt}`);
        await duck.exec(
          `COPY (${select}) TO ${qs(file)} (FORMAT ${fmt === 'csv' ? 'csv, HEADER true' : 'parquet'})`,
        );
        files[`tags.${fmt}`] = join(runDir, `tags.${fmt}`);
      }
      // Database tables are written before the run folder lands: a failed write fails the run and
      // leaves the table as it was.
      const tagged = `SELECT *, ${qs(runId)} AS run_id FROM (${select})`;
      if (recipe.output.postgres) {
        const pg = await connectPostgres(recipe.output.postgres.url, 'output.postgres.url');
        try {
          await writeQueryToEngine(duck, tagged, pg, recipe.output.postgres.table, 'output.postgres');
        } finally {
          await pg.close();
        }
        files.postgres = recipe.output.postgres.table;
      }
      if (recipe.output.table) {
        const spec = engineOf(recipe);
        if (!spec)
          throw new SegmintError(
            'RECIPE_INVALID',
            "output.table writes into the recipe's engine; the recipe has none.",
            {
              where: { path: 'output.table' },
              hint: 'Set engine: (postgres, clickhouse or duckdb), or use output.postgres for a PostgreSQL table.',
            },
          );
        const engine = await openRecipeEngine(spec, loaded.baseDir);
        try {
          await writeQueryToEngine(duck, tagged, engine, recipe.output.table, 'output.table');
        } finally {
          await engine.close();
        }
        files.table = `${spec.type}:${recipe.output.table}`;
      }
      writeFileAtomic(join(tmp, 'profiles.csv'), profilesCsv(profiles, feats.columns));
      files['profiles.csv'] = join(runDir, 'profiles.csv');
      const rules = rulesFiles(profiles, explanation, refinement);
      for (const [file, text] of Object.entries(rules)) {
        writeFileAtomic(join(tmp, file), text);
        files[file] = join(runDir, file);
      }
      writeFileAtomic(join(tmp, 'model.json'), `${JSON.stringify(model, null, 2)}\n`);
      files['model.json'] = join(runDir, 'model.json');
      timings.outputs = Math.round(performance.now() - stageStart);
      const runRecord: RunRecord = {
        kind: 'segmint.run',
        schemaVersion: 1,
        runId,
        startedAt: started.toISOString(),
        finishedAt: now().toISOString(),
        versions: {
          segmint: VERSION,
          node: process.version,
          duckdb: String((await duck.one('SELECT version() AS v')).v),
        },
        recipe: { file: loaded.file, hash: loaded.hash, resolved: redactRecipe(recipe) },
        inputs: inputs.map((s) => ({ ...s, bytes: fileSize(s.file) })),
        data: {
          customers: data.customers,
          referenceDate: data.referenceDate,
          dated: data.dated,
          windowStart: data.windowStart,
          orders: ordersCounted(recipe),
        },
        ledger: data.ledger,
        overview,
        features: feats.columns,
        prep: { outputNames: prep.params.outputNames, dropped: prep.params.dropped },
        cluster: {
          method: recipe.cluster.method,
          linkage: recipe.cluster.method === 'hierarchical' ? recipe.cluster.linkage : null,
          k,
          reason: sel.reason,
          kRange:
            typeof recipe.cluster.k === 'number'
              ? null
              : {
                  ...recipe.cluster.k,
                  why:
                    recipe.cluster.k.min >= 3
                      ? `k from ${recipe.cluster.k.min}: two segments seldom give marketing anything to act on (cluster.k.min: 2 allows them).`
                      : 'k from 2, as the recipe asks.',
                },
          elbowK: sel.elbowK,
          silhouetteK: sel.silhouetteK,
          silhouetteSample: sel.silhouetteSample,
          seed: recipe.cluster.seed,
          nInit: recipe.cluster.nInit,
          metrics: sel.metrics,
          restarts: sel.fit.restarts,
          dendrogram: sel.dendrogram,
        },
        segments: profiles,
        refine: refinement
          ? {
              segmentId: refinement.segmentId,
              reason: refinement.reason,
              k: refinement.k,
              target: refinement.target,
              targetId: refinement.targetId,
              valueFeatures: refinement.valueFeatures,
              subsegments: refinement.subsegments,
              rule: refinement.rule
                ? {
                    text: refinement.rule.text,
                    sentence: refinement.rule.sentence,
                    conditions: refinement.rule.conditions,
                    holdout: refinement.rule.holdout,
                    fidelity: refinement.rule.fidelity,
                  }
                : null,
            }
          : null,
        migration: moves,
        distributions,
        drift,
        rfm: rfm
          ? {
              bins: recipe.cluster.rfm.bins,
              breaks: rfm.breaks,
              counts: rfm.counts,
              bySegment: profiles.map((p) => {
                const c: Record<string, number> = {};
                labels.forEach((l, i) => {
                  if (l === p.id - 1) c[rfm.segment[i]] = (c[rfm.segment[i]] ?? 0) + 1;
                });
                return { segmentId: p.id, rfm: c };
              }),
            }
          : null,
        clv: clv
          ? {
              unit: clv.unit,
              calibrationEnd: clv.calibrationEnd,
              horizon: clv.horizon,
              discountRate: clv.discountRate,
              bgnbd: clv.bgnbd,
              gammaGamma: clv.gammaGamma,
              spendFrequencyCorrelation: clv.spendFrequencyCorrelation,
              validation: clv.validation,
              segments: profiles.map((p) => {
                let total = 0;
                let purchases = 0;
                labels.forEach((l, i) => {
                  if (l !== p.id - 1) return;
                  const v = table.numeric.find((c) => c.name === 'clv_value')?.values[i] ?? Number.NaN;
                  const e =
                    table.numeric.find((c) => c.name === 'clv_expected_purchases')?.values[i] ?? Number.NaN;
                  if (!Number.isNaN(v)) total += v;
                  if (!Number.isNaN(e)) purchases += e;
                });
                return {
                  segmentId: p.id,
                  clvTotal: total,
                  clvMean: p.means.clv_value ?? null,
                  expectedPurchases: purchases,
                  pAliveMean: p.means.clv_p_alive ?? null,
                };
              }),
            }
          : null,
        explain: {
          rules: explanation.rules.map((r) => ({
            segmentId: r.segmentId,
            text: r.text,
            sentence: r.sentence,
            conditions: r.conditions,
            holdout: r.holdout,
            fidelity: r.fidelity,
            rounded: r.rounded ? { text: r.rounded.text, fidelity: r.rounded.fidelity } : null,
          })),
          tree: explanation.tree
            ? {
                fidelity: explanation.tree.fidelity,
                nodes: explanation.tree.tree.left.length,
                text: explanation.tree.text,
              }
            : null,
        },
        warnings,
        timings,
      };
      failpoint('outputs');
      writeFileAtomic(join(tmp, 'run.json'), `${JSON.stringify(runRecord, null, 2)}\n`);
      files['run.json'] = join(runDir, 'run.json');
      if (recipe.output.report) {
        const { html } = await buildReport(tmp);
        writeFileAtomic(join(tmp, 'report.html'), html);
        files['report.html'] = join(runDir, 'report.html');
      }
    });
    const latest = join(outDir, 'latest');
    failpoint('before-history');
    // The history learns of the run before latest moves, so a served run is always in it.
    try {
      await recordRun(
        outDir,
        {
          runId,
          startedAt: started.toISOString(),
          finishedAt: now().toISOString(),
          status: 'succeeded',
          customers: table.ids.length,
          k,
          recipeHash: loaded.hash,
          runDir,
          error: null,
        },
        profiles.map((p) => ({ id: p.id, name: p.name, action: p.action, size: p.size })),
      );
    } catch (e) {
      warnings.push({
        code: 'HISTORY_NOT_WRITTEN',
        message: `The run is complete but the workspace history could not be updated: ${(e as Error).message}`,
      });
    }
    failpoint('before-latest');
    pointLinkAtomic(latest, relative(outDir, runDir));
    // The run has landed: now the drift alerts may be announced (never fatal).
    let webhook: WebhookResult | null = null;
    const hook = recipe.drift?.webhook;
    if (drift?.alerts.length && hook) {
      webhook = await postWebhook(hook, driftPayload(recipe.name, runId, drift));
      if (!webhook.delivered)
        warnings.push({
          code: 'DRIFT_WEBHOOK_FAILED',
          message: `The drift alerts could not be posted to ${webhook.url} (${webhook.attempts} attempt(s), last: ${webhook.error}).`,
        });
    }
    done(runDir);
    return {
      runId,
      runDir,
      latest,
      outDir,
      customers: table.ids.length,
      k,
      reason: sel.reason,
      segments: profiles,
      features: feats.columns,
      ledger: data.ledger,
      warnings,
      files,
      drift,
      webhook,
    };
  } catch (e) {
    // A failed run is recorded with its error; earlier runs and latest stay as they were.
    const failedAt = now();
    await recordRun(outDir, {
      runId: `${makeRunId(started, loaded.hash)}-failed`,
      startedAt: started.toISOString(),
      finishedAt: failedAt.toISOString(),
      status: 'failed',
      customers: null,
      k: null,
      recipeHash: loaded.hash,
      runDir: null,
      error: e instanceof Error ? e.message : String(e),
    }).catch(() => {});
    throw e;
  } finally {
    duck.close();
    release();
  }
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

function fileSize(p: string): number | null {
  try {
    return statSync(p).size;
  } catch {
    return null;
  }
}

function profilesCsv(profiles: SegmentProfile[], columns: FeatureColumn[]): string {
  const numeric = columns.filter((c) => c.type === 'numeric').map((c) => c.name);
  const categorical = columns.filter((c) => c.type === 'categorical').map((c) => c.name);
  const stats = ['mean', 'median', 'q1', 'q3', 'lift'] as const;
  const header = [
    'segment_id',
    'segment_name',
    'description',
    'action',
    'size',
    'share_customers',
    'share_revenue',
    ...numeric.flatMap((n) => stats.map((st) => `${st}_${n}`)),
    ...categorical.map((n) => `mode_${n}`),
    'distinguishing',
    'why_name',
  ];
  const rows = profiles.map((p) => [
    p.id,
    p.name,
    p.description,
    p.action,
    p.size,
    p.shareCustomers,
    p.shareRevenue,
    ...numeric.flatMap((n) => stats.map((st) => p.stats[n]?.[st] ?? null)),
    ...categorical.map((n) => p.modes[n]),
    p.distinguishing.map((d) => `${d.feature} ${d.direction}`).join('; '),
    (p.claims ?? []).map(claimText).join('; '),
  ]);
  return toCsv(header, rows);
}

const rfmColumnName = (columns: FeatureColumn[], kind: string): string =>
  columns.find((c) => c.feature === kind)?.name ?? kind;
