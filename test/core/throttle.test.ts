import assert from 'node:assert/strict';
import { test } from 'node:test';
import { every } from '../../src/core/throttle.js';

test('every: opens once per interval, and whenever forced', async () => {
  const gate = every(30);
  assert.equal(gate(), true, 'the first look');
  assert.equal(gate(), false, 'too soon');
  assert.equal(gate(true), true, 'forced');
  assert.equal(gate(), false);
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(gate(), true, 'after the interval');
});
