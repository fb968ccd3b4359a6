import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { recipeFromObject } from '../../src/config/load.js';
import { SegmintError } from '../../src/core/errors.js';
import { runRecipe } from '../../src/pipeline/run.js';
import { cleanup, tempDir, writeFiles } from '../helpers.js';

// Messages that name the real cause and the fix for it: when cleaning leaves nothing, the file that
// held no rows or the rule that removed the last of them (not a general "loosen the rules"); a
// placeholder date; a number column given as the time; a recipe without sources.

let dir: string;
before(() => {
  dir = tempDir();
  writeFiles(dir, {
    'header.csv': 'customer,order,date,price\n',
    'lines.csv': 'customer,order,date,price\n1,A1,2020-01-05,10\n2,A2,2020-02-05,20\n3,A3,2020-03-05,5\n',
    'noids.csv': 'customer,order,date,price\n,A1,2020-01-05,10\n,A2,2020-02-05,20\n',
    'placeholder.csv':
      'customer,order,date,price\n1,A1,2020-01-05,10\n2,A2,9999-12-31,20\n3,A3,2020-03-05,5\n',
    'ymd.csv': 'customer,order,date,price\n1,A1,20200105,10.5\n2,A2,20200205,20.25\n3,A3,20200207,20.1\n',
    'people.csv': 'id,constructor,age\n1,3,30\n2,4,40\n3,5,50\n',
    'de.csv':
      'Kunde;Bestellung;Datum;Preis;Menge\n1001;A1;2024-01-05;3,13;2\n1002;A2;2024-01-06;12,50;1\n1001;A3;2024-02-07;1.234,56;1\n1003;A4;2024-02-08;0,99;3\n1004;A5;2024-03-01;7,00;1\n1005;A6;2024-03-02;5,5;2\n',
    'padded.csv':
      'customer,order,date,price\n" 7",A1,2024-01-01,5\n7,A2,2024-01-02,6\n8,A3,2024-01-03,7\n9,A4,2024-01-04,8\n',
    'free.csv': 'customer,order,date,price\n1,A1,2020-01-05,0\n2,A2,2020-02-05,0\n',
  });
});
after(() => cleanup(dir));

const recipe = (file: string, extra: Record<string, unknown> = {}) =>
  recipeFromObject(
    {
      sources: {
        tx: {
          kind: 'transactions',
          path: file,
          roles: { customer: 'customer', order: 'order', time: 'date', price: 'price' },
        },
      },
      cluster: { k: 2 },
      output: { dir: 'out' },
      ...extra,
    },
    dir,
  );

async function emptied(file: string, extra: Record<string, unknown> = {}): Promise<SegmintError> {
  try {
    await runRecipe(recipe(file, extra));
  } catch (e) {
    assert.ok(e instanceof SegmintError, String(e));
    assert.equal(e.code, 'DATA_EMPTY');
    return e;
  }
  assert.fail('the run should stop with DATA_EMPTY');
}

test('a file with a header and no rows is said to hold no rows', async () => {
  const e = await emptied('header.csv');
  assert.match(e.message, /the file has no data rows/);
  assert.match(e.hint, /sources\.tx\.path/);
  assert.doesNotMatch(e.hint, /Loosen/);
});

test('a reference date before the data names the date the data begins on and window.referenceDate', async () => {
  const e = await emptied('lines.csv', { window: { referenceDate: '2019-06-01' } });
  assert.match(
    e.message,
    /before the reference date 2019-06-01: the rule "on or after the reference date" removed the last 3 row\(s\) \(the data begins on 2020-01-05\)/,
  );
  assert.match(e.hint, /window\.referenceDate/);
});

test('ids empty on every row name roles.customer and its column', async () => {
  const e = await emptied('noids.csv');
  assert.match(e.message, /"missing customer id" removed the last 2 row\(s\)/);
  assert.match(e.hint, /roles\.customer names \("customer"\)/);
});

test('prices all 0 or below name the price column and nonPositivePrice', async () => {
  const e = await emptied('free.csv');
  assert.match(e.message, /"non-positive price" removed the last 2 row\(s\)/);
  assert.match(e.hint, /a price \("price"\)[\s\S]*cleaning\.nonPositivePrice: keep/);
});

test('every line a cancellation names cleaning.cancelPrefix', async () => {
  const e = await emptied('lines.csv', { cleaning: { cancelPrefix: 'A' } });
  assert.match(e.message, /"cancellations and returns" removed the last 3 row\(s\)/);
  assert.match(e.hint, /cleaning\.cancelPrefix/);
});

test('a filter that keeps no row names cleaning.filters', async () => {
  const e = await emptied('lines.csv', { cleaning: { filters: [{ column: 'order', in: ['Z9'] }] } });
  assert.match(e.message, /the rule "filter order in \[Z9\]" removed the last 3 row\(s\)/);
  assert.match(e.hint, /cleaning\.filters/);
});

test('a recipe without sources says how to write them, not "expected record, received undefined"', async () => {
  const { validateRecipe } = await import('../../src/config/load.js');
  assert.throws(
    () => validateRecipe({ version: 1, name: 'x' }),
    (e: unknown) =>
      e instanceof SegmintError &&
      e.code === 'RECIPE_INVALID' &&
      /sources: no sources: name at least one data file/.test(e.message) &&
      !/received undefined/.test(e.message),
  );
});

test('a placeholder date (9999-12-31) as the latest is named, with window.referenceDate as the fix that works', async () => {
  await assert.rejects(runRecipe(recipe('placeholder.csv')), (e: unknown) => {
    assert.ok(e instanceof SegmintError);
    assert.equal(e.code, 'DATA_BAD_DATE');
    assert.match(e.message, /latest date in the data is 9999-12-31, a placeholder/);
    assert.doesNotMatch(e.message, /\+010000/);
    assert.match(e.hint, /window\.referenceDate/);
    return true;
  });
  // The fix it names works: the placeholder line is left out and counted.
  const r = await runRecipe(recipe('placeholder.csv', { window: { referenceDate: '2021-01-01' } }));
  assert.equal(r.customers, 2);
  assert.ok(r.ledger.some((e) => e.rule === 'on or after the reference date' && e.removed === 1));
});

test('a number column given as the time is named as numbers that are not dates; yyyymmdd numbers are read, with or without dateFormat', async () => {
  const numbers = recipeFromObject(
    {
      sources: {
        tx: {
          kind: 'transactions',
          path: 'ymd.csv',
          roles: { customer: 'customer', order: 'order', time: 'price', price: 'price' },
        },
      },
      cluster: { k: 2 },
      output: { dir: 'out' },
    },
    dir,
  );
  await assert.rejects(runRecipe(numbers), (e: unknown) => {
    assert.ok(e instanceof SegmintError);
    assert.equal(e.code, 'DATA_BAD_DATE');
    assert.match(e.message, /the time column "price" holds numbers \(DOUBLE\) that are not dates/);
    assert.doesNotMatch(e.message, /Binder Error/);
    assert.match(e.hint, /roles\.time[\s\S]*timeUnit/);
    return true;
  });
  for (const dateFormat of [undefined, '%Y%m%d']) {
    const r = await runRecipe(
      recipeFromObject(
        {
          sources: {
            tx: {
              kind: 'transactions',
              path: 'ymd.csv',
              ...(dateFormat ? { dateFormat } : {}),
              roles: { customer: 'customer', order: 'order', time: 'date', price: 'price' },
            },
          },
          cluster: { k: 2 },
          output: { dir: `out-${dateFormat ? 'f' : 'n'}` },
        },
        dir,
      ),
    );
    assert.equal(r.customers, 3, String(dateFormat));
  }
});

test('a feature named like a property every JavaScript object has is a RECIPE_INVALID with the fix, not DATA_NONFINITE or INTERNAL', async () => {
  for (const as of ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty']) {
    const r = recipe('lines.csv', {
      features: ['recency_days', 'frequency', { feature: 'custom', as, sql: 'count(*)' }],
    });
    await assert.rejects(runRecipe(r), (e: unknown) => {
      assert.ok(e instanceof SegmintError, String(e));
      assert.equal(e.code, 'RECIPE_INVALID', as);
      assert.match(e.message, new RegExp(`features\\[2\\]: "${as}" cannot name a feature`));
      assert.match(e.hint, /another name with as:/);
      return true;
    });
  }
  // A customers column of that name: the hint says how to leave it out.
  const people = recipeFromObject(
    {
      sources: { people: { kind: 'customers', path: 'people.csv', roles: { customer: 'id' } } },
      features: [{ feature: 'attributes' }],
      cluster: { k: 2 },
      output: { dir: 'out-people' },
    },
    dir,
  );
  await assert.rejects(runRecipe(people), (e: unknown) => {
    assert.ok(e instanceof SegmintError);
    assert.equal(e.code, 'RECIPE_INVALID');
    assert.match(e.hint, /exclude: \["constructor"\]/);
    return true;
  });
  const excluded = recipeFromObject(
    {
      sources: { people: { kind: 'customers', path: 'people.csv', roles: { customer: 'id' } } },
      features: [{ feature: 'attributes', exclude: ['constructor'] }],
      cluster: { k: 2 },
      output: { dir: 'out-people2' },
    },
    dir,
  );
  assert.equal((await runRecipe(excluded)).customers, 3);
});

test('a semicolon file with decimal commas and German headers: init finds the roles and csv.decimal, the run reads 1.234,56 as 1234.56; without csv.decimal the error says to set it', async () => {
  const { main } = await import('../../src/cli/main.js');
  const { captureIo } = await import('../helpers.js');
  const { loadRecipe } = await import('../../src/config/load.js');
  const { join } = await import('node:path');
  const recipePath = join(dir, 'de.yaml');
  const c = captureIo();
  assert.equal(await main(['init', join(dir, 'de.csv'), '--out', recipePath, '--json'], c.io), 0, c.stderr());
  const found = JSON.parse(c.stdout());
  assert.deepEqual(found.sources[0].roles, {
    customer: 'Kunde',
    order: 'Bestellung',
    time: 'Datum',
    quantity: 'Menge',
    price: 'Preis',
  });
  assert.deepEqual(found.sources[0].csv, { delimiter: ';', decimal: ',' });
  const r = await runRecipe(loadRecipe(recipePath, ['cluster.k=2', 'output.report=false']));
  const { readFileSync } = await import('node:fs');
  const tags = readFileSync(r.files['tags.csv'], 'utf8').split('\n');
  const head = tags[0].split(',');
  const row = tags
    .find((l) => l.startsWith('1001,'))!
    .match(/("[^"]*"|[^,]*)(,|$)/g)!
    .map((x) => x.replace(/,$/, ''));
  assert.equal(Number(row[head.indexOf('monetary')]), 1240.82);
  // Without csv.decimal: the value is named, and the fix is the file's number format.
  const bare = recipeFromObject(
    {
      sources: {
        de: {
          kind: 'transactions',
          path: 'de.csv',
          csv: { delimiter: ';' },
          roles: { customer: 'Kunde', order: 'Bestellung', time: 'Datum', quantity: 'Menge', price: 'Preis' },
        },
      },
      cluster: { k: 2 },
      output: { dir: 'out-de' },
    },
    dir,
  );
  await assert.rejects(runRecipe(bare), (e: unknown) => {
    assert.ok(e instanceof SegmintError);
    assert.equal(e.code, 'DATA_BAD_NUMBER');
    assert.match(e.hint, /decimal comma: set sources\.de\.csv: \{ decimal: "," \}/);
    assert.doesNotMatch(e.hint, /badRows: drop/);
    return true;
  });
  const i = captureIo();
  assert.equal(await main(['inspect', join(dir, 'de.csv'), '--json'], i.io), 0);
  const preis = JSON.parse(i.stdout()).columns.find((x: { name: string }) => x.name === 'Preis');
  assert.equal(preis.type, 'DOUBLE');
  assert.equal(preis.max, '1234.56');
});

test('ids with spaces around them are read without them, and the run says how many there were', async () => {
  const r = await runRecipe(recipe('padded.csv', { output: { dir: 'out-padded', report: false } }));
  assert.equal(r.customers, 3, '" 7" and "7" are one customer');
  const w = r.warnings.find((x) => x.code === 'IDS_TRIMMED');
  assert.ok(w, JSON.stringify(r.warnings.map((x) => x.code)));
  assert.match(w.message, /^1 distinct value\(s\) of "customer" in source "tx" have spaces around them/);
});
