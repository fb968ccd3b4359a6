import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Duck } from '../../src/sql/duckdb.js';
import { cleanup, featuresOf, tempDir, writeFiles } from '../helpers.js';
import { FILES, TX_SOURCE } from './shop-fixture.js';

const FEATURES = ['frequency', 'monetary', 'recency_days'];

describe('input formats and reader options', () => {
  let dir: string;
  let expected: Record<string, Record<string, unknown>>;
  before(async () => {
    dir = tempDir();
    writeFiles(dir, FILES);
    const duck = await Duck.open();
    try {
      await duck.exec(
        `CREATE TABLE t AS SELECT * FROM read_csv($p, types = {'Customer ID': 'VARCHAR', 'Invoice': 'VARCHAR'})`,
        { p: join(dir, 'tx.csv') },
      );
      await duck.exec(`COPY t TO '${join(dir, 'tx.parquet')}' (FORMAT parquet)`);
      await duck.exec(`COPY t TO '${join(dir, 'tx.ndjson')}' (FORMAT json)`);
      await duck.exec(`COPY t TO '${join(dir, 'tx-a.csv')}' (HEADER) `);
    } finally {
      duck.close();
    }
    expected = (await featuresOf({ sources: { tx: TX_SOURCE }, features: FEATURES }, dir)).byId;
  });
  after(() => cleanup(dir));

  for (const file of ['tx.parquet', 'tx.ndjson', 'tx-*.csv']) {
    test(`${file} gives the same features as the CSV`, async () => {
      const { byId } = await featuresOf(
        { sources: { tx: { ...TX_SOURCE, path: file } }, features: FEATURES },
        dir,
      );
      assert.deepEqual(byId, expected);
    });
  }

  test('European CSV: semicolons, decimal commas and day-first dates, declared in the recipe', async () => {
    const eu = FILES['tx.csv']
      .split('\n')
      .map((line) =>
        line
          .replace(/,(\d+)\.(\d\d),/, ',$1#$2,')
          .replace(/(\d{4})-(\d\d)-(\d\d) (\d\d:\d\d):00/, '$3/$2/$1 $4')
          .replaceAll(',', ';')
          .replace('#', ','),
      )
      .join('\n');
    writeFiles(dir, { 'eu.csv': eu });
    const src = {
      ...TX_SOURCE,
      path: 'eu.csv',
      csv: { delimiter: ';', decimal: ',' },
      dateFormat: '%d/%m/%Y %H:%M',
    };
    const { byId } = await featuresOf({ sources: { tx: src }, features: FEATURES }, dir);
    assert.deepEqual(byId, expected);
  });

  test('a chain of joins: lines -> products -> departments', async () => {
    writeFiles(dir, {
      'products.csv': 'StockCode,dept_id\nP1,1\nP2,2\nP3,3\nPOST,9\n',
      'depts.csv': 'dept_id,dept_name\n1,Home\n2,Kitchen\n3,Toys\n9,Fees\n',
    });
    const roles = { ...TX_SOURCE.roles, category: 'dept_name' };
    const { byId } = await featuresOf(
      {
        sources: {
          tx: {
            ...TX_SOURCE,
            roles,
            join: [
              { source: 'products', on: { StockCode: 'StockCode' } },
              { source: 'depts', on: { dept_id: 'dept_id' } },
            ],
          },
          products: { kind: 'lookup', path: 'products.csv' },
          depts: { kind: 'lookup', path: 'depts.csv' },
        },
        features: [{ feature: 'category_share', top: 3 }],
      },
      dir,
    );
    assert.equal(byId.B.share_toys, 1);
    assert.ok(Math.abs((byId.A.share_kitchen as number) - 3 / 33) < 1e-12);
  });

  test('percentile capping counts the values it changes', async () => {
    const { data, byId } = await featuresOf(
      {
        sources: { tx: TX_SOURCE },
        cleaning: { cap: { upper: 0.75, columns: ['quantity'] } },
        features: ['monetary'],
      },
      dir,
    );
    // Purchase quantities [2, 1, 4, 10, 3]: the 75th percentile is 4, so B's 10 becomes 4.
    const entry = data.ledger.find((e) => e.rule.startsWith('cap quantity'));
    assert.equal(entry?.note, '1 value(s) capped');
    assert.equal(byId.B.monetary, 4 * 1.5);
  });
});
