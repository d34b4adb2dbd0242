"""A run's 2-D (and 3-D) view coloured by each column of datasets.X.color_by."""

import numpy as np

from deepclust.data.datasets import read_prepared
from deepclust.figures.views import plot_feature_views
from deepclust.figures.axes import view_method
from deepclust.workflow.rule import logged

with logged(snakemake):
    w = snakemake.wildcards
    table = read_prepared(snakemake.input.data)
    view = np.load(snakemake.input.view)
    views = {f"{view_method(snakemake.params.view_method, len(view))} view": view}
    if "view3d" in snakemake.input.keys():
        name = snakemake.params.axes[0].rsplit(" ", 1)[0]
        views[f"3-D {name}"] = np.load(snakemake.input.view3d)
    plot_feature_views(views, table, snakemake.params.columns, snakemake.output.figure,
                       f"{w.dataset}: pipeline '{w.pipeline}', seed {w.seed}",
                       setting=f"datasets.{w.dataset}.color_by")
