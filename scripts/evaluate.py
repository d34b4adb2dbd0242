"""Metrics of one run: ACC/NMI/ARI against labels (when present) and internal metrics."""

import json

import pandas as pd

from deepclust.datasets import read_labels
from deepclust.metrics import evaluate_clustering
from deepclust.features import load_matrix
from deepclust.rule import logged

with logged(snakemake):
    w = snakemake.wildcards
    clusters = pd.read_csv(snakemake.input.clusters)["cluster"].to_numpy()
    metrics = evaluate_clustering(load_matrix(snakemake.input.features), clusters,
                                  read_labels(snakemake.input.rows), seed=snakemake.params.seed)
    result = {"dataset": w.dataset, "pipeline": w.pipeline, "seed": int(w.seed), **metrics}
    print(json.dumps(result, indent=2))
    with open(snakemake.output.metrics, "w") as fh:
        json.dump(result, fh, indent=2)
