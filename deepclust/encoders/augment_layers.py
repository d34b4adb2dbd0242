"""A Keras layer that shifts and rotates images in one resampling (the ``once`` augmentation
of :mod:`deepclust.encoders.augment`)."""

from __future__ import annotations

import math

import keras
from keras import ops


def shift_rotation_transforms(n: int, height: int, width: int, shift: float, rotation: float,
                              seed_generator):
    """``n`` random projective transforms (the 8-number rows of
    ``keras.ops.image.affine_transform``), each a shift of up to ``shift`` of the height and
    width followed by a rotation about the image centre of up to ``rotation`` degrees:
    what ``RandomTranslation`` then ``RandomRotation`` draw, composed into one transform."""
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


class RandomShiftRotation(keras.layers.Layer):
    """Randomly shifted and rotated images in one bilinear resampling (Keras'
    ``RandomTranslation`` followed by ``RandomRotation`` resample twice: twice the work, and
    a second blur). Identity outside training."""

    def __init__(self, shift: float, rotation: float, seed: int, **kwargs):
        super().__init__(**kwargs)
        self.shift, self.rotation, self.seed = float(shift), float(rotation), int(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def call(self, images, training=False):
        if not training:
            return images
        transforms = shift_rotation_transforms(ops.shape(images)[0], images.shape[1],
                                               images.shape[2], self.shift, self.rotation,
                                               self.seed_generator)
        return ops.image.affine_transform(images, transforms, interpolation="bilinear",
                                          fill_mode="constant", fill_value=0.0)

    def get_config(self):
        return {**super().get_config(), "shift": self.shift, "rotation": self.rotation,
                "seed": self.seed}
