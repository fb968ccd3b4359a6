import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers.js';

const LAYERS = [
  'core',
  'config',
  'data',
  'features',
  'prep',
  'kernels',
  'cluster',
  'metrics',
  'explain',
  'model',
  'pipeline',
  'cli',
  'demo',
];
const PURE = new Set(['prep', 'kernels', 'cluster', 'metrics', 'explain']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('numeric folders stay pure: no node:*, DuckDB, printing, exiting or Math.random', () => {
  for (const f of files(join(ROOT, 'src'))) {
    const layer = relative(join(ROOT, 'src'), f).split('/')[0];
    const text = readFileSync(f, 'utf8');
    assert.doesNotMatch(text, /Math\.random\(/, `${f} uses Math.random; use a seeded Rng`);
    if (!PURE.has(layer)) continue;
    assert.doesNotMatch(text, /from '(node:|@duckdb|fastify|commander)/, `${f} imports I/O`);
    assert.doesNotMatch(text, /console\.|process\./, `${f} prints or touches the process`);
  }
});

test('imports flow down the layer list, never up (numeric layers import only core and each other)', () => {
  for (const f of files(join(ROOT, 'src'))) {
    const layer = relative(join(ROOT, 'src'), f).split('/')[0];
    if (!PURE.has(layer)) continue;
    for (const m of readFileSync(f, 'utf8').matchAll(/from '\.\.\/([a-z]+)\//g)) {
      const target = m[1];
      assert.ok(
        target === 'core' || target === 'config' || PURE.has(target),
        `${relative(ROOT, f)} imports ../${target}`,
      );
      assert.ok(LAYERS.includes(target));
    }
  }
});
