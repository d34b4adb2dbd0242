"""Which device TensorFlow trains on: the CPU unless the encoder's config says ``gpu: true``,
in which case a GPU must be there (a job that asked SLURM for a GPU and silently trained on
the CPU would take hours and still look fine)."""

from __future__ import annotations

import os
import socket

import tensorflow as tf


class NoGPUError(RuntimeError):
    """``gpu: true`` but TensorFlow sees no GPU."""


def select_device(gpu: bool, what: str = "this encoder") -> str:
    """Make TensorFlow use one GPU (``gpu``) or none, and name the device it will train on.
    Must run before TensorFlow runs an op."""

    gpus = tf.config.list_physical_devices("GPU")
    if not gpu:
        if gpus:  # the CPU's results are the reproducible ones (docs/reproducibility.md)
            tf.config.set_visible_devices([], "GPU")
        return "CPU"
    if not gpus:
        raise NoGPUError(
            f"{what} has gpu: true, but TensorFlow sees no GPU on {socket.gethostname()} "
            f"(CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')}, "
            f"TensorFlow built with CUDA: {tf.test.is_built_with_cuda()}). On SLURM the job "
            "asks for --gpus=1 and runs in envs/tensorflow-gpu.yaml "
            "(--software-deployment-method conda); in the virtualenv install tensorflow[and-cuda]."
        )
    tf.config.set_visible_devices(gpus[0], "GPU")
    tf.config.experimental.set_memory_growth(gpus[0], True)
    return f"GPU {gpus[0].name}"
