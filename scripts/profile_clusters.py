"""Cluster profiles of a table: profiles.csv, profiles.html and per-cluster histograms."""

import json

import pandas as pd

from deepclust.data.datasets import read_prepared, read_rows
from deepclust.explain.profiles import ProfileError, cluster_profiles, plot_profiles, write_profiles
from deepclust.workflow.rule import logged

with logged(snakemake):
    w = snakemake.wildcards
    frame = read_prepared(snakemake.input.data)
    rows = read_rows(snakemake.input.rows)
    meta = json.loads(open(snakemake.input.meta).read())
    clusters = pd.read_csv(snakemake.input.clusters)
    if not isinstance(frame, pd.DataFrame) or "column_types" not in meta:
        raise ProfileError(f"{snakemake.input.data}: not a table (cluster profiles are for "
                           f"datasets with modality: tabular)")
    if len(clusters) != len(rows) or not (
            clusters["id"].astype(str).to_numpy() == rows["id"].astype(str).to_numpy()).all():
        raise ProfileError(f"{snakemake.input.clusters}: its ids are not the rows of "
                           f"{snakemake.input.rows} in order; rerun the workflow")
    labels = rows["label"].to_numpy() if "label" in rows else None
    title = f"{w.dataset}: pipeline '{w.pipeline}', seed {w.seed}"
    profiles = cluster_profiles(frame.reset_index(drop=True), meta["column_types"],
                                clusters["cluster"].to_numpy(), labels=labels,
                                class_names=meta.get("class_names"))
    write_profiles(profiles, snakemake.output.table, snakemake.output.page,
                   title=f"Cluster profiles — {title}")
    plot_profiles(frame.reset_index(drop=True), meta["column_types"],
                  clusters["cluster"].to_numpy(), snakemake.output.figure, title)
