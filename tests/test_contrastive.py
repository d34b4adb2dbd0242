"""Contrastive (SimCLR-style) encoder: NT-Xent loss, view augmenters, encoder, training."""
import math

import numpy as np
import pytest

from deepclust.seeding import seed_everything

seed_everything(0, tensorflow=True, threads=1)

from deepclust.encoders import training as models  # noqa: E402
from deepclust.encoders.contrastive import DEFAULTS, build_contrastive_encoder, nt_xent_loss, \
    train_contrastive_encoder  # noqa: E402
from deepclust.encoders.contrastive_views import make_view_augmenter  # noqa: E402


def _unit(v):
    v = np.asarray(v, dtype=np.float64)
    return v / math.sqrt(sum(x * x for x in v))


def test_nt_xent_matches_a_hand_computation():
    # N = 2 pairs of 3-d projections: views a1/a2 of sample a, b1/b2 of sample b
    a1, b1 = [1.0, 0.0, 0.0], [0.0, 2.0, 1.0]
    a2, b2 = [1.0, 1.0, 0.0], [0.5, -1.0, 2.0]
    t = 0.5
    rows = [_unit(a1), _unit(b1), _unit(a2), _unit(b2)]  # order: z1 then z2
    partner = {0: 2, 1: 3, 2: 0, 3: 1}
    total = 0.0
    for i in range(4):
        sims = {j: float(np.dot(rows[i], rows[j])) / t for j in range(4) if j != i}
        denominator = sum(math.exp(s) for s in sims.values())
        total += -math.log(math.exp(sims[partner[i]]) / denominator)
    expected = total / 4
    loss = float(nt_xent_loss(np.array([a1, b1]), np.array([a2, b2]), t))
    assert loss == pytest.approx(expected, rel=1e-5)
    # the pairs are symmetric: swapping the views changes nothing
    assert float(nt_xent_loss(np.array([a2, b2]), np.array([a1, b1]), t)) == \
        pytest.approx(expected, rel=1e-5)


def test_nt_xent_closed_forms():
    # all 2N projections identical (any scale): every logit equals 1/t -> log(2N - 1)
    z = np.tile([[0.3, -1.2, 2.0, 0.5]], (4, 1))
    assert float(nt_xent_loss(z, 3 * z, 0.1)) == pytest.approx(math.log(7), rel=1e-5)
    # N orthogonal samples, identical views: log(1 + (2N - 2) exp(-1/t)) per anchor
    eye = np.eye(3)
    expected = math.log(1 + 4 * math.exp(-1 / 0.5))
    assert float(nt_xent_loss(eye, eye, 0.5)) == pytest.approx(expected, rel=1e-5)


def _image_rows(n=8, size=12):
    image = np.zeros((size, size), dtype=np.float32)
    image[3:9, 4:8] = 1.0
    return np.tile(image.reshape(1, -1), (n, 1))


CASES = {
    "image": (_image_rows(), {"shift": 0.1, "rotation": 10, "shear": 0.3, "crop": 0.3,
                              "stroke": 0.5, "noise": 0.05},
              (12, 12)),
    "tabular": (np.random.default_rng(0).normal(size=(8, 20)).astype(np.float32),
                {"mask": 0.3, "noise": 0.1}, None),
    "text": (np.random.default_rng(1).random((8, 30)).astype(np.float32)
             * (np.random.default_rng(2).random((8, 30)) < 0.3), {"dropout": 0.3}, None),
}


@pytest.mark.parametrize("modality", sorted(CASES))
def test_view_augmenters_keep_shape_and_are_seeded(modality):
    x, augment, shape = CASES[modality]

    def view(seed):
        augmenter = make_view_augmenter(modality, augment, x.shape[1], shape, seed)
        return np.asarray(augmenter(x, training=True))

    first = view(0)
    assert first.shape == x.shape and first.dtype == np.float32
    assert not np.allclose(first, x)
    np.testing.assert_array_equal(first, view(0))
    assert not np.array_equal(first, view(1))
    if modality == "image":
        assert len({row.tobytes() for row in first}) == len(x)  # each row its own view
    if modality == "text":
        assert np.all(first[x == 0] == 0)  # only non-zero entries are dropped
        assert np.all((first == x) | (first == 0))


def test_tabular_masking_zeroes_about_the_configured_fraction():
    x = np.ones((400, 50), dtype=np.float32)
    out = np.asarray(make_view_augmenter("tabular", {"mask": 0.3}, 50, None, 0)(
        x, training=True))
    assert np.all((out == 0) | (out == 1))  # masked, not rescaled
    assert np.mean(out == 0) == pytest.approx(0.3, abs=0.02)


def test_text_dropout_zeroes_about_the_configured_fraction_of_words():
    x = np.zeros((400, 100), dtype=np.float32)
    x[:, ::4] = 2.0
    out = np.asarray(make_view_augmenter("text", {"dropout": 0.2}, 100, None, 0)(
        x, training=True))
    assert np.all(out[x == 0] == 0)
    assert np.mean(out[x > 0] == 0) == pytest.approx(0.2, abs=0.02)


@pytest.mark.parametrize("architecture,shape,normalize", [
    ("cnn", (8, 8), False), ("cnn", (8, 8), True), ("mlp", None, False)])
def test_encoder_ends_in_the_embedding_layer(architecture, shape, normalize, tmp_path):
    settings = {**DEFAULTS, "architecture": architecture, "filters": [8, 16],
                "kernel_sizes": [3, 3], "hidden_units": [32], "embedding_dim": 5,
                "normalize_embedding": normalize}
    encoder = build_contrastive_encoder(64, settings, shape)
    assert encoder.layers[-1].name == "embedding"
    x = np.random.default_rng(0).random((30, 64), dtype=np.float32)
    assert models.encoder_from(encoder).output_shape == (None, 5)
    embedding = models.embed(encoder, x)
    assert embedding.shape == (30, 5) and embedding.dtype == np.float32
    if normalize:
        np.testing.assert_allclose(np.linalg.norm(embedding, axis=1), 1.0, rtol=1e-5)
    encoder.save(tmp_path / "encoder.keras")  # only built-in layers: loads without custom objects
    loaded = models.load_autoencoder(tmp_path / "encoder.keras")
    np.testing.assert_allclose(models.embed(loaded, x), embedding, rtol=1e-5, atol=1e-6)


def test_cnn_needs_an_image_shape():
    with pytest.raises(ValueError, match="image"):
        build_contrastive_encoder(64, {**DEFAULTS, "architecture": "cnn"}, None)


SMALL = {"filters": [8, 16], "kernel_sizes": [3, 3], "embedding_dim": 8, "projection_dim": 8,
         "batch_size": 64, "epochs": 2, "learning_rate": 0.003}


def _digits(n=200):
    from sklearn.datasets import load_digits

    return (load_digits().data[:n] / 16).astype(np.float32)


def test_tiny_training_run_is_finite_and_deterministic(caplog):
    caplog.set_level("INFO")
    x = _digits()
    runs = []
    for _ in range(2):
        seed_everything(3, tensorflow=True, threads=1)
        runs.append(train_contrastive_encoder(x, SMALL, seed=3, image_shape=(8, 8)))
    (encoder, history, throughput), (encoder_b, history_b, _) = runs
    assert len(history["loss"]) == 2 and all(np.isfinite(history["loss"]))
    assert history == history_b
    for wa, wb in zip(encoder.get_weights(), encoder_b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert encoder.layers[-1].name == "embedding"
    assert models.embed(encoder, x).shape == (200, 8)
    assert throughput["epochs_run"] == 2 and throughput["batch_size"] == 64
    assert throughput["n_train"] == 192  # 3 full batches (drop_remainder)
    assert "epoch 2/2" in caplog.text
    seed_everything(4, tensorflow=True, threads=1)
    _, history_other, _ = train_contrastive_encoder(x, SMALL, seed=4, image_shape=(8, 8))
    assert history_other != history


def test_tabular_and_sparse_text_training():
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    seed_everything(0, tensorflow=True, threads=1)
    settings = {**SMALL, "hidden_units": [16], "epochs": 1}
    encoder, history, _ = train_contrastive_encoder(
        rng.normal(size=(100, 12)).astype(np.float32), settings, 0, modality="tabular")
    assert encoder.output_shape == (None, 8) and np.isfinite(history["loss"][0])
    text = sp.random(100, 40, density=0.1, format="csr", random_state=0, dtype=np.float32)
    encoder, history, _ = train_contrastive_encoder(text, settings, 0, image_shape=None,
                                                    modality="text")
    assert models.embed(encoder, text).shape == (100, 8) and np.isfinite(history["loss"][0])


def test_config_schema_gives_the_library_defaults():
    """A `kind: contrastive` entry filled in by the config schema trains as DEFAULTS says."""
    import yaml
    from conftest import ROOT

    schema = yaml.safe_load((ROOT / "schemas/config.schema.yaml").read_text())
    properties = schema["$defs"]["contrastive_encoder"]["properties"]
    # `gpu` chooses the device and the SLURM request (rules, deepclust/encoders/devices.py), not how
    # the library trains
    properties = {key: spec for key, spec in properties.items() if key != "gpu"}
    from_schema = {key: spec["default"] for key, spec in properties.items()
                   if "default" in spec and key != "augment"}
    assert set(properties) == set(DEFAULTS)
    assert from_schema == {key: value for key, value in DEFAULTS.items()
                           if key not in ("kind", "augment")}
    for modality, block in DEFAULTS["augment"].items():
        assert set(properties["augment"]["properties"][modality]["properties"]) == set(block)
