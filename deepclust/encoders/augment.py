"""Image augmentation for training on flattened images (Keras preprocessing layers).

Random shifts and rotations of the digits while the autoencoder trains make its
embedding care about which digit is drawn rather than where on the canvas it sits,
which is what clustering needs. DEC-DA (Guo et al., 2018) augments DEC the same way;
the scores with and without augmentation are in bench/NOTES.md.

Rows stay flat (``n_features`` values per row); the augmenter reshapes each batch to
the dataset's image shape, transforms it and flattens it again.
"""

from __future__ import annotations

import logging
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from deepclust.encoders.augment_layers import RandomShiftRotation  # noqa: E402

log = logging.getLogger(__name__)

#: the encoder setting's keys and their meaning (config schema: encoders.*.augment)
AUGMENT_KEYS = {"shift": "largest shift, as a fraction of the image height and width",
                "rotation": "largest rotation, in degrees",
                "resample": "twice (Keras' two layers, default) or once (composed)"}

#: ``augment_images.resample`` when unset (the schema's default too; see :func:`make_augmenter`)
DEFAULT_RESAMPLE = "twice"


def augmentation_for(augment_images: dict | None, image_shape) -> dict | None:
    """The ``augment_images`` setting if it applies: set, and the dataset holds images
    (else ``None``; a set value on data without an image shape is logged as not used)."""
    if augment_images and not image_shape:
        log.info("augment_images: not used, this dataset has no image shape (modality is "
                 "not 'image')")
        return None
    return augment_images or None


def image_shape_3d(image_shape) -> tuple[int, int, int]:
    """(height, width, channels) of a dataset's image shape (channels default to 1)."""
    shape = tuple(int(s) for s in image_shape)
    return shape if len(shape) == 3 else (*shape, 1)


def make_augmenter(image_shape, shift: float, rotation: float, seed: int,
                   resample: str = DEFAULT_RESAMPLE):
    """A Keras model mapping a batch of flat images to randomly shifted and rotated
    flat images (seeded: the same seed gives the same sequence of transformations).
    Call it with ``training=True``; in inference mode it returns its input.

    ``resample``: ``twice`` (Keras' ``RandomTranslation`` then ``RandomRotation``: two
    bilinear resamplings, the second blurring the image again) or ``once``
    (:class:`deepclust.encoders.augment_layers.RandomShiftRotation`: the two transforms composed,
    one
    resampling, sharper and about half the work). On small 8x8 digits the extra blur of
    ``twice`` helps; on 28x28 MNIST the two are alike (bench/NOTES.md)."""
    height, width, channels = image_shape_3d(image_shape)
    if resample == "once":
        moves = [RandomShiftRotation(shift, rotation, seed)]
    elif resample == "twice":
        moves = []
        if shift > 0:
            moves.append(keras.layers.RandomTranslation(shift, shift, fill_mode="constant",
                                                        seed=seed))
        if rotation > 0:
            moves.append(keras.layers.RandomRotation(rotation / 360.0, fill_mode="constant",
                                                     seed=seed + 1))
    else:
        raise ValueError(f"augment_images.resample: {resample!r} is not once or twice")
    return keras.Sequential([keras.Input(shape=(height * width * channels,)),
                             keras.layers.Reshape((height, width, channels)), *moves,
                             keras.layers.Reshape((height * width * channels,))],
                            name="augment")


def augmenter_for(augment_images: dict | None, image_shape, seed: int, compiled: bool = False,
                  purpose: str = "training"):
    """The augmenter an ``augment_images`` setting asks for, or ``None`` when it does not
    apply (unset, or a dataset without images): :func:`make_augmenter` (a Keras model, for a
    tf.data pipeline) or, ``compiled``, :func:`batch_augmenter` (a function of one batch).
    ``purpose`` names what it serves in the log line."""
    augment = augmentation_for(augment_images, image_shape)
    if not augment:
        return None
    resample = augment.get("resample", DEFAULT_RESAMPLE)
    log.info("%s: augmenting images: shifts up to %g of the size, rotations up to %g degrees, "
             "resampled %s", purpose, augment["shift"], augment["rotation"], resample)
    build = batch_augmenter if compiled else make_augmenter
    return build(image_shape, augment["shift"], augment["rotation"], seed, resample)


def batch_augmenter(image_shape, shift: float, rotation: float, seed: int,
                    resample: str = DEFAULT_RESAMPLE):
    """A compiled function: one batch of flat images -> randomly shifted and rotated copies
    (NumPy in, tensor out; compiled because calling the Keras model eagerly is much slower)."""

    augmenter = make_augmenter(image_shape, shift, rotation, seed, resample)
    return tf.function(lambda batch: augmenter(batch, training=True))


def augmented_batches(features: np.ndarray, batch_size: int, augmenter, seed: int):
    """A tf.data pipeline of ``(augmented, augmented)`` batches, reshuffled every epoch
    with a seeded order: the autoencoder learns to reconstruct the transformed image."""

    def transform(batch):
        augmented = augmenter(batch, training=True)
        return augmented, augmented

    return (tf.data.Dataset.from_tensor_slices(np.asarray(features, dtype=np.float32))
            .shuffle(features.shape[0], seed=seed, reshuffle_each_iteration=True)
            .batch(batch_size)
            .map(transform)
            .prefetch(2))
