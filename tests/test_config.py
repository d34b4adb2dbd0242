"""A bad config stops Snakemake before any job runs, with a message naming the key."""

import copy

import pytest

from conftest import run_workflow, tiny_config
from deepclust.config import ConfigError, check_config


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
        "(defined: dbscan, gmm, hdbscan, kmeans)"),
    "missing required key": (
        lambda c: c["datasets"]["digits"].pop("source"),
        "config key 'datasets.digits': 'source' is a required property"),
    "missing run section": (
        lambda c: c.pop("run"),
        "config key '(top level)': 'run' is a required property"),
    "unknown clusterer kind": (
        lambda c: c["clusterers"].update(spectral={"kind": "spectral"}),
        "config key 'clusterers.spectral.kind': 'spectral' is not one of"),
    "unknown clusterer setting": (
        lambda c: c["clusterers"]["dbscan"].update(n_init=3),
        "config key 'clusterers.dbscan': Additional properties are not allowed ('n_init'"),
    "undefined pipeline in run": (
        lambda c: c["run"]["pipelines"].append("dec"),
        "run.pipelines[6]: 'dec' is not defined under 'pipelines'"),
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
    "augmentation without a rotation": (
        lambda c: c["encoders"]["ae"].update(augment_images={"shift": 0.1}),
        "config key 'encoders.ae.augment_images': 'rotation' is a required property"),
    "convolution settings on a dense autoencoder": (
        lambda c: c["encoders"]["ae"].update(filters=[8, 16]),
        "encoders.ae.filters: only a conv_autoencoder has filters (this encoder is a "
        "dense_autoencoder)"),
    "bad k": (
        lambda c: c["datasets"]["digits"].update(k="many"),
        "config key 'datasets.digits.k': 'many' is not of type 'integer' or 'many' is not one "
        "of ['labels', 'auto']"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_config_stops_before_any_job_with_the_key_named(tmp_path, case):
    edit, message = CASES[case]
    result = run_workflow(tmp_path, _broken(edit), "--dry-run", check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Invalid config: " + message in output, output
    assert "Job stats" not in output
    assert not (tmp_path / "results").exists()


def test_defaults_are_filled_in(tmp_path):
    config = tiny_config(seeds=(0,))
    del config["encoders"]["ae"]["batch_size"]
    result = run_workflow(tmp_path, config, "--dry-run", "--printshellcmds")
    assert result.returncode == 0


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
