"""Fit the memory and wall-time model of deepclust/workflow/resources.py (MEASURED) from the
benchmark
files of finished runs, and show how the committed table compares.

    .venv/bin/python bench/resource_peaks.py bench/work/results results ... \
        --extra train_autoencoder:500:3326:414

(the extra point: the IMDB text autoencoder, 25000 x 5000 TF-IDF, bench/results.json)
"""

import argparse

from deepclust.workflow.resources import MEASURED, Peak, collect_peaks, fit_peaks


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", help="results folders (with benchmarks/)")
    parser.add_argument(
        "--extra", action="append", default=[], metavar="RULE:DATA_MB:MB:SECONDS",
        help="a measured job whose benchmark file is gone (e.g. from bench/results.json)")
    args = parser.parse_args()
    peaks = [p for folder in args.results for p in collect_peaks(folder)]
    for extra in args.extra:
        rule, *numbers = extra.split(":")
        peaks.append(Peak(rule, *map(float, numbers)))
    fitted = fit_peaks(peaks)
    print(f"{'rule':26s} {'jobs':>5s} {'MB':>7s} {'MB/MB':>7s} {'s':>6s} {'s/MB':>6s}  committed")
    for rule, need in fitted.items():
        jobs = sum(p.rule == rule for p in peaks)
        committed = MEASURED.get(rule)
        print(f"{rule:26s} {jobs:5d} {need.memory_mb:7.0f} {need.memory_per_data_mb:7.1f} "
              f"{need.seconds:6.1f} {need.seconds_per_data_mb:6.2f}  {committed}")


if __name__ == "__main__":
    main()
