"""2-D view of a run's representation coloured by cluster and by true class."""

import json

import numpy as np
import pandas as pd

from deepclust.data.datasets import read_labels
from deepclust.figures.plots import plot_clusters
from deepclust.figures.axes import view_method
from deepclust.workflow.rule import logged

with logged(snakemake):
    w = snakemake.wildcards
    clusters = pd.read_csv(snakemake.input.clusters)["cluster"].to_numpy()
    meta = json.loads(open(snakemake.input.meta).read())
    plot_clusters(np.load(snakemake.input.view), clusters, snakemake.output.figure,
                  f"{w.dataset}: pipeline '{w.pipeline}', seed {w.seed}",
                  classes=read_labels(snakemake.input.rows),
                  class_names=meta.get("class_names") or None,
                  view_method=view_method(snakemake.params.method, len(clusters)))
