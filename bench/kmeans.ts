// k-means benchmarks against scikit-learn on the same data, measured in the same run.
// Usage: node --import tsx bench/kmeans.ts [--quick]
import { fitKMeans } from '../src/cluster/kmeans.js';
import { fitKMeansParallel, sharedMatrix } from '../src/parallel/kmeans.js';
import { resolveThreads, WorkerPool } from '../src/parallel/pool.js';
import { hasSklearn, makeBlobs, report, runPython, timeAsync } from './common.js';

const quick = process.argv.includes('--quick');
const threads = resolveThreads('auto');
const pool = threads > 1 ? WorkerPool.create(threads) : null;
const sk = hasSklearn();
const rows: Parameters<typeof report>[0] = [];

// 1. One Lloyd run to convergence from the same initial centres: 1,000,000 x 8, k = 8.
{
  const n = quick ? 200_000 : 1_000_000;
  const X = sharedMatrix(makeBlobs(n, 8, 8, 1));
  const init = Float64Array.from(X.data.subarray(0, 64));
  const ours = await timeAsync(() =>
    fitKMeansParallel(X, { k: 8, nInit: 1, maxIter: 300, tol: 1e-4, seed: 0, init }, pool),
  );
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
  const rel = ref ? Math.abs(ours.value.model.inertia - ref.inertia) / ref.inertia : null;
  rows.push({
    name: `k-means ${n.toLocaleString('en-US')} x 8, k = 8, one run from the same centres (${threads} threads)`,
    segmint: ours.ms,
    reference: ref?.ms ?? null,
    goal: 0.5,
    quality: `inertia ${ours.value.model.inertia.toPrecision(12)}${rel !== null ? `, rel. diff ${rel.toExponential(1)}, iterations ${ours.value.model.nIter} vs ${ref!.n_iter}` : ''}`,
  });
}

// 2. k-means++ with 10 restarts: 100,000 x 8, k = 8.
{
  const X = sharedMatrix(makeBlobs(100_000, 8, 8, 2));
  const ours = await timeAsync(() =>
    fitKMeansParallel(X, { k: 8, nInit: 10, maxIter: 300, tol: 1e-4, seed: 1 }, pool),
  );
  const ref = sk
    ? runPython(
        `from sklearn.cluster import KMeans
X = np.fromfile(P['X']).reshape(-1, 8)
t = time.perf_counter(); km = KMeans(8, init='k-means++', n_init=10, algorithm='lloyd', random_state=0).fit(X); dt = time.perf_counter() - t
print(json.dumps({'ms': dt * 1000, 'inertia': km.inertia_}))`,
        { X: X.data },
      )
    : null;
  rows.push({
    name: `k-means++ 100,000 x 8, k = 8, nInit = 10 (${threads} threads)`,
    segmint: ours.ms,
    reference: ref?.ms ?? null,
    goal: 0.5,
    quality: `inertia ${ours.value.model.inertia.toPrecision(8)}${ref ? ` vs ${ref.inertia.toPrecision(8)}` : ''}`,
  });
  const one = await timeAsync(async () =>
    fitKMeans(X, { k: 8, nInit: 10, maxIter: 300, tol: 1e-4, seed: 1 }),
  );
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
await pool?.close();
