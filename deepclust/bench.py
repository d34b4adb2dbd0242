"""Benchmark helpers: machine throughput, config merging and the results tables.

``bench/run_benchmark.py`` (``make bench``) runs the real workflow on the
benchmark datasets and uses these helpers to measure the machine and to write
``bench/results.json`` and ``bench/RESULTS.md``.
"""

from __future__ import annotations

import copy
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import yaml

from deepclust.config import deep_merge
from deepclust.leaderboard import STAGES
from deepclust.machine import cpu_model_and_flags

#: what a run record in results.json holds, in this order
RUN_KEYS = ["dataset", "pipeline", "seed", "acc", "nmi", "ari", "silhouette", "seconds",
            "peak_rss_mb"]


def matmul_gflops(threads: int, n: int = 2048, repeats: int = 7, inner: int = 5) -> float:
    """Dense float32 ``n x n`` matrix-multiply throughput of TensorFlow on ``threads``
    threads, in GFLOP/s (``2 n^3`` operations per product; median of ``repeats``)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # already initialised in this process: measure as configured
        pass
    rng = np.random.default_rng(0)
    a = tf.constant(rng.standard_normal((n, n), dtype=np.float32))
    b = tf.constant(rng.standard_normal((n, n), dtype=np.float32))
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


def machine_description() -> str:
    """CPU model, cores, memory, OS and the versions that matter for speed."""
    cpu, flags = cpu_model_and_flags()
    simd = "/".join(f for f in ("avx512f", "avx2", "fma") if f in flags)
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        memory = float("nan")
    versions = []
    for module in ("tensorflow", "keras", "umap", "sklearn"):
        try:
            versions.append(f"{module} {__import__(module).__version__}")
        except Exception:  # noqa: BLE001 - a missing package is just not listed
            pass
    return (f"{cpu}{f' ({simd})' if simd else ''}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
            + ", ".join(versions))


def localise_urls(config: dict, data_dir) -> dict:
    """Replace ``{data}`` in every file url of every dataset by ``data_dir`` (absolute)."""
    config = copy.deepcopy(config)
    data_dir = os.path.abspath(data_dir)
    for spec in config.get("datasets", {}).values():
        for entry in spec.get("source", {}).get("files", {}).values():
            if "url" in entry:
                entry["url"] = entry["url"].replace("{data}", data_dir)
    return config


def load_bench_config(root) -> tuple[dict, list[dict]]:
    """``(config, phases)``: the repository's config.yaml with bench/config.yaml merged
    over it (urls still holding ``{data}``), and the benchmark's phases."""
    root = Path(root)
    base = yaml.safe_load((root / "config.yaml").read_text())
    bench = yaml.safe_load((root / "bench" / "config.yaml").read_text())
    phases = bench.pop("phases")
    return deep_merge(base, bench), phases


def phase_config(config: dict, run: dict, data_dir) -> dict:
    """The workflow config of one phase: ``run`` set and urls pointing into ``data_dir``."""
    return localise_urls(deep_merge(config, {"run": run}), data_dir)


def run_record(run: dict) -> dict:
    """A run of the workflow's runs.json, reduced to the results.json run schema."""
    record = {key: run.get(key) for key in RUN_KEYS}
    record["seconds"] = {k: round(float(v), 2) for k, v in run["seconds"].items()}
    return record


def merge_results(earlier: dict, later: dict) -> dict:
    """results.json of a later benchmark command (e.g. `make bench-dec`) added to an
    earlier one's: its runs replace earlier runs of the same dataset, pipeline and seed;
    the throughput measurements of the earlier command (the N2D runs) are kept; each
    command's phases and duration are listed under ``commands``."""
    key = lambda run: (run["dataset"], run["pipeline"], run["seed"])  # noqa: E731
    replaced = {key(run) for run in later["runs"]}
    trainings = {(t["dataset"], t["encoder"], t["seed"]): t
                 for t in earlier.get("trainings", []) + later.get("trainings", [])}
    return {**earlier,
            "date": later["date"],
            "commands": earlier.get("commands", []) + later.get("commands", []),
            "trainings": list(trainings.values()),
            "runs": [r for r in earlier["runs"] if key(r) not in replaced] + later["runs"]}


def _stats(values) -> dict:
    values = np.asarray([v for v in values if v is not None], dtype=float)
    if len(values) == 0:
        return {"mean": float("nan"), "std": float("nan"), "min": float("nan"),
                "max": float("nan")}
    return {"mean": float(values.mean()), "std": float(values.std(ddof=0)),
            "min": float(values.min()), "max": float(values.max())}


def summarize(runs: list[dict]) -> list[dict]:
    """Per (dataset, pipeline): number of seeds and mean/std/min/max of scores, total
    seconds and peak memory, and the median seconds of each stage."""
    groups: dict[tuple, list[dict]] = {}
    for run in runs:
        groups.setdefault((run["dataset"], run["pipeline"]), []).append(run)
    rows = []
    for (dataset, pipeline), group in groups.items():
        row = {"dataset": dataset, "pipeline": pipeline, "seeds": [r["seed"] for r in group]}
        for key in ("acc", "nmi", "ari", "silhouette", "peak_rss_mb"):
            row[key] = _stats(r.get(key) for r in group)
        row["total_s"] = _stats(r["seconds"]["total"] for r in group)
        row["stage_s"] = {stage: float(np.median([r["seconds"][stage] for r in group]))
                          for stage in STAGES if all(stage in r["seconds"] for r in group)}
        rows.append(row)
    return rows


def _fmt(stats: dict, digits: int) -> list[str]:
    """mean, std, min, max; "–" where nothing was measured (ACC of unlabelled data)."""
    return ["–" if np.isnan(stats[k]) else f"{stats[k]:.{digits}f}"
            for k in ("mean", "std", "min", "max")]


def results_markdown(results: dict, notes: str = "") -> str:
    """bench/RESULTS.md: scores and times (mean, std, min, max over seeds), stage
    times, every run, and the throughput measurements."""
    summary = summarize(results["runs"])
    lines = ["# Benchmark results", "",
             f"Date: {results['date']}  ", f"Machine: {results['machine']}  ",
             "Commands: " + "; ".join(
                 f"`{c['name']}` ({c['seconds'] / 60:.1f} min: {', '.join(c['phases'])}"
                 + ("; jobs already done in the kept work folder were not run again and "
                    "their times are from the earlier run" if c.get("reused_workdir") else "")
                 + ")"
                 for c in results.get("commands", [])),
             "",
             "## Scores and wall time per seed", "",
             "Mean, standard deviation, minimum and maximum over seeds. Time: the whole chain "
             "of one seed (download, prepare, vectorize, train, embed, reduce, cluster, "
             "evaluate; shared jobs counted in every seed) from Snakemake's benchmark files.",
             "",
             "| dataset | pipeline | seeds | ACC mean | std | min | max | NMI mean | std | min "
             "| max | ARI mean | std | min | max | silhouette mean | seconds mean | std | min "
             "| max | peak RSS MB |",
             "|" + "---|" * 21]
    for row in summary:
        cells = [row["dataset"], row["pipeline"], str(len(row["seeds"]))]
        cells += _fmt(row["acc"], 3) + _fmt(row["nmi"], 3) + _fmt(row["ari"], 3)
        cells += _fmt(row["silhouette"], 3)[:1] + _fmt(row["total_s"], 0)
        cells += [f"{row['peak_rss_mb']['max']:.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Median seconds per stage", "",
              "| dataset | pipeline | " + " | ".join(STAGES) + " |",
              "|" + "---|" * (len(STAGES) + 2)]
    for row in summary:
        cells = [row["dataset"], row["pipeline"]] + [
            f"{row['stage_s'][s]:.1f}" if s in row["stage_s"] else "–" for s in STAGES]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Every run", "", "| dataset | pipeline | seed | ACC | NMI | ARI | seconds "
              "| train s | reduce s | cluster s | peak RSS MB |", "|" + "---|" * 11]
    for run in results["runs"]:
        s = run["seconds"]
        stages = [f"{s[stage]:.0f}" if stage in s else "–"
                  for stage in ("train", "reduce", "cluster")]
        memory = f"{run['peak_rss_mb']:.0f}" if run["peak_rss_mb"] else "–"
        scores = " | ".join("–" if run[k] is None else f"{run[k]:.4f}"  # unlabelled: –
                            for k in ("acc", "nmi", "ari"))
        lines.append(f"| {run['dataset']} | {run['pipeline']} | {run['seed']} | {scores} "
                     f"| {s['total']:.0f} | " + " | ".join(stages) + f" | {memory} |")
    lines += ["", "## Throughput", "",
              f"- Dense float32 matrix multiply (2048 x 2048, TensorFlow): "
              f"{results['matmul_gflops']:.1f} GFLOP/s.",
              f"- Autoencoder training (median epoch of the MNIST N2D runs, first epoch left "
              f"out): {results['autoencoder_samples_per_second']:.0f} samples/s, "
              f"{results['autoencoder_gflops']:.1f} GFLOP/s = "
              f"{100 * results['autoencoder_to_matmul']:.0f}% of the matrix multiply "
              "(FLOPs counted from the layer sizes: 2 per multiply-add forward, twice that "
              "backward).", "",
              "| dataset | encoder | seed | threads | batch | epochs | s/epoch | samples/s "
              "| GFLOP/s |", "|" + "---|" * 9]
    for t in results.get("trainings", []):
        lines.append(f"| {t['dataset']} | {t['encoder']} | {t['seed']} | {t['threads']} "
                     f"| {t['batch_size']} | {t['epochs_run']} | {t['seconds_per_epoch']:.2f} "
                     f"| {t['samples_per_second']:.0f} | {t['gflops']:.1f} |")
    if notes:
        lines += ["", notes.strip()]
    return "\n".join(lines) + "\n"


def autoencoder_training_speed(threads: int, rows: int = 4096, epochs: int = 4,
                               n_features: int = 784, hidden_units=(500, 500, 2000),
                               embedding_dim: int = 10, batch_size: int = 256) -> dict:
    """Train the N2D autoencoder on random data for a few epochs (no validation split)
    and return :func:`deepclust.models.train_autoencoder`'s throughput report."""
    from deepclust.seeding import seed_everything

    seed_everything(0, tensorflow=True, threads=threads)
    from deepclust.models import train_autoencoder

    features = np.random.default_rng(0).random((rows, n_features), dtype=np.float32)
    settings = {"kind": "dense_autoencoder", "hidden_units": list(hidden_units),
                "embedding_dim": embedding_dim,
                "activation": "relu", "optimizer": "adam", "learning_rate": 0.001,
                "loss": "mse", "epochs": epochs, "batch_size": batch_size,
                "validation_split": 0.0, "early_stopping": {}}
    return train_autoencoder(features, settings, seed=0)[2]


#: make bench fails when autoencoder training reaches less than this share of the matrix
#: multiply measured beside it (the target is higher: README "Benchmark")
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


def training_to_matmul(threads: int, repeats: int = 5) -> dict:
    """Autoencoder training (N2D's layer sizes, random data) against TensorFlow's matrix
    multiply, in one process on ``threads`` threads: :func:`interleaved_ratio` of their
    GFLOP/s."""
    return interleaved_ratio(
        lambda: autoencoder_training_speed(threads=threads, epochs=3)["gflops"],
        lambda: matmul_gflops(threads, repeats=3), repeats)
