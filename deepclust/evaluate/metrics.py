"""Clustering metrics: external (against true classes) and internal (on the representation).

External metrics (need ground-truth classes): ACC, NMI, ARI.
Internal metrics (need only the representation): silhouette, Davies-Bouldin,
Calinski-Harabasz. Noise points (label ``-1``, from DBSCAN/HDBSCAN) are
reported as a fraction; they count as errors for ACC, form their own group for
NMI/ARI, and are left out of the internal metrics. ACC and the matching of clusters to
classes are in :mod:`deepclust.evaluate.matching`.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn import metrics as skm

from deepclust.evaluate.matching import NOISE, cluster_accuracy, cluster_purity
from deepclust.features import is_sparse


def _finite_or_none(value: float):
    value = float(value)
    return value if math.isfinite(value) else None


#: a sparse feature matrix larger than this as dense float32 is scored on a seeded sample
#: of rows that fits, because scikit-learn's Davies-Bouldin needs several times the dense size
#: in memory (IMDB's TF-IDF, 25,000 x 27,000, is 2.7 GB dense)
MAX_DENSE_METRIC_BYTES = 10**9


def internal_metrics(features, y_pred, seed: int = 0, max_silhouette_rows: int = 10000) -> dict:
    """Silhouette, Davies-Bouldin and Calinski-Harabasz on the non-noise points.

    ``None`` when fewer than two clusters (or fewer rows than clusters + 1) remain.
    Silhouette is estimated on a seeded sample of ``max_silhouette_rows`` rows for
    large data (it is quadratic in the number of rows). Davies-Bouldin and
    Calinski-Harabasz need dense rows: a sparse matrix is expanded in float32, all of it
    when that takes at most :data:`MAX_DENSE_METRIC_BYTES`, else a seeded sample of rows
    (all three metrics are then of that sample; ``metrics_rows`` says how many rows).
    """

    y_pred = np.asarray(y_pred)
    keep = np.flatnonzero(y_pred != NOISE)
    rows = len(keep)
    if is_sparse(features):
        fits = max(1, MAX_DENSE_METRIC_BYTES // (4 * features.shape[1]))
        if len(keep) > fits:
            keep = np.sort(np.random.default_rng(seed).choice(keep, fits, replace=False))
        X = features[keep].astype(np.float32).toarray()
    else:
        X = np.asarray(features)
        X = X if len(keep) == len(X) else X[keep]
    labels = y_pred[keep]
    n_clusters = len(np.unique(labels))
    if n_clusters < 2 or len(labels) <= n_clusters:
        return {"silhouette": None, "davies_bouldin": None, "calinski_harabasz": None}
    sample = min(len(labels), max_silhouette_rows)
    result = {
        "silhouette": _finite_or_none(
            skm.silhouette_score(X, labels, sample_size=sample, random_state=seed)
        ),
        "davies_bouldin": _finite_or_none(skm.davies_bouldin_score(X, labels)),
        "calinski_harabasz": _finite_or_none(skm.calinski_harabasz_score(X, labels)),
    }
    if len(labels) < rows:
        result["metrics_rows"] = int(len(labels))
    return result


def evaluate_clustering(features, y_pred, y_true=None, seed: int = 0) -> dict:
    """Every metric of one clustering run, as a JSON-ready dict."""
    y_pred = np.asarray(y_pred)
    found = np.unique(y_pred[y_pred != NOISE])
    result = {
        "n_rows": int(len(y_pred)),
        "n_clusters": int(len(found)),
        "noise_fraction": float(np.mean(y_pred == NOISE)),
    }
    if y_true is not None:
        y_true = np.asarray(y_true)
        result.update(
            acc=cluster_accuracy(y_true, y_pred),
            purity=cluster_purity(y_true, y_pred),
            nmi=float(skm.normalized_mutual_info_score(y_true, y_pred)),
            ari=float(skm.adjusted_rand_score(y_true, y_pred)),
        )
    else:
        result.update(acc=None, purity=None, nmi=None, ari=None)
    result.update(internal_metrics(features, y_pred, seed=seed))
    return result
