#!/usr/bin/python3
"""Writes test/fixtures/goldens.json: reference results from scikit-learn for the numeric tests.

Run with Debian's packages (apt-get install python3-sklearn python3-scipy):
    /usr/bin/python3 scripts/gen-goldens.py
Python is never needed to run the tests; they read the JSON this writes.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.datasets import load_iris, make_blobs
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

out = {"sklearn": sklearn.__version__, "cases": {}}


def kmeans_case(name, X, init):
    km = KMeans(n_clusters=len(init), init=np.asarray(init, dtype=float), n_init=1, algorithm="lloyd", tol=1e-4, max_iter=300)
    km.fit(X)
    out["cases"][name] = {
        "X": X.tolist(),
        "init": np.asarray(init, dtype=float).tolist(),
        "centers": km.cluster_centers_.tolist(),
        "labels": km.labels_.tolist(),
        "inertia": float(km.inertia_),
        "n_iter": int(km.n_iter_),
        "silhouette": float(silhouette_score(X, km.labels_)),
        "calinski_harabasz": float(calinski_harabasz_score(X, km.labels_)),
        "davies_bouldin": float(davies_bouldin_score(X, km.labels_)),
    }


Xb, _ = make_blobs(n_samples=500, n_features=2, centers=4, cluster_std=1, center_box=(-10, 10), shuffle=True, random_state=1)
kmeans_case("blobs500", Xb, Xb[[0, 1, 2, 3]])
kmeans_case("blobs500_k6", Xb, Xb[[10, 20, 30, 40, 50, 60]])
iris = load_iris().data
kmeans_case("iris_k3", iris, iris[[0, 50, 100]])
X5, _ = make_blobs(n_samples=1200, n_features=5, centers=5, cluster_std=2.5, random_state=7)
kmeans_case("blobs1200x5_k5", X5, X5[[0, 1, 2, 3, 4]])

# K-means on real data: marketing_campaign's spend and visit columns, standardized, from given centres.
mc = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "marketing_campaign", "marketing_campaign.csv")
if os.path.exists(mc):
    import csv as _csv

    from sklearn.preprocessing import StandardScaler

    cols = ["Income", "Recency", "MntWines", "MntMeatProducts", "NumWebPurchases", "NumStorePurchases", "NumWebVisitsMonth"]
    rows = [r for r in _csv.DictReader(open(mc), delimiter="\t") if r["Income"] != ""]
    Xm = StandardScaler().fit_transform(np.array([[float(r[c]) for c in cols] for r in rows]))
    kmeans_case("marketing_campaign_k4", Xm, Xm[[0, 100, 200, 300]])

# Hierarchical clustering: SciPy linkage matrices for every linkage, and the flat cut into k.
from scipy.cluster.hierarchy import fcluster, linkage

Xh, _ = make_blobs(n_samples=80, n_features=3, centers=4, cluster_std=1.2, random_state=3)
out["linkage"] = {"X": Xh.tolist(), "methods": {}}
for method in ["ward", "complete", "average", "single"]:
    Z = linkage(Xh, method=method)
    out["linkage"]["methods"][method] = {"Z": Z.tolist(), "k4": fcluster(Z, 4, criterion="maxclust").tolist()}
Xi = load_iris().data
out["linkage_iris_ward"] = {"Z": linkage(Xi + np.arange(150)[:, None] * 1e-9, method="ward").tolist(), "jitter": 1e-9}

# Adjusted Rand index on fixed labelings.
from sklearn.metrics import adjusted_rand_score

rng = np.random.RandomState(5)
a = rng.randint(0, 4, size=200)
b = np.where(rng.rand(200) < 0.7, a, rng.randint(0, 5, size=200))
out["ari"] = {"a": a.tolist(), "b": b.tolist(), "ari": float(adjusted_rand_score(a, b))}

# CART trees (DecisionTreeClassifier): iris, and marketing_campaign from ../shared/data.
from sklearn.tree import DecisionTreeClassifier, export_text


def tree_case(X, y, **params):
    t = DecisionTreeClassifier(random_state=0, **params).fit(X, y)
    tr = t.tree_
    return {
        "params": params,
        "left": tr.children_left.tolist(),
        "right": tr.children_right.tolist(),
        "feature": tr.feature.tolist(),
        "threshold": tr.threshold.tolist(),
        "impurity": tr.impurity.tolist(),
        "n_node_samples": tr.n_node_samples.tolist(),
        "weighted_n_node_samples": tr.weighted_n_node_samples.tolist(),
        "value": tr.value[:, 0, :].tolist(),
        "predict": t.predict(X).tolist(),
    }


iris_ds = load_iris()
out["trees"] = {
    "iris_depth2": {**tree_case(iris_ds.data, iris_ds.target, max_depth=2), "text": export_text(DecisionTreeClassifier(random_state=0, max_depth=2).fit(iris_ds.data, iris_ds.target), feature_names=list(iris_ds.feature_names))},
    "iris_entropy_depth3_leaf5": tree_case(iris_ds.data, iris_ds.target, max_depth=3, criterion="entropy", min_samples_leaf=5),
    "iris_full_ccp": tree_case(iris_ds.data, iris_ds.target, ccp_alpha=0.02),
    "iris_balanced_subset": tree_case(iris_ds.data[20:], iris_ds.target[20:], max_depth=3, class_weight="balanced"),
}
mc_path = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "marketing_campaign", "marketing_campaign.csv")
if os.path.exists(mc_path):
    import csv

    cols = ["Income", "Recency", "MntWines", "MntMeatProducts", "NumWebPurchases", "NumStorePurchases", "NumWebVisitsMonth"]
    rows = list(csv.DictReader(open(mc_path), delimiter="\t"))
    rows = [r for r in rows if r["Income"] != ""]
    Xm = np.array([[float(r[c]) for c in cols] for r in rows])
    ym = np.array([int(r["Response"]) for r in rows])
    out["trees"]["marketing_campaign"] = {**tree_case(Xm, ym, max_depth=4, min_samples_leaf=5, class_weight="balanced", criterion="entropy"), "columns": cols, "ids": [r["ID"] for r in rows]}

path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "goldens.json")
with open(path, "w") as f:
    json.dump(out, f, indent=None, separators=(",", ":"))
    f.write("\n")
print("wrote", os.path.normpath(path))
