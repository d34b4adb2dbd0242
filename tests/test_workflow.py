"""The real workflow end to end on a tiny config: outputs, logs, sharing, rerun-on-change,
determinism and the automatic choice of K."""

import json
import shutil

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import planned_jobs, run_workflow, snakemake, tiny_config

pytestmark = pytest.mark.workflow

PIPELINES = tiny_config()["run"]["pipelines"]
SEEDS = tiny_config()["run"]["seeds"]
#: the seeds whose runs draw figures (the tiny config has figures.seeds: first)
FIGURE_SEEDS = SEEDS[:1]


def _assert_png(path):
    assert path.exists() and path.stat().st_size > 5000, path
    image = mpimg.imread(path)
    assert image.shape[0] > 200 and image.shape[1] > 200
    assert image.std() > 0.01, f"{path} is blank"


def test_runs_share_one_training_job_per_seed_and_only_the_first_seed_draws_figures(tmp_path):
    """The tiny config on three seeds, planned: a training, reductions and runs per seed, the
    raw features' steps once, and figures for the first seed's runs (figures.seeds: first)."""
    seeds = (0, 1, 2)
    jobs = planned_jobs(run_workflow(tmp_path, tiny_config(seeds=seeds), "--dry-run").stdout)
    assert jobs["train_autoencoder"] == len(seeds)  # 5 pipelines use 'ae'
    assert "embed_features" not in jobs  # the training job embeds the rows
    assert jobs["reduce_embedding"] == 2 * len(seeds)  # umap (3 pipelines) + isomap (1)
    assert jobs["prepare_dataset"] == jobs["vectorize_features"] == 1
    assert jobs["cluster"] == jobs["evaluate"] == len(PIPELINES) * len(seeds)
    for rule in ("plot_clusters", "plot_confusion_matrix", "plot_examples"):
        assert jobs[rule] == len(PIPELINES)
    # 2-D views: the raw features' once (no seed changes them), each seeded representation
    # (ae, ae+umap, ae+isomap) once, for the seed that draws figures
    assert jobs["project_2d"] == 1 + 3


def test_every_run_has_labels_metrics_and_figures(tiny_run):
    workdir, _ = tiny_run
    results = workdir / "results"
    rows = pd.read_csv(results / "digits/prepared/rows.csv")
    for pipeline in PIPELINES:
        for seed in SEEDS:
            run = results / f"digits/pipelines/{pipeline}/seed{seed}"
            clusters = pd.read_csv(run / "clusters.csv")
            assert clusters["id"].tolist() == rows["id"].tolist()
            metrics = json.loads((run / "metrics.json").read_text())
            assert (metrics["dataset"], metrics["pipeline"], metrics["seed"]) == (
                "digits", pipeline, seed)
            for key in ("acc", "nmi", "ari", "silhouette", "davies_bouldin",
                        "calinski_harabasz", "n_clusters", "noise_fraction"):
                assert key in metrics
            assert 0.15 < metrics["acc"] <= 1.0  # chance is 0.1; floors: test_quality.py
            assert metrics["n_clusters"] == clusters.query("cluster >= 0")["cluster"].nunique()
            if seed in FIGURE_SEEDS:
                _assert_png(run / "clusters.png")
                _assert_png(run / "confusion.png")
    for seed in SEEDS:
        encoded = results / f"digits/encoded/ae/seed{seed}"
        _assert_png(encoded / "loss.png")
        history = pd.read_csv(encoded / "history.csv")
        assert list(history.columns) == ["epoch", "loss", "val_loss"] and len(history) == 4
        assert (encoded / "autoencoder.keras").stat().st_size > 0
    views = results / "digits/views"  # the 2-D views the figures are drawn on
    assert sorted(p.parent.relative_to(views).as_posix() for p in views.glob("**/view.npy")) \
        == ["ae/isomap/seed0", "ae/none/seed0", "ae/umap/seed0", "none/none/seed0"]


def test_every_job_writes_a_log_and_a_benchmark(tiny_run):
    workdir, result = tiny_run
    jobs = planned_jobs(result.stdout + result.stderr)
    expected = sum(n for rule, n in jobs.items() if rule != "all")
    logs = list((workdir / "results/logs").rglob("*.log"))
    benchmarks = list((workdir / "results/benchmarks").rglob("*.tsv"))
    assert len(logs) == len(benchmarks) == expected
    assert all(p.stat().st_size > 0 for p in logs + benchmarks)
    train_log = (workdir / "results/logs/train_autoencoder/digits/ae/seed0.log").read_text()
    assert "epoch 1/4" in train_log and "epoch 4/4" in train_log


def test_job_logs_hold_no_harmless_tensorflow_errors(tiny_run):
    """TensorFlow's start-up lines (`E0000 ... failed call to cuInit`, ...) are kept out."""
    workdir, _ = tiny_run
    logs = sorted((workdir / "results/logs/train_autoencoder/digits/ae").glob("seed*.log"))
    assert len(logs) == len(SEEDS)
    for log in logs:
        text = log.read_text()
        assert "done in" in text
        assert not [line for line in text.splitlines()
                    if line.startswith(("E0000", "I0000", "WARNING: All log messages"))], log


def test_leaderboard_has_every_pipeline_with_mean_and_std(tiny_run):
    workdir, _ = tiny_run
    board = pd.read_csv(workdir / "results/leaderboard.csv")
    assert sorted(board["pipeline"]) == sorted(PIPELINES)
    assert (board["seeds"] == len(SEEDS)).all()
    for column in ("acc_mean", "acc_std", "nmi_mean", "ari_mean", "train_s", "total_s"):
        assert column in board
    assert board.set_index("pipeline").loc["kmeans", "train_s"] != \
        board.set_index("pipeline").loc["kmeans", "train_s"]  # NaN: no training
    assert (board.set_index("pipeline").loc["ae_kmeans", "train_s"] > 0)
    markdown = (workdir / "results/leaderboard.md").read_text()
    assert markdown.count("| digits |") == len(PIPELINES) and " ± " in markdown
    assert "| figures s | total s | peak MB |" in markdown


def test_leaderboard_total_includes_the_figure_jobs_and_the_peak_memory(tiny_run):
    workdir, _ = tiny_run
    board = pd.read_csv(workdir / "results/leaderboard.csv").set_index("pipeline")
    runs = pd.DataFrame(json.loads((workdir / "results/runs.json").read_text()))
    benchmarks = workdir / "results/benchmarks"
    for pipeline in ("kmeans", "n2d"):
        figure_jobs = [benchmarks / f"{rule}/digits/{pipeline}/seed{seed}.tsv"
                       for rule in ("plot_clusters", "plot_confusion_matrix", "plot_examples")
                       for seed in FIGURE_SEEDS]
        figure_jobs += [benchmarks / f"project_2d/digits/{view}.tsv"
                        for view in (["none/none/seed0"] * len(FIGURE_SEEDS)
                                     if pipeline == "kmeans"
                                     else [f"ae/umap/seed{seed}" for seed in FIGURE_SEEDS])]
        seconds = sum(pd.read_csv(f, sep="\t")["s"].iloc[0] for f in figure_jobs)
        row = board.loc[pipeline]
        # the mean over the runs that draw figures
        assert row["figures_s"] == pytest.approx(seconds / len(FIGURE_SEEDS), rel=1e-6)
        stages = [c for c in board.columns if c.endswith("_s") and c != "total_s"]
        assert row["total_s"] == pytest.approx(row[stages].fillna(0).sum(), rel=1e-6)
        mine = runs[runs["pipeline"] == pipeline]
        assert row["peak_rss_mb"] == pytest.approx(mine["peak_rss_mb"].max())
        assert row["peak_rss_mb"] > 50  # a Python process with NumPy: tens of MB at least


def test_changing_umap_n_neighbors_reruns_exactly_what_depends_on_it(tiny_run, tmp_path):
    source, _ = tiny_run
    workdir = tmp_path / "copy"
    shutil.copytree(source, workdir, symlinks=True)
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    before = snakemake(workdir, "--configfile", str(workdir / "config.yaml"), "--dry-run")
    assert "Nothing to be done" in before.stdout + before.stderr

    config["reducers"]["umap"]["n_neighbors"] = 25
    result = run_workflow(workdir, config, "--dry-run")
    jobs = planned_jobs(result.stdout + result.stderr)
    umap_pipelines = 3  # n2d, ae_umap_dbscan, ae_umap_hdbscan
    assert jobs == {
        "reduce_embedding": len(SEEDS),
        "project_2d": len(FIGURE_SEEDS),
        "cluster": umap_pipelines * len(SEEDS),
        "evaluate": umap_pipelines * len(SEEDS),
        "plot_clusters": umap_pipelines * len(FIGURE_SEEDS),
        "plot_confusion_matrix": umap_pipelines * len(FIGURE_SEEDS),
        "plot_examples": umap_pipelines * len(FIGURE_SEEDS),
        "leaderboard": 1,
        "plot_leaderboard": 1,
        "all": 1,
    }


#: a pipeline for each seeded step: KMeans, the autoencoder's training, UMAP and GMM, Isomap
#: (DBSCAN and HDBSCAN are not seeded: they are functions of the UMAP embedding n2d repeats)
SEEDED = ["kmeans", "ae_kmeans", "n2d", "ae_isomap_kmeans"]


def test_same_config_and_seed_give_identical_clusters_and_metrics(tiny_run, tmp_path):
    first, _ = tiny_run
    config = tiny_config()
    # the runs' clusters and metrics only (figures and the leaderboard are not compared)
    run_workflow(tmp_path, config, *(f"results/digits/pipelines/{pipeline}/seed0/metrics.json"
                                     for pipeline in SEEDED))
    for pipeline in SEEDED:
        for name in ("clusters.csv", "metrics.json"):
            a = first / f"results/digits/pipelines/{pipeline}/seed0/{name}"
            b = tmp_path / f"results/digits/pipelines/{pipeline}/seed0/{name}"
            assert a.read_bytes() == b.read_bytes(), f"{pipeline}/{name} differs between runs"


def test_k_auto_chooses_k_by_the_elbow_and_plots_it(tmp_path):
    config = tiny_config(seeds=(0,), k="auto")
    config["run"]["pipelines"] = ["kmeans", "ae_umap_dbscan"]
    jobs = planned_jobs(run_workflow(tmp_path, config, "--dry-run").stdout)
    assert jobs["choose_k"] == 1  # DBSCAN finds its own number of clusters
    config["run"]["pipelines"] = ["kmeans"]
    elbow, metrics_file = ("results/digits/k/none/none/seed0/elbow.png",
                           "results/digits/pipelines/kmeans/seed0/metrics.json")
    run_workflow(tmp_path, config, elbow, metrics_file)
    k_dir = tmp_path / "results/digits/k/none/none/seed0"
    selection = json.loads((k_dir / "k.json").read_text())
    assert selection["ks"] == list(range(2, 9))
    assert 2 <= selection["k"] <= 8
    # the elbow: the K whose inertia lies farthest below the chord from the first K to the
    # last, both axes scaled to [0, 1] (worked out here, not by the library's function)
    ks, inertia = np.array(selection["ks"], float), np.array(selection["inertia"])
    below = [(inertia[0] - (inertia[0] - inertia[-1]) * (k - ks[0]) / (ks[-1] - ks[0]))
             - value for k, value in zip(ks, inertia)]
    assert selection["method"] == "elbow"
    assert selection["k"] == selection["k_elbow"] == int(ks[int(np.argmax(below))])
    assert np.all(np.diff(inertia) < 0)  # KMeans inertia falls as K grows
    _assert_png(k_dir / "elbow.png")
    metrics = json.loads((tmp_path / metrics_file).read_text())
    assert metrics["n_clusters"] == selection["k"]
