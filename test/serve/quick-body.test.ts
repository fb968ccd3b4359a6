import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PrepSpec } from '../../src/config/recipe.js';
import { createRng, type Rng } from '../../src/core/rng.js';
import { type Model, scoreModel } from '../../src/model/model.js';
import { fitPrep } from '../../src/prep/prepare.js';
import { quickScoreRequest, ScoreRequest } from '../../src/serve/schemas.js';

// The score route's hand-written body check answers for ScoreRequest on the common body; these
// tests hold the two to the same verdicts, and hold the scorer's reused buffers to fresh ones.

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)] as T;

/** A value of any JSON kind, some of them what a feature may be. */
function anyValue(rng: Rng, depth = 0): unknown {
  switch (Math.floor(rng() * (depth > 1 ? 6 : 8))) {
    case 0:
      return null;
    case 1:
      return pick(rng, [0, -1.5, 3.25, 1e308, 12345678901234]);
    case 2:
      return pick(rng, ['', 'a', '12', 'null']);
    case 3:
      return rng() < 0.5;
    case 4:
      // JSON.parse gives Infinity for 1e400: the schema refuses it, so must the quick check.
      return pick(rng, [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN]);
    case 5:
      return undefined;
    case 6:
      return [anyValue(rng, depth + 1)];
    default:
      return { x: anyValue(rng, depth + 1) };
  }
}

/** Mostly well-formed score bodies with one or two faults of the kinds clients make. */
function body(rng: Rng): unknown {
  const b: Record<string, unknown> = {};
  if (rng() < 0.7) b.customer_id = rng() < 0.85 ? `c${Math.floor(rng() * 100)}` : anyValue(rng);
  if (rng() < 0.9) {
    if (rng() < 0.9) {
      const f: Record<string, unknown> = {};
      const n = Math.floor(rng() * 6);
      for (let i = 0; i < n; i++)
        f[pick(rng, ['recency', 'frequency', 'monetary', 'city', 'x'])] =
          rng() < 0.85 ? pick(rng, [1, 2.5, null, 'Lyon', -3]) : anyValue(rng);
      b.features = f;
    } else b.features = anyValue(rng);
  }
  if (rng() < 0.15) b.reference_date = rng() < 0.7 ? '2024-01-01' : anyValue(rng);
  if (rng() < 0.08) b.orders = rng() < 0.5 ? [{ customer_id: 'c1', price: 2 }] : anyValue(rng);
  if (rng() < 0.05) b[pick(rng, ['feature', 'extra', '__proto__x'])] = anyValue(rng);
  if (rng() < 0.03) return anyValue(rng);
  return b;
}

describe('the score route quick body check', () => {
  test('accepts a body only when ScoreRequest accepts it unchanged, and every features-only body it accepts', () => {
    const rng = createRng(16);
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 5000; i++) {
      const b = body(rng);
      // What a client can send is JSON: undefined members vanish, as on the wire.
      const wire = b === undefined ? undefined : JSON.parse(JSON.stringify(b) ?? 'null');
      const quick = quickScoreRequest(wire);
      const zod = ScoreRequest.safeParse(wire);
      const hasOrders = typeof wire === 'object' && wire !== null && Object.hasOwn(wire as object, 'orders');
      if (quick !== undefined) {
        accepted++;
        assert.ok(zod.success, `quick accepted what the schema refuses: ${JSON.stringify(wire)}`);
        assert.equal(quick, wire, 'the quick check answers the body itself');
        assert.deepEqual(zod.data, wire, `the schema would change ${JSON.stringify(wire)}`);
      } else {
        refused++;
        // Bodies with orders are the schema's (it turns them into order lines).
        if (!hasOrders)
          assert.ok(
            !zod.success,
            `quick refused a features body the schema accepts: ${JSON.stringify(wire)}`,
          );
      }
    }
    // Both sides were exercised.
    assert.ok(accepted > 1000 && refused > 500, `accepted ${accepted}, refused ${refused}`);
  });

  test('Infinity (JSON 1e400) and a Checked-like wrapper go to the schema', () => {
    assert.equal(quickScoreRequest(JSON.parse('{"features":{"a":1e400}}')), undefined);
    assert.equal(quickScoreRequest({ value: { features: {} } }), undefined);
    assert.equal(quickScoreRequest({ features: [] }), undefined);
    assert.equal(quickScoreRequest({ customer_id: 'c1' }), undefined);
    const ok = { customer_id: 'c1', features: { a: 1, b: 'x', c: null } };
    assert.equal(quickScoreRequest(ok), ok);
  });
});

describe('scoring one row at a time', () => {
  test('gives the bits of scoring all rows at once (one-hot levels, refined segment), through the reused buffers', () => {
    const rng = createRng(7);
    const n = 1000; // x the matrix width is over the reused buffers: the whole is scored in fresh memory
    const ids = Array.from({ length: n }, (_, i) => `c${i}`);
    const spend = Float64Array.from({ length: n }, () => Math.round(rng() * 1000) / 10);
    const visits = Float64Array.from({ length: n }, (_, i) => (i % 17 === 0 ? Number.NaN : rng() * 9));
    const city = Array.from({ length: n }, (_, i) =>
      i % 11 === 0 ? null : pick(rng, ['Lyon', 'Paris', 'Nice', 'Lille', 'Brest']),
    );
    const table = {
      ids,
      numeric: [
        { name: 'spend', values: spend },
        { name: 'visits', values: visits },
      ],
      categorical: [{ name: 'city', values: city }],
    };
    const prep = fitPrep(table, PrepSpec.parse({ onehotTop: 3 }));
    const refined = fitPrep(
      { ...table, categorical: [{ name: 'city', values: city }] },
      PrepSpec.parse({ scaler: 'minmax', onehotTop: 2 }),
    );
    const d = prep.params.outputNames.length;
    const dr = refined.params.outputNames.length;
    assert.ok(d > 3 && dr > 3, 'one-hot columns are part of the matrix');
    const rowOf = (m: { data: Float64Array; cols: number }, i: number) =>
      Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols));
    const model = {
      prep: prep.params,
      clusterer: { k: 3, dim: d, centers: [0, 40, 120].flatMap((i) => rowOf(prep.matrix, i)), rfm: null },
      segments: [1, 2, 3].map((id) => ({ id, name: `S${id}`, action: '' })),
      rules: [],
      refine: {
        segmentId: 2,
        target: '2',
        targetId: '2',
        subsegments: [
          { id: '2.1', size: 0 },
          { id: '2.2', size: 0 },
        ],
        prep: refined.params,
        centers: [5, 77].flatMap((i) => rowOf(refined.matrix, i)),
        rule: null,
      },
    } as unknown as Model;
    const numeric = (rows: number[]) => (name: string) => {
      const col = table.numeric.find((c) => c.name === name)?.values;
      return col ? Float64Array.from(rows, (r) => col[r] as number) : undefined;
    };
    const categorical = (rows: number[]) => (name: string) =>
      name === 'city' ? rows.map((r) => city[r] as string | null) : undefined;
    const all = Array.from({ length: n }, (_, i) => i);
    const whole = scoreModel(model, { rows: n, numeric: numeric(all), categorical: categorical(all) });
    const refinedRows = whole.subsegment.filter((s) => s !== null).length;
    assert.ok(refinedRows > 10 && refinedRows < n, `${refinedRows} rows in the refined segment`);
    for (const i of all) {
      const one = scoreModel(model, { rows: 1, numeric: numeric([i]), categorical: categorical([i]) });
      assert.equal(one.label[0], whole.label[i], `row ${i}`);
      assert.equal(Object.is(one.distance[0], whole.distance[i]), true, `row ${i} distance`);
      assert.equal(one.subsegment[0], whole.subsegment[i], `row ${i} sub-segment`);
    }
  });
});
