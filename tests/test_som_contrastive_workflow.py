"""Self-organising maps and the contrastive encoder through the workflow on digits, with the
settings of config.yaml: quality floors, figures, metrics, the leaderboard,
clustering new rows, and which jobs a SOM setting reruns."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import (CONTRASTIVE_PIPELINES, DIGITS_MAIN_TARGETS, ROOT, SOM_PIPELINES,
                      planned_jobs, run_workflow, snakemake)
from sklearn.datasets import load_digits

pytestmark = pytest.mark.workflow

#: floors hold the mean over config.yaml's seeds: one seed varies like another CPU would
SEEDS = yaml.safe_load((ROOT / "config.yaml").read_text())["run"]["seeds"]
#: floors of the mean ACC on digits (1,797 images, 10 classes), from what each method
#: should reach: a map of K node clusters about what KMeans reaches on the same input (the
#: pixels, the autoencoder's embedding: tests/test_quality.py's floors), a map on N2D's UMAP
#: about N2D, the contrastive encoder at least KMeans on the pixels, and with UMAP above N2D
FLOORS = {"som": 0.74,
          "ae_som": 0.72,
          "ae_umap_som": 0.80,
          "contrastive_kmeans": 0.78,
          "contrastive_umap_gmm": 0.85}


@pytest.fixture(scope="module")
def digits_run(digits_main_run):
    """config.yaml's run on digits with these pipelines among others (tests/conftest.py)."""
    return digits_main_run


def _run_dir(workdir, pipeline, seed):
    return workdir / "results/digits/pipelines" / pipeline / f"seed{seed}"


@pytest.mark.parametrize("pipeline", SOM_PIPELINES + CONTRASTIVE_PIPELINES)
def test_quality_floor_on_the_leaderboard(digits_run, pipeline):
    _, _, board = digits_run
    assert board.loc[pipeline, "seeds"] == len(SEEDS)
    assert board.loc[pipeline, "acc_mean"] >= FLOORS[pipeline]


def test_contrastive_encoder_trains_once_per_seed_and_shares_it(digits_run):
    _, result, _ = digits_run
    jobs = planned_jobs(result.stdout + result.stderr)
    assert jobs["train_contrastive_encoder"] == len(SEEDS)  # 2 pipelines, one training each
    assert jobs["train_autoencoder"] == len(SEEDS)  # every ae_* pipeline, N2D included, shares 'ae'


def test_contrastive_training_logs_progress_and_plots_its_loss(digits_run):
    workdir, _, _ = digits_run
    encoded = workdir / "results/digits/encoded/contrastive/seed0"
    assert (encoded / "contrastive_encoder.keras").stat().st_size > 0
    history = pd.read_csv(encoded / "history.csv")
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]  # NT-Xent falls
    log = (workdir / "results/logs/train_contrastive_encoder/digits/contrastive/seed0.log")
    assert f"epoch {len(history)}/{len(history)}" in log.read_text()
    assert (encoded / "loss.png").stat().st_size > 10_000


@pytest.mark.parametrize("pipeline", SOM_PIPELINES)
def test_som_runs_record_map_quality_and_draw_the_map(digits_run, pipeline):
    workdir, _, _ = digits_run
    run = _run_dir(workdir, pipeline, 0)
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["som_grid"] == [15, 15]  # about 5 sqrt(1797) nodes
    assert 0 < metrics["som_quantization_error"]
    assert 0 <= metrics["som_topographic_error"] < 0.2
    for name in ("som_umatrix.png", "som_hits.png"):
        assert (run / name).stat().st_size > 20_000


def test_same_seed_gives_identical_contrastive_clusters(digits_run, tmp_path):
    """The contrastive encoder's seeded views and training run again to the same bytes (the
    map's training is seeded MiniSom, checked against MiniSom.train in tests/test_som.py)."""
    first, _, _ = digits_run
    seed = SEEDS[0]
    config = {"run": {"datasets": ["digits"], "pipelines": ["contrastive_kmeans"],
                      "seeds": [seed]}}
    run_workflow(tmp_path, config, _run_dir(tmp_path, "contrastive_kmeans", seed)
                 .relative_to(tmp_path).joinpath("metrics.json").as_posix())
    for name in ("clusters.csv", "metrics.json"):
        a = _run_dir(first, "contrastive_kmeans", seed) / name
        b = _run_dir(tmp_path, "contrastive_kmeans", seed) / name
        assert a.read_bytes() == b.read_bytes(), f"contrastive_kmeans/{name} differs between runs"


@pytest.mark.parametrize("pipeline", ["ae_som", "contrastive_kmeans"])
def test_assign_places_the_training_rows_in_their_clusters(digits_run, pipeline):
    workdir, _, _ = digits_run
    rows = workdir / "rows.npy"
    np.save(rows, load_digits().data)
    out = workdir / f"assigned_{pipeline}.csv"
    cmd = [sys.executable, "-m", "deepclust.assign", "--dataset", "digits", "--pipeline",
           pipeline, "--seed", "0", "--file", f"rows={rows}", "--output", str(out),
           "--config", str(workdir / "config.yaml"), "--results", str(workdir / "results")]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    expected = pd.read_csv(_run_dir(workdir, pipeline, 0) / "clusters.csv")
    np.testing.assert_array_equal(pd.read_csv(out)["cluster"], expected["cluster"])


def test_changing_a_som_setting_reruns_only_the_som_runs(digits_run, tmp_path):
    source, _, _ = digits_run
    workdir = tmp_path / "copy"
    shutil.copytree(source, workdir, symlinks=True)
    before = snakemake(workdir, "--configfile", str(workdir / "config.yaml"), "--dry-run")
    assert "Nothing to be done" in before.stdout + before.stderr
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    config["clusterers"] = {"som": {"kind": "som", "sigma": 2.0}}
    result = run_workflow(workdir, config, "--dry-run", *DIGITS_MAIN_TARGETS)
    runs = len(SOM_PIPELINES) * len(SEEDS)
    # the maps of the first seed's runs (the fixture's targets; no other run figures:
    # figures.seeds: none)
    assert planned_jobs(result.stdout + result.stderr) == {
        "cluster": runs, "evaluate": runs, "plot_som": len(SOM_PIPELINES),
        "leaderboard": 1, "plot_leaderboard": 1, "all": 1,
    }
    assert not any((workdir / "results/digits/pipelines").rglob("clusters.png"))

