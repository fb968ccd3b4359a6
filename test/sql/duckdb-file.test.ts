import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Duck, sharedFilesOpen } from '../../src/sql/duckdb.js';
import { cleanup, tempDir } from '../helpers.js';

/** Another process writes to the file (DuckDB locks a file against other processes while open). */
function writeFromAnotherProcess(file: string): { status: number | null; stderr: string } {
  const script = `
const { DuckDBInstance } = require('@duckdb/node-api');
(async () => {
  const db = await DuckDBInstance.create(${JSON.stringify(file)});
  const con = await db.connect();
  await con.run('INSERT INTO t VALUES (2)');
  con.closeSync();
  db.closeSync();
})().catch((e) => { console.error(e.message); process.exit(3); });`;
  const r = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    cwd: join(import.meta.dirname, '../..'),
  });
  return { status: r.status, stderr: r.stderr };
}

describe('a DuckDB database file shared inside the process', () => {
  const dir = tempDir();
  after(() => cleanup(dir));

  test('Ducks on one file share one instance; the last to close frees the file for other processes', async () => {
    const file = join(dir, 'shop.duckdb');
    const a = await Duck.open(file, undefined, { shared: true });
    await a.exec('CREATE TABLE t (x INTEGER)');
    const b = await Duck.open(file, undefined, { shared: true });
    await b.exec('INSERT INTO t VALUES (1)');
    // One instance: a sees b's write.
    assert.equal(Number((await a.one('SELECT count(*) AS n FROM t')).n), 1);
    assert.equal(sharedFilesOpen(), 1);
    a.close();
    a.close(); // closing twice counts once
    assert.equal(Number((await b.one('SELECT count(*) AS n FROM t')).n), 1, 'b still works');
    const locked = writeFromAnotherProcess(file);
    assert.notEqual(locked.status, 0, 'the file is held while a Duck uses it');
    b.close();
    assert.equal(sharedFilesOpen(), 0);
    const free = writeFromAnotherProcess(file);
    assert.equal(free.status, 0, free.stderr);
    // Opened again, it has the other process's row.
    const c = await Duck.open(file, undefined, { shared: true });
    try {
      assert.equal(Number((await c.one('SELECT count(*) AS n FROM t')).n), 2);
    } finally {
      c.close();
    }
  });

  test('a file that cannot be opened leaves nothing behind, and the next open tries again', async () => {
    const bad = join(dir, 'not-a-db.duckdb');
    (await import('node:fs')).writeFileSync(bad, 'this is not a database'.repeat(400));
    await assert.rejects(Duck.open(bad, undefined, { shared: true }), { code: 'DATA_READ' });
    assert.equal(sharedFilesOpen(), 0);
    await assert.rejects(Duck.open(bad, undefined, { shared: true }), { code: 'DATA_READ' });
  });
});
