"""The main job (`make run`: config.yaml on digits, seeds 0-2) reaches, for every one of its
pipelines, the quality the method should reach on the 1,797 8x8 digits: floors on the mean
over the three seeds, below the measured means (bench/NOTES.md) by about two standard
deviations of a 3-seed mean, since another CPU acts like another seed."""

import pytest
import yaml
from conftest import ROOT

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def main_job(digits_main_run):
    """The leaderboard of config.yaml's run on digits (shared with the SOM and contrastive
    tests, which add pipelines to the same run)."""
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    assert set(config["run"]["pipelines"]) == set(FLOORS)  # a new pipeline needs its floor
    return digits_main_run[2]


#: pipeline -> (ACC, NMI) floors of the 3-seed means; KMeans on the pixels is the yardstick
FLOORS = {"kmeans": (0.76, 0.71),
          "ae_kmeans": (0.72, 0.70),  # the embedding keeps about what the pixels hold
          "n2d": (0.80, 0.84),
          "ae_umap_dbscan": (0.76, 0.83),  # noise points count as errors
          "ae_umap_hdbscan": (0.80, 0.84),
          "ae_isomap_kmeans": (0.80, 0.80)}


@pytest.mark.parametrize("pipeline", sorted(FLOORS))
def test_every_pipeline_of_the_main_job_reaches_its_floor(main_job, pipeline):
    acc, nmi = FLOORS[pipeline]
    assert main_job.loc[pipeline, "seeds"] == 3
    assert main_job.loc[pipeline, "acc_mean"] >= acc
    assert main_job.loc[pipeline, "nmi_mean"] >= nmi


def test_density_clusterers_find_about_the_ten_digits_and_little_noise(main_job):
    for pipeline in ("ae_umap_dbscan", "ae_umap_hdbscan"):
        assert 8 <= main_job.loc[pipeline, "n_clusters_mean"] <= 16
        assert main_job.loc[pipeline, "noise_fraction_mean"] <= 0.10


def test_n2d_reaches_acc_080_on_digits(main_job):
    assert main_job.loc["n2d", "seeds"] == 3
    assert main_job.loc["n2d", "acc_mean"] >= 0.80
    assert main_job.loc["n2d", "nmi_mean"] >= 0.78


def test_kmeans_baseline_on_raw_pixels_is_about_079(main_job):
    assert main_job.loc["kmeans", "acc_mean"] == pytest.approx(0.79, abs=0.03)


def test_n2d_beats_the_kmeans_baseline(main_job):
    assert main_job.loc["n2d", "acc_mean"] > main_job.loc["kmeans", "acc_mean"] + 0.03
