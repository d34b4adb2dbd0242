"""Example grid of an image clustering: per cluster the images nearest its centre, then
random members (examples.png)."""

import json

import pandas as pd

from deepclust.data.datasets import read_image_shape, read_labels, read_prepared
from deepclust.features import load_matrix
from deepclust.figures.examples import plot_examples
from deepclust.workflow.rule import logged

with logged(snakemake):
    w = snakemake.wildcards
    clusters = pd.read_csv(snakemake.input.clusters)["cluster"].to_numpy()
    meta = json.loads(open(snakemake.input.meta).read())
    plot_examples(read_prepared(snakemake.input.data), read_image_shape(snakemake.input.meta),
                  load_matrix(snakemake.input.features), clusters, snakemake.output.figure,
                  f"{w.dataset}: pipeline '{w.pipeline}', seed {w.seed}",
                  seed=snakemake.params.seed, n_nearest=snakemake.params.n_nearest,
                  n_random=snakemake.params.n_random, labels=read_labels(snakemake.input.rows),
                  class_names=meta.get("class_names") or None)
