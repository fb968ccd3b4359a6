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

test('every warning and error code the code uses is registered (and so documented)', async () => {
  const { readdirSync, statSync } = await import('node:fs');
  const { ERROR_CODES, WARNING_CODES } = await import('../src/core/errors.js');
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
    });
  for (const f of files(join(ROOT, 'src'))) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/code: '([A-Z_]+)'/g))
      assert.ok(m[1] in WARNING_CODES || m[1] in ERROR_CODES, `${f}: ${m[1]} is not registered`);
    for (const m of text.matchAll(/new SegmintError\(\s*'([A-Z_]+)'/g))
      assert.ok(m[1] in ERROR_CODES, `${f}: ${m[1]}`);
  }
});
