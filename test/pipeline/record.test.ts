import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { recipeFromObject } from '../../src/config/load.js';
import type { SegmintError } from '../../src/core/errors.js';
import { readRunRecord } from '../../src/model/record.js';
import { runRecipe } from '../../src/pipeline/run.js';
import { buildReport } from '../../src/report/build.js';
import { TRANSACTIONS, TX_SOURCE } from '../features/shop-fixture.js';
import { cleanup, tempDir, writeFiles } from '../helpers.js';

let dir: string;
let runDir: string;
before(async () => {
  dir = tempDir();
  writeFiles(dir, { 'tx.csv': TRANSACTIONS });
  const s = await runRecipe(
    recipeFromObject(
      {
        sources: { tx: TX_SOURCE },
        features: ['recency_days', 'frequency', 'monetary'],
        cluster: { k: 2, nInit: 1 },
        output: { dir: 'out' },
      },
      dir,
    ),
  );
  runDir = s.runDir;
});
after(() => cleanup(dir));

test('run.json parses as a RunRecord; a damaged one is MODEL_INVALID naming the field, for the report too', async () => {
  const file = join(runDir, 'run.json');
  const run = readRunRecord(file);
  assert.equal(run.kind, 'segmint.run');
  assert.equal(run.cluster.k, 2);
  assert.equal(run.segments.length, 2);
  const raw = JSON.parse(readFileSync(file, 'utf8'));
  delete raw.cluster.k;
  writeFileSync(file, JSON.stringify(raw));
  const bad = (e: SegmintError) =>
    e.code === 'MODEL_INVALID' && e.where.path === 'cluster.k' && /cluster\.k/.test(e.message);
  assert.throws(() => readRunRecord(file), bad);
  await assert.rejects(buildReport(runDir), bad);
  raw.cluster.k = 2;
  raw.segments = [{ id: 1 }];
  writeFileSync(file, JSON.stringify(raw));
  assert.throws(
    () => readRunRecord(file),
    (e: SegmintError) => e.code === 'MODEL_INVALID' && e.where.path === 'segments',
  );
  writeFileSync(file, '{');
  assert.throws(
    () => readRunRecord(file),
    (e: SegmintError) => e.code === 'DATA_READ',
  );
});
