"""2-D and 3-D views of a representation for figures (t-SNE, UMAP, PCA)."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.manifold import TSNE

from deepclust.features import is_sparse
from deepclust.figures.axes import view_method
from deepclust.reduce.neighbors import exact_neighbors, import_umap

#: wider representations are reduced to this many PCA dimensions before a t-SNE/UMAP view
VIEW_PCA_DIMS = 50


#: t-SNE's optimisation steps for a view (scikit-learn's default is 1,000): three quarters of
#: the time for a view nearly as faithful (bench/NOTES.md)
TSNE_ITERATIONS = 750


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
    :data:`deepclust.figures.axes.TSNE_MAX_ROWS` rows, UMAP above).
    """
    method = view_method(method, features.shape[0])

    if is_sparse(features):  # bag-of-words: t-SNE/UMAP of a 50-d truncated SVD
        features = TruncatedSVD(n_components=min(50, features.shape[1] - 1),
                                random_state=seed).fit_transform(features)
    if features.shape[1] <= 2:
        return np.pad(features, ((0, 0), (0, 2 - features.shape[1]))).astype(np.float32)
    if method in ("tsne", "umap") and features.shape[1] > VIEW_PCA_DIMS:
        # wide dense input (raw pixels, one-hot tables): t-SNE/UMAP of its 50-d PCA, which
        # keeps the neighbourhoods and is much faster than on every column
        features = PCA(n_components=VIEW_PCA_DIMS, random_state=seed).fit_transform(
            np.asarray(features, dtype=np.float32))
    if method == "tsne":
        perplexity = min(30.0, (features.shape[0] - 1) / 3)
        view = TSNE(n_components=2, init="pca", perplexity=perplexity, max_iter=TSNE_ITERATIONS,
                    random_state=seed).fit_transform(features)
    elif method == "umap":
        view = umap_view(features, 2, seed)
    elif method == "pca":
        view = PCA(n_components=2, random_state=seed).fit_transform(features)
    else:
        raise ValueError(f"unknown 2-D view method {method!r}")
    return np.asarray(view, dtype=np.float32)


VIEW_3D_METHODS = ("none", "pca", "umap")


def view_3d(features, method: str, seed: int) -> np.ndarray:
    """A 3-D view of a representation: itself when it has exactly 3 dimensions, else its PCA
    or UMAP to 3-D (sparse input through a 50-d truncated SVD first)."""

    if method not in VIEW_3D_METHODS:
        raise ValueError(f"unknown 3-D view method {method!r} (figures.view_3d: "
                         f"one of {', '.join(VIEW_3D_METHODS)})")
    if not is_sparse(features) and np.asarray(features).shape[1] == 3:
        return np.asarray(features, dtype=np.float32)
    if method == "none":
        raise ValueError(f"the representation has {features.shape[1]} dimensions, not 3: set "
                         "figures.view_3d to pca or umap for a 3-D view of it")
    if is_sparse(features):
        features = TruncatedSVD(n_components=min(50, features.shape[1] - 1),
                                random_state=seed).fit_transform(features)
    features = np.asarray(features, dtype=np.float32)
    if features.shape[1] < 3:
        return np.pad(features, ((0, 0), (0, 3 - features.shape[1])))
    if method == "pca":
        view = PCA(n_components=3, random_state=seed).fit_transform(features)
    else:
        if features.shape[1] > VIEW_PCA_DIMS:
            features = PCA(n_components=VIEW_PCA_DIMS,
                           random_state=seed).fit_transform(features)
        view = umap_view(features, 3, seed)
    return np.asarray(view, dtype=np.float32)
