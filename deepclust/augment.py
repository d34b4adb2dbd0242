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

import functools
import logging

import numpy as np

log = logging.getLogger(__name__)

#: the encoder setting's keys and their meaning (config schema: encoders.*.augment)
AUGMENT_KEYS = {"shift": "largest shift, as a fraction of the image height and width",
                "rotation": "largest rotation, in degrees",
                "resample": "twice (Keras' two layers, default) or once (composed)"}


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


def shift_rotation_transforms(n: int, height: int, width: int, shift: float, rotation: float,
                              seed_generator):
    """``n`` random projective transforms (the 8-number rows of
    ``keras.ops.image.affine_transform``), each a shift of up to ``shift`` of the height and
    width followed by a rotation about the image centre of up to ``rotation`` degrees:
    what ``RandomTranslation`` then ``RandomRotation`` draw, composed into one transform."""
    import math

    import keras
    from keras import ops

    dy = keras.random.uniform((n,), -shift, shift, seed=seed_generator) * height
    dx = keras.random.uniform((n,), -shift, shift, seed=seed_generator) * width
    angle = keras.random.uniform((n,), -1.0, 1.0, seed=seed_generator) * \
        (rotation * math.pi / 180.0)
    cos, sin = ops.cos(angle), ops.sin(angle)
    # output pixel p reads the rotated image at R p + o, which reads the input at R p + o - d
    x_offset = ((width - 1) - (cos * (width - 1) - sin * (height - 1))) / 2.0 - dx
    y_offset = ((height - 1) - (sin * (width - 1) + cos * (height - 1))) / 2.0 - dy
    zeros = ops.zeros_like(angle)
    return ops.stack([cos, -sin, x_offset, sin, cos, y_offset, zeros, zeros], axis=1)


@functools.cache
def _shift_rotation_layer():
    """The Keras layer class of :func:`make_augmenter` (built on first use: Keras is
    imported lazily)."""
    import keras

    class RandomShiftRotation(keras.layers.Layer):
        """Randomly shifted and rotated images in one bilinear resampling (Keras'
        ``RandomTranslation`` followed by ``RandomRotation`` resample twice: twice the
        work, and a second blur). Identity outside training."""

        def __init__(self, shift: float, rotation: float, seed: int, **kwargs):
            super().__init__(**kwargs)
            self.shift, self.rotation, self.seed = float(shift), float(rotation), int(seed)
            self.seed_generator = keras.random.SeedGenerator(self.seed)

        def call(self, images, training=False):
            if not training:
                return images
            shape = keras.ops.shape(images)
            transforms = shift_rotation_transforms(shape[0], images.shape[1], images.shape[2],
                                                   self.shift, self.rotation,
                                                   self.seed_generator)
            return keras.ops.image.affine_transform(images, transforms,
                                                    interpolation="bilinear",
                                                    fill_mode="constant", fill_value=0.0)

        def get_config(self):
            return {**super().get_config(), "shift": self.shift, "rotation": self.rotation,
                    "seed": self.seed}

    return RandomShiftRotation


def make_augmenter(image_shape, shift: float, rotation: float, seed: int,
                   resample: str = "twice"):
    """A Keras model mapping a batch of flat images to randomly shifted and rotated
    flat images (seeded: the same seed gives the same sequence of transformations).
    Call it with ``training=True``; in inference mode it returns its input.

    ``resample``: ``twice`` (Keras' ``RandomTranslation`` then ``RandomRotation``: two
    bilinear resamplings, the second blurring the image again) or ``once``
    (:class:`RandomShiftRotation`: the two transforms composed, one resampling, sharper and
    about half the work). On 8x8 digits the extra blur helps (N2D 0.844 twice, 0.812 once,
    3 seeds); on 28x28 MNIST the two are alike (bench/NOTES.md)."""
    import keras

    height, width, channels = image_shape_3d(image_shape)
    if resample == "once":
        moves = [_shift_rotation_layer()(shift, rotation, seed)]
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


def batch_augmenter(image_shape, shift: float, rotation: float, seed: int,
                    resample: str = "twice"):
    """A compiled function: one batch of flat images -> randomly shifted and rotated copies
    (NumPy in, tensor out; about 3x faster than calling the Keras model eagerly)."""
    import tensorflow as tf

    augmenter = make_augmenter(image_shape, shift, rotation, seed, resample)
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
