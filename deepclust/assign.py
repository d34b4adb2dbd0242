"""Cluster new data with a trained pipeline: ``python -m deepclust.assign``.

A pipeline run of the workflow leaves its fitted models in the results folder
(:data:`deepclust.workflow.paths.MODELS`): the vectorizer of the dataset, the
autoencoder, the reducer (UMAP/Isomap), and the clusterer (KMeans/GMM, a
nearest-point assigner for DBSCAN/HDBSCAN, or the DEC/IDEC model). New rows of
the same dataset type go through exactly these steps:

    read + clean (as the dataset's loader does) -> vectorizer.transform
    -> encoder -> reducer.transform -> clusterer.predict

and come out as ``id,cluster,reason`` (plus ``q0..qK-1`` soft assignments for DEC/IDEC):
every input row, in input order. A row the models cannot take (a missing or infinite
value, no text left after cleaning) gets the cluster ``unassigned`` and the ``reason``;
placed rows have an empty reason.

Example (after ``snakemake`` has run pipeline n2d on mnist-test, seed 0)::

    python -m deepclust.assign --dataset mnist-test --pipeline n2d --seed 0 \\
        --file images=new-images-idx3-ubyte.gz --output new_clusters.csv
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from deepclust.atomic import atomic_path
from deepclust.cluster.clusterers import predict_clusters
from deepclust.data.datasets import Dataset, DatasetError, clean, load_dataset, text_cleaning
from deepclust.data.tables import read_table
from deepclust.data.vectorizers import apply_vectorizer
from deepclust.features import load_fitted
from deepclust.reduce.reducers import load_reducer, transform
from deepclust.seeding import seed_everything
from deepclust.workflow.config import NONE, ConfigError, encoder_kind, is_dec, load_config, pipeline
from deepclust.workflow.paths import model_path

log = logging.getLogger(__name__)

#: the module that loads and runs each kind of trained network, imported by name and only for a
#: pipeline that has one: the others assign without importing TensorFlow (seconds a command)
NETWORK_CODE = {"dec": "deepclust.cluster.dec", "autoencoder": "deepclust.encoders.training",
                "contrastive_encoder": "deepclust.encoders.training"}


def network_code(model: str):
    """The module of :data:`NETWORK_CODE` for the network ``model``, imported now."""
    return importlib.import_module(NETWORK_CODE[model])


def read_matrix_rows(path) -> np.ndarray:
    """A numeric matrix from ``.npy`` or a headerless ``.csv`` (one row per line)."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: file not found")
    if path.suffix == ".npy":
        rows = np.load(path)
    else:
        try:  # an empty cell is a missing value (NaN), like "nan"
            rows = np.loadtxt(path, delimiter=",", ndmin=2,
                              converters=lambda cell: float(cell) if cell.strip() else np.nan)
        except ValueError as error:
            raise DatasetError(f"{path}: not a numeric CSV matrix ({error})") from None
    if rows.ndim != 2:
        raise DatasetError(f"{path}: expected a 2-D matrix of rows, got shape {rows.shape}")
    return np.asarray(rows, dtype=np.float32)


def read_text_lines(path) -> list[str]:
    """One document per line of a UTF-8 text file (an empty line is an empty document)."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: file not found")
    return path.read_text(encoding="utf-8").splitlines()


def load_new_data(name: str, spec: dict, files: dict) -> Dataset:
    """New rows of dataset ``name``'s type from local ``files``.

    Keys of ``files``: the dataset's own source files (idx: ``images`` [+ ``labels``];
    imdb: ``archive``; table: ``table``), or ``rows`` (a ``.npy``/``.csv`` matrix, for
    image and numeric datasets such as sklearn's digits) or ``texts`` (one document
    per line, for text datasets).
    """
    modality = spec["modality"]
    if "rows" in files:
        if modality == "text":
            raise DatasetError(f"datasets.{name} is a text dataset: give texts=FILE, not rows=")
        rows = read_matrix_rows(files["rows"])
        return Dataset(rows, np.arange(len(rows)), None, {"modality": modality, "name": name})
    if "texts" in files:
        if modality != "text":
            raise DatasetError(f"datasets.{name} has modality {modality!r}; texts= is for text")
        texts = read_text_lines(files["texts"])
        return Dataset(texts, np.arange(len(texts)), None, {"modality": modality, "name": name})
    expected = set(spec["source"].get("files", {}))
    if not expected:
        raise DatasetError(f"datasets.{name} has no source files; give its new rows as "
                           "rows=FILE (.npy or .csv)")
    unknown = set(files) - expected
    if unknown:
        raise DatasetError(f"datasets.{name} reads files {sorted(expected)}, not "
                           f"{sorted(unknown)}")
    source = dict(spec["source"])
    if source["kind"] != "table":
        return load_dataset(name, dict(spec, source=source, labels="none"), files)
    # New rows need no label: a label column (declared or named 'label') is left out, so
    # that no row is dropped for lacking one. Rows the table's cleaning drops anyway
    # (missing: drop) come back as unassigned: input_ids lists every row read.
    table = read_table(files["table"], source.get("encoding", "utf-8"))
    columns = {c: ("drop" if k == "label" else k) for c, k in source.get("columns", {}).items()
               if c in table.columns}
    if "label" in table.columns:
        columns.setdefault("label", "drop")
    dataset = load_dataset(name, dict(spec, source=dict(source, columns=columns), labels="none"),
                           files)
    id_column = next((c for c, k in dataset.meta["column_types"].items() if k == "id"), None)
    dataset.meta["input_ids"] = (table[id_column] if id_column else table.index).to_numpy()
    return dataset


def _check_width(features, expected: int | None, what: str) -> None:
    if expected is not None and features.shape[1] != expected:
        raise DatasetError(f"the new rows have {features.shape[1]} features but {what} was "
                           f"trained on {expected}")


def vectorize_new(vectorizer, dataset: Dataset, modality: str):
    data = dataset.data
    if modality == "tabular":  # columns the training table had (e.g. missing-value indicators)
        data = data.reindex(columns=list(vectorizer.feature_names_in_), fill_value=0)
    elif modality != "text":
        _check_width(np.asarray(data), getattr(vectorizer, "n_features_in_", None),
                     "the vectorizer")
    return apply_vectorizer(vectorizer, data, modality)


def assign_clusters(config: dict, results, dataset: str, pipeline_name: str, seed: int,
                    files: dict) -> pd.DataFrame:
    """Cluster assignments of new rows by a trained pipeline: ``id, cluster, reason`` (DEC/IDEC:
    plus soft assignments ``q0..``), one row per input row in input order; a row that
    cannot be placed has the cluster :data:`UNASSIGNED` and a reason (see :func:`place`)."""
    if dataset not in config["datasets"]:
        raise ConfigError(f"dataset {dataset!r} is not in the config "
                          f"(defined: {', '.join(sorted(config['datasets']))})")
    if pipeline_name not in config["pipelines"]:
        raise ConfigError(f"pipeline {pipeline_name!r} is not in the config "
                          f"(defined: {', '.join(sorted(config['pipelines']))})")
    spec = config["datasets"][dataset]
    chain = pipeline(config, pipeline_name)
    keys = dict(dataset=dataset, encoder=chain.encoder, reducer=chain.reducer,
                pipeline=pipeline_name, seed=seed)
    # the encoder's model file by its kind (either kind embeds alike)
    encoder = None if chain.encoder == NONE or is_dec(config, pipeline_name) else (
        "contrastive_encoder" if encoder_kind(config, chain.encoder) == "contrastive"
        else "autoencoder")
    needed = ["vectorizer"]
    if is_dec(config, pipeline_name):
        needed.append("dec")
    else:
        if encoder:
            needed.append(encoder)
        if chain.reducer != NONE:
            needed.append("reducer")
        needed.append("clusterer")
    paths = {name: model_path(results, name, **keys) for name in needed}
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        raise FileNotFoundError(f"pipeline {pipeline_name!r} (seed {seed}) on {dataset!r} has "
                                f"not been trained: missing {', '.join(missing)}; run the "
                                "workflow with it first")
    # the rules' settings: the run's seed, TensorFlow on the config's threads, deterministic ops
    seed_everything(seed, tensorflow=bool(encoder) or "dec" in paths,
                    threads=config.get("threads", 1))
    loaded = load_new_data(dataset, spec, files)
    new = clean(loaded, "new rows", text_cleaning(spec))
    features = vectorize_new(load_fitted(paths["vectorizer"]), new, spec["modality"])
    log.info("%d new rows -> %d features", *features.shape)
    if "dec" in paths:
        dec = network_code("dec")
        model = dec.load_dec(paths["dec"])
        _check_width(features, model.input_shape[-1], "the DEC model")
        q = dec.soft_assignments(model, features)
        return place(loaded, new, q.argmax(axis=1),
                     pd.DataFrame(q, columns=[f"q{j}" for j in range(q.shape[1])]))
    representation = features
    if encoder:
        training = network_code(encoder)
        model = training.load_autoencoder(paths[encoder])
        _check_width(features, model.input_shape[-1], f"the {encoder.replace('_', ' ')}")
        representation = training.embed(model, features)
    if "reducer" in paths:
        representation = transform(load_reducer(paths["reducer"]), representation)
    return place(loaded, new, predict_clusters(load_fitted(paths["clusterer"]), representation))


#: the cluster of a row that cannot be placed
UNASSIGNED = "unassigned"
#: why a row :func:`deepclust.data.datasets.clean` dropped cannot be placed, by the kind of rows
UNPLACEABLE = {"matrix": "missing or infinite value", "text": "no text left after cleaning"}


def place(loaded: Dataset, new: Dataset, clusters, extra: pd.DataFrame | None = None):
    """Every row of ``loaded`` in order, ``id, cluster, reason`` (+ ``extra`` columns, e.g.
    q0..): the rows ``new`` kept (its ids, a subset of ``loaded``'s, which are unique) get
    ``clusters`` and an empty reason; the others :data:`UNASSIGNED`, their reason, and
    empty ``extra`` values."""
    ids = loaded.meta.get("input_ids", loaded.ids)  # tables: every row of the file
    position = pd.Index(new.ids).get_indexer(ids)  # -1: a row the cleaning dropped
    found = position >= 0
    cluster = np.asarray(clusters)[position]
    if not found.all():
        cluster = np.where(found, cluster.astype(object), UNASSIGNED)
    reason = UNPLACEABLE["text" if isinstance(loaded.data, list) else "matrix"]
    out = pd.DataFrame({"id": ids, "cluster": cluster,
                        "reason": np.where(found, "", reason)})
    if extra is not None:  # rows of new; NaN (an empty CSV cell) for the unassigned rows
        out = pd.concat([out, extra.reindex(position).reset_index(drop=True)], axis=1)
    return out


def parse_files(values) -> dict:
    files = {}
    for value in values:
        key, sep, path = value.partition("=")
        if not sep or not key or not path:
            raise ValueError(f"--file {value!r}: expected KEY=PATH (e.g. images=new.idx.gz)")
        files[key] = path
    return files


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deepclust.assign",
        description="Cluster new rows with a pipeline the workflow has trained.")
    parser.add_argument("--dataset", required=True, help="dataset name in the config")
    parser.add_argument("--pipeline", required=True, help="pipeline name in the config")
    parser.add_argument("--seed", type=int, required=True, help="which trained seed to use")
    parser.add_argument("--file", action="append", required=True, metavar="KEY=PATH",
                        help="new data: the dataset's file keys (idx: images; imdb: archive; "
                             "table: table), or rows=.npy/.csv, or texts=.txt (repeatable)")
    parser.add_argument("--output", required=True, type=Path,
                        help="CSV to write (id,cluster,reason); its folder is created if missing")
    parser.add_argument("--config", nargs="*", default=[],
                        help="the --configfile files the workflow ran with, merged in order "
                             "over the workflow's own config.yaml (as Snakemake does)")
    parser.add_argument("--results", default="results", help="the workflow's results folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        config = load_config(*args.config)
        assigned = assign_clusters(config, args.results, args.dataset, args.pipeline,
                                   args.seed, parse_files(args.file))
    except (ValueError, FileNotFoundError) as error:  # ConfigError/DatasetError are ValueErrors
        print(f"error: {error}", file=sys.stderr)
        return 2
    with atomic_path(args.output) as partial:  # never a half-written output; makes the folder
        assigned.to_csv(partial, index=False)
    print(summary(assigned, args.output))
    return 0


def summary(assigned: pd.DataFrame, output) -> str:
    """``N rows -> OUTPUT; U unassigned (reason: n, ..); rows per cluster: c: n, ..``"""
    unassigned = assigned["reason"] != ""
    reasons = assigned.loc[unassigned, "reason"].value_counts()
    counts = assigned.loc[~unassigned, "cluster"].astype(int).value_counts().sort_index()
    return (f"{len(assigned)} rows -> {output}; {int(unassigned.sum())} {UNASSIGNED}"
            + (" (" + ", ".join(f"{r}: {n}" for r, n in reasons.items()) + ")" if len(reasons)
               else "")
            + "; rows per cluster: " + ", ".join(f"{c}: {n}" for c, n in counts.items()))


if __name__ == "__main__":
    sys.exit(main())
