"""3-D scatter of a run's representation coloured by cluster, and a rotating GIF of it."""

import os

import numpy as np
import pandas as pd

from deepclust.data.datasets import read_labels
from deepclust.figures.views import plot_3d, rotating_gif
from deepclust.workflow.rule import logged

with logged(snakemake):
    w = snakemake.wildcards
    view = np.load(snakemake.input.view)
    clusters = pd.read_csv(snakemake.input.clusters)["cluster"].to_numpy()
    if len(view) != len(clusters):
        raise ValueError(f"{snakemake.input.view} has {len(view)} rows but "
                         f"{snakemake.input.clusters} has {len(clusters)}")
    title = f"{w.dataset}: pipeline '{w.pipeline}', seed {w.seed}"
    axes = list(snakemake.params.axes)
    classes = read_labels(snakemake.input.rows)  # colours as in clusters.png
    plot_3d(view, clusters, snakemake.output.figure, title, axes, classes=classes)
    rotating_gif(view, clusters, snakemake.output.gif, title, axes, classes=classes)
    print(f"{snakemake.output.gif}: {os.path.getsize(snakemake.output.gif) / 1e6:.2f} MB")
