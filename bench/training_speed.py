"""Training speed against the machine's matrix-multiply throughput: how much of the CPU the
autoencoder's training uses (``make bench``'s speed phase and the ISA spread)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import numpy as np


def matmul_gflops(threads: int, n: int = 2048, repeats: int = 7, inner: int = 5,
                  dtype: str = "float32") -> float:
    """Dense ``n x n`` matrix-multiply throughput of TensorFlow on ``threads`` threads, in
    GFLOP/s (``2 n^3`` operations per product; median of ``repeats``), in float32 or
    bfloat16 (what ``precision: mixed_bfloat16`` multiplies in)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # already initialised in this process: measure as configured
        pass
    rng = np.random.default_rng(0)
    a = tf.cast(rng.standard_normal((n, n), dtype=np.float32), dtype)
    b = tf.cast(rng.standard_normal((n, n), dtype=np.float32), dtype)
    product = tf.function(tf.linalg.matmul)
    product(a, b).numpy()  # trace and warm up
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            c = product(a, b)
        c.numpy()
        rates.append(2 * n**3 * inner / (time.perf_counter() - start) / 1e9)
    return float(statistics.median(rates))



def autoencoder_training_speed(threads: int, rows: int = 4096, epochs: int = 4,
                               n_features: int = 784, hidden_units=(500, 500, 2000),
                               embedding_dim: int = 10, batch_size: int = 256,
                               steps_per_execution: int | None = None,
                               precision: str = "float32") -> dict:
    """Train the N2D autoencoder (or the given layer sizes) on random data for a few epochs
    (no validation split) and return :func:`deepclust.encoders.autoencoder.train_autoencoder`'s
    throughput
    report. ``steps_per_execution``: batches per call of the train function (None: the
    workflow's :data:`deepclust.encoders.training.STEPS_PER_EXECUTION`); ``precision``: the encoder
    setting (float32 or mixed_bfloat16)."""
    from deepclust.seeding import seed_everything

    seed_everything(0, tensorflow=True, threads=threads)
    from deepclust.encoders import training
    from deepclust.encoders.autoencoder import train_autoencoder

    features = np.random.default_rng(0).random((rows, n_features), dtype=np.float32)
    settings = {"kind": "dense_autoencoder", "hidden_units": list(hidden_units),
                "embedding_dim": embedding_dim,
                "activation": "relu", "optimizer": "adam", "learning_rate": 0.001,
                "loss": "mse", "epochs": epochs, "batch_size": batch_size,
                "validation_split": 0.0, "early_stopping": {}, "precision": precision}
    workflow_steps = training.STEPS_PER_EXECUTION
    if steps_per_execution is not None:
        training.STEPS_PER_EXECUTION = steps_per_execution
    try:
        return train_autoencoder(features, settings, seed=0)[2]
    finally:  # the measurement leaves the workflow's setting as it found it
        training.STEPS_PER_EXECUTION = workflow_steps



#: make bench fails when autoencoder training reaches less than this share of the matrix
#: multiply measured beside it (the target is higher: bench/NOTES.md)
TRAINING_TO_MATMUL_FLOOR = 0.5



def interleaved_ratio(measure, reference, repeats: int = 5) -> dict:
    """``measure() / reference()`` measured robustly on a machine shared with other work: the
    two are called alternately, ``repeats`` pairs, and the median of the pairs' ratios is
    kept, so a slow spell hits both sides of a pair and an outlying pair does not move it.
    Returns ``ratio`` (that median), the medians of each side and every pair's ratio."""
    pairs = []
    for _ in range(repeats):
        base = reference()
        pairs.append((measure(), base))
    ratios = [m / b for m, b in pairs]
    return {"ratio": float(statistics.median(ratios)),
            "measure": float(statistics.median(m for m, _ in pairs)),
            "reference": float(statistics.median(b for _, b in pairs)),
            "ratios": [round(r, 3) for r in ratios]}



def side_by_side_training_gflops(processes: int, threads: int, rows: int = 10000,
                                 epochs: int = 5, precision: str = "float32") -> float:
    """Summed GFLOP/s of ``processes`` trainings (:func:`autoencoder_training_speed`, N2D's
    layer sizes) run at the same time, each in its own process on ``threads`` threads: how
    ``make bench`` trains several seeds (``--training-threads``)."""
    code = ("import json; from training_speed import autoencoder_training_speed; "
            f"print(json.dumps(autoencoder_training_speed({threads}, rows={rows}, "
            f"epochs={epochs}, precision={precision!r})['gflops']))")
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(processes)]
    outputs = [proc.communicate() for proc in procs]
    for proc, (_, err) in zip(procs, outputs):
        if proc.returncode != 0:
            raise RuntimeError(f"a side-by-side training failed (exit {proc.returncode}): "
                               f"{err.strip().splitlines()[-1:]}")
    return sum(float(out.strip().splitlines()[-1]) for out, _ in outputs)



def training_to_matmul(threads: int, repeats: int = 5, training_threads: int | None = None,
                       precision: str = "float32") -> dict:
    """Autoencoder training (N2D's layer sizes, 10,000 random rows: MNIST-test's size)
    against TensorFlow's matrix multiply on ``threads`` threads: :func:`interleaved_ratio`
    of their GFLOP/s. ``training_threads`` below ``threads``: as many trainings as fit,
    side by side in their own processes (:func:`side_by_side_training_gflops`), summed;
    else one training in this process. ``precision``: the trainings' (the reference stays
    the float32 matrix multiply)."""
    processes = threads // training_threads if training_threads else 1
    if processes > 1:
        def measure():
            return side_by_side_training_gflops(processes, training_threads,
                                                precision=precision)
    else:
        def measure():
            return autoencoder_training_speed(threads=threads, rows=10000, epochs=3,
                                              precision=precision)["gflops"]
    speed = interleaved_ratio(measure, lambda: matmul_gflops(threads, repeats=3), repeats)
    speed = {**speed, "precision": precision}
    return {**speed, "side_by_side": processes} if processes > 1 else speed



def share_of_matmul(training: dict, matmul: float, cores: int) -> float:
    """A training's GFLOP/s over its threads' share of the machine's ``cores``-thread matrix
    multiply (a 1-thread training beside another on 2 cores is held to half of it)."""
    threads = min(int(training.get("threads") or cores), cores)
    return training["gflops"] / (matmul * threads / cores)



def layer_matmuls_seconds(layer_sizes, batch_size: int, steps: int, repeats: int = 5,
                          dtype: str = "float32") -> float:
    """Seconds for ``steps`` training steps' matrix multiplies alone: for each dense layer
    (``layer_sizes`` = widths from input to output) the forward product and the two of the
    backward pass (gradients of the input and of the weights), at ``batch_size`` rows, in
    ``dtype``; median of ``repeats`` (TensorFlow, threads as configured)."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    shapes = list(zip(layer_sizes[:-1], layer_sizes[1:]))

    def constant(shape):
        return tf.cast(rng.random(shape, dtype=np.float32), dtype)

    xs = [constant((batch_size, m)) for m, _ in shapes]
    ws = [constant((m, n)) for m, n in shapes]
    dys = [constant((batch_size, n)) for _, n in shapes]

    @tf.function
    def step():
        total = tf.constant(0.0)
        for x, w, dy in zip(xs, ws, dys):
            y = tf.linalg.matmul(x, w)
            dx = tf.linalg.matmul(dy, w, transpose_b=True)
            dw = tf.linalg.matmul(x, dy, transpose_a=True)
            total += tf.cast(y[0, 0] + dx[0, 0] + dw[0, 0], tf.float32)
        return total

    step().numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            out = step()
        out.numpy()
        times.append(time.perf_counter() - start)
    return float(statistics.median(times))



def training_profile(threads: int, rows: int = 10000, n_features: int = 784,
                     hidden_units=(500, 500, 2000), embedding_dim: int = 10,
                     batch_size: int = 256, epochs: int = 4, image_shape=(28, 28),
                     precision: str = "float32") -> dict:
    """Where an epoch of N2D's autoencoder (MNIST-test's size, random pixels) goes, in
    seconds per epoch (median epoch after the first), each part measured on its own in one
    process: the layers' matrix multiplies alone; the whole step with plain SGD (the
    multiplies plus bias, ReLU, loss, gradients' element-wise work and Keras' loop); with
    Adam (the workflow's optimizer, one fused update per weight); the shifted/rotated
    copies alone; and the workflow's augmented epoch. Everything trains and multiplies in
    ``precision`` (the encoder setting: ``mixed_bfloat16`` multiplies in bfloat16). GFLOP/s
    count the multiplies; ``to_matmul`` is against the float32 multiply, as the speed check."""
    from deepclust.encoders import autoencoder, training
    from deepclust.encoders.augment import augmented_batches, make_augmenter
    from deepclust.seeding import seed_everything

    seed_everything(0, tensorflow=True, threads=threads)
    import keras  # after the seeding, which configures TensorFlow first

    features = np.random.default_rng(0).random((rows, n_features), dtype=np.float32)
    settings = {"kind": "dense_autoencoder", "hidden_units": list(hidden_units),
                "embedding_dim": embedding_dim, "activation": "relu", "optimizer": "adam",
                "learning_rate": 0.001, "loss": "mse", "epochs": epochs,
                "batch_size": batch_size, "validation_split": 0.0, "early_stopping": {},
                "precision": precision}
    steps = -(-rows // batch_size)
    sizes = [n_features, *hidden_units, embedding_dim, *reversed(hidden_units), n_features]
    # the dtype the layers multiply in under this precision's Keras policy
    product_dtype = keras.DTypePolicy(training.PRECISIONS[precision] or "float32").compute_dtype
    seconds = {"matmuls": layer_matmuls_seconds(sizes, batch_size, steps, dtype=product_dtype)}

    def epoch(**changes):
        report = autoencoder.train_autoencoder(features, {**settings, **changes}, seed=0,
                                          image_shape=image_shape)[2]
        return report["seconds_per_epoch"], report["training_flops_per_sample"]

    seconds["step_sgd"], flops = epoch(optimizer="sgd")
    seconds["step_adam"], _ = epoch()
    augment = {"shift": 0.1, "rotation": 10, "resample": "once"}  # as ae_long trains
    augmenter = make_augmenter(image_shape, 0.1, 10, seed=0, resample="once")
    batches = augmented_batches(features, batch_size, augmenter, seed=0)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        for _ in batches:
            pass
        times.append(time.perf_counter() - start)
    seconds["augmentation"] = float(statistics.median(times[1:]))
    seconds["augmented_epoch"], _ = epoch(augment_images=augment)
    gflops = {k: flops * rows / v / 1e9 for k, v in seconds.items() if k != "augmentation"}
    matmul = matmul_gflops(threads, repeats=3)
    return {"rows": rows, "batch_size": batch_size, "precision": precision,
            "matmul_gflops": round(matmul, 1),
            "seconds_per_epoch": {k: round(v, 3) for k, v in seconds.items()},
            "gflops": {k: round(v, 1) for k, v in gflops.items()},
            "to_matmul": {k: round(v / matmul, 3) for k, v in gflops.items()}}



#: the IMDB recipe's autoencoder: 5,000 word counts -> 1024-512-256-10, batch 32
TEXT_RECIPE = {"rows": 25000, "n_features": 5000, "hidden_units": (1024, 512, 256),
               "embedding_dim": 10, "batch_size": 32}



def text_recipe_epochs(threads: int, repeats: int = 2, epochs: int = 3) -> dict:
    """Seconds per epoch of the IMDB recipe's autoencoder (:data:`TEXT_RECIPE`, random rows of
    its shape: its counts are trained dense) with one batch per call of the train function
    against the workflow's :data:`deepclust.encoders.training.STEPS_PER_EXECUTION` batches per
    call; the
    two alternate, ``repeats`` times, and the medians are kept."""
    from deepclust.encoders import training

    current = training.STEPS_PER_EXECUTION
    seconds = {"one_step_per_call": [], "current": []}
    for _ in range(repeats):
        for name, steps in (("one_step_per_call", 1), ("current", current)):
            report = autoencoder_training_speed(threads, epochs=epochs,
                                                steps_per_execution=steps, **TEXT_RECIPE)
            seconds[name].append(report["seconds_per_epoch"])
    old, new = (float(statistics.median(seconds[k])) for k in ("one_step_per_call", "current"))
    return {"seconds_per_epoch_one_step_per_call": round(old, 2),
            "seconds_per_epoch_current": round(new, 2), "speedup": round(old / new, 2),
            "steps_per_execution": current, "epochs_timed": epochs - 1, "repeats": repeats}
