// The embedded DuckDB spills to a folder of its own when a statement needs more than its memory
// limit, and removes it at close; a limit it cannot read is a usage error that says how to write one.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { after, test } from 'node:test';
import { SegmintError } from '../../src/core/errors.js';
import { Duck, defaultMemoryLimit } from '../../src/sql/duckdb.js';

const mine = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`segmint-duckdb-${process.pid}-`));
after(() => {
  delete process.env.SEGMINT_MEMORY_LIMIT;
});

test('a sort larger than the memory limit spills under the temporary directory, removed at close', async () => {
  process.env.SEGMINT_MEMORY_LIMIT = '120MB';
  const duck = await Duck.open();
  try {
    const [s] = await duck.all(`SELECT value FROM duckdb_settings() WHERE name = 'temp_directory'`);
    assert.ok(String(s.value).startsWith(tmpdir()), String(s.value));
    // 6M rows of text sorted: several hundred MB, above the limit.
    const [r] = await duck.all(
      `SELECT count(*) AS n, min(x) AS lo FROM (SELECT md5(CAST(i AS VARCHAR)) || repeat('x', 40) AS x FROM range(6000000) t(i) ORDER BY x)`,
    );
    assert.equal(Number(r.n), 6_000_000);
    assert.ok(existsSync(String(s.value)), 'it spilled');
  } finally {
    duck.close();
  }
  assert.deepEqual(mine(), [], 'the spill folder is gone');
});

test('an unreadable memory limit is USAGE with the way to write one', async () => {
  process.env.SEGMINT_MEMORY_LIMIT = 'lots';
  await assert.rejects(Duck.open(), (e: unknown) => {
    assert.ok(e instanceof SegmintError);
    assert.equal(e.code, 'USAGE');
    assert.match(e.message, /SEGMINT_MEMORY_LIMIT="lots"/);
    assert.match(e.hint ?? '', /8GB/);
    return true;
  });
  delete process.env.SEGMINT_MEMORY_LIMIT;
  assert.deepEqual(mine(), []);
});

test('unset, an in-memory database gets a sixth of the machine memory (at least 1 GB), not DuckDB 80%', async () => {
  delete process.env.SEGMINT_MEMORY_LIMIT;
  assert.equal(defaultMemoryLimit(24 * 2 ** 30), '4096MiB');
  assert.equal(defaultMemoryLimit(4 * 2 ** 30), '1024MiB');
  const duck = await Duck.open();
  try {
    const [s] = await duck.all(`SELECT value FROM duckdb_settings() WHERE name = 'memory_limit'`);
    // DuckDB reports the limit in its own units (e.g. "4.0 GiB" for 4096MiB).
    const m = /^([\d.]+) (KiB|MiB|GiB)$/.exec(String(s.value));
    assert.ok(m, String(s.value));
    const bytes = Number(m[1]) * 2 ** { KiB: 10, MiB: 20, GiB: 30 }[m[2] as 'KiB'];
    const want = Math.max(1024, Math.floor(totalmem() / 6 / 2 ** 20)) * 2 ** 20;
    assert.ok(Math.abs(bytes - want) / want < 0.05, `${s.value} for ${want} bytes`);
  } finally {
    duck.close();
  }
});
