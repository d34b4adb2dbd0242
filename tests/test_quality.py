"""The main job (default config on digits) reaches the quality the README reports."""

import pandas as pd
import pytest
import yaml

from conftest import ROOT, run_workflow

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def main_job(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("main")
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    # the main job's runs of the two pipelines asserted below (each run's results depend only
    # on its own chain and seed, not on the other pipelines of the config)
    assert {"kmeans", "n2d"} <= set(config["run"]["pipelines"])
    config["run"]["pipelines"] = ["kmeans", "n2d"]
    run_workflow(workdir, config)
    return pd.read_csv(workdir / "results/leaderboard.csv").set_index("pipeline")


def test_n2d_reaches_acc_080_on_digits(main_job):
    assert main_job.loc["n2d", "seeds"] == 3
    assert main_job.loc["n2d", "acc_mean"] >= 0.80
    assert main_job.loc["n2d", "nmi_mean"] >= 0.78


def test_kmeans_baseline_on_raw_pixels_is_about_079(main_job):
    assert main_job.loc["kmeans", "acc_mean"] == pytest.approx(0.79, abs=0.03)


def test_n2d_beats_the_kmeans_baseline(main_job):
    assert main_job.loc["n2d", "acc_mean"] > main_job.loc["kmeans", "acc_mean"] + 0.03
