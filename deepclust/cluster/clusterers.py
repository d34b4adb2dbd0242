"""The clusterers of the ``cluster`` rule (KMeans, GMM, DBSCAN, HDBSCAN, SOM) from config
entries, and what clusters new rows like a fitted one.

Every clusterer is a scikit-learn estimator with ``fit_predict``; noise points get the
label ``-1`` (DBSCAN, HDBSCAN). DEC and IDEC, which train the encoder further, have their
own rule and registry (:data:`deepclust.cluster.dec.DEEP_CLUSTERERS`).
"""

from __future__ import annotations

import logging

import numpy as np
from sklearn import cluster, mixture
from sklearn.neighbors import NearestNeighbors

from deepclust.cluster.choose_k import check_k, needs_k
from deepclust.cluster.kmeans import KMeans
from deepclust.cluster.som import SOMClusterer
from deepclust.features import to_dense
from deepclust.registry import build

log = logging.getLogger(__name__)


class GaussianMixture(mixture.GaussianMixture):
    """scikit-learn's GaussianMixture on dense rows (sparse input is made dense, which
    GaussianMixture cannot take)."""

    def fit(self, X, y=None):
        return super().fit(to_dense(X), y)

    def fit_predict(self, X, y=None):
        return super().fit_predict(to_dense(X), y)

    def predict(self, X):
        return super().predict(to_dense(X))

    def predict_proba(self, X):
        return super().predict_proba(to_dense(X))


#: the clusterer of each ``kind``: a clusterer config entry's keys are its parameters
CLUSTERERS = {"kmeans": KMeans, "gmm": GaussianMixture, "dbscan": cluster.DBSCAN,
              "hdbscan": cluster.HDBSCAN, "som": SOMClusterer}


def make_clusterer(settings: dict, k: int | None, seed: int, **params):
    """The clusterer of a config entry with K and the seed (and ``params``, which override).

    K is ``n_clusters`` (``n_components`` for the mixture); ``random_seed`` in the entry
    fixes the seed for every run seed (a SOM: the same map); HDBSCAN copies its input, which
    the workflow keeps using."""
    if needs_k(settings) and (k is None or k < 1):
        raise ValueError(f"clusterer kind {settings['kind']!r} needs a number of clusters K, "
                         f"got {k!r}")
    own_seed = settings.get("random_seed")
    return build(CLUSTERERS, "clusterer", settings, n_clusters=k, n_components=k,
                 random_state=seed if own_seed is None else own_seed, copy=True, **params)


def fit_predict(features: np.ndarray, settings: dict, k: int | None, seed: int):
    """Fit the clusterer on ``features``; return ``(estimator, labels)``."""
    if k is not None and needs_k(settings):
        check_k(k, features.shape[0])
    estimator = make_clusterer(settings, k, seed)
    labels = np.asarray(estimator.fit_predict(features), dtype=np.int64)
    found = len(np.unique(labels[labels >= 0]))
    log.info("%s: %d clusters, %d noise points out of %d", settings["kind"], found,
             int((labels < 0).sum()), len(labels))
    return estimator, labels


class NearestPointAssigner:
    """Cluster labels for new rows from a density-based clustering (DBSCAN, HDBSCAN), which
    scikit-learn cannot ``predict``: a new row takes the label of its nearest clustered
    training point if it lies within that point's radius, and is noise (-1) otherwise.

    DBSCAN: the core samples, radius ``eps`` (DBSCAN's own rule for border points).
    HDBSCAN: every clustered point, radius its core distance (distance to its
    ``min_samples``-th neighbour), an approximation of HDBSCAN's mutual reachability.
    """

    def __init__(self, points: np.ndarray, labels: np.ndarray, radii: np.ndarray):
        self.labels = np.asarray(labels, dtype=np.int64)
        self.radii = np.asarray(radii, dtype=np.float64)
        self.search = NearestNeighbors(n_neighbors=1).fit(points)

    @classmethod
    def from_fitted(cls, estimator, features: np.ndarray, labels: np.ndarray):
        if isinstance(estimator, cluster.DBSCAN):
            core = estimator.core_sample_indices_
            return cls(features[core], labels[core], np.full(len(core), estimator.eps))
        k = min(estimator.min_samples or estimator.min_cluster_size, len(features))
        core_distance = NearestNeighbors(n_neighbors=k).fit(features).kneighbors(features)[0][:, -1]
        clustered = labels >= 0
        return cls(features[clustered], labels[clustered], core_distance[clustered])

    def predict(self, features: np.ndarray) -> np.ndarray:
        features = to_dense(features)
        if len(self.labels) == 0:  # everything was noise
            return np.full(features.shape[0], -1, dtype=np.int64)
        distance, index = self.search.kneighbors(features)
        distance, index = distance[:, 0], index[:, 0]
        return np.where(distance <= self.radii[index] * (1 + 1e-6), self.labels[index], -1)


def predictor(estimator, features, labels: np.ndarray):
    """What clusters new rows like the fitted ``estimator`` did: itself when it can
    ``predict`` (KMeans, GMM), else a :class:`NearestPointAssigner`."""
    if hasattr(estimator, "predict"):
        return estimator
    return NearestPointAssigner.from_fitted(estimator, to_dense(features), labels)


def predict_clusters(model, features) -> np.ndarray:
    """Cluster labels of new rows from a :func:`predictor` (dense input where fitting
    needed it: GMM, and the nearest-point assigner's neighbour search)."""
    if not isinstance(model, cluster.KMeans):
        features = to_dense(features)
    return np.asarray(model.predict(features), dtype=np.int64)


