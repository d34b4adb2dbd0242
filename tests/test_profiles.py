"""Cluster profiles of tables (deepclust/explain/profiles.py); the Amazon items recipe runs them
end to end in tests/test_real_datasets.py."""


import numpy as np
import pandas as pd
import pytest
from conftest import planned_jobs, run_workflow
from dataserver import DATA
from PIL import Image

from deepclust.explain.profiles import ProfileError, cluster_profiles, plot_profiles, words_of

TYPES = {"sku": "id", "url": "drop", "price": "numeric", "stars": "numeric",
         "brand": "categorical", "title": "text"}


def small_table():
    frame = pd.DataFrame({
        "sku": [f"s{i}" for i in range(8)],
        "url": ["http://x"] * 8,
        "price": [10.0, 20.0, 30.0, 100.0, 200.0, 400.0, 1.0, 3.0],
        "stars": [1.0, 2.0, 3.0, 5.0, 5.0, 4.0, 2.0, 2.0],
        "brand": ["Nokia", "Nokia", "Sony", "Apple", "Apple", "Apple", "Nokia", "Sony"],
        "title": ["Nokia phone, the red one", "nokia phone blue", "Sony radio",
                  "Apple iPhone 64GB", "apple iphone renewed", "Apple iPad 64GB",
                  "a cable", "cable for the phone"],
    })
    clusters = np.array([0, 0, 0, 1, 1, 1, -1, -1])
    return frame, clusters


def test_profile_table_has_exact_numbers_categories_and_words():
    frame, clusters = small_table()
    profiles = cluster_profiles(frame, TYPES, clusters)
    assert list(profiles["cluster"]) == ["0", "1", "noise"]  # noise its own row, last
    assert list(profiles["size"]) == [3, 3, 2]
    assert list(profiles["share"]) == [0.375, 0.375, 0.25]
    assert list(profiles.columns) == [
        "cluster", "size", "share", "price_median", "price_mean", "stars_median",
        "stars_mean", "brand_top", "title_words"]  # id and drop columns are not profiled
    assert list(profiles["price_median"]) == [20.0, 200.0, 2.0]
    assert list(profiles["price_mean"]) == [20.0, pytest.approx(233.3333), 2.0]
    assert list(profiles["stars_median"]) == [2.0, 5.0, 2.0]
    assert profiles["brand_top"][0] == "Nokia (67%); Sony (33%)"
    assert profiles["brand_top"][1] == "Apple (100%)"
    # share of the cluster's rows with the word; stop words ("the", "one", "for") out, ties by name
    assert profiles["title_words"][0] == (
        "nokia (67%); phone (67%); blue (33%); radio (33%); red (33%)")
    assert profiles["title_words"][1] == (
        "apple (100%); 64gb (67%); iphone (67%); ipad (33%); renewed (33%)")
    assert profiles["title_words"][2] == "cable (100%); phone (50%)"
    assert "majority_class" not in profiles  # unlabelled


def test_profiles_add_the_majority_class_with_labels():
    frame, clusters = small_table()
    labels = np.array([0, 0, 1, 1, 1, 0, 1, 1])
    profiles = cluster_profiles(frame, TYPES, clusters, labels=labels,
                                class_names=["cheap", "dear"])
    assert list(profiles["majority_class"]) == ["cheap", "dear", "dear"]
    assert list(profiles["majority_share"]) == [pytest.approx(2 / 3, abs=1e-4),
                                                pytest.approx(2 / 3, abs=1e-4), 1.0]


def test_words_skip_stop_words_numbers_and_single_letters():
    assert words_of("The 2 best phones of 2019, a 4G one!") == {"best", "phones", "4g"}
    assert words_of(float("nan")) == set()


def test_bad_input_names_the_problem():
    frame, clusters = small_table()
    with pytest.raises(ProfileError, match="7 cluster labels for a table of 8 rows"):
        cluster_profiles(frame, TYPES, clusters[:7])
    with pytest.raises(ProfileError, match=r"\['colour'\]"):
        cluster_profiles(frame, {**TYPES, "colour": "categorical"}, clusters)


def test_profile_figure_has_one_panel_per_numeric_column_and_cluster(tmp_path):
    frame, clusters = small_table()
    path = tmp_path / "profiles.png"
    panels = plot_profiles(frame, TYPES, clusters, path, "toy: pipeline 'p', seed 0")
    assert panels == 2 * 3  # price, stars x clusters 0, 1 and noise
    image = np.asarray(Image.open(path).convert("L"), dtype=float)
    assert image.std() > 20  # not blank
    assert not list(tmp_path.glob("*.tmp-*"))


@pytest.mark.workflow
def test_a_clusterer_with_its_own_k_skips_the_elbow(tmp_path):
    config = {"run": {"datasets": ["amazon-cellphones"], "pipelines": ["items_ae_kmeans8"],
                      "seeds": [0]},
              "datasets": {"amazon-cellphones": {"source": {"files": {"table": {
                  "url": (DATA / "amazon_cellphones/items.csv").as_uri()}}}}}}
    result = run_workflow(tmp_path, config, "-n", "-p")
    jobs = planned_jobs(result.stdout)
    assert "choose_k" not in jobs and jobs["cluster"] == 1 and jobs["profile_clusters"] == 1
    config["run"]["pipelines"] = ["items_ae_kmeans", "items_ae_kmeans8"]
    jobs = planned_jobs(run_workflow(tmp_path, config, "-n").stdout)
    assert jobs["choose_k"] == 1 and jobs["cluster"] == 2 and jobs["train_autoencoder"] == 1


def test_missing_value_indicators_are_not_profiled(tmp_path):
    """The 0/1 `<col>__missing` columns the cleaning adds are not the user's columns."""
    frame, clusters = small_table()
    frame["price__missing"] = 0.0
    types = dict(TYPES, price__missing="numeric")
    profiles = cluster_profiles(frame, types, clusters)
    assert not any(c.startswith("price__missing") for c in profiles.columns)
    assert plot_profiles(frame, types, clusters, tmp_path / "p.png", "t") == \
        plot_profiles(frame, TYPES, clusters, tmp_path / "q.png", "t")
