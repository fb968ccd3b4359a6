import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { recipeReference } from '../../src/config/docs.js';
import { ERROR_CODES } from '../../src/core/errors.js';
import { ROOT } from '../helpers.js';

// A hint that tells the user to set a recipe key names a key the recipe has (KERNEL_MEMORY once
// said "cluster.sample", which does not exist).
const KEY =
  /\b(?:cluster|prep|window|cleaning|output|explain|engine|drift|clv|dictionary)\.[A-Za-z][A-Za-z.]*[A-Za-z]/g;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('every recipe key a hint names is a key of the recipe reference', () => {
  const ref = recipeReference();
  const named: { where: string; key: string }[] = [];
  for (const [code, e] of Object.entries(ERROR_CODES))
    for (const key of e.hint.match(KEY) ?? []) named.push({ where: code, key });
  for (const f of files(join(ROOT, 'src'))) {
    const lines = readFileSync(f, 'utf8').split('\n');
    for (const [i, line] of lines.entries()) {
      // A hint's line, or the line after a hint that starts a value or a function on the next line.
      if (!/hint/.test(line) && !/hint\b.*(:|=>)\s*$/.test(lines[i - 1] ?? '')) continue;
      // What a template computes is code, not words the user reads.
      const words = line.replace(/\$\{[^}]*\}/g, '');
      for (const key of words.match(KEY) ?? [])
        named.push({ where: `${f.slice(ROOT.length + 1)}:${i + 1}`, key });
    }
  }
  assert.ok(named.length >= 5, 'hints name recipe keys');
  const missing = named.filter((n) => !ref.includes(`\`${n.key}\``));
  assert.deepEqual(missing, []);
});
