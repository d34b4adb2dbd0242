"""Encoders as scikit-learn transformers: ``fit(X)``, then ``transform(X)`` gives the embedding.

:class:`DenseAutoencoder`, :class:`ConvAutoencoder` and :class:`ContrastiveEncoder` are the
workflow's encoder kinds for use in a notebook or a script: the same networks and training
(:func:`deepclust.encoders.autoencoder.train_autoencoder`,
:func:`deepclust.encoders.contrastive.train_contrastive_encoder`), their parameters the keys of
a config entry, with the same defaults. :data:`ENCODERS` is the encoder stage's registry.
"""

from __future__ import annotations

from sklearn.base import BaseEstimator, TransformerMixin

from deepclust.atomic import atomic_path
from deepclust.encoders.autoencoder import train_autoencoder
from deepclust.encoders.contrastive import train_contrastive_encoder
from deepclust.encoders.training import embed, load_autoencoder
from deepclust.registry import build
from deepclust.seeding import seed_everything

#: parameters that say how to fit, not what the config entry holds
FIT_PARAMETERS = ("image_shape", "modality", "threads", "random_state")


class _Encoder(TransformerMixin, BaseEstimator):
    """What every encoder shares: its config entry, fitting, embedding, saving, loading.

    ``fit`` seeds Python, NumPy and TensorFlow with ``random_state`` on ``threads`` threads
    and makes TensorFlow's operations deterministic, as the workflow's training rule does.
    After :meth:`fit`: ``model_`` (the Keras model; its layer ``embedding`` gives the
    embedding), ``history_`` (per-epoch losses) and ``throughput_`` (training speed)."""

    kind = ""
    #: what the training loss is (the loss figure's axis)
    loss_name = "reconstruction loss"

    def _store(self, params: dict) -> None:
        """Each parameter of ``__init__`` as an attribute of its name, nothing else (what
        scikit-learn's ``get_params`` and ``clone`` expect)."""
        for name, value in params.items():
            if name not in ("self", "__class__"):
                setattr(self, name, value)

    def settings(self) -> dict:
        """The encoder's config entry (``kind`` and its keys) these parameters make."""
        params = {k: v for k, v in self.get_params().items() if k not in FIT_PARAMETERS}
        params = {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
        if params.get("early_stopping", {}) is None:  # the schema's default
            params["early_stopping"] = {"patience": 10, "min_delta": 0.0}
        return {"kind": self.kind, **params}

    def _train(self, X, image_shape=None):
        return train_autoencoder(X, self.settings(), self.random_state,
                                 image_shape or self.image_shape)

    def fit(self, X, y=None):
        seed_everything(self.random_state, tensorflow=True, threads=self.threads)
        self.model_, self.history_, self.throughput_ = self._train(X)
        return self

    def transform(self, X):
        """The embedding of each row of ``X``."""
        return embed(self.model_, X)

    def save(self, path) -> None:
        """The Keras model to ``path`` (``.keras``), complete or not at all."""
        with atomic_path(path) as partial:
            self.model_.save(partial)

    @classmethod
    def load(cls, path, **params):
        """A fitted encoder from a model saved by :meth:`save` (or by the workflow)."""
        encoder = cls(**params)
        encoder.model_ = load_autoencoder(path)
        return encoder


class DenseAutoencoder(_Encoder):
    """A dense autoencoder: ``hidden_units`` down to an ``embedding_dim`` bottleneck and back.

    ``early_stopping`` is ``{"patience": epochs, "min_delta": change}`` (``None``: stop after 10
    epochs without improvement); ``augment_images`` (``{"shift", "rotation"}``, with the images'
    ``image_shape``) trains on shifted and rotated copies."""

    kind = "dense_autoencoder"

    def __init__(self, *, hidden_units=(500, 500, 2000), embedding_dim: int = 10,
                 activation: str = "relu", optimizer: str = "adam",
                 learning_rate: float = 0.001, learning_rate_decay: str | None = None,
                 loss: str = "mse", precision: str = "float32", epochs: int = 50,
                 batch_size: int = 256, validation_split: float = 0.1,
                 early_stopping: dict | None = None, augment_images: dict | None = None,
                 image_shape=None, threads: int | None = None, random_state: int = 0):
        self._store(locals())


class ConvAutoencoder(_Encoder):
    """A convolutional autoencoder for images given as flat rows of ``image_shape``: stride-2
    Conv2D layers (``filters``, ``kernel_sizes``) down to a Dense ``embedding_dim`` and
    Conv2DTranspose layers back. The other parameters are :class:`DenseAutoencoder`'s."""

    kind = "conv_autoencoder"

    def __init__(self, *, image_shape=None, filters=(32, 64, 128), kernel_sizes=(5, 5, 3),
                 embedding_dim: int = 10, activation: str = "relu", optimizer: str = "adam",
                 learning_rate: float = 0.001, learning_rate_decay: str | None = None,
                 loss: str = "mse", precision: str = "float32", epochs: int = 50,
                 batch_size: int = 256, validation_split: float = 0.1,
                 early_stopping: dict | None = None, augment_images: dict | None = None,
                 threads: int | None = None, random_state: int = 0):
        self._store(locals())

    def _train(self, X):
        if not self.image_shape:
            raise ValueError("ConvAutoencoder needs the images' image_shape, e.g. (28, 28)")
        shape = tuple(self.image_shape)  # (height, width) or (height, width, channels)
        return super()._train(X, shape if len(shape) == 3 else (*shape, 1))


class ContrastiveEncoder(_Encoder):
    """A SimCLR-style encoder trained with the NT-Xent loss on two augmented views of each row.

    ``modality`` chooses the views and the network: ``image`` (a small CNN; needs
    ``image_shape``), ``tabular`` or ``text`` (an MLP); ``None``: ``image`` when
    ``image_shape`` is given, else ``tabular``. ``augment`` overrides the views' settings per
    modality (``None``: the defaults of :data:`deepclust.encoders.contrastive.DEFAULTS`)."""

    kind = "contrastive"
    loss_name = "NT-Xent loss (contrastive)"

    def __init__(self, *, architecture: str = "auto", filters=(32, 64, 128),
                 kernel_sizes=(3, 3, 3), batch_norm: bool = False, hidden_units=(512, 256),
                 activation: str = "relu", embedding_dim: int = 64,
                 normalize_embedding: bool = True, projection_dim: int = 64,
                 temperature: float = 0.5, batch_size: int = 256, epochs: int = 40,
                 learning_rate: float = 0.001, optimizer: str = "adam",
                 augment: dict | None = None, image_shape=None, modality: str | None = None,
                 threads: int | None = None, random_state: int = 0):
        self._store(locals())

    def _train(self, X):
        modality = self.modality or ("image" if self.image_shape else "tabular")
        return train_contrastive_encoder(X, self.settings(), self.random_state,
                                         self.image_shape, modality)


#: the encoder of each ``kind``: an encoder config entry's keys are its parameters
ENCODERS = {encoder.kind: encoder for encoder in (DenseAutoencoder, ConvAutoencoder,
                                                  ContrastiveEncoder)}


def make_encoder(settings: dict, seed: int, image_shape=None, modality: str | None = None,
                 threads: int | None = None) -> _Encoder:
    """The encoder of a config entry, for a dataset's ``image_shape`` and ``modality``,
    seeded with ``seed`` and trained on ``threads`` threads."""
    return build(ENCODERS, "encoder", settings, image_shape=image_shape, modality=modality,
                 threads=threads, random_state=seed)
