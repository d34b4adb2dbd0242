"""Clustering metrics: external (against true classes) and internal (on the representation).

External metrics (need ground-truth classes): ACC, NMI, ARI.
Internal metrics (need only the representation): silhouette, Davies-Bouldin,
Calinski-Harabasz. Noise points (label ``-1``, from DBSCAN/HDBSCAN) are
reported as a fraction; they count as errors for ACC, form their own group for
NMI/ARI, and are left out of the internal metrics.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn import metrics as skm

from deepclust.features import is_sparse

NOISE = -1


def contingency(y_true, y_pred) -> np.ndarray:
    """Rows per (class, cluster): ``table[i, j]`` counts the rows of the i-th class in the
    j-th cluster, both in sorted order; what scikit-learn's ``contingency_matrix`` returns.
    Counted with NumPy because importing ``sklearn.metrics`` would add much of the short run
    time of each figure job (confusion matrix, examples, terms); the scores below still come
    from scikit-learn."""
    _, true_idx = np.unique(np.asarray(y_true), return_inverse=True)
    _, pred_idx = np.unique(np.asarray(y_pred), return_inverse=True)
    table = np.zeros((true_idx.max(initial=-1) + 1, pred_idx.max(initial=-1) + 1),
                     dtype=np.int64)
    np.add.at(table, (true_idx.ravel(), pred_idx.ravel()), 1)
    return table


def match_clusters_to_classes(y_true, y_pred) -> dict:
    """Best one-to-one mapping cluster -> class (Hungarian algorithm on the contingency table).

    Noise points are never matched. With more clusters than classes, the extra
    clusters stay unmatched (their points count as errors); with fewer, some
    classes stay unmatched.
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    keep = y_pred != NOISE
    classes, true_idx = np.unique(y_true[keep], return_inverse=True)
    clusters, pred_idx = np.unique(y_pred[keep], return_inverse=True)
    if len(clusters) == 0:
        return {}
    table = contingency(true_idx, pred_idx)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return {clusters[c].item(): classes[r].item() for r, c in zip(rows, cols)}


def cluster_accuracy(y_true, y_pred) -> float:
    """Unsupervised clustering accuracy (ACC) under the best one-to-one matching."""
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} rows but y_pred has {len(y_pred)}")
    if len(y_true) == 0:
        raise ValueError("cannot compute accuracy of an empty clustering")
    mapping = match_clusters_to_classes(y_true, y_pred)
    correct = sum(
        np.sum((y_pred == cluster) & (y_true == cls)) for cluster, cls in mapping.items()
    )
    return float(correct) / len(y_true)


def cluster_purity(y_true, y_pred) -> float:
    """Share of rows whose cluster's majority class is their own class (noise rows count as
    wrong). Unlike ACC it allows many clusters per class: the measure for one cluster per
    SOM node, where ACC's one-to-one matching would leave most clusters unmatched."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    clustered = y_pred != NOISE
    if not clustered.any():
        return 0.0
    counts = contingency(y_true[clustered], y_pred[clustered])
    return float(counts.max(axis=0).sum()) / len(y_true)


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


def confusion_table(y_true, y_pred):
    """Counts of true class x cluster, clusters ordered by the Hungarian matching.

    Returns ``(table, classes, clusters)``: ``table[i, j]`` rows of class
    ``classes[i]`` in cluster ``clusters[j]``. Matched clusters come first, in
    the order of their classes (so a perfect clustering is diagonal), then
    unmatched clusters by size, then noise (``-1``) if any.
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    classes = np.unique(y_true)
    mapping = match_clusters_to_classes(y_true, y_pred)
    rank = {cls.item(): i for i, cls in enumerate(classes)}
    matched = sorted(mapping, key=lambda cluster: rank[mapping[cluster]])
    found, sizes = np.unique(y_pred[y_pred != NOISE], return_counts=True)
    unmatched = [c.item() for c, _ in sorted(zip(found, sizes), key=lambda cs: -cs[1])
                 if c.item() not in mapping]
    clusters = matched + unmatched + ([NOISE] if np.any(y_pred == NOISE) else [])
    table = np.array([[np.sum((y_true == cls) & (y_pred == cluster)) for cluster in clusters]
                      for cls in classes], dtype=np.int64)
    return table, classes, np.asarray(clusters, dtype=np.int64)


def cluster_order(clusters) -> list[int]:
    """Cluster ids in increasing order, noise (-1) last."""
    ids = [int(c) for c in np.unique(clusters)]
    return [c for c in ids if c != NOISE] + ([NOISE] if NOISE in ids else [])


def majority_class(labels, rows, class_names=None) -> tuple[str, float] | None:
    """The most frequent true class among ``rows`` (indices) and its share; None without
    labels. Integer classes are named by ``class_names`` when it has them."""
    if labels is None or len(rows) == 0:
        return None
    values, counts = np.unique(np.asarray(labels)[rows], return_counts=True)
    best = values[np.argmax(counts)]
    if class_names and isinstance(best, (int, np.integer)) and 0 <= int(best) < len(class_names):
        best = class_names[int(best)]
    return str(best), float(counts.max() / len(rows))
