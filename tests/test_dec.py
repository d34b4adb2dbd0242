import numpy as np
import pytest

from deepclust.cluster.dec import (
    DEC,
    IDEC,
    ClusteringLayer,
    label_change,
    load_dec,
    make_deep_clusterer,
    soft_assignments,
    target_distribution,
)
from deepclust.encoders.autoencoder import train_autoencoder
from deepclust.seeding import seed_everything

AE = {"kind": "dense_autoencoder", "hidden_units": [16], "embedding_dim": 3,
      "activation": "relu", "optimizer": "adam", "learning_rate": 0.01, "loss": "mse",
      "epochs": 5, "batch_size": 32, "validation_split": 0.0, "early_stopping": {}}


@pytest.fixture(scope="module")
def blobs_and_autoencoder():
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=4.0, size=(3, 8))
    y = np.repeat(np.arange(3), 100)
    x = (centres[y] + rng.normal(size=(300, 8))).astype(np.float32)
    seed_everything(0, tensorflow=True, threads=1)
    autoencoder, _, _ = train_autoencoder(x, AE, seed=0)
    return x, y, autoencoder


def _dec(encoder, kind=DEC, **params):
    return kind(**{"n_clusters": 3, "encoder": encoder, "n_init": 5, "update_interval": 5,
                   "maxiter": 40, "batch_size": 64, "random_state": 0, **params})


def test_clustering_layer_q_rows_sum_to_one_and_model_reloads_identically(
        blobs_and_autoencoder, tmp_path):
    x, y, autoencoder = blobs_and_autoencoder
    seed_everything(0, tensorflow=True, threads=1)
    dec = _dec(autoencoder).fit(x, y=y)
    q = dec.predict_proba(x)
    assert q.shape == (300, 3)
    np.testing.assert_allclose(q.sum(axis=1), 1.0, atol=1e-9)
    assert np.all(q > 0)
    np.testing.assert_array_equal(dec.labels_, q.argmax(axis=1))
    path = tmp_path / "dec.keras"
    dec.model_.save(path)
    reloaded = load_dec(path)
    layer = reloaded.get_layer("clustering")
    assert isinstance(layer, ClusteringLayer) and layer.n_clusters == 3 and layer.alpha == 1.0
    np.testing.assert_array_equal(soft_assignments(reloaded, x), q)
    assert dec.history_[0]["acc"] > 0.9  # well-separated blobs, monitored against y


def test_q_follows_students_t_kernel():
    layer = ClusteringLayer(2, alpha=1.0)
    layer.build((None, 2))
    layer.set_weights([np.array([[0.0, 0.0], [3.0, 4.0]], dtype=np.float32)])
    q = np.asarray(layer(np.array([[0.0, 0.0]], dtype=np.float32)))
    kernel = np.array([1.0, 1.0 / (1.0 + 25.0)])  # (1 + d^2 / alpha)^-((alpha + 1) / 2)
    np.testing.assert_allclose(q[0], kernel / kernel.sum(), rtol=1e-6)


def test_target_distribution_sharpens_q(blobs_and_autoencoder):
    x, _, autoencoder = blobs_and_autoencoder
    seed_everything(0, tensorflow=True, threads=1)
    q = _dec(autoencoder, maxiter=1).fit(x).q_
    p = target_distribution(q)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(p.max(axis=1) >= q.max(axis=1) - 1e-12)
    assert p.max(axis=1).mean() > q.max(axis=1).mean() + 0.01
    np.testing.assert_array_equal(p.argmax(axis=1), q.argmax(axis=1))


def test_stop_criterion_fires_when_labels_stop_changing(blobs_and_autoencoder):
    x, _, autoencoder = blobs_and_autoencoder
    seed_everything(0, tensorflow=True, threads=1)
    frozen = _dec(autoencoder, learning_rate=1e-12, update_interval=7, maxiter=1000).fit(x)
    assert frozen.converged_ and frozen.n_iter_ == 7  # first comparison of two targets
    assert frozen.history_[-1]["label_change"] == 0.0
    seed_everything(0, tensorflow=True, threads=1)
    capped = _dec(autoencoder, tol=0.0, maxiter=12).fit(x)  # never below 0: runs to maxiter
    assert not capped.converged_ and capped.n_iter_ == 12
    assert [h["iteration"] for h in capped.history_] == [0, 5, 10]
    assert label_change(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 2])) == 0.25


def test_idec_keeps_the_reconstruction_loss(blobs_and_autoencoder):
    x, _, autoencoder = blobs_and_autoencoder
    seed_everything(0, tensorflow=True, threads=1)
    idec = _dec(autoencoder, IDEC, gamma=0.1, maxiter=10).fit(x)
    assert idec.method == "IDEC"
    trained = [h for h in idec.history_ if h["loss"] is not None]
    assert trained and all(h["reconstruction_loss"] > 0 and h["kl_loss"] >= 0 for h in trained)
    # total = KL + gamma * reconstruction
    h = trained[-1]
    assert h["loss"] == pytest.approx(h["kl_loss"] + 0.1 * h["reconstruction_loss"], rel=1e-4)


def test_dec_training_is_deterministic(blobs_and_autoencoder):
    x, _, autoencoder = blobs_and_autoencoder
    runs = []
    for _ in range(2):
        seed_everything(4, tensorflow=True, threads=1)
        runs.append(_dec(autoencoder, random_state=4, maxiter=15).fit(x).q_)
    np.testing.assert_array_equal(*runs)


def test_dec_needs_an_encoder_and_a_known_init(blobs_and_autoencoder):
    x, _, autoencoder = blobs_and_autoencoder
    with pytest.raises(ValueError, match="DEC fine-tunes a pretrained autoencoder: pass it "
                                         "as encoder="):
        DEC(3).fit(x)
    with pytest.raises(ValueError, match="init='random': 'kmeans' or a cluster label per row"):
        DEC(3, encoder=autoencoder, init="random").fit(x)


def test_k_larger_than_the_number_of_rows_fails_before_training(blobs_and_autoencoder):
    x, _, autoencoder = blobs_and_autoencoder
    with pytest.raises(ValueError, match=r"^K=50 is larger than the number of rows \(30\)$"):
        DEC(50, encoder=autoencoder).fit(x[:30])


def test_the_registry_makes_dec_and_idec_from_their_config_entries():
    entry = {"kind": "idec", "alpha": 2.0, "n_init": 20, "update_interval": 140, "tol": 0.001,
             "maxiter": 100, "batch_size": 256, "optimizer": "sgd", "learning_rate": 0.01,
             "momentum": 0.9, "gamma": 0.5}
    idec = make_deep_clusterer(entry, 10, seed=3)
    assert isinstance(idec, IDEC)
    assert (idec.n_clusters, idec.alpha, idec.gamma, idec.random_state, idec.method) == \
        (10, 2.0, 0.5, 3, "IDEC")
    dec = make_deep_clusterer(dict(entry, kind="dec"), 10, seed=3)
    assert type(dec) is DEC and dec.gamma == 0.0 and "gamma" not in dec.get_params()


def test_dec_on_augmented_images_is_seeded_and_trains_on_transformed_batches(
        blobs_and_autoencoder, caplog):
    caplog.set_level("INFO")
    x, _, autoencoder = blobs_and_autoencoder  # 8 features: shown to DEC as 2 x 4 images
    augment = {"shift": 0.25, "rotation": 30}

    def q_after(augment_images, image_shape):
        seed_everything(4, tensorflow=True, threads=1)
        dec = _dec(autoencoder, random_state=4, maxiter=15, tol=0.0,
                   augment_images=augment_images, image_shape=image_shape)
        return dec.fit(x).q_

    augmented = q_after(augment, [2, 4])
    np.testing.assert_array_equal(augmented, q_after(augment, [2, 4]))
    assert "DEC: augmenting images: shifts up to 0.25 of the size, rotations up to 30" \
        in caplog.text
    plain = q_after(None, [2, 4])
    assert not np.allclose(augmented, plain)  # the batches were transformed
    # rows that are not images train as they are, with a log line saying so
    np.testing.assert_array_equal(q_after(augment, None), plain)
    assert "augment_images: not used, this dataset has no image shape" in caplog.text
    settings = {"kind": "dec", "alpha": 1.0, "n_init": 5, "update_interval": 5, "tol": 0.0,
                "maxiter": 15, "batch_size": 64, "optimizer": "sgd", "learning_rate": 0.01,
                "momentum": 0.9, "augment_images": augment}
    assert make_deep_clusterer(settings, 3, seed=4).augment_images == augment


def test_dec_starts_from_given_clusters_mean_embeddings(blobs_and_autoencoder):
    """init_from: another pipeline's clusters give the centres (their mean embeddings), not
    KMeans; their count must be K."""
    from deepclust.encoders.training import embed
    from deepclust.evaluate.matching import cluster_accuracy

    x, y, autoencoder = blobs_and_autoencoder
    start = (y + 1) * 10  # the true classes under other names
    dec = _dec(autoencoder, maxiter=5)
    centres, labels = dec._initial_centres(embed(autoencoder, x), start)
    embedding = embed(autoencoder, x)
    assert np.allclose(centres[0], embedding[y == 0].mean(axis=0), atol=1e-5)
    assert (labels == y).all()
    seed_everything(0, tensorflow=True, threads=1)
    fitted = _dec(autoencoder, maxiter=5, init=start).fit(x, y=y)
    assert fitted.history_[0]["acc"] == 1.0  # the first target comes from the given start
    assert cluster_accuracy(y, fitted.labels_) >= 0.99
    with pytest.raises(ValueError, match="DEC starts from 2 clusters .init_from., but K is 3"):
        _dec(autoencoder, init=np.minimum(y, 1)).fit(x)


def test_start_clusters_must_be_this_datasets_rows_without_noise(tmp_path):
    import pandas as pd

    from deepclust.cluster.dec import read_start_clusters

    rows = pd.DataFrame({"id": [0, 1, 2]})
    path = tmp_path / "clusters.csv"
    pd.DataFrame({"id": [0, 1, 2], "cluster": [1, 0, 1]}).to_csv(path, index=False)
    assert read_start_clusters(path, rows, "n2d").tolist() == [1, 0, 1]
    pd.DataFrame({"id": [0, 2, 1], "cluster": [1, 0, 1]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match="pipeline 'n2d' .init_from. are not of this "
                                         "dataset's 3 rows in order"):
        read_start_clusters(path, rows, "n2d")
    pd.DataFrame({"id": [0, 1, 2], "cluster": [1, -1, 1]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match="left 1 rows as noise"):
        read_start_clusters(path, rows, "n2d")
