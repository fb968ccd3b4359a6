import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FEATURE_DOCS } from '../src/config/docs.js';
import { FEATURE_KINDS } from '../src/config/recipe.js';
import { generatedSections, replaceSections } from './docs-sections.js';
import { ROOT } from './helpers.js';

test('README generated sections are up to date (run `npm run docs`)', () => {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const next = replaceSections(text, generatedSections());
  const stale = next.split('\n').findIndex((line, i) => line !== text.split('\n')[i]);
  assert.ok(next === text, `README.md is stale from line ${stale + 1}: run \`npm run docs\``);
});

test('every catalogue feature is documented', () => {
  for (const k of FEATURE_KINDS) assert.ok(FEATURE_DOCS[k]?.length > 10, k);
});

test('README keeps the quickstart commands', () => {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.match(text, /npm ci && npm run demo/);
  assert.match(text, /npm ci && npm test/);
});
