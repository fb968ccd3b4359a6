#!/usr/bin/python3
"""Writes test/fixtures/stats-goldens.json: SciPy's values for the campaign statistics.

Run with Debian's packages (apt-get install python3-scipy):
    /usr/bin/python3 scripts/gen-stats-goldens.py
Python is never needed to run the tests; they read the JSON this writes.
"""
import json
import os

import numpy as np
import scipy
from scipy import special, stats

out = {"scipy": scipy.__version__}
out["betainc"] = [[a, b, x, float(special.betainc(a, b, x))] for a, b, x in [
    (0.5, 0.5, 0.3), (2, 3, 0.4), (10, 0.5, 0.95), (0.5, 10, 0.01), (50, 50, 0.5), (5e3, 0.5, 0.9995), (1, 1, 0.7), (3.3, 7.1, 0.2)]]
out["gammaincc"] = [[a, x, float(special.gammaincc(a, x))] for a, x in [
    (0.5, 0.01), (0.5, 1.2), (0.5, 3), (0.5, 40), (2, 1), (10, 30), (1.5, 0.3)]]
ps = [1e-12, 1e-6, 0.001, 0.025, 0.1, 0.3, 0.5, 0.8, 0.9, 0.975, 0.999, 1 - 1e-9]
out["norm"] = {"ppf": [[p, float(stats.norm.ppf(p))] for p in ps],
               "sf": [[x, float(stats.norm.sf(x))] for x in [-8, -3, -1.2, 0, 0.3, 1.96, 4, 10, 30]]}
dfs = [1, 2, 2.5, 5, 10, 29.7, 100, 1000, 1e5]
out["t"] = {"ppf": [[p, df, float(stats.t.ppf(p, df))] for p in [0.6, 0.9, 0.975, 0.995, 0.9999] for df in dfs],
            "sf": [[x, df, float(stats.t.sf(x, df))] for x in [-2, 0.5, 1.5, 3, 12] for df in dfs]}

rng = np.random.default_rng(20261202)
welch = []
for n1, n2, m1, m2, s1, s2 in [(30, 40, 1.0, 0.7, 1.0, 2.0), (5, 200, 3.0, 2.0, 0.5, 4.0), (1000, 1000, 0.0, 0.1, 1.0, 1.0), (12, 9, 5.0, 5.0, 2.0, 0.2)]:
    a = rng.normal(m1, s1, n1)
    b = rng.normal(m2, s2, n2)
    r = stats.ttest_ind(a, b, equal_var=False)
    va, vb = a.var(ddof=1) / n1, b.var(ddof=1) / n2
    df = (va + vb) ** 2 / (va**2 / (n1 - 1) + vb**2 / (n2 - 1))
    q = stats.t.ppf(0.975, df)
    d = a.mean() - b.mean()
    se = np.sqrt(va + vb)
    welch.append({"a": a.tolist(), "b": b.tolist(), "t": float(r.statistic), "p": float(r.pvalue), "df": float(df),
                  "lower": float(d - q * se), "upper": float(d + q * se)})
out["welch"] = welch


def wilson(x, n):
    ci = stats.binomtest(x, n).proportion_ci(confidence_level=0.95, method="wilson")
    return float(ci.low), float(ci.high)


rates = []
for x1, n1, x2, n2 in [(56, 70, 48, 80), (9, 10, 3, 10), (0, 10, 0, 20), (10, 10, 0, 20), (140, 1000, 100, 1000), (1, 29, 0, 30)]:
    l1, u1 = wilson(x1, n1)
    l2, u2 = wilson(x2, n2)
    p1, p2 = x1 / n1, x2 / n2
    d = p1 - p2
    pooled = (x1 + x2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    rates.append({"x1": x1, "n1": n1, "x2": x2, "n2": n2, "wilson1": [l1, u1], "wilson2": [l2, u2],
                  "lower": float(d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)),
                  "upper": float(d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)),
                  "p": float(2 * stats.norm.sf(abs(d) / se)) if se > 0 else 1.0})
out["rates"] = rates

path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "stats-goldens.json")
with open(path, "w") as f:
    json.dump(out, f, indent=None, separators=(",", ":"))
print("wrote", path)
