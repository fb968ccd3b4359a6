import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RFM_TABLE, rfmBreaks, rfmScore, rfmSegment, scoreRfm } from '../../src/explain/rfm.js';

describe('classic RFM scoring', () => {
  test('quintile edges and scores by hand, as the R package rfm 0.3.0 (edges at quantile + 1)', () => {
    const v = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Quantiles at 20/40/60/80% (type 7): 2.8, 4.6, 6.4, 8.2; rfm's edges add one.
    assert.deepEqual(
      rfmBreaks(v, 5).map((x) => Number(x.toFixed(10))),
      [3.8, 5.6, 7.4, 9.2],
    );
    assert.deepEqual(
      Array.from(v, (x) => rfmScore(x, rfmBreaks(v, 5))),
      [1, 1, 1, 2, 2, 3, 3, 4, 4, 5],
    );
    // rfm scores i where edge[i-1] <= v < edge[i]: a value on an edge takes the higher score.
    assert.equal(rfmScore(4, [2, 4, 6, 8]), 3);
    assert.equal(rfmScore(3.9999, [2, 4, 6, 8]), 2);
    assert.equal(rfmScore(1, [2, 4, 6, 8], true), 5);
    assert.equal(rfmScore(4, [2, 4, 6, 8], true), 3);
    assert.equal(rfmScore(9, [2, 4, 6, 8], true), 1);
    // Models saved before kept raw quantiles and counted edges strictly below.
    assert.equal(rfmScore(4, [2, 4, 6, 8], false, 'above'), 2);
    // Heavy ties: quantiles 1, 1, 1.4, 2.2 -> edges 2, 2, 2.4, 3.2; score 2 is empty, as in rfm.
    const f = Float64Array.from([1, 1, 1, 1, 1, 1, 2, 2, 3, 7]);
    assert.deepEqual(
      rfmBreaks(f, 5).map((x) => Number(x.toFixed(10))),
      [2, 2, 2.4, 3.2],
    );
    assert.deepEqual(
      Array.from(f, (x) => rfmScore(x, rfmBreaks(f, 5))),
      [1, 1, 1, 1, 1, 1, 3, 3, 4, 5],
    );
  });

  test('the named-segment table: first match wins, else Others', () => {
    assert.equal(rfmSegment(5, 5, 5), 'Champions');
    assert.equal(rfmSegment(5, 5, 4), 'Potential Loyalist');
    assert.equal(rfmSegment(2, 2, 2), 'Loyal Customers');
    assert.equal(rfmSegment(5, 1, 1), 'New Customers');
    assert.equal(rfmSegment(1, 4, 5), "Can't Lose Them");
    assert.equal(rfmSegment(1, 1, 1), 'Lost');
    assert.equal(rfmSegment(2, 1, 5), 'Others');
    assert.equal(RFM_TABLE.length, 10);
  });

  test('segment counts on a small table by hand', () => {
    const recency = Float64Array.from([1, 2, 3, 50, 60, 70, 200, 300, 5, 400]);
    const frequency = Float64Array.from([20, 15, 12, 3, 2, 2, 1, 1, 1, 1]);
    const monetary = Float64Array.from([900, 800, 700, 300, 200, 150, 50, 40, 600, 10]);
    const r = scoreRfm(recency, frequency, monetary);
    // Edges (quantile + 1): recency 3.8, 33, 65, 221 (reversed); frequency 2, 2.6, 3.4, 13.6;
    // monetary 49, 181, 421, 721.
    assert.deepEqual(Array.from(r.scores.r), [5, 5, 5, 3, 3, 2, 2, 1, 4, 1]);
    assert.deepEqual(Array.from(r.scores.f), [5, 5, 4, 3, 2, 2, 1, 1, 1, 1]);
    assert.deepEqual(Array.from(r.scores.m), [5, 5, 4, 3, 3, 2, 2, 1, 4, 1]);
    assert.deepEqual(r.segment, [
      'Champions',
      'Champions',
      'Potential Loyalist',
      'Potential Loyalist',
      'Loyal Customers',
      'Loyal Customers',
      'About To Sleep',
      'Lost',
      'Promising',
      'Lost',
    ]);
    assert.deepEqual(r.counts, {
      Champions: 2,
      'Potential Loyalist': 2,
      'Loyal Customers': 2,
      'About To Sleep': 1,
      Lost: 2,
      Promising: 1,
    });
  });
});
