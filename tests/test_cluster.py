import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

from deepclust.cluster.choose_k import choose_k, elbow_index, resolve_k
from deepclust.cluster.clusterers import fit_predict, make_clusterer
from deepclust.evaluate.matching import cluster_accuracy

DEFAULTS = {
    "kmeans": {"kind": "kmeans", "n_init": 5, "max_iter": 300},
    "gmm": {"kind": "gmm", "covariance_type": "full", "n_init": 2, "max_iter": 200},
    "dbscan": {"kind": "dbscan", "eps": 1.0, "min_samples": 5},
    "hdbscan": {"kind": "hdbscan", "min_cluster_size": 10, "min_samples": None,
                "cluster_selection_epsilon": 0.0},
}


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=300, centers=4, cluster_std=0.5, random_state=3)
    outliers = np.array([[30.0, 30.0], [-30.0, 30.0]])
    return np.vstack([X, outliers]), np.concatenate([y, [-1, -1]])


@pytest.mark.parametrize("kind", sorted(DEFAULTS))
def test_every_adapter_recovers_well_separated_blobs(blobs, kind):
    X, y = blobs
    if kind in ("kmeans", "gmm"):  # no noise model: far outliers would take a cluster
        X, y = X[:-2], y[:-2]
    _, labels = fit_predict(X, DEFAULTS[kind], k=4, seed=0)
    assert labels.shape == (len(X),) and labels.dtype == np.int64
    assert cluster_accuracy(y[y >= 0], labels[y >= 0]) > 0.98
    if kind in ("dbscan", "hdbscan"):
        assert (labels[-2:] == -1).all(), "far outliers must be noise"
        assert len(set(labels[:-2]) - {-1}) == 4


@pytest.mark.parametrize("kind", ["kmeans", "gmm"])
def test_seeded_adapters_are_deterministic(blobs, kind):
    X, _ = blobs
    a = fit_predict(X, DEFAULTS[kind], k=6, seed=7)[1]
    b = fit_predict(X, DEFAULTS[kind], k=6, seed=7)[1]
    assert (a == b).all()


def test_adapters_pass_settings_through():
    km = make_clusterer(DEFAULTS["kmeans"], 3, seed=5)
    assert (km.n_clusters, km.n_init, km.random_state, km.init) == (3, 5, 5, "k-means++")
    gmm = make_clusterer(dict(DEFAULTS["gmm"], covariance_type="diag"), 4, seed=1)
    assert (gmm.n_components, gmm.covariance_type, gmm.n_init) == (4, "diag", 2)
    db = make_clusterer(DEFAULTS["dbscan"], None, seed=0)
    assert (db.eps, db.min_samples) == (1.0, 5)


def test_k_larger_than_rows_is_an_error():
    with pytest.raises(ValueError, match=r"K=20 is larger than the number of rows \(10\)"):
        fit_predict(np.zeros((10, 2)), DEFAULTS["kmeans"], k=20, seed=0)


def test_kmeans_without_k_is_an_error():
    with pytest.raises(ValueError, match="needs a number of clusters K"):
        make_clusterer(DEFAULTS["kmeans"], None, seed=0)


def test_elbow_index_finds_the_knee():
    ks = [1, 2, 3, 4, 5, 6, 7, 8]
    inertia = [100, 60, 25, 20, 17, 15, 14, 13]
    assert ks[elbow_index(ks, inertia)] == 3


def test_choose_k_on_four_blobs(blobs):
    X, _ = blobs
    selection = choose_k(X[:-2], 2, 9, seed=0)
    assert selection["k"] == 4 and selection["k_elbow"] == 4 and selection["k_silhouette"] == 4
    assert selection["ks"] == list(range(2, 10))
    assert len(selection["inertia"]) == len(selection["silhouette"]) == 8


def test_resolve_k():
    rows = pd.DataFrame({"id": range(6), "label": [0, 1, 2, 0, 1, 2]})
    assert resolve_k(5, DEFAULTS["kmeans"], rows) == 5
    assert resolve_k("labels", DEFAULTS["gmm"], rows) == 3
    assert resolve_k("labels", DEFAULTS["dbscan"], rows) is None
    with pytest.raises(ValueError, match="no label column"):
        resolve_k("labels", DEFAULTS["kmeans"], rows[["id"]])


@pytest.mark.parametrize("kind", ["kmeans", "gmm", "dbscan"])
def test_adapters_accept_sparse_bag_of_words(blobs, kind):
    import scipy.sparse as sp

    X, y = blobs
    X = sp.csr_matrix(np.abs(X[:-2]))
    _, labels = fit_predict(X, DEFAULTS[kind], k=4, seed=0)
    assert labels.shape == (X.shape[0],)
    selection = choose_k(X, 2, 6, seed=0)
    assert 2 <= selection["k"] <= 6


@pytest.mark.parametrize("kind", sorted(DEFAULTS))
def test_saved_predictor_reproduces_training_labels_and_labels_new_points(blobs, kind,
                                                                           tmp_path):
    from deepclust.cluster.clusterers import predictor
    from deepclust.features import load_fitted, save_fitted

    X, y = blobs
    estimator, labels = fit_predict(X, DEFAULTS[kind], k=4 if kind in ("kmeans", "gmm") else None,
                                    seed=0)
    save_fitted(predictor(estimator, X, labels), tmp_path / "c.joblib")
    loaded = load_fitted(tmp_path / "c.joblib")
    clustered = labels >= 0
    np.testing.assert_array_equal(loaded.predict(X)[clustered], labels[clustered])
    # new points: jittered copies of training points join their cluster...
    rng = np.random.default_rng(1)
    near = X[clustered][:50] + rng.normal(scale=0.05, size=(50, 2))
    np.testing.assert_array_equal(loaded.predict(near), labels[clustered][:50])
    # ...and for the density-based clusterers a far-away point is noise
    far = loaded.predict(np.array([[100.0, -100.0]]))
    assert far[0] == -1 if kind in ("dbscan", "hdbscan") else far[0] >= 0


def test_spherical_kmeans_clusters_by_direction_not_length():
    """Documents on one subject at any length: same direction, very different norms. Plain
    KMeans splits them by length; normalize: true groups them by direction."""
    import scipy.sparse as sp

    from deepclust.cluster.clusterers import predict_clusters

    rng = np.random.default_rng(0)
    topics = np.array([[1.0, 0.1, 0.0], [0.0, 1.0, 0.1], [0.1, 0.0, 1.0]])
    truth = np.repeat(np.arange(3), 60)
    lengths = rng.choice([1.0, 30.0], size=len(truth))  # short and long documents
    X = sp.csr_matrix((topics[truth] + rng.uniform(0, 0.15, (len(truth), 3)))
                      * lengths[:, None])
    plain = {**DEFAULTS["kmeans"], "normalize": False}
    spherical = {**DEFAULTS["kmeans"], "normalize": True}
    _, by_length = fit_predict(X, plain, k=3, seed=0)
    model, by_direction = fit_predict(X, spherical, k=3, seed=0)
    assert cluster_accuracy(truth, by_direction) == 1.0
    assert cluster_accuracy(truth, by_length) < 0.8
    assert (predict_clusters(model, X * 7.0) == by_direction).all()  # new rows: length-free
