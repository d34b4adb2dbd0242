"""A 2-D view of a representation, for the cluster figures."""

from deepclust.features import load_matrix, save_array
from deepclust.reduce.views import view_2d
from deepclust.seeding import seed_everything
from deepclust.workflow.rule import logged

with logged(snakemake):
    seed_everything(snakemake.params.seed)
    view = view_2d(load_matrix(snakemake.input.features), snakemake.params.method,
                   snakemake.params.seed)
    save_array(snakemake.output.view, view)
