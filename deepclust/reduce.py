"""Reducers (UMAP, Isomap, truncated SVD for text) and 2-D views for figures."""

from __future__ import annotations

import logging
import sys
import time
import warnings

import numpy as np

log = logging.getLogger(__name__)


def import_umap():
    """Import umap-learn without its optional ParametricUMAP.

    ``umap/__init__`` imports TensorFlow when it is installed (seconds per
    process) only to offer ParametricUMAP, which this workflow never uses;
    hiding TensorFlow during the import makes that optional import fail fast.
    """
    if "umap" in sys.modules or "tensorflow" in sys.modules:
        import umap
    else:
        sys.modules["tensorflow"] = None  # makes "import tensorflow" raise ImportError
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ImportWarning)
                import umap
        finally:
            del sys.modules["tensorflow"]
    cache_numba_functions(NUMBA_CACHED_PACKAGES)
    return umap


#: packages whose numba functions :func:`cache_numba_functions` caches on disk
NUMBA_CACHED_PACKAGES = ("umap", "pynndescent")


def cache_numba_functions(packages) -> int:
    """Turn on numba's on-disk cache for every jitted function of the imported modules of
    ``packages`` that does not already have it; returns how many were turned on.

    umap-learn compiles most of its functions without ``cache=True``, so every new process
    (every reduce and view job) would recompile them, often for longer than the UMAP itself
    takes. Cached, they load in a fraction of a second from the package's
    ``__pycache__`` (or numba's user-wide cache when that is read-only). The machine code
    is the same, so results are unchanged; numba invalidates an entry when its source
    file changes.
    """
    from numba.core.caching import NullCache
    from numba.core.dispatcher import Dispatcher

    turned_on = 0
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in packages:
            continue
        for function in list(vars(module).values()):
            if (isinstance(function, Dispatcher) and function.__module__ == name
                    and isinstance(function._cache, NullCache)):
                function.enable_caching()
                turned_on += 1
    return turned_on


#: metrics scikit-learn's NearestNeighbors computes exactly (UMAP's names)
EXACT_KNN_METRICS = {"euclidean", "cosine", "manhattan", "chebyshev", "correlation",
                     "braycurtis", "canberra", "minkowski"}


class ExactNeighborIndex:
    """Exact nearest-neighbour search (scikit-learn) over the rows a UMAP was fitted on.

    It offers what umap-learn's ``transform`` asks of its search index
    (``query(X, k, epsilon)`` and ``_angular_trees``), so a UMAP fitted on these exact
    neighbours can still place new rows into its embedding (clustering of new data).
    """

    _angular_trees = False

    def __init__(self, features, metric: str, n_jobs: int = 1):
        from sklearn.neighbors import NearestNeighbors

        if metric not in EXACT_KNN_METRICS:
            raise ValueError(f"reducer metric {metric!r} has no exact nearest-neighbour search; "
                             f"use one of {sorted(EXACT_KNN_METRICS)} or knn: approximate")
        self.search = NearestNeighbors(metric=metric, n_jobs=n_jobs).fit(features)

    def query(self, features, k: int, epsilon=None):
        """``(indices, distances)`` of the ``k`` nearest fitted rows of each row."""
        distances, indices = self.search.kneighbors(features, n_neighbors=k)
        return indices.astype(np.int32), distances.astype(np.float32)


def exact_neighbors(features, n_neighbors: int, metric: str, n_jobs: int = 1):
    """Exact k nearest neighbours of every row among all rows (itself included, as
    umap-learn's own search does): ``(indices, distances, index)``, the
    ``precomputed_knn`` that UMAP takes, with an :class:`ExactNeighborIndex`.

    Deterministic for any ``n_jobs``, and fast on low-dimensional embeddings, where
    umap-learn's approximate search first compiles itself with numba in every new
    process.
    """
    index = ExactNeighborIndex(features, metric, n_jobs)
    indices, distances = index.query(features, n_neighbors)
    return indices, distances, index


def reducer_threads(settings: dict, threads: int) -> int:
    """How many threads a reducer can use without losing determinism (or, for UMAP
    with ``parallel: true``, giving it up on purpose)."""
    if settings["kind"] == "umap" and not settings.get("parallel", False):
        return 1  # umap-learn is single-threaded whenever it has a random_state
    return threads


def make_reducer(settings: dict, seed: int, n_jobs: int = 1, knn=None):
    """A scikit-learn style reducer (``fit_transform``) from a reducer config entry.

    UMAP is seeded (``random_state``) and therefore single-threaded unless the
    entry says ``parallel: true``: then it runs on ``n_jobs`` threads without a
    random_state, and its layout differs slightly from run to run.
    """
    kind = settings["kind"]
    if kind == "umap":
        umap = import_umap()
        parallel = settings.get("parallel", False)
        return umap.UMAP(n_components=settings["n_components"],
                         n_neighbors=settings["n_neighbors"], min_dist=settings["min_dist"],
                         metric=settings["metric"], n_epochs=settings.get("n_epochs"),
                         random_state=None if parallel else seed, n_jobs=n_jobs,
                         precomputed_knn=knn or (None, None, None), verbose=True)
    if kind == "isomap":
        from sklearn.manifold import Isomap
        return Isomap(n_components=settings["n_components"],
                      n_neighbors=settings["n_neighbors"], n_jobs=n_jobs)
    if kind == "svd":  # latent semantic analysis of TF-IDF (any matrix, sparse kept sparse)
        from sklearn.decomposition import TruncatedSVD
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import Normalizer

        svd = TruncatedSVD(n_components=settings["n_components"], n_iter=settings["n_iter"],
                           random_state=seed)
        return make_pipeline(svd, Normalizer(copy=False)) if settings["normalize"] else svd
    raise ValueError(f"unknown reducer kind {kind!r}")


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
    knn = None
    if settings["kind"] == "umap" and settings.get("knn", "exact") == "exact":
        knn = exact_neighbors(features, settings["n_neighbors"], settings["metric"], threads)
        log.info("exact %d nearest neighbours (%s) in %.1f s", settings["n_neighbors"],
                 settings["metric"], time.perf_counter() - start)
    with warnings.catch_warnings():  # the two umap-learn warnings these settings always raise
        warnings.filterwarnings("ignore", message=".*knn_search_index.*")
        warnings.filterwarnings("ignore", message=".*overridden to 1 by setting random_state.*")
        reducer = make_reducer(settings, seed, threads, knn)
        embedding = reducer.fit_transform(features)
    log.info("%s: %d x %d -> %d x %d in %.1f s on %d thread(s)", settings["kind"],
             *features.shape, *embedding.shape, time.perf_counter() - start, threads)
    if hasattr(reducer, "verbose"):
        reducer.verbose = False  # no layout progress lines when it later transforms new rows
    return reducer, np.asarray(embedding, dtype=np.float32)


def transform(reducer, features: np.ndarray) -> np.ndarray:
    """New rows placed into a fitted reducer's embedding (UMAP: its training embedding stays
    fixed while the new points are laid out among their nearest training rows)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*n_jobs value.*")
        return np.asarray(reducer.transform(features), dtype=np.float32)


def load_reducer(path):
    """A reducer saved by :func:`deepclust.features.save_fitted`."""
    from deepclust.features import load_fitted

    import_umap()  # a pickled UMAP needs umap importable (and without TensorFlow's slow import)
    return load_fitted(path)


#: above this many rows, ``auto`` views use UMAP (t-SNE's time grows too fast with the rows)
TSNE_MAX_ROWS = 5000
#: wider representations are reduced to this many PCA dimensions before a t-SNE/UMAP view
VIEW_PCA_DIMS = 50
#: t-SNE's optimisation steps for a view (scikit-learn's default is 1,000): three quarters of
#: the time for a view nearly as faithful (bench/NOTES.md)
TSNE_ITERATIONS = 750


def view_method(method: str, n_rows: int) -> str:
    if method == "auto":
        return "tsne" if n_rows <= TSNE_MAX_ROWS else "umap"
    return method


def umap_view(features: np.ndarray, n_components: int, seed: int) -> np.ndarray:
    """A seeded UMAP layout for figures, on exact nearest neighbours (umap-learn's own
    approximate search first compiles itself with numba in every process)."""
    n_neighbors = min(15, features.shape[0] - 1)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*knn_search_index.*")
        warnings.filterwarnings("ignore", message=".*overridden to 1 by setting random_state.*")
        knn = exact_neighbors(features, n_neighbors, "euclidean")
        return import_umap().UMAP(n_components=n_components, n_neighbors=n_neighbors,
                                  random_state=seed, precomputed_knn=knn,
                                  n_epochs=200).fit_transform(features)


def view_2d(features: np.ndarray, method: str, seed: int) -> np.ndarray:
    """A 2-D view of a representation for plotting (the representation itself if already 2-D).

    ``method``: ``tsne``, ``umap``, ``pca`` or ``auto`` (t-SNE up to
    :data:`TSNE_MAX_ROWS` rows, UMAP above).
    """
    method = view_method(method, features.shape[0])
    from deepclust.features import is_sparse

    if is_sparse(features):  # bag-of-words: t-SNE/UMAP of a 50-d truncated SVD
        from sklearn.decomposition import TruncatedSVD
        features = TruncatedSVD(n_components=min(50, features.shape[1] - 1),
                                random_state=seed).fit_transform(features)
    if features.shape[1] <= 2:
        return np.pad(features, ((0, 0), (0, 2 - features.shape[1]))).astype(np.float32)
    if method in ("tsne", "umap") and features.shape[1] > VIEW_PCA_DIMS:
        # wide dense input (raw pixels, one-hot tables): t-SNE/UMAP of its 50-d PCA, which
        # keeps the neighbourhoods and is much faster than on every column
        from sklearn.decomposition import PCA
        features = PCA(n_components=VIEW_PCA_DIMS, random_state=seed).fit_transform(
            np.asarray(features, dtype=np.float32))
    if method == "tsne":
        from sklearn.manifold import TSNE
        perplexity = min(30.0, (features.shape[0] - 1) / 3)
        view = TSNE(n_components=2, init="pca", perplexity=perplexity, max_iter=TSNE_ITERATIONS,
                    random_state=seed).fit_transform(features)
    elif method == "umap":
        view = umap_view(features, 2, seed)
    elif method == "pca":
        from sklearn.decomposition import PCA
        view = PCA(n_components=2, random_state=seed).fit_transform(features)
    else:
        raise ValueError(f"unknown 2-D view method {method!r}")
    return np.asarray(view, dtype=np.float32)
