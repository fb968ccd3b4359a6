import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { fitKMeans, lloyd } from '../../src/cluster/kmeans.js';
import { fitMiniBatchKMeans, MINIBATCH_DEFAULTS } from '../../src/cluster/minibatch.js';
import { fromRows, takeRows } from '../../src/core/matrix.js';
import { createRng, randNormal } from '../../src/core/rng.js';
import type { KernelSet } from '../../src/kernels/kernel-set.js';
import { activeKernels, kernelContext, kernelsFor, setKernels } from '../../src/kernels/kernels.js';
import { KernelMemory } from '../../src/kernels/memory.js';
import { silhouetteScore } from '../../src/metrics/quality.js';
import * as api from '../../src/parallel/api.js';
import { Team } from '../../src/parallel/team.js';
import { blobs } from './fixtures.js';

const rng = createRng(77);
const centres = Array.from({ length: 8 }, () => Array.from({ length: 8 }, () => 6 * randNormal(rng)));
const X = blobs(5, 5000, centres, 2);
// For the silhouette (n^2 pairs): every 10th row, 4,000 in all.
const S = takeRows(
  X,
  Int32Array.from({ length: X.rows / 10 }, (_, i) => i * 10),
);
const sLabels = Int32Array.from({ length: S.rows }, (_, i) => Math.floor(i / 500));

after(() => setKernels('auto'));

describe('the WebAssembly SIMD kernels', () => {
  test('run on this platform by default', () => {
    setKernels('auto');
    assert.equal(activeKernels(), 'wasm-simd');
  });

  // Random inputs for both kernel sets over one memory: the same bits must come out. (One memory
  // for all cases: each reserves its 4 GiB of address space.)
  const shared = new KernelMemory();
  const kits = { mem: shared, wasm: kernelsFor(shared, 'wasm-simd'), js: kernelsFor(shared, 'js') };
  const both = () => kits;
  const matrixArb = fc
    .record({ n: fc.integer({ min: 1, max: 300 }), d: fc.integer({ min: 1, max: 9 }), seed: fc.integer() })
    .map(({ n, d, seed }) => {
      const r = createRng(seed >>> 0);
      // Rounded values make exact ties between distances common.
      const data = Float64Array.from({ length: n * d }, () => Math.round(8 * randNormal(r)) / 4);
      return { n, d, data, r };
    });

  test('k-means assignment (Lloyd, Hamerly first pass, Hamerly with bounds): same bits', () => {
    fc.assert(
      fc.property(matrixArb, fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 2 }), (m, k, mode) => {
        const { mem, wasm, js } = both();
        const { n, d, data, r } = m;
        const X0 = mem.putF64(data);
        const centers = mem.putF64(Array.from({ length: k * d }, () => Math.round(8 * randNormal(r)) / 4));
        const half = mem.putF64(Array.from({ length: k }, () => r() * 2));
        const shift = mem.putF64(Array.from({ length: k }, () => r()));
        const chunkRows = 64;
        const chunks = Math.ceil(n / chunkRows);
        const labels0 = Array.from({ length: n }, () => (mode === 2 ? Math.floor(r() * k) : -1));
        const upper0 = Array.from({ length: n }, () => r() * 3);
        const lower0 = Array.from({ length: n }, () => r());
        const run = (ks: KernelSet) => {
          const labels = mem.putI32(labels0);
          const upper = mem.putF64(upper0);
          const lower = mem.putF64(lower0);
          const sums = mem.calloc(chunks * k * d * 8);
          const counts = mem.calloc(chunks * k * 8);
          const valid = mem.calloc(chunks);
          const stats = mem.calloc(chunks * 16);
          ks.kmAssign(
            mode,
            X0,
            n,
            d,
            k,
            centers,
            half,
            shift,
            labels,
            upper,
            lower,
            sums,
            counts,
            valid,
            chunkRows,
            0,
            chunks,
            1,
            stats,
          );
          return [
            Array.from(mem.i32(labels, n)),
            Array.from(mem.f64(upper, n)),
            Array.from(mem.f64(lower, n)),
            Array.from(mem.f64(sums, chunks * k * d)),
            Array.from(mem.f64(counts, chunks * k)),
            Array.from(mem.f64(stats, chunks * 2)),
          ];
        };
        assert.deepEqual(run(js), run(wasm));
      }),
      { numRuns: 60 },
    );
  });

  test('k-means++ distances, mini-batch step, silhouette pairs, column sums: same bits', () => {
    fc.assert(
      fc.property(matrixArb, fc.integer({ min: 1, max: 9 }), (m, k) => {
        const { mem, wasm, js } = both();
        const { n, d, data, r } = m;
        const X0 = mem.putF64(data);
        const trials = 3;
        const cands = mem.putF64(Array.from({ length: trials * d }, () => Math.round(8 * randNormal(r)) / 4));
        const closest = mem.putF64(Array.from({ length: n }, () => r() * 20));
        const centers = mem.putF64(Array.from({ length: k * d }, () => Math.round(8 * randNormal(r)) / 4));
        const idx = mem.putI32(Array.from({ length: Math.min(n, 50) }, () => Math.floor(r() * n)));
        const labels = mem.putI32(Array.from({ length: n }, () => Math.floor(r() * k)));
        const out = (ks: KernelSet) => {
          const chunks = Math.ceil(n / 32);
          const o = mem.calloc(trials * n * 8);
          const parts = mem.calloc(trials * chunks * 8);
          ks.kppDistances(X0, n, d, cands, trials, closest, o, parts, chunks, 32, 0, chunks);
          const batch = Math.min(n, 50);
          const lab = mem.calloc(batch * 4);
          const sums = mem.calloc(k * d * 8);
          const bc = mem.calloc(k * 8);
          const inertia = ks.mbAssign(X0, d, k, centers, idx, batch, lab, sums, bc);
          const sil = mem.calloc(n * k * 8);
          ks.silhouetteBlock(X0, n, d, labels, k, 0, Math.ceil(n / 2), sil);
          ks.silhouetteBlock(X0, n, d, labels, k, Math.ceil(n / 2), n, sil);
          const mom = mem.calloc(d * 16);
          ks.colSums(X0, d, 0, n, 0, mom);
          ks.colSums(X0, d, Math.floor(n / 3), n, centers, mom + d * 8);
          return [
            Array.from(mem.f64(o, trials * n)),
            Array.from(mem.f64(parts, trials * chunks)),
            inertia,
            Array.from(mem.i32(lab, batch)),
            Array.from(mem.f64(sums, k * d)),
            Array.from(mem.f64(bc, k)),
            Array.from(mem.f64(sil, n * k)),
            Array.from(mem.f64(mom, 2 * d)),
          ];
        };
        assert.deepEqual(out(js), out(wasm));
      }),
      { numRuns: 60 },
    );
  });

  test('tree binning and histograms: same bits', () => {
    fc.assert(
      fc.property(matrixArb, fc.integer({ min: 2, max: 5 }), (m, nClasses) => {
        const { mem, wasm, js } = both();
        const { n, data, r } = m;
        const col = mem.putF64(data.subarray(0, n));
        const uppers = [...new Set(Array.from(data.subarray(0, n)))].sort((a, b) => a - b).slice(0, 7);
        uppers.push(Number.POSITIVE_INFINITY);
        const up = mem.putF64(uppers);
        const y = mem.putI32(Array.from({ length: n }, () => Math.floor(r() * nClasses)));
        const w = mem.putF64(Array.from({ length: n }, () => r()));
        const samples = mem.putI32(Array.from({ length: n }, (_, i) => (i * 7) % n));
        const nb = uppers.length;
        const out = (ks: KernelSet) => {
          const code = mem.calloc(n);
          const lo = mem.putF64(new Array(nb).fill(Number.POSITIVE_INFINITY));
          const hi = mem.putF64(new Array(nb).fill(Number.NEGATIVE_INFINITY));
          ks.binColumn(col, n, up, nb, code, lo, hi);
          const counts = mem.alloc(nb * nClasses * 8);
          const weights = mem.alloc(nb * 8);
          const rows = mem.alloc(nb * 4);
          ks.histogram(code, y, w, samples, 0, Math.floor(n / 3), nClasses, nb, counts, weights, rows, 1);
          ks.histogram(code, y, w, samples, Math.floor(n / 2), n, nClasses, nb, counts, weights, rows, 0);
          return [
            Array.from(mem.u8(code, n)),
            Array.from(mem.f64(lo, nb)),
            Array.from(mem.f64(hi, nb)),
            Array.from(mem.f64(counts, nb * nClasses)),
            Array.from(mem.f64(weights, nb)),
            Array.from(mem.i32(rows, nb)),
          ];
        };
        assert.deepEqual(out(js), out(wasm));
      }),
      { numRuns: 60 },
    );
  });

  test('radix sort of doubles: same bits on both, and the order of Float64Array.prototype.sort', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.double({ noNaN: true }),
            fc.constantFrom(0, -0, 1, -1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
          ),
          { maxLength: 400 },
        ),
        (values) => {
          const { mem, wasm, js } = both();
          const n = values.length;
          const sorted = Float64Array.from(values).sort();
          for (const ks of [wasm, js]) {
            const p = mem.putF64(values);
            const scratch = mem.alloc(n * 8 + 2048 * 4);
            ks.sortF64(p, n, scratch);
            const got = mem.f64(p, n);
            for (let i = 0; i < n; i++) assert.ok(Object.is(got[i], sorted[i]), `${ks.name} at ${i}`);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  test('k-means gives the same bits on the TypeScript fallback (forced) as on SIMD', () => {
    const params = { k: 8, nInit: 3, maxIter: 300, tol: 1e-4, seed: 3 };
    setKernels('wasm-simd');
    const simd = fitKMeans(X, params);
    const mb = fitMiniBatchKMeans(X, { k: 8, seed: 2, ...MINIBATCH_DEFAULTS });
    const sil = silhouetteScore(S, sLabels, 8);
    setKernels('js');
    assert.equal(activeKernels(), 'js');
    assert.deepEqual(fitKMeans(X, params), simd);
    assert.deepEqual(fitMiniBatchKMeans(X, { k: 8, seed: 2, ...MINIBATCH_DEFAULTS }), mb);
    assert.equal(silhouetteScore(S, sLabels, 8), sil);
    setKernels('auto');
  });

  test('memory: blocks are reused after release and matrices made in place are not copied', () => {
    const mem = new KernelMemory();
    const a = mem.alloc(1000);
    const b = mem.alloc(5000);
    mem.release(a);
    assert.equal(mem.alloc(900), a, 'a freed block is reused');
    mem.release(b);
    const M = mem.matrix(10, 3);
    const placed = mem.place(M);
    assert.equal(placed.data, M.data, 'in place');
    M.data[4] = 7;
    assert.equal(mem.f64(placed.ptr, 30)[4], 7);
    mem.releaseMatrix(M);
    const big = mem.alloc(64 * 2 ** 20);
    assert.ok(mem.memory.buffer.byteLength >= big + 64 * 2 ** 20, 'grows');
  });
});

describe('k-means and the silhouette on a team of workers', () => {
  // Teams belong to this thread's kernel memory, which setKernels replaces: take it when needed.
  const teamOf = () => Team.get(2)!;

  test('restarts side by side give exactly the single-thread result', () => {
    const params = { k: 8, nInit: 4, maxIter: 300, tol: 1e-4, seed: 3 };
    assert.deepEqual(fitKMeans(X, params, teamOf()), fitKMeans(X, params));
  });

  test('one run split by rows gives exactly the single-thread result, Hamerly and Lloyd, sync and async', async () => {
    const { fitKMeansAsync } = await import('../../src/cluster/kmeans.js');
    for (const algorithm of ['hamerly', 'lloyd'] as const) {
      const params = { k: 8, nInit: 1, maxIter: 300, tol: 1e-4, seed: 9, algorithm };
      const serial = fitKMeans(X, params);
      assert.deepEqual(fitKMeans(X, params, teamOf()), serial, algorithm);
      assert.deepEqual(await fitKMeansAsync(X, params, teamOf()), serial, algorithm);
    }
  });

  test('the library functions use every core and return the one-thread result', () => {
    const params = { k: 8, nInit: 2, maxIter: 300, tol: 1e-4, seed: 4 };
    assert.deepEqual(api.fitKMeans(X, params), fitKMeans(X, params));
    assert.deepEqual(api.fitKMeans(X, { ...params, threads: 1 }), fitKMeans(X, params));
    const mb = { k: 8, seed: 5, ...MINIBATCH_DEFAULTS };
    assert.deepEqual(api.fitMiniBatchKMeans(X, mb), fitMiniBatchKMeans(X, mb));
    assert.equal(api.silhouetteScore(S, sLabels, 8), silhouetteScore(S, sLabels, 8));
  });

  test('the silhouette split over the team equals the single-thread value exactly', async () => {
    const { silhouetteScoreAsync } = await import('../../src/metrics/quality.js');
    const Y = blobs(
      12,
      700,
      [
        [0, 0, 0],
        [4, 4, 4],
        [0, 5, 0],
      ],
      1.5,
    );
    const labels = Int32Array.from({ length: Y.rows }, (_, i) => Math.floor(i / 700));
    const one = silhouetteScore(Y, labels, 3);
    assert.equal(silhouetteScore(Y, labels, 3, teamOf()), one);
    assert.equal(await silhouetteScoreAsync(Y, labels, 3, teamOf()), one);
  });

  test('a team on the TypeScript kernels gives the same result too', () => {
    setKernels('js');
    try {
      const t = Team.get(2)!;
      const params = { k: 8, nInit: 3, maxIter: 300, tol: 1e-4, seed: 6 };
      assert.deepEqual(fitKMeans(X, params, t), fitKMeans(X, params));
      void t.close();
    } finally {
      setKernels('auto');
    }
  });

  test('Hamerly reaches the same result as Lloyd from the same start', () => {
    const init = Float64Array.from(X.data.subarray(0, 64));
    const a = lloyd(X, Float64Array.from(init), 8, 300, 0, 'lloyd');
    const b = lloyd(X, Float64Array.from(init), 8, 300, 0, 'hamerly');
    assert.deepEqual(b.labels, a.labels);
    assert.equal(b.nIter, a.nIter);
    assert.ok(Math.abs(b.inertia - a.inertia) <= 1e-9 * a.inertia);
    const tiny = fromRows([[0], [1], [10]]);
    assert.deepEqual(
      lloyd(tiny, Float64Array.from([0, 10]), 2, 10, 0, 'hamerly').labels,
      Int32Array.from([0, 0, 1]),
    );
  });

  test('kernel memory is given back after every fit', () => {
    const { mem } = kernelContext();
    const before = mem.used;
    fitKMeans(X, { k: 8, nInit: 2, maxIter: 50, tol: 1e-4, seed: 1 }, teamOf());
    silhouetteScore(S, sLabels, 8, teamOf());
    assert.equal(mem.used, before);
  });
});
