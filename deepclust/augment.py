"""Image augmentation for training on flattened images (Keras preprocessing layers).

Random shifts and rotations of the digits while the autoencoder trains make its
embedding care about which digit is drawn rather than where on the canvas it sits,
which is what clustering needs. DEC-DA (Guo et al., 2018) does the same and found it
lifts DEC on MNIST by several points; here it lifts KMeans on the embedding (the
start of DEC) from about 0.63 to about 0.78 ACC (bench/NOTES.md).

Rows stay flat (``n_features`` values per row); the augmenter reshapes each batch to
the dataset's image shape, transforms it and flattens it again.
"""

from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger(__name__)

#: the encoder setting's keys and their meaning (config schema: encoders.*.augment)
AUGMENT_KEYS = {"shift": "largest shift, as a fraction of the image height and width",
                "rotation": "largest rotation, in degrees"}


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


def make_augmenter(image_shape, shift: float, rotation: float, seed: int):
    """A Keras model mapping a batch of flat images to randomly shifted and rotated
    flat images (seeded: the same seed gives the same sequence of transformations).
    Call it with ``training=True``; in inference mode it returns its input."""
    import keras

    height, width, channels = image_shape_3d(image_shape)
    layers = [keras.Input(shape=(height * width * channels,)),
              keras.layers.Reshape((height, width, channels))]
    if shift > 0:
        layers.append(keras.layers.RandomTranslation(shift, shift, fill_mode="constant",
                                                     seed=seed))
    if rotation > 0:
        layers.append(keras.layers.RandomRotation(rotation / 360.0, fill_mode="constant",
                                                  seed=seed + 1))
    layers.append(keras.layers.Reshape((height * width * channels,)))
    return keras.Sequential(layers, name="augment")


def batch_augmenter(image_shape, shift: float, rotation: float, seed: int):
    """A compiled function: one batch of flat images -> randomly shifted and rotated copies
    (NumPy in, tensor out; about 3x faster than calling the Keras model eagerly)."""
    import tensorflow as tf

    augmenter = make_augmenter(image_shape, shift, rotation, seed)
    return tf.function(lambda batch: augmenter(batch, training=True))


def augmented_batches(features: np.ndarray, batch_size: int, augmenter, seed: int):
    """A tf.data pipeline of ``(augmented, augmented)`` batches, reshuffled every epoch
    with a seeded order: the autoencoder learns to reconstruct the transformed image."""
    import tensorflow as tf

    def transform(batch):
        augmented = augmenter(batch, training=True)
        return augmented, augmented

    return (tf.data.Dataset.from_tensor_slices(np.asarray(features, dtype=np.float32))
            .shuffle(features.shape[0], seed=seed, reshuffle_each_iteration=True)
            .batch(batch_size)
            .map(transform)
            .prefetch(2))
