"""Autoencoders (dense and convolutional, Keras 3 on TensorFlow): build, train, embed.

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

from deepclust.atomic import load_model_file  # noqa: E402
from deepclust.augment import augmented_batches, augmenter_for  # noqa: E402
from deepclust.features import is_sparse  # noqa: E402
from deepclust.optimizers import learning_rate_for, make_optimizer  # noqa: E402

log = logging.getLogger(__name__)

EMBEDDING_LAYER = "embedding"


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


def build_autoencoder(n_features: int, settings: dict, image_shape=None,
                      dtype: str | None = None) -> keras.Model:
    """The autoencoder of an encoder config entry (``kind``: dense_autoencoder or
    conv_autoencoder; the latter needs the dataset's ``image_shape``), its layers in the
    Keras dtype policy ``dtype`` (None: float32)."""
    kind = settings["kind"]
    if kind == "dense_autoencoder":
        return build_dense_autoencoder(n_features, settings["hidden_units"],
                                       settings["embedding_dim"], settings["activation"],
                                       dtype)
    if kind == "conv_autoencoder":
        if not image_shape:
            raise ValueError("a convolutional autoencoder needs image data, but this dataset "
                             "has no image shape (modality is not 'image')")
        return build_conv_autoencoder(n_features, image_shape, settings["filters"],
                                      settings["kernel_sizes"], settings["embedding_dim"],
                                      settings["activation"], dtype)
    raise ValueError(f"unknown encoder kind {kind!r}")


def encoder_from(autoencoder: keras.Model) -> keras.Model:
    """The encoder half of an autoencoder: its input up to the ``embedding`` layer."""
    return keras.Model(autoencoder.inputs, autoencoder.get_layer(EMBEDDING_LAYER).output,
                       name="encoder")


def _layer_flops(layer) -> int:
    """Forward multiply-adds x 2 of one sample through a Dense/Conv2D/Conv2DTranspose layer."""
    if isinstance(layer, keras.layers.Dense):
        return 2 * int(layer.kernel.shape[0]) * int(layer.kernel.shape[1])
    if isinstance(layer, keras.layers.Conv2DTranspose):  # every input pixel x the whole kernel
        _, height, width, _ = layer.input.shape
        return 2 * int(height) * int(width) * int(np.prod(layer.kernel.shape))
    if isinstance(layer, keras.layers.Conv2D):  # every output pixel x the whole kernel
        _, height, width, _ = layer.output.shape
        return 2 * int(height) * int(width) * int(np.prod(layer.kernel.shape))
    return 0


def dense_flops(model: keras.Model) -> tuple[int, int]:
    """Floating-point operations per sample of the model's Dense and convolution layers:
    ``(forward, training)``.

    A Dense layer with ``n_in`` inputs and ``n_out`` units costs ``2 n_in n_out``
    per sample forward (multiply-add), a convolution 2 x pixels x kernel size;
    backward costs the same again for the weight gradient and for the input
    gradient, except that the first layer needs no input gradient. Biases and
    activations are ignored (< 1%).
    """
    costs = [cost for cost in map(_layer_flops, model.layers) if cost]
    forward = sum(costs)
    training = 3 * forward - (costs[0] if costs else 0)
    return forward, training


class EpochProgress(keras.callbacks.Callback):
    """Log one line per epoch (losses, seconds, samples/s, GFLOP/s) and keep the epoch times."""

    def __init__(self, epochs: int, n_train: int = 0, n_val: int = 0, flops=(0, 0)):
        super().__init__()
        self.epochs = epochs
        self.n_train, self.n_val = n_train, n_val
        self.flops_per_epoch = n_train * flops[1] + n_val * flops[0]
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._start
        self.seconds.append(seconds)
        losses = " ".join(f"{k}={v:.5f}" for k, v in (logs or {}).items())
        log.info("epoch %d/%d %s (%.2f s, %.0f samples/s, %.1f GFLOP/s)", epoch + 1,
                 self.epochs, losses, seconds, self.n_train / seconds,
                 self.flops_per_epoch / seconds / 1e9)

    def throughput(self) -> dict:
        """Training speed from the median epoch, leaving out the first (graph tracing/compiling)."""
        steady = self.seconds[1:] or self.seconds
        seconds = float(np.median(steady)) if steady else float("nan")
        return {"epochs_run": len(self.seconds), "seconds_total": float(sum(self.seconds)),
                "seconds_per_epoch": seconds, "n_train": self.n_train, "n_val": self.n_val,
                "samples_per_second": self.n_train / seconds,
                "gflops": self.flops_per_epoch / seconds / 1e9}


class DenseBatches(keras.utils.PyDataset):
    """Dense ``(x, x)`` batches from a sparse matrix, reshuffled every epoch with a seeded RNG.

    Text features stay sparse in memory (25,000 x 5,000 counts are ~1% non-zero);
    only one batch at a time is made dense for the network.
    """

    def __init__(self, features, batch_size: int, shuffle: bool, seed: int):
        super().__init__()
        self.features = features.tocsr()
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.rng = np.random.default_rng(seed)
        self.order = np.arange(self.features.shape[0])
        if shuffle:
            self.rng.shuffle(self.order)

    def __len__(self):
        return int(np.ceil(len(self.order) / self.batch_size))

    def __getitem__(self, index):
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        batch = self.features[np.sort(rows)].toarray().astype(np.float32)
        return batch, batch

    def on_epoch_end(self):
        if self.shuffle:
            self.rng.shuffle(self.order)


#: sparse features up to this size (as dense float32) are made dense once for training;
#: larger ones are made dense one batch at a time (slower, but the memory stays bounded)
DENSE_INPUT_MAX_BYTES = 4 * 2**30


def dense_batch(features, rows) -> np.ndarray:
    """Rows of a dense or sparse matrix as a dense float32 array."""
    batch = features[rows]
    return (batch.toarray() if is_sparse(batch) else np.asarray(batch)).astype(np.float32)


def dense_if_small(features):
    """Sparse features as a dense float32 array when that fits in
    :data:`DENSE_INPUT_MAX_BYTES` (read at call time, so tests can lower it)."""
    if is_sparse(features) and features.shape[0] * features.shape[1] * 4 <= DENSE_INPUT_MAX_BYTES:
        log.info("densifying %d x %d sparse features (%.0f MB) for training",
                 *features.shape, features.shape[0] * features.shape[1] * 4 / 2**20)
        return features.toarray().astype(np.float32)
    return features


#: training steps Keras runs per call of its compiled train function (``steps_per_execution``,
#: at most one epoch's): the same updates in the same order, bit for bit (tested), with one
#: Python round trip per 16 batches instead of per batch. It matters for small batches (the
#: IMDB recipe's 32 rows: 782 steps an epoch).
STEPS_PER_EXECUTION = 16


def steps_per_execution(n_rows: int, batch_size: int) -> int:
    """:data:`STEPS_PER_EXECUTION`, or one epoch's steps when an epoch has fewer."""
    return max(1, min(STEPS_PER_EXECUTION, -(-n_rows // batch_size)))


#: the autoencoder setting ``precision``: the Keras dtype policy its layers train in.
#: ``mixed_bfloat16`` multiplies in bfloat16 (weights, optimizer and loss stay float32); the
#: trained model is returned in float32 either way, so embeddings, DEC and IDEC compute in float32.
PRECISIONS = {"float32": None, "mixed_bfloat16": "mixed_bfloat16"}

#: /proc/cpuinfo flags of CPUs that multiply bfloat16 natively (x86 AVX-512 BF16 or AMX; Arm)
BFLOAT16_CPU_FLAGS = {"avx512_bf16", "amx_bf16", "bf16"}


def training_dtype(precision: str, cpu_flags=None) -> str | None:
    """The dtype policy of :data:`PRECISIONS` for ``precision``; warns when bfloat16 is asked
    for on a CPU whose flags (default: this machine's) show no native bfloat16 arithmetic,
    where TensorFlow emulates it slowly."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}: choose one of {sorted(PRECISIONS)}")
    if precision == "mixed_bfloat16":
        if cpu_flags is None:
            from deepclust.machine import cpu_model_and_flags
            cpu_flags = cpu_model_and_flags()[1]
        if cpu_flags and not cpu_flags & BFLOAT16_CPU_FLAGS:
            log.warning("precision: mixed_bfloat16 on a CPU without native bfloat16 arithmetic "
                        "(none of %s in /proc/cpuinfo): training may be slower than float32",
                        ", ".join(sorted(BFLOAT16_CPU_FLAGS)))
    return PRECISIONS[precision]


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
    # images: shifted and rotated copies every epoch (deepclust.augment)
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


#: what each encoder kind's training loss is (the loss figure's axis)
LOSS_NAMES = {"dense_autoencoder": "reconstruction loss", "conv_autoencoder": "reconstruction loss",
              "contrastive": "NT-Xent loss (contrastive)"}


def train_encoder(features, settings: dict, seed: int, image_shape=None, modality: str = "image"):
    """Train the encoder of a config entry: an autoencoder (:func:`train_autoencoder`) or a
    contrastive encoder (:func:`deepclust.contrastive.train_contrastive_encoder`). Returns
    ``(model, history, throughput)``; :func:`embed` gives either model's embedding."""
    if settings["kind"] == "contrastive":
        from deepclust.contrastive import train_contrastive_encoder

        return train_contrastive_encoder(features, settings, seed, image_shape, modality)
    return train_autoencoder(features, settings, seed, image_shape)


def predict_rows(model: keras.Model, features, batch_size: int = 1024) -> np.ndarray:
    """A model's output for every row, in batches; sparse input is densified per batch."""
    if is_sparse(features):
        features = DenseBatches(features, batch_size, shuffle=False, seed=0)
        return np.concatenate([np.asarray(model.predict_on_batch(features[i][0]))
                               for i in range(len(features))])
    return np.asarray(model.predict(features, batch_size=batch_size, verbose=0))


def embed(autoencoder: keras.Model, features, batch_size: int = 1024) -> np.ndarray:
    """The encoder's output for every row (float32)."""
    return predict_rows(encoder_from(autoencoder), features, batch_size).astype(np.float32)


def load_autoencoder(path) -> keras.Model:
    return load_model_file(path, keras.models.load_model)
