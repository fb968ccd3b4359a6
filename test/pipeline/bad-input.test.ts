import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { loadRecipe, recipeFromObject } from '../../src/config/load.js';
import { SegmintError } from '../../src/core/errors.js';
import { createRng } from '../../src/core/rng.js';
import { runRecipe } from '../../src/pipeline/run.js';
import { TRANSACTIONS, TX_SOURCE } from '../features/shop-fixture.js';
import { cleanup, tempDir, writeFiles } from '../helpers.js';

// A seeded generator of bad input: recipe values, data cells, file shapes and YAML text, each
// mutated at random from a valid run. Whatever it makes, segmint either runs or stops with a coded
// error in plain words: never INTERNAL, never a stack trace, never a bare database message, never
// a hang. The seed is fixed (a failure names its case and reproduces); SEGMINT_FUZZ_SEED and
// SEGMINT_FUZZ_CASES explore further.
const SEED = Number(process.env.SEGMINT_FUZZ_SEED ?? 20261202);
const CASES = Number(process.env.SEGMINT_FUZZ_CASES ?? 100);

const base = {
  sources: { tx: TX_SOURCE },
  features: ['recency_days', 'frequency', 'monetary', 'avg_order_value'],
  cluster: { k: 2, nInit: 1 },
  output: { dir: 'out', report: false },
};

const NASTY: unknown[] = [
  -1,
  0,
  0.5,
  1e308,
  -1e308,
  2 ** 53,
  1e12,
  'NaN',
  'Infinity',
  '',
  ' ',
  'abc',
  null,
  [],
  {},
  true,
  '9999-12-31',
  '2011-02-30',
  '0000-01-01',
  'x'.repeat(300),
  'a\u0000b',
  '../../..',
  '%s%n',
  "'; DROP TABLE tx; --",
  '"quoted"',
  ['recency_days', 'recency_days'],
  { feature: 'custom', as: 'x', sql: 'sum(no_such_column)' },
  { feature: 'custom', as: 'y', sql: "sum(price) / 0 + 'a'" },
];
/** Values a path may well accept, so that half the cases get past validation into the run. */
const EDGY: unknown[] = [
  1,
  2,
  3,
  10,
  1000,
  0.001,
  'drop',
  'keep',
  'auto',
  'robust',
  'minmax',
  'none',
  'silhouette',
  'elbow',
  'kmeans',
  'minibatch',
  'hierarchical',
  'ward',
  'single',
  '2024-01-15',
  '2023-01-01',
  '2030-01-01',
  3650,
  ['monetary'],
  ['csv'],
  ['parquet', 'csv'],
  { min: 2, max: 3 },
  { monetary: 2 },
  'Customer ID',
  'Price',
  'StockCode',
  'Quantity > 0',
  'no_such_column > 1',
  'day',
  'week',
  'row',
  'time',
  false,
];
const PATHS = [
  'cluster.k',
  'cluster.k.min',
  'cluster.k.max',
  'cluster.k.select',
  'cluster.nInit',
  'cluster.seed',
  'cluster.method',
  'cluster.linkage',
  'cluster.maxIter',
  'cluster.tol',
  'cluster.sample',
  'cluster.stabilityRuns',
  'cluster.minSegmentShare',
  'window.days',
  'window.referenceDate',
  'window.start',
  'cleaning.badRows',
  'cleaning.duplicates',
  'cleaning.cap',
  'cleaning.cancelStatuses',
  'prep.scaler',
  'prep.log',
  'prep.impute',
  'prep.weights',
  'prep.weights.monetary',
  'output.formats',
  'output.dir',
  'output.report',
  'output.includeFeatures',
  'features',
  'features.0',
  'features.4',
  'sources.tx.path',
  'sources.tx.kind',
  'sources.tx.roles.customer',
  'sources.tx.roles.price',
  'sources.tx.roles.time',
  'sources.tx.roles.quantity',
  'sources.tx.csv',
  'sources.tx.csv.delimiter',
  'sources.tx.csv.decimal',
  'sources.tx.dateFormat',
  'sources.tx.filter',
  'sources.tx.orderKey',
  'sources.tx.timeUnit',
  'sources.tx.id',
  'sources',
  'refine',
  'refine.segment',
  'clv',
  'clv.horizonDays',
  'schedule.cron',
  'name',
  'version',
  'engine',
];
const CELLS = [
  '1e308',
  '-1e309',
  'NaN',
  'inf',
  '',
  '"',
  'x',
  '9999-12-31 00:00:00',
  '0000-00-00',
  '2011-13-45 10:00:00',
  '\u0000',
  '9'.repeat(400),
  '١٢٣',
  ' 12 ',
  '1,5',
  '-0',
  '0x1F',
  '1e-320',
  '\u202e',
  'NULL',
];

/** Values the schema accepts at their path, odd for the data: these cases reach the pipeline. */
const VALID_EDGES: [string, unknown][] = [
  ['cluster.k', 1],
  ['cluster.k', 3],
  ['cluster.k', 50],
  ['cluster.nInit', 1000],
  ['cluster.method', 'hierarchical'],
  ['cluster.method', 'minibatch'],
  ['cluster.method', 'twostep'],
  ['cluster.method', 'rfm'],
  ['window.days', 0],
  ['window.days', 1],
  ['window.days', 36600],
  ['window.referenceDate', '1990-01-01'],
  ['window.referenceDate', '2100-01-01'],
  ['window.referenceDate', '2024-01-02'],
  ['cleaning.cancellations', 'net'],
  ['cleaning.cancellations', 'keep'],
  ['cleaning.cancelPrefix', ''],
  ['cleaning.nonPositivePrice', 'keep'],
  ['cleaning.duplicates', 'keep'],
  ['cleaning.nonProductCodes', []],
  ['cleaning.badRows', 'drop'],
  ['cleaning.cap', { upper: 0.5, lower: 0.5 }],
  ['cleaning.cap', { upper: 1, columns: ['price'] }],
  ['cleaning.filters', [{ column: 'Country', in: ['Nowhere'] }]],
  ['cleaning.filters', [{ column: 'Country', notIn: ['United Kingdom'] }]],
  ['cleaning.filters', [{ column: 'Quantity', in: [10] }]],
  ['prep.impute', 'constant'],
  ['prep.imputeValue', 1e308],
  ['prep.log', 'none'],
  ['prep.log', ['monetary', 'frequency']],
  ['prep.scaler', 'none'],
  ['prep.scaler', 'robust'],
  ['prep.weights', { monetary: 0 }],
  ['prep.weights', { monetary: 1e6 }],
  ['features', ['monetary']],
  ['features', ['recency_days', 'tenure_days', 'avg_days_between_orders', 'unique_products']],
  ['features', ['recency_days', { feature: 'category_share', top: 50 }]],
  ['features', ['frequency', { feature: 'custom', as: 'lines', sql: 'count(*)' }]],
  ['features', ['frequency', { feature: 'custom', as: 'half', sql: 'sum(quantity) / 0' }]],
  ['output.formats', ['parquet']],
  ['output.includeFeatures', false],
  ['refine', { segment: 1 }],
  ['clv', {}],
  ['sources.tx.orderKey', 'day'],
  ['sources.tx.roles.category', 'Country'],
  ['sources.tx.roles.product', 'Description'],
];

type Rng = () => number;
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let o: Record<string, unknown> = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof o[k] !== 'object' || o[k] === null) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[keys[keys.length - 1]] = value;
}

/** One to three recipe values replaced with nasty ones. */
function badRecipe(rng: Rng): { recipe: unknown; what: string } {
  const recipe = structuredClone(base) as Record<string, unknown>;
  const what: string[] = [];
  for (let n = rng() < 0.7 ? 1 : 2; n > 0; n--) {
    // Half the mutations are values the schema takes (so the run goes on into the data), half odd.
    const [path, value] =
      rng() < 0.5 ? pick(rng, VALID_EDGES) : [pick(rng, PATHS), pick(rng, rng() < 0.5 ? EDGY : NASTY)];
    setPath(recipe, path, structuredClone(value));
    what.push(`${path} = ${JSON.stringify(value)?.slice(0, 40)}`);
  }
  return { recipe, what: what.join('; ') };
}

/** The transactions file with cells replaced, or its shape broken. */
function badData(rng: Rng): { text: string; what: string } {
  const lines = TRANSACTIONS.trimEnd().split('\n');
  const shape = rng();
  if (shape < 0.6) {
    const what: string[] = [];
    for (let n = 1 + Math.floor(rng() * 3); n > 0; n--) {
      const row = 1 + Math.floor(rng() * (lines.length - 1));
      const cells = lines[row].split(',');
      const col = Math.floor(rng() * cells.length);
      cells[col] = pick(rng, CELLS);
      lines[row] = cells.join(',');
      what.push(`line ${row + 1} column ${col + 1} = ${JSON.stringify(cells[col]).slice(0, 30)}`);
    }
    return { text: `${lines.join('\n')}\n`, what: what.join('; ') };
  }
  const ops: [string, () => string][] = [
    ['empty file', () => ''],
    ['header only', () => `${lines[0]}\n`],
    ['a column dropped', () => lines.map((l) => l.split(',').slice(0, -2).join(',')).join('\n')],
    ['header repeated', () => [lines[0], ...lines].join('\n')],
    ['cut mid-line', () => lines.join('\n').slice(0, Math.floor(rng() * lines.join('\n').length))],
    ['extra separators', () => lines.map((l, i) => (i % 2 ? `${l},,` : l)).join('\n')],
    ['byte-order mark and CRLF', () => `\ufeff${lines.join('\r\n')}\r\n`],
    ['semicolons', () => lines.map((l) => l.replaceAll(',', ';')).join('\n')],
    ['binary', () => String.fromCharCode(...Array.from({ length: 200 }, () => Math.floor(rng() * 256)))],
    ['NUL bytes', () => lines.join('\n').replaceAll('a', '\u0000')],
    ['a lone quote', () => lines.join('\n').replace(',a,', ',"a,')],
    ['duplicate header names', () => [lines[0].replace('Price', 'Quantity'), ...lines.slice(1)].join('\n')],
  ];
  const [what, make] = pick(rng, ops);
  return { text: make(), what };
}

/** The recipe's YAML with a few characters deleted, doubled or swapped. */
function badYaml(rng: Rng): { text: string; what: string } {
  let text = stringify(base);
  const what: string[] = [];
  for (let n = 1 + Math.floor(rng() * 3); n > 0; n--) {
    const at = Math.floor(rng() * text.length);
    const op = pick(rng, ['delete', 'double', 'insert'] as const);
    const ch = pick(rng, [':', '-', ' ', '\n', '{', '[', '&a', '*a', '"', "'", '\t', '#', '!!js/function']);
    text =
      op === 'delete'
        ? text.slice(0, at) + text.slice(at + 1)
        : op === 'double'
          ? text.slice(0, at) + text[at] + text.slice(at)
          : text.slice(0, at) + ch + text.slice(at);
    what.push(`${op} ${JSON.stringify(op === 'insert' ? ch : text[at])} at ${at}`);
  }
  return { text, what: what.join('; ') };
}

const RAW_DB =
  /^(DuckDB|PostgreSQL|ClickHouse):|^(Binder|Catalog|Conversion|Parser|Invalid Input|Out of Range|INTERNAL) Error/;

/** Runs `go`; a coded error is fine, anything else fails naming the case. */
async function survives(label: string, go: () => Promise<unknown>) {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise((_, fail) => {
    timer = setTimeout(() => fail(new Error('HANG: no answer in 30 s')), 30_000);
  });
  try {
    await Promise.race([go(), hang]);
  } catch (e) {
    assert.ok(e instanceof SegmintError, `${label}: not a coded error: ${(e as Error).stack ?? e}`);
    assert.notEqual(e.code, 'INTERNAL', `${label}: INTERNAL: ${e.message}`);
    assert.notEqual(e.code, 'DB_ERROR', `${label}: a database error for bad input: ${e.message}`);
    assert.doesNotMatch(e.message, /\n\s+at /, `${label}: a stack trace in the message`);
    assert.doesNotMatch(e.message, RAW_DB, `${label}: a bare database message: ${e.message}`);
    assert.ok(e.hint.length > 10, `${label}: a hint`);
    return e.code;
  } finally {
    clearTimeout(timer);
  }
  return 'ok';
}

describe('generated bad input: coded errors only (seeded)', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
    writeFiles(dir, { 'tx.csv': TRANSACTIONS });
  });
  after(() => cleanup(dir));

  const tally = (seen: Map<string, number>, code: string) => seen.set(code, (seen.get(code) ?? 0) + 1);

  test(`${CASES} recipes with nasty values`, async (t) => {
    const rng = createRng(SEED);
    const seen = new Map<string, number>();
    for (let i = 0; i < CASES; i++) {
      const { recipe, what } = badRecipe(rng);
      const r = recipe as { output?: { dir?: unknown } };
      if (r.output && typeof r.output === 'object' && r.output.dir === 'out') r.output.dir = `out-r${i}`;
      tally(
        seen,
        await survives(`recipe case ${i} (${what})`, async () => runRecipe(recipeFromObject(recipe, dir))),
      );
    }
    t.diagnostic(JSON.stringify(Object.fromEntries(seen)));
    // The generator reaches the validation and the pipeline both.
    assert.ok((seen.get('RECIPE_INVALID') ?? 0) > CASES / 5, JSON.stringify([...seen]));
    assert.ok((seen.get('ok') ?? 0) > CASES / 5, JSON.stringify([...seen]));
    assert.ok(seen.size >= 3, JSON.stringify([...seen]));
  });

  test(`${CASES} data files with bad cells or shapes`, async (t) => {
    const rng = createRng(SEED + 1);
    const seen = new Map<string, number>();
    for (let i = 0; i < CASES; i++) {
      const { text, what } = badData(rng);
      writeFileSync(join(dir, `d${i}.csv`), text);
      const recipe = {
        ...base,
        sources: { tx: { ...TX_SOURCE, path: `d${i}.csv` } },
        output: { dir: `out-d${i}`, report: false },
      };
      tally(
        seen,
        await survives(`data case ${i} (${what})`, async () => runRecipe(recipeFromObject(recipe, dir))),
      );
    }
    t.diagnostic(JSON.stringify(Object.fromEntries(seen)));
    assert.ok(seen.size >= 3, JSON.stringify([...seen]));
  });

  test(`${Math.ceil(CASES / 2)} recipe files with broken YAML`, async (t) => {
    const rng = createRng(SEED + 2);
    const seen = new Map<string, number>();
    for (let i = 0; i < Math.ceil(CASES / 2); i++) {
      const { text, what } = badYaml(rng);
      const file = join(dir, `y${i}.yaml`);
      writeFileSync(file, text.replace('dir: out', `dir: out-y${i}`));
      tally(seen, await survives(`yaml case ${i} (${what})`, async () => runRecipe(loadRecipe(file))));
    }
    t.diagnostic(JSON.stringify(Object.fromEntries(seen)));
    assert.ok(
      (seen.get('RECIPE_PARSE') ?? 0) + (seen.get('RECIPE_INVALID') ?? 0) > 0,
      JSON.stringify([...seen]),
    );
  });
});
