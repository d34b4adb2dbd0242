"""Config checks that a JSON schema cannot express, and pipeline resolution.

``schemas/config.schema.yaml`` checks types, ranges, required keys and
unknown keys (and fills defaults). This module then checks the references
between sections: a pipeline's encoder/reducer/clusterer must exist, a run
must name existing datasets and pipelines, K must be obtainable.
"""

from __future__ import annotations

from dataclasses import dataclass

NONE = "none"


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
    from deepclust.reduce import EXACT_KNN_METRICS

    for name, spec in config.get("reducers", {}).items():
        metric = spec.get("metric", "euclidean")
        if spec["kind"] == "umap" and spec.get("knn", "exact") == "exact" \
                and metric not in EXACT_KNN_METRICS:
            raise ConfigError(f"reducers.{name}.metric: {metric!r} has no exact "
                              f"nearest-neighbour search (exact: "
                              f"{', '.join(sorted(EXACT_KNN_METRICS))}); set "
                              f"reducers.{name}.knn: approximate")
    for name, spec in config["datasets"].items():
        if spec["k"] == "labels" and spec["labels"] == "none":
            raise ConfigError(f"datasets.{name}.k: 'labels' needs a labelled dataset, but "
                              f"datasets.{name}.labels is 'none'; give a number or 'auto'")
        k_range = spec["k_range"]
        if k_range[0] + 2 > k_range[1]:
            raise ConfigError(f"datasets.{name}.k_range: {k_range} must span at least 3 values "
                              "of K for the elbow method")


def pipeline(config: dict, name: str) -> Pipeline:
    spec = config["pipelines"][name]
    return Pipeline(name, spec["encoder"], spec["reducer"], spec["clusterer"])


def describe_validation_error(error: Exception) -> str | None:
    """One line naming the config key at fault, from a (wrapped) jsonschema ValidationError."""
    from jsonschema import ValidationError

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
