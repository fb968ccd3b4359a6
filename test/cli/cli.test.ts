import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { generateDemoShop } from '../../src/demo/generate.js';
import { captureIo, cleanup, ROOT, tempDir } from '../helpers.js';

async function cli(args: string[]) {
  const c = captureIo();
  const code = await main(args, c.io);
  return { code, out: c.stdout(), err: c.stderr() };
}

describe('the segmint CLI', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
    generateDemoShop({ dir, customers: 300, seed: 5 });
  });
  after(() => cleanup(dir));

  test('run prints a segment table and exits 0; --json gives one document', async () => {
    const r = await cli([
      'run',
      join(dir, 'recipe.yaml'),
      '--set',
      'cluster.k=3',
      '--set',
      'cluster.nInit=2',
      '-q',
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /customers in 3 segments/);
    assert.match(r.out, /segment\s+customers\s+share\s+revenue\s+recency \(d\)\s+orders\s+spend/);
    assert.match(r.out, /tags: +.*tags\.csv/);
    assert.match(r.out, /report: +.*report\.html/);
    const j = await cli([
      'run',
      join(dir, 'recipe.yaml'),
      '--set',
      'cluster.k=3',
      '--set',
      'cluster.nInit=2',
      '--json',
    ]);
    assert.equal(j.code, 0);
    const doc = JSON.parse(j.out);
    assert.equal(doc.ok, true);
    assert.equal(doc.k, 3);
    assert.equal(doc.segments.length, 3);
    assert.equal(j.err, '', '--json prints no progress');
  });

  test('exit codes: 2 for usage and recipe errors, 3 for data errors', async () => {
    const usage = await cli(['run']);
    assert.equal(usage.code, 2);
    const missing = await cli(['run', join(dir, 'nope.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /error RECIPE_NOT_FOUND/);
    const badSet = await cli(['run', join(dir, 'recipe.yaml'), '--set', 'cluster.k=-1', '--json']);
    assert.equal(badSet.code, 2);
    assert.equal(JSON.parse(badSet.out).error.code, 'RECIPE_INVALID');
    const data = await cli([
      'run',
      join(dir, 'recipe.yaml'),
      '--set',
      'sources.transactions.path=data/none.csv',
    ]);
    assert.equal(data.code, 3);
    assert.match(data.err, /error DATA_FILE_NOT_FOUND: .*none\.csv does not exist/);
    assert.match(data.err, /fix: /);
  });

  test('score assigns the same segments as the run to the same feature rows', async () => {
    const r = JSON.parse(
      (
        await cli([
          'run',
          join(dir, 'recipe.yaml'),
          '--set',
          'cluster.k=4',
          '--set',
          'cluster.nInit=2',
          '--json',
          '--out',
          join(dir, 'scored'),
        ])
      ).out,
    );
    const tags = r.files['tags.csv'];
    const s = await cli(['score', '--model', r.files['model.json'], '--input', tags, '--json']);
    assert.equal(s.code, 0, s.out + s.err);
    const scores = JSON.parse(s.out).scores as { customer_id: string; segment_id: number }[];
    const lines = readFileSync(tags, 'utf8').trim().split('\n').slice(1);
    assert.equal(scores.length, lines.length);
    lines.forEach((line, i) => {
      const [id, seg] = line.split(',');
      assert.equal(scores[i].customer_id, id);
      assert.equal(scores[i].segment_id, Number(seg), `customer ${id}`);
    });
    const outFile = join(dir, 'scores.csv');
    const w = await cli(['score', '--model', r.files['model.json'], '--input', tags, '--out', outFile, '-q']);
    assert.equal(w.code, 0);
    assert.match(
      readFileSync(outFile, 'utf8'),
      /^customer_id,segment_id,segment_name,segment_action,distance,rule_1,rule_2,rule_3,rule_4\n/,
    );
    // Each segment's rule fires for most of that segment's customers.
    const model = JSON.parse(readFileSync(r.files['model.json'], 'utf8'));
    const full = JSON.parse(
      (await cli(['score', '--model', r.files['model.json'], '--input', tags, '--json'])).out,
    ).scores as { segment_id: number; segment_action: string; rules: Record<string, boolean> }[];
    for (const seg of model.segments) {
      const mine = full.filter((x) => x.segment_id === seg.id);
      assert.ok(mine.every((x) => x.segment_action === seg.action));
      assert.ok(
        mine.filter((x) => x.rules[String(seg.id)]).length >= 0.8 * mine.length,
        `rule of segment ${seg.id}`,
      );
    }
    writeFileSync(join(dir, 'partial.csv'), 'customer_id,recency_days\nx,3\n');
    const bad = await cli([
      'score',
      '--model',
      r.files['model.json'],
      '--input',
      join(dir, 'partial.csv'),
      '--json',
    ]);
    assert.equal(bad.code, 3);
    assert.equal(JSON.parse(bad.out).error.code, 'SCORE_INPUT');
    const badModel = await cli(['score', '--model', join(dir, 'recipe.yaml'), '--input', tags]);
    assert.equal(badModel.code, 3);
    assert.match(badModel.err, /MODEL_INVALID/);
  });

  test('init then run on an Online Retail-format CSV it has never seen', async () => {
    // Online Retail (I) headers and US-style dates, unlike the demo's Online Retail II format.
    const src = readFileSync(join(dir, 'data', 'transactions.csv'), 'utf8')
      .trim()
      .split('\n');
    const conv = src.slice(1).map((line) => {
      const m =
        /^([^,]*),([^,]*),("[^"]*"|[^,]*),([^,]*),(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):00,(.*)$/.exec(
          line,
        );
      if (!m) return line;
      return `${m[1]},${m[2]},${m[3]},${m[4]},${Number(m[6])}/${Number(m[7])}/${m[5]} ${Number(m[8])}:${m[9]},${m[10]}`;
    });
    const file = join(dir, 'online_retail.csv');
    writeFileSync(
      file,
      `InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n${conv.join('\n')}\n`,
    );
    const recipe = join(dir, 'retail.yaml');
    const i = await cli(['init', file, '--out', recipe, '--json']);
    assert.equal(i.code, 0, i.out + i.err);
    const sniff = JSON.parse(i.out).sources[0];
    assert.equal(sniff.kind, 'transactions');
    assert.deepEqual(sniff.roles, {
      customer: 'CustomerID',
      order: 'InvoiceNo',
      time: 'InvoiceDate',
      quantity: 'Quantity',
      price: 'UnitPrice',
      product: 'StockCode',
      country: 'Country',
    });
    const again = await cli(['init', file, '--out', recipe]);
    assert.equal(again.code, 2, 'init does not overwrite without --force');
    const r = await cli(['run', recipe, '--set', 'cluster.k.max=4', '--set', 'cluster.nInit=2', '--json']);
    assert.equal(r.code, 0, r.out);
    const doc = JSON.parse(r.out);
    assert.ok(doc.customers > 250);
    const run = JSON.parse(readFileSync(doc.files['run.json'], 'utf8'));
    assert.equal(run.data.referenceDate, '2011-12-10');
  });

  test('inspect gives an overview of a file', async () => {
    const r = await cli(['inspect', join(dir, 'data', 'transactions.csv'), '--json']);
    assert.equal(r.code, 0, r.err);
    const o = JSON.parse(r.out);
    assert.equal(o.kind, 'transactions');
    assert.ok(o.rows > 10000);
    const cust = o.columns.find((c: { name: string }) => c.name === 'Customer ID');
    assert.ok(cust.nulls > 0, 'missing customer ids are counted');
    const country = o.columns.find((c: { name: string }) => c.name === 'Country');
    assert.equal(country.top[0].value, 'United Kingdom');
    assert.equal(o.dateRange.column, 'InvoiceDate');
    const human = await cli(['inspect', join(dir, 'data', 'transactions.csv')]);
    assert.match(human.out, /rows, 8 columns; looks like transactions/);
    assert.match(human.out, /column\s+type\s+nulls\s+distinct/);
    // Exact distinct counts: never more than the rows that hold a value.
    for (const c of o.columns) assert.ok(c.distinct <= o.rows - c.nulls, `${c.name}: ${c.distinct} distinct`);
  });

  test('inspect: numbers stored as text are summarised as numbers, with medians; distinct counts are exact', async () => {
    const file = join(dir, 'prices.ndjson');
    const rows = ['99.99', '1286.01', '5', '5', '12.5'].map((p, i) =>
      JSON.stringify({ id: `c${i % 4}`, price: p }),
    );
    writeFileSync(file, `${rows.join('\n')}\n`);
    const r = await cli(['inspect', file, '--json']);
    assert.equal(r.code, 0, r.err);
    const o = JSON.parse(r.out);
    const price = o.columns.find((c: { name: string }) => c.name === 'price');
    assert.match(price.type, /numbers as text/);
    assert.equal(Number(price.max), 1286.01, 'the numeric maximum, not the text one ("99.99")');
    assert.equal(price.median, 12.5);
    assert.equal(o.columns.find((c: { name: string }) => c.name === 'id').distinct, 4);
  });

  test('the installed bin runs (dist built by npm ci)', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'bin.js'), '--version'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    const help = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'bin.js'), '--help'], {
      encoding: 'utf8',
    });
    for (const c of ['init', 'inspect', 'run', 'demo', 'score'])
      assert.match(help.stdout, new RegExp(`\\n  ${c} `));
  });
});

test('init guesses a year unit only for a column named for a year holding whole numbers from 1800 to 2200', async () => {
  const { guessedUnit } = await import('../../src/cli/recipe-text.js');
  const whole = (min: number, max: number) => ({
    distinct: 10,
    nonNull: 10,
    numericText: false,
    range: { min, max, whole: true },
  });
  assert.equal(guessedUnit('Year_Birth', whole(1893, 1996))?.unit, 'year');
  assert.equal(guessedUnit('YearBuilt', whole(1900, 2010))?.unit, 'year');
  assert.equal(guessedUnit('yr', whole(1990, 2024))?.unit, 'year');
  assert.match(guessedUnit('birth_year', whole(1950, 2001))!.why, /whole numbers from 1950 to 2001/);
  for (const [name, facts] of [
    ['spend_last_year', whole(1800, 2100)],
    ['years_as_customer', whole(1900, 2000)],
    ['Income', whole(1900, 2000)],
    ['Year_Birth', whole(0, 1996)],
    ['Year_Birth', { ...whole(1900, 2000), range: { min: 1900, max: 2000, whole: false } }],
    ['Year_Birth', undefined],
  ] as const)
    assert.equal(guessedUnit(name, facts), null, `${name}`);
});

test('init guesses a share unit only for a column named for a rate or share whose values lie from 0 to 1, not a 0/1 flag', async () => {
  const { guessedUnit } = await import('../../src/cli/recipe-text.js');
  const range = (min: number, max: number, whole = false) => ({
    distinct: 10,
    nonNull: 10,
    numericText: false,
    range: { min, max, whole },
  });
  assert.equal(guessedUnit('BounceRates', range(0, 0.2))?.unit, 'share');
  assert.equal(guessedUnit('return_ratio', range(0, 1))?.unit, 'share');
  assert.equal(guessedUnit('pct_new', range(0.05, 0.9))?.unit, 'share');
  assert.match(guessedUnit('ExitRates', range(0, 0.2))!.why, /from 0 to 0.2; shown as %/);
  for (const [name, facts] of [
    ['BounceRates', range(0, 1.5)],
    ['BounceRates', range(-0.1, 0.5)],
    ['conversion_rate', range(0, 1, true)],
    ['PageValues', range(0, 0.9)],
    ['Separate', range(0, 0.9)],
  ] as const)
    assert.equal(guessedUnit(name, facts), null, `${name}`);
});

test('a label made from a column name spells out the short forms column names use, and keeps what reads as words', async () => {
  const { labelOf } = await import('../../src/core/dictionary.js');
  const cases: [string, string][] = [
    ['MntWines', 'Amount of wines'],
    ['NumDealsPurchases', 'Number of deals purchases'],
    ['AcceptedCmp3', 'Accepted campaign 3'],
    ['avg_session_minutes', 'Average session minutes'],
    ['MntGoldProds', 'Amount of gold products'],
    ['Num', 'Number'],
    ['BounceRates', 'Bounce rates'],
    ['Kidhome', 'Kidhome'],
    ['CO2', 'CO2'],
    ['Annual Income (k$)', 'Annual Income (k$)'],
    ['number_of_orders', 'Number of orders'],
    ['Numbers', 'Numbers'],
    ['Constructor', 'Constructor'],
    ['toString', 'To string'],
  ];
  for (const [column, label] of cases) assert.equal(labelOf(column), label, column);
});

test("a command-line mistake is segmint's USAGE error with where to read the options, as JSON on stdout under --json", async () => {
  const text = await cli(['run', '--bogus']);
  assert.equal(text.code, 2);
  assert.match(
    text.err,
    /^error USAGE: unknown option '--bogus'\.\n {2}fix: See the arguments and options with: segmint run --help\n$/,
  );
  const json = await cli(['run', '--bogus', '--json']);
  assert.equal(json.code, 2);
  const doc = JSON.parse(json.out);
  assert.equal(doc.ok, false);
  assert.equal(doc.error.code, 'USAGE');
  assert.match(doc.error.hint, /segmint run --help/);
  const sub = await cli(['campaign', 'plan', 'x']);
  assert.match(
    sub.err,
    /error USAGE: required option '-s, --segments <ids>' not specified\.[\s\S]*segmint campaign plan --help/,
  );
  assert.match((await cli(['nosuch'])).err, /error USAGE: unknown command 'nosuch'\.[\s\S]*segmint --help/);
});

test('init says a file has no rows: alone it is a DATA_EMPTY error and no recipe, beside others it is left out with that reason', async () => {
  const d = tempDir();
  try {
    writeFileSync(join(d, 'empty.csv'), '');
    writeFileSync(join(d, 'header.csv'), 'customer,date,amount\n');
    writeFileSync(join(d, 'lines.csv'), 'customer,order,date,amount\n1,A,2020-01-01,5\n2,B,2020-01-02,6\n');
    const alone = await cli(['init', join(d, 'empty.csv'), '--out', join(d, 'r1.yaml')]);
    assert.equal(alone.code, 3);
    assert.match(alone.err, /error DATA_EMPTY: init found nothing to segment in the file: empty has no rows/);
    assert.throws(() => readFileSync(join(d, 'r1.yaml')));
    const both = await cli([
      'init',
      join(d, 'header.csv'),
      join(d, 'lines.csv'),
      '--out',
      join(d, 'r2.yaml'),
      '--json',
    ]);
    assert.equal(both.code, 0);
    const doc = JSON.parse(both.out);
    assert.deepEqual(
      doc.unused.map((u: { reason: string }) => u.reason),
      ['header has no rows (the file is empty or holds a header only)'],
    );
    assert.deepEqual(
      doc.sources.map((s: { name: string }) => s.name),
      ['lines'],
    );
  } finally {
    cleanup(d);
  }
});

test('init says "more than" the rows it read of a longer file, never the sample as the count', async () => {
  const { rowsRead, INIT_ROWS } = await import('../../src/data/schema.js');
  assert.equal(rowsRead(1234), '1,234 rows');
  assert.equal(rowsRead(INIT_ROWS), '200,000 rows');
  assert.match(rowsRead(INIT_ROWS + 1), /^more than 200,000 rows/);
});
