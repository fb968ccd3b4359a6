import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import ExcelJS from 'exceljs';
import { parse } from 'yaml';
import { main } from '../../src/cli/main.js';
import { loadRecipe, recipeFromObject } from '../../src/config/load.js';
import { SegmintError } from '../../src/core/errors.js';
import { cellText, workbookSheets } from '../../src/data/spreadsheet.js';
import { runRecipe } from '../../src/pipeline/run.js';
import { captureIo, cleanup, tempDir } from '../helpers.js';

// An Excel workbook is a folder of tables: init reads every sheet, a recipe names the sheet it
// reads, and the run reads it like any file. The workbook is built here by hand: orders with date
// cells and a formula, customers, and a sheet with a title only.

let dir: string;
let book: string;
before(async () => {
  dir = tempDir();
  book = join(dir, 'shop.xlsx');
  const wb = new ExcelJS.Workbook();
  const orders = wb.addWorksheet('Orders');
  orders.addRow(['Customer ID', 'Invoice', 'Invoice Date', 'Unit Price', 'Quantity', 'Line total']);
  let inv = 1;
  for (let c = 1; c <= 60; c++)
    for (let k = 0; k < 1 + (c % 4); k++) {
      const price = Math.round((5 + (c % 9) * 3.25) * 100) / 100;
      const qty = 1 + ((c + k) % 3);
      const row = orders.addRow([
        1000 + c,
        `INV${inv++}`,
        new Date(Date.UTC(2023, (c + k) % 12, 1 + ((c * 7 + k) % 27))),
        price,
        qty,
      ]);
      row.getCell(6).value = { formula: `D${row.number}*E${row.number}`, result: price * qty };
    }
  const people = wb.addWorksheet('Customers');
  people.addRow(['Customer ID', 'Gender', 'Age']);
  for (let c = 1; c <= 60; c++) people.addRow([1000 + c, c % 2 ? 'F' : 'M', 20 + (c % 40)]);
  wb.addWorksheet('Notes').addRow(['Exported by the shop']);
  await wb.xlsx.writeFile(book);
});
after(() => cleanup(dir));

async function cli(args: string[]) {
  const c = captureIo();
  const code = await main(args, c.io);
  return { code, out: c.stdout(), err: c.stderr() };
}

test('cells are written as their values: dates as ISO text, formulas as results, rich text as text, errors empty', () => {
  assert.equal(cellText(new Date(Date.UTC(2023, 0, 5))), '2023-01-05');
  assert.equal(cellText(new Date(Date.UTC(2023, 0, 5, 14, 3, 9))), '2023-01-05 14:03:09');
  assert.equal(cellText({ formula: 'A1*2', result: 12.5 }), '12.5');
  assert.equal(cellText({ richText: [{ text: 'Big ' }, { text: 'Box' }] }), 'Big Box');
  assert.equal(cellText({ error: '#DIV/0!' }), '');
  assert.equal(cellText(0.1 + 0.2), '0.30000000000000004');
  assert.equal(cellText(true), 'true');
  assert.equal(cellText(null), '');
});

test('the sheets of a workbook are read in order, each a CSV with its header, the title-only sheet without rows', async () => {
  const sheets = await workbookSheets(book);
  assert.deepEqual(
    sheets.map((s) => [s.name, s.rows]),
    [
      ['Orders', 150],
      ['Customers', 60],
      ['Notes', 0],
    ],
  );
  const orders = readFileSync(sheets[0].csv, 'utf8').split('\n');
  assert.equal(orders[0], 'Customer ID,Invoice,Invoice Date,Unit Price,Quantity,Line total');
  assert.match(orders[1], /^1001,INV1,2023-\d\d-\d\d,\d+(\.\d+)?,\d,\d+(\.\d+)?$/);
  // Read again: from the cache, the same files.
  assert.deepEqual(await workbookSheets(book), sheets);
});

test('init takes a workbook as a folder of tables; the run reads the sheets it names', async () => {
  const recipe = join(dir, 'shop.yaml');
  const init = await cli(['init', book, '--out', recipe, '--json']);
  assert.equal(init.code, 0, init.err);
  const doc = JSON.parse(init.out);
  assert.deepEqual(
    doc.unused.map((u: { sheet: string; reason: string }) => [u.sheet, u.reason]),
    [['Notes', 'notes has no rows (the file is empty or holds a header only)']],
  );
  const written = parse(readFileSync(recipe, 'utf8'));
  assert.deepEqual(
    Object.values(written.sources as Record<string, { kind: string; sheet: string; path: string }>)
      .map((s) => [s.kind, s.sheet, s.path])
      .sort(),
    [
      ['customers', 'Customers', 'shop.xlsx'],
      ['transactions', 'Orders', 'shop.xlsx'],
    ],
  );
  const r = await runRecipe(loadRecipe(recipe, ['cluster.k=3', 'output.report=false']));
  assert.equal(r.customers, 60);
  const run = JSON.parse(readFileSync(join(r.runDir, 'run.json'), 'utf8'));
  assert.deepEqual(run.inputs.map((i: { source: string; sheet: string }) => [i.source, i.sheet]).sort(), [
    ['customers', 'Customers'],
    ['orders', 'Orders'],
  ]);
});

test('a sheet the workbook lacks is named with the sheets it has; a file that is not a workbook says so', async () => {
  const r = recipeFromObject(
    {
      sources: {
        tx: {
          kind: 'transactions',
          path: 'shop.xlsx',
          sheet: 'Sales',
          roles: { customer: 'Customer ID', order: 'Invoice', time: 'Invoice Date', price: 'Unit Price' },
        },
      },
      cluster: { k: 3 },
      output: { dir: 'out-missing' },
    },
    dir,
  );
  await assert.rejects(runRecipe(r), (e: unknown) => {
    assert.ok(e instanceof SegmintError);
    assert.equal(e.code, 'RECIPE_INVALID');
    assert.match(e.message, /sources\.tx\.sheet: .*shop\.xlsx has no sheet "Sales"/);
    assert.match(e.hint, /"Orders", "Customers", "Notes"/);
    return true;
  });
  writeFileSync(join(dir, 'broken.xlsx'), 'PK not really a zip');
  const broken = await cli(['inspect', join(dir, 'broken.xlsx'), '--json']);
  assert.equal(JSON.parse(broken.out).error.code, 'DATA_READ');
  assert.match(JSON.parse(broken.out).error.message, /not an Excel workbook \(\.xlsx\)/);
  writeFileSync(
    join(dir, 'old.xls'),
    Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0xff]),
  );
  const old = JSON.parse((await cli(['inspect', join(dir, 'old.xls'), '--json'])).out).error;
  assert.equal(old.code, 'DATA_READ');
  assert.match(old.message, /Excel 97-2003 workbook \(\.xls\)/);
  const sheet = JSON.parse((await cli(['inspect', book, '--sheet', 'Customers', '--json'])).out);
  assert.equal(sheet.sheet, 'Customers');
  assert.equal(sheet.rows, 60);
  assert.deepEqual(sheet.sheets, ['Orders', 'Customers', 'Notes']);
});
