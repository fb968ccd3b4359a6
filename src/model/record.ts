import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { KMetrics, Selection } from '../cluster/select.js';
import type { DriftSpec } from '../config/recipe.js';
import type { Meaning } from '../core/dictionary.js';
import type { Warning } from '../core/errors.js';
import { SegmintError } from '../core/errors.js';
import type { LedgerEntry } from '../data/cleaning-rules.js';
import type { DataOverview } from '../data/overview.js';
import type { JoinCoverage } from '../data/sources.js';
import type { SegmentRule } from '../explain/explain.js';
import type { SegmentProfile } from '../explain/profile.js';

type RuleRecord = Pick<SegmentRule, 'text' | 'sentence' | 'conditions' | 'holdout' | 'fidelity'>;
export interface RefineRecord {
  segmentId: number;
  reason: string;
  k: number;
  target: string;
  targetId: string;
  valueFeatures: string[];
  subsegments: { id: string; size: number; valueScore: number; means: Record<string, number | null> }[];
  rule: RuleRecord | null;
}

/** Who moved where since the previous run; new and departed customers counted apart. */
export interface Migration {
  previousRunId: string;
  /** Customers in both runs, by previous and new segment. */
  matrix: { from: string; to: string; count: number }[];
  stayed: number;
  moved: number;
  newCustomers: number;
  departed: number;
}

/** A feature's distribution over the run's customers, kept in run.json for the next run's PSI. */
export type FeatureDistribution =
  | { name: string; type: 'numeric'; edges: number[]; shares: number[]; missing: number }
  | { name: string; type: 'categorical'; shares: Record<string, number> };

export interface DriftAlert {
  kind: 'moved' | 'size' | 'centroid' | 'name' | 'psi' | 'segment-new' | 'segment-gone';
  segmentId: number | null;
  feature: string | null;
  value: number | null;
  threshold: number | null;
  message: string;
}

export interface SegmentDrift {
  id: number;
  name: string;
  previousId: number | null;
  previousName: string | null;
  shareBefore: number | null;
  shareNow: number;
  /** shareNow / shareBefore - 1. */
  sizeChange: number | null;
  /** Distance between the centre and the previous one, in this run's prepared units. */
  centroidShift: number | null;
  /** The prepared column that moved most. */
  mostMoved: string | null;
  nameHolds: boolean | null;
}

export interface Drift {
  previousRunId: string;
  thresholds: DriftSpec;
  moved: { share: number | null; customers: number; returning: number };
  segments: SegmentDrift[];
  features: { name: string; psi: number | null }[];
  alerts: DriftAlert[];
}

/** A feature column as run.json lists it. */
export interface FeatureRecord {
  name: string;
  type: 'numeric' | 'categorical';
  /** The catalogue entry it comes from. */
  feature: string;
  description: string;
  /** Its dictionary entry: label, unit, good direction, what missing means (absent before it). */
  meaning?: Meaning;
}
export type ExplainRuleRecord = RuleRecord & {
  segmentId: number;
  rounded: { text: string; fidelity: SegmentRule['fidelity'] } | null;
};
export interface InputRecord {
  source: string;
  kind: string;
  file: string;
  /** The sheet read, for an Excel workbook. */
  sheet?: string;
  rows: number;
  bytes: number | null;
  /** What each join of the source matched (absent where it joins nothing, and before it was recorded). */
  joins?: JoinCoverage[];
}

/**
 * run.json: the record of one run, written by the pipeline and parsed, not cast, by everything that
 * reads it (the report, the server, stable ids, the history's repair). The parts read field by field
 * are checked here in full; the large descriptive parts (profiles, the data overview, the metrics
 * of each k) are checked for their shape and typed by the interfaces that write them.
 */
const objectsWith =
  <T>(keys: string[]) =>
  (v: unknown): v is T =>
    Array.isArray(v) && v.every((x) => x && typeof x === 'object' && keys.every((k) => k in x));
const objectWith =
  <T>(keys: string[]) =>
  (v: unknown): v is T =>
    !!v && typeof v === 'object' && !Array.isArray(v) && keys.every((k) => k in v);

export const RunRecordSchema = z.object({
  kind: z.literal('segmint.run'),
  schemaVersion: z.literal(1),
  runId: z.string().min(1),
  startedAt: z.string(),
  finishedAt: z.string(),
  versions: z.object({ segmint: z.string(), node: z.string(), duckdb: z.string() }),
  recipe: z.object({
    file: z.string().nullable(),
    hash: z.string(),
    resolved: z.unknown(),
  }),
  inputs: z.custom<InputRecord[]>(objectsWith(['source', 'kind', 'file', 'rows']), 'the inputs read'),
  data: z.object({
    customers: z.number().int(),
    referenceDate: z.string().nullable(),
    dated: z.boolean(),
    windowStart: z.string().nullable(),
    orders: z.unknown(),
  }),
  ledger: z.custom<LedgerEntry[]>(
    objectsWith(['source', 'rule', 'removed', 'remaining']),
    'a cleaning ledger',
  ),
  overview: z.custom<DataOverview>(objectWith(['sources', 'distributions']), 'a data overview'),
  features: z.custom<FeatureRecord[]>(objectsWith(['name', 'type']), 'feature columns'),
  prep: z.object({
    outputNames: z.array(z.string()),
    dropped: z.array(z.object({ name: z.string(), reason: z.string() })),
    /** Each numeric feature's missing values and what filled them (absent before it was recorded). */
    imputed: z
      .array(
        z.object({
          feature: z.string(),
          missing: z.number().int(),
          customers: z.number().int(),
          method: z.string(),
          value: z.number(),
        }),
      )
      .optional(),
  }),
  cluster: z.looseObject({
    method: z.string(),
    linkage: z.string().nullable(),
    k: z.number().int().min(1),
    reason: z.string(),
    elbowK: z.number().int().nullable(),
    silhouetteK: z.number().int().nullable(),
    /** Rows k was chosen on when sampled (null: all; absent before it was recorded). */
    selectionSample: z.number().int().nullable().optional(),
    /** The previous run this one continued: its k kept or not, the warm start (absent before it was recorded). */
    /** The segments' bootstrap stability: resamples and the rows they were drawn from (absent before it was recorded). */
    bootstrap: z.object({ runs: z.number().int(), rows: z.number().int() }).nullable().optional(),
    lineage: z
      .custom<Selection['lineage']>((v) => v === null || objectWith(['previousRunId', 'keptK'])(v))
      .optional(),
    seed: z.number().int(),
    nInit: z.number().int(),
    metrics: z.custom<KMetrics[]>(objectsWith(['k', 'inertia']), 'metrics per k'),
    restarts: z.unknown(),
    dendrogram: z.custom<Selection['dendrogram']>((v) => v === null || objectWith(['merges', 'n'])(v)),
  }),
  segments: z.custom<SegmentProfile[]>(
    objectsWith(['id', 'name', 'action', 'size', 'means', 'stats']),
    'segment profiles (id, name, action, size, means, stats)',
  ),
  refine: z
    .custom<RefineRecord>(objectWith(['segmentId', 'k', 'subsegments', 'target']), 'a refinement')
    .nullable(),
  migration: z
    .custom<Migration>(objectWith(['previousRunId', 'matrix', 'stayed', 'moved']), 'a migration')
    .nullable(),
  /** Each feature's distribution, for the next run's stability index (runs before it: absent). */
  distributions: z
    .custom<FeatureDistribution[]>(objectsWith(['name', 'type']), 'feature distributions')
    .nullable()
    .optional(),
  /** The comparison with the previous run of the lineage (absent in runs before it; null in a first run). */
  drift: z
    .custom<Drift>(
      objectWith(['previousRunId', 'thresholds', 'segments', 'features', 'alerts']),
      'a drift summary',
    )
    .nullable()
    .optional(),
  rfm: z.looseObject({ bins: z.number().int() }).nullable(),
  clv: z
    .looseObject({ unit: z.string(), segments: z.array(z.looseObject({ segmentId: z.number() })) })
    .nullable(),
  explain: z.object({
    rules: z.custom<ExplainRuleRecord[]>(objectsWith(['segmentId', 'text', 'holdout', 'fidelity']), 'rules'),
    tree: z.looseObject({ fidelity: z.number(), text: z.string() }).nullable(),
    /** Customers the rule trees learnt from when sampled (null: all; absent before it was recorded). */
    sample: z.number().int().nullable().optional(),
    /** The per-segment rules applied together against the segments (absent before it was recorded). */
    agreement: z
      .object({
        exact: z.number(),
        none: z.number(),
        several: z.number(),
        segments: z.array(z.object({ segmentId: z.number(), exact: z.number() })),
      })
      .nullable()
      .optional(),
  }),
  warnings: z.custom<Warning[]>(objectsWith(['code', 'message']), 'warnings'),
  timings: z.record(z.string(), z.number()),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

/** Parses a run record; what is not one is MODEL_INVALID naming the file and the field. */
export function parseRunRecord(raw: unknown, file = 'run.json'): RunRecord {
  const r = RunRecordSchema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue.path.map(String).join('.');
  throw new SegmintError(
    'MODEL_INVALID',
    `${file} is not a run record of this segmint: ${field || '(top)'}: ${issue.message}`,
    {
      where: { file, ...(field ? { path: field } : {}) },
      hint: 'Point at a run folder written by `segmint run` (e.g. <out>/latest); a run from an older segmint can be made again with segmint run.',
    },
  );
}

/** Reads and parses <runDir>/run.json. */
export function readRunRecord(file: string): RunRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SegmintError('DATA_READ', `Cannot read ${file}: ${(e as Error).message}`, {
      where: { file },
      hint: 'Point at a run folder written by `segmint run` (e.g. <out>/latest).',
    });
  }
  return parseRunRecord(raw, file);
}
