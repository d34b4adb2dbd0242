"""Config checks that a JSON schema cannot express, and pipeline resolution.

``schemas/config.schema.yaml`` checks types, ranges, required keys and
unknown keys (and fills defaults). This module then checks the references
between sections: a pipeline's encoder/reducer/clusterer must exist, a run
must name existing datasets and pipelines, K must be obtainable.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import yaml

from deepclust.reduce.neighbors import EXACT_KNN_METRICS

NONE = "none"

#: clusterer kinds that train the encoder itself (they need an autoencoder and no reducer)
DEC_KINDS = {"dec", "idec"}
#: encoder kinds that train an autoencoder (a decoder too: DEC and IDEC start from them)
AUTOENCODER_KINDS = ("dense_autoencoder", "conv_autoencoder")
#: encoder keys that only the convolutional autoencoder reads, and their defaults (filled in
#: by :func:`check_config`: a schema default would also land on dense autoencoders)
CONV_DEFAULTS = {"filters": [32, 64, 128], "kernel_sizes": [5, 5, 3]}


class ConfigError(ValueError):
    """An invalid config; the message starts with the path of the key at fault."""


@dataclass(frozen=True)
class Pipeline:
    """A named encoder -> reducer -> clusterer chain (``"none"`` for a skipped step)."""

    name: str
    encoder: str
    reducer: str
    clusterer: str


def _check_ref(config: dict, section: str, where: str, value: str, allow_none: bool) -> None:
    if allow_none and value == NONE:
        return
    defined = sorted(config.get(section, {}))
    if value not in defined:
        extra = " or 'none'" if allow_none else ""
        raise ConfigError(f"{where}: {value!r} is not defined under '{section}' "
                          f"(defined: {', '.join(defined) or 'nothing'}{extra})")


def check_config(config: dict) -> None:
    """Raise :class:`ConfigError` naming the key when sections refer to undefined entries."""
    for name, spec in config["pipelines"].items():
        where = f"pipelines.{name}"
        _check_ref(config, "encoders", f"{where}.encoder", spec["encoder"], True)
        _check_ref(config, "reducers", f"{where}.reducer", spec["reducer"], True)
        _check_ref(config, "clusterers", f"{where}.clusterer", spec["clusterer"], False)
    for section in ("encoders", "reducers", "pipelines", "datasets"):
        for name in config.get(section, {}):
            if name == NONE:
                raise ConfigError(f"{section}.{name}: 'none' is reserved for a skipped step")
    for i, name in enumerate(config["run"]["datasets"]):
        _check_ref(config, "datasets", f"run.datasets[{i}]", name, False)
    for i, name in enumerate(config["run"]["pipelines"]):
        _check_ref(config, "pipelines", f"run.pipelines[{i}]", name, False)
    for name, spec in config.get("reducers", {}).items():
        metric = spec.get("metric", "euclidean")
        if spec["kind"] == "umap" and spec.get("knn", "exact") == "exact" \
                and metric not in EXACT_KNN_METRICS:
            raise ConfigError(f"reducers.{name}.metric: {metric!r} has no exact "
                              f"nearest-neighbour search (exact: "
                              f"{', '.join(sorted(EXACT_KNN_METRICS))}); set "
                              f"reducers.{name}.knn: approximate")
    _check_dec_and_conv(config)
    for name, spec in config["datasets"].items():
        check_modality(name, spec)
        if spec["k"] == "labels" and spec["labels"] == "none":
            raise ConfigError(f"datasets.{name}.k: 'labels' needs a labelled dataset, but "
                              f"datasets.{name}.labels is 'none'; give a number or 'auto'")
        k_range = spec["k_range"]
        if k_range[0] + 2 > k_range[1]:
            raise ConfigError(f"datasets.{name}.k_range: {k_range} must span at least 3 values "
                              "of K for the elbow method")


#: the source kinds each modality can read its rows from
MODALITY_SOURCES = {"image": ("sklearn", "idx", "hdf5"), "text": ("imdb", "table"),
                    "tabular": ("table", "sklearn")}


def check_modality(name: str, spec: dict) -> None:
    """The modality must match what the source gives, so the vectorizer sees the rows:
    a text table must declare the text columns its documents come from."""
    modality, kind = spec["modality"], spec["source"]["kind"]
    if kind not in MODALITY_SOURCES[modality]:
        raise ConfigError(f"datasets.{name}.modality: {modality!r} cannot read a source of "
                          f"kind {kind!r} (datasets.{name}.source.kind); {modality} rows come "
                          f"from: {', '.join(MODALITY_SOURCES[modality])}")
    if modality == "text" and kind == "table":
        columns = spec["source"].get("columns", {})
        if "text" not in columns.values():
            raise ConfigError(f"datasets.{name}.source.columns: modality 'text' clusters the "
                              "rows by their text columns, but no column is declared text; "
                              "declare them, e.g. {headline: text, body: text, category: label}")


def _check_dec_and_conv(config: dict) -> None:
    """DEC/IDEC need an autoencoder and no reducer; a conv autoencoder needs image datasets."""
    for name, spec in config.get("encoders", {}).items():
        if spec["kind"] == "contrastive":  # its own filters and kernel sizes (schema defaults)
            continue
        if spec["kind"] != "conv_autoencoder":
            for key in CONV_DEFAULTS:
                if key in spec:
                    raise ConfigError(f"encoders.{name}.{key}: only a conv_autoencoder has "
                                      f"{key} (this encoder is a {spec['kind']})")
            continue
        for key, default in CONV_DEFAULTS.items():
            spec.setdefault(key, list(default))
        if len(spec["filters"]) != len(spec["kernel_sizes"]):
            raise ConfigError(f"encoders.{name}.kernel_sizes: {len(spec['kernel_sizes'])} "
                              f"sizes for {len(spec['filters'])} filters")
    for name in config["pipelines"]:
        chain = pipeline(config, name)
        kind = config["clusterers"][chain.clusterer]["kind"]
        if kind in DEC_KINDS and chain.encoder == NONE:
            raise ConfigError(f"pipelines.{name}: clusterer {chain.clusterer!r} is {kind.upper()}, "
                              "which trains an autoencoder's encoder, but the pipeline has no "
                              f"encoder; set pipelines.{name}.encoder to an autoencoder")
        if kind in DEC_KINDS and config["encoders"].get(chain.encoder, {}).get("kind") \
                not in AUTOENCODER_KINDS:
            raise ConfigError(f"pipelines.{name}: {kind.upper()} fine-tunes a pretrained "
                              f"autoencoder, but encoder {chain.encoder!r} is a "
                              f"{config['encoders'][chain.encoder]['kind']} encoder; use one of "
                              f"kind {' or '.join(AUTOENCODER_KINDS)}")
        if kind in DEC_KINDS and chain.reducer != NONE:
            raise ConfigError(f"pipelines.{name}: {kind.upper()} clusters the encoder's own "
                              f"embedding; set pipelines.{name}.reducer to 'none' "
                              f"(got {chain.reducer!r})")
    for name, spec in config["clusterers"].items():
        start = spec.get("init_from") if spec["kind"] in DEC_KINDS else None
        if start is None:
            continue
        if start not in config["pipelines"]:
            raise ConfigError(f"clusterers.{name}.init_from: {start!r} is not defined under "
                              f"'pipelines' (defined: {', '.join(sorted(config['pipelines']))})")
        if is_dec(config, start):
            raise ConfigError(f"clusterers.{name}.init_from: pipeline {start!r} is itself "
                              "DEC/IDEC; start from a pipeline with another clusterer (e.g. "
                              "UMAP + GMM on the same autoencoder)")
    for dataset in config["run"]["datasets"]:
        modality = config["datasets"][dataset]["modality"]
        for name in config["run"]["pipelines"]:
            encoder = pipeline(config, name).encoder
            if encoder == NONE or modality == "image":
                continue
            if config["encoders"][encoder]["kind"] == "conv_autoencoder":
                raise ConfigError(f"pipelines.{name}.encoder: {encoder!r} is a convolutional "
                                  f"autoencoder, which needs image data, but run.datasets has "
                                  f"{dataset!r} (modality {modality!r})")


def encoder_kind(config: dict, encoder: str) -> str | None:
    """The kind of a named encoder (None for 'none')."""
    return None if encoder == NONE else config["encoders"][encoder]["kind"]


def is_dec(config: dict, pipeline_name: str) -> bool:
    """True when the pipeline's clusterer is DEC or IDEC."""
    return config["clusterers"][pipeline(config, pipeline_name).clusterer]["kind"] in DEC_KINDS


def dec_start(config: dict, pipeline_name: str) -> str | None:
    """The pipeline whose clusters start a DEC/IDEC pipeline's centres (None: KMeans)."""
    if not is_dec(config, pipeline_name):
        return None
    return config["clusterers"][pipeline(config, pipeline_name).clusterer].get("init_from")


def is_som(config: dict, pipeline_name: str) -> bool:
    """True when the pipeline's clusterer is a self-organising map."""
    return config["clusterers"][pipeline(config, pipeline_name).clusterer]["kind"] == "som"


def has_labels(spec: dict) -> bool:
    """True when a dataset entry yields ground-truth labels (tables: a declared label column)."""
    if spec.get("labels", "builtin") == "none":
        return False
    source = spec["source"]
    if source["kind"] == "table":  # a declared label column, or one named 'label'
        columns = source.get("columns", {})
        return "label" in columns.values() or columns.get("label", "label") == "label"
    if source["kind"] == "hdf5":
        return all("labels" in split for split in source["splits"])
    return True


def pipeline(config: dict, name: str) -> Pipeline:
    spec = config["pipelines"][name]
    return Pipeline(name, spec["encoder"], spec["reducer"], spec["clusterer"])


def deep_merge(base: dict, override: dict) -> dict:
    """``base`` updated by ``override``, recursing into dicts (as Snakemake merges --configfile)."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


#: the config schema (the workflow validates against the same file)
SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "config.schema.yaml"
#: the workflow's own config, the base the Snakefile merges every --configfile over
WORKFLOW_CONFIG = SCHEMA.parent.parent / "config.yaml"


def validate_config(config: dict) -> dict:
    """``config`` (the merged config) checked as the workflow checks it before planning: against
    the schema, which fills in the defaults in place, then by :func:`check_config`. Raises a
    :class:`ConfigError` of one line naming the key at fault."""
    # Snakemake's validator (jsonschema, filling in defaults): only where a config is checked
    from snakemake.utils import validate

    try:
        validate(config, str(SCHEMA))
    except Exception as error:
        raise ConfigError(describe_validation_error(error) or str(error)) from None
    check_config(config)
    return config


def load_config(*paths) -> dict:
    """The workflow config outside Snakemake: the workflow's own config.yaml with the YAML
    files merged over it in order (as the Snakefile does with ``--configfile``), validated
    (:func:`validate_config`)."""
    config: dict = {}
    for path in (WORKFLOW_CONFIG, *paths):
        config = deep_merge(config, yaml.safe_load(Path(path).read_text()) or {})
    try:
        return validate_config(config)
    except ConfigError as error:
        raise ConfigError(f"{', '.join(map(str, paths or [WORKFLOW_CONFIG]))}: {error}") from None


def describe_validation_error(error: Exception) -> str | None:
    """One line naming the config key at fault, from a (wrapped) jsonschema ValidationError."""
    from jsonschema import ValidationError  # only when a config is invalid

    found = error
    while found is not None and not isinstance(found, ValidationError):
        found = found.__cause__ or found.__context__  # Snakemake wraps it in a WorkflowError
    if found is None:
        return None
    key = ".".join(str(p) for p in found.absolute_path) or "(top level)"
    message = found.message
    if found.context:  # oneOf/anyOf: say what each alternative wanted
        message = " or ".join(dict.fromkeys(e.message for e in found.context))
    return f"config key '{key}': {message}"
