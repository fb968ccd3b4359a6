// CART on 1,000,000 x 8, depth 4: our histogram splitter against scikit-learn's
// DecisionTreeClassifier on the same data, in the same run (goal: at most 0.2x its time).
// Usage: node --import tsx bench/tree.ts
import { createMatrix } from '../src/core/matrix.js';
import { createRng, randNormal } from '../src/core/rng.js';
import { fitTree, predictTree, TREE_DEFAULTS } from '../src/explain/tree.js';
import { hasSklearn, report, runPython, time } from './common.js';

const n = 1_000_000;
const d = 8;
const rng = createRng(9);
const X = createMatrix(n, d);
const y = new Int32Array(n);
for (let i = 0; i < n; i++) {
  for (let t = 0; t < d; t++)
    X.data[i * d + t] = Math.round(1000 * (randNormal(rng) + (t < 3 ? (i % 4) * 0.6 : 0))) / 1000;
  y[i] = i % 4;
}
const ours = time(() => fitTree(X, y, 4, { ...TREE_DEFAULTS, maxDepth: 4, splitter: 'hist', bins: 256 }));
const pred = predictTree(ours.value, X);
let acc = 0;
for (let i = 0; i < n; i++) if (pred[i] === y[i]) acc++;
const ref = hasSklearn()
  ? runPython(
      `from sklearn.tree import DecisionTreeClassifier
X = np.fromfile(P['X']).reshape(-1, ${d}); y = np.fromfile(P['y']).astype(int)
t = time.perf_counter(); m = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y); dt = time.perf_counter() - t
print(json.dumps({'ms': dt * 1000, 'acc': float((m.predict(X) == y).mean())}))`,
      { X: X.data, y: Float64Array.from(y) },
    )
  : null;
report([
  {
    name: 'CART 1,000,000 x 8, depth 4 (histogram splitter, 256 bins)',
    segmint: ours.ms,
    reference: ref?.ms ?? null,
    goal: 0.2,
    quality: `training accuracy ${(acc / n).toFixed(4)}${ref ? ` vs ${ref.acc.toFixed(4)} (exact search)` : ''}`,
  },
]);
