"""Text from tables and images from HDF5 through the workflow: the BBC news CSV and USPS from
../shared/data (through the download rule), and a new user's partial config in a fresh
--directory with a text CSV and a table whose label column is not declared."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, snakemake, write_config
from dataserver import DATA

from deepclust.features import load_matrix

pytestmark = pytest.mark.workflow

def run_partial(workdir, partial: dict, *targets):
    """Snakemake in a fresh --directory with only ``partial`` as --configfile (the workflow's
    own config.yaml is the base)."""
    path = write_config(workdir, partial)
    return snakemake(workdir, *targets, "--configfile", str(path))


def metrics(workdir, dataset, pipeline="kmeans"):
    path = workdir / f"results/{dataset}/pipelines/{pipeline}/seed0/metrics.json"
    return json.loads(path.read_text())


def run_kmeans_on_shared(workdir, name, key, file, pipelines=("kmeans",)):
    """KMeans (or config.yaml's ``pipelines``) on config.yaml's dataset ``name``, seed 0, its
    file ``key`` fetched from ../shared/data through the download rule (file:// URL; the
    configured sha256 is checked); the runs' metrics only."""
    files = {key: {"url": (DATA / file).as_uri()}}
    run_partial(workdir, {"run": {"datasets": [name], "pipelines": list(pipelines), "seeds": [0]},
                          "datasets": {name: {"source": {"files": files}}}},
                *(f"results/{name}/pipelines/{p}/seed0/metrics.json" for p in pipelines))


#: ACC floors of config.yaml's text pipelines on BBC, seed 0, about 0.05 below what they
#: measured on 2026-11-26 (in the comments; NMI 0.883, 0.909, 0.866; chance: 0.24)
BBC_FLOORS = {"kmeans": 0.91,  # 0.963: TF-IDF rows
              "lsa_kmeans": 0.92,  # 0.972: truncated SVD to 100-d, unit rows
              "umap_cosine_gmm": 0.90}  # 0.956: UMAP on cosine neighbours of the TF-IDF rows


def test_bbc_news_csv_tfidf_kmeans_far_above_chance(tmp_path):
    run_kmeans_on_shared(tmp_path, "bbc", "table", "bbc/bbc-text.csv", pipelines=BBC_FLOORS)
    rows = pd.read_csv(tmp_path / "results/bbc/prepared/rows.csv")
    assert len(rows) == 1249 and np.bincount(rows["label"]).tolist() == [298, 225, 221, 288, 217]
    features = load_matrix(tmp_path / "results/bbc/vectorized/features.npz")
    assert features.shape == (1249, 5000)
    for pipeline, floor in BBC_FLOORS.items():
        scores = metrics(tmp_path, "bbc", pipeline)
        assert scores["acc"] >= floor and scores["nmi"] >= 0.75, (pipeline, scores)
    reduced = np.load(tmp_path / "results/bbc/reduced/none/lsa100/seed0/embedding.npy")
    assert reduced.shape == (1249, 100)  # LSA: unit rows
    assert np.allclose(np.linalg.norm(reduced, axis=1), 1, atol=1e-4)


def test_usps_hdf5_both_splits_through_the_download_rule(tmp_path):
    run_kmeans_on_shared(tmp_path, "usps", "data", "usps/usps.h5")
    rows = pd.read_csv(tmp_path / "results/usps/prepared/rows.csv")
    assert len(rows) == 9298 and rows["id"].iloc[0] == "train/0" and rows["id"].iloc[-1] == \
        "test/2006"
    meta = json.loads((tmp_path / "results/usps/prepared/dataset.json").read_text())
    assert meta["image_shape"] == [16, 16, 1]
    assert load_matrix(tmp_path / "results/usps/vectorized/features.npz").shape == (9298, 256)
    scores = metrics(tmp_path, "usps")
    assert scores["acc"] >= 0.62 and scores["nmi"] >= 0.58, scores  # published KMeans 0.668


def new_user_files(folder):
    """A news CSV (three topics, two text columns) and a numeric table with a `label` column
    that nobody declared, plus pandas' unnamed index column."""
    rng = np.random.default_rng(0)
    topics = {"sport": "match goal team league striker coach",
              "tech": "chip software cloud server code data",
              "food": "recipe oven flour sugar bake dinner"}
    rows = []
    for i in range(90):
        topic = list(topics)[i % 3]
        words = rng.choice(topics[topic].split(), size=6)
        rows.append({"topic": topic, "headline": " ".join(words[:2]),
                     "body": f"Story {i}: " + " ".join(words[2:])})
    pd.DataFrame(rows).to_csv(folder / "news.csv", index=False)
    centres = np.array([[0, 0], [6, 0], [0, 6]])
    label = np.repeat([0, 1, 2], 40)
    points = centres[label] + rng.normal(size=(120, 2))
    table = pd.DataFrame({"x": points[:, 0], "z": points[:, 1], "label": label})
    table.sample(frac=1, random_state=0).to_csv(folder / "blobs.csv")  # with the index


def test_new_user_partial_config_in_a_fresh_directory(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    new_user_files(data)
    workdir = tmp_path / "runs" / "a"
    partial = {
        "run": {"datasets": ["news", "blobs"], "pipelines": ["kmeans"], "seeds": [0]},
        "datasets": {
            "news": {"modality": "text", "text": {"vectorizer": "tfidf", "sublinear_tf": True},
                     "source": {"kind": "table",
                                "files": {"table": {"url": str(data / "news.csv")}},
                                "columns": {"topic": "label", "headline": "text",
                                            "body": "text"}}},
            "blobs": {"modality": "tabular",
                      "source": {"kind": "table", "missing": "drop",
                                 "files": {"table": {"url": str(data / "blobs.csv")}}}}},
    }
    # the runs' scores (a full run with figures and report from a partial config in a fresh
    # --directory is getting-started's, tests/test_docs_examples.py)
    run_partial(workdir, partial, *(f"results/{name}/pipelines/kmeans/seed0/metrics.json"
                                    for name in partial["run"]["datasets"]))
    news_rows = pd.read_csv(workdir / "results/news/prepared/rows.csv")
    assert len(news_rows) == 90 and news_rows["label"].nunique() == 3
    news = load_matrix(workdir / "results/news/vectorized/features.npz")
    assert news.shape[0] == 90 and news.shape[1] >= 18  # the rows' words, not column names
    blob_rows = pd.read_csv(workdir / "results/blobs/prepared/rows.csv")
    assert len(blob_rows) == 120 and sorted(blob_rows["id"]) == list(range(120))
    meta = json.loads((workdir / "results/blobs/prepared/dataset.json").read_text())
    assert meta["column_types"] == {"Unnamed: 0": "id", "x": "numeric", "z": "numeric",
                                    "label": "label"}
    blobs = load_matrix(workdir / "results/blobs/vectorized/features.npz")
    assert blobs.shape == (120, 2)  # x and z: neither the label nor the index
    assert metrics(workdir, "news")["acc"] >= 0.9
    assert metrics(workdir, "blobs")["acc"] >= 0.9
    # new rows without a label column, one with a missing value: every row comes back
    pd.DataFrame({"x": [0.1, 6.2, np.nan, 0.3], "z": [0.2, 0.1, 5.0, 6.1]}).to_csv(
        data / "new.csv", index=False)
    out = workdir / "new" / "clusters.csv"
    result = subprocess.run(
        [sys.executable, "-m", "deepclust.assign", "--dataset", "blobs", "--pipeline", "kmeans",
         "--seed", "0", "--file", f"table={data / 'new.csv'}", "--output", str(out),
         "--config", str(workdir / "config.yaml"), "--results", str(workdir / "results")],
        capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assigned = pd.read_csv(out, keep_default_na=False)
    assert assigned["id"].tolist() == [0, 1, 2, 3]
    assert assigned["cluster"].tolist()[2] == "unassigned"
    assert assigned["reason"].tolist()[2] == "missing or infinite value"
    assert len({assigned["cluster"][0], assigned["cluster"][1], assigned["cluster"][3]}) == 3
