"""Benchmark helpers: machine throughput, config merging and the results tables.

``bench/run_benchmark.py`` (``make bench``) runs the real workflow on the
benchmark datasets and uses these helpers to measure the machine and to write
``bench/results.json`` and ``bench/RESULTS.md``.
"""

from __future__ import annotations

import copy
import os
import platform
from pathlib import Path

import numpy as np
import yaml

from deepclust.evaluate.leaderboard import STAGES as LEADERBOARD_STAGES
from deepclust.workflow.config import deep_merge
from deepclust.workflow.machine import cpu_model_and_flags

#: the timed stages of a record: the leaderboard's, and the "embed" of records measured when
#: embedding the rows was a job of its own (now part of "train")
STAGES = [*LEADERBOARD_STAGES[:4], "embed", *LEADERBOARD_STAGES[4:]]

#: what a run record in results.json holds, in this order
RUN_KEYS = ["dataset", "pipeline", "seed", "acc", "nmi", "ari", "silhouette", "seconds",
            "peak_rss_mb"]


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


def phase_run(phase: dict, seeds=None, pipelines=None) -> dict | None:
    """A phase's ``run`` with its seeds replaced by ``seeds`` and its pipelines narrowed to
    those in ``pipelines`` (when given); ``None`` when none of its pipelines is left."""
    run = dict(phase["run"])
    if seeds:
        run["seeds"] = list(seeds)
    if pipelines:
        run["pipelines"] = [name for name in run["pipelines"] if name in pipelines]
        if not run["pipelines"]:
            return None
    return run


def phase_config(config: dict, run: dict, data_dir) -> dict:
    """The workflow config of one phase: ``run`` set and urls pointing into ``data_dir``."""
    return localise_urls(deep_merge(config, {"run": run}), data_dir)


def run_record(run: dict) -> dict:
    """A run of the workflow's runs.json, reduced to the results.json run schema."""
    record = {key: run.get(key) for key in RUN_KEYS}
    record["seconds"] = {k: round(float(v), 2) for k, v in run["seconds"].items()}
    return record


#: what `make bench` measures of the machine (kept by later commands' merges)
THROUGHPUT_KEYS = ["machine", "matmul_gflops", "matmul_bfloat16_gflops", "autoencoder_gflops",
                   "autoencoder_samples_per_second", "autoencoder_to_matmul", "training_check",
                   "text_recipe_epochs", "training_profile", "training_threads"]


def merge_results(earlier: dict, later: dict) -> dict:
    """results.json of a later benchmark command (e.g. `make bench-dec`) added to an
    earlier one's: its runs replace earlier runs of the same dataset, pipeline and seed;
    the throughput measurements of the earlier command (the N2D runs) are kept unless the
    later command is `make bench` itself, which measures them anew; each command's phases
    and duration are listed under ``commands``."""
    key = lambda run: (run["dataset"], run["pipeline"], run["seed"])  # noqa: E731
    replaced = {key(run) for run in later["runs"]}
    trainings = {(t["dataset"], t["encoder"], t["seed"]): t
                 for t in earlier.get("trainings", []) + later.get("trainings", [])}
    if any(c["name"] == "make bench" for c in later.get("commands", [])):
        earlier = {**earlier, **{k: later[k] for k in THROUGHPUT_KEYS if k in later}}
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
        row["median_total_s"] = float(np.median([r["seconds"]["total"] for r in group]))
        row["stage_s"] = {stage: float(np.median([r["seconds"][stage] for r in group]))
                          for stage in STAGES if all(stage in r["seconds"] for r in group)}
        rows.append(row)
    return rows


def _fmt(stats: dict, digits: int) -> list[str]:
    """mean, std, min, max; "–" where nothing was measured (ACC of unlabelled data)."""
    return ["–" if np.isnan(stats[k]) else f"{stats[k]:.{digits}f}"
            for k in ("mean", "std", "min", "max")]


def published_table(dataset: str, summary: list[dict], published: list[dict]) -> list[str]:
    """One dataset's pipelines (ACC mean ± std with the range, NMI, median seconds per seed)
    above the published numbers on the same data (bench/published.yaml)."""
    lines = [f"### {dataset}", "", "| method | seeds | ACC mean ± std (min-max) | NMI mean "
             "| seconds per seed (median) | source |", "|---|---|---|---|---|---|"]
    for row in summary:
        if row["dataset"] != dataset or np.isnan(row["acc"]["mean"]):
            continue
        acc, nmi = row["acc"], row["nmi"]
        lines.append(f"| {row['pipeline']} | {len(row['seeds'])} | {acc['mean']:.3f} ± "
                     f"{acc['std']:.3f} ({acc['min']:.3f}-{acc['max']:.3f}) | {nmi['mean']:.3f} "
                     f"| {row['median_total_s']:.0f} | this benchmark |")
    for entry in published:
        nmi = f"{entry['nmi']:.3f}" if entry.get("nmi") is not None else "–"
        lines.append(f"| published {entry['method']} | | {entry['acc']:.3f} | {nmi} | "
                     f"| {entry['source']} |")
    return lines + [""]


def results_markdown(results: dict, published: dict | None = None,
                     notebook: str = "NOTES.md") -> str:
    """bench/RESULTS.md: per dataset our scores beside the published ones (``published``:
    dataset -> entries of bench/published.yaml), scores and times (mean, std, min, max over
    seeds), stage times, every run, and the throughput measurements; generated tables only,
    with a link to the lab notebook (``notebook``) for what lies behind them."""
    summary = summarize(results["runs"])
    lines = ["# Benchmark results", "",
             f"Date: {results['date']}  ", f"Machine: {results['machine']}", "",
             f"Generated from `bench/results.json`; why each setting is what it is, and every "
             f"experiment behind these numbers: [the lab notebook]({notebook}).", "",
             "Commands run (a command marked *kept* reused the jobs already done in its work "
             "folder, whose times come from the earlier run):", ""]
    lines += [f"- `{c['name']}`{' *kept*' if c.get('reused_workdir') else ''}, "
              f"{c['seconds'] / 60:.1f} min: {'; '.join(c['phases'])}"
              for c in results.get("commands", [])]
    lines.append("")
    datasets = [d for d in dict.fromkeys(row["dataset"] for row in summary)
                if d in (published or {})]
    if datasets:
        lines += ["## Against the published numbers", ""]
        for dataset in datasets:
            lines += published_table(dataset, summary, published[dataset])
    lines += ["## Scores and wall time per seed", "",
             "Mean, standard deviation, minimum and maximum over seeds. Time: the whole chain "
             "of one seed (download, prepare, vectorize, train and embed, reduce, cluster, "
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
              f"{results['matmul_gflops']:.1f} GFLOP/s."]
    if "matmul_bfloat16_gflops" in results:
        lines.append(f"- The same in bfloat16 (what `precision: mixed_bfloat16` multiplies in): "
                     f"{results['matmul_bfloat16_gflops']:.1f} GFLOP/s. Training ratios below "
                     "are against the float32 multiply.")
    if "autoencoder_gflops" in results:  # not when only text pipelines ran
        lines.append(
            f"- Autoencoder training (median epoch of the MNIST N2D runs, first epoch left "
            f"out): {results['autoencoder_samples_per_second']:.0f} samples/s, "
            f"{results['autoencoder_gflops']:.1f} GFLOP/s = "
            f"{100 * results['autoencoder_to_matmul']:.0f}% of the matrix multiply "
            "(FLOPs counted from the layer sizes: 2 per multiply-add forward, twice that "
            "backward; each training against its threads' share of the multiply: "
            f"{results.get('training_threads', 'all')} thread(s) a training).")
    check = results.get("training_check")
    if check:
        side_by_side = check.get("side_by_side")
        how = (f"{side_by_side} single-threaded trainings side by side, each in its own "
               "process, summed" if side_by_side else "one training, same process")
        how += f", {check.get('precision', 'float32')}"
        lines.append(f"- Speed check ({how}; {len(check['ratios'])} interleaved pairs of "
                     f"a short training and a matrix multiply): training "
                     f"{check['measure']:.1f} GFLOP/s against {check['reference']:.1f}, "
                     f"**{100 * check['ratio']:.0f}%** (median of the pairs {check['ratios']}; "
                     f"`make bench` fails below {100 * check['floor']:.0f}%).")
    profile = results.get("training_profile")
    if profile:
        sec, ratio = profile["seconds_per_epoch"], profile["to_matmul"]
        lines.append(
            f"- Where an epoch goes (N2D's autoencoder, {profile['rows']:,} random rows, "
            f"batch {profile['batch_size']}, {profile.get('precision', 'float32')}; each part "
            f"timed alone, same process, float32 matmul "
            f"{profile['matmul_gflops']:.1f} GFLOP/s): the layers' matrix multiplies alone "
            f"{sec['matmuls']:.2f} s ({100 * ratio['matmuls']:.0f}% of the big multiply's "
            f"rate: {'these shapes run slower' if ratio['matmuls'] < 1 else 'bfloat16 products'}"
            f"); the whole step with SGD {sec['step_sgd']:.2f} s "
            f"(+{sec['step_sgd'] - sec['matmuls']:.2f} s: bias, ReLU, loss, Keras' loop); with "
            f"Adam {sec['step_adam']:.2f} s ({100 * ratio['step_adam']:.0f}%; the update "
            f"+{sec['step_adam'] - sec['step_sgd']:.2f} s); the shifted/rotated copies alone "
            f"{sec['augmentation']:.2f} s; the augmented epoch {sec['augmented_epoch']:.2f} s "
            f"({100 * ratio['augmented_epoch']:.0f}%).")
    text = results.get("text_recipe_epochs")
    if text:
        lines.append(f"- The IMDB recipe's autoencoder (25,000 x 5,000 -> 1024-512-256-10, "
                     f"batch 32), seconds per epoch in the same run: "
                     f"{text['seconds_per_epoch_one_step_per_call']:.1f} with one batch per "
                     f"call of the train function, "
                     f"{text['seconds_per_epoch_current']:.1f} with "
                     f"{text['steps_per_execution']} batches per call: "
                     f"**{text['speedup']:.2f}x**.")
    lines += ["",
              "| dataset | encoder | seed | threads | precision | batch | epochs | s/epoch "
              "| samples/s | GFLOP/s |", "|" + "---|" * 10]
    for t in results.get("trainings", []):
        lines.append(f"| {t['dataset']} | {t['encoder']} | {t['seed']} | {t['threads']} "
                     f"| {t.get('precision', 'float32')} | {t['batch_size']} "
                     f"| {t['epochs_run']} | {t['seconds_per_epoch']:.2f} "
                     f"| {t['samples_per_second']:.0f} | {t['gflops']:.1f} |")
    return "\n".join(lines) + "\n"


