import type { Matrix } from '../core/matrix.js';
import { kernelContext } from '../kernels/kernels.js';

/** CART parameters, named as scikit-learn's DecisionTreeClassifier. */
export interface TreeParams {
  criterion: 'gini' | 'entropy';
  maxDepth: number;
  minSamplesLeaf: number;
  minSamplesSplit: number;
  minImpurityDecrease: number;
  classWeight: 'balanced' | null;
  /** Cost-complexity pruning strength (scikit-learn's ccp_alpha); 0 keeps the full tree. */
  ccpAlpha: number;
  /** exact: sort-based search over every distinct value; hist: at most `bins` quantile thresholds per feature; auto: hist above 100,000 rows. */
  splitter: 'auto' | 'exact' | 'hist';
  bins: number;
  /** Seed of the feature order (scikit-learn's rand_r state); ties between features go to the first drawn. */
  randomState: number;
}

export const TREE_DEFAULTS: TreeParams = {
  criterion: 'gini',
  maxDepth: 3,
  minSamplesLeaf: 1,
  minSamplesSplit: 2,
  minImpurityDecrease: 0,
  classWeight: null,
  ccpAlpha: 0,
  splitter: 'auto',
  bins: 256,
  randomState: 209652396,
};

/**
 * A fitted tree as parallel arrays (as scikit-learn's tree_): node i splits on feature[i] at
 * threshold[i] (x <= threshold goes left); leaves have left = right = -1 and feature = -2. value
 * holds the weighted class counts of each node (nodes x classes, row-major).
 */
export interface Tree {
  kind: 'segmint.tree';
  nClasses: number;
  nFeatures: number;
  left: number[];
  right: number[];
  feature: number[];
  threshold: number[];
  impurity: number[];
  nSamples: number[];
  weightedNSamples: number[];
  value: number[];
}

/** A tree with no nodes yet. */
const emptyTree = (nClasses: number, nFeatures: number): Tree => ({
  kind: 'segmint.tree',
  nClasses,
  nFeatures,
  left: [],
  right: [],
  feature: [],
  threshold: [],
  impurity: [],
  nSamples: [],
  weightedNSamples: [],
  value: [],
});

const FEATURE_THRESHOLD = 1e-7;
/** Rows per kernel call in the long loops (V8 tiers a WebAssembly function up between calls). */
const KERNEL_PIECE = 65536;
const EPSILON = Number.EPSILON;

function impurityOf(counts: Float64Array, total: number, criterion: TreeParams['criterion']): number {
  if (total <= 0) return 0;
  let s = 0;
  if (criterion === 'gini') {
    for (const c of counts) s += c * c;
    return 1 - s / (total * total);
  }
  for (const c of counts) {
    if (c > 0) {
      const p = c / total;
      s -= p * (Math.log(p) / Math.LN2);
    }
  }
  return s;
}

/**
 * scikit-learn's proxy for the impurity improvement of a split, cheaper than the real one and
 * ordered the same: for gini the sum of squared class weights over each side's weight, for entropy
 * minus each side's weight times its entropy.
 */
function proxyImprovement(
  criterion: TreeParams['criterion'],
  left: Float64Array,
  right: Float64Array,
  wl: number,
  wr: number,
): number {
  if (criterion === 'gini') {
    let sl = 0;
    let sr = 0;
    for (let c = 0; c < left.length; c++) {
      sl += left[c] * left[c];
      sr += right[c] * right[c];
    }
    return sl / wl + sr / wr;
  }
  return -wr * impurityOf(right, wr, 'entropy') - wl * impurityOf(left, wl, 'entropy');
}

/** Balanced class weights: n / (classes x count), as scikit-learn's compute_class_weight. */
export function balancedWeights(y: Int32Array, nClasses: number): Float64Array {
  const counts = new Float64Array(nClasses);
  for (const c of y) counts[c]++;
  const present = counts.filter((c) => c > 0).length;
  return Float64Array.from(counts, (c) => (c > 0 ? y.length / (present * c) : 0));
}

interface Split {
  feature: number;
  threshold: number;
  /** Position in the node's sample range where the right child starts. */
  pos: number;
  improvement: number;
  /** Histogram splits: the last bin on the left, when the threshold separates the bins exactly. */
  bin: number;
}

/**
 * Fits a CART classification tree, depth first and left child first as scikit-learn numbers its
 * nodes. The exact splitter tries the midpoint between each pair of consecutive distinct values
 * (features tried in index order; the first best wins); the histogram splitter tries only the
 * midpoints between consecutive quantile bin edges, for large n.
 */
export function fitTree(X: Matrix, y: Int32Array, nClasses: number, p: TreeParams): Tree {
  const { rows: n, cols: d, data } = X;
  const cw = p.classWeight === 'balanced' ? balancedWeights(y, nClasses) : new Float64Array(nClasses).fill(1);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = cw[y[i]];
  const hist = p.splitter === 'hist' || (p.splitter === 'auto' && n > 100_000);
  // The histogram splitter's arrays live in the kernel memory: the binning and the per-node
  // histograms are WebAssembly SIMD kernels (TypeScript twins where that is missing).
  const { mem, kernels } = kernelContext();
  const nbMax = Math.min(256, Math.max(2, p.bins));
  const ptrs: number[] = [];
  const take = (bytes: number) => {
    const q = mem.alloc(bytes);
    ptrs.push(q);
    return q;
  };
  const samplesPtr = take(n * 4);
  const yPtr = hist ? take(n * 4) : 0;
  const wPtr = hist ? take(n * 8) : 0;
  const countsPtr = hist ? take(nbMax * nClasses * 8) : 0;
  const weightsPtr = hist ? take(nbMax * 8) : 0;
  const rowsPtr = hist ? take(nbMax * 4) : 0;
  try {
    return fitWith();
  } finally {
    for (const q of ptrs) mem.release(q);
  }

  function fitWith(): Tree {
    const binned = hist ? binFeatures(X, p.bins) : null;
    if (binned) {
      mem.i32(yPtr, n).set(y);
      mem.f64(wPtr, n).set(w);
    }
    const samples = mem.i32(samplesPtr, n);
    for (let i = 0; i < n; i++) samples[i] = i;
    const histCounts = binned ? mem.f64(countsPtr, nbMax * nClasses) : null;
    const histW = binned ? mem.f64(weightsPtr, nbMax) : null;
    const histN = binned ? mem.i32(rowsPtr, nbMax) : null;
    const right = new Int32Array(n);
    const tree = emptyTree(nClasses, d);
    let totalW = 0;
    for (let i = 0; i < n; i++) totalW += w[i];
    // The exact splitter's sort buffers (the histogram splitter needs none).
    const vals = new Float64Array(hist ? 0 : n);
    const order = new Int32Array(hist ? 0 : n);
    const leftC = new Float64Array(nClasses);
    const rightC = new Float64Array(nClasses);

    const addNode = (counts: Float64Array, m: number, wm: number, imp: number): number => {
      const id = tree.left.length;
      tree.left.push(-1);
      tree.right.push(-1);
      tree.feature.push(-2);
      tree.threshold.push(-2);
      tree.impurity.push(imp);
      tree.nSamples.push(m);
      tree.weightedNSamples.push(wm);
      for (const c of counts) tree.value.push(c);
      return id;
    };

    // Feature order as scikit-learn's BestSplitter draws it: a persistent permutation of the features,
    // shuffled by its xorshift generator (our_rand_r) while known-constant features are skipped. With
    // the same seed (randomState) the same feature wins a tie.
    const features = Int32Array.from({ length: d }, (_, i) => i);
    const constantFeatures = new Int32Array(d);
    let randState = p.randomState >>> 0;
    const randInt = (low: number, high: number): number => {
      if (randState === 0) randState = 1;
      randState = (randState ^ (randState << 13)) >>> 0;
      randState = (randState ^ (randState >>> 17)) >>> 0;
      randState = (randState ^ (randState << 5)) >>> 0;
      return low + ((randState % 0x80000000) % (high - low));
    };

    const bestSplit = (
      start: number,
      end: number,
      counts: Float64Array,
      wm: number,
      imp: number,
      nConstIn: number,
    ): { split: Split | null; nConst: number } => {
      let best: Split | null = null;
      let bestProxy = Number.NEGATIVE_INFINITY;
      const m = end - start;
      let nVisited = 0;
      let nFound = 0;
      let nDrawn = 0;
      const nKnown = nConstIn;
      let nTotal = nKnown;
      let fi = d;
      // A feature found constant in this node joins the known-constant ones at the front.
      const constant = (fj: number, f: number) => {
        features[fj] = features[nTotal];
        features[nTotal] = f;
        nFound++;
        nTotal++;
      };
      // A feature about to be searched moves behind the ones still to draw; the search starts with
      // every row on the right.
      const visited = (fj: number, f: number) => {
        fi--;
        features[fj] = features[fi];
        features[fi] = f;
        leftC.fill(0);
        rightC.set(counts);
      };
      // Whether the split with these side weights (classes in leftC/rightC) beats the best so far.
      const better = (wl: number, wr: number) => {
        const proxy = proxyImprovement(p.criterion, leftC, rightC, wl, wr);
        if (!(proxy > bestProxy)) return false;
        bestProxy = proxy;
        return true;
      };
      const keep = (f: number, threshold: number, pos: number, wl: number, wr: number, bin = -1) => {
        const il = impurityOf(leftC, wl, p.criterion);
        const ir = impurityOf(rightC, wr, p.criterion);
        best = {
          bin,
          feature: f,
          threshold,
          pos,
          improvement: (wm / totalW) * (imp - (wr / wm) * ir - (wl / wm) * il),
        };
      };
      while (fi > nTotal && (nVisited < d || nVisited <= nFound + nDrawn)) {
        nVisited++;
        let fj = randInt(nDrawn, fi - nFound);
        if (fj < nKnown) {
          const t = features[nDrawn];
          features[nDrawn] = features[fj];
          features[fj] = t;
          nDrawn++;
          continue;
        }
        fj += nFound;
        const f = features[fj];
        if (binned && histCounts && histW && histN) {
          // Histogram search: class weights per bin of this feature, then one scan over the bins.
          const nb = binned.hi[f].length;
          // In pieces, so V8 switches to the optimised kernel early (it does so between calls).
          for (let a = start; a === start || a < end; a += KERNEL_PIECE)
            kernels.histogram(
              binned.codes + f * n,
              yPtr,
              wPtr,
              samplesPtr,
              a,
              Math.min(end, a + KERNEL_PIECE),
              nClasses,
              nb,
              countsPtr,
              weightsPtr,
              rowsPtr,
              a === start ? 1 : 0,
            );
          let first = -1;
          let last = -1;
          for (let b = 0; b < nb; b++) {
            if (histN[b]) {
              if (first < 0) first = b;
              last = b;
            }
          }
          if (first === last) {
            constant(fj, f);
            continue;
          }
          visited(fj, f);
          let wl = 0;
          let wr = wm;
          let nl = 0;
          for (let b = first; b < last; b++) {
            if (!histN[b]) continue;
            for (let c = 0; c < nClasses; c++) {
              leftC[c] += histCounts[b * nClasses + c];
              rightC[c] -= histCounts[b * nClasses + c];
            }
            wl += histW[b];
            wr -= histW[b];
            nl += histN[b];
            if (nl < p.minSamplesLeaf || m - nl < p.minSamplesLeaf) continue;
            if (better(wl, wr)) {
              let next = b + 1;
              while (!histN[next]) next++;
              const threshold = binned.hi[f][b] / 2 + binned.lo[f][next] / 2;
              // x <= threshold is code <= b unless rounding put the threshold on the next bin's lo.
              keep(f, threshold, start + nl, wl, wr, threshold < binned.lo[f][next] ? b : -1);
            }
          }
          continue;
        }
        for (let i = start; i < end; i++) order[i] = samples[i];
        const ord = order.subarray(start, end);
        ord.sort((a, b) => data[a * d + f] - data[b * d + f] || a - b);
        for (let i = start; i < end; i++) vals[i] = data[order[i] * d + f];
        if (vals[end - 1] <= vals[start] + FEATURE_THRESHOLD) {
          constant(fj, f);
          continue;
        }
        visited(fj, f);
        let wl = 0;
        let wr = wm;
        let q = start;
        while (q < end) {
          // Move q to the first row of the next distinct value, adding the rows passed to the left.
          do {
            const s = order[q];
            leftC[y[s]] += w[s];
            rightC[y[s]] -= w[s];
            wl += w[s];
            wr -= w[s];
            q++;
          } while (q < end && vals[q] <= vals[q - 1] + FEATURE_THRESHOLD);
          if (q >= end) break;
          const nl = q - start;
          if (nl < p.minSamplesLeaf || m - nl < p.minSamplesLeaf) continue;
          if (better(wl, wr)) {
            let threshold = vals[q - 1] / 2 + vals[q] / 2;
            if (threshold === vals[q] || !Number.isFinite(threshold)) threshold = vals[q - 1];
            keep(f, threshold, q, wl, wr);
          }
        }
      }
      // Constant features stay at the front, in their order, for the children.
      features.set(constantFeatures.subarray(0, nKnown), 0);
      constantFeatures.set(features.subarray(nKnown, nKnown + nFound), nKnown);
      return { split: best, nConst: nTotal };
    };

    // Depth-first, left child first: a stack of nodes to expand.
    const stack: {
      start: number;
      end: number;
      depth: number;
      parent: number;
      isLeft: boolean;
      nConst: number;
    }[] = [{ start: 0, end: n, depth: 0, parent: -1, isLeft: false, nConst: 0 }];
    while (stack.length) {
      const { start, end, depth, parent, isLeft, nConst } = stack.pop()!;
      const counts = new Float64Array(nClasses);
      let wm = 0;
      for (let i = start; i < end; i++) {
        counts[y[samples[i]]] += w[samples[i]];
        wm += w[samples[i]];
      }
      const m = end - start;
      const imp = impurityOf(counts, wm, p.criterion);
      const id = addNode(counts, m, wm, imp);
      if (parent >= 0) {
        if (isLeft) tree.left[parent] = id;
        else tree.right[parent] = id;
      }
      const isLeaf =
        depth >= p.maxDepth || m < p.minSamplesSplit || m < 2 * p.minSamplesLeaf || imp <= EPSILON;
      if (isLeaf) continue;
      const { split, nConst: childConst } = bestSplit(start, end, counts, wm, imp, nConst);
      if (!split || split.improvement + EPSILON < p.minImpurityDecrease) continue;
      // Partition the node's samples: x <= threshold to the left, keeping index order on each side.
      let nLeft = 0;
      let nRight = 0;
      if (binned && split.bin >= 0) {
        // By the bin codes (one byte a row, the feature's own column): the same sides.
        const codes = mem.u8(binned.codes + split.feature * n, n);
        const last = split.bin;
        for (let i = start; i < end; i++) {
          const s = samples[i];
          if (codes[s] <= last) samples[start + nLeft++] = s;
          else right[nRight++] = s;
        }
      } else {
        for (let i = start; i < end; i++) {
          const s = samples[i];
          if (data[s * d + split.feature] <= split.threshold) samples[start + nLeft++] = s;
          else right[nRight++] = s;
        }
      }
      samples.set(right.subarray(0, nRight), start + nLeft);
      if (!nLeft || !nRight) continue;
      tree.feature[id] = split.feature;
      tree.threshold[id] = split.threshold;
      const mid = start + nLeft;
      stack.push({ start: mid, end, depth: depth + 1, parent: id, isLeft: false, nConst: childConst });
      stack.push({ start, end: mid, depth: depth + 1, parent: id, isLeft: true, nConst: childConst });
    }
    if (binned) mem.release(binned.codes);
    return p.ccpAlpha > 0 ? pruneTree(tree, p.ccpAlpha, totalW) : tree;
  }
}

/**
 * Bins each feature once for the histogram splitter: a feature with at most `bins` distinct values
 * gets a bin per value (so the search is exact); otherwise bins hold about equal numbers of rows and
 * never split a value. lo/hi are each bin's smallest and largest value, so a threshold halfway
 * between one bin's hi and the next bin's lo separates exactly the bins. The codes (n bytes per
 * feature, feature after feature) are in the kernel memory at `codes`; release it when done.
 */
export function binFeatures(
  X: Matrix,
  bins: number,
): { codes: number; lo: Float64Array[]; hi: Float64Array[] } {
  const { rows: n, cols: d, data } = X;
  const maxBins = Math.min(256, Math.max(2, bins));
  const { mem, kernels } = kernelContext();
  const codes = mem.alloc(Math.max(1, n * d));
  const colPtr = mem.alloc(n * 8);
  const upPtr = mem.alloc(maxBins * 8);
  const loPtr = mem.alloc(maxBins * 8);
  const hiPtr = mem.alloc(maxBins * 8);
  const sampleMax = Math.ceil(n / Math.max(1, Math.floor(n / 200_000)));
  const samplePtr = mem.alloc(sampleMax * 8);
  const sortPtr = mem.alloc(sampleMax * 8 + 2048 * 4);
  const lo: Float64Array[] = [];
  const hi: Float64Array[] = [];
  try {
    const col = mem.f64(colPtr, n);
    for (let f = 0; f < d; f++) {
      for (let i = 0; i < n; i++) col[i] = data[i * d + f];
      // Upper bounds of the bins. Few distinct values: one bin each (exact). Many: quantiles of an
      // evenly strided sample of at most 200,000 values, which bins a million rows without sorting them.
      const seen = new Set<number>();
      for (let i = 0; i < n && seen.size <= maxBins; i++) seen.add(col[i]);
      let uppers: number[];
      if (seen.size <= maxBins) uppers = [...seen].sort((a, b) => a - b);
      else {
        const step = Math.max(1, Math.floor(n / 200_000));
        const m0 = Math.ceil(n / step);
        const sample = mem.f64(samplePtr, m0);
        for (let i = 0, j = 0; i < n; i += step, j++) sample[j] = col[i];
        kernels.sortF64(samplePtr, m0, sortPtr);
        const m = sample.length;
        uppers = [];
        for (let b = 1; b < maxBins; b++) {
          const v = sample[Math.min(m - 1, Math.ceil((b * m) / maxBins) - 1)];
          if (!uppers.length || v > uppers[uppers.length - 1]) uppers.push(v);
        }
        uppers.push(Number.POSITIVE_INFINITY);
      }
      const nu = uppers.length;
      mem.f64(upPtr, nu).set(uppers);
      mem.f64(loPtr, nu).fill(Number.POSITIVE_INFINITY);
      mem.f64(hiPtr, nu).fill(Number.NEGATIVE_INFINITY);
      for (let a = 0; a < n; a += KERNEL_PIECE) {
        const m = Math.min(KERNEL_PIECE, n - a);
        kernels.binColumn(colPtr + a * 8, m, upPtr, nu, codes + f * n + a, loPtr, hiPtr);
      }
      lo.push(mem.f64(loPtr, nu).slice());
      hi.push(mem.f64(hiPtr, nu).slice());
    }
  } catch (e) {
    mem.release(codes);
    throw e;
  } finally {
    for (const q of [colPtr, upPtr, loPtr, hiPtr, samplePtr, sortPtr]) mem.release(q);
  }
  return { codes, lo, hi };
}

/** Leaf reached by one row. */
export function applyTree(tree: Tree, row: ArrayLike<number>, offset = 0): number {
  let node = 0;
  while (tree.left[node] !== -1)
    node = row[offset + tree.feature[node]] <= tree.threshold[node] ? tree.left[node] : tree.right[node];
  return node;
}

/** Predicted class of each row: the class with the largest weighted count in its leaf (first on ties). */
export function predictTree(tree: Tree, X: Matrix): Int32Array {
  const out = new Int32Array(X.rows);
  for (let i = 0; i < X.rows; i++) out[i] = leafClass(tree, applyTree(tree, X.data, i * X.cols));
  return out;
}

export function leafClass(tree: Tree, node: number): number {
  const C = tree.nClasses;
  let best = 0;
  for (let c = 1; c < C; c++) if (tree.value[node * C + c] > tree.value[node * C + best]) best = c;
  return best;
}

/**
 * Minimal cost-complexity pruning (Breiman et al. 1984; scikit-learn's ccp_alpha): repeatedly
 * collapses the internal node with the weakest link g(t) = (R(t) - R(T_t)) / (leaves(T_t) - 1)
 * while g(t) <= alpha, where R is impurity x weighted share of the samples.
 */
export function pruneTree(tree: Tree, alpha: number, totalW: number): Tree {
  const N = tree.left.length;
  const left = [...tree.left];
  const right = [...tree.right];
  const r = tree.impurity.map((imp, i) => (imp * tree.weightedNSamples[i]) / totalW);
  for (;;) {
    const leaves = new Array<number>(N).fill(0);
    const subR = new Array<number>(N).fill(0);
    const post = (node: number): void => {
      if (left[node] === -1) {
        leaves[node] = 1;
        subR[node] = r[node];
        return;
      }
      post(left[node]);
      post(right[node]);
      leaves[node] = leaves[left[node]] + leaves[right[node]];
      subR[node] = subR[left[node]] + subR[right[node]];
    };
    post(0);
    let weakest = -1;
    let gMin = Number.POSITIVE_INFINITY;
    const visit = (node: number): void => {
      if (left[node] === -1) return;
      const g = (r[node] - subR[node]) / (leaves[node] - 1);
      if (g < gMin - 1e-15) {
        gMin = g;
        weakest = node;
      }
      visit(left[node]);
      visit(right[node]);
    };
    visit(0);
    if (weakest < 0 || gMin > alpha) break;
    left[weakest] = -1;
    right[weakest] = -1;
  }
  // Renumber the kept nodes in the same depth-first order.
  const keep: number[] = [];
  const walk = (node: number): void => {
    keep.push(node);
    if (left[node] !== -1) {
      walk(left[node]);
      walk(right[node]);
    }
  };
  walk(0);
  const newId = new Map(keep.map((old, i) => [old, i]));
  const C = tree.nClasses;
  const out = emptyTree(tree.nClasses, tree.nFeatures);
  for (const old of keep) {
    const leaf = left[old] === -1;
    out.left.push(leaf ? -1 : newId.get(left[old])!);
    out.right.push(leaf ? -1 : newId.get(right[old])!);
    out.feature.push(leaf ? -2 : tree.feature[old]);
    out.threshold.push(leaf ? -2 : tree.threshold[old]);
    out.impurity.push(tree.impurity[old]);
    out.nSamples.push(tree.nSamples[old]);
    out.weightedNSamples.push(tree.weightedNSamples[old]);
    for (let c = 0; c < C; c++) out.value.push(tree.value[old * C + c]);
  }
  return out;
}
