import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadRecipe, recipeFromObject } from '../../src/config/load.js';
import { SegmintError } from '../../src/core/errors.js';
import { buildDirAtomic } from '../../src/pipeline/atomic.js';
import { runRecipe } from '../../src/pipeline/run.js';
import { TRANSACTIONS, TX_SOURCE } from '../features/shop-fixture.js';
import { cleanup, cli, listDir, tempDir, writeFiles } from '../helpers.js';

const ok = {
  sources: { tx: TX_SOURCE },
  features: ['recency_days', 'frequency', 'monetary'],
  cluster: { k: 2, nInit: 1 },
  output: { dir: 'out' },
};

describe('bad input gets a coded error and nothing is lost', () => {
  let dir: string;
  let goodRun: string;
  before(async () => {
    dir = tempDir();
    writeFiles(dir, { 'tx.csv': TRANSACTIONS });
    goodRun = (await runRecipe(recipeFromObject(ok, dir))).runId;
  });
  after(() => cleanup(dir));

  /** Runs a recipe expecting `code`; checks the message and that the previous outputs are untouched. */
  async function expectError(
    recipe: unknown,
    code: string,
    message: RegExp,
    where: Record<string, unknown> = {},
  ) {
    const err = await runRecipe(recipeFromObject(recipe, dir)).then(
      () => assert.fail(`expected ${code}`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SegmintError, `not a SegmintError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    assert.ok(err.hint.length > 10, 'a hint on how to fix it');
    for (const [k, v] of Object.entries(where))
      assert.equal((err.where as Record<string, unknown>)[k], v, `where.${k}`);
    assert.deepEqual(listDir(join(dir, 'out', 'runs')), [goodRun], 'no new or partial run folder');
    assert.equal(
      readlinkSync(join(dir, 'out', 'latest')),
      join('runs', goodRun),
      'latest still points at the good run',
    );
    return err;
  }

  test('missing data file', async () => {
    await expectError(
      { ...ok, sources: { tx: { ...TX_SOURCE, path: 'nope.csv' } } },
      'DATA_FILE_NOT_FOUND',
      /nope\.csv does not exist/,
      { path: 'sources.tx.path' },
    );
  });

  test('misnamed column, with a suggestion', async () => {
    const e = await expectError(
      { ...ok, sources: { tx: { ...TX_SOURCE, roles: { ...TX_SOURCE.roles, customer: 'CustomerID' } } } },
      'DATA_COLUMN_MISSING',
      /Column "CustomerID" \(sources\.tx\.roles\.customer\) is not in .*tx\.csv\. Did you mean "Customer ID"\?/,
      { column: 'CustomerID', path: 'sources.tx.roles.customer' },
    );
    assert.match(e.hint, /"Invoice", "StockCode"/);
  });

  test('missing required role', async () => {
    const roles: Record<string, string> = { ...TX_SOURCE.roles };
    delete roles.time;
    await expectError(
      { ...ok, sources: { tx: { ...TX_SOURCE, roles } } },
      'RECIPE_INVALID',
      /roles\.time is required/,
      { path: 'sources.tx.roles.time' },
    );
  });

  test('unparseable date names the line, column and value; badRows: drop counts them instead', async () => {
    writeFileSync(
      join(dir, 'baddate.csv'),
      TRANSACTIONS.replace('2024-01-05 12:00:00,1.50,B', 'yesterday,1.50,B'),
    );
    const src = { ...TX_SOURCE, path: 'baddate.csv', dateFormat: '%Y-%m-%d %H:%M:%S' };
    await expectError(
      { ...ok, sources: { tx: src } },
      'DATA_BAD_DATE',
      /baddate\.csv, line 6, column "InvoiceDate": "yesterday" is not a date/,
      { line: 6, column: 'InvoiceDate', value: 'yesterday' },
    );
    const s = await runRecipe(
      recipeFromObject(
        { ...ok, sources: { tx: src }, cleaning: { badRows: 'drop' }, output: { dir: 'out-drop' } },
        dir,
      ),
    );
    assert.equal(s.ledger.find((e) => e.rule === 'unreadable date or number')?.removed, 1);
  });

  test('unparseable number', async () => {
    writeFileSync(join(dir, 'badnum.csv'), TRANSACTIONS.replace('1007,P2,b,3,', '1007,P2,b,three,'));
    await expectError(
      { ...ok, sources: { tx: { ...TX_SOURCE, path: 'badnum.csv' } } },
      'DATA_BAD_NUMBER',
      /badnum\.csv, line 11, column "Quantity": "three" is not a number/,
      { line: 11 },
    );
  });

  test('infinity or NaN in a number column', async () => {
    writeFileSync(
      join(dir, 'inf.csv'),
      TRANSACTIONS.replace('1007,P2,b,3,2024-01-30 16:00:00,3.00', '1007,P2,b,3,2024-01-30 16:00:00,inf'),
    );
    await expectError(
      { ...ok, sources: { tx: { ...TX_SOURCE, path: 'inf.csv' } } },
      'DATA_NONFINITE',
      /line 11, column "Price": the value is Infinity/,
    );
    writeFileSync(
      join(dir, 'nan.csv'),
      TRANSACTIONS.replace('1007,P2,b,3,2024-01-30 16:00:00,3.00', '1007,P2,b,3,2024-01-30 16:00:00,NaN'),
    );
    await expectError(
      { ...ok, sources: { tx: { ...TX_SOURCE, path: 'nan.csv' } } },
      'DATA_NONFINITE',
      /column "Price": the value is NaN/,
    );
  });

  test('a feature too large for its scaling and weight is DATA_NONFINITE naming it, not a crash in k-means', async () => {
    const err = await expectError(
      {
        ...ok,
        features: ['frequency', { feature: 'custom', as: 'big', sql: 'max(price) * 1e306' }],
        prep: { log: 'none', scaler: 'none', weights: { big: 1000 } },
      },
      'DATA_NONFINITE',
      /"big" for customer \w+ is not finite/,
      { column: 'big', path: 'prep' },
    );
    assert.match(err.hint, /cleaning\.cap|prep\.log/);
    // A value no exact sum can hold is named with its line and column before any sum is taken.
    writeFileSync(
      join(dir, 'huge.csv'),
      TRANSACTIONS.replace('2024-01-05 12:00:00,1.50', '2024-01-05 12:00:00,1e200'),
    );
    await expectError(
      { ...ok, sources: { tx: { ...TX_SOURCE, path: 'huge.csv' } } },
      'DATA_NONFINITE',
      /huge\.csv, line 6, column "Price": the value is 1e\+200, larger than the 1e\+27 segmint's exact sums can hold/,
      { line: 6, column: 'Price' },
    );
  });

  test('in a file large enough for the parallel reader, the line named is still the first bad one in the file', async () => {
    // Order lines are read in any order (faster); the line an error names comes from the file read
    // again in order. 400,000 lines (~30 MB; the parallel reader puts its chunks of ~110,000 lines
    // in the table in any order, usually a later one first), huge prices at lines 50,001, 150,001
    // and 350,001 (the header is line 1): the first is named.
    const rows: string[] = ['Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country'];
    for (let i = 1; i <= 400_000; i++) {
      const price = i === 50_000 || i === 150_000 || i === 350_000 ? '1e200' : `${(i % 97) + 0.5}`;
      rows.push(
        `${100000 + Math.floor(i / 3)},P${i % 50},item number ${i % 50},${(i % 5) + 1},2024-01-${String((i % 28) + 1).padStart(2, '0')} 10:00:00,${price},C${i % 2000},United Kingdom`,
      );
    }
    writeFileSync(join(dir, 'big.csv'), `${rows.join('\n')}\n`);
    const { category: _c, ...roles } = TX_SOURCE.roles;
    await expectError(
      { ...ok, sources: { tx: { ...TX_SOURCE, path: 'big.csv', roles } } },
      'DATA_NONFINITE',
      /big\.csv, line 50001, column "Price"/,
      { line: 50001, column: 'Price' },
    );
  });

  test('nothing left after cleaning', async () => {
    await expectError(
      { ...ok, cleaning: { filters: [{ column: 'Country', in: ['Atlantis'] }] } },
      'DATA_EMPTY',
      /No purchase lines/,
    );
  });

  test('k larger than the number of customers', async () => {
    await expectError(
      { ...ok, cluster: { k: 5 } },
      'DATA_TOO_FEW_CUSTOMERS',
      /asks for 5 segments but only 3 customer/,
      { path: 'cluster.k' },
    );
  });

  test('a constant feature is a warning and is left out; all constant is an error', async () => {
    const s = await runRecipe(
      recipeFromObject(
        {
          ...ok,
          features: ['frequency', 'monetary', { feature: 'custom', as: 'one', sql: '1' }],
          output: { dir: 'out-const' },
        },
        dir,
      ),
    );
    assert.ok(s.warnings.some((w) => w.code === 'FEATURE_CONSTANT' && /"one"/.test(w.message)));
    await expectError(
      { ...ok, features: [{ feature: 'custom', as: 'one', sql: '1' }] },
      'DATA_NO_FEATURES',
      /one \(constant\)/,
    );
  });

  test('invalid recipe values name the path', async () => {
    assert.throws(
      () => recipeFromObject({ ...ok, cluster: { k: 0 }, prep: { scaler: 'zscore' } }, dir),
      (e: SegmintError) =>
        e.code === 'RECIPE_INVALID' && /cluster\.k:/.test(e.message) && /prep\.scaler:/.test(e.message),
    );
    assert.throws(
      () => recipeFromObject({ ...ok, clusterr: {} }, dir),
      (e: SegmintError) => /unknown key\(s\) "clusterr"/.test(e.message),
    );
    // A value outside a list of options names the options and the nearest one; inside a union
    // (k is a number or a range) the error names the field that is wrong, not "Invalid input".
    assert.throws(
      () => recipeFromObject({ ...ok, cluster: { k: { min: 3, max: 8, select: 'silhoutte' } } }, dir),
      (e: SegmintError) =>
        e.message.includes(
          'cluster.k.select: "silhoutte" is not one of elbow, silhouette, calinski, davies, stability; did you mean "silhouette"?',
        ) && e.where.path === 'cluster.k.select',
    );
    assert.throws(
      () => recipeFromObject(ok, dir, ['prep.scaler=standrad']),
      (e: SegmintError) =>
        /prep\.scaler: "standrad" is not one of standard, minmax, robust, none; did you mean "standard"\?/.test(
          e.message,
        ),
    );
    // Numbers have bounds and dates must exist: nothing runs for ever or reaches the database.
    for (const [set, path] of [
      ['cluster.nInit=100000000', 'cluster.nInit'],
      ['cluster.stabilityRuns=1000000', 'cluster.stabilityRuns'],
      ['window.days=1e12', 'window.days'],
      ['window.referenceDate=2011-02-30', 'window.referenceDate'],
      ['window.referenceDate=9999-12-31', 'window.referenceDate'],
      ['output.formats=[]', 'output.formats'],
    ])
      assert.throws(
        () => recipeFromObject(ok, dir, [set]),
        (e: SegmintError) => e.code === 'RECIPE_INVALID' && e.where.path === path,
        set,
      );
    assert.doesNotThrow(() => recipeFromObject(ok, dir, ['window.referenceDate=2024-02-29']));
    // A filter on a column no source has would keep everyone: an error with the nearest column.
    await assert.rejects(
      runRecipe(
        recipeFromObject({ ...ok, cleaning: { filters: [{ column: 'Countryy', notIn: ['Nowhere'] }] } }, dir),
        { outDir: join(dir, 'filter-out') },
      ),
      (e: SegmintError) =>
        e.code === 'DATA_COLUMN_MISSING' &&
        e.where.path === 'cleaning.filters[0].column' &&
        /Did you mean "Country"\?/.test(e.message),
    );
    // A YAML alias bomb is a parse error, not a hang or an out-of-memory.
    const bomb = join(dir, 'bomb.yaml');
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++)
      lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    writeFileSync(bomb, `${lines.join('\n')}\nsources: { t: { path: x.csv } }\n`);
    assert.throws(
      () => loadRecipe(bomb),
      (e: SegmintError) => e.code === 'RECIPE_PARSE' && /alias/i.test(e.message),
    );
    assert.throws(
      () => recipeFromObject(ok, dir, ['cluster.method=xyz']),
      (e: SegmintError) =>
        /cluster\.method: "xyz" is not one of kmeans, /.test(e.message) && !/did you mean/.test(e.message),
    );
    assert.throws(
      () => recipeFromObject(ok, dir, ['cluster.k=abc']),
      (e: SegmintError) => e.code === 'RECIPE_INVALID' && /cluster\.k/.test(e.message),
    );
    assert.throws(
      () => recipeFromObject(ok, dir, ['cluster.k']),
      (e: SegmintError) => e.code === 'SET_INVALID',
    );
  });

  test('recipe file errors: missing file, bad YAML', () => {
    assert.throws(
      () => loadRecipe(join(dir, 'missing.yaml')),
      (e: SegmintError) => e.code === 'RECIPE_NOT_FOUND',
    );
    writeFileSync(join(dir, 'broken.yaml'), 'sources:\n  tx: [unclosed\n');
    assert.throws(
      () => loadRecipe(join(dir, 'broken.yaml')),
      (e: SegmintError) => e.code === 'RECIPE_PARSE' && typeof e.where.line === 'number',
    );
  });

  test('a crash while writing outputs leaves no partial folder', async () => {
    const target = join(dir, 'atomic', 'run-x');
    await assert.rejects(
      buildDirAtomic(target, async (tmp) => {
        writeFileSync(join(tmp, 'half.csv'), 'a,b\n1,');
        throw new Error('disk full');
      }),
      /disk full/,
    );
    assert.equal(existsSync(target), false);
    assert.deepEqual(listDir(join(dir, 'atomic')), []);
    // No temporary path in what the user reads: the error names the folder being built.
    const named = await buildDirAtomic(target, async (tmp) => {
      throw new SegmintError('DATA_READ', `Cannot read ${join(tmp, 'run.json')}`, {
        where: { file: join(tmp, 'run.json') },
      });
    }).catch((e: SegmintError) => e);
    assert.ok(named instanceof SegmintError);
    assert.equal(named.code, 'DATA_READ');
    assert.equal(named.message, `Cannot read ${join(target, 'run.json')}`);
    assert.equal(named.where.file, join(target, 'run.json'));
    assert.doesNotMatch(named.message, /\.tmp-/);
  });
});

describe('one reading of a file, whichever command reads it', () => {
  test('a file that is not UTF-8 is DATA_READ with the encoding hint in inspect, init and run alike', async (t) => {
    const dir = tempDir();
    t.after(() => cleanup(dir));
    const file = join(dir, 'latin.csv');
    writeFileSync(
      file,
      Buffer.from('customer,order_date,amount\nJos\xe9,2024-01-01,3\nAnn,2024-01-02,4\n', 'latin1'),
    );
    const source = {
      kind: 'transactions',
      path: 'latin.csv',
      roles: { customer: 'customer', time: 'order_date', amount: 'amount' },
    };
    writeFileSync(
      join(dir, 'r.yaml'),
      JSON.stringify({ version: 1, sources: { t: source }, features: ['monetary'] }),
    );
    for (const args of [
      ['inspect', file],
      ['init', file, '-o', join(dir, 'init.yaml')],
      ['run', join(dir, 'r.yaml')],
    ]) {
      const r = await cli([...args, '--json']);
      const e = JSON.parse(r.out).error;
      assert.equal(e.code, 'DATA_READ', `${args[0]}: ${r.out}`);
      assert.match(e.hint, /encoding: latin-1/, args[0]);
    }
    // With the encoding declared the run reads the file (and goes on to its next question).
    writeFileSync(
      join(dir, 'r.yaml'),
      JSON.stringify({
        version: 1,
        sources: { t: { ...source, csv: { encoding: 'latin-1' } } },
        features: ['monetary'],
      }),
    );
    const ok = JSON.parse((await cli(['run', join(dir, 'r.yaml'), '--json'])).out);
    assert.notEqual(ok.error?.code, 'DATA_READ');
  });

  test('a broken Parquet file is DATA_READ saying it is not Parquet', async (t) => {
    const dir = tempDir();
    t.after(() => cleanup(dir));
    const file = join(dir, 'orders.parquet');
    writeFileSync(file, 'customer,amount\nA,1\n');
    const e = JSON.parse((await cli(['inspect', file, '--json'])).out).error;
    assert.equal(e.code, 'DATA_READ');
    assert.match(e.message, /orders\.parquet: it is not valid Parquet\.$/);
    assert.match(e.hint, /format: csv or json/);
    // DuckDB's own words are a detail, not the message.
    assert.doesNotMatch(e.message, /DuckDB|Error:/);
    assert.match(e.details.database, /^DuckDB: /);
  });
});

describe('bad places, told plainly', () => {
  test('init --out an existing folder is USAGE; a garbage .duckdb engine file is DATA_READ, not INTERNAL', async (t) => {
    const dir = tempDir();
    t.after(() => cleanup(dir));
    writeFileSync(join(dir, 'ok.csv'), 'customer,amount\nA,1\n');
    const init = JSON.parse((await cli(['init', join(dir, 'ok.csv'), '-o', dir, '-f', '--json'])).out).error;
    assert.equal(init.code, 'USAGE');
    assert.match(init.message, /is a folder/);
    writeFileSync(join(dir, 'g.duckdb'), '{}');
    writeFileSync(
      join(dir, 'e.yaml'),
      JSON.stringify({
        version: 1,
        engine: { type: 'duckdb', database: 'g.duckdb' },
        sources: {
          t: { kind: 'transactions', table: 'orders', roles: { customer: 'c', time: 't', amount: 'a' } },
        },
        features: ['monetary'],
      }),
    );
    const run = JSON.parse((await cli(['run', join(dir, 'e.yaml'), '--json'])).out).error;
    assert.equal(run.code, 'DATA_READ');
    assert.match(run.hint, /not a DuckDB database/);
  });
});

describe('bounded reads: no input is read without end', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
  });
  after(() => cleanup(dir));

  test('a named pipe or a folder as data is DATA_READ saying what it is, at once', {
    timeout: 60_000,
  }, async () => {
    const fifo = join(dir, 'orders.csv');
    const made = spawnSync('mkfifo', [fifo]);
    assert.equal(made.status, 0, 'mkfifo');
    for (const args of [
      ['inspect', fifo],
      ['init', fifo, '--out', join(dir, 'r.yaml')],
    ]) {
      const r = await cli([...args, '--json']);
      assert.equal(r.code, 3, r.err);
      const e = JSON.parse(r.out).error;
      assert.equal(e.code, 'DATA_READ');
      assert.match(e.message, /is not a regular file \(it is a named pipe\)/);
    }
    const r = await cli(['inspect', dir, '--json']);
    assert.match(JSON.parse(r.out).error.message, /it is a folder/);
    assert.match(JSON.parse(r.out).error.hint, /glob/);
  });

  test('score --model of a device or a huge file is MODEL_INVALID, before reading it', {
    timeout: 60_000,
  }, async () => {
    const rows = join(dir, 'rows.csv');
    writeFileSync(rows, 'customer_id,frequency\n1,2\n');
    const big = join(dir, 'big.json');
    writeFileSync(big, '');
    truncateSync(big, 65 * 1024 * 1024); // sparse: no disk, but 65 MB to a reader
    for (const [model, says] of [
      ['/dev/zero', /not a regular file/],
      [big, /68,157,440 bytes: a model.json is far smaller/],
    ] as const) {
      const before = process.memoryUsage().rss;
      const r = await cli(['score', '--model', model, '--input', rows, '--out', join(dir, 'out'), '--json']);
      assert.equal(JSON.parse(r.out).error.code, 'MODEL_INVALID');
      assert.match(JSON.parse(r.out).error.message, says);
      assert.ok(process.memoryUsage().rss - before < 50 * 1024 * 1024, 'nothing large was read');
    }
  });
});
