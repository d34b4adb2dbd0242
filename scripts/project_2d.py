"""A 2-D view of a representation, for the cluster figures."""

import numpy as np

from deepclust.reduce import view_2d
from deepclust.features import load_matrix
from deepclust.rule import logged
from deepclust.seeding import seed_everything

with logged(snakemake):
    seed_everything(snakemake.params.seed)
    view = view_2d(load_matrix(snakemake.input.features), snakemake.params.method,
                   snakemake.params.seed)
    np.save(snakemake.output.view, view)
