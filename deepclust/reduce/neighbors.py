"""Nearest neighbours for UMAP: umap-learn imported fast (no TensorFlow, numba functions
cached on disk) and an exact neighbour search that it can use in place of its own."""

from __future__ import annotations

import sys
import warnings

import numpy as np


def import_umap():
    """Import umap-learn without its optional ParametricUMAP.

    ``umap/__init__`` imports TensorFlow when it is installed (seconds per
    process) only to offer ParametricUMAP, which this workflow never uses;
    hiding TensorFlow during the import makes that optional import fail fast.
    """
    if "umap" in sys.modules or "tensorflow" in sys.modules:
        import umap  # heavy (numba); only the jobs that reduce or view need it
    else:
        sys.modules["tensorflow"] = None  # makes "import tensorflow" raise ImportError
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ImportWarning)
                import umap  # heavy (numba); only the jobs that reduce or view need it
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
    # numba comes with umap-learn, imported only by the jobs that use it
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
        # scikit-learn here, not at the top: the Snakefile imports this module (via the config)
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
