"""Metrics of one run: ACC/NMI/ARI against labels (when present), internal metrics, and the
map's quantization and topographic errors for a self-organising map."""

import json

import pandas as pd

from deepclust.datasets import read_labels
from deepclust.metrics import evaluate_clustering
from deepclust.features import load_fitted, load_matrix
from deepclust.rule import logged

with logged(snakemake):
    w = snakemake.wildcards
    clusters = pd.read_csv(snakemake.input.clusters)["cluster"].to_numpy()
    metrics = evaluate_clustering(load_matrix(snakemake.input.features), clusters,
                                  read_labels(snakemake.input.rows), seed=snakemake.params.seed)
    result = {"dataset": w.dataset, "pipeline": w.pipeline, "seed": int(w.seed), **metrics}
    if snakemake.input.get("som"):
        result.update(load_fitted(snakemake.input.som).map_quality())
    print(json.dumps(result, indent=2))
    with open(snakemake.output.metrics, "w") as fh:
        json.dump(result, fh, indent=2)
