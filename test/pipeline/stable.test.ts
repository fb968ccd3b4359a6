import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadRecipe } from '../../src/config/load.js';
import { generateDemoShop } from '../../src/demo/generate.js';
import { runRecipe } from '../../src/pipeline/run.js';
import { Duck, qs } from '../../src/sql/duckdb.js';
import { cleanup, tempDir } from '../helpers.js';

describe('stable segment ids across runs', () => {
  let dir: string;
  let recipe: string;
  before(() => {
    dir = tempDir();
    recipe = generateDemoShop({ dir, customers: 1500, seed: 17 }).recipe;
  });
  after(() => cleanup(dir));

  test('a perturbed re-run keeps matched ids and names, and the migration accounts for everyone', async () => {
    const sets = ['cluster.k=5', 'cluster.nInit=4'];
    const first = await runRecipe(loadRecipe(recipe, sets));
    // Perturb the shop: a tenth of the customers leave, some new ones arrive with copies of others' orders.
    const tx = join(dir, 'data', 'transactions.csv');
    const duck = await Duck.open();
    try {
      await duck.exec(
        `CREATE TABLE t AS SELECT * FROM read_csv(${qs(tx)}, types = {'Customer ID': 'VARCHAR', 'Invoice': 'VARCHAR'})`,
      );
      await duck.exec(`COPY (
        SELECT * FROM t WHERE "Customer ID" IS NULL OR hash("Customer ID") % 10 <> 0
        UNION ALL
        SELECT * REPLACE ('9' || "Customer ID" AS "Customer ID", 'N' || "Invoice" AS "Invoice") FROM t WHERE hash("Customer ID") % 20 = 1
      ) TO ${qs(tx)} (HEADER)`);
    } finally {
      duck.close();
    }
    const second = await runRecipe(loadRecipe(recipe, sets));
    const run = JSON.parse(readFileSync(second.files['run.json'], 'utf8'));
    const m = run.migration;
    assert.equal(m.previousRunId, first.runId);
    assert.ok(m.newCustomers > 0 && m.departed > 0, JSON.stringify({ n: m.newCustomers, d: m.departed }));
    assert.equal(
      m.stayed + m.moved + m.newCustomers,
      second.customers,
      'every current customer is counted once',
    );
    const total = m.matrix.reduce((a: number, c: { count: number }) => a + c.count, 0);
    assert.equal(total, second.customers + m.departed, 'the matrix covers the customers of both runs');
    assert.ok(m.stayed > 0.9 * (m.stayed + m.moved), `${m.stayed} stayed, ${m.moved} moved`);
    // Each segment of the first run continues under the same id and name.
    for (const seg of first.segments) {
      const now = second.segments.find((s) => s.id === seg.id)!;
      assert.equal(now.name, seg.name, `segment ${seg.id}`);
      const from = m.matrix.filter((c: { from: string }) => c.from === `${seg.id} ${seg.name}`);
      const main = from.sort((a: { count: number }, b: { count: number }) => b.count - a.count)[0];
      assert.equal(
        main.to,
        `${seg.id} ${seg.name}`,
        'most of its customers are still in the segment with its id',
      );
    }
    // The report shows the movement.
    assert.match(readFileSync(second.files['report.html'], 'utf8'), /<section id="migration">/);
  });
});

describe('lineages: ids and names are inherited only from the same recipe and features', () => {
  test('another recipe in the folder starts fresh; a changed feature set starts a new lineage, said', async (t) => {
    const dir = tempDir();
    t.after(() => cleanup(dir));
    const recipe = generateDemoShop({ dir, customers: 800, seed: 5 }).recipe;
    const sets = ['cluster.k=4', 'cluster.nInit=2', `output.dir=${join(dir, 'shared-out')}`];
    const first = await runRecipe(loadRecipe(recipe, sets));
    // A different recipe (another name) writing to the same folder: no migration, no inherited names.
    const other = await runRecipe(loadRecipe(recipe, [...sets, 'name=another-analysis']));
    const otherRun = JSON.parse(readFileSync(other.files['run.json'], 'utf8'));
    assert.equal(otherRun.migration, null, 'a different recipe does not continue the first');
    // The first recipe again: it continues its own last run, not the other recipe's.
    const again = await runRecipe(loadRecipe(recipe, sets));
    const againRun = JSON.parse(readFileSync(again.files['run.json'], 'utf8'));
    assert.equal(againRun.migration?.previousRunId, first.runId);
    // An inherited name whose claims no longer hold is not kept: the top segment is "Lost" in the
    // previous run's model (edited here), and its numbers say otherwise.
    const modelFile = join(again.runDir, 'model.json');
    const model = JSON.parse(readFileSync(modelFile, 'utf8'));
    model.segments[0].name = 'Lost';
    writeFileSync(modelFile, JSON.stringify(model));
    const renamed = await runRecipe(loadRecipe(recipe, sets));
    assert.notEqual(renamed.segments.find((x) => x.id === 1)?.name, 'Lost');
    assert.ok(
      renamed.warnings.some((w) => w.code === 'SEGMENT_RENAMED' && /was "Lost"/.test(w.message)),
      JSON.stringify(renamed.warnings.map((w) => w.code)),
    );
    // The same recipe with another feature set: a new lineage, with a warning.
    const changed = await runRecipe(
      loadRecipe(recipe, [...sets, 'features=[recency_days, frequency, monetary]']),
    );
    const changedRun = JSON.parse(readFileSync(changed.files['run.json'], 'utf8'));
    assert.equal(changedRun.migration, null);
    assert.ok(changed.warnings.some((w) => w.code === 'LINEAGE_NEW'));
    // Every inherited name is still backed by its claims.
    for (const seg of again.segments)
      assert.ok((seg.claims ?? []).length > 0 || /Typical/.test(seg.name), seg.name);
  });
});

describe('matching segments to the previous run', () => {
  test('ids follow the customers, not the order of value; new and renumbered segments are handled', async () => {
    const { stableIds } = await import('../../src/pipeline/stable.js');
    const { fromRows } = await import('../../src/core/matrix.js');
    // Six customers in three tight groups; this run's canonical order is [C, A, B] but the previous
    // run called A segment 1, B segment 2 and C segment 3.
    const X = fromRows([[0], [0.1], [5], [5.1], [10], [10.1]]);
    const ids = ['a1', 'a2', 'b1', 'b2', 'c1', 'c2'];
    const prev = {
      runId: 'r0',
      runDir: '',
      model: { segments: [1, 2, 3].map((id) => ({ id, name: `S${id}` })) } as never,
      segmentOf: new Map([
        ['a1', 1],
        ['a2', 1],
        ['b1', 2],
        ['b2', 2],
        ['c1', 3],
        ['c2', 3],
      ]),
      distributions: null,
      k: 3,
      kRule: 'fixed 3',
      referenceDate: null,
    };
    const centers = [10.05, 0.05, 5.05]; // canonical labels 0 = C, 1 = A, 2 = B
    const st = stableIds(X, ids, centers, 3, prev);
    assert.deepEqual(Array.from(st.position), [2, 0, 1]);
    assert.deepEqual(st.continues, [1, 2, 3]);
    // k grows to 4: the extra segment takes the next free id and continues nothing.
    const st4 = stableIds(X, ids, [10.05, 0.05, 5.05, 20], 4, prev);
    assert.deepEqual(Array.from(st4.position), [2, 0, 1, 3]);
    assert.equal(st4.continues[3], null);
    // k shrinks to 2: the segment matched to id 3 is renumbered, with a warning.
    const st2 = stableIds(X, ids, [10.05, 0.05], 2, prev);
    assert.deepEqual(Array.from(st2.position), [1, 0]);
    assert.ok(st2.warnings.some((w) => w.code === 'SEGMENT_RENUMBERED'));
  });
});
