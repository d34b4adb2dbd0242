import numpy as np
import pytest

from deepclust.reduce.neighbors import exact_neighbors
from deepclust.reduce.reducers import reduce
from deepclust.workflow.resources import reducer_threads

UMAP = {"kind": "umap", "n_components": 2, "n_neighbors": 10, "min_dist": 0.0,
        "metric": "euclidean", "n_epochs": 50, "parallel": False, "knn": "exact"}


def _blobs(n=300, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 10, (3, 5))
    return (centres[np.arange(n) % 3] + rng.normal(0, 1, (n, 5))).astype(np.float32)


def test_exact_neighbors_match_brute_force_and_start_with_the_row_itself():
    x = _blobs()
    indices, distances, _ = exact_neighbors(x, 7, "euclidean", n_jobs=2)
    assert indices.shape == distances.shape == (300, 7)
    assert (indices[:, 0] == np.arange(300)).all() and (distances[:, 0] == 0).all()
    full = np.linalg.norm(x[:, None] - x[None], axis=2)
    assert np.allclose(distances, np.sort(full, axis=1)[:, :7], atol=1e-4)


def test_exact_neighbors_name_an_unsupported_metric():
    with pytest.raises(ValueError, match="reducer metric 'hellinger' has no exact .* knn: approx"):
        exact_neighbors(_blobs(), 5, "hellinger")


def test_seeded_umap_is_identical_across_runs_and_uses_one_thread():
    first, second = (reduce(_blobs(), UMAP, seed=3, threads=2)[1] for _ in range(2))
    assert first.shape == (300, 2) and first.dtype == np.float32
    assert np.array_equal(first, second)
    assert reducer_threads(UMAP, 8) == 1
    assert reducer_threads(dict(UMAP, parallel=True), 8) == 8
    assert reducer_threads({"kind": "isomap"}, 8) == 8


def test_parallel_and_approximate_umap_run():
    for settings in (dict(UMAP, parallel=True), dict(UMAP, knn="approximate")):
        assert reduce(_blobs(), settings, seed=0, threads=2)[1].shape == (300, 2)


def test_reducer_needs_more_rows_than_neighbours():
    with pytest.raises(ValueError,
                       match=r"^reducers\.umap10\.n_neighbors=10 needs more than 8 rows"):
        reduce(_blobs(8), UMAP, seed=0, name="reducers.umap10")


@pytest.mark.parametrize("n_rows", [600, 4500])  # umap-learn's small-data path and ours (>4096)
def test_fitted_umap_places_new_rows_after_reloading(tmp_path, n_rows):
    from deepclust.features import save_fitted
    from deepclust.reduce.reducers import load_reducer, transform

    x = _blobs(n_rows + 90, seed=5)
    blob = np.arange(n_rows + 90) % 3
    reducer, embedding = reduce(x[:n_rows], UMAP, seed=0)
    save_fitted(reducer, tmp_path / "umap.joblib")
    loaded = load_reducer(tmp_path / "umap.joblib")
    new = transform(loaded, x[n_rows:])
    assert new.shape == (90, 2) and new.dtype == np.float32
    np.testing.assert_array_equal(new, transform(loaded, x[n_rows:]))  # deterministic
    centres = np.stack([embedding[blob[:n_rows] == b].mean(axis=0) for b in range(3)])
    nearest = np.linalg.norm(new[:, None] - centres[None], axis=2).argmin(axis=1)
    np.testing.assert_array_equal(nearest, blob[n_rows:])


def test_svd_reducer_is_seeded_keeps_sparse_input_and_places_new_rows():
    """Latent semantic analysis: a truncated SVD of sparse TF-IDF, rows scaled to unit length."""
    import scipy.sparse as sp

    from deepclust.reduce.reducers import transform

    X = sp.random(200, 300, density=0.05, random_state=0, format="csr", dtype=np.float32)
    settings = {"kind": "svd", "n_components": 20, "n_iter": 5, "normalize": True}
    reducer, embedding = reduce(X, settings, seed=3)
    again = reduce(X, settings, seed=3)[1]
    assert embedding.shape == (200, 20) and embedding.dtype == np.float32
    assert np.array_equal(embedding, again)
    norms = np.linalg.norm(embedding, axis=1)
    assert np.allclose(norms[norms > 0], 1.0, atol=1e-5)
    assert np.allclose(transform(reducer, X[:5]), embedding[:5], atol=1e-5)
    with pytest.raises(ValueError, match=r"^reducers\.lsa\.n_components=300 must be below the "
                       r"300 features a truncated SVD reduces \(this dataset's vectorized width"):
        reduce(X, {**settings, "n_components": 300}, seed=0, name="reducers.lsa")


UMAP_IN_A_NEW_PROCESS = """
import sys
import numpy as np
from deepclust.reduce.reducers import reduce
from tests.test_reduce import UMAP, _blobs
np.save(sys.argv[1], reduce(_blobs(), dict(UMAP, n_epochs=20), seed=3)[1])
"""


def test_umap_functions_are_cached_on_disk_and_give_the_same_embedding(tmp_path):
    """umap-learn's numba functions compile once into the cache, and a process that loads
    them from it embeds exactly as the one that compiled them."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from numba.core.caching import NullCache

    from deepclust.reduce.neighbors import cache_numba_functions, import_umap

    umap = import_umap()
    assert not isinstance(umap.umap_.smooth_knn_dist._cache, NullCache)
    assert not isinstance(umap.layouts._nb_optimize_layout_euclidean_single_epoch._cache, NullCache)
    assert cache_numba_functions(("umap",)) == 0  # already on: nothing left to turn on
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"))
    root = Path(__file__).resolve().parents[1]
    for run in ("compiles", "loads"):
        subprocess.run([sys.executable, "-c", UMAP_IN_A_NEW_PROCESS,
                        str(tmp_path / f"{run}.npy")], env=env, cwd=root,
                       capture_output=True, text=True, check=True)
    # the index file of a function umap-learn compiles without cache=True
    assert list((tmp_path / "numba").rglob("umap_.smooth_knn_dist-*.nbi"))
    assert np.array_equal(np.load(tmp_path / "compiles.npy"), np.load(tmp_path / "loads.npy"))
