import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RFM_TABLE, rfmBreaks, rfmScore, rfmSegment, scoreRfm } from '../../src/explain/rfm.js';

describe('classic RFM scoring', () => {
  test('quintile edges and scores by hand, ties at edges going to the lower bin', () => {
    const v = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Edges at the 20/40/60/80% quantiles (linear): 2.8, 4.6, 6.4, 8.2
    assert.deepEqual(
      rfmBreaks(v, 5).map((x) => Number(x.toFixed(10))),
      [2.8, 4.6, 6.4, 8.2],
    );
    assert.deepEqual(
      Array.from(v, (x) => rfmScore(x, rfmBreaks(v, 5))),
      [1, 1, 2, 2, 3, 3, 4, 4, 5, 5],
    );
    // A value exactly on an edge takes the lower score; recency is reversed.
    assert.equal(rfmScore(4, [2, 4, 6, 8]), 2);
    assert.equal(rfmScore(4.0001, [2, 4, 6, 8]), 3);
    assert.equal(rfmScore(1, [2, 4, 6, 8], true), 5);
    assert.equal(rfmScore(4, [2, 4, 6, 8], true), 4);
    assert.equal(rfmScore(9, [2, 4, 6, 8], true), 1);
    // Heavy ties: many customers with one order all get the same (lowest) frequency score.
    const f = Float64Array.from([1, 1, 1, 1, 1, 1, 2, 2, 3, 7]);
    assert.deepEqual(
      rfmBreaks(f, 5).map((x) => Number(x.toFixed(10))),
      [1, 1, 1.4, 2.2],
    );
    assert.deepEqual(
      Array.from(f, (x) => rfmScore(x, rfmBreaks(f, 5))),
      [1, 1, 1, 1, 1, 1, 4, 4, 5, 5],
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
    // Edges: recency 2.8, 32, 64, 220 (reversed); frequency 1, 1.6, 2.4, 12.6; monetary 48, 180, 420, 720.
    assert.deepEqual(Array.from(r.scores.r), [5, 5, 4, 3, 3, 2, 2, 1, 4, 1]);
    assert.deepEqual(Array.from(r.scores.f), [5, 5, 4, 4, 3, 3, 1, 1, 1, 1]);
    assert.deepEqual(Array.from(r.scores.m), [5, 5, 4, 3, 3, 2, 2, 1, 4, 1]);
    assert.deepEqual(r.segment, [
      'Champions',
      'Champions',
      'Potential Loyalist',
      'Potential Loyalist',
      'Potential Loyalist',
      'Loyal Customers',
      'About To Sleep',
      'Lost',
      'Promising',
      'Lost',
    ]);
    assert.deepEqual(r.counts, {
      Champions: 2,
      'Potential Loyalist': 3,
      'Loyal Customers': 1,
      'About To Sleep': 1,
      Lost: 2,
      Promising: 1,
    });
  });
});
