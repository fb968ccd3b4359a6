// Runs one measured task in a fresh process so its peak memory is its own.
// Usage: node --import tsx bench/child.ts <task> <n> [threads]; prints one JSON line.
import { linkage } from '../src/cluster/hierarchical.js';
import { takeRows } from '../src/core/matrix.js';
import { silhouetteScore } from '../src/parallel/api.js';
import { makeBlobs } from './common.js';

const [task, nArg, threadsArg] = process.argv.slice(2);
const n = Number(nArg);
const threads = Number(threadsArg ?? 1);
const X = makeBlobs(n, 8, 8, 4);
const labels = Int32Array.from({ length: n }, (_, i) => i % 8);
// Start the team's workers before measuring (they are kept for the process).
if (task === 'silhouette')
  silhouetteScore(
    takeRows(
      X,
      Int32Array.from({ length: 2000 }, (_, i) => i),
    ),
    labels.subarray(0, 2000),
    8,
    { threads },
  );
const base = process.resourceUsage().maxRSS;
const t0 = performance.now();
let value: number;
if (task === 'silhouette') value = silhouetteScore(X, labels, 8, { threads });
else if (task === 'ward') {
  const Z = linkage(
    takeRows(
      X,
      Int32Array.from({ length: n }, (_, i) => i),
    ),
    'ward',
  );
  value = Z[Z.length - 2];
} else throw new Error(`unknown task ${task}`);
const ms = performance.now() - t0;
const peakMB = (process.resourceUsage().maxRSS - base) / 1024;
console.log(JSON.stringify({ ms, value, peakMB }));
