"""Load a dataset from its source (scikit-learn, IDX, IMDB, table, HDF5) and clean it.

A dataset is a config entry (see ``schemas/config.schema.yaml``): a modality,
a ``source`` whose ``kind`` selects a loader from :data:`LOADERS`, where its
labels come from, and K. A loader returns a :class:`Dataset`; :func:`clean`
then removes what the models cannot use, saying what it removed.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from deepclust.atomic import atomic_path, load_model_file
from deepclust.data.table_cleaning import prepare_tabular
from deepclust.data.text import clean_text
from deepclust.errors import DatasetError

log = logging.getLogger(__name__)


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
    """A dataset bundled with scikit-learn (no download): ``digits``, ``iris``, ``wine``,
    ``breast_cancer``."""
    from sklearn import datasets as skd  # here: the Snakefile imports this module

    source_name = spec["source"]["name"]
    loader = getattr(skd, f"load_{source_name}", None)
    if loader is None:
        raise DatasetError(
            f"datasets.{name}.source.name: scikit-learn has no bundled dataset {source_name!r}"
        )
    bunch = loader()
    features = np.asarray(bunch.data, dtype=np.float32)
    labels = np.asarray(bunch.target, np.int64)
    meta = {"class_names": [str(c) for c in getattr(bunch, "target_names", [])]}
    if spec["modality"] == "tabular":  # numeric columns named by scikit-learn
        frame = pd.DataFrame(features.astype(np.float64), columns=list(bunch.feature_names))
        meta["column_types"] = {c: "numeric" for c in frame.columns}
        return Dataset(frame, np.arange(len(frame)), labels, meta)
    if source_name == "digits":
        meta["image_shape"] = [8, 8, 1]
    return Dataset(features, np.arange(len(features)), labels, meta)


IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.int16, 0x0C: np.int32, 0x0D: np.float32,
              0x0E: np.float64}


def read_idx(path) -> np.ndarray:
    """An IDX file (MNIST format), gzip-compressed or not, as a NumPy array."""

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
        raise DatasetError(f"{archive}: no reviews aclImdb/{{{','.join(splits)}}}/{{pos,neg}}/"
                           "*.txt in the archive")
    order = np.argsort(ids)  # archive order is not guaranteed; ids are
    log.info("read %d reviews (%s) from %s", len(texts), ", ".join(splits), archive)
    return Dataset([texts[i] for i in order], np.asarray(ids, dtype=object)[order],
                   np.asarray(labels, np.int64)[order], {"class_names": ["neg", "pos"]})


def load_table(name: str, spec: dict, files: dict) -> Dataset:
    """A CSV/Parquet table with declared (or inferred) numeric/categorical/text/label/id columns.

    ``modality: tabular`` keeps the typed table (every feature column is vectorized);
    ``modality: text`` clusters the rows by their text: the documents are the row's text
    columns joined (one document per row). With ``labels: builtin`` the table needs a label
    column (declared, or a column named ``label``); ``labels: none`` ignores it.
    """
    source = spec["source"]
    path = files["table"]
    frame, types, ids, labels, report = prepare_tabular(
        path, source.get("columns", {}), missing=source.get("missing", "impute"),
        encoding=source.get("encoding", "utf-8"), where=f"datasets.{name}.source.columns")
    if labels is None and spec.get("labels", "builtin") == "builtin":
        raise DatasetError(f"{path}: datasets.{name}.labels is 'builtin' but the table has no "
                           "label column (none declared and none named 'label'); declare it in "
                           f"datasets.{name}.source.columns (e.g. `category: label`) or set "
                           f"datasets.{name}.labels: none")
    meta = {"column_types": types, "class_names": report.get("class_names"),
            "label_column": report.get("label_column"),
            "dropped_rows": {k: report[k] for k in ("missing_label", "missing_values")}}
    if spec["modality"] != "text":
        return Dataset(frame, np.asarray(ids), labels, meta)
    text_columns = [c for c, k in types.items() if k == "text"]
    if not text_columns:  # the config check asks for a declared one; inference found none
        raise DatasetError(f"{path}: datasets.{name} has modality 'text' but no text column; "
                           f"declare one in datasets.{name}.source.columns (`headline: text`)")
    documents = frame[text_columns].astype(str).agg("\n".join, axis=1).tolist()
    log.info("%s: %d documents from the text column(s) %s", path, len(documents),
             ", ".join(map(repr, text_columns)))
    return Dataset(documents, np.asarray(ids), labels, dict(meta, text_columns=text_columns))


def _hdf5_array(h5, key: str, path, name: str):
    if key not in h5:
        raise DatasetError(f"{path}: no dataset {key!r} in the HDF5 file "
                           f"(datasets.{name}.source.splits); it holds: "
                           f"{', '.join(_hdf5_keys(h5)) or 'nothing'}")
    return np.asarray(h5[key])


def _hdf5_keys(h5) -> list[str]:
    keys = []
    h5.visit(lambda key: keys.append(key) if hasattr(h5[key], "shape") else None)
    return keys


def load_hdf5(name: str, spec: dict, files: dict) -> Dataset:
    """Images (and labels) from datasets inside an HDF5 file, splits concatenated in order.

    ``source.splits`` lists ``{images: <path in the file>, labels: <path>}`` (labels
    optional); images are n x H x W (x C) or flat n x (H*W) rows, with ``image_shape`` from
    the config, from the array, or square when the row length is a square number.
    """

    source = spec["source"]
    path = Path(files["data"])
    if not path.is_file():
        raise DatasetError(f"{path}: file not found")
    import h5py  # only HDF5 sources need it, not every job that imports this module

    parts, label_parts, ids = [], [], []
    try:
        with h5py.File(path, "r") as h5:
            for split in source["splits"]:
                images = _hdf5_array(h5, split["images"], path, name)
                if images.ndim < 2:
                    raise DatasetError(f"{path}: {split['images']!r} has shape {images.shape}; "
                                       "expected one image per row")
                parts.append(images.reshape(len(images), -1).astype(np.float32))
                shape = list(images.shape[1:])
                if "labels" in split:
                    labels = _hdf5_array(h5, split["labels"], path, name).reshape(-1)
                    if len(labels) != len(images):
                        raise DatasetError(f"{path}: {len(labels)} labels in {split['labels']!r} "
                                           f"for {len(images)} images in {split['images']!r}")
                    label_parts.append(labels.astype(np.int64))
                group = split["images"].rsplit("/", 1)[0] if "/" in split["images"] else "rows"
                ids += [f"{group}/{i}" for i in range(len(images))]
    except OSError as error:
        raise DatasetError(f"{path}: not a readable HDF5 file ({error})") from None
    widths = {p.shape[1] for p in parts}
    if len(widths) > 1:
        raise DatasetError(f"{path}: the splits have different image sizes {sorted(widths)}")
    if label_parts and len(label_parts) != len(parts):
        raise DatasetError(f"{path}: datasets.{name}.source.splits: give labels for every split "
                           "or for none")
    width = widths.pop()
    image_shape = source.get("image_shape") or (shape if len(shape) > 1 else None)
    if image_shape is None and int(np.sqrt(width)) ** 2 == width:
        image_shape = [int(np.sqrt(width))] * 2
    if image_shape is None or int(np.prod(image_shape)) != width:
        raise DatasetError(f"{path}: rows of {width} values do not make images of shape "
                           f"{image_shape}; set datasets.{name}.source.image_shape")
    image_shape = [int(d) for d in image_shape] + ([1] if len(image_shape) == 2 else [])
    data = np.concatenate(parts)
    labels = np.concatenate(label_parts) if label_parts else None
    log.info("read %d images %s from %s (%s)", len(data), image_shape, path,
             ", ".join(s["images"] for s in source["splits"]))
    meta = {"image_shape": image_shape, "class_names": source.get("class_names")}
    return Dataset(data, np.asarray(ids, dtype=object), labels, meta)


LOADERS = {"sklearn": load_sklearn, "idx": load_idx, "imdb": load_imdb, "table": load_table,
           "hdf5": load_hdf5}


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


def text_cleaning(spec: dict) -> dict:
    """The text-cleaning options of a dataset entry (what :func:`clean_text` takes)."""
    return {k: spec["text"][k] for k in ("strip_html", "lowercase", "stop_words")}


def clean(dataset: Dataset, name: str = "dataset", text_options: dict | None = None) -> Dataset:
    """Remove what the models cannot use; fail if nothing usable remains.

    Matrices: rows with missing or infinite values are dropped. Text: HTML,
    case and stop words per ``text_options``; empty texts are dropped. Tables
    were cleaned by their loader (see :mod:`deepclust.data.table_cleaning`).
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
        raise DatasetError(f"{name}: the labels have a single class; ACC/NMI/ARI would be "
                           "meaningless")
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

    with atomic_path(data_path) as tmp:
        joblib.dump(dataset.data, tmp)
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

    return load_model_file(data_path, joblib.load)


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
