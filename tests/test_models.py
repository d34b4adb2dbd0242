import numpy as np
import pytest

from deepclust.seeding import seed_everything

keras = pytest.importorskip("keras")
import deepclust.models as models  # noqa: E402
from deepclust.models import build_dense_autoencoder, dense_flops, embed, encoder_from, \
    load_autoencoder, train_autoencoder  # noqa: E402

SETTINGS = {"hidden_units": [16, 8], "embedding_dim": 3, "activation": "relu",
            "optimizer": "adam", "learning_rate": 0.01, "loss": "mse", "epochs": 3,
            "batch_size": 32, "validation_split": 0.2,
            "early_stopping": {"patience": 2, "min_delta": 0.0}}


def _data():
    return np.random.default_rng(0).random((200, 12), dtype=np.float32)


def test_dense_autoencoder_shapes():
    model = build_dense_autoencoder(12, [16, 8], 3)
    assert model.output_shape == (None, 12)
    assert encoder_from(model).output_shape == (None, 3)
    assert [l.name for l in model.layers][1:4] == ["encoder_0", "encoder_1", "embedding"]


def test_training_is_deterministic_and_logs_epochs(caplog):
    caplog.set_level("INFO")
    seed_everything(1, tensorflow=True, threads=1)
    model_a, history_a, _ = train_autoencoder(_data(), SETTINGS, seed=1)
    seed_everything(1, tensorflow=True, threads=1)
    model_b, history_b, _ = train_autoencoder(_data(), SETTINGS, seed=1)
    assert history_a == history_b
    assert len(history_a["loss"]) == 3 and len(history_a["val_loss"]) == 3
    for wa, wb in zip(model_a.get_weights(), model_b.get_weights()):
        assert np.array_equal(wa, wb)
    assert "epoch 3/3" in caplog.text


def test_saved_model_reloads_and_embeds_identically(tmp_path):
    seed_everything(0, tensorflow=True, threads=1)
    model, _, _ = train_autoencoder(_data(), dict(SETTINGS, epochs=1), seed=0)
    path = tmp_path / "ae.keras"
    model.save(path)
    before = embed(model, _data())
    after = embed(load_autoencoder(path), _data())
    assert before.shape == (200, 3)
    assert np.array_equal(before, after)


def test_dense_flops_counts_multiply_adds_of_every_dense_layer():
    model = build_dense_autoencoder(12, [16, 8], 3)
    # 12-16-8-3-8-16-12: weights 192 + 128 + 24 + 24 + 128 + 192 = 688
    forward, training = dense_flops(model)
    assert forward == 2 * 688
    assert training == 3 * 2 * 688 - 2 * 12 * 16  # no input gradient for the first layer


def test_training_reports_its_throughput():
    seed_everything(0, tensorflow=True, threads=1)
    _, history, speed = train_autoencoder(_data(), SETTINGS, seed=0)
    assert speed["epochs_run"] == len(history["loss"]) == 3
    assert speed["n_train"] == 160 and speed["n_val"] == 40
    assert speed["samples_per_second"] == pytest.approx(160 / speed["seconds_per_epoch"])
    per_epoch = 160 * speed["training_flops_per_sample"] + 40 * speed["forward_flops_per_sample"]
    assert speed["gflops"] == pytest.approx(per_epoch / speed["seconds_per_epoch"] / 1e9)
    assert speed["seconds_total"] >= 2 * speed["seconds_per_epoch"] > 0


@pytest.mark.parametrize("max_bytes", [0, None], ids=["streamed", "densified"])
def test_sparse_features_train_and_embed_like_dense_ones(monkeypatch, max_bytes):
    import scipy.sparse as sp

    if max_bytes is not None:  # too big to densify: dense batches made one at a time
        monkeypatch.setattr(models, "DENSE_INPUT_MAX_BYTES", max_bytes)
    dense = (_data() > 0.7).astype(np.float32)
    sparse = sp.csr_matrix(dense)
    seed_everything(2, tensorflow=True, threads=1)
    model, history, _ = train_autoencoder(sparse, SETTINGS, seed=2)
    assert len(history["loss"]) == 3 and len(history["val_loss"]) == 3
    assert history["loss"][-1] < history["loss"][0]
    assert np.allclose(embed(model, sparse), embed(model, dense), atol=1e-5)
