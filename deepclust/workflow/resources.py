"""What each rule asks of a cluster: memory (``mem_mb``) and wall time (``runtime``), from
peaks measured in the benchmark files every job writes (``results/benchmarks``).

A rule's need is modelled as a fixed part (the interpreter, NumPy/TensorFlow/numba, the
smallest dataset) plus a part that grows with the dataset, measured as the size in MB of its
vectorized features held as a dense float32 matrix (``data_mb``, :func:`dense_mb`; before
they exist, the size of the raw input).
:data:`MEASURED` holds both parts per rule, fitted by :func:`fit_peaks` from the benchmark
files of real runs (``bench/resource_peaks.py`` prints them again). A SLURM job asks
:data:`MEMORY_MARGIN` times the modelled peak and :data:`TIME_MARGIN` times the modelled
time, so that a busy or slower node still finishes.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass
from pathlib import Path

from deepclust.evaluate.leaderboard import read_benchmark
from deepclust.features import matrix_shape

#: requested memory / modelled peak resident memory
MEMORY_MARGIN = 1.5
#: requested wall time / modelled wall time
TIME_MARGIN = 3.0
#: no job asks less than this (MB / minutes): interpreters alone take a few hundred MB
MIN_MEMORY_MB = 1000
MIN_RUNTIME_MIN = 10
#: datasets with features up to this size (MB) measure a rule's fixed part
SMALL_DATA_MB = 2.0


@dataclass(frozen=True)
class Need:
    """Peak memory and wall time of one rule: ``fixed + per_data_mb * data_mb``."""

    memory_mb: float
    memory_per_data_mb: float
    seconds: float
    seconds_per_data_mb: float

    def memory(self, data_mb: float) -> float:
        return self.memory_mb + self.memory_per_data_mb * max(data_mb, 0.0)

    def wall_seconds(self, data_mb: float) -> float:
        return self.seconds + self.seconds_per_data_mb * max(data_mb, 0.0)


#: Fitted by bench/resource_peaks.py from the benchmark files of the test suite's digits runs
#: (1797 x 64, 0.46 MB dense), bench-som and bench-contrastive (MNIST-test 10000 x 784, 31 MB;
#: USPS 9.5 MB; Amazon items 2.8 MB), plus two large jobs of bench/results.json: the IMDB text
#: autoencoder (25000 x 5000 TF-IDF, 500 MB dense) and IDEC on MNIST-test. keep_documents and
#: cluster_terms (text datasets only) take the figure rules' numbers: those runs had none.
MEASURED = {
    "download": Need(10, 0.1, 1, 0.06),
    "prepare_dataset": Need(230, 0.1, 2, 0.02),
    "vectorize_features": Need(280, 0.0, 2, 0.08),
    "train_autoencoder": Need(910, 4.8, 10, 12.3),
    "train_contrastive_encoder": Need(810, 4.1, 8, 5.5),
    "reduce_embedding": Need(1110, 7.9, 12, 1.4),
    "choose_k": Need(250, 0.0, 3, 0.9),
    "cluster": Need(220, 8.7, 4, 2.4),
    "cluster_dec": Need(1020, 4.8, 10, 3.2),
    "evaluate": Need(600, 5.5, 4, 0.03),
    "project_2d": Need(590, 0.0, 4, 5.7),
    "project_3d": Need(590, 0.0, 4, 5.7),
    "plot_clusters": Need(250, 0.0, 6, 0.1),
    "plot_confusion_matrix": Need(250, 0.0, 6, 0.1),
    "plot_examples": Need(240, 0.0, 6, 0.1),
    "plot_3d": Need(190, 0.0, 10, 3.5),
    "plot_feature_views": Need(180, 0.0, 2, 0.7),
    "plot_som": Need(260, 0.0, 4, 0.1),
    "profile_clusters": Need(260, 0.0, 7, 2.5),
    "keep_documents": Need(250, 1.0, 6, 0.1),
    "cluster_terms": Need(260, 1.0, 7, 2.5),
    "leaderboard": Need(120, 0.0, 1, 0.0),
    "plot_leaderboard": Need(170, 0.0, 2, 0.0),
}


def memory_mb(rule: str, data_mb: float) -> int:
    """The ``mem_mb`` a job of ``rule`` asks for a dataset of ``data_mb``, rounded up to
    100 MB."""
    need = MEASURED[rule].memory(data_mb) * MEMORY_MARGIN
    return max(MIN_MEMORY_MB, int(math.ceil(need / 100.0)) * 100)


def runtime_min(rule: str, data_mb: float) -> int:
    """The ``runtime`` (minutes) a job of ``rule`` asks for a dataset of ``data_mb``."""
    seconds = MEASURED[rule].wall_seconds(data_mb) * TIME_MARGIN
    return max(MIN_RUNTIME_MIN, int(math.ceil(seconds / 60.0)))


@dataclass(frozen=True)
class Peak:
    """One benchmark file: which rule, on how much data, used what."""

    rule: str
    data_mb: float
    memory_mb: float
    seconds: float


def dense_mb(features) -> float:
    """The size (MB) of a vectorized features file as a dense float32 matrix: what the
    encoders and reducers hold in memory, whether the file stores it dense or sparse.
    Snakemake asks for every job's resources, more than once: the file's header is read
    once per version of the file (its path, size and modification time)."""
    stat = os.stat(features)
    return _dense_mb(os.fspath(features), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _dense_mb(path: str, size: int, mtime_ns: int) -> float:
    return math.prod(matrix_shape(path)) * 4 / 1e6


def collect_peaks(results) -> list[Peak]:
    """Every benchmark file below ``results/benchmarks/<rule>/<dataset>/...``, with the size
    of its dataset's vectorized features (0 when there is none, e.g. the leaderboard)."""
    results = Path(results)
    peaks = []
    for path in sorted((results / "benchmarks").glob("*/**/*.tsv")):
        parts = path.relative_to(results / "benchmarks").parts
        rule, dataset = parts[0], Path(parts[1]).stem
        features = results / dataset / "vectorized" / "features.npz"
        data_mb = dense_mb(features) if features.is_file() else 0.0
        seconds, memory = read_benchmark(path)
        peaks.append(Peak(rule, data_mb, 0.0 if math.isnan(memory) else memory, seconds))
    return peaks


def _upper_line(points: list[tuple[float, float]]) -> tuple[float, float]:
    """(intercept, slope >= 0) of the last edge of the upper convex hull of (x, y) points: a
    line no point lies above, the tightest one for extrapolating to larger x."""
    best: dict[float, float] = {}
    for x, y in points:
        best[x] = max(y, best.get(x, y))
    hull: list[tuple[float, float]] = []
    for x, y in sorted(best.items()):
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (y2 - y1) * (x - x1) <= (y - y1) * (x2 - x1):
                hull.pop()  # the middle point lies on or under the chord
            else:
                break
        hull.append((x, y))
    if len(hull) < 2 or hull[-1][1] <= hull[-2][1]:
        return max(best.values()), 0.0
    (x1, y1), (x2, y2) = hull[-2], hull[-1]
    slope = (y2 - y1) / (x2 - x1)
    return y1 - slope * x1, slope


def fit_peaks(peaks: list[Peak], small_mb: float = SMALL_DATA_MB) -> dict[str, Need]:
    """A line per rule that every measured job lies on or under.

    Memory: the last edge of the upper hull of (data_mb, peak), because the peak grows
    slower than the data once the libraries are loaded. Time: the largest time on a small
    dataset (features up to ``small_mb``) plus the steepest rise from there per MB, because
    training time grows at least in proportion to the rows and a job that overruns its
    runtime is killed.
    """
    by_rule: dict[str, list[Peak]] = {}
    for peak in peaks:
        by_rule.setdefault(peak.rule, []).append(peak)
    fitted = {}
    for rule, rule_peaks in sorted(by_rule.items()):
        memory, memory_slope = _upper_line([(p.data_mb, p.memory_mb) for p in rule_peaks])
        small = [p.seconds for p in rule_peaks if p.data_mb <= small_mb]
        seconds = max(small, default=0.0)
        rises = [(p.seconds - seconds) / p.data_mb for p in rule_peaks if p.data_mb > small_mb]
        fitted[rule] = Need(
            memory_mb=round(max(memory, 0.0)),
            memory_per_data_mb=round(memory_slope, 1),
            seconds=round(seconds, 1),
            seconds_per_data_mb=round(max([0.0, *rises]), 2),
        )
    return fitted


def reducer_threads(settings: dict, threads: int) -> int:
    """How many threads a reducer can use without losing determinism (or, for UMAP
    with ``parallel: true``, giving it up on purpose)."""
    if settings["kind"] == "umap" and not settings.get("parallel", False):
        return 1  # umap-learn is single-threaded whenever it has a random_state
    return threads
