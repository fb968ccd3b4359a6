import { closeSync, existsSync, openSync, readFileSync, readSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { maxOf } from '../core/arrays.js';
import { SegmintError } from '../core/errors.js';
import { createMatrix } from '../core/matrix.js';
import type { Tree } from '../explain/tree.js';
import { silhouetteSamples } from '../metrics/quality.js';
import { type Model, parseModel } from '../model/model.js';
import { type RunRecord, readRunRecord } from '../model/record.js';
import { pca, project } from '../prep/pca.js';
import { applyPrep, type PrepParams } from '../prep/prepare.js';
import { Duck, qi, qs } from '../sql/duckdb.js';
import { campaignSectionsOf } from './campaign.js';
import {
  boxSpec,
  clvValidationSpec,
  elbowSpec,
  featureLabel,
  HEATMAP_FEATURES,
  heatmapSpec,
  histogramSpec,
  type KMetric,
  ledgerSpec,
  mapSpec,
  metricSpec,
  migrationSpec,
  type SegmentRef,
  type Spec,
  sharesSpec,
  silhouetteSpec,
  snakeSpec,
} from './charts.js';
import { clvView } from './clv-section.js';
import { dendrogramSvg } from './dendrogram-svg.js';
import { reportHtml } from './html.js';
import { renderSvg } from './render.js';
import { treeSvg } from './tree-svg.js';

/** At most this many customers are drawn on the map; the silhouette plot uses at most SIL_SAMPLE. */

export const MAP_SAMPLE = 3000;
export const SIL_SAMPLE = 1500;

export type { RunRecord } from '../model/record.js';

export interface ReportData {
  run: RunRecord;
  model: Model;
  tree: (Tree & { features: string[]; classes: string[]; fidelity: number }) | null;
  charts: Record<string, string>;
  /** Sections of the campaigns planned from this run (rendered HTML). */
  campaigns?: string[];
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SegmintError('DATA_READ', `Cannot read ${file}: ${(e as Error).message}`, {
      where: { file },
      hint: 'Point at a run folder written by `segmint run` (e.g. <out>/latest).',
    });
  }
}

/**
 * Builds the self-contained report of a run folder: every chart is a Vega-Lite spec rendered to
 * SVG here, so the HTML needs no script and no network. Large runs are sampled for the map and the
 * silhouette plot (deterministically, by a hash of the customer id) and aggregated in DuckDB for
 * the rest, so the file stays small.
 */
export async function buildReport(
  runDir: string,
): Promise<{ html: string; charts: Record<string, string>; specs: Record<string, Spec> }> {
  if (!existsSync(join(runDir, 'run.json'))) {
    throw new SegmintError('DATA_FILE_NOT_FOUND', `${runDir} is not a run folder: it has no run.json.`, {
      where: { file: runDir },
      hint: 'Point at <out>/latest or <out>/runs/<run-id>.',
    });
  }
  const run = readRunRecord(join(runDir, 'run.json'));
  const model = parseModel(readJson(join(runDir, 'model.json')), join(runDir, 'model.json'));
  const tree = existsSync(join(runDir, 'tree.json'))
    ? (readJson(join(runDir, 'tree.json')) as ReportData['tree'])
    : null;
  const tagsFile = existsSync(join(runDir, 'tags.parquet'))
    ? join(runDir, 'tags.parquet')
    : join(runDir, 'tags.csv');
  // A view cannot take bound parameters: the path is quoted as a literal.
  // Ids stay text; subsegment_id exists only when the recipe refines a segment.
  const csvHeader = tagsFile.endsWith('.csv') ? firstLine(tagsFile) : '';
  const reader = tagsFile.endsWith('.parquet')
    ? `read_parquet(${qs(tagsFile)})`
    : `read_csv(${qs(tagsFile)}, types = {'customer_id': 'VARCHAR'${/(^|,)"?subsegment_id"?(,|$)/.test(csvHeader) ? ", 'subsegment_id': 'VARCHAR'" : ''}})`;
  const segments: SegmentRef[] = model.segments.map((s) => ({ id: s.id, name: s.name }));
  const label = (id: number) => `${id} ${model.segments[id - 1]?.name ?? ''}`;
  const specs: Record<string, Spec> = {};

  // Data overview and quality.
  const dist = run.overview?.distributions ?? {};
  if (dist.orderValue) specs.orderValue = histogramSpec(dist.orderValue, 'Order value', 'value per order');
  if (dist.itemsPerOrder) specs.itemsPerOrder = histogramSpec(dist.itemsPerOrder, 'Items per order', 'items');
  if (dist.ordersPerCustomer)
    specs.ordersPerCustomer = histogramSpec(dist.ordersPerCustomer, 'Orders per customer', 'orders', ',.1f');
  if ((run.ledger ?? []).some((e: { removed: number }) => e.removed > 0))
    specs.ledger = ledgerSpec(run.ledger);

  // Model selection.
  const metrics: KMetric[] = run.cluster.metrics;
  if (metrics.length > 1) {
    specs.elbow = elbowSpec(metrics, run.cluster.k, run.cluster.elbowK ?? null);
    for (const [key, title] of [
      ['silhouette', 'Silhouette (higher is better)'],
      ['calinskiHarabasz', 'Calinski-Harabasz (higher)'],
      ['daviesBouldin', 'Davies-Bouldin (lower)'],
      ['stability', 'Stability, mean ARI (higher)'],
    ] as const) {
      const s = metricSpec(metrics, key, title, run.cluster.k);
      if (s) specs[key] = s;
    }
  }

  // Segments.
  specs.shares = sharesSpec(
    model.segments.map((s) => ({
      id: s.id,
      name: s.name,
      shareCustomers: s.shareCustomers,
      shareRevenue: s.shareRevenue,
    })),
  );
  const profiles = (run.segments ?? []) as {
    id: number;
    stats: Record<string, { lift: number | null; z: number | null }>;
    distinguishing: { feature: string; z: number }[];
  }[];
  const numericFeatures = model.features.filter((f) => f.type === 'numeric').map((f) => f.name);
  // Charts speak the dictionary's words (models before it: the feature's name).
  const labelOfFeature = (f: string) => featureLabel(model.features, f);
  // Every feature, sorted by how much it separates the segments (the largest |z| of any segment).
  const separation = (f: string) => Math.max(0, maxOf(profiles.map((p) => Math.abs(p.stats[f]?.z ?? 0))));
  // The heatmap holds the HEATMAP_FEATURES that separate the segments most (a wide customer
  // table has hundreds of columns; the caption says how many are shown of how many).
  const shown = [...numericFeatures]
    .sort((a, b) => separation(b) - separation(a) || (a < b ? -1 : 1))
    .slice(0, HEATMAP_FEATURES);
  specs.heatmap = heatmapSpec(
    profiles.flatMap((p) =>
      shown.map((f) => ({
        segment: label(p.id),
        feature: labelOfFeature(f),
        lift: p.stats[f]?.lift ?? null,
      })),
    ),
    segments,
  );
  specs.snake = snakeSpec(
    profiles.flatMap((p) =>
      shown
        .filter((f) => p.stats[f]?.z !== null && p.stats[f]?.z !== undefined)
        .map((f) => ({ segment: label(p.id), feature: labelOfFeature(f), z: p.stats[f].z as number })),
    ),
    segments,
  );

  const duck = await Duck.open(':memory:', 1);
  try {
    await duck.exec(`CREATE VIEW tags AS SELECT * FROM ${reader}`);
    const cols = new Set((await duck.describe('tags')).map((c) => c.name));
    // The most distinguishing features across segments get box plots.
    const ranked = new Map<string, number>();
    for (const p of profiles)
      for (const d of p.distinguishing ?? [])
        ranked.set(d.feature, Math.max(ranked.get(d.feature) ?? 0, Math.abs(d.z)));
    const boxFeatures = [...ranked.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([f]) => f)
      .filter((f) => cols.has(f))
      .slice(0, 6);
    for (const f of boxFeatures) {
      const rows = await duck.all(
        `SELECT segment_id AS s, quantile_cont(${qi(f)}, [0.05, 0.25, 0.5, 0.75, 0.95]) AS q FROM tags GROUP BY 1 ORDER BY 1`,
      );
      specs[`box_${f}`] = boxSpec(
        rows
          .filter((r) => Array.isArray(r.q) && (r.q as unknown[]).every((v) => v !== null))
          .map((r) => {
            const q = (r.q as number[]).map(Number);
            return { segment: label(Number(r.s)), lo: q[0], q1: q[1], median: q[2], q3: q[3], hi: q[4] };
          }),
        labelOfFeature(f),
        segments,
      );
    }
    // A deterministic sample for the map and the silhouette plot.
    const needed = model.prep.steps.map((s) => s.name).filter((n) => cols.has(n));
    if (needed.length === model.prep.steps.length && model.prep.outputNames.length >= 2) {
      const sample = await duck.columns(
        `SELECT segment_id, ${needed.map((n) => qi(n)).join(', ')} FROM tags ORDER BY hash(customer_id), customer_id LIMIT ${MAP_SAMPLE}`,
      );
      const seg = sample.values[0] as Float64Array;
      const byName = new Map(needed.map((n, j) => [n, sample.values[j + 1]]));
      const X = applyPrep(
        model.prep as PrepParams,
        seg.length,
        (n) => byName.get(n) as Float64Array | undefined,
        (n) => {
          const v = byName.get(n);
          return v && !(v instanceof Float64Array) ? v : undefined;
        },
      );
      const p = pca(X, 2);
      const xy = project(X, p);
      specs.map = mapSpec(
        Array.from(seg, (s, i) => ({
          x: round(xy.data[2 * i]),
          y: round(xy.data[2 * i + 1]),
          segment: label(s),
        })),
        segments,
        p.explained,
      );
      const m = Math.min(SIL_SAMPLE, seg.length);
      const Xs = createMatrix(m, X.cols);
      Xs.data.set(X.data.subarray(0, m * X.cols));
      const labels = Int32Array.from(seg.subarray(0, m), (s) => s - 1);
      if (new Set(labels).size >= 2) {
        const sil = silhouetteSamples(Xs, labels, model.clusterer.k);
        const order = Array.from({ length: m }, (_, i) => i).sort(
          (a, b) => labels[a] - labels[b] || sil[b] - sil[a] || a - b,
        );
        let mean = 0;
        for (const v of sil) mean += v / m;
        specs.silhouettePlot = silhouetteSpec(
          order.map((i, rank) => ({ segment: label(labels[i] + 1), rank, silhouette: round(sil[i]) })),
          segments,
          mean,
        );
      }
    }
  } finally {
    duck.close();
  }
  if (run.migration?.matrix) specs.migration = migrationSpec(run.migration.matrix);
  const clv = clvView(run);
  if (clv?.validation?.groups.length) specs.clvValidation = clvValidationSpec(clv.validation.groups);

  const charts: Record<string, string> = {};
  for (const [name, spec] of Object.entries(specs)) charts[name] = await renderSvg(spec, name);
  if (tree) charts.tree = treeSvg(tree, tree.features, tree.classes);
  if (run.cluster?.dendrogram?.merges?.length)
    charts.dendrogram = dendrogramSvg(run.cluster.dendrogram, model.clusterer.k);
  // Campaigns planned from this run, in its workspace (<out>/runs/<id> -> <out>).
  const campaigns = await campaignSectionsOf(dirname(dirname(realpathSync(runDir))), run.runId);
  return { html: reportHtml({ run, model, tree, charts, campaigns }), charts, specs };
}

const round = (v: number) => Math.round(v * 1000) / 1000;

/** The first line of a file (its CSV header), reading at most 64 KB. */
function firstLine(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(65536);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8').split('\n')[0];
  } finally {
    closeSync(fd);
  }
}
