"""Image augmentation (deepclust.encoders.augment) and the autoencoder trained with it."""
import numpy as np
import pytest

from deepclust.seeding import seed_everything

seed_everything(0, tensorflow=True, threads=1)

from deepclust.encoders.augment import augmented_batches, augmenter_for, make_augmenter  # noqa: E402
from deepclust.encoders.autoencoder import train_autoencoder  # noqa: E402


def digit_like(n=16, size=12):
    """n copies of one image: a bright square in the middle of a dark canvas."""
    image = np.zeros((size, size), dtype=np.float32)
    image[4:8, 4:8] = 1.0
    return np.tile(image.reshape(1, -1), (n, 1))


def test_augmenter_moves_each_image_differently_and_keeps_it_flat():
    x = digit_like()
    out = np.asarray(make_augmenter((12, 12), shift=0.2, rotation=20, seed=0)(x, training=True))
    assert out.shape == x.shape
    assert not np.allclose(out, x)  # transformed ...
    assert len({row.tobytes() for row in out}) > 1  # ... each copy in its own way
    assert out.sum(axis=1).min() > 0.5 * x[0].sum()  # the square stays mostly on the canvas
    inference = np.asarray(make_augmenter((12, 12), 0.2, 20, seed=0)(x, training=False))
    np.testing.assert_array_equal(inference, x)  # no augmentation outside training


def test_rotation_alone_turns_the_image():
    x = np.zeros((1, 144), dtype=np.float32)
    x[0, 6 * 12:6 * 12 + 12] = 1.0  # a horizontal bar through the middle
    out = np.asarray(make_augmenter((12, 12), shift=0.0, rotation=90, seed=3)(
        np.repeat(x, 8, axis=0), training=True)).reshape(8, 12, 12)
    assert any(not np.allclose(o[6], 1.0) for o in out)  # some bars are no longer horizontal


def test_augmented_batches_are_seeded_and_new_every_epoch():
    x = digit_like(n=40)

    def two_epochs(seed):
        batches = augmented_batches(x, 16, make_augmenter((12, 12), 0.2, 20, seed), seed)
        return [[np.asarray(a) for a, _ in batches] for _ in range(2)]

    first, again, other = two_epochs(0), two_epochs(0), two_epochs(1)
    assert [b.shape[0] for b in first[0]] == [16, 16, 8]
    for epoch, epoch_again in zip(first, again):
        for batch, batch_again in zip(epoch, epoch_again):
            np.testing.assert_array_equal(batch, batch_again)
    # all rows are the same image, so any difference between epochs is a new transformation
    assert not np.array_equal(first[0][0], first[1][0])
    assert not np.array_equal(first[0][0], other[0][0])
    inputs, targets = next(iter(augmented_batches(x, 16, make_augmenter((12, 12), 0.2, 20, 0), 0)))
    np.testing.assert_array_equal(inputs, targets)  # it reconstructs the augmented image


SETTINGS = {"kind": "dense_autoencoder", "hidden_units": [16], "embedding_dim": 2,
            "activation": "relu", "optimizer": "adam", "learning_rate": 0.01, "loss": "mse",
            "epochs": 2, "batch_size": 16, "validation_split": 0.25, "early_stopping": {},
            "augment_images": {"shift": 0.1, "rotation": 10}}


def test_autoencoder_trains_on_augmented_images_deterministically():
    x = np.random.default_rng(0).random((64, 144), dtype=np.float32)
    runs = []
    for _ in range(2):
        seed_everything(0, tensorflow=True, threads=1)  # as the train_autoencoder rule does
        runs.append(train_autoencoder(x, SETTINGS, seed=0, image_shape=[12, 12]))
    (model, history, throughput), (again, history_again, _) = runs
    assert history == history_again
    assert throughput["augment_images"] == {"shift": 0.1, "rotation": 10}
    assert len(history["loss"]) == 2 and len(history["val_loss"]) == 2
    assert throughput["samples_per_second"] > 0
    for w, w_again in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(w, w_again)


def test_rows_that_are_not_images_train_as_they_are(caplog):
    caplog.set_level("INFO")
    x = np.random.default_rng(0).random((64, 144), dtype=np.float32)
    plain = {**SETTINGS, "augment_images": None}
    models = []
    for settings in (SETTINGS, plain):
        seed_everything(0, tensorflow=True, threads=1)
        model, _, throughput = train_autoencoder(x, settings, seed=0, image_shape=None)
        models.append(model)
        assert throughput["augment_images"] is None
    assert "augment_images: not used, this dataset has no image shape" in caplog.text
    for w, w_plain in zip(*(m.get_weights() for m in models)):
        np.testing.assert_array_equal(w, w_plain)


def test_one_resampling_draws_what_keras_translation_then_rotation_draw():
    """The composed transform has the distribution of Keras' two layers in a row: the
    centre of a bar moves as far, and its mass stays on the canvas, over 2,000 draws."""
    import keras

    image = np.zeros((28, 28), dtype=np.float32)
    image[10:18, 12:16] = 1.0
    batch = np.tile(image.reshape(1, -1), (2000, 1))
    keras_layers = keras.Sequential([
        keras.Input((784,)), keras.layers.Reshape((28, 28, 1)),
        keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=0),
        keras.layers.RandomRotation(10 / 360, fill_mode="constant", seed=1),
        keras.layers.Reshape((784,))])
    ys, xs = np.mgrid[:28, :28]

    def centres(model):
        out = np.asarray(model(batch, training=True)).reshape(-1, 28, 28)
        mass = out.sum(axis=(1, 2))
        return mass, (out * ys).sum(axis=(1, 2)) / mass, (out * xs).sum(axis=(1, 2)) / mass

    ours = centres(make_augmenter((28, 28), 0.1, 10, seed=0, resample="once"))
    theirs = centres(keras_layers)
    np.testing.assert_allclose(ours[0].mean(), theirs[0].mean(), rtol=0.01)
    for axis in (1, 2):
        assert abs(ours[axis].mean() - theirs[axis].mean()) < 0.1  # centred the same
        assert ours[axis].std() == pytest.approx(theirs[axis].std(), rel=0.05)  # moved as far
        assert ours[axis].std() > 1.0  # ~ U(-2.8, 2.8) pixels of shift


def test_rotation_turns_about_the_image_centre():
    """Shift 0: a disc centred on the canvas stays where it is, however it is turned."""
    ys, xs = np.mgrid[:13, :13]
    disc = ((ys - 6) ** 2 + (xs - 6) ** 2 <= 9).astype(np.float32).reshape(1, -1)
    out = np.asarray(make_augmenter((13, 13), shift=0.0, rotation=45, seed=0, resample="once")(
        np.repeat(disc, 16, axis=0), training=True)).reshape(16, 13, 13)
    mass = out.sum(axis=(1, 2))
    np.testing.assert_allclose((out * ys).sum(axis=(1, 2)) / mass, 6.0, atol=1e-3)
    np.testing.assert_allclose((out * xs).sum(axis=(1, 2)) / mass, 6.0, atol=1e-3)


def test_resample_names_once_or_twice():
    with pytest.raises(ValueError, match="augment_images.resample: 'thrice' is not once or twice"):
        make_augmenter((12, 12), 0.1, 10, seed=0, resample="thrice")
    x = digit_like()
    once = np.asarray(make_augmenter((12, 12), 0.2, 20, seed=0, resample="once")(x, training=True))
    twice = np.asarray(make_augmenter((12, 12), 0.2, 20, seed=0)(x, training=True))
    assert not np.allclose(once, twice)  # two different paths, both seeded


def test_augmenter_for_applies_the_setting_only_to_images(caplog):
    """One entry for the autoencoder and DEC: None when unset or without an image shape;
    else the model (for tf.data) or the compiled batch function, the same transforms."""
    setting = {"shift": 0.2, "rotation": 20, "resample": "once"}
    assert augmenter_for(None, (12, 12), seed=0) is None
    with caplog.at_level("INFO", logger="deepclust.encoders.augment"):
        assert augmenter_for(setting, None, seed=0) is None
    assert "augment_images: not used, this dataset has no image shape" in caplog.text
    x = digit_like()
    model = augmenter_for(setting, (12, 12), seed=0)
    assert [layer.__class__.__name__ for layer in model.layers][1] == "RandomShiftRotation"
    with caplog.at_level("INFO", logger="deepclust.encoders.augment"):
        compiled = augmenter_for(setting, (12, 12), seed=0, compiled=True, purpose="DEC")
    assert ("DEC: augmenting images: shifts up to 0.2 of the size, rotations up to 20 degrees, "
            "resampled once") in caplog.text
    np.testing.assert_allclose(np.asarray(compiled(x)), np.asarray(model(x, training=True)),
                               atol=1e-6)


def test_unset_resample_is_the_one_default_the_schema_states(caplog):
    import inspect
    from pathlib import Path

    import yaml

    from deepclust.encoders.augment import DEFAULT_RESAMPLE, batch_augmenter

    schema = yaml.safe_load((Path(__file__).parents[1] / "schemas" /
                             "config.schema.yaml").read_text())
    resample = schema["$defs"]["augment_images"]["properties"]["resample"]
    assert resample["description"].strip().endswith(f"Unset: {DEFAULT_RESAMPLE}")
    for function in (make_augmenter, batch_augmenter):
        assert inspect.signature(function).parameters["resample"].default == DEFAULT_RESAMPLE
    caplog.set_level("INFO")
    augmenter_for({"shift": 0.1, "rotation": 10}, (8, 8), seed=0)
    assert f"resampled {DEFAULT_RESAMPLE}" in caplog.text
