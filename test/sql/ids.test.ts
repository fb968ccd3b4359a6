// The kit's typed id (idOf, what cleaning uses) gives the same text as the general id rule on every
// value, in every engine: integer, float and text columns, with "13085.0" ids, zeros, negative
// zero, large and fractional numbers, padded text and empty strings; and text columns in a form
// found by a scan, read without the regular expression.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { idFormFrom, sqlKit } from '../../src/sql/dialect.js';
import { Duck, duckdbEngine } from '../../src/sql/duckdb.js';
import { openEngine } from '../../src/sql/open.js';
import type { Engine } from '../../src/sql/query.js';
import { startClickHouse } from '../ch-fixture.js';
import { startPostgres } from '../pg-fixture.js';

const DOUBLES = [
  '12346.0',
  '-0.0',
  '0',
  '1.5',
  '-7.0',
  '1e15',
  '999999999999999',
  '1e20',
  '123456789012345',
  '0.1',
  'NULL',
];
const INTS = ['12346', '0', '-5', '9007199254740993', 'NULL'];
const TEXTS = [
  "' 12.0 '",
  "'12.00'",
  "'12'",
  "'abc'",
  "''",
  "'1.05'",
  "'-3.0'",
  "'10.0x'",
  "' 007 '",
  "'1.0e5'",
  'NULL',
];

async function check(engine: Engine, types: { i: string; d: string; t: string }, suffix = '') {
  const kit = sqlKit(engine.dialect);
  await engine.exec('DROP TABLE IF EXISTS segmint_ids');
  await engine.exec(
    `CREATE TABLE segmint_ids (n INTEGER, i ${types.i}, d ${types.d}, t ${types.t})${suffix}`,
  );
  const rows = Math.max(DOUBLES.length, INTS.length, TEXTS.length);
  for (let r = 0; r < rows; r++)
    await engine.exec(
      `INSERT INTO segmint_ids (n, i, d, t) VALUES (${r}, ${INTS[r] ?? 'NULL'}, ${DOUBLES[r] ?? 'NULL'}, ${TEXTS[r] ?? 'NULL'})`,
    );
  const described = await engine.describe('segmint_ids');
  const typeOf = (c: string) => described.find((x) => x.name === c)!.type;
  const cols = ['i', 'd', 't'];
  const got = await engine.all(
    `SELECT n, ${cols.map((c) => `${kit.fx.id(kit.q(c))} AS ${c}_id, ${kit.fx.idOf(kit.q(c), typeOf(c))} AS ${c}_of`).join(', ')} FROM segmint_ids ORDER BY n`,
  );
  assert.equal(got.length, rows);
  for (const r of got)
    for (const c of cols)
      assert.equal(r[`${c}_of`], r[`${c}_id`], `${engine.dialect} row ${r.n} column ${c}`);
  // The sample holds what the typed paths are for.
  assert.equal(got.find((r) => Number(r.n) === 0)!.d_of, '12346');
  assert.equal(got.find((r) => Number(r.n) === 0)!.t_of, '12');
  await engine.exec('DROP TABLE IF EXISTS segmint_ids');
  await checkForms(engine, types.t, suffix);
}

/**
 * Text id columns in a form found by a scan (cleaning's detectIds) read with no regular
 * expression per row: the counts classify each column, and the reading of its form gives the id
 * rule's text on every value.
 */
const FORMS: Record<string, { values: string[]; form: string | undefined }> = {
  plain: { values: ["'12'", "'abc'", "'007'", "'4.5'", "'1e5'", 'NULL'], form: 'plain' },
  float: { values: ["'12.0'", "'-3.00'", "'007.0'", "'12'", "'abc'", "'4.5'", 'NULL'], form: 'float' },
  spaced: { values: ["' 12'", "'12.0'", 'NULL'], form: undefined },
  empty: { values: ["''", "'12'"], form: undefined },
  other: { values: ["'1.05'", "'12.0'", "'10.0x'"], form: undefined },
};

async function checkForms(engine: Engine, text: string, suffix: string) {
  const kit = sqlKit(engine.dialect);
  for (const [name, { values, form }] of Object.entries(FORMS)) {
    await engine.exec('DROP TABLE IF EXISTS segmint_id_forms');
    await engine.exec(`CREATE TABLE segmint_id_forms (n INTEGER, t ${text})${suffix}`);
    for (const [r, v] of values.entries())
      await engine.exec(`INSERT INTO segmint_id_forms (n, t) VALUES (${r}, ${v})`);
    const counts = kit.fx.idFormCounts(kit.q('t'));
    const [c] = await engine.all(
      `SELECT ${Object.entries(counts)
        .map(([k, e]) => `${e} AS ${k}`)
        .join(', ')} FROM segmint_id_forms`,
    );
    const found = idFormFrom({ spaced: Number(c.spaced), dotted: Number(c.dotted), other: Number(c.other) });
    assert.equal(found, form, `${engine.dialect} column ${name}: form`);
    if (!found) continue;
    const got = await engine.all(
      `SELECT n, ${kit.fx.id(kit.q('t'))} AS id, ${kit.fx.idOf(kit.q('t'), text, found)} AS of FROM segmint_id_forms ORDER BY n`,
    );
    assert.equal(got.length, values.length);
    for (const r of got) assert.equal(r.of, r.id, `${engine.dialect} column ${name} row ${r.n}`);
  }
  await engine.exec('DROP TABLE IF EXISTS segmint_id_forms');
}

describe('typed ids equal the id rule in every engine', () => {
  test('DuckDB', async () => {
    const duck = await Duck.open();
    try {
      await check(duckdbEngine(duck), { i: 'BIGINT', d: 'DOUBLE', t: 'VARCHAR' });
    } finally {
      duck.close();
    }
  });
  test('PostgreSQL', async (t) => {
    const srv = await startPostgres(t);
    if (!srv) return;
    const engine = await openEngine({ type: 'postgres', url: srv.url });
    try {
      await check(engine, { i: 'bigint', d: 'double precision', t: 'text' });
    } finally {
      await engine.close();
      srv.stop();
    }
  });
  test('ClickHouse', async (t) => {
    const ch = await startClickHouse(t, 30123 + (process.pid % 500) * 4);
    if (!ch) return;
    const engine = await openEngine({ type: 'clickhouse', url: ch.urls[0] });
    try {
      await check(
        engine,
        { i: 'Nullable(Int64)', d: 'Nullable(Float64)', t: 'Nullable(String)' },
        ' ENGINE = MergeTree ORDER BY n',
      );
    } finally {
      await engine.close();
      ch.stop();
    }
  });
});
