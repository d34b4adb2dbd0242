"""A 3-D view of a representation (itself when 3-dimensional, else PCA/UMAP to 3-D)."""

from deepclust.features import load_matrix, save_array
from deepclust.reduce.views import view_3d
from deepclust.seeding import seed_everything
from deepclust.workflow.rule import logged

with logged(snakemake):
    seed_everything(snakemake.params.seed)
    view = view_3d(load_matrix(snakemake.input.features), snakemake.params.method,
                   snakemake.params.seed)
    print(f"3-D view ({snakemake.params.method}): {view.shape[0]} rows")
    save_array(snakemake.output.view, view)
