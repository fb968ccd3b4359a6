import { redactDeep, redactSecrets } from './redact.js';

/**
 * One registry of error codes. Every code says what went wrong, which exit category it belongs to
 * (the CLI maps categories to exit codes, the server to HTTP statuses) and a default hint on how to
 * fix it. Codes are never reused.
 */
export const ErrorCategory = {
  usage: 'usage',
  recipe: 'recipe',
  data: 'data',
  model: 'model',
  internal: 'internal',
} as const;
export type ErrorCategory = (typeof ErrorCategory)[keyof typeof ErrorCategory];

export const ERROR_CODES = {
  USAGE: { category: 'usage', hint: 'Run the command with --help to see its options.' },
  INVALID_ARGUMENT: {
    category: 'usage',
    hint: 'A library function was called with an argument it cannot take: the message names it and the numbers.',
  },
  RECIPE_NOT_FOUND: {
    category: 'recipe',
    hint: 'Check the path, or create a recipe with `segmint init <data file>`.',
  },
  RECIPE_PARSE: { category: 'recipe', hint: 'Fix the YAML/JSON syntax at the line shown.' },
  RECIPE_INVALID: {
    category: 'recipe',
    hint: 'Fix the recipe key named in the message; the README lists every option.',
  },
  SET_INVALID: {
    category: 'usage',
    hint: 'Write overrides as --set key.path=value, e.g. --set cluster.k=4.',
  },
  DATA_FILE_NOT_FOUND: {
    category: 'data',
    hint: 'Check the path in the recipe; relative paths are resolved from the recipe file.',
  },
  DATA_READ: {
    category: 'data',
    hint: 'Check the file format and the csv options (delimiter, quote, header) in the recipe.',
  },
  DATA_COLUMN_MISSING: {
    category: 'data',
    hint: 'Use one of the columns the file has, or rename the role in the recipe.',
  },
  DATA_BAD_DATE: {
    category: 'data',
    hint: 'Set the source\'s dateFormat (e.g. "%d/%m/%Y %H:%M"), or set cleaning.badRows: drop to drop such rows.',
  },
  DATA_BAD_NUMBER: {
    category: 'data',
    hint: 'Set csv.decimal for decimal commas, fix the file, or set cleaning.badRows: drop to drop such rows.',
  },
  DATA_EMPTY: { category: 'data', hint: 'Loosen the cleaning rules, filters or the analysis window.' },
  DATA_NONFINITE: {
    category: 'data',
    hint: 'Fix or filter the value named (Infinity, NaN, or a number of 1e27 or more) in the source; missing values are imputed.',
  },
  DATA_TOO_FEW_CUSTOMERS: {
    category: 'data',
    hint: 'Lower cluster.k (or cluster.k.max), or widen the analysis window.',
  },
  DATA_NO_FEATURES: {
    category: 'data',
    hint: 'Add features to the recipe, or check that they are not all constant.',
  },
  DATA_TABLE_NOT_FOUND: {
    category: 'data',
    hint: "Check the table name (schema.table) and that the engine's user may read it.",
  },
  DATA_JOIN: {
    category: 'data',
    hint: 'Check the join keys: both columns must exist and have comparable types.',
  },
  MODEL_INVALID: { category: 'model', hint: 'Use a model.json written by `segmint run`.' },
  SCORE_INPUT: {
    category: 'data',
    hint: "The input needs the model's feature columns; see `features` in model.json.",
  },
  CANCELLED: {
    category: 'usage',
    hint: 'The run was stopped on request; nothing was written. Run it again to finish.',
  },
  ENGINE_UNSUPPORTED: {
    category: 'recipe',
    hint: 'Run this part in the embedded DuckDB (leave engine: out), or prepare the column in a view in your database.',
  },
  KERNEL_MEMORY: {
    category: 'data',
    hint: 'Use fewer features (or fewer one-hot levels), choose method: minibatch, or cluster the feature table where it lives (segmint cluster --engine duckdb|postgres|clickhouse --table ...).',
  },
  OUTPUT_INVALID: {
    category: 'usage',
    hint: 'Set output.dir (or --out) to a folder this user may create and write, e.g. segmint-out.',
  },
  RUN_IN_PROGRESS: {
    category: 'usage',
    status: 409,
    hint: 'Wait for the other run to finish, or give this run its own output folder.',
  },
  DB_ERROR: { category: 'data', hint: 'The database rejected a query; the message shows its reason.' },
  // The scoring API's own answers (the server maps every other code by its category).
  BAD_REQUEST: {
    category: 'usage',
    status: 400,
    hint: 'Send a JSON body (content-type: application/json) that parses.',
  },
  INVALID_BODY: {
    category: 'usage',
    status: 400,
    hint: 'Fix the field named in the error; GET /openapi.json describes every body.',
  },
  INVALID_FEATURES: {
    category: 'data',
    status: 400,
    hint: 'Send every feature of the model (GET /v1/segments lists them) as a finite number, or null when unknown.',
  },
  INVALID_ORDERS: {
    category: 'data',
    status: 400,
    hint: "Send order lines in the columns of the model's transactions source, or send features instead.",
  },
  UNAUTHORIZED: {
    category: 'usage',
    status: 401,
    hint: 'Send the key as x-api-key, Authorization: Bearer <key>, or as the password of Basic authentication.',
  },
  NOT_FOUND: { category: 'usage', status: 404, hint: 'GET /openapi.json lists every route.' },
  UNKNOWN_CUSTOMER: {
    category: 'usage',
    status: 404,
    hint: 'Check the id; a customer is known once a run in this workspace has tagged them.',
  },
  UNKNOWN_CAMPAIGN: {
    category: 'usage',
    status: 404,
    hint: 'segmint campaign list (or GET /v1/campaigns) names the campaigns of this workspace.',
  },
  CAMPAIGN_EXISTS: {
    category: 'usage',
    status: 409,
    hint: 'Choose another name, or re-plan it with --replace (its members and measurements are replaced).',
  },
  UNKNOWN_RUN: { category: 'usage', status: 404, hint: 'GET /v1/runs lists the runs of this workspace.' },
  NO_REPORT: {
    category: 'usage',
    status: 404,
    hint: 'Runs write report.html unless output.formats leaves it out; failed runs have none.',
  },
  BAD_URL: {
    category: 'usage',
    status: 400,
    hint: 'Encode the path as URL text: a % must be followed by two hex digits, and each path part (an id) is at most 100 characters.',
  },
  REQUEST_TIMEOUT: {
    category: 'usage',
    status: 408,
    hint: "Send the whole request (headers and body) within the server's request timeout (30 s by default).",
  },
  HEADERS_TOO_LARGE: {
    category: 'usage',
    status: 431,
    hint: 'Send a shorter URL and smaller headers (16 KB in all); long data goes in a POST body.',
  },
  BODY_TOO_LARGE: {
    category: 'usage',
    status: 413,
    hint: 'Send fewer rows per request (at most 10,000 in a batch), or start the server with a larger body limit.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    category: 'usage',
    status: 415,
    hint: 'Send the body as JSON with content-type: application/json.',
  },
  NO_RECIPE: {
    category: 'usage',
    status: 501,
    hint: 'Start the server with --recipe to let it run the recipe (on request or on its schedule).',
  },
  NO_MODEL: {
    category: 'model',
    status: 503,
    hint: 'Finish a run in this workspace (segmint run, or POST /v1/runs); the server picks it up.',
  },
  INTERNAL: {
    category: 'internal',
    hint: 'This is a bug in segmint; please report it with the command you ran.',
  },
} as const satisfies Record<string, { category: ErrorCategory; hint: string; status?: number }>;
export type ErrorCode = keyof typeof ERROR_CODES;

/** The HTTP status of a category's errors when the code names none: bad input is the client's. */
const CATEGORY_STATUS: Record<ErrorCategory, number> = {
  usage: 400,
  recipe: 400,
  data: 422,
  model: 503,
  internal: 500,
};

/** The HTTP status the server answers a code with: its own, else its category's. */
export function httpStatus(code: ErrorCode): number {
  const entry: { category: ErrorCategory; status?: number } = ERROR_CODES[code];
  return entry.status ?? CATEGORY_STATUS[entry.category];
}

/** Where the problem is: any of file, row (1-based line in the file), column, recipe path. */
export interface ErrorWhere {
  file?: string;
  line?: number;
  column?: string;
  path?: string;
  value?: string;
}

export class SegmintError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  readonly where: ErrorWhere;
  readonly details: unknown;
  constructor(
    code: ErrorCode,
    message: string,
    opts: { hint?: string; where?: ErrorWhere; details?: unknown; cause?: unknown } = {},
  ) {
    // Whatever an error carries may leave the process (terminal, JSON, history, API): no secret in it.
    super(redactSecrets(message), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SegmintError';
    this.code = code;
    this.hint = redactSecrets(opts.hint ?? ERROR_CODES[code].hint);
    this.where = redactDeep(opts.where ?? {});
    this.details = redactDeep(opts.details);
  }
  get category(): ErrorCategory {
    return ERROR_CODES[this.code].category;
  }
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      hint: this.hint,
      where: this.where,
      details: this.details,
    };
  }
}

export const isSegmintError = (e: unknown): e is SegmintError => e instanceof SegmintError;

/** Wraps anything thrown into a SegmintError, keeping SegmintErrors as they are. */
export function toSegmintError(e: unknown): SegmintError {
  if (e instanceof SegmintError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new SegmintError('INTERNAL', msg, { cause: e });
}

/** A warning the run can go on after; returned as data, never printed by the library. */
export interface Warning {
  code: string;
  message: string;
  where?: ErrorWhere;
}

/** Every warning a run can give (the run goes on); the README's table is generated from this. */
export const WARNING_CODES = {
  FEATURE_IMPUTED: 'Missing feature values were filled (median by default).',
  FEATURE_CONSTANT: 'A feature has one value for everyone; it is left out of clustering.',
  FEATURE_EMPTY: 'A feature has no value for anyone; it is left out of clustering.',
  LOG_NEGATIVE: 'log1p was asked for a feature with negative values; it is applied to max(x, 0).',
  PREP_UNKNOWN_FEATURE: 'prep names a feature this run does not have.',
  K_METRICS_DISAGREE: 'The elbow and the silhouette suggest different k.',
  SEGMENT_TINY: 'A segment holds fewer than cluster.minSegmentShare of the customers.',
  SEGMENT_MISSING_DATA:
    'Most of a segment has no value for features most customers have: it is set apart by missing data (imputed for clustering), and named for it.',
  JOIN_PARTIAL:
    'A join of the recipe matched under 90% of the rows it joins onto; the others get empty columns from the joined source.',
  SEGMENT_UNSTABLE:
    "A segment's bootstrap stability is under 0.6: refitted on resamples of the customers, it is not found again as one group (cluster.bootstrap).",
  SEGMENT_RENAMED:
    'A segment continuing one of the previous run is renamed: its numbers no longer back the old name.',
  LINEAGE_NEW:
    'The features differ from the last run of the same recipe: segment ids and names start afresh.',
  SEGMENT_RENUMBERED:
    'A segment continuing one of the previous run took a new id (this run has fewer segments).',
  DUPLICATES_KEPT:
    'Exact duplicate rows were kept as separate purchases (the transactions have no order id); set cleaning.duplicates: drop if they are double entries.',
  CUSTOMERS_ONLY_RETURNS: 'Customers with only cancellations in the window were left out.',
  CUSTOMERS_ZERO_SPEND:
    'Customers whose every purchase line has a price (or amount) of 0 or less were left out.',
  CUSTOMERS_UNMATCHED: 'Customers with transactions are missing from the customers source.',
  COUNTRY_UNKNOWN: 'Some countries have no coordinates; their distance is imputed.',
  NO_CATEGORIES: 'category_share found no category values.',
  REFINE_NO_SEGMENT: 'refine.segment names a segment the run does not have.',
  REFINE_TOO_SMALL: 'The segment to refine is too small to split.',
  REFINE_EMPTY: 'A refined sub-segment is empty.',
  REFINE_SKIPPED: 'The refine step found nothing to refine.',
  CLV_SPEND_CORRELATED: 'Frequency and spend are correlated; the Gamma-Gamma assumption is doubtful.',
  CLV_NO_SPEND_MODEL: "No spend model could be fitted; CLV uses each customer's own mean spend.",
  CLV_NEW_CUSTOMERS:
    'Customers whose first purchase is on the calibration end (T = 0) were left out of the CLV fit and scored as new customers.',
  CLV_NOT_CONVERGED: 'The BG/NBD fit stopped before converging.',
  CLV_WORSE_THAN_NAIVE:
    "On the holdout, the BG/NBD forecast missed each customer's purchases by more than the naive repeat rate (x/T) did.",
  CLV_NO_CHURN:
    'The BG/NBD fit implies almost no customer stops buying (mean dropout chance per purchase under 1%).',
  CLV_ACQUIRED_LATER:
    "Customers who first bought after the calibration end have no history before it; each gets a new customer's prediction from the fitted population.",
  IDS_TRIMMED: 'Some ids have spaces around them; ids are read without them (" 123" and "123" are one id).',
  HISTORY_NOT_WRITTEN: 'The run is complete but the workspace history could not be updated.',
  HISTORY_REBUILT:
    'The workspace history was damaged: it is kept aside and a new one is rebuilt from the run folders.',
  HISTORY_RECOVERED:
    'A finished run missing from the history (its process was stopped before recording it) was recorded from its run.json.',
  DRIFT:
    'The run crossed a drift threshold against the previous run of its lineage (customers moved, a segment resized or moved, a name no longer holds, a feature shifted).',
  DRIFT_WEBHOOK_FAILED: 'The drift alerts could not be posted to the webhook (the run is kept).',
  CAMPAIGN_NO_BASELINE:
    'A campaign plan has no recent period to estimate the variance from, so no minimum detectable effect.',
  CAMPAIGN_ARM_EMPTY:
    'A planned segment is too small for its holdout: one arm is empty, so its lift cannot be measured.',
  CAMPAIGN_NO_ORDERS: "No orders in the campaign's period are in the recipe's sources: every outcome is 0.",
  CAMPAIGN_PARTIAL: "The data ends before the campaign's period does: the latest days may be missing.",
} as const;
