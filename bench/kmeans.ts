// k-means benchmarks against scikit-learn on the same data, measured in the same run.
// Usage: node --import tsx bench/kmeans.ts [--quick]
import { activeKernels } from '../src/kernels/kernels.js';
import { fitKMeans } from '../src/parallel/api.js';
import { resolveThreads } from '../src/parallel/team.js';
import { fmt, hasSklearn, makeBlobs, report, runPython, time } from './common.js';

const quick = process.argv.includes('--quick');
const threads = resolveThreads('auto');
const sk = hasSklearn();
const rows: Parameters<typeof report>[0] = [];
const best = <T>(runs: number, f: () => T) => {
  let b: { value: T; ms: number } | null = null;
  for (let i = 0; i < runs; i++) {
    const r = time(f);
    if (!b || r.ms < b.ms) b = r;
  }
  return b!;
};
// Warm the team's workers (started on first use) so the timings measure the work.
fitKMeans(makeBlobs(50_000, 8, 8, 5), { k: 8, nInit: 2, maxIter: 5, tol: 1e-4, seed: 0 });

// 1. One Lloyd run to convergence from the same initial centres: 1,000,000 x 8, k = 8.
{
  const n = quick ? 200_000 : 1_000_000;
  const X = makeBlobs(n, 8, 8, 1);
  const init = Float64Array.from(X.data.subarray(0, 64));
  const params = { k: 8, nInit: 1, maxIter: 300, tol: 1e-4, seed: 0, init };
  const ours = best(3, () => fitKMeans(X, params));
  const one = best(3, () => fitKMeans(X, { ...params, threads: 1 }));
  // The memory-bandwidth limit of one pass: a 64 MB copy reads and writes the matrix once each.
  const copy = new Float64Array(X.data.length);
  const bw = best(5, () => copy.set(X.data));
  const passLimit = bw.ms / 2;
  const ref = sk
    ? runPython(
        `from sklearn.cluster import KMeans
X = np.fromfile(P['X']).reshape(-1, 8); init = np.fromfile(P['init']).reshape(8, 8)
best = None
for _ in range(3):
    t = time.perf_counter(); km = KMeans(8, init=init, n_init=1, algorithm='lloyd', tol=1e-4, max_iter=300).fit(X); dt = time.perf_counter() - t
    best = dt if best is None else min(best, dt)
print(json.dumps({'ms': best * 1000, 'inertia': km.inertia_, 'n_iter': km.n_iter_}))`,
        { X: X.data, init },
      )
    : null;
  const m = ours.value.model;
  const rel = ref ? Math.abs(m.inertia - ref.inertia) / ref.inertia : null;
  const passes = m.nIter + 1;
  rows.push({
    name: `k-means ${n.toLocaleString('en-US')} x 8, k = 8, one run from the same centres (${threads} threads, ${activeKernels()})`,
    segmint: ours.ms,
    reference: ref?.ms ?? null,
    goal: 0.5,
    quality: `inertia ${m.inertia.toPrecision(12)}${rel !== null ? `, rel. diff ${rel.toExponential(1)}, iterations ${m.nIter} vs ${ref!.n_iter}` : ''}; ${fmt(ours.ms / passes)} per pass vs memory limit ${passLimit.toFixed(1)} ms (${(ours.ms / passes / passLimit).toFixed(1)}x)`,
  });
  rows.push({
    name: 'same, one thread',
    segmint: one.ms,
    reference: ref?.ms ?? null,
    goal: 1,
    quality: `inertia equal to the threaded run: ${one.value.model.inertia === m.inertia}`,
  });
}

// 2. k-means++ with 10 restarts: 100,000 x 8, k = 8.
{
  const X = makeBlobs(100_000, 8, 8, 2);
  const params = { k: 8, nInit: 10, maxIter: 300, tol: 1e-4, seed: 1 };
  const ours = best(3, () => fitKMeans(X, params));
  const ref = sk
    ? runPython(
        `from sklearn.cluster import KMeans
X = np.fromfile(P['X']).reshape(-1, 8)
best = None
for _ in range(3):
    t = time.perf_counter(); km = KMeans(8, init='k-means++', n_init=10, algorithm='lloyd', random_state=0).fit(X); dt = time.perf_counter() - t
    best = dt if best is None else min(best, dt)
print(json.dumps({'ms': best * 1000, 'inertia': km.inertia_}))`,
        { X: X.data },
      )
    : null;
  rows.push({
    name: `k-means++ 100,000 x 8, k = 8, nInit = 10 (${threads} threads, ${activeKernels()})`,
    segmint: ours.ms,
    reference: ref?.ms ?? null,
    goal: 0.5,
    quality: `inertia ${ours.value.model.inertia.toPrecision(8)}${ref ? ` vs ${ref.inertia.toPrecision(8)}` : ''}`,
  });
  const one = best(3, () => fitKMeans(X, { ...params, threads: 1 }));
  rows.push({
    name: 'same, one thread',
    segmint: one.ms,
    reference: ref?.ms ?? null,
    goal: 1,
    quality: `inertia ${one.value.model.inertia.toPrecision(8)}`,
  });
}

report(rows);
if (!sk)
  console.log('\nscikit-learn is not installed here (apt-get install python3-sklearn): no reference times.');
