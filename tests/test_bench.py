"""The benchmark's helpers (the benchmark itself is `make bench`, kept out of the suite)."""

import json
import math
from pathlib import Path

import pytest

from deepclust.bench import (RUN_KEYS, deep_merge, load_bench_config, machine_description,
                             phase_config, results_markdown, run_record, summarize)

ROOT = Path(__file__).resolve().parents[1]


def _run(pipeline, seed, acc, total, dataset="mnist-test"):
    return {"dataset": dataset, "pipeline": pipeline, "seed": seed, "acc": acc, "nmi": acc - 0.1,
            "ari": acc - 0.2, "silhouette": 0.5, "n_clusters": 10, "peak_rss_mb": 900.0 + seed,
            "seconds": {"download": 1.0, "train": total - 11.0, "reduce": 10.0, "total": total}}


def test_deep_merge_overrides_leaves_and_keeps_siblings():
    base = {"a": {"b": 1, "c": {"d": 2, "e": 3}}, "f": [1]}
    merged = deep_merge(base, {"a": {"c": {"d": 20}}, "f": [2]})
    assert merged == {"a": {"b": 1, "c": {"d": 20, "e": 3}}, "f": [2]}
    assert base["a"]["c"]["d"] == 2  # not modified


def test_bench_config_points_every_url_at_the_data_folder(tmp_path):
    merged, phases = load_bench_config(ROOT)
    run = phases[0]["run"]
    config = phase_config(merged, run, tmp_path)
    assert config["run"] == run and "phases" not in config
    files = config["datasets"]["mnist-test"]["source"]["files"]
    assert files["images"]["url"] == f"file://{tmp_path}/mnist/t10k-images-idx3-ubyte.gz"
    assert files["images"]["sha256"].startswith("16731000")  # the local copy's checksum
    assert config["datasets"]["imdb"]["source"]["files"]["archive"]["url"].startswith(
        f"file://{tmp_path}/imdb/")
    assert config["datasets"]["mnist"]["source"]["files"]["images"]["url"].startswith("https://")


def test_run_record_has_exactly_the_published_schema():
    record = run_record(_run("n2d", 0, 0.95, 200.123456))
    assert list(record) == RUN_KEYS
    assert record["seconds"]["total"] == 200.12 and "silhouette" not in record


def test_summarize_gives_mean_std_min_max_over_seeds():
    rows = summarize([_run("n2d", s, acc, t) for s, (acc, t) in
                      enumerate([(0.94, 200), (0.96, 220), (0.95, 210)])])
    (row,) = rows
    assert row["seeds"] == [0, 1, 2]
    assert row["acc"]["mean"] == pytest.approx(0.95) and row["acc"]["min"] == 0.94
    assert row["acc"]["max"] == 0.96 and row["acc"]["std"] == pytest.approx(0.008165, abs=1e-6)
    assert row["total_s"]["max"] == 220 and row["stage_s"]["reduce"] == 10.0
    assert row["peak_rss_mb"]["max"] == 902.0


def test_results_markdown_tables(tmp_path):
    results = {"date": "2026-11-23", "machine": "test machine", "matmul_gflops": 120.0,
               "autoencoder_gflops": 80.0, "autoencoder_samples_per_second": 4000,
               "autoencoder_to_matmul": 0.667, "benchmark_seconds": 1800,
               "trainings": [{"dataset": "mnist-test", "encoder": "ae", "seed": 0, "threads": 2,
                              "batch_size": 256, "epochs_run": 50, "seconds_per_epoch": 2.5,
                              "samples_per_second": 4000, "gflops": 80.0}],
               "runs": [run_record(_run("n2d", s, 0.95 + s / 100, 200)) for s in range(2)]}
    md = results_markdown(results, notes="## Why\n\nBecause.")
    assert "Date: 2026-11-23" in md and "Machine: test machine" in md
    assert "| mnist-test | n2d | 2 | 0.955 | 0.005 | 0.950 | 0.960 |" in md
    assert "80.0 GFLOP/s = 67% of the matrix multiply" in md
    assert md.rstrip().endswith("Because.")
    json.dumps(results)  # what results.json holds is plain JSON


def test_machine_description_names_cores_and_memory():
    text = machine_description()
    assert "cores" in text and "GiB RAM" in text and "Python" in text
    assert not math.isnan(float(text.split(" GiB")[0].split()[-1]))
