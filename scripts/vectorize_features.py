"""Vectorize / scale the prepared rows; save the fitted vectorizer for new data."""

import json

from deepclust.data.datasets import read_prepared
from deepclust.data.vectorizers import vectorize
from deepclust.features import save_fitted, save_matrix
from deepclust.workflow.rule import logged

with logged(snakemake):
    meta = json.loads(open(snakemake.input.meta).read())
    settings = dict(snakemake.params.settings, column_types=meta.get("column_types"))
    vectorizer, features = vectorize(read_prepared(snakemake.input.data),
                                     snakemake.params.modality, settings)
    save_matrix(snakemake.output.features, features)
    save_fitted(vectorizer, snakemake.output.vectorizer)
