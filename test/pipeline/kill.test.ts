import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadRecipe } from '../../src/config/load.js';
import { SegmintError } from '../../src/core/errors.js';
import { generateDemoShop } from '../../src/demo/generate.js';
import { listRuns } from '../../src/pipeline/history.js';
import { runRecipe } from '../../src/pipeline/run.js';
import { cleanup, ROOT, tempDir } from '../helpers.js';

const SET_LIST = ['cluster.k=3', 'cluster.nInit=1', 'output.report=false'];
const SETS = SET_LIST.flatMap((s) => ['--set', s]);

/**
 * `segmint run` in its own process, killed with SIGKILL: at a failpoint (the process kills itself
 * there), or when the stage line `at` is printed. Resolves with the signal that ended it.
 */
function killedRun(recipe: string, out: string, how: { failpoint?: string; at?: string }) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), 'run', recipe, '--out', out, ...SETS],
    {
      env: { ...process.env, ...(how.failpoint ? { SEGMINT_FAILPOINT: how.failpoint } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let err = '';
  child.stderr.on('data', (b: Buffer) => {
    err += b.toString();
    if (how.at && new RegExp(`^\\s*${how.at}\\s`, 'm').test(err)) child.kill('SIGKILL');
  });
  child.stdout.resume();
  return new Promise<{ signal: NodeJS.Signals | null; err: string }>((done) =>
    child.on('exit', (_code, signal) => done({ signal, err })),
  );
}

/** What must hold in a workspace whatever killed its last run. */
async function agrees(out: string, label: string) {
  const history = await listRuns(out);
  const succeeded = history.filter((r) => r.status === 'succeeded').map((r) => r.runId);
  const served = readlinkSync(join(out, 'latest')).split('/').pop() as string;
  assert.ok(succeeded.includes(served), `${label}: the served run ${served} is in the history`);
  assert.ok(existsSync(join(out, 'latest', 'model.json')), `${label}: latest is a whole run`);
  return { history, succeeded, served };
}

describe('kill -9 at any point of a run: outputs, history and latest agree, and no debris stays', () => {
  // One workspace through all the kills (tests run in order): each next run is the following
  // kill's previous run.
  let dir: string;
  let recipe: string;
  let out: string;
  let previous: string;
  before(async () => {
    dir = tempDir();
    recipe = generateDemoShop({ dir, customers: 300, seed: 4 }).recipe;
    out = join(dir, 'out');
    previous = (await runRecipe(loadRecipe(recipe, SET_LIST), { outDir: out })).runId;
  });
  after(() => cleanup(dir));

  for (const how of [
    { at: 'data' },
    { at: 'cluster' },
    { failpoint: 'outputs' },
    { failpoint: 'before-history' },
    { failpoint: 'before-latest' },
  ]) {
    const label = how.at ? `after the ${how.at} stage` : `at ${how.failpoint}`;
    test(`killed ${label}`, async () => {
      const killed = await killedRun(recipe, out, how);
      assert.equal(killed.signal, 'SIGKILL', `${label}: the run was killed (${killed.err.slice(-300)})`);
      // Right after the kill: whatever is served is whole and in the history.
      const mid = await agrees(out, `${label}, after the kill`);
      if (how.failpoint === 'before-latest') {
        assert.equal(mid.served, previous, 'latest had not moved');
        assert.notEqual(mid.succeeded[0], previous, 'the history had learnt of the run first');
      } else assert.equal(mid.served, previous);
      assert.ok(existsSync(join(out, '.segmint.lock')), `${label}: the dead run's lock is left`);
      // The next run takes the dead lock over, removes the debris and mends the history.
      const next = await runRecipe(loadRecipe(recipe, SET_LIST), { outDir: out });
      const end = await agrees(out, `${label}, after the next run`);
      assert.equal(end.served, next.runId);
      previous = next.runId;
      assert.deepEqual(
        [...readdirSync(out), ...readdirSync(join(out, 'runs'))].filter((f) => f.includes('.tmp-')),
        [],
        `${label}: no temporary folder or file is left`,
      );
      assert.ok(!existsSync(join(out, '.segmint.lock')), `${label}: the lock is released`);
      const folders = readdirSync(join(out, 'runs')).sort();
      assert.deepEqual(folders, [...end.succeeded].sort(), `${label}: every run folder is in the history`);
      for (const f of folders) {
        const run = JSON.parse(readFileSync(resolve(out, 'runs', f, 'run.json'), 'utf8'));
        assert.equal(run.runId, f);
      }
      const recovered = next.warnings.filter((w) => w.code === 'HISTORY_RECOVERED');
      assert.equal(recovered.length, how.failpoint === 'before-history' ? 1 : 0, label);
    });
  }
});

test('a damaged history is kept aside and rebuilt from the run folders by the next run; other readers are told how', async () => {
  const dir = tempDir();
  try {
    const recipe = generateDemoShop({ dir, customers: 300, seed: 4 }).recipe;
    const out = join(dir, 'out');
    const first = (await runRecipe(loadRecipe(recipe, SET_LIST), { outDir: out })).runId;
    writeFileSync(join(out, 'history.duckdb'), 'not a database at all');
    // A reader of the history gets segmint's error with the way out, not DuckDB's text alone.
    await assert.rejects(listRuns(out), (e: unknown) => {
      assert.ok(e instanceof SegmintError);
      assert.equal(e.code, 'DATA_READ');
      assert.match(e.message, /run history .*history\.duckdb is damaged/);
      assert.match(e.hint, /segmint run <recipe> once/);
      return true;
    });
    const second = await runRecipe(loadRecipe(recipe, SET_LIST), { outDir: out });
    const rebuilt = second.warnings.find((w) => w.code === 'HISTORY_REBUILT');
    assert.ok(rebuilt, 'the run says the history was rebuilt');
    const aside = readdirSync(out).filter((f) => f.startsWith('history.duckdb.damaged-'));
    assert.equal(aside.length, 1, 'the damaged file is kept');
    assert.equal(readFileSync(join(out, aside[0]), 'utf8'), 'not a database at all');
    const ids = (await listRuns(out)).map((r) => r.runId).sort();
    assert.deepEqual(ids, [first, second.runId].sort(), 'both runs are in the new history');
  } finally {
    cleanup(dir);
  }
});
