"""Loading and cleaning datasets.

A dataset is a config entry (see ``schemas/config.schema.yaml``): a modality,
a ``source`` whose ``kind`` selects a loader from :data:`LOADERS`, where its
labels come from, and K. A loader returns a :class:`Dataset`; :func:`clean`
then removes what the models cannot use, saying what it removed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)


class DatasetError(ValueError):
    """A dataset cannot be loaded or cleaned; the message names the file/column/setting."""


@dataclass
class Dataset:
    """Features (rows x columns, float32), optional integer labels and row ids."""

    features: np.ndarray
    ids: np.ndarray
    labels: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        n = len(self.features)
        if len(self.ids) != n:
            raise DatasetError(f"{len(self.ids)} row ids for {n} rows")
        if self.labels is not None and len(self.labels) != n:
            raise DatasetError(f"{len(self.labels)} labels for {n} rows")


def load_sklearn(name: str, spec: dict) -> Dataset:
    """A dataset bundled with scikit-learn (no download): ``digits``, ``iris``, ``wine``, ``breast_cancer``."""
    from sklearn import datasets as skd

    source_name = spec["source"]["name"]
    loader = getattr(skd, f"load_{source_name}", None)
    if loader is None:
        raise DatasetError(
            f"datasets.{name}.source.name: scikit-learn has no bundled dataset {source_name!r}"
        )
    bunch = loader()
    features = np.asarray(bunch.data, dtype=np.float32)
    meta = {"class_names": [str(c) for c in getattr(bunch, "target_names", [])]}
    if source_name == "digits":
        meta["image_shape"] = [8, 8, 1]
    return Dataset(
        features=features,
        ids=np.arange(len(features)),
        labels=np.asarray(bunch.target, dtype=np.int64),
        meta=meta,
    )


LOADERS = {"sklearn": load_sklearn}


def load_dataset(name: str, spec: dict) -> Dataset:
    """Load dataset ``name`` described by its config entry ``spec``."""
    kind = spec["source"]["kind"]
    try:
        loader = LOADERS[kind]
    except KeyError:
        raise DatasetError(
            f"datasets.{name}.source.kind: unknown source kind {kind!r} (known: {sorted(LOADERS)})"
        ) from None
    dataset = loader(name, spec)
    if spec.get("labels", "builtin") == "none":
        dataset.labels = None
    dataset.meta.update(modality=spec["modality"], name=name)
    return dataset


def clean(dataset: Dataset, name: str = "dataset") -> Dataset:
    """Drop rows with missing or infinite features; fail if nothing usable remains."""
    features = dataset.features
    if features.ndim != 2 or features.shape[0] == 0 or features.shape[1] == 0:
        raise DatasetError(f"{name}: no data to cluster (features of shape {features.shape})")
    finite = np.isfinite(features).all(axis=1)
    dropped = int((~finite).sum())
    log.info("clean %s: %d rows, %d columns; dropped %d rows with missing/infinite values",
             name, *features.shape, dropped)
    if dropped == len(features):
        raise DatasetError(f"{name}: every row has a missing or infinite value")
    labels = dataset.labels[finite] if dataset.labels is not None else None
    if labels is not None and len(np.unique(labels)) < 2:
        raise DatasetError(f"{name}: the labels have a single class; ACC/NMI/ARI would be meaningless")
    return Dataset(features[finite], dataset.ids[finite], labels, dict(dataset.meta))


def write_prepared(dataset: Dataset, features_path, rows_path, meta_path) -> None:
    """Write features (``.npy``), the row table (id[, label]) and metadata (JSON)."""
    np.save(features_path, dataset.features.astype(np.float32))
    rows = pd.DataFrame({"id": dataset.ids})
    if dataset.labels is not None:
        rows["label"] = dataset.labels
    rows.to_csv(rows_path, index=False)
    meta = dict(dataset.meta, n_rows=int(dataset.features.shape[0]),
                n_features=int(dataset.features.shape[1]),
                has_labels=dataset.labels is not None)
    Path(meta_path).write_text(json.dumps(meta, indent=2) + "\n")


def read_rows(rows_path) -> pd.DataFrame:
    """The row table written by :func:`write_prepared`."""
    return pd.read_csv(rows_path)


def read_labels(rows_path) -> np.ndarray | None:
    """Ground-truth labels, or ``None`` for an unlabelled dataset."""
    rows = read_rows(rows_path)
    return rows["label"].to_numpy() if "label" in rows else None
