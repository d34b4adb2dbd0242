"""What training any encoder shares: batches of sparse rows, per-epoch progress and speed,
precision, and the embedding of a trained model (its layer ``embedding``)."""

from __future__ import annotations

import logging
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from deepclust.atomic import load_model_file  # noqa: E402
from deepclust.encoders.optimizers import FusedAdam  # noqa: E402, F401 (saved models name it)
from deepclust.features import is_sparse  # noqa: E402
from deepclust.workflow.machine import cpu_model_and_flags  # noqa: E402

log = logging.getLogger(__name__)


EMBEDDING_LAYER = "embedding"



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
            cpu_flags = cpu_model_and_flags()[1]
        if cpu_flags and not cpu_flags & BFLOAT16_CPU_FLAGS:
            log.warning("precision: mixed_bfloat16 on a CPU without native bfloat16 arithmetic "
                        "(none of %s in /proc/cpuinfo): training may be slower than float32",
                        ", ".join(sorted(BFLOAT16_CPU_FLAGS)))
    return PRECISIONS[precision]



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
