import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
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

/**
 * Nothing in src/ passes an array's elements as call arguments (`Math.min(...xs)`,
 * `out.push(...rows)`): with a customer-sized array that overflows the stack ("Maximum call stack
 * size exceeded" at ~120,000 elements). core/arrays.ts has minOf, maxOf and append instead. The one
 * exception is forwarding a function's own rest parameter, whose length the caller wrote out.
 */
function spreadCalls(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const restParams = new Set<string>();
  const found: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isParameter(n) && n.dotDotDotToken && ts.isIdentifier(n.name)) restParams.add(n.name.text);
    if ((ts.isCallExpression(n) || ts.isNewExpression(n)) && n.arguments) {
      for (const a of n.arguments) {
        if (!ts.isSpreadElement(a)) continue;
        if (ts.isIdentifier(a.expression) && restParams.has(a.expression.text)) continue;
        const { line } = sf.getLineAndCharacterOfPosition(a.getStart());
        found.push(`${file}:${line + 1}: ${n.getText().slice(0, 80)}`);
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

test('no spread of an array into call arguments in src/', () => {
  const found = files(join(ROOT, 'src')).flatMap((f) =>
    spreadCalls(relative(ROOT, f), readFileSync(f, 'utf8')),
  );
  assert.deepEqual(found, [], `spread into call arguments:\n${found.join('\n')}`);
});

test('the spread check finds what it forbids and lets a rest parameter through', () => {
  const text = `const m = Math.min(...values);
out.push(...rows.map((r) => r.id));
new Set(...xs);
function f(...args: number[]) { return g(...args); }`;
  assert.deepEqual(
    spreadCalls('x.ts', text).map((l) => l.split(':')[1]),
    ['1', '2', '3'],
  );
});
