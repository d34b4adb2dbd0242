"""A bad config stops Snakemake before any job runs, with a message naming the key."""

import copy
import re
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT, SNAKEFILE, planned_jobs, run_workflow, tiny_config

from deepclust.workflow.config import ConfigError, check_config, deep_merge, validate_config

#: the workflow's own config.yaml, the base every --configfile is merged over
BASE = yaml.safe_load((ROOT / "config.yaml").read_text())


def _broken(edit):
    config = tiny_config(seeds=(0,))
    edit(config)
    return config


CASES = {
    "unknown pipeline step": (
        lambda c: c["pipelines"]["n2d"].update(reducr="umap"),
        "config key 'pipelines.n2d': Additional properties are not allowed ('reducr' was "
        "unexpected)"),
    "negative epochs": (
        lambda c: c["encoders"]["ae"].update(epochs=-5),
        "config key 'encoders.ae.epochs': -5 is less than the minimum of 1"),
    "undefined clusterer": (
        lambda c: c["pipelines"]["n2d"].update(clusterer="spectral"),
        "pipelines.n2d.clusterer: 'spectral' is not defined under 'clusterers' "
        f"(defined: {', '.join(sorted({*BASE['clusterers'], *tiny_config()['clusterers']}))})"),
    "missing required key": (  # a new dataset: digits would get its source from config.yaml
        lambda c: c["datasets"].update(tiny={"modality": "image"}),
        "config key 'datasets.tiny': 'source' is a required property"),
    "empty run section": (  # `run:` with nothing under it (config.yaml's run is the base)
        lambda c: c.update(run=None),
        "config key 'run': None is not of type 'object'"),
    "unknown clusterer kind": (
        lambda c: c["clusterers"].update(spectral={"kind": "spectral"}),
        "config key 'clusterers.spectral.kind': 'spectral' is not one of"),
    "unknown clusterer setting": (
        lambda c: c["clusterers"]["dbscan"].update(n_init=3),
        "config key 'clusterers.dbscan': Additional properties are not allowed ('n_init'"),
    "undefined pipeline in run": (
        lambda c: c["run"]["pipelines"].append("vade"),
        "run.pipelines[6]: 'vade' is not defined under 'pipelines'"),
    "k from labels of an unlabelled dataset": (
        lambda c: c["datasets"]["digits"].update(labels="none", k="labels"),
        "datasets.digits.k: 'labels' needs a labelled dataset"),
    "metric without exact neighbours": (
        lambda c: c["reducers"]["umap"].update(metric="hellinger"),
        "reducers.umap.metric: 'hellinger' has no exact nearest-neighbour search (exact: "
        "braycurtis, canberra, chebyshev, correlation, cosine, euclidean, manhattan, "
        "minkowski); set reducers.umap.knn: approximate"),
    "no threads": (
        lambda c: c.update(threads=0),
        "config key 'threads': 0 is less than the minimum of 1"),
    "text modality on images": (
        lambda c: c["datasets"]["digits"].update(modality="text"),
        "datasets.digits.modality: 'text' cannot read a source of kind 'sklearn' "
        "(datasets.digits.source.kind); text rows come from: imdb, table"),
    "text table without a declared text column": (  # would vectorize the column names
        lambda c: c["datasets"].update(news={
            "modality": "text", "source": {"kind": "table", "files": {"table": {"url": "n.csv"}},
                                           "columns": {"category": "label"}}}),
        "datasets.news.source.columns: modality 'text' clusters the rows by their text "
        "columns, but no column is declared text; declare them, e.g. {headline: text, "
        "body: text, category: label}"),
    "DEC without an autoencoder": (
        lambda c: (c["clusterers"].update(dec={"kind": "dec"}),
                   c["pipelines"].update(raw_dec={"clusterer": "dec"})),
        "pipelines.raw_dec: clusterer 'dec' is DEC, which trains an autoencoder's encoder, but "
        "the pipeline has no encoder; set pipelines.raw_dec.encoder to an autoencoder"),
    "IDEC after a reducer": (
        lambda c: (c["clusterers"].update(idec={"kind": "idec"}),
                   c["pipelines"].update(umap_idec={"encoder": "ae", "reducer": "umap",
                                                    "clusterer": "idec"})),
        "pipelines.umap_idec: IDEC clusters the encoder's own embedding; set "
        "pipelines.umap_idec.reducer to 'none' (got 'umap')"),
    "convolutional autoencoder on non-image data": (
        lambda c: (c["encoders"].update(conv={"kind": "conv_autoencoder"}),
                   c["pipelines"].update(conv_kmeans={"encoder": "conv", "clusterer": "kmeans"}),
                   c["run"]["pipelines"].append("conv_kmeans"),
                   c["datasets"]["digits"].update(modality="tabular")),
        "pipelines.conv_kmeans.encoder: 'conv' is a convolutional autoencoder, which needs "
        "image data, but run.datasets has 'digits' (modality 'tabular')"),
    "augmentation without a rotation": (  # a new encoder: ae's would be merged with the base's
        lambda c: c["encoders"].update(small={"kind": "dense_autoencoder",
                                              "augment_images": {"shift": 0.1}}),
        "config key 'encoders.small.augment_images': 'rotation' is a required property"),
    "convolution settings on a dense autoencoder": (
        lambda c: c["encoders"]["ae"].update(filters=[8, 16]),
        "encoders.ae.filters: only a conv_autoencoder has filters (this encoder is a "
        "dense_autoencoder)"),
    "DEC started from an undefined pipeline": (
        lambda c: c["clusterers"].update(dec={"kind": "dec", "init_from": "n2d_lnog"}),
        "clusterers.dec.init_from: 'n2d_lnog' is not defined under 'pipelines' (defined: "),
    "DEC started from a DEC pipeline": (
        lambda c: (c["clusterers"].update(dec={"kind": "dec"},
                                          dec2={"kind": "dec", "init_from": "ae_dec"}),
                   c["pipelines"].update(ae_dec={"encoder": "ae", "clusterer": "dec"})),
        "clusterers.dec2.init_from: pipeline 'ae_dec' is itself DEC/IDEC; start from a "
        "pipeline with another clusterer (e.g. UMAP + GMM on the same autoencoder)"),
    "DEC on a contrastive encoder": (
        lambda c: c["pipelines"].update(contrastive_dec={"encoder": "contrastive",
                                                         "clusterer": "dec"}),
        "pipelines.contrastive_dec: DEC fine-tunes a pretrained autoencoder, but encoder "
        "'contrastive' is a contrastive encoder"),
    "bad k": (
        lambda c: c["datasets"]["digits"].update(k="many"),
        "config key 'datasets.digits.k': 'many' is not of type 'integer' or 'many' is not one "
        "of ['labels', 'auto']"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_config_is_named_by_its_key(case):
    """What the Snakefile checks before planning (validate_config, on config.yaml with the
    --configfile merged over it), in this process."""
    edit, message = CASES[case]
    with pytest.raises(ConfigError) as raised:
        validate_config(deep_merge(BASE, _broken(edit)))
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


#: one schema error and one of check_config's, through Snakemake
STOPPING = ["negative epochs", "undefined clusterer"]


@pytest.mark.workflow
@pytest.mark.parametrize("case", STOPPING)
def test_bad_config_stops_before_any_job_with_the_key_named(tmp_path, case):
    edit, message = CASES[case]
    result = run_workflow(tmp_path, _broken(edit), "--dry-run", check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Invalid config: " + message in output, output
    assert "Job stats" not in output
    assert not (tmp_path / "results").exists()


@pytest.mark.workflow
def test_a_seed_of_2_to_the_32_or_more_stops_before_any_job(tmp_path):
    """NumPy, Keras and TensorFlow take seeds in [0, 2**32): a larger seed is a config error,
    not a failure of the first job that seeds a generator."""
    result = run_workflow(tmp_path, tiny_config(seeds=(0, 2**32)), "--dry-run", check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert [line for line in output.splitlines() if line.startswith("Invalid config")] == [
        "Invalid config: config key 'run.seeds.1': 4294967296 is greater than the maximum of "
        "4294967295"], output
    assert "Job stats" not in output
    assert not (tmp_path / "results").exists()
    largest = run_workflow(tmp_path / "largest", tiny_config(seeds=(2**32 - 1,)), "--dry-run")
    assert "seed4294967295" in largest.stdout + largest.stderr


@pytest.mark.workflow
def test_defaults_are_filled_in(tmp_path):
    config = tiny_config(seeds=(0,))
    # a new encoder (ae would take its settings from config.yaml's ae): schema defaults only
    config["encoders"]["plain"] = {"kind": "dense_autoencoder"}
    config["pipelines"]["plain_kmeans"] = {"encoder": "plain", "clusterer": "kmeans"}
    config["run"]["pipelines"] = ["plain_kmeans"]
    result = run_workflow(tmp_path, config, "--dry-run")
    assert planned_jobs(result.stdout + result.stderr)["train_autoencoder"] == 1
    # what the workflow validates (config.yaml, the configfile merged over it) gets the
    # schema's defaults: those of a dense autoencoder, figures, a dataset's k and scaling
    merged = validate_config(deep_merge(BASE, config))
    assert merged["encoders"]["plain"] == {
        "kind": "dense_autoencoder", "hidden_units": [500, 500, 2000], "gpu": False,
        "embedding_dim": 10, "activation": "relu", "optimizer": "adam", "learning_rate": 0.001,
        "learning_rate_decay": None, "loss": "mse", "precision": "float32", "epochs": 50,
        "batch_size": 256, "validation_split": 0.1,
        "early_stopping": {"patience": 10, "min_delta": 0.0}}
    assert merged["pipelines"]["plain_kmeans"]["reducer"] == "none"
    assert merged["datasets"]["digits"]["labels"] == "builtin"
    assert merged["figures"] == {"view": "pca", "view_3d": "none", "seeds": "first"}


@pytest.mark.workflow
def test_dec_started_from_n2d_plans_the_start_pipelines_clusters_only(tmp_path):
    """config.yaml's dec starts from n2d_long's clusters of the same seed: running dec alone
    plans n2d_long's UMAP and clustering, one pretraining shared by both, and nothing of
    n2d_long's evaluation or figures."""
    config = {"run": {"datasets": ["digits"], "pipelines": ["dec"], "seeds": [0, 1]}}
    result = run_workflow(tmp_path, config, "--dry-run")
    output = result.stdout + result.stderr
    jobs = planned_jobs(output)
    seeds = 2
    assert jobs["train_autoencoder"] == seeds and jobs["reduce_embedding"] == seeds
    assert jobs["cluster"] == seeds and jobs["cluster_dec"] == seeds  # n2d_long's GMM, DEC
    evaluated = re.findall(r"rule evaluate:.*?wildcards: [^\n]*pipeline=(\w+)", output, re.S)
    assert evaluated == ["dec"] * seeds


def test_check_config_accepts_a_valid_config():
    config = tiny_config()
    for spec in config["pipelines"].values():
        spec.setdefault("encoder", "none")
        spec.setdefault("reducer", "none")
    for spec in config["datasets"].values():
        spec.setdefault("labels", "builtin")
    check_config(copy.deepcopy(config))
    config["pipelines"]["kmeans"]["encoder"] = "vae"
    with pytest.raises(ConfigError, match=r"^pipelines\.kmeans\.encoder: 'vae' is not defined"):
        check_config(config)


#: a partial config, as a user writes one: only what it changes (config.yaml supplies the rest)
PARTIAL = {"run": {"datasets": ["digits"], "pipelines": ["kmeans", "ae_kmeans"], "seeds": [0]},
           "encoders": {"ae": {"hidden_units": [32], "epochs": 2}}}
PARTIAL_JOBS = {"prepare_dataset": 1, "vectorize_features": 1, "train_autoencoder": 1,
                "project_2d": 2, "cluster": 2, "evaluate": 2,
                "plot_clusters": 2, "plot_confusion_matrix": 2, "plot_examples": 2,
                "leaderboard": 1, "plot_leaderboard": 1, "all": 1}


@pytest.mark.workflow
def test_a_partial_configfile_extends_the_workflows_config_with_directory(tmp_path):
    """`--directory runs/a --configfile runs/a/config.yaml`: the workflow's own config.yaml is
    the base (not a config.yaml in runs/a), and nested keys (encoders.ae) are merged."""
    result = run_workflow(tmp_path / "runs/a", PARTIAL, "--dry-run", check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert planned_jobs(output) == PARTIAL_JOBS


@pytest.mark.workflow
def test_a_partial_configfile_extends_the_workflows_config_from_another_folder(tmp_path):
    """Snakemake run in a folder that is not the workflow's, without --directory."""
    (tmp_path / "my.yaml").write_text(yaml.safe_dump(PARTIAL))
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE), "--cores", "2",
           "--configfile", "my.yaml", "--dry-run"]
    result = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert planned_jobs(output) == PARTIAL_JOBS
