import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { normPpf, normSf, tPpf, tSf } from '../../src/core/distributions.js';
import { createRng } from '../../src/core/rng.js';
import { betaInc, gammaQ } from '../../src/core/special.js';
import {
  bootstrapRatioDifference,
  minimumDetectableEffect,
  moments,
  newcombe,
  welch,
  wilson,
} from '../../src/metrics/experiment.js';
import { poisson } from '../campaign/shop.js';
import { ROOT } from '../helpers.js';

const G = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'stats-goldens.json'), 'utf8'));
/** Relative closeness, absolute near 0. */
const near = (a: number, b: number, rel: number, what: string) =>
  assert.ok(
    Math.abs(a - b) <= rel * Math.max(Math.abs(b), 1e-300) || Math.abs(a - b) < 1e-300,
    `${what}: ${a} vs SciPy ${b}`,
  );

describe('distributions against SciPy', () => {
  test('the regularized incomplete beta and gamma functions', () => {
    for (const [a, b, x, v] of G.betainc) near(betaInc(a, b, x), v, 1e-12, `I_${x}(${a}, ${b})`);
    for (const [a, x, v] of G.gammaincc) near(gammaQ(a, x), v, 1e-12, `Q(${a}, ${x})`);
  });
  test('the normal quantile and tail, out to 1e-12', () => {
    for (const [p, v] of G.norm.ppf) near(normPpf(p), v, 1e-13, `norm.ppf(${p})`);
    for (const [x, v] of G.norm.sf) near(normSf(x), v, 1e-12, `norm.sf(${x})`);
  });
  test("Student's t quantile and tail for fractional, small and large degrees of freedom", () => {
    // SciPy's own t.ppf is good to about 1e-9 at fractional df (its sf at its quantile is off by
    // 2e-10 at df 29.7); ours solves sf(t) = 1 - p to the last digits, checked on SciPy's sf.
    for (const [p, df, v] of G.t.ppf) {
      near(tPpf(p, df), v, 1e-8, `t.ppf(${p}, ${df})`);
      near(tSf(tPpf(p, df), df), 1 - p, 1e-11, `t.sf(t.ppf(${p}, ${df}))`);
    }
    for (const [x, df, v] of G.t.sf) near(tSf(x, df), v, 1e-9, `t.sf(${x}, ${df})`);
  });
});

describe('interval estimates', () => {
  test("Welch's t: statistic, degrees of freedom, p-value and interval as scipy's ttest_ind(equal_var=False)", () => {
    for (const c of G.welch) {
      const w = welch(moments(c.a), moments(c.b));
      near(w.estimate / (w.se as number), c.t, 1e-10, 't');
      near(w.df as number, c.df, 1e-10, 'df');
      near(w.pValue as number, c.p, 1e-8, 'p');
      // The bounds carry SciPy's t.ppf, good to about 1e-9.
      near(w.lower as number, c.lower, 1e-8, 'lower');
      near(w.upper as number, c.upper, 1e-8, 'upper');
    }
  });
  test('Wilson and Newcombe: as SciPy, and Newcombe (1998) table II, 56/70 - 48/80 = 0.2000 (0.0524, 0.3339)', () => {
    for (const r of G.rates) {
      const [a, b] = [wilson(r.x1, r.n1), wilson(r.x2, r.n2)];
      near(a.lower, r.wilson1[0], 1e-12, 'wilson lower');
      near(a.upper, r.wilson1[1], 1e-12, 'wilson upper');
      near(b.lower, r.wilson2[0], 1e-12, 'wilson lower');
      const d = newcombe(r.x1, r.n1, r.x2, r.n2);
      near(d.lower as number, r.lower, 1e-11, 'newcombe lower');
      near(d.upper as number, r.upper, 1e-11, 'newcombe upper');
      near(d.pValue as number, r.p, 1e-11, 'p');
    }
    const d = newcombe(56, 70, 48, 80);
    assert.equal(d.lower?.toFixed(4), '0.0524');
    assert.equal(d.upper?.toFixed(4), '0.3339');
  });
  test('edge cases say what they cannot estimate instead of inventing a number', () => {
    assert.equal(welch(moments([1]), moments([1, 2, 3])).lower, null);
    const zero = welch(moments([0, 0, 0]), moments([0, 0]));
    assert.deepEqual([zero.lower, zero.upper, zero.pValue], [0, 0, 1]);
    assert.equal(newcombe(0, 0, 1, 2).lower, null);
    assert.equal(minimumDetectableEffect(1, 0, 10), null);
  });
  test('the minimum detectable effect is (z_0.975 + z_0.8) sd sqrt(1/nT + 1/nC)', () => {
    const m = minimumDetectableEffect(2, 900, 100) as number;
    near(m, (1.959963984540054 + 0.8416212335729143) * 2 * Math.sqrt(1 / 900 + 1 / 100), 1e-12, 'mde');
  });
});

describe('coverage over seeded replications', () => {
  // Planted: treatment raises the mean of Poisson orders by 10% (2.0 -> 2.2); 1,000 replications
  // of 2,000 treated and 500 held out. The 95% interval should cover 0.2 in about 95% of them
  // (binomial sd 0.7%: 93% to 97% is three of them).
  test("Welch's interval covers the planted lift of the means in about 95% of replications", () => {
    const rng = createRng(17);
    let covered = 0;
    let coveredZero = 0;
    const R = 1000;
    for (let r = 0; r < R; r++) {
      const t = Float64Array.from({ length: 2000 }, () => poisson(rng, 2.2));
      const c = Float64Array.from({ length: 500 }, () => poisson(rng, 2.0));
      const w = welch(moments(t), moments(c));
      if ((w.lower as number) <= 0.2 && 0.2 <= (w.upper as number)) covered++;
      const t0 = Float64Array.from({ length: 2000 }, () => poisson(rng, 2.0));
      const w0 = welch(moments(t0), moments(c));
      if ((w0.lower as number) <= 0 && 0 <= (w0.upper as number)) coveredZero++;
    }
    assert.ok(covered >= 930 && covered <= 970, `covered ${covered} of ${R}`);
    assert.ok(coveredZero >= 930 && coveredZero <= 970, `covered 0 in ${coveredZero} of ${R}`);
  });
  test("Newcombe's interval covers the planted rate difference in about 95% of replications", () => {
    const rng = createRng(23);
    let covered = 0;
    const R = 1000;
    for (let r = 0; r < R; r++) {
      let x1 = 0;
      let x2 = 0;
      for (let i = 0; i < 800; i++) if (rng() < 0.33) x1++;
      for (let i = 0; i < 200; i++) if (rng() < 0.3) x2++;
      const d = newcombe(x1, 800, x2, 200);
      if ((d.lower as number) <= 0.03 && 0.03 <= (d.upper as number)) covered++;
    }
    assert.ok(covered >= 930 && covered <= 970, `covered ${covered} of ${R}`);
  });
  test('the bootstrap of a ratio difference is seeded (same seed, same interval) and covers a planted one', () => {
    const rng = createRng(5);
    const arm = (n: number, p: number) => {
      const den = Float64Array.from({ length: n }, () => 1 + Math.floor(rng() * 4));
      const num = Float64Array.from(den, (d) => {
        let k = 0;
        for (let i = 0; i < d; i++) if (rng() < p) k++;
        return k;
      });
      return { num, den };
    };
    let covered = 0;
    const R = 200;
    for (let r = 0; r < R; r++) {
      const a = arm(400, 0.5);
      const b = arm(300, 0.4);
      const d = bootstrapRatioDifference(a, b, { seed: r, resamples: 400 });
      if ((d.lower as number) <= 0.1 && 0.1 <= (d.upper as number)) covered++;
      if (r === 0) assert.deepEqual(bootstrapRatioDifference(a, b, { seed: 0, resamples: 400 }), d);
    }
    // 200 replications: binomial sd 1.5%; 89% to 99% is about four of them.
    assert.ok(covered >= 178 && covered <= 198, `covered ${covered} of ${R}`);
  });
});
