import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadRecipe } from '../../src/config/load.js';
import type { SegmintError } from '../../src/core/errors.js';
import { generateDemoShop } from '../../src/demo/generate.js';
import { listRuns } from '../../src/pipeline/history.js';
import { runRecipe } from '../../src/pipeline/run.js';
import { Duck } from '../../src/sql/duckdb.js';
import { cleanup, tempDir } from '../helpers.js';

describe('one workspace, one run at a time', () => {
  let dir: string;
  let recipe: string;
  before(() => {
    dir = tempDir();
    recipe = generateDemoShop({ dir, customers: 300, seed: 3 }).recipe;
  });
  after(() => cleanup(dir));
  const run = (out: string) =>
    runRecipe(loadRecipe(recipe, ['cluster.k=3', 'cluster.nInit=1']), { outDir: out });

  test('the run list says what date the data is as of, also from a history written before it was recorded', async () => {
    const out = join(dir, 'dated');
    const s = await run(out);
    const record = JSON.parse(readFileSync(join(s.runDir, 'run.json'), 'utf8'));
    const [row] = await listRuns(out);
    assert.equal(row.referenceDate, record.data.referenceDate);
    assert.match(String(row.referenceDate), /^\d{4}-\d\d-\d\d$/);
    // An older history (no reference_date column), read as it is.
    const old = join(dir, 'old-history');
    mkdirSync(old);
    const duck = await Duck.open(join(old, 'history.duckdb'));
    await duck.exec(
      'CREATE TABLE runs (run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP, status VARCHAR, customers INTEGER, k INTEGER, recipe_hash VARCHAR, run_dir VARCHAR, error VARCHAR, summary VARCHAR)',
    );
    await duck.exec(
      "INSERT INTO runs VALUES ('r1', TIMESTAMP '2026-01-01 00:00:00', TIMESTAMP '2026-01-01 00:01:00', 'succeeded', 10, 3, 'h', NULL, NULL, NULL)",
    );
    duck.close();
    const rows = await listRuns(old);
    assert.deepEqual(
      rows.map((r) => [r.runId, r.referenceDate]),
      [['r1', null]],
    );
  });

  test('failed runs in the same second each keep their row in the history', async () => {
    const out = join(dir, 'failing');
    const now = () => new Date('2026-03-01T10:00:00Z');
    for (let i = 0; i < 3; i++)
      await assert.rejects(
        runRecipe(
          loadRecipe(recipe, [
            'cluster.k=3',
            'cluster.nInit=1',
            'explain.names.1.name=x',
            'window.referenceDate=1990-01-01',
          ]),
          {
            outDir: out,
            now,
          },
        ),
      );
    const failed = (await listRuns(out)).filter((r) => r.status === 'failed');
    assert.equal(failed.length, 3);
    const base = failed.map((r) => r.runId).sort()[0];
    assert.match(base, /^20260301T100000Z-[0-9a-f]{8}-failed$/);
    assert.deepEqual(failed.map((r) => r.runId).sort(), [base, `${base}-2`, `${base}-3`]);
    assert.ok(failed.every((r) => r.error && r.error.length > 0));
  });

  test('a run holding the lock: RUN_IN_PROGRESS names it, and nothing is written', async () => {
    const out = join(dir, 'held');
    mkdirSync(out);
    writeFileSync(
      join(out, '.segmint.lock'),
      JSON.stringify({ pid: process.pid, host: hostname(), startedAt: '2026-01-01T00:00:00Z' }),
    );
    await assert.rejects(
      run(out),
      (e: SegmintError) =>
        e.code === 'RUN_IN_PROGRESS' &&
        e.message.includes(`process ${process.pid}`) &&
        /own output folder/.test(e.hint),
    );
    assert.ok(!existsSync(join(out, 'runs')));
  });

  test('an output folder that cannot be used is refused before any work, with the reason', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    for (const [out, why] of [
      [file, /it is a file/],
      [join(file, 'below'), /a part of its path is a file/],
      ['/dev/null', /system folder/],
      ['/proc/self', /system folder/],
      [join(dir, 'a\0b'), /NUL/],
      [join(dir, 'x'.repeat(300)), /too long/],
    ] as const) {
      const t0 = performance.now();
      await assert.rejects(
        run(out),
        (e: SegmintError) =>
          e.code === 'OUTPUT_INVALID' && why.test(e.message) && e.where.path === 'output.dir',
        out,
      );
      assert.ok(performance.now() - t0 < 2000, `${out}: refused at once`);
    }
  });

  test('two runs at once on one folder: one runs, the other is told why', async () => {
    const out = join(dir, 'twice');
    const [a, b] = await Promise.allSettled([run(out), run(out)]);
    const ok = [a, b].filter((r) => r.status === 'fulfilled');
    const refused = [a, b].filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    assert.equal(ok.length, 1);
    assert.equal((refused[0].reason as SegmintError).code, 'RUN_IN_PROGRESS');
    assert.ok(!existsSync(join(out, '.segmint.lock')), 'released after the run');
  });

  test('a lock left by a dead process is taken over; debris of dead runs is removed; the history has the served run', async () => {
    const out = join(dir, 'stale');
    mkdirSync(join(out, 'runs'), { recursive: true });
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    writeFileSync(
      join(out, '.segmint.lock'),
      JSON.stringify({ pid: Number(gone.stdout), host: hostname(), startedAt: '2026-01-01T00:00:00Z' }),
    );
    mkdirSync(join(out, 'runs', '.tmp-20260101T000000Z-abc-999-dead'));
    writeFileSync(join(out, 'runs', '.tmp-20260101T000000Z-abc-999-dead', 'tags.csv'), 'half');
    symlinkSync('runs', join(out, 'latest.tmp-999-dead'));
    writeFileSync(join(out, '.tmp-history.duckdb-999-dead'), '');
    const s = await run(out);
    assert.deepEqual(readdirSync(join(out, 'runs')), [s.runId]);
    assert.deepEqual(
      readdirSync(out).filter((f) => f.includes('.tmp-')),
      [],
    );
    assert.ok(!existsSync(join(out, '.segmint.lock')));
    const history = await listRuns(out);
    assert.ok(history.some((r) => r.runId === s.runId && r.status === 'succeeded'));
  });
});
