"""The library's learnable steps as scikit-learn estimators: their defaults are the config
schema's, they follow scikit-learn's conventions, and DEC runs on an array without the
workflow."""

import inspect
import subprocess
import sys

import numpy as np
import pytest
import yaml
from conftest import ROOT
from sklearn.base import clone
from sklearn.datasets import make_blobs

from deepclust.cluster.clusterers import CLUSTERERS
from deepclust.cluster.dec import DEC, DEEP_CLUSTERERS, IDEC
from deepclust.cluster.kmeans import KMeans
from deepclust.cluster.som import SOMClusterer
from deepclust.encoders.estimators import ENCODERS, ContrastiveEncoder, ConvAutoencoder, \
    DenseAutoencoder
from deepclust.evaluate.matching import cluster_accuracy
from deepclust.reduce.reducers import REDUCERS, UMAP, TruncatedSVD

SCHEMA = yaml.safe_load((ROOT / "schemas/config.schema.yaml").read_text())
#: estimator -> (schema definition, kind, config keys that are no parameter of it, and why)
ESTIMATORS = {
    DEC: ("clusterer", "dec", {"init_from": "the workflow turns it into init (the clusters)",
                               "gamma": "IDEC only"}),
    IDEC: ("clusterer", "idec", {"init_from": "the workflow turns it into init"}),
    DenseAutoencoder: ("encoder", "dense_autoencoder", {
        "gpu": "where the workflow's job runs", "filters": "conv_autoencoder only",
        "kernel_sizes": "conv_autoencoder only"}),
    ConvAutoencoder: ("encoder", "conv_autoencoder", {
        "gpu": "where the workflow's job runs", "hidden_units": "dense_autoencoder only"}),
    ContrastiveEncoder: ("encoder", "contrastive", {"gpu": "where the workflow's job runs"}),
    SOMClusterer: ("clusterer", "som", {"random_seed": "the workflow's seed, random_state",
                                        "n_clusters": "the dataset's k unless set"}),
    KMeans: ("clusterer", "kmeans", {"n_clusters": "the dataset's k"}),
    UMAP: ("reducer", "umap", {}),
    TruncatedSVD: ("reducer", "svd", {}),
}
#: each stage's registries and the schema definition of its config entries
REGISTRIES = {"clusterer": {**CLUSTERERS, **DEEP_CLUSTERERS}, "reducer": REDUCERS,
              "encoder": ENCODERS}
#: config keys the workflow reads itself, which no class takes, and why
WORKFLOW_KEYS = {"gpu": "where the encoder's job runs", "init_from": "becomes DEC's init",
                 "random_seed": "becomes random_state", "n_clusters": "becomes the run's K"}


def _keys(definition: str, kind: str) -> dict:
    """The properties of the schema's variant for ``kind``."""
    for branch in SCHEMA["$defs"][definition]["allOf"]:
        condition = branch["if"]["properties"]["kind"]
        if kind in condition.get("enum", [condition.get("const")]):
            then = branch["then"]
            if "$ref" in then:
                then = SCHEMA["$defs"][then["$ref"].split("/")[-1]]
            return {k: v for k, v in then["properties"].items() if k != "kind"}
    raise KeyError(kind)


@pytest.mark.parametrize("estimator", list(ESTIMATORS), ids=lambda e: e.__name__)
def test_schema_defaults_equal_the_signatures(estimator):
    definition, kind, not_parameters = ESTIMATORS[estimator]
    parameters = inspect.signature(estimator).parameters
    for key, node in _keys(definition, kind).items():
        if key in not_parameters:
            assert key not in parameters or key == "n_clusters"
            continue
        assert key in parameters, f"{estimator.__name__} has no parameter {key}"
        if "default" in node and node["default"] != {}:
            default = parameters[key].default
            default = list(default) if isinstance(default, tuple) else default
            assert default == node["default"], (estimator.__name__, key)


@pytest.mark.parametrize("definition", list(REGISTRIES))
def test_every_kind_of_the_schema_is_a_registered_class_taking_its_keys(definition):
    """A config entry becomes ``REGISTRY[kind](**params)``: every kind the schema allows has
    a class, and each of its keys is a parameter of that class (scikit-learn's own classes
    keep their defaults; the schema's are the workflow's)."""
    registry = REGISTRIES[definition]
    kinds = {kind for branch in SCHEMA["$defs"][definition]["allOf"]
             for kind in branch["if"]["properties"]["kind"].get(
                 "enum", [branch["if"]["properties"]["kind"].get("const")])}
    assert kinds == set(registry)
    for kind, estimator in registry.items():
        others = ESTIMATORS.get(estimator, (None, None, {}))[2]  # keys of a shared schema block
        keys = set(_keys(definition, kind)) - set(WORKFLOW_KEYS) - set(others)
        missing = keys - set(estimator._get_param_names())
        assert not missing, f"{kind}: {estimator.__name__} takes no {sorted(missing)}"


def test_a_saved_encoder_loads_in_a_fresh_process(tmp_path):
    """Loading needs no module but the one that loads (the optimizer the model names is
    registered by it)."""
    x, _ = make_blobs(n_samples=60, centers=2, n_features=5, random_state=0)
    DenseAutoencoder(hidden_units=[4], embedding_dim=2, epochs=1, batch_size=32,
                     threads=1).fit(x).save(tmp_path / "encoder.keras")
    code = ("import sys; from deepclust.encoders.training import load_autoencoder; "
            "print(load_autoencoder(sys.argv[1]).get_layer('embedding').units)")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "encoder.keras")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-1] == "2"


@pytest.mark.parametrize("estimator", list(ESTIMATORS), ids=lambda e: e.__name__)
def test_init_only_stores_keyword_parameters(estimator):
    parameters = list(inspect.signature(estimator).parameters.values())
    assert all(p.kind == p.KEYWORD_ONLY for p in parameters[1:])  # n_clusters may be positional
    made = estimator()
    assert made.get_params() == {p.name: p.default for p in parameters}
    assert clone(made).get_params() == made.get_params()
    assert not [name for name in vars(made) if name.endswith("_")]  # nothing fitted yet


def test_dec_on_an_array_without_the_workflow():
    """What the Python API page shows, on blobs: pretrain, then DEC, then labels_ and
    predict agree."""
    x, y = make_blobs(n_samples=300, centers=3, n_features=8, cluster_std=1.0, random_state=0)
    x = x.astype("float32")
    autoencoder = DenseAutoencoder(hidden_units=[16], embedding_dim=3, epochs=5,
                                   batch_size=32, validation_split=0.0, threads=1).fit(x)
    assert autoencoder.transform(x).shape == (300, 3)
    dec = DEC(3, encoder=autoencoder.model_, n_init=5, update_interval=5, maxiter=40,
              batch_size=64).fit(x)
    assert cluster_accuracy(y, dec.labels_) > 0.95
    np.testing.assert_array_equal(dec.predict(x), dec.labels_)
    idec = IDEC(3, encoder=autoencoder.model_, init=dec.labels_, maxiter=10).fit(x)
    assert idec.method == "IDEC" and cluster_accuracy(y, idec.labels_) > 0.95


@pytest.mark.parametrize("encoder", [
    ConvAutoencoder(image_shape=(8, 8), filters=[8, 16], kernel_sizes=[3, 3], embedding_dim=4,
                    epochs=2, batch_size=64, threads=1),
    ContrastiveEncoder(image_shape=(8, 8), filters=[8, 16], kernel_sizes=[3, 3],
                       embedding_dim=8, projection_dim=8, epochs=2, batch_size=64, threads=1),
    ContrastiveEncoder(hidden_units=[32], embedding_dim=8, projection_dim=8, epochs=2,
                       batch_size=64, threads=1)],
    ids=["conv", "contrastive-cnn", "contrastive-mlp"])
def test_every_encoder_fits_and_embeds(encoder):
    from sklearn.datasets import load_digits

    x = (load_digits().data[:300] / 16).astype("float32")
    embedding = encoder.fit(x).transform(x)
    assert embedding.shape == (300, encoder.embedding_dim) and np.isfinite(embedding).all()
    assert len(encoder.history_["loss"]) == 2


def test_a_conv_autoencoder_needs_the_image_shape():
    with pytest.raises(ValueError, match="ConvAutoencoder needs the images' image_shape"):
        ConvAutoencoder(epochs=1).fit(np.zeros((10, 64), dtype="float32"))


def test_a_saved_encoder_loads_and_embeds_alike(tmp_path):
    x, _ = make_blobs(n_samples=100, centers=2, n_features=6, random_state=1)
    encoder = DenseAutoencoder(hidden_units=[8], embedding_dim=2, epochs=2, batch_size=32,
                               threads=1).fit(x)
    encoder.save(tmp_path / "encoder.keras")
    again = DenseAutoencoder.load(tmp_path / "encoder.keras")
    np.testing.assert_array_equal(again.transform(x), encoder.transform(x))


def test_the_som_passes_scikit_learns_estimator_checks():
    """All of them (array-API input is skipped by scikit-learn itself without the
    array-api-compat package)."""
    from sklearn.utils.estimator_checks import check_estimator

    results = check_estimator(SOMClusterer(n_clusters=3, epochs=2), on_fail=None)
    assert [r["check_name"] for r in results if r["status"] == "failed"] == []
    assert len(results) > 40


#: scikit-learn's checks that apply to DEC and IDEC. The others fit on data of their own
#: making, of any width, while DEC fine-tunes a given autoencoder that takes one width only:
#: they cannot apply (test_dec_on_an_array_without_the_workflow fits, predicts and reads
#: labels_ instead, and tests/test_dec.py checks determinism, i.e. idempotent fits)
DEC_CHECKS = ["check_parameters_default_constructible", "check_no_attributes_set_in_init",
              "check_get_params_invariance", "check_set_params"]


@pytest.mark.parametrize("check", DEC_CHECKS)
@pytest.mark.parametrize("estimator", [DEC, IDEC], ids=lambda e: e.__name__)
def test_dec_passes_the_estimator_checks_that_apply(estimator, check):
    from sklearn.utils import estimator_checks

    getattr(estimator_checks, check)(estimator.__name__, estimator())
