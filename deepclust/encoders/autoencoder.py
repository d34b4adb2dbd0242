"""Autoencoders (dense and convolutional, Keras 3 on TensorFlow): build and train.

The dense autoencoder follows the DEC/N2D recipe: an encoder of fully
connected layers down to a linear embedding layer named ``embedding``, and a
mirrored decoder back to a linear reconstruction. The encoder is recovered
from a saved autoencoder by that layer name (:func:`encoder_from`).
"""

from __future__ import annotations

import logging
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from deepclust.encoders.augment import augmented_batches, augmenter_for  # noqa: E402
from deepclust.encoders.optimizers import learning_rate_for, make_optimizer  # noqa: E402
from deepclust.encoders.training import (
    EMBEDDING_LAYER,
    PRECISIONS,
    DenseBatches,
    EpochProgress,
    dense_batch,  # noqa: E402
    dense_flops,
    dense_if_small,
    steps_per_execution,
    training_dtype,
)
from deepclust.features import is_sparse  # noqa: E402

log = logging.getLogger(__name__)


def build_dense_autoencoder(n_features: int, hidden_units, embedding_dim: int,
                            activation: str = "relu", dtype: str | None = None) -> keras.Model:
    """Dense autoencoder ``n_features -> hidden_units -> embedding_dim ->
    reversed(hidden_units) -> n_features``. ``dtype``: the layers' Keras dtype policy
    (None: float32; see :data:`PRECISIONS`)."""
    inputs = keras.Input(shape=(n_features,), name="features")
    x = inputs
    for i, units in enumerate(hidden_units):
        x = keras.layers.Dense(units, activation=activation, name=f"encoder_{i}",
                               dtype=dtype)(x)
    embedding = keras.layers.Dense(embedding_dim, name=EMBEDDING_LAYER, dtype=dtype)(x)
    x = embedding
    for i, units in enumerate(reversed(hidden_units)):
        x = keras.layers.Dense(units, activation=activation, name=f"decoder_{i}",
                               dtype=dtype)(x)
    outputs = keras.layers.Dense(n_features, name="reconstruction", dtype=dtype)(x)
    return keras.Model(inputs, outputs, name="dense_autoencoder")


def build_conv_autoencoder(n_features: int, image_shape, filters=(32, 64, 128),
                           kernel_sizes=(5, 5, 3), embedding_dim: int = 10,
                           activation: str = "relu", dtype: str | None = None) -> keras.Model:
    """Convolutional autoencoder for images given as flat rows (as the workflow stores them).

    Reshape to ``image_shape`` -> Conv2D ``filters`` with stride 2 ("same" padding, so any
    image size works) -> Dense ``embedding`` -> Dense back to the last feature map ->
    Conv2DTranspose with stride 2 in reverse -> crop to the image size -> flat rows.
    Input and output are flat like the dense autoencoder's, so training, embedding,
    DEC and clustering of new data treat both alike. ``dtype``: as for
    :func:`build_dense_autoencoder`.
    """
    height, width, channels = (int(v) for v in image_shape)
    if height * width * channels != n_features:
        raise ValueError(f"image shape {list(image_shape)} holds {height * width * channels} "
                         f"values but the rows have {n_features} features")
    if len(filters) != len(kernel_sizes):
        raise ValueError(f"{len(filters)} filters but {len(kernel_sizes)} kernel sizes")
    layers = keras.layers
    inputs = keras.Input(shape=(n_features,), name="features")
    x = layers.Reshape((height, width, channels), name="image", dtype=dtype)(inputs)
    for i, (n_filters, size) in enumerate(zip(filters, kernel_sizes)):
        x = layers.Conv2D(n_filters, size, strides=2, padding="same", activation=activation,
                          name=f"encoder_{i}", dtype=dtype)(x)
    feature_map = tuple(int(v) for v in x.shape[1:])
    x = layers.Flatten(name="flatten", dtype=dtype)(x)
    embedding = layers.Dense(embedding_dim, name=EMBEDDING_LAYER, dtype=dtype)(x)
    x = layers.Dense(int(np.prod(feature_map)), activation=activation,
                     name="decoder_dense", dtype=dtype)(embedding)
    x = layers.Reshape(feature_map, name="feature_map", dtype=dtype)(x)
    for i, (n_filters, size) in enumerate(zip(reversed(filters[:-1]),
                                              reversed(kernel_sizes[1:]))):
        x = layers.Conv2DTranspose(n_filters, size, strides=2, padding="same",
                                   activation=activation, name=f"decoder_{i}", dtype=dtype)(x)
    x = layers.Conv2DTranspose(channels, kernel_sizes[0], strides=2, padding="same",
                               name="decoder_image", dtype=dtype)(x)
    extra_h, extra_w = int(x.shape[1]) - height, int(x.shape[2]) - width
    if extra_h or extra_w:
        x = layers.Cropping2D(((extra_h // 2, extra_h - extra_h // 2),
                               (extra_w // 2, extra_w - extra_w // 2)), name="crop",
                              dtype=dtype)(x)
    outputs = layers.Reshape((n_features,), name="reconstruction", dtype=dtype)(x)
    return keras.Model(inputs, outputs, name="conv_autoencoder")


def _dense_network(n_features: int, settings: dict, image_shape, dtype) -> keras.Model:
    return build_dense_autoencoder(n_features, settings["hidden_units"],
                                   settings["embedding_dim"], settings["activation"], dtype)


def _conv_network(n_features: int, settings: dict, image_shape, dtype) -> keras.Model:
    if not image_shape:
        raise ValueError("a convolutional autoencoder needs image data, but this dataset "
                         "has no image shape (modality is not 'image')")
    return build_conv_autoencoder(n_features, image_shape, settings["filters"],
                                  settings["kernel_sizes"], settings["embedding_dim"],
                                  settings["activation"], dtype)


#: the network of each autoencoder kind, from its config entry
NETWORKS = {"dense_autoencoder": _dense_network, "conv_autoencoder": _conv_network}


def build_autoencoder(n_features: int, settings: dict, image_shape=None,
                      dtype: str | None = None) -> keras.Model:
    """The autoencoder of an encoder config entry (``kind``: dense_autoencoder or
    conv_autoencoder; the latter needs the dataset's ``image_shape``), its layers in the
    Keras dtype policy ``dtype`` (None: float32)."""
    return NETWORKS[settings["kind"]](n_features, settings, image_shape, dtype)


def in_float32(model: keras.Model, n_features: int, settings: dict,
               image_shape=None) -> keras.Model:
    """The same autoencoder with float32 layers and the trained weights (kept in float32 by
    a mixed precision policy, so nothing is rounded)."""
    copy = build_autoencoder(n_features, settings, image_shape)
    copy.set_weights(model.get_weights())
    return copy


def train_autoencoder(features, settings: dict, seed: int, image_shape=None):
    """Build, compile and fit the autoencoder described by the encoder ``settings``.

    Returns ``(model, history, throughput)``: history is a dict of per-epoch
    lists (``loss`` and, with a validation split, ``val_loss``); throughput
    the training speed (:meth:`EpochProgress.throughput` plus FLOPs per sample).
    """
    features = dense_if_small(features)
    if settings["embedding_dim"] >= features.shape[1]:
        log.warning("embedding_dim=%d is not below the %d features of this dataset: the "
                    "autoencoder can copy its input instead of compressing it, and then its "
                    "embedding need not group similar rows; set the encoder's embedding_dim "
                    "below %d", settings["embedding_dim"], features.shape[1], features.shape[1])
    precision = settings.get("precision", "float32")
    model = build_autoencoder(features.shape[1], settings, image_shape,
                              training_dtype(precision))
    validation_split = settings["validation_split"]
    n_val = int(features.shape[0] * validation_split)  # Keras takes the last rows
    steps = settings["epochs"] * -(-(features.shape[0] - n_val) // settings["batch_size"])
    optimizer = make_optimizer(settings["optimizer"], learning_rate_for(settings, steps))
    model.compile(optimizer=optimizer,
                  loss=settings["loss"],
                  steps_per_execution=steps_per_execution(features.shape[0] - n_val,
                                                          settings["batch_size"]))
    flops = dense_flops(model)
    progress = EpochProgress(settings["epochs"], features.shape[0] - n_val, n_val, flops)
    callbacks = [progress]
    stopping = settings.get("early_stopping") or {}
    if stopping.get("patience"):
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_loss" if validation_split > 0 else "loss",
            patience=stopping["patience"], min_delta=stopping.get("min_delta", 0.0),
            restore_best_weights=True, verbose=0))
    log.info("training %s (%d parameters, %s) on %d x %d, seed %d",
             model.name, model.count_params(), precision, *features.shape, seed)
    # images: shifted and rotated copies every epoch (deepclust.encoders.augment)
    augmenter = augmenter_for(settings.get("augment_images"), image_shape, seed,
                              purpose=f"training {model.name}")
    if augmenter is not None:
        n_train = features.shape[0] - n_val
        features = dense_batch(features, np.arange(features.shape[0]))
        train = augmented_batches(features[:n_train], settings["batch_size"], augmenter, seed)
        val = (features[n_train:], features[n_train:]) if n_val else None
        history = model.fit(train, validation_data=val, epochs=settings["epochs"],
                            shuffle=False, callbacks=callbacks, verbose=0)  # tf.data shuffles
    elif is_sparse(features):  # same split as Keras' validation_split: the last rows
        n_train = features.shape[0] - n_val
        train = DenseBatches(features[:n_train], settings["batch_size"], True, seed)
        val = DenseBatches(features[n_train:], settings["batch_size"], False, seed) \
            if n_val else None
        history = model.fit(train, validation_data=val, epochs=settings["epochs"],
                            callbacks=callbacks, verbose=0)
    else:
        history = model.fit(features, features, epochs=settings["epochs"],
                            batch_size=settings["batch_size"], validation_split=validation_split,
                            shuffle=True, callbacks=callbacks, verbose=0)
    if PRECISIONS[precision]:
        model = in_float32(model, features.shape[1], settings, image_shape)
    throughput = {**progress.throughput(), "batch_size": settings["batch_size"],
                  "precision": precision,
                  "augment_images": settings.get("augment_images") if augmenter else None,
                  "forward_flops_per_sample": flops[0], "training_flops_per_sample": flops[1]}
    log.info("training throughput: %.0f samples/s, %.1f GFLOP/s (median epoch %.2f s)",
             throughput["samples_per_second"], throughput["gflops"],
             throughput["seconds_per_epoch"])
    return model, history.history, throughput
