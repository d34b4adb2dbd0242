import keras
import numpy as np
import pytest

import deepclust.encoders.training as models
from deepclust.encoders.autoencoder import build_dense_autoencoder, train_autoencoder
from deepclust.encoders.training import dense_flops, embed, encoder_from, load_autoencoder
from deepclust.seeding import seed_everything

SETTINGS = {"kind": "dense_autoencoder", "hidden_units": [16, 8], "embedding_dim": 3,
            "activation": "relu",
            "optimizer": "adam", "learning_rate": 0.01, "loss": "mse", "epochs": 3,
            "batch_size": 32, "validation_split": 0.2,
            "early_stopping": {"patience": 2, "min_delta": 0.0}}


def _data():
    return np.random.default_rng(0).random((200, 12), dtype=np.float32)


def test_dense_autoencoder_shapes():
    model = build_dense_autoencoder(12, [16, 8], 3)
    assert model.output_shape == (None, 12)
    assert encoder_from(model).output_shape == (None, 3)
    assert [layer.name for layer in model.layers][1:4] == ["encoder_0", "encoder_1", "embedding"]


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


@pytest.mark.parametrize("image_shape", [(28, 28, 1), (8, 8, 1), (9, 7, 3)])
def test_conv_autoencoder_maps_flat_rows_back_to_flat_rows(image_shape):
    from deepclust.encoders.autoencoder import build_conv_autoencoder

    n = int(np.prod(image_shape))
    model = build_conv_autoencoder(n, image_shape, filters=(4, 8, 16), kernel_sizes=(5, 5, 3),
                                   embedding_dim=6)
    assert model.output_shape == (None, n)
    assert encoder_from(model).output_shape == (None, 6)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)
             and not isinstance(layer, keras.layers.Conv2DTranspose)]
    assert [c.filters for c in convs] == [4, 8, 16] and all(c.strides == (2, 2) for c in convs)


def test_conv_autoencoder_trains_and_its_flops_count_the_convolutions():
    from deepclust.encoders.autoencoder import build_conv_autoencoder

    seed_everything(0, tensorflow=True, threads=1)
    x = np.random.default_rng(0).random((64, 64), dtype=np.float32)
    settings = {**SETTINGS, "kind": "conv_autoencoder", "filters": [4, 8],
                "kernel_sizes": [3, 3], "validation_split": 0.0, "early_stopping": {}}
    model, history, _ = train_autoencoder(x, settings, seed=0, image_shape=[8, 8, 1])
    assert model.name == "conv_autoencoder" and len(history["loss"]) == 3
    assert embed(model, x).shape == (64, 3)
    # one 3x3 stride-2 Conv2D, 8x8x1 -> 4x4x2: 2 * 16 pixels * (3*3*1*2) weights
    tiny = keras.Sequential([keras.Input((8, 8, 1)),
                             keras.layers.Conv2D(2, 3, strides=2, padding="same")])
    assert dense_flops(tiny) == (2 * 16 * 18, 2 * 16 * 18 * 2)
    forward, _ = dense_flops(build_conv_autoencoder(64, (8, 8, 1), (4, 8), (3, 3), 3))
    dense_only = 2 * (2 * 2 * 8) * 3 * 2  # embedding and decoder Dense layers
    assert forward > dense_only


def test_conv_autoencoder_needs_an_image_shape_that_fits_the_rows():
    from deepclust.encoders.autoencoder import build_autoencoder

    settings = {"kind": "conv_autoencoder", "filters": [4], "kernel_sizes": [3],
                "embedding_dim": 2, "activation": "relu"}
    with pytest.raises(ValueError, match="^a convolutional autoencoder needs image data, but "
                                         r"this dataset has no image shape \(modality is not "
                                         r"'image'\)$"):
        build_autoencoder(50, settings, image_shape=None)
    with pytest.raises(ValueError, match=r"^image shape \[8, 8, 1\] holds 64 values but the "
                                         "rows have 50 features$"):
        build_autoencoder(50, settings, image_shape=[8, 8, 1])


@pytest.mark.parametrize("path", ["dense", "augmented", "streamed"])
def test_several_steps_per_execution_give_the_same_weights_as_one(monkeypatch, path):
    """Keras runs STEPS_PER_EXECUTION batches per call of its train function: the same
    updates in the same order, bit for bit, on each input path (in-memory rows, augmented
    image batches, sparse rows streamed as dense batches), including a last partial call."""
    import scipy.sparse as sp

    settings = dict(SETTINGS, early_stopping={}, batch_size=16)  # 160 rows: 10 steps
    image_shape = None
    data = _data()
    if path == "augmented":
        data = np.random.default_rng(0).random((200, 64), dtype=np.float32)
        settings["augment_images"] = {"shift": 0.1, "rotation": 10}
        image_shape = (8, 8, 1)
    elif path == "streamed":
        monkeypatch.setattr(models, "DENSE_INPUT_MAX_BYTES", 0)
        data = sp.csr_matrix((data > 0.7).astype(np.float32))
    runs = []
    for steps in (1, 4):  # 4: calls of 4, 4 and 2 steps each epoch
        monkeypatch.setattr(models, "STEPS_PER_EXECUTION", steps)
        seed_everything(3, tensorflow=True, threads=1)
        model, history, _ = train_autoencoder(data, settings, seed=3, image_shape=image_shape)
        runs.append((history, model.get_weights()))
    (history_1, weights_1), (history_4, weights_4) = runs
    assert history_1 == history_4
    assert all(np.array_equal(a, b) for a, b in zip(weights_1, weights_4))
    assert models.steps_per_execution(160, 16) == 4 and models.steps_per_execution(20, 16) == 2


def test_cosine_decay_ends_training_at_a_zero_learning_rate_and_reloads(tmp_path):
    settings = {**SETTINGS, "learning_rate_decay": "cosine", "early_stopping": {}}
    seed_everything(1, tensorflow=True, threads=1)
    model, history, _ = train_autoencoder(_data(), settings, seed=1)
    seed_everything(1, tensorflow=True, threads=1)
    constant, constant_history, _ = train_autoencoder(_data(), SETTINGS, seed=1)
    optimizer = model.optimizer
    # 160 training rows in batches of 32: 5 steps an epoch, 15 in all; the last step's rate is 0
    assert int(optimizer.iterations.numpy()) == 15
    assert float(optimizer.learning_rate.numpy()) == pytest.approx(0.0, abs=1e-9)
    assert history["loss"] != constant_history["loss"]  # the later epochs took smaller steps
    model.save(tmp_path / "ae.keras")
    reloaded = load_autoencoder(tmp_path / "ae.keras")
    x = _data()
    np.testing.assert_array_equal(embed(reloaded, x), embed(model, x))



def test_mixed_bfloat16_trains_reproducibly_and_returns_a_float32_model(tmp_path, caplog):
    caplog.set_level("INFO")
    settings = {**SETTINGS, "precision": "mixed_bfloat16"}
    runs = []
    for _ in range(2):
        seed_everything(1, tensorflow=True, threads=1)
        runs.append(train_autoencoder(_data(), settings, seed=1))
    (model, history, throughput), (again, history_again, _) = runs
    assert history == history_again
    for wa, wb in zip(model.get_weights(), again.get_weights()):
        assert np.array_equal(wa, wb)
    # the saved model computes in float32: embeddings, DEC and IDEC do not see bfloat16
    assert {layer.dtype_policy.name for layer in model.layers} == {"float32"}
    assert all(w.dtype == np.float32 for w in model.get_weights())
    assert throughput["precision"] == "mixed_bfloat16"
    assert "mixed_bfloat16" in caplog.text
    seed_everything(1, tensorflow=True, threads=1)
    _, float32_history, float32_throughput = train_autoencoder(_data(), SETTINGS, seed=1)
    assert float32_throughput["precision"] == "float32"
    # bfloat16 products round differently, but the training follows the same course
    assert history["loss"] != float32_history["loss"]
    np.testing.assert_allclose(history["loss"], float32_history["loss"], rtol=0.05)
    model.save(tmp_path / "ae.keras")
    x = _data()
    np.testing.assert_array_equal(embed(load_autoencoder(tmp_path / "ae.keras"), x),
                                  embed(model, x))


def test_conv_autoencoder_trains_in_mixed_bfloat16():
    settings = {"kind": "conv_autoencoder", "filters": [4, 8], "kernel_sizes": [3, 3],
                "embedding_dim": 3, "activation": "relu", "optimizer": "adam",
                "learning_rate": 0.01, "loss": "mse", "epochs": 2, "batch_size": 32,
                "validation_split": 0.0, "precision": "mixed_bfloat16"}
    seed_everything(0, tensorflow=True, threads=1)
    x = np.random.default_rng(0).random((64, 64), dtype=np.float32)
    model, history, _ = train_autoencoder(x, settings, seed=0, image_shape=[8, 8, 1])
    assert len(history["loss"]) == 2 and np.isfinite(history["loss"]).all()
    assert {layer.dtype_policy.name for layer in model.layers} == {"float32"}
    assert embed(model, x).dtype == np.float32


def test_training_dtype_names_the_policy_and_warns_without_native_bfloat16(caplog):
    assert models.training_dtype("float32") is None
    assert models.training_dtype("mixed_bfloat16", {"avx2", "avx512_bf16"}) == "mixed_bfloat16"
    assert "slower than float32" not in caplog.text
    assert models.training_dtype("mixed_bfloat16", {"avx2", "fma"}) == "mixed_bfloat16"
    assert "precision: mixed_bfloat16 on a CPU without native bfloat16 arithmetic" in caplog.text
    with pytest.raises(ValueError, match=r"unknown precision 'float16': choose one of "
                                         r"\['float32', 'mixed_bfloat16'\]"):
        models.training_dtype("float16")


def test_an_embedding_as_wide_as_the_input_is_warned_about(caplog):
    caplog.set_level("INFO")
    seed_everything(0, tensorflow=True)
    train_autoencoder(_data(), {**SETTINGS, "epochs": 1, "embedding_dim": 3}, seed=0)
    assert "embedding_dim" not in caplog.text
    train_autoencoder(_data(), {**SETTINGS, "epochs": 1, "embedding_dim": 12}, seed=0)
    assert ("embedding_dim=12 is not below the 12 features of this dataset: the autoencoder can "
            "copy its input instead of compressing it, and then its embedding need not group "
            "similar rows; set the encoder's embedding_dim below 12") in caplog.text
