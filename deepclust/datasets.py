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
    """Rows of one modality, their ids and optional integer labels.

    ``data`` is a float32 matrix (images: one flattened image per row), a list
    of strings (text) or a DataFrame (tabular), as the loader produced it.
    """

    data: np.ndarray | list | pd.DataFrame
    ids: np.ndarray
    labels: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        n = len(self.data)
        if len(self.ids) != n:
            raise DatasetError(f"{len(self.ids)} row ids for {n} rows")
        if self.labels is not None and len(self.labels) != n:
            raise DatasetError(f"{len(self.labels)} labels for {n} rows")

    def head(self, n: int | None) -> "Dataset":
        """The first ``n`` rows (all of them when ``n`` is None or not smaller)."""
        if n is None or n >= len(self.data):
            return self
        data = self.data.iloc[:n].reset_index(drop=True) if isinstance(self.data, pd.DataFrame) \
            else self.data[:n]
        labels = None if self.labels is None else self.labels[:n]
        return Dataset(data, self.ids[:n], labels, dict(self.meta, sliced_from=len(self.data)))


def load_sklearn(name: str, spec: dict, files: dict) -> Dataset:
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
    return Dataset(features, np.arange(len(features)), np.asarray(bunch.target, np.int64), meta)


IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.int16, 0x0C: np.int32, 0x0D: np.float32,
              0x0E: np.float64}


def read_idx(path) -> np.ndarray:
    """An IDX file (MNIST format), gzip-compressed or not, as a NumPy array."""
    import gzip

    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(2)
        opener = gzip.open if head == b"\x1f\x8b" else open
        with opener(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise DatasetError(f"{path}: file not found") from None
    except (OSError, EOFError) as error:
        raise DatasetError(f"{path}: cannot read the gzip stream ({error})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_DTYPES:
        raise DatasetError(f"{path}: not an IDX file (bad magic number {raw[:4].hex()})")
    dtype = np.dtype(IDX_DTYPES[raw[2]]).newbyteorder(">")
    ndim = raw[3]
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    offset = 4 + 4 * ndim
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - offset != expected:
        raise DatasetError(f"{path}: IDX header says shape {shape} ({expected} bytes) but the "
                           f"file holds {len(raw) - offset} bytes of data")
    return np.frombuffer(raw, dtype, offset=offset).reshape(shape).astype(dtype.newbyteorder("="))


def load_idx(name: str, spec: dict, files: dict) -> Dataset:
    """MNIST-style images and labels in IDX files (``files: {images: ..., labels: ...}``)."""
    images = read_idx(files["images"])
    if images.ndim != 3:
        raise DatasetError(f"{files['images']}: expected an IDX3 image file, got {images.ndim} "
                           "dimensions")
    labels = None
    if "labels" in files:
        labels = read_idx(files["labels"]).astype(np.int64)
        if len(labels) != len(images):
            raise DatasetError(f"{files['labels']}: {len(labels)} labels for {len(images)} images "
                               f"in {files['images']}")
    n, height, width = images.shape
    meta = {"image_shape": [int(height), int(width), 1],
            "class_names": spec["source"].get("class_names")}
    return Dataset(images.reshape(n, -1).astype(np.float32), np.arange(n), labels, meta)


def load_imdb(name: str, spec: dict, files: dict) -> Dataset:
    """Reviews read straight from the Large Movie Review Dataset archive; labels from pos/neg."""
    import re
    import tarfile

    archive = Path(files["archive"])
    splits = spec["source"]["splits"]
    pattern = re.compile(r"^aclImdb/(%s)/(pos|neg)/(\d+_\d+)\.txt$" % "|".join(splits))
    texts, ids, labels = [], [], []
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                match = pattern.match(member.name)
                if not (match and member.isfile()):
                    continue
                texts.append(tar.extractfile(member).read().decode("utf-8", errors="replace"))
                ids.append(f"{match.group(1)}/{match.group(2)}/{match.group(3)}")
                labels.append(1 if match.group(2) == "pos" else 0)
    except FileNotFoundError:
        raise DatasetError(f"{archive}: file not found") from None
    except (tarfile.TarError, OSError, EOFError) as error:
        raise DatasetError(f"{archive}: not a readable gzip/tar archive ({error})") from None
    if not texts:
        raise DatasetError(f"{archive}: no reviews aclImdb/{{{','.join(splits)}}}/{{pos,neg}}/*.txt "
                           "in the archive")
    order = np.argsort(ids)  # archive order is not guaranteed; ids are
    log.info("read %d reviews (%s) from %s", len(texts), ", ".join(splits), archive)
    return Dataset([texts[i] for i in order], np.asarray(ids, dtype=object)[order],
                   np.asarray(labels, np.int64)[order], {"class_names": ["neg", "pos"]})


def load_table(name: str, spec: dict, files: dict) -> Dataset:
    """A CSV/Parquet table with declared (or inferred) numeric/categorical/text/label/id columns."""
    from deepclust.tabular import prepare_tabular

    source = spec["source"]
    frame, types, ids, labels, report = prepare_tabular(
        files["table"], source.get("columns", {}), missing=source["missing"])
    meta = {"column_types": types, "class_names": report.get("class_names"),
            "dropped_rows": {k: v for k, v in report.items() if k != "class_names"}}
    return Dataset(frame, np.asarray(ids), labels, meta)


LOADERS = {"sklearn": load_sklearn, "idx": load_idx, "imdb": load_imdb, "table": load_table}


def load_dataset(name: str, spec: dict, files: dict | None = None) -> Dataset:
    """Load dataset ``name`` described by its config entry ``spec`` from local ``files``."""
    kind = spec["source"]["kind"]
    try:
        loader = LOADERS[kind]
    except KeyError:
        raise DatasetError(
            f"datasets.{name}.source.kind: unknown source kind {kind!r} (known: {sorted(LOADERS)})"
        ) from None
    dataset = loader(name, spec, files or {})
    if spec.get("labels", "builtin") == "none":
        dataset.labels = None
    dataset.meta.update(modality=spec["modality"], name=name)
    return dataset


def clean_text(texts, strip_html: bool = True, lowercase: bool = True,
               stop_words: str | None = "english") -> list[str]:
    """Strip HTML tags (``<br />``), lowercase, remove stop words; one cleaned string per text."""
    import re

    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    tags = re.compile(r"<[^>]+>")
    words = re.compile(r"(?u)\b\w\w+\b")
    stops = ENGLISH_STOP_WORDS if stop_words == "english" else frozenset()
    cleaned = []
    for text in texts:
        if strip_html:
            text = tags.sub(" ", text)
        if lowercase:
            text = text.lower()
        if stops:
            text = " ".join(w for w in words.findall(text) if w.lower() not in stops)
        cleaned.append(text)
    return cleaned


def text_cleaning(spec: dict) -> dict:
    """The text-cleaning options of a dataset entry (what :func:`clean_text` takes)."""
    return {k: spec["text"][k] for k in ("strip_html", "lowercase", "stop_words")}


def clean(dataset: Dataset, name: str = "dataset", text_options: dict | None = None) -> Dataset:
    """Remove what the models cannot use; fail if nothing usable remains.

    Matrices: rows with missing or infinite values are dropped. Text: HTML,
    case and stop words per ``text_options``; empty texts are dropped. Tables
    were cleaned by their loader (see :mod:`deepclust.tabular`).
    """
    data = dataset.data
    if len(data) == 0:
        raise DatasetError(f"{name}: no rows to cluster")
    if isinstance(data, np.ndarray):
        if data.ndim != 2 or data.shape[1] == 0:
            raise DatasetError(f"{name}: no data to cluster (features of shape {data.shape})")
        keep = np.isfinite(data).all(axis=1)
        what = "missing/infinite values"
    elif isinstance(data, list):
        data = clean_text(data, **(text_options or {}))
        keep = np.array([bool(t.strip()) for t in data])
        what = "no text left after cleaning"
    else:
        keep = np.ones(len(data), bool)
        what = "nothing (cleaned while loading)"
    dropped = int((~keep).sum())
    log.info("clean %s: %d rows; dropped %d rows with %s", name, len(data), dropped, what)
    if dropped == len(data):
        raise DatasetError(f"{name}: every row was dropped ({what})")
    labels = dataset.labels[keep] if dataset.labels is not None else None
    if labels is not None and len(np.unique(labels)) < 2:
        raise DatasetError(f"{name}: the labels have a single class; ACC/NMI/ARI would be meaningless")
    if isinstance(data, np.ndarray):
        data = data[keep]
    elif isinstance(data, list):
        data = [t for t, k in zip(data, keep) if k]
    else:
        data = data[keep].reset_index(drop=True)
    return Dataset(data, dataset.ids[keep], labels, dict(dataset.meta))


def check_k_fits(dataset: Dataset, name: str, k) -> None:
    """A fixed K must not exceed the number of rows (checked when the data is prepared, so
    that no autoencoder is trained for a run that cannot cluster)."""
    if isinstance(k, int) and k > len(dataset.data):
        raise DatasetError(f"datasets.{name}.k: K={k} is larger than the number of rows "
                           f"({len(dataset.data)})")


def write_prepared(dataset: Dataset, data_path, rows_path, meta_path) -> None:
    """Write the cleaned rows (joblib), the row table (id[, label]) and metadata (JSON)."""
    import joblib

    joblib.dump(dataset.data, data_path)
    rows = pd.DataFrame({"id": dataset.ids})
    if dataset.labels is not None:
        rows["label"] = dataset.labels
    rows.to_csv(rows_path, index=False)
    shape = getattr(dataset.data, "shape", (len(dataset.data),))
    meta = dict(dataset.meta, n_rows=int(shape[0]), has_labels=dataset.labels is not None)
    if len(shape) > 1:
        meta["n_columns"] = int(shape[1])
    Path(meta_path).write_text(json.dumps(meta, indent=2, default=str) + "\n")


def read_prepared(data_path):
    """The cleaned rows written by :func:`write_prepared`."""
    import joblib

    return joblib.load(data_path)


def read_image_shape(meta_path) -> list[int] | None:
    """The image shape a prepared dataset's dataset.json records (None: not images)."""
    with open(meta_path) as fh:
        return json.load(fh).get("image_shape")


def read_rows(rows_path) -> pd.DataFrame:
    """The row table written by :func:`write_prepared`."""
    return pd.read_csv(rows_path)


def read_labels(rows_path) -> np.ndarray | None:
    """Ground-truth labels, or ``None`` for an unlabelled dataset."""
    rows = read_rows(rows_path)
    return rows["label"].to_numpy() if "label" in rows else None
