import { z } from 'zod';
import { DictionaryEntry } from '../core/dictionary.js';
import { FeatureSpec, featureName } from '../features/catalogue.js';

/**
 * The recipe: one zod schema is the single source of truth for recipe files, --set overrides
 * and (later) HTTP bodies. Defaults live here and only here.
 */

const identifier = z.string().min(1);

export const SOURCE_KINDS = ['transactions', 'customers', 'events', 'coupons', 'lookup'] as const;

export const ROLE_NAMES = {
  transactions: [
    'customer',
    'order',
    'time',
    'quantity',
    'price',
    'amount',
    'product',
    'category',
    'country',
    'status',
  ],
  customers: ['customer', 'joined', 'country'],
  events: ['customer', 'time', 'type', 'duration', 'session'],
  coupons: ['customer', 'time', 'coupon', 'redeemed'],
  lookup: [],
} as const;

const CsvOptions = z
  .strictObject({
    delimiter: z
      .string()
      .min(1)
      .optional()
      .describe('Field separator; detected when absent. "whitespace" splits on runs of spaces/tabs.'),
    quote: z.string().max(1).optional().describe('Quote character; detected when absent.'),
    escape: z.string().max(1).optional().describe('Escape character; detected when absent.'),
    header: z
      .boolean()
      .optional()
      .describe('Whether the first line names the columns; detected when absent.'),
    columns: z.array(identifier).optional().describe('Column names for a file without a header line.'),
    decimal: z.enum(['.', ',']).optional().describe('Decimal separator of numbers.'),
    encoding: z.enum(['utf-8', 'utf-16', 'latin-1']).optional().describe('Text encoding (utf-8 by default).'),
    skip: z.number().int().min(0).optional().describe('Lines to skip before the header.'),
  })
  .describe('CSV reader options; DuckDB detects whatever is not given.');

/** How a joined one-to-many child is summarised per key (JoinSpec.aggregate). */
export const AGGREGATES = ['sum', 'count', 'min', 'max', 'mean', 'countDistinct'] as const;

const JoinSpec = z.strictObject({
  source: identifier.describe('Name of the source to join in (usually kind: lookup or customers).'),
  on: z
    .record(z.string(), z.string())
    .refine((o) => Object.keys(o).length > 0, 'name at least one pair of columns')
    .describe('Pairs leftColumn: rightColumn; the left side may name columns joined earlier.'),
  how: z.enum(['left', 'inner']).default('left').describe('left keeps rows without a match.'),
  aggregate: z
    .record(z.string(), z.enum(AGGREGATES))
    .optional()
    .describe(
      'The joined source has many rows per key (a one-to-many child, e.g. payments per order): its rows are summarised per key before the join, column: sum | count | min | max | mean | countDistinct, each as <column>_<function> (payment_value_sum).',
    ),
});

/** What one order is when a transactions source has no order column (see orderKeyOf). */
export const ORDER_KEYS = ['row', 'time', 'day'] as const;
export type OrderKey = (typeof ORDER_KEYS)[number];

export const SourceSpec = z
  .strictObject({
    kind: z
      .enum(SOURCE_KINDS)
      .default('transactions')
      .describe('What one row is: an order line, a customer, an event, a coupon, or a lookup row.'),
    path: z
      .string()
      .min(1)
      .optional()
      .describe('File path (relative to the recipe), or a glob. Give path or postgres.'),
    postgres: z
      .strictObject({
        url: z
          .string()
          .optional()
          .describe(
            'postgres://user:password@host:port/db; default SEGMINT_PG_URL, DATABASE_URL or the PG* variables. Never logged with its password.',
          ),
        table: z.string().optional().describe('Table to read (schema.table allowed).'),
        query: z.string().optional().describe('Or a query to read.'),
      })
      .optional()
      .describe('Read the source from PostgreSQL instead of a file.'),
    table: z
      .string()
      .min(1)
      .optional()
      .describe(
        "A table or view in the recipe's `engine` (schema.table allowed): the cleaning and features run there. Time columns should be dates or timestamps (ISO text is read too).",
      ),
    format: z
      .enum(['csv', 'parquet', 'json', 'xlsx'])
      .optional()
      .describe('Detected from the file extension when absent.'),
    sheet: z
      .string()
      .min(1)
      .optional()
      .describe(
        'The sheet of an Excel workbook (.xlsx) to read (its first row is the header); default the first sheet.',
      ),
    csv: CsvOptions.optional(),
    dateFormat: z
      .string()
      .optional()
      .describe('strptime format of the time/joined columns, e.g. "%d/%m/%Y %H:%M"; detected when absent.'),
    timeUnit: z
      .enum(['day', 'week'])
      .optional()
      .describe(
        'The time column is a period number (day 1, 2, ... or week 1, 2, ...), not a date: period n is read as 1970-01-01 plus n days (or weeks), so recency, tenure and gaps come out in days; dates shown are on that counted calendar.',
      ),
    orderKey: z
      .enum(ORDER_KEYS)
      .optional()
      .describe(
        'Transactions without an order role: what one order is. row: every row (the default when there is no product role: the rows are orders); time: the rows of one customer at one time (the default for order lines); day: the rows of one customer on one calendar day.',
      ),
    roles: z
      .record(z.string(), z.string())
      .default({})
      .describe(
        'Role -> column name: customer, order, time, quantity, price, amount, product, category, country, status, joined, type, duration, session, coupon, redeemed.',
      ),
    join: z.array(JoinSpec).default([]).describe('Tables joined onto this one, in order.'),
    id: z
      .enum(['row'])
      .optional()
      .describe(
        'A customers source without an id column (one row per customer, or per visit): row numbers the rows (1 = the first data row of the file) and that number is the id in the tags.',
      ),
  })
  .refine((s) => [s.path, s.postgres, s.table].filter((x) => x !== undefined).length === 1, {
    message:
      "give one of path (a file), postgres (a table or query) or table (a table in the recipe's engine)",
    path: ['path'],
  });
export type SourceSpec = z.infer<typeof SourceSpec>;

const Filter = z.union([
  z.strictObject({
    column: identifier.describe('Column of the source (before roles are applied).'),
    in: z
      .array(z.union([z.string(), z.number()]))
      .min(1)
      .describe('Keep rows whose value is one of these (or use notIn: to drop them).'),
  }),
  z.strictObject({ column: identifier, notIn: z.array(z.union([z.string(), z.number()])).min(1) }),
]);

export const DEFAULT_NON_PRODUCT_CODES = [
  'POST',
  'DOT',
  'M',
  'C2',
  'D',
  'S',
  'B',
  'CRUK',
  'PADS',
  'AMAZONFEE',
  'BANK CHARGES',
  'ADJUST',
  'ADJUST2',
  'TEST001',
  'TEST002',
];

/** Order statuses that mean the order did not become a purchase, in a few languages. */
export const DEFAULT_CANCEL_STATUSES = [
  'canceled',
  'cancelled',
  'cancel',
  'returned',
  'refunded',
  'unavailable',
  'failed',
  'declined',
  'rejected',
  'void',
  'voided',
  'annulé',
  'annule',
  'cancelado',
  'cancelada',
  'devuelto',
  'reembolsado',
  'storniert',
  'annulliert',
  'annullato',
  'geannuleerd',
];

export const CleaningSpec = z.strictObject({
  cancellations: z
    .enum(['drop', 'net', 'keep'])
    .default('drop')
    .describe(
      'Cancelled/returned lines: drop them from purchase features (they still feed return_rate), net them against purchases, or keep them as ordinary rows.',
    ),
  cancelPrefix: z
    .string()
    .default('C')
    .describe('Order ids starting with this mark a cancellation ("" to rely on negative quantity only).'),
  cancelStatuses: z
    .array(z.string())
    .default(DEFAULT_CANCEL_STATUSES)
    .describe(
      'With a status role: orders whose status is one of these (case and spaces ignored) never became purchases, and are dropped and counted (unless cancellations: keep).',
    ),
  missingCustomer: z
    .enum(['drop'])
    .default('drop')
    .describe('Rows without a customer id are always dropped and counted.'),
  nonPositivePrice: z.enum(['drop', 'keep']).default('drop').describe('Purchase lines with price <= 0.'),
  duplicates: z
    .enum(['auto', 'drop', 'keep'])
    .default('auto')
    .describe(
      'Exact duplicate rows. auto: dropped when the transactions have an order id (a repeated line is then a double entry), kept and counted in a warning when they have none (a repeated row can be a real purchase).',
    ),
  nonProductCodes: z
    .array(z.string())
    .default(DEFAULT_NON_PRODUCT_CODES)
    .describe(
      'Product codes that are not products (postage, fees, manual adjustments); dropped when the product role is set.',
    ),
  badRows: z
    .enum(['error', 'drop'])
    .default('error')
    .describe(
      'Rows whose time or numbers cannot be parsed: stop with an error naming the row, or drop and count them.',
    ),
  cap: z
    .strictObject({
      upper: z.number().gt(0.5).lt(1).default(0.999).describe('Values above this percentile are set to it.'),
      lower: z.number().gt(0).lt(0.5).optional().describe('Values below this percentile are set to it.'),
      columns: z
        .array(z.enum(['quantity', 'price', 'amount']))
        .default(['quantity', 'price'])
        .describe('Which line values are capped.'),
    })
    .optional()
    .describe('Percentile capping (winsorizing) of line values; counts the rows changed.'),
  filters: z
    .array(Filter)
    .default([])
    .describe('Keep only rows matching: {column, in: [...]} or {column, notIn: [...]}.'),
});
export type CleaningSpec = z.infer<typeof CleaningSpec>;

/** A real calendar date, YYYY-MM-DD (a time may follow), from 1900 to 2999: 2011-02-30 and 9999-12-31 are refused. */
const isoDate = z.string().refine(
  (s) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?)?$/.exec(s);
    if (!m) return false;
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const t = new Date(Date.UTC(y, mo - 1, d));
    return (
      y >= 1900 && y <= 2999 && t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d
    );
  },
  { message: 'must be a calendar date YYYY-MM-DD between 1900 and 2999' },
);

export const WindowSpec = z.strictObject({
  days: z
    .number()
    .int()
    .positive()
    .max(36_600)
    .optional()
    .describe(
      'Use only the last N days before the reference date (at most 100 years); whole history when absent.',
    ),
  referenceDate: isoDate
    .optional()
    .describe('ISO date the features are computed as of; defaults to the day after the last transaction.'),
});

export { FEATURE_KINDS, FeatureObject, FeatureSpec } from '../features/catalogue.js';

export const PrepSpec = z.strictObject({
  impute: z
    .enum(['median', 'mean', 'zero', 'constant'])
    .default('median')
    .describe('How missing feature values are filled.'),
  imputeValue: z.number().default(0).describe('The value used with impute: constant.'),
  imputeOverrides: z
    .record(z.string(), z.enum(['median', 'mean', 'zero', 'constant']))
    .default({})
    .describe('Per-feature impute method, e.g. { avg_days_between_orders: zero }.'),
  log: z
    .union([z.literal('auto'), z.literal('none'), z.array(z.string())])
    .default('auto')
    .describe(
      'log1p transform: "auto" for non-negative features with skewness above logSkew, a list of names, or "none".',
    ),
  logSkew: z.number().positive().default(1).describe('Skewness above which log: auto transforms a feature.'),
  onehotTop: z
    .number()
    .int()
    .positive()
    .default(8)
    .describe('Categorical features keep their most frequent N values; the rest become "other".'),
  scaler: z
    .enum(['standard', 'minmax', 'robust', 'none'])
    .default('standard')
    .describe(
      'standard: (x - mean) / sd; minmax: to [0, 1]; robust: (x - median) / IQR; none. One-hot columns stay 0/1.',
    ),
  weights: z
    .record(z.string(), z.number().min(0).max(1000))
    .default({})
    .describe('Per-feature multipliers applied after scaling (business weights), from 0 to 1,000.'),
  exclude: z
    .array(z.string())
    .default([])
    .describe('Features computed and reported but not used for clustering.'),
});
export type PrepSpec = z.infer<typeof PrepSpec>;

const KRange = z.strictObject({
  min: z
    .number()
    .int()
    .min(2)
    .default(3)
    .describe(
      'Smallest k tried (3 by default: two segments seldom give marketing anything to act on; set 2 to allow it).',
    ),
  max: z.number().int().min(2).default(8).describe('Largest k tried (capped at the number of customers).'),
  select: z
    .enum(['elbow', 'silhouette', 'calinski', 'davies', 'stability'])
    .default('silhouette')
    .describe(
      'How k is picked: elbow of inertia, highest silhouette or Calinski-Harabasz, lowest Davies-Bouldin, or most stable under refits.',
    ),
});

export const ClusterSpec = z.strictObject({
  method: z
    .enum(['kmeans', 'minibatch', 'hierarchical', 'twostep', 'rfm'])
    .default('kmeans')
    .describe(
      'kmeans (restarts, exact); minibatch (very large n); hierarchical (agglomerative, see linkage); twostep (k-means micro-clusters, then weighted Ward); rfm (classic quantile scores and named segments, see rfm).',
    ),
  linkage: z
    .enum(['ward', 'complete', 'average', 'single'])
    .default('ward')
    .describe('hierarchical: how cluster distances are measured.'),
  k: z
    .union([z.number().int().min(1), KRange])
    .default({ min: 3, max: 8, select: 'silhouette' })
    .describe('A fixed number of segments, or a range { min, max, select } to choose from.'),
  nInit: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(10)
    .describe('k-means restarts (at most 1,000); the best by inertia wins.'),
  maxIter: z.number().int().min(1).max(100_000).default(300).describe('Most Lloyd iterations per restart.'),
  tol: z
    .number()
    .min(0)
    .default(1e-4)
    .describe('Convergence tolerance, relative to the mean feature variance.'),
  algorithm: z
    .enum(['hamerly', 'lloyd'])
    .default('hamerly')
    .describe('k-means pass: hamerly skips provably useless distance computations (same result as lloyd).'),
  batchSize: z.number().int().min(16).max(10_000_000).default(1024).describe('minibatch: rows per step.'),
  microClusters: z
    .number()
    .int()
    .min(2)
    .max(20_000)
    .default(200)
    .describe('twostep: k-means micro-clusters built before the Ward tree.'),
  seed: z
    .number()
    .int()
    .min(0)
    .default(42)
    .describe('Seed of every random choice (k-means++, samples, subsamples); recorded in the model.'),
  silhouetteSample: z
    .number()
    .int()
    .min(100)
    .max(1_000_000)
    .default(5000)
    .describe('Silhouette is computed on a seeded sample of at most this many customers.'),
  selectSample: z
    .number()
    .int()
    .min(1000)
    .max(100_000_000)
    .default(100_000)
    .describe(
      "Above this many customers, kmeans and minibatch choose k on a seeded sample of this size, then fit the chosen k on every customer from the sample's centres.",
    ),
  keepMargin: z
    .number()
    .min(0)
    .max(1)
    .default(0.02)
    .describe(
      "A re-run keeps the previous run's k while that k's score by the select rule is within this of the best (silhouette and stability: absolute; Calinski-Harabasz and Davies-Bouldin: relative). `segmint run --reselect` chooses afresh.",
    ),
  bootstrap: z
    .strictObject({
      runs: z
        .number()
        .int()
        .min(0)
        .max(1000)
        .default(100)
        .describe('Resamples (0: none). Each draws the customers with replacement and clusters them again.'),
      sample: z
        .number()
        .int()
        .min(100)
        .max(1_000_000)
        .default(5000)
        .describe('Above this many customers, the resamples are drawn from a seeded sample of this size.'),
    })
    .default({ runs: 100, sample: 5000 })
    .describe(
      "Each segment's stability: the mean Jaccard similarity of the segment and its best match over bootstrap refits of the same method (Hennig's clusterboot); in run.json, profiles.csv and the report, with a warning under 0.6.",
    ),
  stabilityRuns: z
    .number()
    .int()
    .min(0)
    .max(100)
    .default(0)
    .describe(
      'Refits on seeded 80% subsamples per k for the stability score (5 when select: stability; at most 100).',
    ),
  minSegmentShare: z
    .number()
    .min(0)
    .max(1)
    .default(0.01)
    .describe('Warn when a segment holds fewer than this share of customers.'),
  rfm: z
    .strictObject({
      bins: z
        .number()
        .int()
        .min(2)
        .max(10)
        .default(5)
        .describe('Quantile bins per score (5: quintiles, scores 1..5).'),
      segments: z
        .array(
          z.strictObject({
            name: z.string().min(1),
            r: z.tuple([z.number().int(), z.number().int()]),
            f: z.tuple([z.number().int(), z.number().int()]),
            m: z.tuple([z.number().int(), z.number().int()]),
          }),
        )
        .optional()
        .describe(
          'Named segments as inclusive score ranges, first match wins; default the R package rfm table.',
        ),
    })
    .default({ bins: 5 })
    .describe(
      'Classic RFM scoring: used by method rfm, and added to the tags of every run that has recency_days, frequency and monetary.',
    ),
  threads: z
    .union([z.literal('auto'), z.number().int().min(1)])
    .default('auto')
    .describe('Worker threads for the heavy passes; auto uses every core.'),
});
export type ClusterSpec = z.infer<typeof ClusterSpec>;

const PersonaOverride = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  action: z.string().optional(),
});

export const ExplainSpec = z.strictObject({
  rules: z.boolean().default(true).describe('Learn a one-vs-rest decision-tree rule for every segment.'),
  tree: z
    .strictObject({
      maxDepth: z
        .number()
        .int()
        .min(1)
        .max(12)
        .default(3)
        .describe('Depth of the rule trees (3 gives rules of at most 3 conditions per path).'),
      minSamplesLeaf: z
        .number()
        .int()
        .min(1)
        .optional()
        .describe('Fewest customers in a leaf (default 1% of customers).'),
      criterion: z.enum(['gini', 'entropy']).default('gini'),
      classWeight: z
        .enum(['balanced', 'none'])
        .default('balanced')
        .describe('balanced weighs a small segment as much as the rest.'),
      minImpurityDecrease: z.number().min(0).default(0),
      ccpAlpha: z.number().min(0).default(0).describe('Cost-complexity pruning; larger gives shorter rules.'),
    })
    .default({
      maxDepth: 3,
      criterion: 'gini',
      classWeight: 'balanced',
      minImpurityDecrease: 0,
      ccpAlpha: 0,
    }),
  testShare: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.25)
    .describe('Share of customers held out (stratified, seeded) to measure each rule.'),
  sample: z
    .number()
    .int()
    .min(1000)
    .max(100_000_000)
    .default(200_000)
    .describe(
      'The rule trees learn from a stratified, seeded sample of at most this many customers (each segment keeps its share); their fidelity is measured on every customer.',
    ),
  roundThresholds: z
    .boolean()
    .default(false)
    .describe('Also report rules with thresholds rounded to two significant digits, with what that costs.'),
  names: z
    .record(z.string(), PersonaOverride)
    .default({})
    .describe('Persona overrides by segment id, e.g. { "1": { name: VIP, action: "..." } }.'),
});
export type ExplainSpec = z.infer<typeof ExplainSpec>;

export const RefineSpec = z.strictObject({
  segment: z
    .union([z.literal('top'), z.number().int().min(1)])
    .default('top')
    .describe('The segment to re-cluster: its id, or top for the one with the highest value score.'),
  by: z
    .array(z.string())
    .optional()
    .describe(
      'Features of the value score (standardized means added up); default monetary and engagement features.',
    ),
  k: z
    .union([z.number().int().min(2), KRange])
    .default(2)
    .describe('Sub-segments inside the chosen segment (a number, or a range to choose from).'),
  target: featureName
    .default('is_premium_candidate')
    .describe('Name of the 0/1 column that flags the best sub-segment in tags.'),
});
export type RefineSpec = z.infer<typeof RefineSpec>;

export const OutputSpec = z.strictObject({
  dir: z
    .string()
    .default('segmint-out')
    .describe(
      'Output folder (relative to the recipe); runs go to <dir>/runs/<run-id>, <dir>/latest points at the newest.',
    ),
  formats: z
    .array(z.enum(['csv', 'parquet']))
    .min(1, 'name at least one format: csv, parquet')
    .default(['csv', 'parquet'])
    .describe('Formats of the tags file.'),
  includeFeatures: z
    .boolean()
    .default(true)
    .describe('Whether tags carry the feature values beside the segment.'),
  report: z
    .boolean()
    .default(true)
    .describe('Write report.html (self-contained, charts as SVG) with every run.'),
  postgres: z
    .strictObject({
      url: z
        .string()
        .optional()
        .describe('Connection URL; default SEGMINT_PG_URL, DATABASE_URL or the PG* variables.'),
      table: z
        .string()
        .min(1)
        .describe(
          'Table to (re)create with the tags and the run id, replaced atomically in one transaction.',
        ),
    })
    .optional()
    .describe('Also write the tags into a PostgreSQL table for CRM and BI tools.'),
  table: z
    .string()
    .min(1)
    .optional()
    .describe(
      "With engine: also write the tags (with the run id) into this table of the recipe's engine, staged and swapped in.",
    ),
  stableIds: z
    .boolean()
    .default(true)
    .describe(
      'Match segments to the previous run in this folder (optimal assignment on centroids) so ids and names carry over; report who moved.',
    ),
});

export const DriftSpec = z.strictObject({
  moved: z
    .number()
    .min(0)
    .max(1)
    .default(0.3)
    .describe(
      'Alert when more than this share of the returning customers changed segment since the previous run.',
    ),
  size: z
    .number()
    .min(0)
    .default(0.5)
    .describe(
      "Alert when a segment's share of the customers changed by more than this fraction of itself (0.5: by half).",
    ),
  centroid: z
    .number()
    .min(0)
    .default(0.5)
    .describe(
      "Alert when a segment's centre moved more than this, in the run's prepared (scaled) units (half a standard deviation by default).",
    ),
  psi: z
    .number()
    .min(0)
    .default(0.25)
    .describe(
      'Alert when a feature\'s population stability index against the previous run exceeds this (0.25 is the usual "shifted").',
    ),
  names: z
    .boolean()
    .default(true)
    .describe("Alert when a continuing segment's numbers no longer back its name."),
  webhook: z
    .strictObject({
      url: z
        .string()
        .regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL')
        .refine((u) => URL.canParse(u), 'is not a URL that can be parsed')
        .refine((u) => {
          const p = URL.canParse(u) ? new URL(u) : null;
          return !p || (!p.username && !p.password);
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${NAME} the user writes, read from the environment when sent
        }, 'holds a user name or password: they would be sent to every host the URL names and shown in logs; put the secret in webhook.headers (e.g. Authorization: "Bearer ${SEGMINT_WEBHOOK_TOKEN}") instead')
        .describe('Where the JSON summary of the alerts is POSTed (only there: redirects are not followed).'),
      headers: z
        .record(z.string().regex(/^[A-Za-z0-9-]+$/, 'a header name'), z.string())
        .default({})
        .describe(
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${NAME} the user writes, read from the environment when sent
          'Headers sent with the POST, e.g. { Authorization: "Bearer ${SEGMINT_WEBHOOK_TOKEN}" }; ${NAME} is read from the environment when sent, so the secret stays out of the recipe.',
        ),
      allowPrivateTargets: z
        .boolean()
        .default(false)
        .describe(
          'Allow link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, metadata hosts); refused by default.',
        ),
      retries: z
        .number()
        .int()
        .min(0)
        .max(10)
        .default(3)
        .describe('Retries after a failed attempt (network error, 5xx or 429).'),
      backoffMs: z
        .number()
        .int()
        .min(0)
        .max(60000)
        .default(500)
        .describe('Wait before the first retry; doubled each time.'),
      timeoutMs: z.number().int().min(100).max(120000).default(5000).describe('Time limit of each attempt.'),
    })
    .optional()
    .describe('POST the drift alerts of a run here; failures are warnings, never fatal.'),
});
export type DriftSpec = z.infer<typeof DriftSpec>;

import { ENGINE_NAMES } from '../sql/open.js';

export { ENGINE_NAMES };

export const EngineSpec = z
  .strictObject({
    type: z.enum(ENGINE_NAMES).describe('The database that runs the cleaning and feature SQL.'),
    url: z
      .string()
      .optional()
      .describe(
        'postgres://user:password@host:port/db or http://user:password@host:8123 (ClickHouse); default SEGMINT_PG_URL / DATABASE_URL / PG* variables, or SEGMINT_CLICKHOUSE_URL. Never logged with its password.',
      ),
    database: z
      .string()
      .optional()
      .describe(
        "DuckDB: the .duckdb file holding the tables (relative to the recipe); ClickHouse: the database (default: the user's).",
      ),
    featuresTable: z
      .string()
      .default('segmint_features')
      .describe('Table the customer x feature table is written to in the engine (staged, then swapped in).'),
  })
  .describe('Where the cleaning and feature SQL runs.');
export type EngineSpec = z.infer<typeof EngineSpec>;

export const Recipe = z.strictObject({
  version: z.literal(1).default(1).describe('Recipe format version.'),
  name: z.string().default('segmentation').describe('Name recorded in the model and run record.'),
  sources: z
    .record(featureName, SourceSpec)
    .refine((s) => Object.keys(s).length > 0, 'declare at least one source')
    .describe('Named tables.'),
  engine: z
    .union([z.enum(ENGINE_NAMES), EngineSpec])
    .optional()
    .describe(
      'Run cleaning and features inside a database (sources given as `table:`): `postgres`, `clickhouse`, `duckdb` (a .duckdb file), or an object with the connection. Absent: the embedded DuckDB reads files.',
    ),
  cleaning: CleaningSpec.default(CleaningSpec.parse({})).describe(
    'Cleaning rules; each counts what it removes in the ledger.',
  ),
  window: WindowSpec.default({}).describe('The analysis window and reference date.'),
  features: z
    .array(FeatureSpec)
    .min(1)
    .default(['recency_days', 'frequency', 'monetary'])
    .describe(
      'Features per customer: a catalogue name, or an object with `feature:` and its options (see the feature catalogue).',
    ),
  dictionary: z
    .record(z.string(), DictionaryEntry)
    .default({})
    .describe(
      'What features mean to a reader, by feature name: { MntWines: { label: "Spend on wine", unit: money, good: higher } }. Labels are what people see; machine names stay in files.',
    ),
  prep: PrepSpec.default(PrepSpec.parse({})).describe(
    'How features are prepared for clustering (fitted params are saved in the model).',
  ),
  cluster: ClusterSpec.default(ClusterSpec.parse({})).describe('The clustering method and how k is chosen.'),
  explain: ExplainSpec.default(ExplainSpec.parse({})).describe('Profiles, personas and decision-tree rules.'),
  clv: z
    .strictObject({
      unit: z
        .enum(['days', 'weeks'])
        .default('weeks')
        .describe('Time unit of the models (x, t_x, T and the horizon).'),
      calibrationEnd: isoDate
        .optional()
        .describe(
          'Last day of the calibration period (ISO date); later purchases validate the fit. Default: the last day before the reference date.',
        ),
      horizon: z.number().positive().default(52).describe('Periods ahead for expected purchases and CLV.'),
      discountRate: z
        .number()
        .min(0)
        .default(0.0019)
        .describe('Discount rate per period for CLV (0.0019 per week is about 10% a year).'),
      features: z
        .boolean()
        .default(false)
        .describe('Also cluster on the CLV columns (they are always in the tags and profiles).'),
    })
    .optional()
    .describe('Customer lifetime value: BG/NBD for purchases and P(alive), Gamma-Gamma for spend.'),
  drift: DriftSpec.optional().describe(
    'Thresholds of the comparison with the previous run of the same lineage (defaults apply when absent), and a webhook for its alerts.',
  ),
  schedule: z
    .strictObject({
      cron: z
        .string()
        .min(1)
        .describe('Cron expression (croner; seconds optional), e.g. "0 3 * * 1" for Mondays at 03:00.'),
      timezone: z.string().optional().describe("IANA time zone of the expression (default the server's)."),
    })
    .optional()
    .describe(
      'When `segmint serve` re-runs the recipe by itself. One run at a time; a failed run keeps the last good model serving.',
    ),
  refine: RefineSpec.optional().describe(
    'Two-stage flow: re-cluster one segment (scaling refit on it), flag its best sub-segment and learn a rule for it.',
  ),
  output: OutputSpec.default(OutputSpec.parse({})).describe('Where and how outputs are written.'),
});
export type Recipe = z.infer<typeof Recipe>;
export type RecipeInput = z.input<typeof Recipe>;

/** The recipe's engine as an object, or null for the embedded default. */
export function engineOf(recipe: Pick<Recipe, 'engine'>): EngineSpec | null {
  if (!recipe.engine) return null;
  return typeof recipe.engine === 'string'
    ? { type: recipe.engine, featuresTable: 'segmint_features' }
    : recipe.engine;
}
