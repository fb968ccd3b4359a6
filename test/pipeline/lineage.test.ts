// Segments that hold still when customers do (issue "Segments that hold still"): generated shops
// whose customers behave the same every month (closed, steadily acquiring, with and without an
// analysis window), re-run a week and a month later with nothing changed: the k is kept, few
// returning customers change segment, and no drift alert fires (time passing ages recency and
// tenure, which is not drift). A real change (one kind's spend x2.5) alerts on its segment.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadRecipe } from '../../src/config/load.js';
import { addDays } from '../../src/core/dates.js';
import { createRng } from '../../src/core/rng.js';
import type { RunRecord } from '../../src/model/record.js';
import { runRecipe } from '../../src/pipeline/run.js';
import { poisson } from '../campaign/shop.js';
import { cleanup, tempDir } from '../helpers.js';

const FIRST = '2024-01-01';
const DAYS = 730;
const REF = addDays(FIRST, 640);
/** Kinds of customer: orders a year and the price of an order. */
const KINDS = [
  { prefix: 'A', n: 500, perYear: 14, price: 90 },
  { prefix: 'B', n: 700, perYear: 5, price: 45 },
  { prefix: 'C', n: 800, perYear: 1.5, price: 25 },
  { prefix: 'D', n: 300, perYear: 3, price: 220 },
];

/**
 * Two years of orders of a shop whose customers behave the same all along: each customer orders
 * as a Poisson process from their first day (day 0 for a closed shop, spread over the two years
 * for one that keeps acquiring); from day `changeFrom`, kind `changed` pays `factor` times as much.
 */
function writeShop(
  dir: string,
  o: { acquiring: boolean; window: number | null; changed?: string; factor?: number; changeFrom?: number },
) {
  const rng = createRng(11);
  const out = ['order_id,customer_id,order_date,amount'];
  let order = 0;
  for (const k of KINDS)
    for (let i = 0; i < k.n; i++) {
      const id = `${k.prefix}${i}`;
      const start = o.acquiring ? Math.floor(rng() * DAYS) : 0;
      const n = poisson(rng, (k.perYear * (DAYS - start)) / 365);
      for (let j = 0; j < n; j++) {
        const day = start + Math.floor(rng() * (DAYS - start));
        const f = o.changed === k.prefix && day >= (o.changeFrom ?? DAYS) ? (o.factor ?? 1) : 1;
        out.push(`${order++},${id},${addDays(FIRST, day)},${(k.price * (0.6 + 0.8 * rng()) * f).toFixed(2)}`);
      }
    }
  writeFileSync(join(dir, 'orders.csv'), `${out.join('\n')}\n`);
  const recipe = join(dir, 'segmint.yaml');
  writeFileSync(
    recipe,
    `name: steady-shop
sources:
  orders:
    kind: transactions
    path: orders.csv
    roles: { order: order_id, customer: customer_id, time: order_date, amount: amount }
window: { referenceDate: ${REF}${o.window ? `, days: ${o.window}` : ''} }
features: [recency_days, frequency, monetary, avg_order_value, tenure_days]
cluster: { k: { min: 3, max: 8, select: silhouette }, nInit: 10, seed: 42 }
drift: { moved: 0.1, size: 0.25, centroid: 0.5, psi: 0.25 }
output: { dir: out, report: false }
`,
  );
  return recipe;
}

const record = (runDir: string) => JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunRecord;

describe('a re-run with nothing changed is quiet: k, ids and names kept, drift aligned for time', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) cleanup(d);
  });
  for (const shape of [
    { acquiring: false, window: null, days: [7, 30] },
    { acquiring: true, window: null, days: [7] },
    { acquiring: true, window: 365, days: [7, 30] },
  ])
    test(`${shape.acquiring ? 'an acquiring' : 'a closed'} shop${shape.window ? `, ${shape.window}-day window` : ''}: ${shape.days.map((d) => `${d} days`).join(' and ')} later`, async () => {
      const dir = tempDir();
      dirs.push(dir);
      const recipe = writeShop(dir, shape);
      const first = await runRecipe(loadRecipe(recipe));
      for (const days of shape.days) {
        const again = await runRecipe(loadRecipe(recipe, [`window.referenceDate=${addDays(REF, days)}`]));
        const label = `${days} days later`;
        const rec = record(again.runDir);
        assert.equal(again.k, first.k, `${label}: k kept (${again.reason})`);
        assert.equal(rec.cluster.lineage?.keptK, true, label);
        const m = again.drift!;
        assert.ok(
          m.moved.share !== null && m.moved.share <= 0.1,
          `${label}: ${m.moved.share} of returning customers moved`,
        );
        assert.deepEqual(
          m.alerts.map((a) => a.message),
          [],
          `${label}: no drift alert`,
        );
        assert.deepEqual(
          again.segments.map((s) => s.name),
          first.segments.map((s) => s.name),
          `${label}: names kept`,
        );
      }
    });

  // Short of the issue's goal, kept visible: the acquiring shop keeps k = 6 (its silhouettes of
  // k = 3..8 are within 0.02) and a month later 17-18% of its returning customers are in another
  // segment; 60% of those ordered in the month (36% of all customers do) and the rest aged past a
  // recency boundary. At k = 3 the same month moves 11.5%.
  test('an acquiring shop a month later moves at most 10% of its returning customers', {
    todo: 'moves 17-18% at k = 6',
  }, async () => {
    const dir = tempDir();
    dirs.push(dir);
    const recipe = writeShop(dir, { acquiring: true, window: null });
    await runRecipe(loadRecipe(recipe));
    const again = await runRecipe(loadRecipe(recipe, [`window.referenceDate=${addDays(REF, 30)}`]));
    assert.ok(again.drift!.moved.share! <= 0.1, `${again.drift!.moved.share}`);
  });

  test('--reselect chooses k afresh and says so; a changed k rule does too', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const recipe = writeShop(dir, { acquiring: true, window: null });
    await runRecipe(loadRecipe(recipe));
    const again = await runRecipe(loadRecipe(recipe, [`window.referenceDate=${addDays(REF, 30)}`]), {
      reselect: true,
    });
    assert.match(again.reason, /chosen afresh: segmint run --reselect/);
    const ruled = await runRecipe(loadRecipe(recipe, ['cluster.k.max=6']));
    assert.match(
      ruled.reason,
      /the recipe's k changed \(3\.\.8 silhouette in run .*, 3\.\.6 silhouette now\)/,
    );
  });

  test("one kind's spend x2.5 alerts on its segment, and only there", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const recipe = writeShop(dir, { acquiring: true, window: 365 });
    await runRecipe(loadRecipe(recipe));
    // The same orders, kind D paying 2.5 times as much.
    writeShop(dir, { acquiring: true, window: 365, changed: 'D', factor: 2.5, changeFrom: 0 });
    const again = await runRecipe(loadRecipe(recipe, [`window.referenceDate=${addDays(REF, 30)}`]));
    const tags = readFileSync(join(again.runDir, 'tags.csv'), 'utf8').trim().split('\n').slice(1);
    const count = new Map<number, number>();
    for (const l of tags) {
      const [id, seg] = l.split(',');
      if (id.startsWith('D')) count.set(Number(seg), (count.get(Number(seg)) ?? 0) + 1);
    }
    const dSegment = [...count.entries()].sort((a, b) => b[1] - a[1])[0][0];
    const onSegments = again.drift!.alerts.filter((a) => a.segmentId !== null);
    const said = again.drift!.alerts.map((a) => a.message).join(' | ');
    assert.ok(onSegments.length > 0, said);
    assert.ok(
      onSegments.every((a) => a.segmentId === dSegment),
      `D customers are mostly in ${dSegment}: ${said}`,
    );
  });
});
