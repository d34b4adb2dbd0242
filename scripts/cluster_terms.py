"""Top terms and nearest documents of a text clustering: terms.csv, terms.md, terms.png."""

import json

import pandas as pd

from deepclust.data.datasets import read_prepared
from deepclust.explain.terms import explain_text, term_counts
from deepclust.features import load_fitted, load_matrix
from deepclust.workflow.rule import logged

with logged(snakemake):
    w = snakemake.wildcards
    clusters = pd.read_csv(snakemake.input.clusters)["cluster"].to_numpy()
    rows = pd.read_csv(snakemake.input.rows, dtype={"id": str})
    meta = json.loads(open(snakemake.input.meta).read())
    vectorizer = load_fitted(snakemake.input.vectorizer)
    counts = term_counts(vectorizer, read_prepared(snakemake.input.data))
    explain_text(counts, vectorizer.get_feature_names_out(), load_matrix(snakemake.input.features),
                 clusters, load_fitted(snakemake.input.documents), rows["id"].tolist(),
                 snakemake.output.csv, snakemake.output.markdown, snakemake.output.figure,
                 f"{w.dataset}: pipeline '{w.pipeline}', seed {w.seed}",
                 labels=rows["label"].to_numpy() if "label" in rows else None,
                 class_names=meta.get("class_names") or None,
                 n_terms=snakemake.params.n_terms, n_documents=snakemake.params.n_documents,
                 method=snakemake.params.method,
                 text_note="Documents are shown as in the source (before cleaning), first "
                           "300 characters.")
