"""Autoencoders (Keras 3 on TensorFlow).

The dense autoencoder follows the DEC/N2D recipe: an encoder of fully
connected layers down to a linear embedding layer named ``embedding``, and a
mirrored decoder back to a linear reconstruction. The encoder is recovered
from a saved autoencoder by that layer name (:func:`encoder_from`).
"""

from __future__ import annotations

import logging
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

log = logging.getLogger(__name__)

EMBEDDING_LAYER = "embedding"


def build_dense_autoencoder(n_features: int, hidden_units, embedding_dim: int,
                            activation: str = "relu") -> keras.Model:
    """Dense autoencoder ``n_features -> hidden_units -> embedding_dim -> reversed(hidden_units) -> n_features``."""
    inputs = keras.Input(shape=(n_features,), name="features")
    x = inputs
    for i, units in enumerate(hidden_units):
        x = keras.layers.Dense(units, activation=activation, name=f"encoder_{i}")(x)
    embedding = keras.layers.Dense(embedding_dim, name=EMBEDDING_LAYER)(x)
    x = embedding
    for i, units in enumerate(reversed(hidden_units)):
        x = keras.layers.Dense(units, activation=activation, name=f"decoder_{i}")(x)
    outputs = keras.layers.Dense(n_features, name="reconstruction")(x)
    return keras.Model(inputs, outputs, name="dense_autoencoder")


def encoder_from(autoencoder: keras.Model) -> keras.Model:
    """The encoder half of an autoencoder: its input up to the ``embedding`` layer."""
    return keras.Model(autoencoder.inputs, autoencoder.get_layer(EMBEDDING_LAYER).output,
                       name="encoder")


def make_optimizer(name: str, learning_rate: float) -> keras.optimizers.Optimizer:
    optimizer = keras.optimizers.get(name)
    optimizer.learning_rate = learning_rate
    return optimizer


class EpochProgress(keras.callbacks.Callback):
    """Log one line per epoch: losses and seconds (goes to the rule's log file)."""

    def __init__(self, epochs: int):
        super().__init__()
        self.epochs = epochs

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        losses = " ".join(f"{k}={v:.5f}" for k, v in (logs or {}).items())
        log.info("epoch %d/%d %s (%.2f s)", epoch + 1, self.epochs, losses,
                 time.perf_counter() - self._start)


def train_autoencoder(features: np.ndarray, settings: dict, seed: int):
    """Build, compile and fit the autoencoder described by the encoder ``settings``.

    Returns ``(model, history)`` where history is a dict of per-epoch lists
    (``loss`` and, with a validation split, ``val_loss``).
    """
    model = build_dense_autoencoder(features.shape[1], settings["hidden_units"],
                                    settings["embedding_dim"], settings["activation"])
    model.compile(optimizer=make_optimizer(settings["optimizer"], settings["learning_rate"]),
                  loss=settings["loss"])
    validation_split = settings["validation_split"]
    callbacks = [EpochProgress(settings["epochs"])]
    stopping = settings.get("early_stopping") or {}
    if stopping.get("patience"):
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_loss" if validation_split > 0 else "loss",
            patience=stopping["patience"], min_delta=stopping.get("min_delta", 0.0),
            restore_best_weights=True, verbose=0))
    log.info("training %s (%d parameters) on %d x %d, seed %d",
             model.name, model.count_params(), *features.shape, seed)
    history = model.fit(features, features, epochs=settings["epochs"],
                        batch_size=settings["batch_size"], validation_split=validation_split,
                        shuffle=True, callbacks=callbacks, verbose=0)
    return model, history.history


def embed(autoencoder: keras.Model, features: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """The encoder's output for every row (float32)."""
    encoder = encoder_from(autoencoder)
    return np.asarray(encoder.predict(features, batch_size=batch_size, verbose=0),
                      dtype=np.float32)


def load_autoencoder(path) -> keras.Model:
    return keras.models.load_model(path)
