"""Keep the original (uncleaned) text of every prepared document, for terms.md: the first
1,200 characters of each, in the order of prepared/rows.csv."""

import pandas as pd

from deepclust.data.datasets import load_dataset
from deepclust.data.sources import verified_files
from deepclust.explain.terms import align_documents
from deepclust.features import save_fitted
from deepclust.workflow.rule import logged

with logged(snakemake):
    name = snakemake.wildcards.dataset
    spec = {"modality": snakemake.params.modality, "source": snakemake.params.source,
            "labels": snakemake.params.labels}
    inputs = {k: v for k, v in snakemake.input.items() if k != "rows"}
    files = verified_files(name, spec["source"].get("files", {}), inputs)
    loaded = load_dataset(name, spec, files).head(snakemake.params.max_rows)
    if not isinstance(loaded.data, list):
        raise ValueError(f"datasets.{name}: modality {spec['modality']!r} has no documents; "
                         "keep_documents is for text datasets")
    ids = pd.read_csv(snakemake.input.rows, dtype={"id": str})["id"].tolist()
    documents = align_documents(loaded.data, loaded.ids, ids)
    print(f"kept the original text of {len(documents)} documents")
    save_fitted(documents, snakemake.output.documents)
