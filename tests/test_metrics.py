import numpy as np
import pytest

from deepclust.evaluate.matching import cluster_accuracy, match_clusters_to_classes
from deepclust.evaluate.metrics import evaluate_clustering, internal_metrics


def test_acc_is_one_for_a_relabelled_perfect_clustering():
    y = [0, 0, 1, 1, 2, 2]
    assert cluster_accuracy(y, [2, 2, 0, 0, 1, 1]) == 1.0


def test_acc_matches_one_cluster_to_one_class():
    # cluster 0 holds both classes 0 and 1: only one of them can be matched to it
    y = [0, 0, 1, 1]
    assert cluster_accuracy(y, [0, 0, 0, 0]) == 0.5


def test_acc_with_more_clusters_than_classes_leaves_extra_clusters_unmatched():
    y = [0, 0, 0, 1, 1, 1]
    pred = [0, 0, 1, 2, 2, 3]
    # best one-to-one: cluster 0 -> class 0 (2 rows), cluster 2 -> class 1 (2 rows)
    assert cluster_accuracy(y, pred) == pytest.approx(4 / 6)
    assert match_clusters_to_classes(y, pred) == {0: 0, 2: 1}


def test_acc_every_point_its_own_cluster():
    y = [0, 1, 0, 1, 0, 1]
    assert cluster_accuracy(y, range(6)) == pytest.approx(2 / 6)


def test_acc_counts_noise_points_as_errors():
    y = [0, 0, 1, 1]
    assert cluster_accuracy(y, [0, -1, 1, -1]) == 0.5
    assert cluster_accuracy(y, [-1, -1, -1, -1]) == 0.0


def test_acc_hand_computed_confusion():
    y = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    pred = [1, 1, 1, 0, 0, 0, 2, 2, 2, 2]
    # 1->0 (3), 0->1 (2), 2->2 (3): 8 of 10
    assert cluster_accuracy(y, pred) == pytest.approx(0.8)


def test_acc_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="y_true has 3 rows but y_pred has 2"):
        cluster_accuracy([0, 1, 1], [0, 1])


def test_internal_metrics_need_two_clusters():
    X = np.random.default_rng(0).normal(size=(20, 2))
    assert internal_metrics(X, np.zeros(20, int)) == {
        "silhouette": None, "davies_bouldin": None, "calinski_harabasz": None}


def test_evaluate_clustering_reports_every_metric():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 0.1, (30, 2)), rng.normal(5, 0.1, (30, 2))])
    y = np.repeat([0, 1], 30)
    pred = y.copy()
    pred[:3] = -1
    result = evaluate_clustering(X, pred, y)
    assert result["n_clusters"] == 2
    assert result["noise_fraction"] == pytest.approx(0.05)
    assert result["acc"] == pytest.approx(57 / 60)
    assert 0.8 < result["nmi"] <= 1 and 0.8 < result["ari"] <= 1
    assert result["silhouette"] > 0.9
    assert result["davies_bouldin"] < 0.1
    assert result["calinski_harabasz"] > 1000


def test_evaluate_without_labels_has_no_external_metrics():
    X = np.arange(20, dtype=float).reshape(10, 2)
    result = evaluate_clustering(X, [0] * 5 + [1] * 5)
    assert result["acc"] is None and result["nmi"] is None and result["ari"] is None
    assert result["silhouette"] is not None


def test_confusion_table_orders_clusters_by_their_matched_class():
    from deepclust.evaluate.matching import confusion_table

    y_true = [0, 0, 1, 1, 2, 2, 2]
    y_pred = [5, 5, 3, 3, 3, 7, -1]
    table, classes, clusters = confusion_table(y_true, y_pred)
    assert classes.tolist() == [0, 1, 2]
    assert clusters.tolist() == [5, 3, 7, -1]  # 5->0, 3->1, 7->2, then noise
    assert table.tolist() == [[2, 0, 0, 0], [0, 2, 0, 0], [0, 1, 1, 1]]
    assert table.sum() == len(y_true)


def test_confusion_table_puts_unmatched_clusters_after_matched_ones_by_size():
    from deepclust.evaluate.matching import confusion_table

    table, _, clusters = confusion_table([0, 0, 0, 1, 1, 1], [0, 0, 2, 1, 1, 3])
    assert clusters.tolist()[:2] == [0, 1] and sorted(clusters.tolist()[2:]) == [2, 3]
    assert table.sum(axis=0).tolist() == [2, 2, 1, 1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_contingency_equals_scikit_learns(seed):
    from sklearn.metrics.cluster import contingency_matrix

    from deepclust.evaluate.matching import contingency

    rng = np.random.default_rng(seed)
    y_true = rng.choice(["cat", "dog", "owl"], size=200)
    y_pred = rng.integers(-1, 6, size=200)  # noise label included
    assert np.array_equal(contingency(y_true, y_pred), contingency_matrix(y_true, y_pred))
    assert contingency([], []).shape == (0, 0)


def test_internal_metrics_of_a_sparse_matrix_are_those_of_its_dense_rows():
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    dense = rng.random((300, 40)) * (rng.random((300, 40)) < 0.1)  # mostly zeros, like TF-IDF
    labels = rng.integers(0, 3, 300)
    labels[:5] = -1  # noise rows are left out either way
    from_sparse = internal_metrics(sp.csr_matrix(dense), labels, seed=0)
    from_dense = internal_metrics(dense, labels, seed=0)
    for key, value in from_dense.items():
        assert from_sparse[key] == pytest.approx(value, rel=1e-4), key


def test_a_sparse_matrix_too_large_to_expand_is_scored_on_a_seeded_sample(monkeypatch):
    import scipy.sparse as sp

    import deepclust.evaluate.metrics as metrics

    rng = np.random.default_rng(1)
    dense = rng.random((400, 50)) * (rng.random((400, 50)) < 0.2)
    labels = rng.integers(0, 3, 400)
    monkeypatch.setattr(metrics, "MAX_DENSE_METRIC_BYTES", 100 * 50 * 4)  # room for 100 rows
    first = internal_metrics(sp.csr_matrix(dense), labels, seed=0)
    assert first["metrics_rows"] == 100
    assert internal_metrics(sp.csr_matrix(dense), labels, seed=0) == first  # seeded
    assert all(first[k] is not None for k in ("silhouette", "davies_bouldin",
                                              "calinski_harabasz"))
    assert "metrics_rows" not in internal_metrics(dense, labels, seed=0)  # dense: every row
