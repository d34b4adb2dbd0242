"""Example image grids of image clusters (deepclust/figures/examples.py)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits

from deepclust.errors import DatasetError
from deepclust.figures.examples import choose_examples, nearest_to_centre, plot_examples


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    pixels = data.data[:600].astype(np.float32)
    clusters = KMeans(10, n_init=3, random_state=0).fit_predict(pixels)
    return pixels, data.target[:600], clusters


def test_grid_rows_columns_and_nearest_members(digits, tmp_path):
    pixels, labels, clusters = digits
    clusters = clusters.copy()
    clusters[:20] = -1  # noise gets its own row, last
    path = tmp_path / "examples.png"
    chosen = plot_examples(pixels, [8, 8, 1], pixels, clusters, path,
                           "digits: pipeline 'kmeans', seed 0", seed=0, labels=labels,
                           class_names=[str(d) for d in range(10)])
    assert list(chosen) == [*range(10), -1]
    for c, (near, rand) in chosen.items():
        assert len(near) == 6 and len(rand) == 6
        assert np.all(clusters[near] == c) and np.all(clusters[rand] == c)
        assert not set(near) & set(rand)
    # the nearest are the members nearest the centre, nearest first
    for c in range(10):
        members = np.flatnonzero(clusters == c)
        dist = ((pixels[members] - pixels[members].mean(axis=0)) ** 2).sum(axis=1)
        assert list(chosen[c][0]) == list(members[np.argsort(dist, kind="stable")[:6]])
    grey = np.asarray(Image.open(path).convert("L"), dtype=float)
    assert grey.std() > 30  # not blank
    # the tile area: 11 tall bands of tiles (one per row; text lines are short), and in them
    # 12 columns of tiles with a wide gap between the 6 nearest and the 6 random
    right = grey[:, grey.shape[1] // 5:]  # right of the row labels
    dark_rows = (right < 200).any(axis=1)
    runs = np.diff(np.flatnonzero(np.diff(np.r_[0, dark_rows.astype(int), 0])).reshape(-1, 2))
    tall = runs.ravel() > 0.5 * runs.max()
    assert tall.sum() == 11
    tile_rows = np.zeros_like(dark_rows)
    bounds = np.flatnonzero(np.diff(np.r_[0, dark_rows.astype(int), 0])).reshape(-1, 2)
    for (a, b), is_tall in zip(bounds, tall):
        tile_rows[a:b] = is_tall
    dark_cols = (grey[tile_rows] < 200).any(axis=0)  # full width: row labels, then tiles
    edges = np.flatnonzero(np.diff(np.r_[0, dark_cols.astype(int), 0])).reshape(-1, 2)
    widths = edges[:, 1] - edges[:, 0]
    edges = edges[-12:]  # the 12 tiles are the last runs, of (almost) equal width
    assert np.ptp(widths[-12:]) <= 0.25 * np.median(widths[-12:])
    assert len(widths) > 12  # the row labels, left of the tiles
    gaps = edges[1:, 0] - edges[:-1, 1]
    assert np.argmax(gaps) == 5 and gaps[5] > 2 * np.median(gaps)


def test_random_members_follow_the_seed(digits):
    pixels, _, clusters = digits
    a = choose_examples(pixels, clusters, seed=0)
    b = choose_examples(pixels, clusters, seed=0)
    c = choose_examples(pixels, clusters, seed=1)
    assert all(np.array_equal(a[k][1], b[k][1]) for k in a)
    assert any(not np.array_equal(a[k][1], c[k][1]) for k in a)
    assert all(np.array_equal(a[k][0], c[k][0]) for k in a)  # nearest: no randomness


def test_small_clusters_unlabelled_and_sparse(tmp_path):
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    pixels = rng.random((9, 16)).astype(np.float32)
    clusters = np.array([0, 0, 0, 1, 1, 1, 1, 1, 1])
    chosen = plot_examples(pixels, [4, 4], sp.csr_matrix(pixels), clusters,
                           tmp_path / "e.png", "tiny", n_nearest=2, n_random=2)
    assert [len(chosen[0][0]), len(chosen[0][1])] == [2, 1]  # only 3 members
    dense = nearest_to_centre(pixels, clusters, 3)
    assert all(np.array_equal(dense[c][:2], chosen[c][0]) for c in chosen)  # sparse = dense


def test_bad_input_is_named(digits, tmp_path):
    pixels, _, clusters = digits
    with pytest.raises(DatasetError, match="no image_shape"):
        plot_examples(pixels, None, pixels, clusters, tmp_path / "e.png", "t")
    with pytest.raises(DatasetError, match=r"image_shape \[7, 7, 1\] \(49 pixels\)"):
        plot_examples(pixels, [7, 7, 1], pixels, clusters, tmp_path / "e.png", "t")
    with pytest.raises(DatasetError, match="600 feature rows for 599 cluster"):
        nearest_to_centre(pixels, clusters[:599], 3)


@pytest.mark.workflow
def test_examples_through_the_workflow(tmp_path):
    """plot_examples on digits (500 rows, KMeans): one row per cluster, the nearest images
    are members, the grid is not blank."""
    import json

    import pandas as pd
    from conftest import run_workflow

    target = "results/digits/pipelines/kmeans/seed0/examples.png"
    run_workflow(tmp_path, {"run": {"datasets": ["digits"], "pipelines": ["kmeans"],
                                    "seeds": [0]},
                            "datasets": {"digits": {"max_rows": 500}}}, target)
    clusters = pd.read_csv(tmp_path / "results/digits/pipelines/kmeans/seed0/clusters.csv")
    assert len(clusters) == 500 and clusters["cluster"].nunique() == 10
    meta = json.loads((tmp_path / "results/digits/prepared/dataset.json").read_text())
    assert meta["image_shape"] == [8, 8, 1]
    grey = np.asarray(Image.open(tmp_path / target).convert("L"), dtype=float)
    assert grey.std() > 30
    dark_rows = (grey[:, grey.shape[1] // 5:] < 200).any(axis=1)
    bounds = np.flatnonzero(np.diff(np.r_[0, dark_rows.astype(int), 0])).reshape(-1, 2)
    heights = bounds[:, 1] - bounds[:, 0]
    assert (heights > 0.5 * heights.max()).sum() == 10  # one band of tiles per cluster
    log = (tmp_path / "results/logs/plot_examples/digits/kmeans/seed0.log").read_text()
    assert "example grid of 10 clusters (6 nearest + 6 random)" in log
