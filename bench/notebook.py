#!/usr/bin/env python3
"""The notebook segmint should replace: pandas + scikit-learn doing what `segmint run` does on
Online Retail-style order lines (read, clean, RFM, log1p + standard scaling, KMeans(n_init=10)
for k = 2..10 with the elbow, a 10k-sample silhouette, a depth-4 decision tree). Debian's
python3-pandas and python3-sklearn; run by bench/notebook.ts (never by the tests).
Usage: python3 bench/notebook.py transactions.csv  -> prints one JSON line with stage times."""
import json
import sys
import time

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

t = {}
t0 = time.perf_counter()
df = pd.read_csv(sys.argv[1], dtype={"Invoice": str, "StockCode": str, "Customer ID": str},
                 parse_dates=["InvoiceDate"])
t["read"] = time.perf_counter() - t0

t1 = time.perf_counter()
df = df.dropna(subset=["Customer ID"])
df = df.drop_duplicates()
df = df[~df["Invoice"].str.startswith("C")]
df = df[~df["StockCode"].str.upper().isin(["POST", "DOT", "M", "C2", "BANK CHARGES", "D", "CRUK", "PADS", "AMAZONFEE", "S", "B", "ADJUST", "ADJUST2", "TEST001", "TEST002"])]
df = df[(df["Quantity"] > 0) & (df["Price"] > 0)]
df["amount"] = df["Quantity"] * df["Price"]
ref = df["InvoiceDate"].max().normalize() + pd.Timedelta(days=1)
rfm = df.groupby("Customer ID").agg(
    recency=("InvoiceDate", lambda s: (ref - s.max()).days),
    frequency=("Invoice", "nunique"),
    monetary=("amount", "sum"),
)
t["clean_features"] = time.perf_counter() - t1

t2 = time.perf_counter()
X = StandardScaler().fit_transform(np.log1p(rfm.values.astype(float)))
inertias = {}
models = {}
for k in range(2, 11):
    km = KMeans(n_clusters=k, n_init=10, random_state=42).fit(X)
    inertias[k] = km.inertia_
    models[k] = km
# The elbow: the k farthest below the chord from the first to the last inertia (kneedle's idea).
ks = np.array(sorted(inertias))
ys = np.array([inertias[k] for k in ks])
chord = ys[0] + (ys[-1] - ys[0]) * (ks - ks[0]) / (ks[-1] - ks[0])
k = int(ks[np.argmax(chord - ys)])
labels = models[k].labels_
rng = np.random.default_rng(42)
idx = rng.choice(len(X), size=min(10_000, len(X)), replace=False)
sil = silhouette_score(X[idx], labels[idx])
t["cluster"] = time.perf_counter() - t2

t3 = time.perf_counter()
tree = DecisionTreeClassifier(max_depth=4, random_state=42).fit(rfm.values, labels)
t["tree"] = time.perf_counter() - t3
t["total"] = time.perf_counter() - t0
print(json.dumps({"lines": int(len(df)), "customers": int(len(rfm)), "k": k, "silhouette": float(sil), "seconds": t}))
