"""One place that makes a run reproducible."""

from __future__ import annotations

import os
import random

import numpy as np


def seed_everything(seed: int, tensorflow: bool = False, threads: int | None = None) -> None:
    """Seed Python, NumPy and (optionally) TensorFlow/Keras, with TF op determinism.

    ``threads`` caps TensorFlow's intra- and inter-op thread pools (the rule's
    ``threads``); it must be called before TensorFlow runs any op.
    """
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    if tensorflow:
        # TensorFlow only for the jobs that train (seconds to import)
        import keras
        import tensorflow as tf

        if threads:
            try:
                tf.config.threading.set_intra_op_parallelism_threads(threads)
                tf.config.threading.set_inter_op_parallelism_threads(threads)
            except RuntimeError:  # TensorFlow already running (e.g. a second call in tests)
                pass
        keras.utils.set_random_seed(seed)
        tf.config.experimental.enable_op_determinism()
