"""Clusterers from config entries (KMeans, GMM, DBSCAN, HDBSCAN, SOM) and the choice of K.

Each adapter turns a clusterer config entry into a scikit-learn estimator with
``fit_predict``; noise points get the label ``-1`` (DBSCAN, HDBSCAN).

scikit-learn is imported where it is used: the Snakefile imports this module (needs_k) on
every start.
"""

from __future__ import annotations

import logging

import numpy as np

from deepclust.features import to_dense

log = logging.getLogger(__name__)

#: clusterer kinds that need the number of clusters K (a SOM unless it keeps one cluster per
#: node: see needs_k)
NEEDS_K = {"kmeans", "gmm", "dec", "idec", "som"}


def needs_k(settings: dict) -> bool:
    """True when a clusterer config entry needs the number of clusters K."""
    return settings["kind"] in NEEDS_K and settings.get("node_clusters") != "per_node"


def check_k(k: int, n_rows: int) -> None:
    """K cannot exceed the number of rows (checked before anything is fitted)."""
    if k > n_rows:
        raise ValueError(f"K={k} is larger than the number of rows ({n_rows})")


def make_clusterer(settings: dict, k: int | None, seed: int):
    """A scikit-learn clusterer from a clusterer config entry, K and the seed."""
    from sklearn import cluster as skc
    from sklearn.mixture import GaussianMixture

    kind = settings["kind"]
    if needs_k(settings) and (k is None or k < 1):
        raise ValueError(f"clusterer kind {kind!r} needs a number of clusters K, got {k!r}")
    if kind == "kmeans":
        if settings.get("normalize"):
            from deepclust.spherical_kmeans import SphericalKMeans as kmeans
        else:
            kmeans = skc.KMeans
        return kmeans(n_clusters=k, init="k-means++", n_init=settings["n_init"],
                      max_iter=settings["max_iter"], random_state=seed)
    if kind == "gmm":
        return GaussianMixture(n_components=k, covariance_type=settings["covariance_type"],
                               n_init=settings["n_init"], max_iter=settings["max_iter"],
                               random_state=seed)
    if kind == "dbscan":
        return skc.DBSCAN(eps=settings["eps"], min_samples=settings["min_samples"])
    if kind == "hdbscan":
        return skc.HDBSCAN(min_cluster_size=settings["min_cluster_size"],
                           min_samples=settings.get("min_samples"),
                           cluster_selection_epsilon=settings["cluster_selection_epsilon"],
                           copy=True)
    if kind == "som":
        from deepclust.som import SOMClusterer

        own_seed = settings.get("random_seed")  # set: the same map for every run seed
        return SOMClusterer(n_clusters=k, random_state=seed if own_seed is None else own_seed,
                            **{key: value for key, value in settings.items()
                               if key not in ("kind", "n_clusters", "random_seed")})
    raise ValueError(f"unknown clusterer kind {kind!r}")


def fit_predict(features: np.ndarray, settings: dict, k: int | None, seed: int):
    """Fit the clusterer on ``features``; return ``(estimator, labels)``."""
    if k is not None and needs_k(settings):
        check_k(k, features.shape[0])
    estimator = make_clusterer(settings, k, seed)
    if settings["kind"] == "gmm":
        features = to_dense(features)  # GaussianMixture needs dense input
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
        from sklearn.neighbors import NearestNeighbors

        self.labels = np.asarray(labels, dtype=np.int64)
        self.radii = np.asarray(radii, dtype=np.float64)
        self.search = NearestNeighbors(n_neighbors=1).fit(points)

    @classmethod
    def from_fitted(cls, estimator, features: np.ndarray, labels: np.ndarray, settings: dict):
        if settings["kind"] == "dbscan":
            core = estimator.core_sample_indices_
            return cls(features[core], labels[core], np.full(len(core), settings["eps"]))
        from sklearn.neighbors import NearestNeighbors

        k = min(settings.get("min_samples") or settings["min_cluster_size"], len(features))
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


def predictor(estimator, features, labels: np.ndarray, settings: dict):
    """What clusters new rows like the fitted ``estimator`` did: itself when it can
    ``predict`` (KMeans, GMM), else a :class:`NearestPointAssigner`."""
    if hasattr(estimator, "predict"):
        return estimator
    return NearestPointAssigner.from_fitted(estimator, to_dense(features), labels, settings)


def predict_clusters(model, features) -> np.ndarray:
    """Cluster labels of new rows from a :func:`predictor` (dense input where fitting
    needed it: GMM, and the nearest-point assigner's neighbour search)."""
    from sklearn.cluster import KMeans

    if not isinstance(model, KMeans):
        features = to_dense(features)
    return np.asarray(model.predict(features), dtype=np.int64)


def elbow_index(ks, inertias) -> int:
    """Index of the elbow of a decreasing curve (the "kneedle" rule).

    Both axes are scaled to [0, 1]; the elbow is the point farthest below the
    straight line from the first to the last point.
    """
    ks = np.asarray(ks, dtype=float)
    y = np.asarray(inertias, dtype=float)
    if len(ks) < 3:
        raise ValueError("the elbow method needs at least 3 values of K")
    x = (ks - ks[0]) / (ks[-1] - ks[0])
    span = y[0] - y[-1]
    yn = (y - y[-1]) / span if span > 0 else np.zeros_like(y)
    # the chord goes from (0, 1) to (1, 0): distance below it is 1 - x - yn
    return int(np.argmax(1.0 - x - yn))


def choose_k(features: np.ndarray, k_min: int, k_max: int, seed: int, method: str = "elbow",
             n_init: int = 4, max_silhouette_rows: int = 5000) -> dict:
    """Choose K by the elbow of KMeans inertia, with silhouette as a second opinion."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    k_max = min(k_max, features.shape[0] - 1)
    if k_max - k_min < 2:
        raise ValueError(f"K range [{k_min}, {k_max}] is too small for the elbow method "
                         f"({features.shape[0]} rows)")
    ks = list(range(k_min, k_max + 1))
    inertias, silhouettes = [], []
    sample = min(features.shape[0], max_silhouette_rows)
    for k in ks:
        km = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(features)
        inertias.append(float(km.inertia_))
        silhouettes.append(float(silhouette_score(features, km.labels_, sample_size=sample,
                                                  random_state=seed)))
        log.info("K=%d inertia=%.4g silhouette=%.4f", k, inertias[-1], silhouettes[-1])
    k_elbow = ks[elbow_index(ks, inertias)]
    k_silhouette = ks[int(np.argmax(silhouettes))]
    chosen = k_elbow if method == "elbow" else k_silhouette
    log.info("K by elbow: %d, by silhouette: %d; chosen (%s): %d", k_elbow, k_silhouette,
             method, chosen)
    return {"k": chosen, "method": method, "k_elbow": k_elbow, "k_silhouette": k_silhouette,
            "ks": ks, "inertia": inertias, "silhouette": silhouettes}


def resolve_k(k_spec, settings: dict, rows, selection_path=None) -> int | None:
    """K for a clusterer: a number from config, the number of classes, or the elbow choice.

    Returns ``None`` for clusterers that find the number of clusters themselves.
    """
    if not needs_k(settings):
        return None
    if isinstance(k_spec, int):
        return k_spec
    if k_spec == "labels":
        if "label" not in rows:
            raise ValueError("k is 'labels' but the dataset has no label column")
        return int(rows["label"].nunique())
    if k_spec == "auto":
        if selection_path is None:
            raise ValueError("k is 'auto' but no K selection (k.json) was given")
        import json
        with open(selection_path) as fh:
            return int(json.load(fh)["k"])
    raise ValueError(f"k must be a positive integer, 'labels' or 'auto', got {k_spec!r}")


def read_start_clusters(path, rows, pipeline_name: str) -> np.ndarray:
    """The cluster of every row in another pipeline's clusters.csv (the start of a DEC/IDEC
    run: clusterer ``init_from``), checked against this dataset's rows (ids in order) and
    with every row clustered (no DBSCAN noise)."""
    import pandas as pd

    start = pd.read_csv(path)
    if list(start["id"]) != list(rows["id"]):
        raise ValueError(f"{path}: the clusters of pipeline {pipeline_name!r} (init_from) are "
                         f"not of this dataset's {len(rows)} rows in order")
    labels = start["cluster"].to_numpy()
    if (labels < 0).any():
        raise ValueError(f"{path}: pipeline {pipeline_name!r} (init_from) left "
                         f"{int((labels < 0).sum())} rows as noise; DEC needs a cluster for "
                         "every row to start from (use a clusterer without noise, e.g. GMM)")
    return labels
