"""DEC / IDEC on the pipeline's pretrained autoencoder: labels, soft assignments, the trained
model, its embedding, the training history and its figure."""

import pandas as pd

from deepclust.atomic import atomic_path
from deepclust.cluster.choose_k import check_k, resolve_k
from deepclust.data.datasets import read_image_shape, read_labels, read_rows
from deepclust.features import load_matrix, save_array
from deepclust.seeding import seed_everything
from deepclust.workflow.rule import logged

with logged(snakemake):
    seed = snakemake.params.seed
    settings = snakemake.params.settings
    rows = read_rows(snakemake.input.rows)
    k = resolve_k(snakemake.params.k, settings, rows, snakemake.input.get("k"))
    check_k(k, len(rows))
    seed_everything(seed, tensorflow=True, threads=snakemake.threads)
    from deepclust.cluster.dec import make_deep_clusterer, read_start_clusters
    from deepclust.encoders.training import load_autoencoder
    from deepclust.figures.plots import plot_dec_progress

    features = load_matrix(snakemake.input.vectorized)
    start = read_start_clusters(snakemake.input.start, rows, settings["init_from"]) \
        if snakemake.input.start else None
    dec = make_deep_clusterer(
        settings, k, seed, encoder=load_autoencoder(snakemake.input.autoencoder),
        init="kmeans" if start is None else start,
        image_shape=read_image_shape(snakemake.input.meta),
    ).fit(features, y=read_labels(snakemake.input.rows),
          embedding=load_matrix(snakemake.input.features))
    ids = rows[["id"]]
    ids.assign(cluster=dec.labels_).to_csv(snakemake.output.clusters, index=False)
    soft = pd.DataFrame(dec.q_, columns=[f"q{j}" for j in range(k)])
    pd.concat([ids, soft], axis=1).to_csv(snakemake.output.soft, index=False,
                                          float_format="%.6g")
    with atomic_path(snakemake.output.model) as tmp:
        dec.model_.save(tmp)
    save_array(snakemake.output.embedding, dec.transform(features))
    pd.DataFrame(dec.history_).to_csv(snakemake.output.history, index=False)
    w = snakemake.wildcards
    plot_dec_progress(dec.history_, snakemake.output.figure,
                      f"{dec.method} ('{w.pipeline}') on {w.dataset}, seed {seed}: "
                      f"{dec.n_iter_} iterations" + (" (converged)" if dec.converged_ else ""),
                      tol=dec.tol)
