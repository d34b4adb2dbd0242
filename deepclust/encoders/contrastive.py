"""Contrastive (SimCLR-style) encoder: NT-Xent on two augmented views of every row.

SimCLR (Chen et al., 2020) trains an encoder and a small projection head so that two
random augmentations ("views") of the same row project close together and away from
the views of every other row in the batch (the NT-Xent loss). Only the encoder is kept;
its last layer is named ``embedding``, like the autoencoders', so
:func:`deepclust.encoders.training.encoder_from` and
:func:`deepclust.encoders.training.embed` work on the saved model unchanged.

Rows stay flat (``n_features`` values per row). Images are reshaped to the dataset's
image shape by the augmenter and by the CNN encoder; tabular rows get feature masking
and Gaussian noise, text (dense TF-IDF/count vectors) token dropout.
"""

from __future__ import annotations

import copy
import logging
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import ops  # noqa: E402

from deepclust.encoders.augment import image_shape_3d  # noqa: E402
from deepclust.encoders.contrastive_views import make_view_augmenter  # noqa: E402
from deepclust.encoders.optimizers import make_optimizer  # noqa: E402
from deepclust.encoders.training import (
    EMBEDDING_LAYER,
    EpochProgress,
    dense_flops,
    dense_if_small,  # noqa: E402
)
from deepclust.features import is_sparse  # noqa: E402

log = logging.getLogger(__name__)

#: settings of a ``kind: contrastive`` encoder entry, tuned on MNIST-test for KMeans on the
#: (unit-norm) embedding (scores and times in bench/NOTES.md): stroke-width augmentation and
#: no BatchNorm matter most, and temperature 0.5 clusters better than 0.2. The config schema
#: gives the same defaults (a test checks they agree).
DEFAULTS = {
    "kind": "contrastive",
    "architecture": "auto",          # auto (cnn for images, else mlp) | cnn | mlp
    "filters": [32, 64, 128],        # cnn: Conv2D filters, stride 2 each
    "kernel_sizes": [3, 3, 3],       # cnn: one kernel size per conv layer
    "batch_norm": False,             # cnn: BatchNorm after each conv (off: it hurts clustering)
    "hidden_units": [512, 256],      # mlp: hidden Dense layers before the embedding
    "activation": "relu",
    "embedding_dim": 64,
    "normalize_embedding": True,     # "embedding" = UnitNormalization of the Dense output
    "projection_dim": 64,            # projection head Dense-ReLU-Dense (training only)
    "temperature": 0.5,
    "batch_size": 256,
    "epochs": 40,
    "learning_rate": 0.001,
    "optimizer": "adam",
    "augment": {
        # shift/crop: fractions of the image size; rotation: degrees; shear: factor;
        # stroke: thicker/thinner strokes (RandomStroke); noise: std
        "image": {"shift": 0.1, "rotation": 15.0, "shear": 0.3, "crop": 0.3, "stroke": 0.5,
                  "noise": 0.05},
        # mask: probability of zeroing each feature; noise: std (features are scaled)
        "tabular": {"mask": 0.3, "noise": 0.1},
        # dropout: probability of zeroing each non-zero entry
        "text": {"dropout": 0.3},
    },
}



def settings_with_defaults(settings: dict | None) -> dict:
    """``settings`` over :data:`DEFAULTS` (the ``augment`` blocks merged key by key)."""
    merged = copy.deepcopy(DEFAULTS)
    settings = dict(settings or {})
    augment = settings.pop("augment", None) or {}
    merged.update(settings)
    merged["augment"] = copy.deepcopy(DEFAULTS["augment"])
    for modality, block in augment.items():
        merged["augment"].setdefault(modality, {}).update(block or {})
    return merged


# ---------------------------------------------------------------------------- loss


def nt_xent_loss(z1, z2, temperature: float = 0.5):
    """NT-Xent (normalized temperature-scaled cross-entropy) of two batches of projections.

    Row ``i`` of ``z1`` and row ``i`` of ``z2`` are the two views of one sample (the
    positive pair). The 2N rows are L2-normalised; for each of the 2N anchors the
    logits are its cosine similarities to the other 2N - 1 rows divided by
    ``temperature`` (self-similarity masked out), the target is its positive partner,
    and the loss is the cross-entropy averaged over all 2N anchors (SimCLR, Chen et al.
    2020). Works on NumPy arrays and backend tensors; returns a scalar tensor.
    """
    z1 = ops.convert_to_tensor(z1, dtype="float32")
    z2 = ops.convert_to_tensor(z2, dtype="float32")
    z = ops.normalize(ops.concatenate([z1, z2], axis=0), axis=1, order=2)
    n = ops.shape(z1)[0]
    logits = ops.matmul(z, ops.transpose(z)) / temperature
    logits = ops.where(ops.cast(ops.eye(2 * n), "bool"), ops.cast(-1e9, logits.dtype), logits)
    zn1, zn2 = z[:n], z[n:]
    positive = ops.sum(zn1 * zn2, axis=1) / temperature
    positive = ops.concatenate([positive, positive], axis=0)
    return ops.mean(ops.logsumexp(logits, axis=1) - positive)


# ---------------------------------------------------------------------------- views


# ---------------------------------------------------------------------------- networks


def resolve_architecture(settings: dict, image_shape) -> str:
    """``cnn`` or ``mlp`` for the ``architecture`` setting (``auto``: cnn for images)."""
    architecture = settings.get("architecture", "auto")
    if architecture == "auto":
        return "cnn" if image_shape else "mlp"
    if architecture == "cnn" and not image_shape:
        raise ValueError("a contrastive cnn encoder needs image data, but this dataset has "
                         "no image shape (modality is not 'image')")
    if architecture not in ("cnn", "mlp"):
        raise ValueError(f"unknown contrastive architecture {architecture!r} "
                         "(auto, cnn or mlp)")
    return architecture


def build_contrastive_encoder(n_features: int, settings: dict, image_shape=None) -> keras.Model:
    """The encoder: flat rows -> representation, last layer named ``embedding``.

    cnn: reshape to the image -> Conv2D ``filters`` (stride 2, "same" padding, optional
    BatchNorm, activation) -> Flatten -> Dense ``embedding_dim``. mlp: Dense
    ``hidden_units`` -> Dense ``embedding_dim``. With ``normalize_embedding`` the Dense
    output is L2-normalised by a UnitNormalization layer, which is then the
    ``embedding`` layer.
    """
    settings = settings_with_defaults(settings)
    layers = keras.layers
    activation = settings["activation"]
    inputs = keras.Input(shape=(n_features,), name="features")
    x = inputs
    if resolve_architecture(settings, image_shape) == "cnn":
        height, width, channels = image_shape_3d(image_shape)
        if height * width * channels != n_features:
            raise ValueError(f"image shape {list(image_shape)} holds "
                             f"{height * width * channels} values but the rows have "
                             f"{n_features} features")
        filters = list(settings["filters"])
        kernel_sizes = list(settings.get("kernel_sizes") or [3] * len(filters))
        if len(kernel_sizes) != len(filters):
            raise ValueError(f"{len(filters)} filters but {len(kernel_sizes)} kernel sizes")
        x = layers.Reshape((height, width, channels), name="image")(x)
        for i, (n_filters, size) in enumerate(zip(filters, kernel_sizes)):
            batch_norm = bool(settings.get("batch_norm"))
            x = layers.Conv2D(n_filters, size, strides=2, padding="same",
                              use_bias=not batch_norm, name=f"encoder_{i}")(x)
            if batch_norm:
                x = layers.BatchNormalization(name=f"encoder_bn_{i}")(x)
            x = layers.Activation(activation, name=f"encoder_act_{i}")(x)
        x = layers.Flatten(name="flatten")(x)
    else:
        for i, units in enumerate(settings["hidden_units"]):
            x = layers.Dense(units, activation=activation, name=f"encoder_{i}")(x)
    if settings.get("normalize_embedding"):
        x = layers.Dense(settings["embedding_dim"], name="embedding_dense")(x)
        x = layers.UnitNormalization(name=EMBEDDING_LAYER)(x)
    else:
        x = layers.Dense(settings["embedding_dim"], name=EMBEDDING_LAYER)(x)
    return keras.Model(inputs, x, name="contrastive_encoder")


def build_projection_head(embedding_dim: int, projection_dim: int,
                          activation: str = "relu") -> keras.Model:
    """The SimCLR projection head ``Dense-ReLU-Dense`` (used only while training)."""
    inputs = keras.Input(shape=(embedding_dim,), name="representation")
    x = keras.layers.Dense(max(embedding_dim, projection_dim), activation=activation,
                           name="projection_hidden")(inputs)
    x = keras.layers.Dense(projection_dim, name="projection")(x)
    return keras.Model(inputs, x, name="projection_head")


class ContrastiveTrainer(keras.Model):
    """Encoder + projection head trained with NT-Xent on two augmented views per batch."""

    def __init__(self, encoder, head, augmenter, temperature: float, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.head = head
        self.augmenter = augmenter
        self.temperature = float(temperature)
        self.loss_tracker = keras.metrics.Mean(name="loss")

    def call(self, inputs, training=False):
        return self.head(self.encoder(inputs, training=training), training=training)

    @property
    def metrics(self):
        return [self.loss_tracker]

    def train_step(self, data):

        x = data[0] if isinstance(data, (tuple, list)) else data
        view1 = self.augmenter(x, training=True)
        view2 = self.augmenter(x, training=True)
        n = ops.shape(view1)[0]
        with tf.GradientTape() as tape:
            # both views in one pass: BatchNorm sees (and normalises) all 2N views together
            z = self(ops.concatenate([view1, view2], axis=0), training=True)
            loss = nt_xent_loss(z[:n], z[n:], self.temperature)
        variables = self.trainable_variables
        gradients = tape.gradient(loss, variables)
        self.optimizer.apply(gradients, variables)
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}


def _batches(features, batch_size: int, seed: int):
    """A seeded, reshuffled-every-epoch tf.data pipeline of equal-size float32 batches
    (sparse rows, if still sparse, are made dense one batch at a time)."""

    if is_sparse(features):
        coo = features.tocoo()
        sparse = tf.sparse.reorder(tf.SparseTensor(
            np.stack([coo.row, coo.col], axis=1).astype(np.int64),
            coo.data.astype(np.float32), coo.shape))
        data = tf.data.Dataset.from_tensor_slices(sparse)
    else:
        data = tf.data.Dataset.from_tensor_slices(np.asarray(features, dtype=np.float32))
    data = (data.shuffle(features.shape[0], seed=seed, reshuffle_each_iteration=True)
            .batch(batch_size, drop_remainder=True))
    if is_sparse(features):
        data = data.map(tf.sparse.to_dense)
    return data.prefetch(2)


def train_contrastive_encoder(features, settings: dict, seed: int, image_shape=None,
                              modality: str = "image"):
    """Train the contrastive encoder of the ``settings`` (merged over :data:`DEFAULTS`).

    Returns ``(encoder, history, throughput)`` like
    :func:`deepclust.encoders.autoencoder.train_autoencoder`: the encoder (no projection head; last
    layer ``embedding``), a dict with the per-epoch ``loss`` list, and the training
    speed (:meth:`EpochProgress.throughput` plus batch size and FLOPs per sample).
    Call :func:`deepclust.seeding.seed_everything` first for a reproducible run.
    """
    settings = settings_with_defaults(settings)
    if modality == "image" and not image_shape:
        raise ValueError("modality 'image' needs the dataset's image shape")
    if modality != "image":
        image_shape = None  # no CNN, no image augmentation for other data
    features = dense_if_small(features)
    n_rows, n_features = features.shape
    batch_size = int(settings["batch_size"])
    if batch_size > n_rows:
        log.info("batch size %d > %d rows: using %d", batch_size, n_rows, n_rows)
        batch_size = n_rows
    if batch_size < 2:
        raise ValueError("contrastive training needs at least 2 rows per batch")
    encoder = build_contrastive_encoder(n_features, settings, image_shape)
    head = build_projection_head(settings["embedding_dim"], settings["projection_dim"],
                                 settings["activation"])
    augment = (settings.get("augment") or {}).get(modality) or {}
    augmenter = make_view_augmenter(modality, augment, n_features, image_shape, seed)
    trainer = ContrastiveTrainer(encoder, head, augmenter, settings["temperature"],
                                 name="contrastive")
    trainer.compile(optimizer=make_optimizer(settings["optimizer"], settings["learning_rate"]))
    encoder_flops, head_flops = dense_flops(encoder), dense_flops(head)
    flops = tuple(2 * (e + h) for e, h in zip(encoder_flops, head_flops))  # two views per row
    n_train = (n_rows // batch_size) * batch_size
    progress = EpochProgress(settings["epochs"], n_train, 0, flops)
    log.info("training contrastive %s encoder (%d parameters, head %d) on %d x %d, seed %d, "
             "%s views %s, temperature %g, batch %d",
             resolve_architecture(settings, image_shape), encoder.count_params(),
             head.count_params(), n_rows, n_features, seed, modality, augment,
             settings["temperature"], batch_size)
    history = trainer.fit(_batches(features, batch_size, seed), epochs=settings["epochs"],
                          shuffle=False, callbacks=[progress], verbose=0)  # tf.data shuffles
    throughput = {**progress.throughput(), "batch_size": batch_size,
                  "augment": {modality: augment},
                  "forward_flops_per_sample": flops[0], "training_flops_per_sample": flops[1]}
    log.info("training throughput: %.0f samples/s, %.1f GFLOP/s (median epoch %.2f s)",
             throughput["samples_per_second"], throughput["gflops"],
             throughput["seconds_per_epoch"])
    return encoder, {"loss": [float(v) for v in history.history["loss"]]}, throughput
