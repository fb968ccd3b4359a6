import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fromRows } from '../../src/core/matrix.js';
import { treeText } from '../../src/explain/rules.js';
import { fitTree, predictTree, TREE_DEFAULTS, type TreeParams } from '../../src/explain/tree.js';
import { KERNEL_NAMES } from '../../src/kernels/kernel-set.js';
import { setKernels } from '../../src/kernels/kernels.js';
import { ROOT, sharedData } from '../helpers.js';

const goldens = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'goldens.json'), 'utf8'));
const iris = goldens.cases.iris_k3.X as number[][];
const irisY = Int32Array.from({ length: 150 }, (_, i) => Math.floor(i / 50));

interface Golden {
  params: Record<string, unknown>;
  left: number[];
  right: number[];
  feature: number[];
  threshold: number[];
  impurity: number[];
  n_node_samples: number[];
  weighted_n_node_samples: number[];
  value: number[][];
  predict: number[];
}

function toParams(p: Record<string, unknown>): TreeParams {
  return {
    ...TREE_DEFAULTS,
    maxDepth: (p.max_depth as number) ?? 1e9,
    criterion: (p.criterion as 'gini' | 'entropy') ?? 'gini',
    minSamplesLeaf: (p.min_samples_leaf as number) ?? 1,
    classWeight: (p.class_weight as 'balanced') ?? null,
    ccpAlpha: (p.ccp_alpha as number) ?? 0,
    splitter: 'exact',
  };
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

/**
 * Same structure, split features and thresholds, node sizes, impurities and values as scikit-learn,
 * which fits on float32 copies of the features: we give the tree the same float32 values.
 */
function assertSameTree(rows64: number[][], y: Int32Array, g: Golden, label: string) {
  const rows = rows64.map((r) => r.map(Math.fround));
  const t = fitTree(fromRows(rows), y, 1 + Math.max(...y), toParams(g.params));
  assert.deepEqual(t.left, g.left, `${label}: left children`);
  assert.deepEqual(t.right, g.right, `${label}: right children`);
  assert.deepEqual(t.feature, g.feature, `${label}: features`);
  t.threshold.forEach((v, i) => {
    assert.ok(close(v, g.threshold[i]), `${label}: threshold ${i} ${v} vs ${g.threshold[i]}`);
  });
  assert.deepEqual(t.nSamples, g.n_node_samples, `${label}: node sizes`);
  t.impurity.forEach((v, i) => {
    assert.ok(close(v, g.impurity[i]), `${label}: impurity ${i}`);
  });
  t.weightedNSamples.forEach((v, i) => {
    assert.ok(close(v, g.weighted_n_node_samples[i]), `${label}: weighted size ${i}`);
  });
  g.value.flat().forEach((v, i) => {
    assert.ok(close(t.value[i], v), `${label}: value ${i}`);
  });
  assert.deepEqual(Array.from(predictTree(t, fromRows(rows))), g.predict, `${label}: predictions`);
}

// On both kernel sets (the histogram splitter's binning and histograms are kernels).
for (const kernels of KERNEL_NAMES)
  describe(`CART decision tree against scikit-learn, ${kernels} kernels`, () => {
    before(() => setKernels(kernels));
    after(() => setKernels('auto'));
    test('iris, depth 2 (the documented export_text tree)', () => {
      const g = goldens.trees.iris_depth2 as Golden;
      assertSameTree(iris, irisY, g, 'iris depth 2');
      assert.equal(g.feature[0], 3, 'root splits on petal width');
      const t = fitTree(fromRows(iris.map((r) => r.map(Math.fround))), irisY, 3, toParams(g.params));
      const names = ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'];
      assert.equal(
        treeText(t, names, ['0', '1', '2']),
        (goldens.trees.iris_depth2 as { text: string }).text,
        'export_text, character for character',
      );
    });
    test('iris, entropy, depth 3, at least 5 per leaf', () =>
      assertSameTree(iris, irisY, goldens.trees.iris_entropy_depth3_leaf5, 'entropy'));
    test('iris, full depth with cost-complexity pruning (ccp_alpha 0.02)', () =>
      assertSameTree(iris, irisY, goldens.trees.iris_full_ccp, 'ccp'));
    test('iris subset with balanced class weights', () =>
      assertSameTree(iris.slice(20), irisY.slice(20), goldens.trees.iris_balanced_subset, 'balanced'));

    test('marketing campaign: Response from spend and visits, balanced, entropy, depth 4', (t) => {
      const dir = sharedData(t, 'marketing_campaign');
      if (!dir) return;
      const g = goldens.trees.marketing_campaign as Golden & { columns: string[]; ids: string[] };
      const lines = readFileSync(join(dir, 'marketing_campaign.csv'), 'utf8').trim().split(/\r?\n/);
      const header = lines[0].split('\t');
      const byId = new Map(lines.slice(1).map((l) => [l.split('\t')[0], l.split('\t')]));
      const rows = g.ids.map((id) => g.columns.map((c) => Number(byId.get(id)![header.indexOf(c)])));
      const y = Int32Array.from(g.ids, (id) => Number(byId.get(id)![header.indexOf('Response')]));
      assertSameTree(rows, y, g, 'marketing');
    });

    test('histogram splitter: the same tree as the exact search when every value has its own bin', () => {
      const rows = Array.from({ length: 3000 }, (_, i) => [i % 40, (i * 7) % 13, (i * 11) % 50]);
      const y = Int32Array.from(rows, (r) => (r[0] >= 20 && r[2] < 30 ? 1 : r[1] > 8 ? 2 : 0));
      const X = fromRows(rows);
      const exact = fitTree(X, y, 3, { ...TREE_DEFAULTS, maxDepth: 4, splitter: 'exact' });
      const hist = fitTree(X, y, 3, { ...TREE_DEFAULTS, maxDepth: 4, splitter: 'hist', bins: 64 });
      assert.deepEqual(hist, exact);
      // With fewer bins than values it still separates the classes well.
      const coarse = fitTree(X, y, 3, { ...TREE_DEFAULTS, maxDepth: 4, splitter: 'hist', bins: 8 });
      const pred = predictTree(coarse, X);
      let ok = 0;
      for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) ok++;
      assert.ok(ok / y.length > 0.9, `${ok / y.length}`);
    });
  });
