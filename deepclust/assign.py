"""Cluster new data with a trained pipeline: ``python -m deepclust.assign``.

A pipeline run of the workflow leaves its fitted models in the results folder
(:data:`deepclust.paths.MODELS`): the vectorizer of the dataset, the
autoencoder, the reducer (UMAP/Isomap), and the clusterer (KMeans/GMM, a
nearest-point assigner for DBSCAN/HDBSCAN, or the DEC/IDEC model). New rows of
the same dataset type go through exactly these steps:

    read + clean (as the dataset's loader does) -> vectorizer.transform
    -> encoder -> reducer.transform -> clusterer.predict

and come out as ``id,cluster`` (plus ``q0..qK-1`` soft assignments for DEC/IDEC).

Example (after ``snakemake`` has run pipeline n2d on mnist-test, seed 0)::

    python -m deepclust.assign --dataset mnist-test --pipeline n2d --seed 0 \\
        --file images=new-images-idx3-ubyte.gz --output new_clusters.csv
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from deepclust.config import NONE, ConfigError, is_dec, load_config, pipeline
from deepclust.datasets import Dataset, DatasetError, clean, load_dataset, text_cleaning
from deepclust.paths import model_path

log = logging.getLogger(__name__)


def read_matrix_rows(path) -> np.ndarray:
    """A numeric matrix from ``.npy`` or a headerless ``.csv`` (one row per line)."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: file not found")
    if path.suffix == ".npy":
        rows = np.load(path)
    else:
        try:
            rows = np.loadtxt(path, delimiter=",", ndmin=2)
        except ValueError as error:
            raise DatasetError(f"{path}: not a numeric CSV matrix ({error})") from None
    if rows.ndim != 2:
        raise DatasetError(f"{path}: expected a 2-D matrix of rows, got shape {rows.shape}")
    return np.asarray(rows, dtype=np.float32)


def read_text_lines(path) -> list[str]:
    """One document per non-empty line of a UTF-8 text file."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: file not found")
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


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
    if source["kind"] == "table":  # new rows need no label column
        from deepclust.tabular import read_table

        present = set(read_table(files["table"]).columns)
        source["columns"] = {c: k for c, k in source.get("columns", {}).items()
                             if not (k == "label" and c not in present)}
    return load_dataset(name, dict(spec, source=source, labels="none"), files)


def _check_width(features, expected: int | None, what: str) -> None:
    if expected is not None and features.shape[1] != expected:
        raise DatasetError(f"the new rows have {features.shape[1]} features but {what} was "
                           f"trained on {expected}")


def vectorize_new(vectorizer, dataset: Dataset, modality: str):
    from deepclust.features import apply_vectorizer

    data = dataset.data
    if modality == "tabular":  # columns the training table had (e.g. missing-value indicators)
        data = data.reindex(columns=list(vectorizer.types), fill_value=0)
    elif modality != "text":
        _check_width(np.asarray(data), getattr(vectorizer, "n_features_in_", None),
                     "the vectorizer")
    return apply_vectorizer(vectorizer, data, modality)


def assign_clusters(config: dict, results, dataset: str, pipeline_name: str, seed: int,
                    files: dict) -> pd.DataFrame:
    """Cluster assignments of new rows by a trained pipeline: ``id, cluster`` (DEC/IDEC:
    plus soft assignments ``q0..``)."""
    from deepclust.features import load_fitted

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
    needed = ["vectorizer"]
    if is_dec(config, pipeline_name):
        needed.append("dec")
    else:
        needed += [name for name, step in (("autoencoder", chain.encoder),
                                           ("reducer", chain.reducer)) if step != NONE]
        needed.append("clusterer")
    paths = {name: model_path(results, name, **keys) for name in needed}
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        raise FileNotFoundError(f"pipeline {pipeline_name!r} (seed {seed}) on {dataset!r} has "
                                f"not been trained: missing {', '.join(missing)}; run the "
                                "workflow with it first")
    new = clean(load_new_data(dataset, spec, files), dataset, text_cleaning(spec))
    features = vectorize_new(load_fitted(paths["vectorizer"]), new, spec["modality"])
    log.info("%d new rows -> %d features", *features.shape)
    out = pd.DataFrame({"id": new.ids})
    if "dec" in paths:
        from deepclust.dec import load_dec, soft_assignments

        model = load_dec(paths["dec"])
        _check_width(features, model.input_shape[-1], "the DEC model")
        q = soft_assignments(model, features)
        out["cluster"] = q.argmax(axis=1)
        return pd.concat([out, pd.DataFrame(q, columns=[f"q{j}" for j in range(q.shape[1])])],
                         axis=1)
    representation = features
    if "autoencoder" in paths:
        from deepclust.models import embed, load_autoencoder

        autoencoder = load_autoencoder(paths["autoencoder"])
        _check_width(features, autoencoder.input_shape[-1], "the autoencoder")
        representation = embed(autoencoder, features)
    if "reducer" in paths:
        from deepclust.reduce import load_reducer, transform

        representation = transform(load_reducer(paths["reducer"]), representation)
    from deepclust.cluster import predict_clusters

    out["cluster"] = predict_clusters(load_fitted(paths["clusterer"]), representation)
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
    parser.add_argument("--output", required=True, type=Path, help="CSV to write (id,cluster)")
    parser.add_argument("--config", nargs="+", default=["config.yaml"],
                        help="config files, merged in order as the workflow ran with them")
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
    partial = args.output.with_name(args.output.name + ".partial")
    assigned.to_csv(partial, index=False)
    partial.replace(args.output)  # never a half-written output
    counts = assigned["cluster"].value_counts().sort_index()
    print(f"{len(assigned)} rows -> {args.output}; rows per cluster: "
          + ", ".join(f"{c}: {n}" for c, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
