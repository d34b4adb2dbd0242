"""Confusion matrix of a run: true class x cluster, clusters in Hungarian-matched order."""

import json

import pandas as pd

from deepclust.data.datasets import read_labels
from deepclust.evaluate.matching import cluster_accuracy, confusion_table
from deepclust.figures.plots import plot_confusion_matrix
from deepclust.workflow.rule import logged

with logged(snakemake):
    w = snakemake.wildcards
    clusters = pd.read_csv(snakemake.input.clusters)["cluster"].to_numpy()
    labels = read_labels(snakemake.input.rows)
    if labels is None:
        raise ValueError(f"{snakemake.input.rows}: no label column, so no confusion matrix")
    table, classes, order = confusion_table(labels, clusters)
    meta = json.loads(open(snakemake.input.meta).read())
    plot_confusion_matrix(table, classes, order, snakemake.output.figure,
                          f"{w.dataset}: pipeline '{w.pipeline}', seed {w.seed} "
                          f"(ACC {cluster_accuracy(labels, clusters):.3f})",
                          class_names=meta.get("class_names") or None)
