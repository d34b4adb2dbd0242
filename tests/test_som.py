"""Self-organising map clusterer (deepclust/cluster/som.py) and its figures."""

import numpy as np
import pytest
from minisom import MiniSom
from PIL import Image
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits

from deepclust.cluster.clusterers import (
    fit_predict,
    make_clusterer,
    needs_k,
    predict_clusters,
    predictor,
)
from deepclust.cluster.som import SOMClusterer, auto_grid
from deepclust.evaluate.matching import cluster_accuracy, cluster_purity
from deepclust.figures.som_figures import node_majorities, plot_hit_map, plot_umatrix

SOM = {"kind": "som", "grid": None, "sigma": None, "learning_rate": 0.5, "epochs": 10,
       "decay_function": "inverse_decay_to_zero", "sigma_decay_function": "inverse_decay_to_one",
       "neighborhood_function": "gaussian", "topology": "rectangular", "iterations": None,
       "initialization": "pca", "node_clusters": "kmeans", "random_seed": None}


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return data.data / 16.0, data.target


@pytest.fixture(scope="module")
def fitted(digits):
    X, _ = digits
    return fit_predict(X, SOM, 10, seed=0)


def test_training_loop_is_minisoms_own():
    """The loop that logs progress updates the map exactly as MiniSom.train(random_order)."""
    X = np.random.default_rng(0).normal(size=(200, 4))
    theirs = MiniSom(5, 6, 4, sigma=1.5, random_seed=7)
    theirs.pca_weights_init(X)
    theirs.train(X, 900, random_order=True)
    ours = MiniSom(5, 6, 4, sigma=1.5, random_seed=7)
    ours.pca_weights_init(X)
    SOMClusterer._train(ours, X, 900)
    np.testing.assert_array_equal(ours.get_weights(), theirs.get_weights())


def test_som_on_digits_does_about_as_well_as_kmeans_on_the_same_pixels(digits, fitted):
    X, y = digits
    _, labels = fitted
    assert len(np.unique(labels)) == 10
    kmeans = KMeans(n_clusters=10, n_init=10, random_state=0).fit_predict(X)
    assert cluster_accuracy(y, labels) >= cluster_accuracy(y, kmeans) - 0.03


def test_same_seed_same_labels_other_seed_other_map(digits, fitted):
    X, _ = digits
    model, labels = fitted
    _, again = fit_predict(X, SOM, 10, seed=0)
    np.testing.assert_array_equal(labels, again)
    other = make_clusterer(dict(SOM, initialization="random"), 10, seed=1).fit(X)
    first = make_clusterer(dict(SOM, initialization="random"), 10, seed=0).fit(X)
    assert not np.array_equal(other.weights_, first.weights_)


def test_config_random_seed_overrides_the_run_seed(digits):
    X, _ = digits
    settings = dict(SOM, random_seed=5, initialization="random", epochs=1)
    a = make_clusterer(settings, 10, seed=0).fit(X)
    b = make_clusterer(settings, 10, seed=3).fit(X)
    assert a.random_state == b.random_state == 5
    np.testing.assert_array_equal(a.labels_, b.labels_)


def test_fit_records_map_quality(fitted):
    model, labels = fitted
    quality = model.map_quality()
    assert quality["som_grid"] == list(auto_grid(1797)) == [15, 15]
    assert 0 < quality["som_quantization_error"] < 3
    assert 0 <= quality["som_topographic_error"] < 0.2
    assert quality["som_nodes_with_rows"] == int((model.hits_ > 0).sum())
    assert model.hits_.sum() == len(labels)
    np.testing.assert_array_equal(labels, model.node_labels_[model.nodes_])


def test_predict_places_rows_on_their_node(digits, fitted):
    """assign: the saved SOM clusters new rows like the training rows."""
    X, _ = digits
    model, labels = fitted
    assert predictor(model, X, labels) is model
    np.testing.assert_array_equal(predict_clusters(model, X[:50]), labels[:50])
    with pytest.raises(ValueError, match="X has 3 features, but SOMClusterer is expecting 64 "
                                         "features as input"):
        model.predict(X[:5, :3])


def test_one_cluster_per_node_measures_purity(digits):
    X, y = digits
    settings = dict(SOM, node_clusters="per_node")
    assert not needs_k(settings)
    model, labels = fit_predict(X, settings, None, seed=0)
    assert len(np.unique(labels)) == model.map_quality()["som_nodes_with_rows"] > 100
    assert cluster_purity(y, labels) >= 0.9  # small nodes hold one digit
    assert cluster_accuracy(y, labels) < 0.3  # a one-to-one match leaves most nodes out


def _regions(model) -> list[int]:
    """Per cluster, the number of connected regions its row-holding nodes form on the grid
    (nodes within two steps are neighbours: an empty node between two is no border)."""
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial.distance import cdist

    held = model.hits_.ravel() > 0
    coords = np.stack(np.unravel_index(np.arange(held.size), model.grid_), axis=1)
    counts = []
    for cluster in np.unique(model.node_labels_[held]):
        nodes = coords[held & (model.node_labels_ == cluster)]
        near = cdist(nodes, nodes, "chebyshev") <= 2
        counts.append(connected_components(near, directed=False)[0])
    return counts


def test_agglomerative_node_clusters_are_connected_regions(digits):
    X, _ = digits
    model, labels = fit_predict(X, dict(SOM, node_clusters="agglomerative", epochs=2), 10, 0)
    assert len(np.unique(labels)) == 10
    assert _regions(model) == [1] * 10
    # a barely trained random map scatters similar nodes: KMeans splits its clusters into
    # pieces, Ward restricted to grid neighbours still gives one region each
    noise = np.random.default_rng(0).uniform(size=(2000, 8))
    scattered = dict(SOM, grid=[10, 10], iterations=20, initialization="random")
    kmeans, _ = fit_predict(noise, scattered, 6, 0)
    ward, _ = fit_predict(noise, dict(scattered, node_clusters="agglomerative"), 6, 0)
    assert max(_regions(kmeans)) > 1
    assert _regions(ward) == [1] * 6


def test_k_larger_than_the_nodes_holding_rows_is_a_clear_error():
    X = np.random.default_rng(0).normal(size=(30, 3))
    with pytest.raises(ValueError, match=r"K=40 is larger than the number of rows \(30\)"):
        fit_predict(X, dict(SOM, grid=[3, 3]), 40, seed=0)
    with pytest.raises(ValueError, match=r"K=20 is larger than the number of SOM nodes that "
                                         r"hold rows \(\d+ of 9\): use a larger grid"):
        fit_predict(X, dict(SOM, grid=[3, 3]), 20, seed=0)


def test_cluster_purity_by_hand():
    y = np.array([0, 0, 1, 1, 1, 2])
    clusters = np.array([0, 0, 0, 1, 1, -1])  # cluster 0: 2 of 3 are class 0; noise is wrong
    assert cluster_purity(y, clusters) == pytest.approx(4 / 6)


def test_node_majorities_name_classes():
    marks = node_majorities([0, 0, 0, 2], [1, 1, 0, 2], 4, class_names=["a", "b", "c"])
    assert marks == ["b", "", "c", ""]


def _not_blank(path):
    pixels = np.asarray(Image.open(path).convert("L"), dtype=float)
    assert pixels.shape[0] > 300 and pixels.shape[1] > 300
    assert pixels.std() > 20  # not a blank canvas
    return pixels


def test_umatrix_and_hit_map_figures(tmp_path, digits, fitted):
    _, y = digits
    model, _ = fitted
    plot_umatrix(model, tmp_path / "u.png", "digits", labels=y)
    plot_umatrix(model, tmp_path / "u_unlabelled.png", "digits")
    plot_hit_map(model, tmp_path / "hits.png", "digits")
    for name in ("u.png", "u_unlabelled.png", "hits.png"):
        _not_blank(tmp_path / name)
    assert not list(tmp_path.glob("*.tmp*"))
