"""Encoders as scikit-learn transformers: ``fit(X)``, then ``transform(X)`` gives the embedding.

:class:`DenseAutoencoder` is the workflow's ``kind: dense_autoencoder`` encoder for use in a
notebook or a script: the same network and training (:func:`deepclust.models.train_autoencoder`),
its parameters the config entry's keys, with the same defaults.
"""

from __future__ import annotations

from sklearn.base import BaseEstimator, TransformerMixin

from deepclust.atomic import atomic_path
from deepclust.models import embed, load_autoencoder, train_autoencoder
from deepclust.seeding import seed_everything


class DenseAutoencoder(TransformerMixin, BaseEstimator):
    """A dense autoencoder: ``hidden_units`` down to an ``embedding_dim`` bottleneck and back.

    ``early_stopping`` is ``{"patience": epochs, "min_delta": change}`` (``None``: stop after 10
    epochs without improvement); ``augment_images`` (``{"shift", "rotation"}``, with the images'
    ``image_shape``) trains on shifted and rotated copies. ``fit`` seeds Python, NumPy and
    TensorFlow with ``random_state`` on ``threads`` threads and makes TensorFlow's operations
    deterministic, as the workflow's training rule does.

    After :meth:`fit`: ``model_`` (the Keras autoencoder; its layer ``embedding`` is the
    bottleneck) and ``history_`` (per-epoch losses).
    """

    def __init__(self, *, hidden_units=(500, 500, 2000), embedding_dim: int = 10,
                 activation: str = "relu", optimizer: str = "adam",
                 learning_rate: float = 0.001, learning_rate_decay: str | None = None,
                 loss: str = "mse", precision: str = "float32", epochs: int = 50,
                 batch_size: int = 256, validation_split: float = 0.1,
                 early_stopping: dict | None = None, augment_images: dict | None = None,
                 image_shape=None, threads: int | None = None, random_state: int = 0):
        self.hidden_units = hidden_units
        self.embedding_dim = embedding_dim
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.learning_rate_decay = learning_rate_decay
        self.loss = loss
        self.precision = precision
        self.epochs = epochs
        self.batch_size = batch_size
        self.validation_split = validation_split
        self.early_stopping = early_stopping
        self.augment_images = augment_images
        self.image_shape = image_shape
        self.threads = threads
        self.random_state = random_state

    def settings(self) -> dict:
        """The encoder's config entry (``kind: dense_autoencoder``) these parameters make."""
        params = self.get_params()
        for name in ("image_shape", "threads", "random_state"):
            params.pop(name)
        params["hidden_units"] = list(params["hidden_units"])
        if params["early_stopping"] is None:
            params["early_stopping"] = {"patience": 10, "min_delta": 0.0}
        return {"kind": "dense_autoencoder", **params}

    def fit(self, X, y=None) -> "DenseAutoencoder":
        seed_everything(self.random_state, tensorflow=True, threads=self.threads)
        self.model_, self.history_, _ = train_autoencoder(X, self.settings(), self.random_state,
                                                          self.image_shape)
        return self

    def transform(self, X):
        """The bottleneck's output for each row of ``X``."""
        return embed(self.model_, X)

    def save(self, path) -> None:
        """The Keras model to ``path`` (``.keras``), complete or not at all."""
        with atomic_path(path) as partial:
            self.model_.save(partial)

    @classmethod
    def load(cls, path, **params) -> "DenseAutoencoder":
        """A fitted encoder from a model saved by :meth:`save` (or by the workflow)."""
        encoder = cls(**params)
        encoder.model_ = load_autoencoder(path)
        return encoder
