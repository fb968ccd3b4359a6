import { readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { LoadedRecipe } from '../config/load.js';
import { redactRecipe } from '../config/load.js';
import type { Recipe } from '../config/recipe.js';
import { engineOf } from '../config/recipe.js';
import { SegmintError, type Warning } from '../core/errors.js';
import { failpoint } from '../core/failpoint.js';
import { orderKeyOf } from '../data/cleaning-rules.js';
import type { DataOverview } from '../data/overview.js';
import { openRecipeEngine } from '../engine/features.js';
import { claimText } from '../explain/personas.js';
import type { SegmentProfile } from '../explain/profile.js';
import { rulesFiles } from '../explain/rule-files.js';
import type { FeatureColumn, FeatureResult } from '../features/build.js';
import { traitColumn } from '../features/catalogue.js';
import { MODEL_KIND, MODEL_SCHEMA_VERSION, type Model } from '../model/model.js';
import type { RunRecord } from '../model/record.js';
import type { FeatureTable } from '../prep/prepare.js';
import { type Duck, qi, qs } from '../sql/duckdb.js';
import { writeQueryToEngine } from '../sql/tables.js';
import { VERSION } from '../version.js';
import { buildDirAtomic, pointLinkAtomic, writeFileAtomic } from './atomic.js';
import type { ClvResult } from './clv-stage.js';
import { toCsv } from './csv.js';
import type { CleanSummary } from './data-stages.js';
import { driftPayload, postWebhook, type WebhookResult } from './drift.js';
import { recordRun } from './history.js';
import type { Clustered, Labelled, Prepared } from './stages.js';

/**
 * The run's last stages: outputs (the model, the tags, the profiles, the rules, run.json and the
 * report, built in a temporary folder and renamed) and history (the workspace history learns of the
 * run, then `latest` moves to it, then the drift alerts are posted).
 */

/** Everything the earlier stages made, as the last stages read it. */
export interface RunState {
  loaded: LoadedRecipe;
  started: Date;
  now: () => Date;
  data: CleanSummary;
  feats: FeatureResult;
  overview: DataOverview;
  inputs: { source: string; kind: string; file: string; sheet?: string; rows: number }[];
  clv: ClvResult | null;
  table: FeatureTable;
  prep: Prepared;
  clustered: Clustered;
  labelled: Labelled;
  /** The run's warnings so far; the last stages add theirs. */
  warnings: Warning[];
  timings: Record<string, number>;
  /**
   * The report's module (vega and its charts), imported when the run starts so that loading it
   * overlaps the stages that wait on DuckDB; null when the recipe wants no report.
   */
  reportModule: Promise<typeof import('../report/build.js')> | null;
}

/** A run id that sorts by time: 20261123T110203Z-<recipe hash prefix>. */
export function makeRunId(now: Date, hash: string): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${hash.slice(0, 8)}`;
}

/** The versioned model artifact (model.json) of a run: what scoring needs, nothing of the data. */
export function modelOf(s: RunState): Model {
  const { loaded, data, feats, clv, prep, clustered, labelled } = s;
  const { recipe } = loaded;
  const { sel, rfm, rfmTable } = clustered;
  const { centers, profiles, explanation, refinement, rfmNameOf } = labelled;
  const k = sel.k;
  const dim = prep.matrix.cols;
  return {
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
                recency: rfmColumnName(feats.columns, 'recency', 'recency_days'),
                frequency: rfmColumnName(feats.columns, 'frequency', 'frequency'),
                monetary: rfmColumnName(feats.columns, 'monetary', 'monetary'),
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
}

/** run.json: what the run read, dropped, made and decided, and why. */
export function runRecordOf(s: RunState, runId: string, duckdb: string): RunRecord {
  const { loaded, data, feats, clv, table, prep, clustered, labelled, warnings } = s;
  const { overview, inputs, started, now, timings } = s;
  const { recipe } = loaded;
  const { sel, rfm } = clustered;
  const { labels, profiles, explanation, refinement, moves, distributions, drift } = labelled;
  const k = sel.k;
  const clvColumn = (name: string) => table.numeric.find((c) => c.name === name)?.values;
  const clvValue = clvColumn('clv_value');
  const clvPurchases = clvColumn('clv_expected_purchases');
  return {
    kind: 'segmint.run',
    schemaVersion: 1,
    runId,
    startedAt: started.toISOString(),
    finishedAt: now().toISOString(),
    versions: {
      segmint: VERSION,
      node: process.version,
      duckdb,
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
    prep: { outputNames: prep.params.outputNames, dropped: prep.params.dropped, imputed: prep.imputed },
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
      selectionSample: sel.selectionSample,
      lineage: sel.lineage,
      bootstrap: clustered.stability
        ? { runs: clustered.stability.runs, rows: clustered.stability.rows }
        : null,
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
          newCustomers: clv.newCustomers,
          validation: clv.validation,
          segments: profiles.map((p) => {
            let total = 0;
            let purchases = 0;
            labels.forEach((l, i) => {
              if (l !== p.id - 1) return;
              const v = clvValue?.[i] ?? Number.NaN;
              const e = clvPurchases?.[i] ?? Number.NaN;
              if (!Number.isNaN(v)) total += v;
              if (!Number.isNaN(e)) purchases += e;
            });
            return {
              segmentId: p.id,
              // A purchase log without money has no value to total.
              clvTotal: clvValue ? total : null,
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
      sample: explanation.sample,
      agreement: explanation.agreement,
    },
    warnings,
    timings,
  };
}

/**
 * outputs: the run folder <out>/runs/<run-id>/ built under a temporary name and renamed; database
 * tables are written before it lands. `outputsDone` is called before run.json is written, so its
 * timings hold the stage.
 */
export async function writeRunFolder(
  duck: Duck,
  outDir: string,
  s: RunState,
  outputsDone: () => void,
): Promise<{ runId: string; runDir: string; files: Record<string, string> }> {
  const { loaded, started, feats, table, clustered, labelled } = s;
  const { recipe } = loaded;
  const { rfm } = clustered;
  const { labels, profiles, explanation, refinement, distance } = labelled;
  const segName = (id: number) => profiles[id - 1].name;
  const segAction = (id: number) => profiles[id - 1].action;
  const model = modelOf(s);
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
      const { connectPostgres } = await import('../sql/postgres.js');
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
    outputsDone();
    const duckdb = String((await duck.one('SELECT version() AS v')).v);
    const runRecord = runRecordOf(s, runId, duckdb);
    failpoint('outputs');
    writeFileAtomic(join(tmp, 'run.json'), `${JSON.stringify(runRecord, null, 2)}\n`);
    files['run.json'] = join(runDir, 'run.json');
    if (recipe.output.report) {
      const { buildReport } = await (s.reportModule ?? import('../report/build.js'));
      const { html } = await buildReport(tmp);
      writeFileAtomic(join(tmp, 'report.html'), html);
      files['report.html'] = join(runDir, 'report.html');
    }
  });
  return { runId, runDir, files };
}

/**
 * history: the workspace history learns of the run before `latest` moves to it (a served run is
 * always in the history); then the drift alerts are posted (never fatal).
 */
export async function landRun(
  outDir: string,
  s: RunState,
  runId: string,
  runDir: string,
): Promise<{ latest: string; webhook: WebhookResult | null }> {
  const { loaded, started, now, table, clustered, labelled, warnings } = s;
  const { recipe } = loaded;
  const k = clustered.sel.k;
  const { profiles, drift } = labelled;
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
        referenceDate: s.data.referenceDate,
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
    if (!webhook.delivered) {
      const failed: Warning = {
        code: 'DRIFT_WEBHOOK_FAILED',
        message: `The drift alerts could not be posted to ${webhook.url} (${webhook.attempts} attempt(s), last: ${webhook.error}).`,
      };
      warnings.push(failed);
      // The run has landed already; its run.json is rewritten (atomically) to list the failure.
      const file = join(runDir, 'run.json');
      const record = JSON.parse(readFileSync(file, 'utf8'));
      record.warnings.push(failed);
      record.webhook = webhook;
      writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`);
    }
  }
  return { latest, webhook };
}

/** What one order is in the run's transactions, and why (said in run.json), or null without any. */
function ordersCounted(recipe: Recipe): { source: string; key: string; reason: string } | null {
  const tx = Object.entries(recipe.sources).find(([, spec]) => spec.kind === 'transactions');
  if (!tx) return null;
  const [name, spec] = tx;
  return { source: name, ...orderKeyOf({ name, spec, columns: [] }) };
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
    'stability',
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
    p.stability ?? null,
    ...numeric.flatMap((n) => stats.map((st) => p.stats[n]?.[st] ?? null)),
    ...categorical.map((n) => p.modes[n]),
    p.distinguishing.map((d) => `${d.feature} ${d.direction}`).join('; '),
    (p.claims ?? []).map(claimText).join('; '),
  ]);
  return toCsv(header, rows, { digits: 12 });
}

/** The column RFM scored for a trait, or the kind's own name where the run has none. */
const rfmColumnName = (columns: FeatureColumn[], trait: string, kind: string): string =>
  traitColumn(columns, trait)?.name ?? kind;
