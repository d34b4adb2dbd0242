import json

import pytest

from deepclust.evaluate.leaderboard import aggregate, load_run, to_markdown


def _run(pipeline, seed, acc, train=None, peak=None):
    seconds = {"prepare": 1.0, "cluster": 2.0}
    if train is not None:
        seconds["train"] = train
    seconds["total"] = sum(seconds.values())
    return {"dataset": "d", "pipeline": pipeline, "seed": seed, "acc": acc, "nmi": 0.5,
            "ari": None, "silhouette": 0.1, "davies_bouldin": 1.0, "calinski_harabasz": 10.0,
            "n_clusters": 3, "noise_fraction": 0.0, "seconds": seconds, "peak_rss_mb": peak}


def test_aggregate_means_and_stds_over_seeds():
    board = aggregate([_run("a", 0, 0.8, 10, peak=900), _run("a", 1, 0.6, 20, peak=400),
                       _run("b", 0, 0.5)])
    a = board.set_index("pipeline").loc["a"]
    assert a["seeds"] == 2
    assert a["acc_mean"] == pytest.approx(0.7) and a["acc_std"] == pytest.approx(0.1)
    assert a["train_s"] == pytest.approx(15) and a["total_s"] == pytest.approx(18)
    assert a["peak_rss_mb"] == 900  # the largest over seeds
    b = board.set_index("pipeline").loc["b"]
    assert b["train_s"] != b["train_s"]  # NaN: pipeline b trains nothing
    md = to_markdown(board)
    assert "| d | a | 2 | 0.700 ± 0.100 |" in md
    assert md.split("\n")[2].endswith("| 15.0 | – | 2.0 | – | 18.0 | 900 |")  # peak: max
    assert md.count("\n| d |") == 2


def test_a_stage_only_some_seeds_run_is_averaged_over_those_seeds():
    """figures.seeds: first draws one seed's figures: their time is that seed's, not a third
    of it, and the total is the sum of the stages' means."""
    runs = [_run("a", 0, 0.8), _run("a", 1, 0.8), _run("a", 2, 0.8)]
    runs[0]["seconds"]["figures"] = 6.0
    board = aggregate(runs).set_index("pipeline")
    assert board.loc["a", "figures_s"] == pytest.approx(6.0)
    assert board.loc["a", "total_s"] == pytest.approx(1.0 + 2.0 + 6.0)


def test_load_run_reads_benchmark_seconds_and_peak_memory(tmp_path):
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"dataset": "d", "pipeline": "p", "seed": 0, "acc": 1.0}))
    train, cluster, short = tmp_path / "t.tsv", tmp_path / "c.tsv", tmp_path / "s.tsv"
    train.write_text("s\th:m:s\tmax_rss\n12.5\t0:00:12\t812.4\n")
    cluster.write_text("s\th:m:s\tmax_rss\n2.0\t0:00:02\t300\n")
    short.write_text("s\th:m:s\tmax_rss\n0.1\t0:00:00\t-\n")  # too short to sample
    run = load_run(metrics, {"train": train, "cluster": cluster, "prepare": short})
    assert run["seconds"] == {"train": 12.5, "cluster": 2.0, "prepare": 0.1, "total": 14.6}
    assert run["peak_rss_mb"] == 812.4 and run["acc"] == 1.0


def test_a_stage_of_several_jobs_adds_their_seconds(tmp_path):
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"dataset": "d", "pipeline": "p", "seed": 0}))
    images, labels = tmp_path / "i.tsv", tmp_path / "l.tsv"  # one download job per file
    images.write_text("s\th:m:s\tmax_rss\n1.5\t0:00:01\t90\n")
    labels.write_text("s\th:m:s\tmax_rss\n0.25\t0:00:00\t-\n")
    run = load_run(metrics, {"download": [str(images), str(labels)], "prepare": images})
    assert run["seconds"] == {"download": 1.75, "prepare": 1.5, "total": 3.25}
    assert run["peak_rss_mb"] == 90
