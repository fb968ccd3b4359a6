import assert from 'node:assert/strict';
import { test } from 'node:test';
import { databaseError } from '../../src/core/db-errors.js';
import { SegmintError } from '../../src/core/errors.js';
import { Duck } from '../../src/sql/duckdb.js';

test("a database's refusal is the data error that describes its cause (real DuckDB messages)", async () => {
  const duck = await Duck.open();
  try {
    const cases: [string, string][] = [
      ["SELECT CAST('abc' AS DOUBLE)", 'DATA_BAD_NUMBER'],
      ["SELECT CAST('2011-02-30' AS DATE)", 'DATA_BAD_DATE'],
      ['SELECT CAST(1e308 AS DECIMAL(38, 10))', 'DATA_NONFINITE'],
      ['SELECT * FROM no_such_table', 'DATA_TABLE_NOT_FOUND'],
      ['SELECT no_such_column FROM range(3)', 'DATA_COLUMN_MISSING'],
      ['SELECT "Unit Price" FROM range(3)', 'DATA_COLUMN_MISSING'],
      ['SELEC 1', 'DB_ERROR'],
    ];
    for (const [sql, code] of cases) {
      const e: unknown = await duck.all(sql).then(
        () => assert.fail(sql),
        (x: unknown) => x,
      );
      assert.ok(e instanceof SegmintError);
      assert.equal(e.code, code, `${sql}: ${e.message}`);
      assert.equal((e.details as { sql: string }).sql, sql);
      // A plain sentence; the database's words kept as a detail, for whoever needs them.
      if (code !== 'DB_ERROR') assert.doesNotMatch(e.message, /DuckDB|Error:/, e.message);
      assert.match((e.details as { database: string }).database, /^DuckDB: /);
    }
    // What the database named, in segmint's sentence.
    const said = async (sql: string) => ((await duck.all(sql).catch((x: unknown) => x)) as Error).message;
    assert.equal(
      await said("SELECT CAST('abc' AS DOUBLE)"),
      'A value cannot be read as the type its column needs: the value "abc".',
    );
    assert.equal(
      await said("SELECT CAST('2011-02-30' AS DATE)"),
      'A value cannot be read as a date: the value "2011-02-30".',
    );
    assert.equal(
      await said('SELECT "Unit Price" FROM range(3)'),
      'A column the recipe names is not there: column "Unit Price".',
    );
    assert.equal(
      await said('SELECT * FROM no_such_table'),
      'A table the recipe names is not there: table "no_such_table".',
    );
  } finally {
    duck.close();
  }
});

test('the same causes in PostgreSQL and ClickHouse words', () => {
  const cases: [Parameters<typeof databaseError>[0], string, string][] = [
    ['PostgreSQL', 'invalid input syntax for type double precision: "abc"', 'DATA_BAD_NUMBER'],
    ['PostgreSQL', 'invalid input syntax for type timestamp: "yesterday"', 'DATA_BAD_DATE'],
    ['PostgreSQL', 'relation "shop.orders" does not exist', 'DATA_TABLE_NOT_FOUND'],
    ['PostgreSQL', 'column "spend" does not exist', 'DATA_COLUMN_MISSING'],
    ['PostgreSQL', 'numeric field overflow', 'DATA_NONFINITE'],
    ['PostgreSQL', 'permission denied for table orders', 'DB_ERROR'],
    [
      'ClickHouse',
      "Code: 60. DB::Exception: Table shop.orders doesn't exist. (UNKNOWN_TABLE)",
      'DATA_TABLE_NOT_FOUND',
    ],
    [
      'ClickHouse',
      "Code: 47. DB::Exception: Missing columns: 'spend' while processing query",
      'DATA_COLUMN_MISSING',
    ],
    ['ClickHouse', "Code: 6. DB::Exception: Cannot parse string 'abc' as Float64", 'DATA_BAD_NUMBER'],
    [
      'ClickHouse',
      'Code: 241. DB::Exception: Memory limit (total) exceeded (MEMORY_LIMIT_EXCEEDED)',
      'DB_ERROR',
    ],
  ];
  for (const [db, message, code] of cases) {
    const e = databaseError(db, new Error(message), { sql: 'SELECT 1' });
    assert.equal(e.code, code, message);
    assert.ok(e.hint.length > 20);
  }
  assert.match(
    databaseError('ClickHouse', new Error('Memory limit (total) exceeded (MEMORY_LIMIT_EXCEEDED)')).hint,
    /memory/i,
  );
});

test("the CLI prints the database's own words as a detail line after segmint's sentence", async () => {
  const { reportError } = await import('../../src/cli/output.js');
  const { captureIo } = await import('../helpers.js');
  const c = captureIo();
  reportError(
    databaseError('DuckDB', new Error('Binder Error: Referenced column "spend" not found in FROM clause!')),
    false,
    c.io,
  );
  assert.match(
    c.stderr(),
    /^error DATA_COLUMN_MISSING: A column the recipe names is not there: column "spend"\.\n {2}detail: DuckDB: Binder Error: Referenced column "spend" not found in FROM clause!\n {2}fix: /,
  );
});
