import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers.js';

const LAYERS = [
  'core',
  'sql',
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

/**
 * The house, lowest room first: a room imports only rooms below it (static and dynamic imports
 * alike), so the rooms never form a cycle. A new room must be placed here.
 */
const HOUSE = [
  'core',
  'sql',
  'features',
  'config',
  'kernels',
  'data',
  'prep',
  'metrics',
  'explain',
  'cluster',
  'model',
  'parallel',
  'clv',
  'report',
  'engine',
  'pipeline',
  'campaign',
  'demo',
  'serve',
  'cli',
];

test('every room imports only the rooms below it in the house', () => {
  const rooms = readdirSync(join(ROOT, 'src')).filter((f) => statSync(join(ROOT, 'src', f)).isDirectory());
  for (const room of rooms) assert.ok(HOUSE.includes(room), `src/${room} is not placed in the house`);
  for (const f of files(join(ROOT, 'src'))) {
    const room = relative(join(ROOT, 'src'), f).split('/')[0];
    if (!HOUSE.includes(room)) continue;
    for (const m of readFileSync(f, 'utf8').matchAll(/(?:from |import\()'\.\.\/([a-z]+)\//g)) {
      const target = m[1];
      assert.ok(
        HOUSE.indexOf(target) < HOUSE.indexOf(room),
        `${relative(ROOT, f)} (room ${room}) imports ../${target}, which is not below it`,
      );
    }
  }
});
