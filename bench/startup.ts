// Start-up of the CLI: `segmint --version` and `--help` as whole processes (the built dist/), against
// a bare `node -e 0` measured in the same run. Goal: under 150 ms (issue "One pipeline").
// Usage: npm run build && node --import tsx bench/startup.ts
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fmt } from './common.js';

const bin = join(import.meta.dirname, '..', 'dist', 'cli', 'bin.js');
if (!existsSync(bin)) throw new Error('build first: npm run build');
const median = (args: string[], runs = 15) => {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    ms.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(r.stderr);
  }
  return ms.sort((a, b) => a - b)[Math.floor(runs / 2)];
};
const node = median(['-e', '0']);
console.log('| command | median of 15 | bare node -e 0 | over node | goal |');
console.log('|---|---|---|---|---|');
for (const args of [['--version'], ['--help'], ['run', '--help']]) {
  const ms = median([bin, ...args]);
  console.log(
    `| segmint ${args.join(' ')} | ${fmt(ms)} | ${fmt(node)} | +${fmt(ms - node)} | < 150 ms${ms >= 150 ? ' (MISSES GOAL)' : ''} |`,
  );
}
