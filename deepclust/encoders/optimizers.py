"""Optimizers: Keras' own, except Adam, which gets a fused update on the TensorFlow backend.

Keras 3 applies Adam with about a dozen separate element-wise operations per
variable (each one a pass over the weights and both moment vectors). On a CPU
that is memory-bound, so a large model trained in small batches (the IMDB
autoencoder: 11.6 M weights, batch 32) spends a large share of every training
step in the update (bench/NOTES.md). TensorFlow's ``ResourceApplyAdam``
kernel does the same arithmetic in one pass; XLA would fuse it too, but Keras
disables ``jit_compile`` when op determinism is on, which the workflow needs.
The fused kernel is element-wise, so it stays deterministic.
"""
from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="deepclust")
class FusedAdam(keras.optimizers.Adam):
    """``keras.optimizers.Adam`` whose update is one fused TensorFlow kernel per variable.

    Same hyper-parameters and the same update rule (Kingma & Ba, with the bias
    correction folded into the step size, as Keras does); results differ from
    Keras' Adam only by float rounding. Falls back to Keras' update for
    AMSGrad and on other backends.
    """

    def update_step(self, gradient, variable, learning_rate):
        if self.amsgrad or keras.backend.backend() != "tensorflow":
            return super().update_step(gradient, variable, learning_rate)

        dtype = variable.dtype
        step = tf.cast(self.iterations + 1, dtype)
        beta_1 = tf.cast(self.beta_1, dtype)
        beta_2 = tf.cast(self.beta_2, dtype)
        index = self._get_variable_index(variable)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle, m=self._momentums[index].value.handle,
            v=self._velocities[index].value.handle,
            beta1_power=tf.pow(beta_1, step), beta2_power=tf.pow(beta_2, step),
            lr=tf.cast(learning_rate, dtype), beta1=beta_1, beta2=beta_2,
            epsilon=tf.cast(self.epsilon, dtype), grad=tf.cast(gradient, dtype))


def learning_rate_for(settings: dict, steps: int):
    """An encoder's learning rate: ``settings["learning_rate"]``, constant, or with
    ``learning_rate_decay: cosine`` a Keras ``CosineDecay`` from it to zero over the
    ``steps`` training steps (every epoch's batches)."""
    decay = settings.get("learning_rate_decay")
    if not decay:
        return settings["learning_rate"]
    if decay != "cosine":
        raise ValueError(f"learning_rate_decay: {decay!r} is not a known schedule (cosine)")
    return keras.optimizers.schedules.CosineDecay(settings["learning_rate"],
                                                  decay_steps=max(1, int(steps)))


def make_optimizer(name: str, learning_rate) -> keras.optimizers.Optimizer:
    """The Keras optimizer called ``name`` (``adam`` is :class:`FusedAdam`) at
    ``learning_rate`` (a number or a Keras learning-rate schedule)."""
    if name.lower() == "adam":
        return FusedAdam(learning_rate=learning_rate)
    return type(keras.optimizers.get(name))(learning_rate=learning_rate)
