"""The two random views of a row that contrastive training compares: images shifted,
rotated, zoomed and with strokes thickened or thinned; tabular rows masked and noised; text
vectors with tokens dropped."""

from __future__ import annotations

import logging
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
from keras import ops  # noqa: E402

from deepclust.encoders.augment import image_shape_3d  # noqa: E402

log = logging.getLogger(__name__)

#: the kinds of data contrastive views are made for
MODALITIES = ("image", "tabular", "text")


@keras.saving.register_keras_serializable(package="deepclust")
class RandomMask(keras.layers.Layer):
    """Zero each entry independently with probability ``rate`` (no rescaling, unlike
    Dropout): feature masking for tabular rows, token dropout for text vectors.
    Seeded with a :class:`keras.random.SeedGenerator`; identity outside training."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.rate = float(rate)
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not training or self.rate <= 0:
            return inputs
        keep = keras.random.uniform(ops.shape(inputs), seed=self.generator) >= self.rate
        return ops.where(keep, inputs, ops.zeros_like(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}



@keras.saving.register_keras_serializable(package="deepclust")
class RandomStroke(keras.layers.Layer):
    """Thicker or thinner strokes: each image moves towards its 3x3 grey dilation
    (max filter) or erosion (min filter) by a random amount in ``[-factor, factor]``
    (negative: erosion). Stroke width is the main within-class variation of
    handwriting that shifts and rotations do not cover. Identity outside training."""

    def __init__(self, factor: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.factor = float(factor)
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=False):
        if not training or self.factor <= 0:
            return images
        dilated = ops.max_pool(images, 3, strides=1, padding="same")
        eroded = -ops.max_pool(-images, 3, strides=1, padding="same")
        amount = keras.random.uniform((ops.shape(images)[0], 1, 1, 1), -self.factor,
                                      self.factor, seed=self.generator)
        target = ops.where(amount > 0, dilated, eroded)
        return images + ops.abs(amount) * (target - images)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "seed": self.seed}



def make_view_augmenter(modality: str, augment: dict | None, n_features: int,
                        image_shape=None, seed: int = 0) -> keras.Sequential:
    """A Keras model mapping a batch of flat rows to one random view of each row.

    ``augment`` is the modality's block of the ``augment`` setting (missing keys or 0
    switch a transformation off):

    - image: ``shift`` (largest translation, fraction of height/width), ``rotation``
      (degrees), ``shear`` (largest shear factor, both axes: slant), ``crop``
      (random zoom-in by up to this fraction per axis, independently: a random
      resized crop), ``stroke`` (thicker/thinner strokes, :class:`RandomStroke`),
      ``noise`` (Gaussian std); rows are reshaped to
      ``image_shape``, transformed and flattened again
    - tabular: ``mask`` (probability of zeroing each feature), ``noise`` (Gaussian std)
    - text: ``dropout`` (probability of zeroing each non-zero entry)

    Call it with ``training=True`` (as the trainer does); in inference mode it returns
    its input. Seeded: the same seed gives the same sequence of views, another seed
    other views. Output float32, same shape as the input.
    """
    augment = augment or {}
    layers = keras.layers
    stack: list = [keras.Input(shape=(n_features,), dtype="float32", name="rows")]
    if modality == "image":
        if not image_shape:
            raise ValueError("image augmentation needs the dataset's image shape")
        height, width, channels = image_shape_3d(image_shape)
        if height * width * channels != n_features:
            raise ValueError(f"image shape {list(image_shape)} holds "
                             f"{height * width * channels} values but the rows have "
                             f"{n_features} features")
        stack.append(layers.Reshape((height, width, channels)))
        crop = float(augment.get("crop") or 0)
        if crop > 0:
            stack.append(layers.RandomZoom((-crop, 0.0), (-crop, 0.0), fill_mode="constant",
                                           seed=seed))
        stroke = float(augment.get("stroke") or 0)
        if stroke > 0:
            stack.append(RandomStroke(stroke, seed=seed + 5))
        rotation = float(augment.get("rotation") or 0)
        if rotation > 0:
            stack.append(layers.RandomRotation(rotation / 360.0, fill_mode="constant",
                                               seed=seed + 1))
        shear = float(augment.get("shear") or 0)
        if shear > 0:
            stack.append(layers.RandomShear(shear, shear, fill_mode="constant",
                                            seed=seed + 4))
        shift = float(augment.get("shift") or 0)
        if shift > 0:
            stack.append(layers.RandomTranslation(shift, shift, fill_mode="constant",
                                                  seed=seed + 2))
        noise = float(augment.get("noise") or 0)
        if noise > 0:
            stack.append(layers.GaussianNoise(noise, seed=seed + 3))
        stack.append(layers.Reshape((n_features,)))
    elif modality == "tabular":
        if float(augment.get("mask") or 0) > 0:
            stack.append(RandomMask(augment["mask"], seed=seed))
        if float(augment.get("noise") or 0) > 0:
            stack.append(layers.GaussianNoise(float(augment["noise"]), seed=seed + 1))
    elif modality == "text":
        if float(augment.get("dropout") or 0) > 0:
            stack.append(RandomMask(augment["dropout"], seed=seed))
    else:
        raise ValueError(f"unknown modality {modality!r}; expected one of {MODALITIES}")
    if len(stack) == 1 or (modality == "image" and len(stack) == 3):
        log.warning("contrastive %s views: no augmentation configured, both views are the "
                    "row itself", modality)
    return keras.Sequential(stack, name=f"augment_{modality}")
