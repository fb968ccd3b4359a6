// Mini-batch k-means against scikit-learn's MiniBatchKMeans on the same data, in the same run.
// Usage: node --import tsx bench/minibatch.ts
import { MINIBATCH_DEFAULTS } from '../src/cluster/minibatch.js';
import { activeKernels } from '../src/kernels/kernels.js';
import { fitMiniBatchKMeans } from '../src/parallel/api.js';
import { resolveThreads } from '../src/parallel/team.js';
import { hasSklearn, makeBlobs, report, runPython, time } from './common.js';

const threads = resolveThreads('auto');
const X = makeBlobs(1_000_000, 8, 8, 3);
// Warm the team's workers (started on first use).
fitMiniBatchKMeans(X, { k: 8, seed: 9, ...MINIBATCH_DEFAULTS, maxEpochs: 1 });
const runs = [];
for (const seed of [1, 2, 3])
  runs.push(time(() => fitMiniBatchKMeans(X, { k: 8, seed, ...MINIBATCH_DEFAULTS })));
const ms = runs.map((r) => r.ms).sort((a, b) => a - b)[1];
const inertia = runs.map((r) => r.value.model.inertia).sort((a, b) => a - b)[1];
const ref = hasSklearn()
  ? runPython(
      `from sklearn.cluster import MiniBatchKMeans
X = np.fromfile(P['X']).reshape(-1, 8)
ts, ins = [], []
for seed in [0, 1, 2]:
    t = time.perf_counter(); km = MiniBatchKMeans(8, n_init=3, random_state=seed).fit(X); ts.append(time.perf_counter() - t); ins.append(km.inertia_)
print(json.dumps({'ms': sorted(ts)[1] * 1000, 'inertia': sorted(ins)[1]}))`,
      { X: X.data },
    )
  : null;
report([
  {
    name: `mini-batch k-means 1,000,000 x 8, k = 8, median of 3 seeds (${threads} threads, ${activeKernels()})`,
    segmint: ms,
    reference: ref?.ms ?? null,
    goal: 1,
    quality: `full-data inertia ${inertia.toPrecision(8)}${ref ? ` vs ${ref.inertia.toPrecision(8)} (${(100 * (inertia / ref.inertia - 1)).toFixed(2)}%; goal ≤ +1%)` : ''}`,
  },
]);
