"""Manifold learning (UMAP or Isomap) on a representation; keep the fitted reducer for new data."""

from deepclust.features import load_matrix, save_array, save_fitted
from deepclust.reduce.reducers import reduce
from deepclust.seeding import seed_everything
from deepclust.workflow.rule import logged

with logged(snakemake):
    seed_everything(snakemake.params.seed)
    reducer, embedding = reduce(load_matrix(snakemake.input.features), snakemake.params.settings,
                                snakemake.params.seed, snakemake.threads,
                                name=f"reducers.{snakemake.wildcards.reducer}")
    save_array(snakemake.output.embedding, embedding)
    save_fitted(reducer, snakemake.output.reducer)
