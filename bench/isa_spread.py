"""How much N2D's results move with TensorFlow's CPU kernels (`make bench-isa`).

Runs the workflow's N2D pipeline (autoencoder -> UMAP -> GMM) on the embedded `digits` data
for a few seeds once per oneDNN setting (the default, instruction-set caps through
``ONEDNN_MAX_CPU_ISA``, oneDNN's TensorFlow operations off) and the default a second time,
each in its own folder, then compares every setting with the first default run seed by seed:
ACC/NMI/ARI, whether clusters.csv is byte-identical, the share of rows that change cluster
after matching the two clusterings (Hungarian), and the final training loss. Writes
bench/isa_spread.json and bench/ISA_SPREAD.md.

    .venv/bin/python bench/isa_spread.py [--workdir /tmp/isa_work] [--seeds 0 1 2 3 4]
        [--lock /tmp/training.lock] [--compare-only]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from deepclust.evaluate.matching import match_clusters_to_classes
from deepclust.workflow.machine import ONEDNN_VARIABLES, machine_info
from deepclust.workflow.paths import FOLDERS

ROOT = Path(__file__).resolve().parents[1]

PIPELINE = "n2d"
DATASET = "digits"
#: name -> the environment variables of the setting (the others of ONEDNN_VARIABLES unset);
#: ISA names as oneDNN's CPU dispatcher control documents them
SETTINGS = {
    "default": {},
    "AVX512_CORE": {"ONEDNN_MAX_CPU_ISA": "AVX512_CORE"},
    "AVX2": {"ONEDNN_MAX_CPU_ISA": "AVX2"},
    "SSE41": {"ONEDNN_MAX_CPU_ISA": "SSE41"},
    "onednn_opts_off": {"TF_ENABLE_ONEDNN_OPTS": "0"},
    "default_again": {},
}
REFERENCE = "default"
#: runs that repeat a setting (bit-identity checks), left out of the spread across settings
REPEATS = ("default_again",)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/isa_work"),
                        help="one results folder per setting below it (default /tmp/isa_work)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--settings", nargs="+", choices=list(SETTINGS), default=list(SETTINGS))
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--lock", help="run each workflow under `flock LOCK` (a shared machine)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench")
    parser.add_argument("--compare-only", action="store_true",
                        help="run nothing: compare the results already in --workdir")
    return parser.parse_args(argv)


def run_file(workdir: Path, seed: int, name: str) -> Path:
    folder = FOLDERS["run"].format(dataset=DATASET, pipeline=PIPELINE, seed=seed)
    return workdir / "results" / folder / name


def encoded_file(workdir: Path, seed: int, name: str) -> Path:
    folder = FOLDERS["encoded"].format(dataset=DATASET, encoder="ae", seed=seed)
    return workdir / "results" / folder / name


def run_setting(workdir: Path, variables: dict, seeds, cores: int, lock: str | None) -> float:
    """The workflow up to N2D's metrics.json of every seed, in ``workdir`` with the setting's
    environment; returns the wall-clock seconds."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = {"run": {"datasets": [DATASET], "pipelines": [PIPELINE], "seeds": list(seeds)}}
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    env = {k: v for k, v in os.environ.items() if k not in ONEDNN_VARIABLES}
    env.update(variables)
    targets = [str(run_file(Path(), s, "metrics.json")) for s in seeds]
    cmd = ([*(["flock", lock] if lock else []), sys.executable, "-m", "snakemake",
            "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir),
            "--cores", str(cores), *targets, "--configfile", str(workdir / "config.yaml")])
    print("$", " ".join(f"{k}={v}" for k, v in variables.items()), " ".join(cmd), flush=True)
    start = time.perf_counter()
    with open(workdir / "snakemake.log", "w") as log:
        code = subprocess.call(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    if code:
        raise SystemExit(f"the workflow failed (exit {code}); see {workdir}/snakemake.log")
    seconds = time.perf_counter() - start
    (workdir / "seconds.txt").write_text(f"{seconds:.1f}\n")
    return seconds


def moved_fraction(a, b) -> float:
    """Share of rows whose cluster in ``b`` is not the one matched to their cluster in ``a``
    (clusters matched one to one by the Hungarian algorithm, as ACC matches classes)."""
    a, b = np.asarray(a), np.asarray(b)
    mapping = match_clusters_to_classes(a, b)  # b's cluster -> a's cluster
    return float(np.mean([mapping.get(cb, None) != ca for ca, cb in zip(a, b)]))


def first_differing_epoch(a: pd.Series, b: pd.Series) -> int | None:
    """The first epoch (1-based) whose training loss differs between two histories."""
    differs = np.flatnonzero(a.to_numpy() != b.to_numpy())
    return int(differs[0]) + 1 if len(differs) else None


def compare_seed(reference: Path, other: Path, seed: int) -> dict:
    metrics = json.loads(run_file(other, seed, "metrics.json").read_text())
    clusters = run_file(other, seed, "clusters.csv")
    ref_clusters = run_file(reference, seed, "clusters.csv")
    history = pd.read_csv(encoded_file(other, seed, "history.csv"))
    ref_history = pd.read_csv(encoded_file(reference, seed, "history.csv"))
    return {
        "seed": seed, "acc": metrics["acc"], "nmi": metrics["nmi"], "ari": metrics["ari"],
        "final_loss": float(history["loss"].iloc[-1]),
        "loss_differs_from_epoch": first_differing_epoch(ref_history["loss"], history["loss"]),
        "embedding_identical": encoded_file(other, seed, "embedding.npy").read_bytes()
        == encoded_file(reference, seed, "embedding.npy").read_bytes(),
        "clusters_identical": clusters.read_bytes() == ref_clusters.read_bytes(),
        "metrics_identical": run_file(other, seed, "metrics.json").read_bytes()
        == run_file(reference, seed, "metrics.json").read_bytes(),
        "rows_moved": moved_fraction(pd.read_csv(ref_clusters)["cluster"],
                                     pd.read_csv(clusters)["cluster"]),
        "machine": metrics.get("machine"),
    }


def summarise(results: dict, seeds) -> dict:
    """Per seed: ACC range and standard deviation across the settings (repeats left out);
    overall: the largest ACC change from the reference, the largest share of rows moved,
    and for scale the reference's ACC standard deviation across seeds."""
    settings = [runs for name, runs in results.items() if name not in REPEATS]
    per_seed = {}
    for seed in seeds:
        accs = [runs[str(seed)]["acc"] for runs in settings]
        per_seed[str(seed)] = {"acc_min": min(accs), "acc_max": max(accs),
                               "acc_std": statistics.pstdev(accs)}
    ref = results[REFERENCE]
    deltas = [abs(runs[str(s)]["acc"] - ref[str(s)]["acc"]) for runs in results.values()
              for s in seeds]
    moved = [runs[str(s)]["rows_moved"] for runs in results.values() for s in seeds]
    return {"per_seed": per_seed, "max_abs_delta_acc": max(deltas), "max_rows_moved": max(moved),
            "reference_acc_std_across_seeds": statistics.pstdev(ref[str(s)]["acc"] for s in seeds)}


def markdown(report: dict) -> str:
    seeds = report["seeds"]
    lines = [f"# N2D on digits across oneDNN settings (seeds {', '.join(map(str, seeds))})", "",
             f"Machine: {report['machine']['cpu']} (best SIMD {report['machine']['cpu_simd']}), "
             f"TensorFlow {report['machine']['tensorflow']}, numpy {report['machine']['numpy']}. "
             f"Compared with the `{REFERENCE}` run: ACC (Δ), clusters.csv byte-identical (=), "
             "share of rows in another cluster after Hungarian matching, final training loss, "
             "first epoch whose loss differs.", "",
             "| setting | " + " | ".join(f"seed {s}" for s in seeds) + " | mean ACC |",
             "|---|" + "---|" * (len(seeds) + 1)]
    for name, runs in report["results"].items():
        cells = []
        for s in seeds:
            r, ref = runs[str(s)], report["results"][REFERENCE][str(s)]
            if r["clusters_identical"]:
                cells.append(f"{r['acc']:.4f} = (loss {r['final_loss']:.6g})")
            else:
                cells.append(f"{r['acc']:.4f} ({r['acc'] - ref['acc']:+.4f}), "
                             f"{r['rows_moved']:.1%} moved (loss {r['final_loss']:.6g}, "
                             f"differs from epoch {r['loss_differs_from_epoch']})")
        mean = statistics.mean(runs[str(s)]["acc"] for s in seeds)
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {mean:.4f} |")
    summary = report["summary"]
    lines += ["", "| seed | ACC min | ACC max | ACC std across settings (repeats left out) |",
              "|---|---|---|---|"]
    lines += [f"| {s} | {v['acc_min']:.4f} | {v['acc_max']:.4f} | {v['acc_std']:.4f} |"
              for s, v in summary["per_seed"].items()]
    lines += ["", f"Largest |ΔACC| from `{REFERENCE}`: {summary['max_abs_delta_acc']:.4f}; "
              f"largest share of rows moved: {summary['max_rows_moved']:.1%}; for scale, the "
              f"ACC std of `{REFERENCE}` across seeds: "
              f"{summary['reference_acc_std_across_seeds']:.4f}. "
              "Wall-clock seconds per setting (5 trainings, with any wait for the lock): "
              + ", ".join(f"{k} {v:.0f}" for k, v in report["seconds"].items()) + ".", ""]
    return "\n".join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    if not args.compare_only:
        for name in args.settings:
            run_setting(args.workdir / name, SETTINGS[name], args.seeds, args.cores, args.lock)
    seconds = {name: float((args.workdir / name / "seconds.txt").read_text())
               for name in args.settings if (args.workdir / name / "seconds.txt").exists()}
    results = {name: {str(s): compare_seed(args.workdir / REFERENCE, args.workdir / name, s)
                      for s in args.seeds} for name in args.settings}
    report = {"dataset": DATASET, "pipeline": PIPELINE, "seeds": args.seeds,
              "reference": REFERENCE, "settings": {n: SETTINGS[n] for n in args.settings},
              "machine": machine_info(environ={}), "seconds": seconds, "results": results,
              "summary": summarise(results, args.seeds)}
    (args.out / "isa_spread.json").write_text(json.dumps(report, indent=1) + "\n")
    text = markdown(report)
    (args.out / "ISA_SPREAD.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
