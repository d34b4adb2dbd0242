"""Clustering new data (``python -m deepclust.assign``) with pipelines the workflow trained,
on digits rows held out from training; DEC/IDEC outputs and confusion matrices of those runs."""

import functools
import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, run_workflow, tiny_config
from sklearn.datasets import load_digits

from deepclust.evaluate.matching import cluster_accuracy

pytestmark = pytest.mark.workflow  # most tests share a workflow run (the trained fixture)

N_TRAIN = 1500  # digits rows 0..1499 train the pipelines; rows 1500..1796 are new data
N_DIGITS = 1797
# DBSCAN/HDBSCAN: test_cluster.py
PIPELINES = ["kmeans", "ae_kmeans", "n2d", "dec", "idec", "ae_som"]
#: pipelines whose command output must equal their clusters.csv on the training rows
#: (UMAP places re-submitted rows by transform, close to but not exactly where fit put them)
EXACT = ["kmeans", "ae_kmeans", "dec", "idec", "ae_som"]


def _config(max_rows=N_TRAIN, pipelines=PIPELINES):
    config = tiny_config(seeds=(0,))
    config["datasets"]["digits"]["max_rows"] = max_rows
    # plain batches (config.yaml's dec and idec, which this merges over, augment them)
    dec = {"n_init": 5, "update_interval": 20, "maxiter": 300, "augment_images": None}
    config["clusterers"].update(dec={"kind": "dec", **dec}, idec={"kind": "idec", **dec})
    config["pipelines"].update(dec={"encoder": "ae", "clusterer": "dec"},
                               idec={"encoder": "ae", "clusterer": "idec"})
    config["run"]["pipelines"] = list(pipelines)
    return config


#: the figures these tests look at: the confusion matrices of the pipelines the tiny run
#: has not (tests/test_workflow.py checks its), DEC's and IDEC's views
FIGURES = {"ae_som": ["confusion.png"],
           **{pipeline: ["confusion.png", "clusters.png", "dec_progress.png"]
              for pipeline in ("dec", "idec")}}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("assign")
    run_workflow(workdir, _config(), *(f"results/digits/pipelines/{pipeline}/seed0/{name}"
                                       for pipeline in PIPELINES
                                       for name in ["metrics.json", *FIGURES.get(pipeline, [])]))
    digits = load_digits()
    np.save(workdir / "all_rows.npy", digits.data)  # rows 0..N_TRAIN-1 trained the pipelines
    np.save(workdir / "new_rows.npy", digits.data[N_TRAIN:])
    return workdir, digits.target


@functools.cache  # tests that ask for the same assignment share one command run
def assign(workdir, pipeline, rows_file, seed=0, out=None):
    out = out or workdir / f"assigned_{pipeline}_seed{seed}_{rows_file.stem}.csv"
    cmd = [sys.executable, "-m", "deepclust.assign", "--dataset", "digits", "--pipeline",
           pipeline, "--seed", str(seed), "--file", f"rows={rows_file}", "--output", str(out),
           "--config", str(workdir / "config.yaml"), "--results", str(workdir / "results")]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    return result, out


def _run_dir(workdir, pipeline):
    return workdir / "results" / "digits" / "pipelines" / pipeline / "seed0"


def assign_all_rows(workdir, pipeline):
    """One command run per pipeline on every digits row, the training rows first then the new
    ones: its output in row order, and the command's result."""
    result, out = assign(workdir, pipeline, workdir / "all_rows.npy")
    assert result.returncode == 0, result.stderr
    assert f"{N_DIGITS} rows -> {out}" in result.stdout
    assigned = pd.read_csv(out)
    assert assigned["id"].tolist() == list(range(N_DIGITS))
    return assigned


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_command_reproduces_the_pipelines_clusters_on_its_training_rows(trained, pipeline):
    workdir, _ = trained
    got = assign_all_rows(workdir, pipeline).iloc[:N_TRAIN]
    expected = pd.read_csv(_run_dir(workdir, pipeline) / "clusters.csv")
    assert len(expected) == N_TRAIN
    if pipeline in EXACT:
        np.testing.assert_array_equal(got["cluster"], expected["cluster"])
    else:
        assert np.mean(got["cluster"] == expected["cluster"]) >= 0.95


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_held_out_rows_are_clustered_as_well_as_the_training_rows(trained, pipeline):
    workdir, target = trained
    new = assign_all_rows(workdir, pipeline)["cluster"].to_numpy()[N_TRAIN:]
    assert len(new) == len(target) - N_TRAIN
    # the same clusters, measured against the classes: held-out ACC under the matching the
    # pipeline's own clusters have with the training rows' classes
    train = pd.read_csv(_run_dir(workdir, pipeline) / "clusters.csv")["cluster"].to_numpy()
    both = cluster_accuracy(target, np.concatenate([train, new]))
    trained_acc = json.loads((_run_dir(workdir, pipeline) / "metrics.json").read_text())["acc"]
    assert both >= trained_acc - 0.03, (both, trained_acc)
    assert cluster_accuracy(target[N_TRAIN:], new) >= trained_acc - 0.1


def test_dec_runs_leave_model_soft_assignments_history_and_figures(trained):
    workdir, _ = trained
    for pipeline in ("dec", "idec"):
        run = _run_dir(workdir, pipeline)
        soft = pd.read_csv(run / "soft_assignments.csv")
        assert list(soft.columns) == ["id"] + [f"q{j}" for j in range(10)]
        np.testing.assert_allclose(soft.iloc[:, 1:].sum(axis=1), 1.0, atol=1e-4)
        clusters = pd.read_csv(run / "clusters.csv")
        np.testing.assert_array_equal(soft.iloc[:, 1:].to_numpy().argmax(axis=1),
                                      clusters["cluster"])
        history = pd.read_csv(run / "dec_history.csv")
        assert {"iteration", "loss", "label_change", "acc", "nmi"} <= set(history.columns)
        assert history["iteration"].iloc[0] == 0 and len(history) >= 2
        if pipeline == "idec":
            assert {"kl_loss", "reconstruction_loss"} <= set(history.columns)
        log = (workdir / "results" / "logs" / "cluster_dec" / "digits" / pipeline /
               "seed0.log").read_text()
        assert f"{pipeline.upper()} iteration 20: " in log and "label_change" in log
    for pipeline, figures in FIGURES.items():  # a confusion matrix each: labelled data
        for figure in figures:
            assert (_run_dir(workdir, pipeline) / figure).stat().st_size > 10_000, figure


def test_command_errors_name_what_is_wrong_and_write_nothing(trained):
    workdir, _ = trained
    result, out = assign(workdir, "dec", workdir / "new_rows.npy", seed=7)
    assert result.returncode == 2 and not out.exists()
    assert "pipeline 'dec' (seed 7) on 'digits' has not been trained: missing " in result.stderr
    assert "seed7/dec.keras; run the workflow with it first" in result.stderr
    narrow = workdir / "narrow.npy"
    np.save(narrow, np.zeros((5, 10)))
    result, out = assign(workdir, "ae_kmeans", narrow)
    assert result.returncode == 2 and not out.exists()
    assert "error: the new rows have 10 features but the vectorizer was trained on 64" \
        in result.stderr
    result, out = assign(workdir, "spectral", narrow)
    assert "error: pipeline 'spectral' is not in the config (defined: ae_isomap_kmeans" \
        in result.stderr


def _write_csv(path, rows, cells=None):
    """Rows as a header-less CSV; ``cells`` maps (row, column) to the raw text of that cell."""
    lines = []
    for i, row in enumerate(rows):
        values = [f"{v:g}" for v in row]
        for (r, c), text in (cells or {}).items():
            if r == i:
                values[c] = text
        lines.append(",".join(values))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_every_input_row_comes_out_in_order_and_a_row_with_a_missing_value_is_unassigned(
        trained):
    """5 rows in, 5 rows out (the command used to drop the NaN row silently: 4 rows out)."""
    workdir, _ = trained
    rows = np.load(workdir / "new_rows.npy")[:5]
    result, out = assign(workdir, "kmeans", _write_csv(workdir / "five_rows.csv", rows,
                                                       {(2, 7): "nan"}))
    assert result.returncode == 0, result.stderr
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert got["id"].tolist() == ["0", "1", "2", "3", "4"]
    assert got["cluster"][2] == "unassigned"
    assert got["reason"].tolist() == ["", "", "missing or infinite value", "", ""]
    placed = assign_all_rows(workdir, "kmeans")["cluster"].astype(str).tolist()[N_TRAIN:]
    assert got["cluster"].tolist() == placed[:2] + ["unassigned"] + placed[3:5]
    assert f"5 rows -> {out}; 1 unassigned (missing or infinite value: 1);" in result.stdout


def test_empty_and_infinite_cells_leave_dec_rows_unassigned_with_empty_soft_assignments(
        trained):
    workdir, _ = trained
    rows = np.load(workdir / "new_rows.npy")[:6]
    result, out = assign(workdir, "dec", _write_csv(workdir / "six_rows.csv", rows,
                                                    {(0, 0): "", (4, 63): "inf"}))
    assert result.returncode == 0, result.stderr
    got = pd.read_csv(out)
    assert list(got.columns) == ["id", "cluster", "reason"] + [f"q{j}" for j in range(10)]
    assert got["id"].tolist() == list(range(6))
    unassigned = (got["cluster"] == "unassigned").to_numpy()
    np.testing.assert_array_equal(unassigned, [True, False, False, False, True, False])
    assert got.loc[unassigned, "reason"].tolist() == ["missing or infinite value"] * 2
    assert got.loc[~unassigned, "reason"].isna().all()  # empty
    assert got.loc[unassigned, "q0"].isna().all()
    np.testing.assert_allclose(got.loc[~unassigned, [f"q{j}" for j in range(10)]].sum(axis=1),
                               1.0, atol=1e-4)
    assert f"6 rows -> {out}; 2 unassigned (missing or infinite value: 2);" in result.stdout


def test_a_truncated_model_file_is_named_as_unreadable(trained, tmp_path):
    """Not "File not found" (what Keras says of a truncated .keras file) nor a traceback."""
    workdir, _ = trained
    shutil.copy(workdir / "config.yaml", tmp_path / "config.yaml")
    shutil.copytree(workdir / "results" / "digits", tmp_path / "results" / "digits",
                    ignore=shutil.ignore_patterns("*.png", "logs"))
    encoded = tmp_path / "results" / "digits" / "encoded" / "ae" / "seed0" / "autoencoder.keras"
    clusterer = _run_dir(tmp_path, "kmeans") / "clusterer.joblib"
    for model, pipeline in ((encoded, "ae_kmeans"), (clusterer, "kmeans")):
        model.write_bytes(model.read_bytes()[:model.stat().st_size // 2])
        result, out = assign(tmp_path, pipeline, workdir / "new_rows.npy")
        assert result.returncode == 2 and not out.exists(), result.stderr
        assert f"error: {model}: unreadable" in result.stderr
        assert "truncated or corrupt" in result.stderr
        assert "delete it and rerun the workflow to recreate it" in result.stderr
        assert "not found" not in result.stderr.lower() and "Traceback" not in result.stderr


def test_texts_that_clean_to_nothing_are_unassigned_in_their_place(tmp_path):
    from deepclust.assign import place, read_text_lines
    from deepclust.data.datasets import Dataset, clean

    texts = tmp_path / "texts.txt"
    texts.write_text("great movie\n\nthe and of it\n<br />\nawful acting\n")
    lines = read_text_lines(texts)
    loaded = Dataset(lines, np.arange(len(lines)), None, {"modality": "text"})
    new = clean(loaded, "new rows", {"strip_html": True, "lowercase": True,
                                     "stop_words": "english"})
    assert new.data == ["great movie", "awful acting"]
    out = place(loaded, new, np.array([1, 0]))
    empty = "no text left after cleaning"
    assert out["id"].tolist() == [0, 1, 2, 3, 4]
    assert out["cluster"].tolist() == [1, "unassigned", "unassigned", "unassigned", 0]
    assert out["reason"].tolist() == ["", empty, empty, empty, ""]


def test_the_output_folder_is_created_when_missing(trained, tmp_path):
    workdir, _ = trained
    wanted = tmp_path / "not" / "yet" / "clusters.csv"
    result, out = assign(workdir, "kmeans", workdir / "new_rows.npy", out=wanted)
    assert result.returncode == 0, result.stderr
    assert out == wanted and len(pd.read_csv(out)) == N_DIGITS - N_TRAIN
    assert f"{N_DIGITS - N_TRAIN} rows -> {out}; 0 unassigned; rows per cluster: " in result.stdout
    assert [p.name for p in out.parent.iterdir()] == ["clusters.csv"]  # no partial file left


def test_k_larger_than_the_rows_stops_before_any_training(tmp_path):
    config = _config(pipelines=["dec"])
    config["datasets"]["digits"]["k"] = 5000
    result = run_workflow(tmp_path, config, check=False)
    assert result.returncode != 0
    assert "datasets.digits.k: K=5000 is larger than the number of rows (1500)" in result.stderr
    assert not (tmp_path / "results" / "digits" / "encoded").exists()
    assert not (tmp_path / "results" / "digits" / "prepared" / "rows.csv").exists()
