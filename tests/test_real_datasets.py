"""Real datasets through the workflow's own download rule, served from ../shared/data over
HTTP on 127.0.0.1; bad inputs stop with a message naming the file/column and leave no output."""

import gzip
import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from conftest import run_workflow
from dataserver import DATA, Server
from PIL import Image

from deepclust.features import load_matrix

pytestmark = pytest.mark.workflow

SHA = {
    "mnist/t10k-images-idx3-ubyte.gz":
        "167310007f03058885c7e95e6c0b19c20de5c7fd3031f4cbdadc9014a523d80b",
    "mnist/t10k-labels-idx1-ubyte.gz":
        "fc607395669ec21321ea83e4b82c0544b7e8e63ff5b34337c06bc0a17cc0da3c",
    "amazon_cellphones/items.csv":
        "043c1d6d5126cc294991ce6e0cb855699af912d571b786af8f967ce251aded45",
    "imdb/aclImdb_labelled.tar.gz":
        "5835859a2e26df0775999f215283e4a37c34d0589cbf645ae18c45d7f047a58d",
}


@pytest.fixture(scope="module")
def server():
    server = Server(DATA)
    yield server
    server.close()


def remote(server, path, sha=True):
    entry = {"url": server.url(path)}
    if sha:
        entry["sha256"] = SHA[path]
    return entry


def config_for(name, dataset, pipelines=None, encoders=None):
    return {
        "run": {"datasets": [name], "pipelines": pipelines or ["kmeans"], "seeds": [0]},
        "downloads": "downloads",
        "datasets": {name: dataset},
        "encoders": encoders or {},
        "clusterers": {"kmeans": {"kind": "kmeans", "n_init": 3}},
        "pipelines": {"kmeans": {"clusterer": "kmeans"},
                      **({"ae_kmeans": {"encoder": "ae", "clusterer": "kmeans"}}
                         if encoders else {})},
        "figures": {"view": "pca"},
    }


def mnist(server, **images):
    return {"modality": "image", "scaling": "global_minmax",
            "source": {"kind": "idx", "files": {
                "images": dict(remote(server, "mnist/t10k-images-idx3-ubyte.gz"), **images),
                "labels": remote(server, "mnist/t10k-labels-idx1-ubyte.gz")}}}


def prepared_targets(name):
    return [f"results/{name}/prepared/rows.csv", f"results/{name}/vectorized/features.npz"]


def test_mnist_is_downloaded_verified_cached_and_prepared(server, tmp_path):
    config = config_for("mnist-test", mnist(server))
    run_workflow(tmp_path, config, *prepared_targets("mnist-test"))
    rows = pd.read_csv(tmp_path / "results/mnist-test/prepared/rows.csv")
    assert np.bincount(rows["label"]).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028,
                                                   974, 1009]
    features = load_matrix(tmp_path / "results/mnist-test/vectorized/features.npz")
    assert features.shape == (10000, 784) and features.min() == 0 and features.max() == 1
    images = "downloads/mnist-test/t10k-images-idx3-ubyte.gz"
    record = json.loads((tmp_path / f"{images}.download.json").read_text())
    assert record["sha256"] == SHA["mnist/t10k-images-idx3-ubyte.gz"]
    assert record["source"] == server.url("mnist/t10k-images-idx3-ubyte.gz")
    assert server.requests("mnist/t10k-images-idx3-ubyte.gz") == 1
    log_file = tmp_path / "results/logs/download/mnist-test/t10k-images-idx3-ubyte.gz.log"
    log = log_file.read_text()
    assert "MB / 1.6 MB (" in log and "finished" in log and "verified" in log
    assert (tmp_path / "results/benchmarks/download/mnist-test/t10k-labels-idx1-ubyte.gz.tsv"
            ).exists()  # one download job per file

    # a second run from scratch (results and the download records deleted, files kept):
    # the download jobs run again, keep the verified files and make no request
    import shutil
    shutil.rmtree(tmp_path / "results")
    for record in (tmp_path / "downloads/mnist-test").glob("*.download.json"):
        record.unlink()
    run_workflow(tmp_path, config, *prepared_targets("mnist-test"))
    assert server.requests("mnist/t10k-images-idx3-ubyte.gz") == 1
    assert "cached" in log_file.read_text()


def invert_pixels(path):
    """Tamper with a cached IDX3 image file: every pixel inverted, still a valid file."""
    data = bytearray(gzip.decompress(path.read_bytes()))
    data[16:] = bytes(255 - b for b in data[16:])
    path.write_bytes(gzip.compress(bytes(data)))


@pytest.mark.parametrize("checksum", ["configured", "recorded"])
def test_a_cached_download_changed_on_disk_is_detected(server, tmp_path, checksum):
    images = "mnist/t10k-images-idx3-ubyte.gz"
    dataset = mnist(server)
    name = "mnist-test"
    if checksum == "recorded":  # no sha256 in the config: the one recorded at download
        del dataset["source"]["files"]["images"]["sha256"]
        name = "mnist-unverified"  # config.yaml's mnist-test would add its sha256
    config = config_for(name, dataset)
    requests = server.requests(images)  # the server is shared by the module's tests
    prepared = tmp_path / f"results/{name}/prepared/data.joblib"  # the images as read
    target = prepared.relative_to(tmp_path).as_posix()
    run_workflow(tmp_path, config, target)
    first = prepared.read_bytes()
    cached = tmp_path / f"downloads/{name}/t10k-images-idx3-ubyte.gz"
    invert_pixels(cached)
    tampered = hashlib.sha256(cached.read_bytes()).hexdigest()

    result = run_workflow(tmp_path, config, target, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"{cached.relative_to(tmp_path)}: sha256 {tampered}" in output, output
    assert SHA[images] in output
    assert "delete it and run again" in output
    assert not prepared.exists()  # nothing kept

    cached.unlink()  # as the message says
    run_workflow(tmp_path, config, target)
    assert server.requests(images) == requests + 2  # fetched anew
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == SHA[images]
    assert prepared.read_bytes() == first


def test_imdb_reviews_are_read_from_the_archive_and_kept_sparse(server, tmp_path):
    dataset = {"modality": "text", "source": {
        "kind": "imdb", "splits": ["train"],
        "files": {"archive": remote(server, "imdb/aclImdb_labelled.tar.gz")}},
        "text": {"vectorizer": "count", "max_features": 5000}}
    run_workflow(tmp_path, config_for("imdb", dataset), *prepared_targets("imdb"))
    rows = pd.read_csv(tmp_path / "results/imdb/prepared/rows.csv")
    assert len(rows) == 25000 and rows["label"].value_counts().tolist() == [12500, 12500]
    assert rows["id"].str.startswith("train/").all()
    features = load_matrix(tmp_path / "results/imdb/vectorized/features.npz")
    assert features.shape == (25000, 5000) and hasattr(features, "nnz")
    assert features.nnz < 0.05 * 25000 * 5000


def test_amazon_items_recipe_clusters_every_row_with_automatic_k_and_profiles(server, tmp_path):
    """The Amazon cell-phone items recipe of config.yaml (ae_items 128-16-3, K by the elbow
    and K = 8, no labels) on the shared items file through the download rule over HTTP, the
    encoder trained a few epochs."""
    config = {"run": {"datasets": ["amazon-cellphones"],
                      "pipelines": ["items_ae_kmeans", "items_ae_kmeans8"], "seeds": [0]},
              "downloads": "downloads",
              "datasets": {"amazon-cellphones": {"source": {"files": {
                  "table": remote(server, "amazon_cellphones/items.csv")}}}},
              "encoders": {"ae_items": {"epochs": 5}}}
    pipelines = config["run"]["pipelines"]
    # what the recipe gives a user to read: each run's scores, cluster profiles and 3-D view
    result = run_workflow(tmp_path, config, *(
        f"results/amazon-cellphones/pipelines/{pipeline}/seed0/{name}" for pipeline in pipelines
        for name in ("metrics.json", "profiles.png", "view3d.gif")))
    assert "choose_k" in result.stdout + result.stderr
    results = tmp_path / "results/amazon-cellphones"
    assert np.load(results / "encoded/ae_items/seed0/embedding.npy").shape == (720, 3)
    k_dir = results / "k/ae_items/none/seed0"
    k = json.loads((k_dir / "k.json").read_text())["k"]
    assert (k_dir / "elbow.png").stat().st_size > 5000
    for pipeline, expected_k in [("items_ae_kmeans", k), ("items_ae_kmeans8", 8)]:
        run = results / "pipelines" / pipeline / "seed0"
        clusters = pd.read_csv(run / "clusters.csv")
        assert len(clusters) == 720 and clusters["id"].is_unique  # every item, once
        assert clusters["cluster"].nunique() == expected_k
        metrics = json.loads((run / "metrics.json").read_text())
        assert metrics["acc"] is None and metrics["silhouette"] is not None  # no labels
        profiles = pd.read_csv(run / "profiles.csv")
        assert len(profiles) == expected_k
        assert profiles["size"].sum() == 720
        assert list(profiles.columns) == [
            "cluster", "size", "share", "brand_top", "title_words",
            *(f"{c}_{s}" for c in ["rating", "totalReviews", "price", "originalPrice"]
              for s in ["median", "mean"])]
        assert profiles["brand_top"].str.contains("%").all()
        image = np.asarray(Image.open(run / "profiles.png").convert("L"), dtype=float)
        assert image.std() > 20
        assert "<table" in (run / "profiles.html").read_text()
        # the 3-D figures of a 3-dimensional representation (rule plot_3d)
        assert Image.open(run / "view3d.gif").n_frames > 1


def _fails(tmp_path, name, dataset, message, in_download=False):
    result = run_workflow(tmp_path, config_for(name, dataset), *prepared_targets(name),
                          check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert message in output, output
    assert not (tmp_path / f"results/{name}/prepared").exists()
    if in_download:  # no temporary file left either
        assert not list((tmp_path / f"downloads/{name}").glob("*.part"))
    return output


def test_checksum_mismatch_fails_naming_both_digests_and_keeps_nothing(server, tmp_path):
    wrong = "0" * 64
    output = _fails(tmp_path, "mnist-test", mnist(server, sha256=wrong),
                    f"expected sha256 {wrong}, got {SHA['mnist/t10k-images-idx3-ubyte.gz']}",
                    in_download=True)
    assert "t10k-images-idx3-ubyte.gz" in output
    assert not list((tmp_path / "downloads/mnist-test").glob("t10k-images*"))


def test_missing_file(tmp_path):
    missing = tmp_path / "nowhere/items.csv"
    dataset = {"modality": "tabular", "labels": "none", "k": 3,
               "source": {"kind": "table", "files": {"table": {"url": str(missing)}}}}
    _fails(tmp_path, "items", dataset, f"cannot read {missing}: file not found", in_download=True)


def test_archive_that_is_not_gzip_tar(server, tmp_path):
    dataset = {"modality": "text", "source": {
        "kind": "imdb", "files": {"archive": {"url": server.url("README.md"),
                                              "filename": "aclImdb_v1.tar.gz"}}}}
    # not named imdb: config.yaml's imdb would add the real archive's sha256
    _fails(tmp_path, "reviews", dataset, "aclImdb_v1.tar.gz: not a readable gzip/tar archive")


@pytest.mark.parametrize("case", ["empty", "absent column", "one class", "not numeric"])
def test_bad_tables_name_the_file_and_column(tmp_path, case):
    table = tmp_path / "table.csv"
    columns = {"x": "numeric", "kind": "categorical"}
    body = {"empty": "",
            "absent column": "x,kind\n1,a\n2,b\n",
            "one class": "x,kind,y\n1,a,p\n2,b,p\n3,a,p\n",
            "not numeric": "x,kind\n1,a\nabc,b\n"}[case]
    table.write_text(body)
    if case == "absent column":
        columns["size"] = "numeric"
    if case == "one class":
        columns["y"] = "label"
    message = {"empty": f"{table}: no rows",
               "absent column": "declared column 'size' (numeric) is not in the table",
               "one class": "label column 'y' has a single class ('p')",
               "not numeric": "column 'x' is declared numeric but row 2 has 'abc'"}[case]
    dataset = {"modality": "tabular", "k": 2, "labels": "builtin" if case == "one class"
               else "none", "source": {"kind": "table", "columns": columns,
                                       "files": {"table": {"url": str(table)}}}}
    _fails(tmp_path, "items", dataset, message)
