"""Cluster a representation; write one cluster label per row id (-1 = noise)."""

from deepclust.cluster.choose_k import resolve_k
from deepclust.cluster.clusterers import fit_predict, predictor
from deepclust.data.datasets import read_rows
from deepclust.features import load_matrix, save_fitted
from deepclust.seeding import seed_everything
from deepclust.workflow.rule import logged

with logged(snakemake):
    seed = snakemake.params.seed
    seed_everything(seed)
    rows = read_rows(snakemake.input.rows)
    k = resolve_k(snakemake.params.k, snakemake.params.settings, rows,
                  snakemake.input.get("k"))
    features = load_matrix(snakemake.input.features)
    estimator, labels = fit_predict(features, snakemake.params.settings, k, seed)
    rows[["id"]].assign(cluster=labels).to_csv(snakemake.output.clusters, index=False)
    save_fitted(predictor(estimator, features, labels), snakemake.output.clusterer)
