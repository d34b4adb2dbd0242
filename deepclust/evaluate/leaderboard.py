"""Leaderboard: dataset x pipeline -> every metric as mean ± std over seeds, plus stage times."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

METRICS = ["acc", "purity", "nmi", "ari", "silhouette", "davies_bouldin", "calinski_harabasz",
           "n_clusters", "noise_fraction"]
#: the stages of a run timed from benchmark files; ``figures``: every job that makes the run's
#: figures and tables (views, cluster figures, examples, terms, profiles, SOM maps)
STAGES = ["download", "prepare", "vectorize", "train", "reduce", "choose_k", "cluster", "evaluate",
          "figures"]


def read_benchmark(path) -> tuple[float, float]:
    """Wall-clock seconds and peak resident memory (MB; NaN if not measured) of a
    Snakemake ``benchmark:`` file."""
    row = pd.read_csv(path, sep="\t", na_values=["-", "NA"]).iloc[0]
    return float(row["s"]), float(pd.to_numeric(row.get("max_rss"), errors="coerce"))


def read_stage(paths) -> tuple[float, float]:
    """Seconds and peak memory of a stage: one benchmark file, or a list of them (a stage of
    several jobs, e.g. one download per file): seconds added, the largest peak."""
    if isinstance(paths, (str, bytes)) or not hasattr(paths, "__iter__"):
        return read_benchmark(paths)
    measured = [read_benchmark(p) for p in paths]
    peaks = [rss for _, rss in measured if not math.isnan(rss)]
    return sum(s for s, _ in measured), max(peaks) if peaks else math.nan


def load_run(metrics_path, benchmark_paths: dict) -> dict:
    """One run: its metrics JSON plus ``seconds`` per stage and ``peak_rss_mb`` (the
    largest of its stages) from benchmark files (a list of files for a stage of several
    jobs)."""
    with open(metrics_path) as fh:
        run = json.load(fh)
    measured = {stage: read_stage(p) for stage, p in benchmark_paths.items()}
    run["seconds"] = {stage: seconds for stage, (seconds, _) in measured.items()}
    run["seconds"]["total"] = sum(run["seconds"].values())
    peaks = [rss for _, rss in measured.values() if not math.isnan(rss)]
    run["peak_rss_mb"] = max(peaks) if peaks else None
    return run


def aggregate(runs: list[dict]) -> pd.DataFrame:
    """One row per (dataset, pipeline): ``<metric>_mean``/``<metric>_std``, ``<stage>_s``
    means (over the runs that have the stage) and ``total_s``, their sum."""
    records = []
    for run in runs:
        rec = {"dataset": run["dataset"], "pipeline": run["pipeline"], "seed": run["seed"]}
        rec.update({m: run.get(m) for m in METRICS})
        rec.update({f"{s}_s": run["seconds"].get(s) for s in STAGES + ["total"]})
        rec["peak_rss_mb"] = run.get("peak_rss_mb")
        records.append(rec)
    frame = pd.DataFrame.from_records(records)
    rows = []
    for (dataset, pipeline), group in frame.groupby(["dataset", "pipeline"], sort=False):
        row = {"dataset": dataset, "pipeline": pipeline, "seeds": len(group)}
        for m in METRICS:
            values = pd.to_numeric(group[m], errors="coerce").dropna()
            row[f"{m}_mean"] = values.mean() if len(values) else math.nan
            row[f"{m}_std"] = values.std(ddof=0) if len(values) else math.nan
        for s in STAGES:
            values = pd.to_numeric(group[f"{s}_s"], errors="coerce").dropna()
            row[f"{s}_s"] = values.mean() if len(values) else math.nan
        # the sum of the stages' means: a run with its figures, also when only some runs
        # draw them (figures.seeds: first)
        row["total_s"] = sum(row[f"{s}_s"] for s in STAGES if not math.isnan(row[f"{s}_s"]))
        peaks = pd.to_numeric(group["peak_rss_mb"], errors="coerce").dropna()
        row["peak_rss_mb"] = peaks.max() if len(peaks) else math.nan  # the largest job's
        rows.append(row)
    return pd.DataFrame(rows)


def _pm(mean, std, digits=3) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "–"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def to_markdown(board: pd.DataFrame) -> str:
    """A readable Markdown table: scores as mean ± std, times in seconds (mean over seeds)."""
    header = ["dataset", "pipeline", "seeds", "ACC", "NMI", "ARI", "silhouette",
              "Davies-Bouldin", "Calinski-Harabasz", "clusters", "noise",
              "train s", "reduce s", "cluster s", "figures s", "total s", "peak MB"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for _, r in board.iterrows():
        cells = [r["dataset"], r["pipeline"], str(r["seeds"]),
                 _pm(r["acc_mean"], r["acc_std"]), _pm(r["nmi_mean"], r["nmi_std"]),
                 _pm(r["ari_mean"], r["ari_std"]),
                 _pm(r["silhouette_mean"], r["silhouette_std"]),
                 _pm(r["davies_bouldin_mean"], r["davies_bouldin_std"], 2),
                 _pm(r["calinski_harabasz_mean"], r["calinski_harabasz_std"], 0),
                 _pm(r["n_clusters_mean"], r["n_clusters_std"], 1),
                 _pm(r["noise_fraction_mean"], r["noise_fraction_std"], 3)]
        cells += [("–" if np.isnan(r[f"{s}_s"]) else f"{r[f'{s}_s']:.1f}")
                  for s in ("train", "reduce", "cluster", "figures", "total")]
        cells.append("–" if np.isnan(r["peak_rss_mb"]) else f"{r['peak_rss_mb']:.0f}")
        lines.append("| " + " | ".join(cells) + " |")
    note = ("\nScores: mean ± standard deviation over seeds. Times: mean wall-clock seconds per "
            "seed from Snakemake benchmark files; `total` adds every stage of the pipeline's "
            "chain (download, prepare, vectorize, train and embed, reduce, choose K, cluster, "
            "evaluate) and its figures (views, cluster figures, examples, terms, profiles), "
            "counting shared jobs in each pipeline that uses them. Peak MB: the largest resident "
            "memory of any of these jobs, over seeds.\n")
    return "\n".join(lines) + "\n" + note
