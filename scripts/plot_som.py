"""Figures of a self-organising map run: U-matrix (som_umatrix.png) and hit map (som_hits.png)."""

import json

from deepclust.data.datasets import read_labels
from deepclust.features import load_fitted
from deepclust.figures.som_figures import plot_hit_map, plot_umatrix
from deepclust.workflow.rule import logged

with logged(snakemake):
    w = snakemake.wildcards
    som = load_fitted(snakemake.input.som)
    meta = json.loads(open(snakemake.input.meta).read())
    title = f"{w.dataset}: pipeline '{w.pipeline}', seed {w.seed}"
    plot_umatrix(som, snakemake.output.umatrix, title, labels=read_labels(snakemake.input.rows),
                 class_names=meta.get("class_names") or None)
    plot_hit_map(som, snakemake.output.hits, title)
