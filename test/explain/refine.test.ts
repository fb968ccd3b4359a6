import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { recipeFromObject } from '../../src/config/load.js';
import { createRng, randNormal } from '../../src/core/rng.js';
import { binaryMetrics } from '../../src/explain/evaluate.js';
import { runRecipe } from '../../src/pipeline/run.js';
import { Duck } from '../../src/sql/duckdb.js';
import { captureIo, cleanup, tempDir } from '../helpers.js';

/**
 * A customer table shaped like the loyal-customer project's (60 days of spend, purchases, average
 * order value, session length, wishlist adds and reviews), with a planted loyal group and a group
 * of big but disengaged spenders that lands in the same top cluster at the first stage.
 */
function loyalTable(n: number, seed: number): { csv: string; loyal: Set<string> } {
  const rng = createRng(seed);
  const g = (mean: number, sd: number) => Math.max(0, mean + sd * randNormal(rng));
  const rows = ['customer_id,total_spend,purchases,avg_order_value,avg_session_length,wishlist_adds,reviews'];
  const loyal = new Set<string>();
  for (let i = 0; i < n; i++) {
    const r = rng();
    // [spend, purchases, session minutes, wishlist adds, reviews] per group.
    let p: number[];
    if (r < 0.16) {
      p = [g(800, 100), g(11, 1.5), g(8.5, 1), g(11, 1.5), g(4, 1)];
      loyal.add(`c${i}`);
    } else if (r < 0.22) {
      // Big spenders who engage less: with the loyal at stage one, apart at stage two.
      p = [g(780, 100), g(10.5, 1.5), g(5, 0.8), g(5, 1.2), g(1.5, 0.7)];
    } else if (r < 0.65) p = [g(250, 60), g(4.5, 1), g(3.8, 0.8), g(3.5, 1), g(1, 0.6)];
    else p = [g(30, 15), g(0.6, 0.5), g(1.2, 0.4), g(0.5, 0.5), 0];
    const purchases = Math.round(p[1]);
    rows.push(
      `c${i},${p[0].toFixed(2)},${purchases},${(p[0] / Math.max(1, purchases)).toFixed(2)},${p[2].toFixed(2)},${Math.round(p[3])},${Math.round(p[4])}`,
    );
  }
  return { csv: `${rows.join('\n')}\n`, loyal };
}

describe('the two-stage loyal-customer flow', () => {
  let dir: string;
  let loyal: Set<string>;
  before(() => {
    dir = tempDir();
    const t = loyalTable(4000, 21);
    loyal = t.loyal;
    writeFileSync(join(dir, 'customers.csv'), t.csv);
  });
  after(() => cleanup(dir));

  const recipe = {
    sources: { customers: { kind: 'customers', path: 'customers.csv', roles: { customer: 'customer_id' } } },
    features: [{ feature: 'attributes' }],
    prep: { log: 'none' },
    cluster: { k: 3, nInit: 5 },
    refine: {
      segment: 'top',
      by: ['total_spend', 'avg_session_length', 'wishlist_adds'],
      k: 2,
      target: 'is_premium_candidate',
    },
    output: { dir: 'out' },
  };

  test('recovers the planted loyal group with a rule of at most 3 conditions', async () => {
    const s = await runRecipe(recipeFromObject(recipe, dir));
    const duck = await Duck.open();
    const rows = await duck
      .all(
        `SELECT customer_id, is_premium_candidate AS flag, subsegment_id FROM read_csv($p, types = {'subsegment_id': 'VARCHAR'}) ORDER BY customer_id`,
        { p: s.files['tags.csv'] },
      )
      .finally(() => duck.close());
    const ids = rows.map((r) => String(r.customer_id));
    const flagged = rows.map((r) => Number(r.flag));
    const m = binaryMetrics(
      ids.map((id) => (loyal.has(id) ? 1 : 0)),
      flagged,
    );
    assert.ok(m.precision >= 0.9 && m.recall >= 0.9, `precision ${m.precision}, recall ${m.recall}`);
    const run = JSON.parse(readFileSync(s.files['run.json'], 'utf8'));
    assert.equal(run.refine.targetId, `${run.refine.segmentId}.1`);
    assert.ok(run.refine.rule.conditions <= 3, run.refine.rule.text);
    assert.ok(
      run.refine.rule.fidelity.precision >= 0.9 && run.refine.rule.fidelity.recall >= 0.9,
      JSON.stringify(run.refine.rule.fidelity),
    );
    assert.match(
      readFileSync(s.files['rules.txt'], 'utf8'),
      /Refined: segment \d re-clustered into \d\.1 \(\d+\), \d\.2/,
    );
    // Sub-segment ids are hierarchical and only set inside the refined segment.
    const byId = new Map(rows.map((r) => [String(r.customer_id), (r.subsegment_id as string | null) ?? '']));
    assert.ok([...byId.values()].every((x) => x === '' || /^\d\.\d$/.test(x)));
    // Scoring the same customers reproduces the sub-segments.
    const c = captureIo();
    assert.equal(
      await main(['score', '--model', s.files['model.json'], '--input', s.files['tags.csv'], '--json'], c.io),
      0,
      c.stdout(),
    );
    const scores = JSON.parse(c.stdout()).scores as {
      customer_id: string;
      subsegment_id: string | null;
      rules: Record<string, boolean | null>;
    }[];
    for (const x of scores) assert.equal(x.subsegment_id ?? '', byId.get(x.customer_id));
    assert.ok(scores.every((x) => typeof x.rules.is_premium_candidate === 'boolean'));
  });

  test('the refine step runs from the CLI on the demo shop', async () => {
    const { generateDemoShop } = await import('../../src/demo/generate.js');
    const shop = generateDemoShop({ dir: join(dir, 'shop'), customers: 500, seed: 3 });
    const c = captureIo();
    const code = await main(
      [
        'run',
        shop.recipe,
        '--set',
        'cluster.k=4',
        '--set',
        'cluster.nInit=2',
        '--set',
        'refine.segment=top',
        '--set',
        'refine.k=2',
        '--json',
      ],
      c.io,
    );
    assert.equal(code, 0, c.stdout());
    const doc = JSON.parse(c.stdout());
    const run = JSON.parse(readFileSync(doc.files['run.json'], 'utf8'));
    assert.equal(run.refine.subsegments.length, 2);
    assert.ok(run.refine.rule.text.length > 0);
  });
});
