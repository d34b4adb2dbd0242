"""Clusters against classes: the contingency table, the best one-to-one matching of clusters
to classes (Hungarian algorithm), ACC, purity, the confusion table in matched order, and a
cluster's majority class.

Only NumPy and SciPy's assignment solver: the figure jobs (confusion matrix, examples, terms,
profiles, matched colours) import this instead of :mod:`deepclust.evaluate.metrics`, whose
scikit-learn import would be most of a figure job's run time.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

NOISE = -1


def contingency(y_true, y_pred) -> np.ndarray:
    """Rows per (class, cluster): ``table[i, j]`` counts the rows of the i-th class in the
    j-th cluster, both in sorted order; what scikit-learn's ``contingency_matrix`` returns.
    Counted with NumPy: see the module's docstring."""
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
    columns = np.searchsorted(np.unique(y_pred), clusters)  # contingency's sorted clusters
    return contingency(y_true, y_pred)[:, columns], classes, np.asarray(clusters, dtype=np.int64)


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
