import { z } from 'zod';
import { predictKMeans } from '../cluster/kmeans.js';
import { SegmintError } from '../core/errors.js';
import { createMatrix } from '../core/matrix.js';
import { rfmScore, rfmSegment } from '../explain/rfm.js';
import { applyPrep, type PrepParams } from '../prep/prepare.js';

export const MODEL_KIND = 'segmint.model';
export const MODEL_SCHEMA_VERSION = 1;

const NumericStep = z.object({
  name: z.string(),
  type: z.literal('numeric'),
  impute: z.number(),
  imputeMethod: z.enum(['median', 'mean', 'zero', 'constant']),
  log: z.boolean(),
  center: z.number(),
  scale: z.number(),
  weight: z.number(),
});
const CategoricalStep = z.object({
  name: z.string(),
  type: z.literal('categorical'),
  levels: z.array(z.string()),
  other: z.boolean(),
  weight: z.number(),
});

const RuleJson = z.object({
  any: z.array(
    z.object({ all: z.array(z.object({ feature: z.string(), op: z.enum(['<=', '>']), value: z.number() })) }),
  ),
});

/** The saved model: everything needed to score a new customer, and nothing time-dependent. */
export const ModelSchema = z.object({
  kind: z.literal(MODEL_KIND),
  schemaVersion: z.literal(MODEL_SCHEMA_VERSION),
  segmintVersion: z.string(),
  name: z.string(),
  recipeHash: z.string(),
  /** The resolved recipe: how features are built, so that raw orders can be scored the same way. */
  recipe: z.record(z.string(), z.unknown()),
  seed: z.number(),
  window: z.object({ referenceDate: z.string(), days: z.number().nullable() }),
  features: z.array(
    z.object({
      name: z.string(),
      type: z.enum(['numeric', 'categorical']),
      feature: z.string(),
      description: z.string(),
      /** Its dictionary entry (absent in models before it). */
      meaning: z
        .object({
          label: z.string(),
          unit: z.string().nullable(),
          good: z.enum(['higher', 'lower']).nullable(),
          missing: z.enum(['zero', 'unknown']),
          ages: z.boolean().optional(),
        })
        .optional(),
    }),
  ),
  prep: z.object({
    scaler: z.enum(['standard', 'minmax', 'robust', 'none']),
    steps: z.array(z.discriminatedUnion('type', [NumericStep, CategoricalStep])),
    outputNames: z.array(z.string()),
    dropped: z.array(z.object({ name: z.string(), reason: z.string() })),
  }),
  clusterer: z.object({
    method: z.enum(['kmeans', 'minibatch', 'hierarchical', 'twostep', 'rfm']),
    /** method rfm: the score edges and segment table; scoring applies them to raw features. */
    rfm: z
      .object({
        bins: z.number().int(),
        breaks: z.object({ r: z.array(z.number()), f: z.array(z.number()), m: z.array(z.number()) }),
        /** How values score against the edges; models written before rfm-0.3.0 parity lack it. */
        edgeRule: z.enum(['rfm-0.3.0', 'above']).default('above'),
        table: z.array(
          z.object({
            name: z.string(),
            r: z.tuple([z.number(), z.number()]),
            f: z.tuple([z.number(), z.number()]),
            m: z.tuple([z.number(), z.number()]),
          }),
        ),
        features: z.object({ recency: z.string(), frequency: z.string(), monetary: z.string() }),
        /** The RFM segment name of each model segment, in segment order. */
        segmentNames: z.array(z.string()),
      })
      .nullable(),
    /** hierarchical: the linkage; new customers go to the nearest segment centroid whatever the method. */
    linkage: z.enum(['ward', 'complete', 'average', 'single']).nullable(),
    k: z.number().int().positive(),
    dim: z.number().int().nonnegative(),
    centers: z.array(z.number()),
    inertia: z.number(),
    nIter: z.number(),
    nInit: z.number(),
    seed: z.number(),
  }),
  segments: z.array(
    z.object({
      id: z.number().int(),
      name: z.string(),
      description: z.string(),
      action: z.string(),
      size: z.number().int(),
      shareCustomers: z.number(),
      shareRevenue: z.number().nullable(),
      means: z.record(z.string(), z.number().nullable()),
    }),
  ),
  /** The two-stage refinement: sub-segments of one segment, with their own preparation. */
  refine: z
    .object({
      segmentId: z.number().int(),
      target: z.string(),
      targetId: z.string(),
      subsegments: z.array(z.object({ id: z.string(), size: z.number().int() })),
      prep: z.object({
        scaler: z.enum(['standard', 'minmax', 'robust', 'none']),
        steps: z.array(z.discriminatedUnion('type', [NumericStep, CategoricalStep])),
        outputNames: z.array(z.string()),
        dropped: z.array(z.object({ name: z.string(), reason: z.string() })),
      }),
      centers: z.array(z.number()),
      rule: RuleJson.nullable(),
    })
    .nullable(),
  /** The lifetime-value models, when the recipe asks for them. */
  clv: z
    .object({
      unit: z.enum(['days', 'weeks']),
      horizon: z.number(),
      discountRate: z.number(),
      bgnbd: z.object({ r: z.number(), alpha: z.number(), a: z.number(), b: z.number() }),
      gammaGamma: z.object({ p: z.number(), q: z.number(), gamma: z.number() }).nullable(),
    })
    .nullable(),
  /** One-vs-rest rule per segment, as JSON predicates (feature op value). */
  rules: z.array(
    z.object({
      segmentId: z.number().int(),
      rule: z.object({
        any: z.array(
          z.object({
            all: z.array(z.object({ feature: z.string(), op: z.enum(['<=', '>']), value: z.number() })),
          }),
        ),
      }),
    }),
  ),
});
export type Model = z.infer<typeof ModelSchema>;

/** Validates a parsed model.json. */
export function parseModel(raw: unknown, file = 'model.json'): Model {
  if (raw && typeof raw === 'object' && (raw as { kind?: unknown }).kind === MODEL_KIND) {
    const v = (raw as { schemaVersion?: unknown }).schemaVersion;
    if (typeof v === 'number' && v > MODEL_SCHEMA_VERSION) {
      throw new SegmintError(
        'MODEL_INVALID',
        `${file} has schema version ${v}; this segmint reads up to ${MODEL_SCHEMA_VERSION}.`,
        {
          where: { file },
          hint: 'Upgrade segmint to read it.',
        },
      );
    }
  }
  const r = ModelSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new SegmintError(
      'MODEL_INVALID',
      `${file} is not a segmint model: ${i.path.join('.') || '(top level)'}: ${i.message}.`,
      { where: { file } },
    );
  }
  const m = r.data;
  if (m.segments.length !== m.clusterer.k) {
    throw new SegmintError(
      'MODEL_INVALID',
      `${file}: it lists ${m.segments.length} segments for k = ${m.clusterer.k}.`,
      { where: { file } },
    );
  }
  if (
    m.clusterer.centers.length !== m.clusterer.k * m.clusterer.dim ||
    m.clusterer.dim !== m.prep.outputNames.length
  ) {
    throw new SegmintError(
      'MODEL_INVALID',
      `${file}: the centres do not match k x the prepared feature count.`,
      { where: { file } },
    );
  }
  return m;
}

export interface ScoreInput {
  rows: number;
  numeric: (name: string) => Float64Array | undefined;
  categorical: (name: string) => (string | null)[] | undefined;
}

export interface Scored {
  /** Index into model.segments (and the centres) of each row's nearest centre. */
  label: Int32Array;
  /** Sub-segment id ("2.1") of rows in the refined segment, else null. */
  subsegment: (string | null)[];
  distance: Float64Array;
}

/** Features the model needs as input (those used by its preparation). */
export function requiredFeatures(model: Model): { name: string; type: 'numeric' | 'categorical' }[] {
  return model.prep.steps.map((s) => ({ name: s.name, type: s.type }));
}

/**
 * Buffers the prepared matrix of a small scoring is written into, reused from call to call (two:
 * the model's preparation and the refined segment's). A Float64Array of more than 64 bytes keeps
 * its memory outside V8's heap: allocating and freeing one cost ~1.3-2.8 us (a loop of a million),
 * against ~0.04 us on the heap, on every one-customer request of the server. The matrix never
 * leaves scoreModel (predictKMeans reads it and returns arrays of its own), so one buffer per role
 * is safe in one thread. Larger inputs (batches) get a matrix of their own.
 */
const SCRATCH_MAX = 4096;
const scratch = [new Float64Array(SCRATCH_MAX), new Float64Array(SCRATCH_MAX)];
const scratchFor = (values: number, role: 0 | 1): Float64Array | undefined =>
  values <= SCRATCH_MAX ? scratch[role] : undefined;

/**
 * Scores rows with the saved preparation and centres. Missing values are imputed as in training;
 * a column absent altogether is an error the caller checks with requiredFeatures.
 */
export function scoreModel(model: Model, input: ScoreInput): Scored {
  const X = input.rows
    ? applyPrep(
        model.prep as PrepParams,
        input.rows,
        input.numeric,
        input.categorical,
        scratchFor(input.rows * model.prep.outputNames.length, 0),
      )
    : createMatrix(0, model.clusterer.dim);
  const { labels, distances } = predictKMeans({ centers: model.clusterer.centers, k: model.clusterer.k }, X);
  const rfm = model.clusterer.rfm;
  if (rfm) {
    // Classic RFM: the saved score edges and table decide; nearest centre only when a name is new.
    const [rc, fc, mc] = [
      input.numeric(rfm.features.recency),
      input.numeric(rfm.features.frequency),
      input.numeric(rfm.features.monetary),
    ];
    if (rc && fc && mc) {
      for (let i = 0; i < input.rows; i++) {
        const name = rfmSegment(
          rfmScore(rc[i], rfm.breaks.r, true, rfm.edgeRule),
          rfmScore(fc[i], rfm.breaks.f, false, rfm.edgeRule),
          rfmScore(mc[i], rfm.breaks.m, false, rfm.edgeRule),
          rfm.table,
        );
        const idx = rfm.segmentNames.indexOf(name);
        if (idx >= 0) labels[i] = idx;
      }
    }
  }
  const subsegment: (string | null)[] = new Array(input.rows).fill(null);
  const r = model.refine;
  if (r && input.rows) {
    // Customers of the refined segment get its sub-segment, through the refined preparation.
    const rows: number[] = [];
    labels.forEach((l, i) => {
      if (l === r.segmentId - 1) rows.push(i);
    });
    if (rows.length) {
      const Xs = applyPrep(
        r.prep as PrepParams,
        rows.length,
        (n) => {
          const col = input.numeric(n);
          return col ? Float64Array.from(rows, (row) => col[row]) : undefined;
        },
        (n) => {
          const col = input.categorical(n);
          return col ? rows.map((row) => col[row]) : undefined;
        },
        scratchFor(rows.length * r.prep.outputNames.length, 1),
      );
      const sub = predictKMeans({ centers: r.centers, k: r.subsegments.length }, Xs);
      rows.forEach((row, j) => {
        subsegment[row] = r.subsegments[sub.labels[j]].id;
      });
    }
  }
  return { label: labels, distance: distances, subsegment };
}

/** Each model's rules and its refined segment's, listed once (the scorer asks per request). */
const allRules = new WeakMap<Model, { segmentId: number | string; rule: Model['rules'][number]['rule'] }[]>();

/**
 * Whether each segment's rule fires for one customer, from feature values in original units;
 * null when the rule needs a feature that is not given. Missing (NaN) values match no condition.
 */
export function ruleVerdicts(
  model: Model,
  value: (feature: string) => number | undefined,
): Record<string, boolean | null> {
  const out: Record<string, boolean | null> = {};
  let all = allRules.get(model);
  if (!all) {
    all = [
      ...model.rules,
      ...(model.refine?.rule ? [{ segmentId: model.refine.target, rule: model.refine.rule }] : []),
    ];
    allRules.set(model, all);
  }
  for (const r of all) {
    let absent = false;
    const fires = r.rule.any.some((p) =>
      p.all.every((c) => {
        const v = value(c.feature);
        if (v === undefined) {
          absent = true;
          return false;
        }
        return !Number.isNaN(v) && (c.op === '<=' ? v <= c.value : v > c.value);
      }),
    );
    out[String(r.segmentId)] = absent && !fires ? null : fires;
  }
  return out;
}
