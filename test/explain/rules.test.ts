import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ExplainSpec } from '../../src/config/recipe.js';
import { sdText } from '../../src/core/dictionary.js';
import { createMatrix, fromRows } from '../../src/core/matrix.js';
import { createRng } from '../../src/core/rng.js';
import { binaryMetrics, stratifiedSample, stratifiedSplit } from '../../src/explain/evaluate.js';
import { explainSegments } from '../../src/explain/explain.js';
import {
  assignPersonas,
  type ClaimCheck,
  claimFigure,
  missingPersona,
  personaEvidence,
  quintileScore,
  traitAction,
  wayWords,
} from '../../src/explain/personas.js';
import { profileSegments } from '../../src/explain/profile.js';
import {
  matches,
  mergeComplementary,
  niceNumber,
  roundRule,
  ruleJson,
  ruleSentence,
  ruleSql,
  rulesFor,
  ruleText,
  treeCaseSql,
  treeText,
} from '../../src/explain/rules.js';
import { fitTree, predictTree, TREE_DEFAULTS, type Tree } from '../../src/explain/tree.js';
import { Duck } from '../../src/sql/duckdb.js';

/** A hand-built tree: spend <= 361.26 -> class 0; else session <= 5.9 -> 0, else 1. */
const HAND: Tree = {
  kind: 'segmint.tree',
  nClasses: 2,
  nFeatures: 2,
  left: [1, -1, 3, -1, -1],
  right: [2, -1, 4, -1, -1],
  feature: [0, -2, 1, -2, -2],
  threshold: [361.26, -2, 5.9, -2, -2],
  impurity: [0.5, 0, 0.3, 0, 0],
  nSamples: [10, 5, 5, 2, 3],
  weightedNSamples: [10, 5, 5, 2, 3],
  value: [6, 4, 5, 0, 1, 4, 1, 1, 0, 3],
};
const NAMES = ['total_spend', 'avg_session_length'];

describe('rules', () => {
  test('text, sentence, SQL and JSON of a hand-built tree', () => {
    assert.equal(
      treeText(HAND, NAMES, ['other', 'loyal']),
      [
        '|--- total_spend <= 361.26',
        '|   |--- class: other',
        '|--- total_spend >  361.26',
        '|   |--- avg_session_length <= 5.90',
        '|   |   |--- class: other',
        '|   |--- avg_session_length >  5.90',
        '|   |   |--- class: loyal',
        '',
      ].join('\n'),
    );
    const rule = rulesFor(HAND, NAMES, 1);
    assert.equal(ruleText(rule), 'total_spend > 361.26 and avg_session_length > 5.9');
    assert.equal(
      ruleSentence(rule, (f) => f.replace(/_/g, ' '), 'Loyal customers'),
      'Loyal customers are customers whose total spend is above 361.26 and avg session length is above 5.9.',
    );
    assert.equal(ruleSql(rule), '("total_spend" > 361.26 AND "avg_session_length" > 5.9)');
    assert.deepEqual(ruleJson(rule), {
      any: [
        {
          all: [
            { feature: 'total_spend', op: '>', value: 361.26 },
            { feature: 'avg_session_length', op: '>', value: 5.9 },
          ],
        },
      ],
    });
    assert.equal(
      ruleText(rulesFor(HAND, NAMES, 0)),
      'total_spend <= 361.26\n  or total_spend > 361.26 and avg_session_length <= 5.9',
    );
    assert.equal(ruleText(roundRule(rule)), 'total_spend > 360 and avg_session_length > 5.9');
    assert.deepEqual(
      [niceNumber(361.26), niceNumber(5.93), niceNumber(0.01234), niceNumber(-1550)],
      [360, 5.9, 0.012, -1600],
    );
  });

  test('complementary paths merge; ranges read as "between"', () => {
    const merged = mergeComplementary([
      [
        { feature: 'a', op: '<=', value: 1 },
        { feature: 'b', op: '<=', value: 2 },
      ],
      [
        { feature: 'a', op: '<=', value: 1 },
        { feature: 'b', op: '>', value: 2 },
      ],
    ]);
    assert.deepEqual(merged, [[{ feature: 'a', op: '<=', value: 1 }]]);
    const s = ruleSentence(
      {
        paths: [
          [
            { feature: 'x', op: '>', value: 1 },
            { feature: 'x', op: '<=', value: 4 },
          ],
        ],
      },
      (f) => f,
      'They',
    );
    assert.equal(s, 'They are customers whose x is above 1 and at most 4.');
  });

  test('SQL rules and the CASE tagger select exactly the customers the tree selects, in DuckDB', async () => {
    const rng = createRng(4);
    const n = 2000;
    const X = createMatrix(n, 3);
    for (let i = 0; i < n; i++) {
      X.data[i * 3] = Math.round(rng() * 1000) / 4; // quarters: many values fall exactly on thresholds
      X.data[i * 3 + 1] = Math.floor(rng() * 20);
      X.data[i * 3 + 2] = rng() * 10 - 5;
    }
    const y = Int32Array.from({ length: n }, (_, i) =>
      X.data[i * 3] > 120 && X.data[i * 3 + 1] > 8 ? 2 : X.data[i * 3 + 2] > 1 ? 1 : 0,
    );
    const names = ['spend', 'visits', 'score'];
    const tree = fitTree(X, y, 3, { ...TREE_DEFAULTS, maxDepth: 4 });
    const pred = predictTree(tree, X);
    const duck = await Duck.open();
    try {
      await duck.createFromColumns('customer_features', [
        { name: 'id', type: 'INTEGER', values: Int32Array.from({ length: n }, (_, i) => i) },
        ...names.map((nm, j) => ({
          name: nm,
          type: 'DOUBLE' as const,
          values: Float64Array.from({ length: n }, (_, i) => X.data[i * 3 + j]),
        })),
      ]);
      for (let c = 0; c < 3; c++) {
        const rule = rulesFor(tree, names, c);
        const rows = await duck.all(`SELECT id FROM customer_features WHERE ${ruleSql(rule)} ORDER BY id`);
        const sqlIds = rows.map((r) => Number(r.id));
        const tsIds = Array.from({ length: n }, (_, i) => i).filter((i) => pred[i] === c);
        assert.deepEqual(sqlIds, tsIds, `class ${c}`);
        const viaMatch = tsIds.every((i) => matches(rule, (f) => X.data[i * 3 + names.indexOf(f)]));
        assert.ok(viaMatch);
      }
      const tagged = await duck.all(
        `SELECT id, ${treeCaseSql(tree, names, (c) => String(c))} AS cls FROM customer_features ORDER BY id`,
      );
      assert.deepEqual(
        tagged.map((r) => Number(r.cls)),
        Array.from(pred),
      );
    } finally {
      duck.close();
    }
  });

  test('hold-out metrics by hand; the stratified split keeps class shares', () => {
    const m = binaryMetrics([1, 1, 1, 0, 0, 0, 0, 1], [1, 1, 0, 0, 0, 1, 0, 1]);
    // tp 3, fn 1, fp 1, tn 3
    assert.deepEqual(m.confusion, [
      [3, 1],
      [1, 3],
    ]);
    assert.equal(m.precision, 0.75);
    assert.equal(m.recall, 0.75);
    assert.equal(m.f1, 0.75);
    assert.equal(m.accuracy, 0.75);
    const zero = binaryMetrics([0, 0], [0, 0]);
    assert.deepEqual([zero.precision, zero.recall, zero.f1], [0, 0, 0]);
    const y = Int32Array.from({ length: 100 }, (_, i) => (i < 20 ? 1 : 0));
    const { train, test } = stratifiedSplit(y, 0.25, 7);
    assert.equal(test.length, 25);
    assert.equal(Array.from(test).filter((i) => y[i] === 1).length, 5);
    assert.equal(train.length + test.length, 100);
    assert.deepEqual(stratifiedSplit(y, 0.25, 7), { train, test }, 'seeded');
  });

  test('the split and the sample hold a class of millions (no stack growth), sorted and stratified', () => {
    const n = 1_500_000;
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) y[i] = i % 10 === 0 ? 2 : i % 3 === 0 ? 1 : 0;
    const { train, test } = stratifiedSplit(y, 0.25, 3);
    assert.equal(train.length + test.length, n);
    for (let i = 1; i < test.length; i++) assert.ok(test[i - 1] < test[i]);
    const { sample, rest } = stratifiedSample(y, 200_000, 3);
    assert.equal(sample.length + rest.length, n);
    const share = (idx: Int32Array, c: number) =>
      idx.reduce((a, i) => a + (y[i] === c ? 1 : 0), 0) / idx.length;
    for (const c of [0, 1, 2])
      assert.ok(
        Math.abs(
          share(sample, c) -
            share(
              Int32Array.from({ length: n }, (_, i) => i),
              c,
            ),
        ) < 1e-4,
      );
    assert.ok(Math.abs(sample.length - 200_000) <= 3);
    assert.deepEqual(stratifiedSample(y, 200_000, 3).sample, sample, 'seeded');
    assert.notDeepEqual(stratifiedSample(y, 200_000, 4).sample, sample, 'another seed, another sample');
  });

  test('a persona is given only where every claim holds; names are unique without numerals', () => {
    // Evidence for a trait: the median's score 1..5 (5 = best side) and the oriented effect size.
    const ev = (feature: string, score: number, z: number) => ({
      feature,
      score,
      z,
      rawZ: feature === 'recency_days' ? -z : z,
      median: null,
      allMedian: null,
    });
    const rfm = (r: number, f: number, m: number, z = 1) => ({
      recency: ev('recency_days', r, r >= 4 ? z : r <= 2 ? -z : 0),
      frequency: ev('frequency', f, f >= 4 ? z : f <= 2 ? -z : 0),
      monetary: ev('monetary', m, m >= 4 ? z : m <= 2 ? -z : 0),
    });
    const champion = rfm(5, 5, 5);
    const lost = rfm(1, 1, 1);
    const fig = (median: number, allMedian: number, mean: number, allMean: number) => ({
      median,
      allMedian,
      mean,
      allMean,
    });
    const traits = [
      { feature: 'avg_order_value', z: 1.2, direction: 'higher' as const, ...fig(50, 30, 55, 33) },
      { feature: 'unique_products', z: -0.6, direction: 'lower' as const, ...fig(3, 8, 3.5, 9) },
      { feature: 'tenure_days', z: 0.4, direction: 'higher' as const, ...fig(400, 300, 410, 320) },
    ];
    const p = assignPersonas(
      [champion, champion, lost],
      { '3': { action: 'Leave them be.' } },
      [1, 2, 3],
      [[], traits, []],
    );
    // The second champion-like segment is not called Champions again, nor "Champions 2": every
    // claim of Loyal Customers holds for it (often, not lapsed).
    assert.deepEqual(
      p.map((x) => x.name),
      ['Champions', 'Loyal Customers', 'Lost'],
    );
    assert.equal(p[2].action, 'Leave them be.');
    assert.deepEqual(
      p[0].claims.map((c) => [c.feature, c.claim]),
      [
        ['recency_days', 'bought recently'],
        ['frequency', 'order often'],
        ['monetary', 'spend the most'],
      ],
    );
    // A third: no free persona fits, so it is named from what sets it apart.
    const q = assignPersonas([champion, champion, champion], {}, [1, 2, 3], [[], [], traits]);
    assert.equal(q[2].name, 'High average order value, low unique products');
    assert.ok(
      q.every((x) => !/ \d+$/.test(x.name)),
      'no numerals',
    );
    // One order long ago is never Champions, whatever the medians' scores: the effect is required.
    const weak = rfm(5, 5, 5, 0.1);
    assert.notEqual(assignPersonas([weak])[0].name, 'Champions');
    // "At Risk" claims a lapsed segment that used to buy often or spend well.
    assert.equal(personaEvidence('atRisk', rfm(1, 1, 1)), null);
    assert.ok(personaEvidence('atRisk', rfm(1, 5, 2)));
    // New customers, where a tenure feature says they are new; with a long tenure they are not new.
    const recentFew = { ...rfm(5, 2, 3), tenure: ev('tenure_days', 1, -1.5) };
    assert.equal(assignPersonas([recentFew])[0].name, 'New Customers');
    assert.equal(assignPersonas([{ ...recentFew, tenure: ev('tenure_days', 5, 1.5) }])[0].name, 'Promising');
    // No RFM features (sessions, a customer table): never RFM words; the traits name the segment.
    const sessions = assignPersonas(
      [{}, {}],
      {},
      [1, 2],
      [
        [
          { feature: 'BounceRates', z: 3, direction: 'higher', ...fig(0.2, 0.003, 0.19, 0.02) },
          // Medians equal (most are 0): the means carry the claim.
          { feature: 'PageValues', z: -0.5, direction: 'lower', ...fig(0, 0, 1, 5) },
        ],
        [],
      ],
    );
    assert.deepEqual(
      sessions.map((x) => x.name),
      ['High bounce rates, low page values', 'Typical customers'],
    );
    assert.equal(
      sessions[0].description,
      'Bounce rates 0.2 (all customers: 0.003); page values: average 1 (all customers: 5).',
    );
    assert.deepEqual(
      sessions[0].claims.map((c) => [c.stat, c.relation]),
      [
        ['median', 'above'],
        ['mean', 'below'],
      ],
    );
    // A trait whose figures do not show the difference (median and mean on the other side) is not named.
    assert.deepEqual(
      assignPersonas([{}], {}, [1], [[{ feature: 'x', z: 0.8, direction: 'higher', ...fig(1, 2, 1, 2) }]])[0]
        .name,
      'Typical customers',
    );
    const sorted = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(quintileScore(sorted, 10), 5);
    assert.equal(quintileScore(sorted, 1), 1);
    assert.equal(quintileScore(sorted, 1, false), 5, 'recency: lower is better');
  });

  test("a persona's words need their figures: medians on the claimed side, actions only where their conditions hold", () => {
    // Evidence with figures: score, oriented z, and the segment's and all customers' medians.
    const ev = (feature: string, score: number, z: number, median: number, allMedian: number) => ({
      feature,
      score,
      z,
      rawZ: feature === 'recency_days' ? -z : z,
      median,
      allMedian,
      mean: median,
      allMean: allMedian,
    });
    // Recent buyers whose median customer has more orders than the typical one: not "modest
    // frequency so far", so not Promising (the z alone did not reach "often").
    const busy = {
      recency: ev('recency_days', 5, 1, 10, 90),
      frequency: ev('frequency', 3, 0.2, 21, 15),
      monetary: ev('monetary', 3, 0.1, 500, 450),
    };
    assert.notEqual(assignPersonas([busy])[0].name, 'Promising');
    assert.equal(personaEvidence('promising', busy), null);
    // Frequent buyers whose median last order is longer ago than the typical one: not "not lapsed".
    const lapsedLoyal = {
      recency: ev('recency_days', 3, -0.1, 275, 221),
      frequency: ev('frequency', 5, 1.5, 2, 1),
      monetary: ev('monetary', 3, 0.1, 100, 90),
    };
    assert.equal(personaEvidence('loyal', lapsedLoyal), null);
    // Champions: "no discounts needed" only where they redeem few coupons.
    const champ = (burnScore: number, burnZ: number) => ({
      recency: ev('recency_days', 5, 1, 5, 60),
      frequency: ev('frequency', 5, 1, 20, 5),
      monetary: ev('monetary', 5, 1, 900, 200),
      burnRate: ev('coupon_burn_rate', burnScore, burnZ, burnZ > 0 ? 0.9 : 0.1, 0.5),
    });
    assert.match(assignPersonas([champ(1, -1)])[0].action, /no discounts needed/);
    assert.doesNotMatch(assignPersonas([champ(5, 1.9)])[0].action, /no discounts needed/);
    assert.match(assignPersonas([champ(5, 1.9)])[0].action, /rewards other than discounts/);
    const { burnRate: _unused, ...withoutCoupons } = champ(1, -1);
    const noCoupons = assignPersonas([withoutCoupons])[0];
    assert.doesNotMatch(noCoupons.action, /discount/);
    // Descriptions are the claims' figures in the dictionary's words and units.
    const meanings = {
      recency_days: {
        label: 'Days since last order',
        unit: 'days' as const,
        good: 'lower' as const,
        missing: 'unknown' as const,
      },
      monetary: { label: 'Spend', unit: 'money' as const, good: 'higher' as const, missing: 'zero' as const },
    };
    const named = assignPersonas([champ(1, -1)], {}, [1], [[]], meanings)[0];
    assert.equal(named.name, 'Champions');
    assert.match(
      named.description,
      /^Days since last order 5 \(all customers: 60\); frequency 20 \(all customers: 5\); spend 900\.00 \(all customers: 200\.00\)\.$/,
    );
  });

  test('tree fit on a tiny table by hand (gini, depth 1)', () => {
    const t = fitTree(fromRows([[1], [2], [3], [10], [11]]), Int32Array.from([0, 0, 0, 1, 1]), 2, {
      ...TREE_DEFAULTS,
      maxDepth: 1,
    });
    assert.equal(t.threshold[0], 6.5);
    assert.deepEqual(t.nSamples, [5, 3, 2]);
    assert.ok(Math.abs(t.impurity[0] - (1 - (9 + 4) / 25)) < 1e-15);
  });
});

describe('a segment set apart by missing data', () => {
  test('is named for what is not on file, with the shares it rests on, and no persona from imputed figures', () => {
    const n = 300;
    const ids = Array.from({ length: n }, (_, i) => String(i + 1));
    // Segment 3 (rows 200..299) has no demographics: income and kids missing; the others have them.
    const income = Float64Array.from({ length: n }, (_, i) => (i < 200 ? 20 + ((i * 37) % 100) : Number.NaN));
    const kids = Float64Array.from({ length: n }, (_, i) => (i < 200 ? i % 4 : Number.NaN));
    const spend = Float64Array.from({ length: n }, (_, i) => 100 + ((i * 13) % 50) + (i < 100 ? 400 : 0));
    const table = {
      ids,
      numeric: [
        { name: 'Income', values: income },
        { name: 'Kidhome', values: kids },
        { name: 'spend', values: spend },
      ],
      categorical: [],
    };
    const labels = Int32Array.from({ length: n }, (_, i) => (i < 100 ? 0 : i < 200 ? 1 : 2));
    const profiles = profileSegments(table, labels, 3, null);
    const meaning = (label: string) => ({ label, unit: null, good: null, missing: 'unknown' as const });
    const ex = explainSegments(
      table,
      [
        { name: 'Income', feature: 'attributes', meaning: meaning('Income') },
        { name: 'Kidhome', feature: 'attributes', meaning: meaning('Kids at home') },
        { name: 'spend', feature: 'attributes', meaning: { ...meaning('Spend'), unit: 'money' as const } },
      ],
      labels,
      3,
      profiles,
      ExplainSpec.parse({ rules: false }),
      1,
    );
    const third = ex.personas[2];
    assert.equal(third.name, 'No income or kids at home on file');
    assert.equal(
      third.description,
      'Income not on file for 100% (all customers: 33%); kids at home not on file for 100% (all customers: 33%).',
    );
    assert.deepEqual(
      third.claims.map((c) => [c.stat, c.value, c.relation]),
      [
        ['missing', 1, 'above'],
        ['missing', 1, 'above'],
      ],
    );
    assert.ok(!ex.personas.slice(0, 2).some((p) => /on file/.test(p.name)));
    // Sparse for everyone (over half missing overall): not a name.
    const sparse = {
      ...table,
      numeric: [{ name: 'Income', values: income.map((v, i) => (i < 250 ? Number.NaN : v)) }],
    };
    const p2 = profileSegments(sparse, labels, 3, null);
    assert.ok(!missingPersona(p2[2].stats, {}));
  });
});

test('names, descriptions and actions made from traits read as words: counts as many/few, days since as long since/recent, ties said as ties', () => {
  assert.equal(wayWords('days since last order', true), 'long since last order');
  assert.equal(wayWords('days since first order', false), 'recent first order');
  assert.equal(wayWords('number of store purchases', false), 'few store purchases');
  assert.equal(wayWords('count of visits', true), 'many visits');
  assert.equal(wayWords('bounce rates', true), 'high bounce rates');
  const claim = (feature: string, label: string, claimText: string, v: number, all: number): ClaimCheck => ({
    feature,
    label,
    unit: null,
    claim: claimText,
    z: 1,
    median: v,
    allMedian: all,
    stat: 'median',
    value: v,
    allValue: all,
    relation: 'above',
  });
  // A tie is said as one, not as two equal figures.
  assert.equal(
    claimFigure(claim('frequency', 'Orders', 'not more than all customers', 1, 1)),
    'orders 1, as for all customers',
  );
  assert.equal(
    claimFigure(claim('frequency', 'Orders', 'higher than all customers', 3, 1)),
    'orders 3 (all customers: 1)',
  );
  // Actions name the trait as a phrase, never "their <label>", and a count of deals as what is counted.
  const deals = claim('NumDealsPurchases', 'Number of deals purchases', 'higher than all customers', 3, 2);
  assert.match(traitAction([deals], {}), /^Price-sensitive \(more deals purchases than typical\)/);
  const pages = claim('Informational', 'Informational', 'lower than all customers', 0, 1);
  const action = traitAction([pages], {});
  assert.match(action, /what sets them apart \(informational lower than typical\)/);
  assert.doesNotMatch(action, /their informational/);
  // A standardized difference that rounds to 0 is shown as 0.0, never -0.0.
  assert.equal(sdText(-0.04), '0.0 sd');
  assert.equal(sdText(0.26), '+0.3 sd');
  assert.equal(sdText(-1.25), '-1.3 sd');
});

test('rules applied together: exactly their segment, none, several; per segment, its customers its rule alone matches', async () => {
  const { ruleAgreement } = await import('../../src/explain/explain.js');
  // One feature x; segment 1 (label 0) is x <= 10, segment 2 (label 1) is x > 5: 6..10 match both.
  const X = fromRows([[1], [4], [6], [8], [12], [20], [3], [30]]);
  const labels = Int32Array.from([0, 0, 0, 1, 1, 1, 1, 1]);
  const rule = (op: '<=' | '>', value: number) => ({ paths: [[{ feature: 'x', op, value }]] });
  const segmentRule = (segmentId: number, r: ReturnType<typeof rule>) => ({ segmentId, rule: r });
  const a = ruleAgreement([segmentRule(1, rule('<=', 10)), segmentRule(2, rule('>', 5))], X, ['x'], labels);
  // Exactly one rule and it is theirs: x = 1, 4 (segment 1), 12, 20, 30 (segment 2); x = 3 is in
  // segment 2 but only segment 1's rule matches it; 6 and 8 match both.
  assert.equal(a.exact, 5 / 8);
  assert.equal(a.several, 2 / 8);
  assert.equal(a.none, 0);
  assert.deepEqual(a.segments, [
    { segmentId: 1, exact: 2 / 3 },
    { segmentId: 2, exact: 3 / 5 },
  ]);
  const gap = ruleAgreement([segmentRule(1, rule('<=', 2)), segmentRule(2, rule('>', 25))], X, ['x'], labels);
  assert.equal(gap.none, 6 / 8);
});

test('a split whose branches end in the same segment is shown as that segment, in the text, the SQL and the drawing', async () => {
  const { treeSvg } = await import('../../src/report/tree-svg.js');
  // spend <= 361.26 -> (session <= 5.9 -> other, else other); else loyal.
  const same: Tree = {
    kind: 'segmint.tree',
    nClasses: 2,
    nFeatures: 2,
    left: [1, 3, -1, -1, -1],
    right: [2, 4, -1, -1, -1],
    feature: [0, 1, -2, -2, -2],
    threshold: [361.26, 5.9, -2, -2, -2],
    impurity: [0.5, 0.2, 0, 0.1, 0.2],
    nSamples: [10, 6, 4, 2, 4],
    weightedNSamples: [10, 6, 4, 2, 4],
    value: [6, 4, 5, 1, 1, 3, 2, 0, 3, 1],
  };
  assert.equal(
    treeText(same, NAMES, ['other', 'loyal']),
    [
      '|--- total_spend <= 361.26',
      '|   |--- class: other',
      '|--- total_spend >  361.26',
      '|   |--- class: loyal',
      '',
    ].join('\n'),
  );
  const svg = treeSvg(same, NAMES, ['other', 'loyal']);
  assert.doesNotMatch(svg, /avg_session_length/);
  assert.equal((svg.match(/<rect/g) ?? []).length, 3, 'one split and two leaves');
});
