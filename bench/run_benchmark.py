"""The benchmark: `make bench` (see README.md, "Benchmark").

Runs the real workflow (download rule included, through file:// URLs of the
local data folder) on each phase of bench/config.yaml in a scratch folder,
measures the machine's matrix-multiply throughput in the same run, and writes
bench/results.json and bench/RESULTS.md.

    .venv/bin/python bench/run_benchmark.py [--data ../shared/data] [--cores 2]
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml
from benchmark_results import (
    load_bench_config,
    machine_description,
    merge_results,
    phase_config,
    phase_run,
    results_markdown,
    run_record,
)
from training_speed import (
    TRAINING_TO_MATMUL_FLOOR,
    matmul_gflops,
    share_of_matmul,
    text_recipe_epochs,
    training_profile,
    training_to_matmul,
)

ROOT = Path(__file__).resolve().parents[1]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data",
                        help="folder with the benchmark's data files (default: ../shared/data)")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "work",
                        help="scratch folder for the workflow's results (wiped first)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench",
                        help="where results.json and RESULTS.md are written")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--training-threads", type=int, default=None,
                        help="threads of each network job (autoencoder, contrastive encoder, "
                             "DEC/IDEC, embedding; Snakemake --set-threads): --cores / this many "
                             "seeds train side by side. Default: the config's threads (2), one "
                             "training at a time on 2 cores, so a chain's time is the time a "
                             "seed takes (bench/NOTES.md, 'bfloat16'); 1 trains two seeds at "
                             "once, steadier for float32 trainings ('Why an epoch takes 1.3 s "
                             "or 2.5 s')")
    parser.add_argument("--training-precision", default=None,
                        choices=["float32", "mixed_bfloat16"],
                        help="precision of the speed check's trainings (default: the "
                             "benchmark config's ae_long's, the pretraining of N2D and DEC)")
    parser.add_argument("--command", default="bench",
                        help="run the phases of bench/config.yaml with this command "
                             "(bench or bench-dec; default bench)")
    parser.add_argument("--phases", type=int, nargs="*",
                        help="run these phases of bench/config.yaml instead (0-based)")
    parser.add_argument("--seeds", type=int, nargs="*", help="override every phase's seeds")
    parser.add_argument("--pipelines", nargs="*",
                        help="run only these of the phases' pipelines (e.g. dec after a change "
                             "to DEC alone; the merged results keep the others' earlier runs)")
    parser.add_argument("--keep-workdir", action="store_true",
                        help="do not wipe --workdir: jobs already done are not run again "
                             "(their times come from the earlier run's benchmark files)")
    parser.add_argument("--merge", action="store_true",
                        help="add the runs to --out's existing results.json (replacing runs of "
                             "the same dataset, pipeline and seed) instead of starting anew")
    parser.add_argument("--render", action="store_true",
                        help="run nothing: rewrite --out's RESULTS.md from its results.json")
    return parser.parse_args(argv)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it: an interrupted
    benchmark never leaves a half-written results file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    partial.replace(path)


def write_results_markdown(out: Path, results: dict) -> str:
    """bench/RESULTS.md: the generated tables, linking to the lab notebook bench/NOTES.md."""
    published = yaml.safe_load((ROOT / "bench" / "published.yaml").read_text())
    markdown = results_markdown(results, published)
    write_atomically(out / "RESULTS.md", markdown)
    return markdown


#: the rules that train a network (their threads are --training-threads)
TRAINING_RULES = ("train_autoencoder", "train_contrastive_encoder", "cluster_dec")


def run_snakemake(workdir: Path, cores: int, log, training_threads: int | None = None) -> None:
    """Run the workflow up to the leaderboard (no figures), echoing its progress; each
    training job on ``training_threads`` threads (None: the config's ``threads``)."""
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
           "--directory", str(workdir), "--cores", str(cores), "results/leaderboard.csv"]
    if training_threads:
        cmd += ["--set-threads", *(f"{rule}={training_threads}" for rule in TRAINING_RULES)]
    cmd += ["--configfile", str(workdir / "config.yaml")]  # last: it takes several values
    print("$", " ".join(cmd), flush=True)
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          bufsize=1) as proc:
        for line in proc.stdout:
            log.write(line)
            if line.startswith(("rule ", "    wildcards:", "Finished job", "Error")) \
                    or "steps" in line:
                print("  " + line.rstrip(), flush=True)
    if proc.returncode != 0:
        raise SystemExit(f"the workflow failed (exit {proc.returncode}); see {log.name} and "
                         f"{workdir}/results/logs/")


def training_throughputs(workdir: Path, config: dict, runs: list[dict]) -> dict:
    """(dataset, encoder, seed) -> training.json, for every autoencoder the runs used."""
    found = {}
    for run in runs:
        encoder = config["pipelines"][run["pipeline"]].get("encoder", "none")
        if encoder == "none":
            continue
        path = (workdir / "results" / run["dataset"] / "encoded" / encoder
                / f"seed{run['seed']}" / "training.json")
        found[(run["dataset"], encoder, run["seed"])] = dict(
            json.loads(path.read_text()), dataset=run["dataset"], encoder=encoder)
    return found


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.render:
        write_results_markdown(args.out, json.loads((args.out / "results.json").read_text()))
        print(f"wrote {args.out / 'RESULTS.md'} from {args.out / 'results.json'}")
        return
    started = time.perf_counter()
    bench_config, phases = load_bench_config(ROOT)
    phases = [phases[i] for i in args.phases] if args.phases is not None \
        else [p for p in phases if p["command"] == args.command]
    if not phases:
        raise SystemExit(f"no phase of bench/config.yaml has command {args.command!r}")
    if not args.data.is_dir():
        raise SystemExit(f"--data {args.data}: no such folder (the benchmark reads MNIST and "
                         "IMDB from there; see ../shared/data/README.md)")

    print(f"measuring {args.cores}-thread float32 matrix multiply ...", flush=True)
    matmul = matmul_gflops(args.cores)
    print(f"matmul: {matmul:.1f} GFLOP/s", flush=True)
    matmul_bf16 = matmul_gflops(args.cores, dtype="bfloat16")
    print(f"bfloat16 matmul (precision: mixed_bfloat16 multiplies so): {matmul_bf16:.1f} "
          "GFLOP/s", flush=True)
    print("autoencoder training against the matrix multiply (5 interleaved pairs) ...",
          flush=True)
    precision = args.training_precision or \
        bench_config["encoders"]["ae_long"].get("precision", "float32")
    speed = training_to_matmul(args.cores, training_threads=args.training_threads,
                               precision=precision)
    print(f"training {speed['measure']:.1f} GFLOP/s, matmul {speed['reference']:.1f} GFLOP/s: "
          f"{100 * speed['ratio']:.0f}% (pairs: {speed['ratios']})", flush=True)
    text_epochs = profile = None
    if args.command == "bench":
        print("where an epoch of N2D's autoencoder goes ...", flush=True)
        profile = training_profile(args.cores, precision=precision)
        print(f"  {profile}", flush=True)
        print("the IMDB recipe's autoencoder: seconds per epoch, one batch per call against "
              "the current path ...", flush=True)
        text_epochs = text_recipe_epochs(args.cores)
        print(f"  {text_epochs}", flush=True)

    if args.workdir.exists() and not args.keep_workdir:
        shutil.rmtree(args.workdir)
    args.workdir.mkdir(parents=True, exist_ok=True)
    runs, trainings = [], {}
    with open(args.workdir / "snakemake.log", "a") as log:
        for phase in phases:
            run = phase_run(phase, args.seeds, args.pipelines)
            if run is None:
                continue
            print(f"\n== {phase['name']}: {run}", flush=True)
            config = phase_config(bench_config, run, args.data)
            (args.workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
            run_snakemake(args.workdir, args.cores, log, args.training_threads)
            phase_runs = json.loads((args.workdir / "results" / "runs.json").read_text())
            runs += [run_record(r) for r in phase_runs]
            trainings.update(training_throughputs(args.workdir, config, phase_runs))
    trainings = list(trainings.values())

    n2d = [t for t in trainings if t["dataset"] == "mnist-test"] or trainings
    training_speed = {}  # phases without an autoencoder (text pipelines) train nothing
    if n2d:
        ae_gflops = statistics.median(t["gflops"] for t in n2d)
        training_speed = {
            "autoencoder_gflops": round(ae_gflops, 1),
            "autoencoder_samples_per_second": round(
                statistics.median(t["samples_per_second"] for t in n2d)),
            # each training against its threads' share of the machine's matmul
            "autoencoder_to_matmul": round(statistics.median(
                share_of_matmul(t, matmul, args.cores) for t in n2d), 3)}
    results = {
        "date": datetime.date.today().isoformat(),
        "machine": machine_description(),
        "matmul_gflops": round(matmul, 1),
        "matmul_bfloat16_gflops": round(matmul_bf16, 1),
        "training_threads": args.training_threads or args.cores,
        **training_speed,
        **({"text_recipe_epochs": text_epochs} if text_epochs else {}),
        **({"training_profile": profile} if profile else {}),
        "training_check": {**{k: round(v, 3) for k, v in speed.items()
                              if k not in ("ratios", "side_by_side", "precision")},
                           "precision": speed["precision"],
                           **({"side_by_side": speed["side_by_side"]}
                              if "side_by_side" in speed else {}),
                           "ratios": speed["ratios"], "floor": TRAINING_TO_MATMUL_FLOOR},
        "trainings": [{**{k: t[k] for k in ("dataset", "encoder", "seed", "threads",
                                             "batch_size", "epochs_run", "seconds_per_epoch",
                                             "samples_per_second", "gflops")},
                       "precision": t.get("precision", "float32")}
                      for t in trainings],
        "commands": [{"name": f"make {args.command}", "phases": [p["name"] for p in phases],
                      "seconds": round(time.perf_counter() - started),
                      "reused_workdir": args.keep_workdir}],
        "runs": runs,
    }
    seconds = results["commands"][0]["seconds"]
    if args.merge and (args.out / "results.json").exists():
        results = merge_results(json.loads((args.out / "results.json").read_text()), results)
    if training_speed:
        print(f"\nautoencoder training: {training_speed['autoencoder_gflops']:.1f} GFLOP/s = "
              f"{100 * training_speed['autoencoder_to_matmul']:.0f}% of the {matmul:.1f} "
              "GFLOP/s matrix multiply", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    write_atomically(args.out / "results.json", json.dumps(results, indent=1) + "\n")
    print(write_results_markdown(args.out, results))
    print(f"wrote {args.out / 'results.json'} and {args.out / 'RESULTS.md'} "
          f"({seconds / 60:.1f} min)")
    if speed["ratio"] < TRAINING_TO_MATMUL_FLOOR:
        raise SystemExit(f"autoencoder training reached {100 * speed['ratio']:.0f}% of the "
                         f"matrix multiply (median of interleaved pairs {speed['ratios']}), "
                         f"below the benchmark's floor of {100 * TRAINING_TO_MATMUL_FLOOR:.0f}%")


if __name__ == "__main__":
    main()
