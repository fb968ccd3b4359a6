// A wide customer table (600 columns here; 1,500 in a 68 KB file took 3.5 GB before): inspect, init and run finish in bounded
// memory (the per-column summary went to 3.5 GB in one statement; the report's PCA took minutes
// and its heatmap overflowed Vega's stack). The report shows the 40 most separating features.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cleanup, cli, tempDir } from '../helpers.js';

const dir = tempDir();
after(() => cleanup(dir));

test('600 columns: inspect, init and run with the report', { timeout: 240_000 }, async () => {
  const cols = 600;
  const lines = [['customer_id', ...Array.from({ length: cols - 1 }, (_, i) => `c${i}`)].join(',')];
  for (let r = 0; r < 24; r++)
    lines.push(
      [String(r + 1), ...Array.from({ length: cols - 1 }, (_, i) => String((r * 7 + i * 13) % 10))].join(','),
    );
  const file = join(dir, 'wide.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const inspect = await cli(['inspect', file, '--json']);
  assert.equal(inspect.code, 0, inspect.err);
  assert.equal(JSON.parse(inspect.out).columns.length, cols);
  const recipe = join(dir, 'r.yaml');
  assert.equal((await cli(['init', file, '--out', recipe])).code, 0);
  const run = await cli(['run', recipe, '--json', '--quiet', '--set', `output.dir=${join(dir, 'out')}`]);
  assert.equal(run.code, 0, run.err + run.out);
  const html = readFileSync(join(JSON.parse(run.out).runDir, 'report.html'), 'utf8');
  assert.match(html, /The 40 numeric features that separate the segments most, of 59\d/);
  const peak = process.resourceUsage().maxRSS * 1024;
  assert.ok(peak < 2 * 1024 ** 3, `peak RSS ${(peak / 1024 ** 3).toFixed(2)} GB`);
});
