// Silhouette and Ward against scikit-learn: time and peak extra memory, measured in the same run.
// Usage: node --import tsx bench/scaling.ts [--ward100k]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { resolveThreads } from '../src/parallel/team.js';
import { fmt, hasSklearn, makeBlobs, runPython } from './common.js';

const here = import.meta.dirname;
const threads = resolveThreads('auto');
const sk = hasSklearn();

function child(task: string, n: number, t: number): { ms: number; value: number; peakMB: number } {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(here, 'child.ts'), task, String(n), String(t)],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const rows: string[] = [
  '| benchmark | segmint | scikit-learn | time ratio (goal) | peak extra memory segmint / sklearn (goal) | check |',
  '|---|---|---|---|---|---|',
];

{
  const n = 30_000;
  const ours = child('silhouette', n, threads);
  const X = makeBlobs(n, 8, 8, 4);
  const labels = Float64Array.from({ length: n }, (_, i) => i % 8);
  const ref = sk
    ? runPython(
        `from sklearn.metrics import silhouette_score
import resource
X = np.fromfile(P['X']).reshape(-1, 8); l = np.fromfile(P['l']).astype(int)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter(); s = silhouette_score(X, l); dt = time.perf_counter() - t
print(json.dumps({'ms': dt*1000, 'value': s, 'peakMB': (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base)/1024}))`,
        { X: X.data, l: labels },
      )
    : null;
  rows.push(
    `| exact silhouette ${n.toLocaleString('en-US')} x 8 (${threads} threads) | ${fmt(ours.ms)} | ${ref ? fmt(ref.ms) : 'n/a'} | ${ref ? (ours.ms / ref.ms).toFixed(2) : 'n/a'} (≤ 0.25) | ${ours.peakMB.toFixed(0)} MB / ${ref ? ref.peakMB.toFixed(0) : '?'} MB (< 256 MB) | value ${ours.value.toPrecision(10)}${ref ? ` vs ${ref.value.toPrecision(10)}` : ''} |`,
  );
}

{
  const n = 20_000;
  const ours = child('ward', n, 1);
  const X = makeBlobs(n, 8, 8, 4);
  const ref = sk
    ? runPython(
        `from scipy.cluster.hierarchy import linkage
from sklearn.cluster import AgglomerativeClustering
import resource
X = np.fromfile(P['X']).reshape(-1, 8)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter(); m = AgglomerativeClustering(8, linkage='ward').fit(X); dt = time.perf_counter() - t
peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base)/1024
Z = linkage(X, 'ward')
print(json.dumps({'ms': dt*1000, 'peakMB': peak, 'value': Z[-1, 2]}))`,
        { X: X.data },
      )
    : null;
  rows.push(
    `| Ward 20,000 x 8 (1 thread) | ${fmt(ours.ms)} | ${ref ? fmt(ref.ms) : 'n/a'} | ${ref ? (ours.ms / ref.ms).toFixed(2) : 'n/a'} (≤ 1) | ${ours.peakMB.toFixed(0)} MB / ${ref ? ref.peakMB.toFixed(0) : '?'} MB (≤ 0.1x) | top merge height ${ours.value.toPrecision(10)}${ref ? ` vs SciPy ${ref.value.toPrecision(10)}` : ''} |`,
  );
}

if (process.argv.includes('--ward100k')) {
  const ours = child('ward', 100_000, 1);
  rows.push(
    `| Ward 100,000 x 8 (1 thread) | ${fmt(ours.ms)} | not run (needs ~40 GB) | (< 5 min) | ${ours.peakMB.toFixed(0)} MB (< 2 GB) | top merge height ${ours.value.toPrecision(10)} |`,
  );
}

console.log(rows.join('\n'));
if (!sk)
  console.log(
    '\nscikit-learn is not installed here (apt-get install python3-sklearn python3-scipy): no reference figures.',
  );
