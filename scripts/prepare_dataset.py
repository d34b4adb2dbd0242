"""Load a dataset from its source, clean it, write features, rows (id[, label]) and metadata."""

from deepclust.datasets import clean, load_dataset, write_prepared
from deepclust.rule import logged

with logged(snakemake):
    name = snakemake.wildcards.dataset
    spec = {"modality": snakemake.params.modality, "source": snakemake.params.source,
            "labels": snakemake.params.labels}
    dataset = clean(load_dataset(name, spec), name)
    write_prepared(dataset, snakemake.output.features, snakemake.output.rows,
                   snakemake.output.meta)
