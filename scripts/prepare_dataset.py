"""Load a dataset from its (downloaded) files, clean it, write rows, ids/labels and metadata."""

from deepclust.datasets import clean, load_dataset, write_prepared
from deepclust.rule import logged
from deepclust.sources import local_files

with logged(snakemake):
    name = snakemake.wildcards.dataset
    spec = {"modality": snakemake.params.modality, "source": snakemake.params.source,
            "labels": snakemake.params.labels}
    files = local_files(snakemake.input.get("manifest"))
    loaded = load_dataset(name, spec, files).head(snakemake.params.max_rows)
    dataset = clean(loaded, name, snakemake.params.text)
    write_prepared(dataset, snakemake.output.data, snakemake.output.rows, snakemake.output.meta)
