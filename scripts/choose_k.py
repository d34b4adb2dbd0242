"""Choose K by the elbow of KMeans inertia (silhouette as a second opinion); plot it."""

import json

from deepclust.cluster.choose_k import choose_k
from deepclust.features import load_matrix
from deepclust.figures.plots import plot_elbow
from deepclust.seeding import seed_everything
from deepclust.workflow.rule import logged

with logged(snakemake):
    seed_everything(snakemake.params.seed)
    k_min, k_max = snakemake.params.k_range
    selection = choose_k(load_matrix(snakemake.input.features), k_min, k_max,
                         snakemake.params.seed, method=snakemake.params.method)
    with open(snakemake.output.selection, "w") as fh:
        json.dump(selection, fh, indent=2)
    w = snakemake.wildcards
    plot_elbow(selection, snakemake.output.figure,
               f"Choice of K on {w.dataset} ({w.encoder} / {w.reducer}), seed {w.seed}")
