import { z } from 'zod';
import { CampaignMeasurement, CampaignName, CampaignPlan } from '../model/campaign.js';
import { ModelSchema } from '../model/model.js';
import { RunRecordSchema } from '../model/record.js';

/** Request and response bodies of the scoring API: one zod schema each, also the OpenAPI source. */
export const FeatureValue = z.union([z.number(), z.string(), z.null()]);

/**
 * Posted order lines as the scorer reads them: newline-delimited JSON and the columns any line
 * has. Kept as text, never as objects, so a large body costs the server's main thread nothing but
 * a copy (large bodies are parsed and checked in a worker: see routes.ts).
 */
export interface OrderLines {
  /** Text when checked on the main thread; bytes when checked in the body worker. */
  ndjson: string | Uint8Array;
  count: number;
  columns: string[];
}

export function orderLines(rows: Record<string, unknown>[]): OrderLines {
  const columns = new Set<string>();
  const text: string[] = [];
  for (const r of rows) {
    for (const k of Object.keys(r)) columns.add(k);
    text.push(JSON.stringify(r));
  }
  return { ndjson: `${text.join('\n')}\n`, count: rows.length, columns: [...columns] };
}
export const ScoreRequest = z
  .strictObject({
    customer_id: z
      .string()
      .optional()
      .describe('Echoed back; with orders, picks the customer when the orders hold several.'),
    features: z
      .record(z.string(), FeatureValue)
      .optional()
      .describe("Feature values in original units, by the model's feature names."),
    orders: z
      .array(z.record(z.string(), z.union([z.string(), z.number(), z.null()])))
      .min(1)
      .max(100_000)
      .transform(orderLines)
      .optional()
      .describe(
        "Raw order lines in the columns of the model's transactions source; turned into features with the model's own definitions.",
      ),
    reference_date: z
      .string()
      .optional()
      .describe(
        "With orders: the date features are computed as of (default: the model's, or the day after the last order if later).",
      ),
  })
  .refine((r) => r.features !== undefined || r.orders !== undefined, {
    message: 'send features, orders, or both',
    path: ['features'],
  });
/** The score body of the common case, features only, as ScoreRequest's output. */
type ScoreBody = z.output<typeof ScoreRequest>;

const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * ScoreRequest's check, written out by hand for the body nearly every request sends: features
 * (numbers, strings, nulls), maybe customer_id and reference_date, no orders. It answers the body
 * itself when ScoreRequest would accept it as it is, and undefined otherwise: then the schema
 * decides (and words the error). The zod parse was a fifth of a score request's JavaScript;
 * test/serve/quick-body.test.ts holds the two to the same verdicts on generated bodies.
 */
export function quickScoreRequest(v: unknown): ScoreBody | undefined {
  if (!isPlain(v)) return undefined;
  let features = false;
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    const x = v[k];
    if (k === 'features') {
      if (!isPlain(x)) return undefined;
      for (const f in x) {
        if (!Object.hasOwn(x, f)) continue;
        const y = x[f];
        if (y !== null && typeof y !== 'string' && (typeof y !== 'number' || !Number.isFinite(y)))
          return undefined;
      }
      features = true;
    } else if (k === 'customer_id' || k === 'reference_date') {
      if (typeof x !== 'string') return undefined;
    } else return undefined;
  }
  return features ? (v as ScoreBody) : undefined;
}

export const BatchRequest = z.strictObject({
  rows: z.array(ScoreRequest).min(1).max(10_000).describe('At most 10,000 rows.'),
});

/**
 * The bodies a worker may parse and check when they are large, by the path of their route: a route
 * whose body schema is the one listed for its path gets that (routes.ts checks it is the same).
 */
export const BODIES: Record<string, z.ZodType> = {
  '/v1/score': ScoreRequest,
  '/v1/score/batch': BatchRequest,
};
export const ScoreResponse = z.object({
  customer_id: z.string().nullable(),
  segment_id: z.number().int(),
  segment_name: z.string(),
  action: z.string(),
  distance: z.number(),
  subsegment_id: z.string().nullable(),
  rules: z.record(z.string(), z.boolean().nullable()),
});
export const ErrorBody = z.object({
  error: z.object({
    code: z.string().describe('One of the error codes in the README (each with its HTTP status).'),
    message: z.string(),
    hint: z.string().describe('How to fix it.'),
    field: z.string().optional().describe('The body field (dotted path) at fault.'),
  }),
});
export const RunStartResponse = z.object({ started: z.boolean(), runId: z.string().nullable() });

/** Responses of every route: what the server sends is what these say (tests check each one). */
export const ScoreOneResponse = ScoreResponse.extend({
  model: z.string().describe('The run whose model scored the row.'),
  features: z
    .record(z.string(), FeatureValue)
    .optional()
    .describe('With orders: the features computed from them.'),
});
export const BatchResponse = z.object({ model: z.string(), rows: z.array(ScoreResponse) });
export const SegmentsResponse = z.object({
  model: z.string(),
  segments: ModelSchema.shape.segments,
  features: z.array(
    z.object({ name: z.string(), type: z.enum(['numeric', 'categorical']), description: z.string() }),
  ),
});
const CustomerRun = z.object({
  runId: z.string(),
  finishedAt: z.string(),
  segmentId: z.number().int(),
  segmentName: z.string(),
});
export const CustomerResponse = z.object({
  customer_id: z.string(),
  segment_id: z.number().int(),
  segment_name: z.string(),
  action: z.string().nullable().describe("The segment's action in the serving model (null if it has none)."),
  run: z.string().describe('The latest run that tagged the customer.'),
  history: z.array(CustomerRun).describe("The customer's segment in every successful run, newest first."),
});
export const RunRow = z.object({
  runId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  status: z.enum(['succeeded', 'failed']),
  customers: z.number().int().nullable(),
  k: z.number().int().nullable(),
  recipeHash: z.string(),
  runDir: z.string().nullable(),
  error: z.string().nullable(),
  referenceDate: z
    .string()
    .nullable()
    .describe(
      "The date the data is as of (the run's reference date); null for failed runs, undated data and runs before it was recorded.",
    ),
});
export const RunsResponse = z.object({ running: z.boolean(), runs: z.array(RunRow) });
export const RunResponse = RunRow.extend({
  record: RunRecordSchema.nullable().describe("The run's run.json."),
});
export const HealthResponse = z.object({
  ok: z.boolean(),
  model: z.string().nullable(),
  running: z.boolean(),
});
export const IdParams = z.strictObject({ id: z.string().min(1) });
export const DashboardQuery = z.strictObject({
  customer: z.string().optional().describe("Shows this customer's segment in every run."),
});

export const CampaignParams = z.strictObject({ name: CampaignName });
export const CampaignRequest = z
  .strictObject({
    name: CampaignName,
    segments: z
      .array(z.union([z.number().int(), z.string().min(1)]))
      .min(1)
      .describe('Segment ids (or names) of the run to target.'),
    holdout: z.number().gt(0).lt(1).default(0.1).describe('Share of each segment held out as control.'),
    run: z.string().optional().describe('The run whose segments are used (default: latest).'),
    start: z.string().optional().describe('First day of the campaign, YYYY-MM-DD (default: today).'),
    days: z.number().int().min(1).max(3660).default(28).describe('Days it runs and is measured over.'),
    seed: z.number().int().optional().describe("Seed of the split (default: the model's seed)."),
    alpha: z.number().gt(0).lt(0.5).default(0.05),
    power: z.number().gt(0.5).lt(1).default(0.8),
    replace: z.boolean().default(false).describe('Replace a campaign of the same name.'),
  })
  .describe('A campaign to plan: a holdout split inside each chosen segment.');
export const MeasureRequest = z
  .strictObject({
    end: z.string().optional().describe('The day after the last day measured (default: start + days).'),
    level: z.number().gt(0.5).lt(1).default(0.95).describe('Confidence level of the intervals.'),
  })
  .describe('What to measure: the period and the confidence level.');
export const CampaignPlanResponse = z.object({ campaign: CampaignPlan });
export const CampaignResponse = z.object({
  campaign: CampaignPlan,
  measurement: CampaignMeasurement.nullable().describe('The latest measurement, if any.'),
  measurements: z.array(CampaignMeasurement).describe('Every measurement, oldest first.'),
});
export const CampaignsResponse = z.object({
  campaigns: z.array(z.object({ campaign: CampaignPlan, measurement: CampaignMeasurement.nullable() })),
  damaged: z
    .array(z.object({ name: z.string(), error: z.string() }))
    .describe('Campaign folders whose files cannot be read, with the reason.'),
});
export const MeasurementResponse = z.object({ measurement: CampaignMeasurement });
