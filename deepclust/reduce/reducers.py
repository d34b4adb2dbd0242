"""The reducers of the ``reduce`` rule (UMAP, Isomap, truncated SVD for text) from config
entries: fit on a representation, and place new rows into the fitted embedding."""

from __future__ import annotations

import logging
import time
import warnings

import numpy as np
from sklearn import decomposition
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.manifold import Isomap
from sklearn.preprocessing import normalize as unit_rows

from deepclust.features import load_fitted
from deepclust.reduce.neighbors import exact_neighbors, import_umap
from deepclust.registry import build
from deepclust.workflow.resources import reducer_threads

log = logging.getLogger(__name__)


class UMAP(TransformerMixin, BaseEstimator):
    """umap-learn's UMAP, by default on exact nearest neighbours (``knn="exact"``: a
    scikit-learn search, deterministic for any ``n_jobs``; ``"approximate"``: umap-learn's own).

    Seeded with ``random_state`` and therefore single-threaded unless ``parallel=True``: then
    it runs on ``n_jobs`` threads without a random_state, and its layout differs slightly
    from run to run. After :meth:`fit`: ``umap_`` (the fitted ``umap.UMAP``) and
    ``embedding_``. The defaults are N2D's: 10 dimensions from 20 neighbours, packed tightly
    (``min_dist=0``) for clustering rather than for the eye.
    """

    def __init__(self, *, n_components: int = 10, n_neighbors: int = 20, min_dist: float = 0.0,
                 metric: str = "euclidean", n_epochs: int | None = None, knn: str = "exact",
                 parallel: bool = False, random_state: int | None = None, n_jobs: int = 1):
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.metric = metric
        self.n_epochs = n_epochs
        self.knn = knn
        self.parallel = parallel
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit_transform(self, X, y=None):
        neighbours = None
        if self.knn == "exact":
            start = time.perf_counter()
            neighbours = exact_neighbors(X, self.n_neighbors, self.metric, self.n_jobs)
            log.info("exact %d nearest neighbours (%s) in %.1f s", self.n_neighbors,
                     self.metric, time.perf_counter() - start)
        self.umap_ = import_umap().UMAP(
            n_components=self.n_components, n_neighbors=self.n_neighbors,
            min_dist=self.min_dist, metric=self.metric, n_epochs=self.n_epochs,
            random_state=None if self.parallel else self.random_state, n_jobs=self.n_jobs,
            precomputed_knn=neighbours or (None, None, None), verbose=True)
        with warnings.catch_warnings():  # the two umap-learn warnings these settings raise
            warnings.filterwarnings("ignore", message=".*knn_search_index.*")
            warnings.filterwarnings("ignore", message=".*overridden to 1 by setting random_state.*")
            self.embedding_ = self.umap_.fit_transform(X)
        self.umap_.verbose = False  # no layout progress lines when it transforms new rows
        return self.embedding_

    def fit(self, X, y=None):
        self.fit_transform(X)
        return self

    def transform(self, X):
        """New rows laid out among their nearest training rows (the training embedding
        stays fixed)."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*n_jobs value.*")
            return self.umap_.transform(X)


class TruncatedSVD(decomposition.TruncatedSVD):
    """scikit-learn's TruncatedSVD (latent semantic analysis of TF-IDF; sparse input stays
    sparse) to 100 dimensions by default, each embedded row scaled to unit length unless
    ``normalize=False``."""

    _parameter_constraints = {**decomposition.TruncatedSVD._parameter_constraints,
                              "normalize": ["boolean"]}

    def __init__(self, n_components=100, *, normalize=True, algorithm="randomized", n_iter=5,
                 n_oversamples=10, power_iteration_normalizer="auto", random_state=None,
                 tol=0.0):
        super().__init__(n_components=n_components, algorithm=algorithm, n_iter=n_iter,
                         n_oversamples=n_oversamples,
                         power_iteration_normalizer=power_iteration_normalizer,
                         random_state=random_state, tol=tol)
        self.normalize = normalize

    def _rows(self, embedding):
        return unit_rows(embedding, copy=False) if self.normalize else embedding

    def fit_transform(self, X, y=None):
        return self._rows(super().fit_transform(X, y))

    def transform(self, X):
        return self._rows(super().transform(X))


#: the reducer of each ``kind``: a reducer config entry's keys are its parameters
REDUCERS = {"umap": UMAP, "isomap": Isomap, "svd": TruncatedSVD}


def make_reducer(settings: dict, seed: int, n_jobs: int = 1):
    """The reducer of a config entry, seeded with ``seed``, on ``n_jobs`` threads."""
    return build(REDUCERS, "reducer", settings, random_state=seed, n_jobs=n_jobs)


def reduce(features: np.ndarray, settings: dict, seed: int, threads: int = 1,
           name: str = "reducer"):
    """Fit the reducer on ``features``: ``(fitted reducer, low-dimensional embedding)``.

    The fitted reducer's ``transform`` places new rows (see :func:`transform`). ``name``
    (e.g. ``reducers.lsa100``) names the config entry in the errors of settings that this
    data cannot take.
    """
    n_neighbors = settings.get("n_neighbors")
    if n_neighbors is not None and n_neighbors >= features.shape[0]:
        raise ValueError(f"{name}.n_neighbors={n_neighbors} needs more than "
                         f"{features.shape[0]} rows")
    if settings["kind"] == "svd" and settings["n_components"] >= features.shape[1]:
        raise ValueError(f"{name}.n_components={settings['n_components']} must be below the "
                         f"{features.shape[1]} features a truncated SVD reduces (this "
                         "dataset's vectorized width: lower n_components or, for text, keep "
                         "more terms with the dataset's text settings)")
    # Isomap's ARPACK start vector, and the initial layout of an unseeded (parallel)
    # UMAP, come from NumPy's global state
    np.random.seed(seed)
    threads = reducer_threads(settings, threads)
    start = time.perf_counter()
    reducer = make_reducer(settings, seed, threads)
    embedding = reducer.fit_transform(features)
    log.info("%s: %d x %d -> %d x %d in %.1f s on %d thread(s)", settings["kind"],
             *features.shape, *embedding.shape, time.perf_counter() - start, threads)
    return reducer, np.asarray(embedding, dtype=np.float32)


def transform(reducer, features: np.ndarray) -> np.ndarray:
    """New rows placed into a fitted reducer's embedding (UMAP: its training embedding stays
    fixed while the new points are laid out among their nearest training rows)."""
    return np.asarray(reducer.transform(features), dtype=np.float32)


def load_reducer(path):
    """A reducer saved by :func:`deepclust.features.save_fitted`."""
    import_umap()  # a pickled UMAP needs umap importable (and without TensorFlow's slow import)
    return load_fitted(path)


