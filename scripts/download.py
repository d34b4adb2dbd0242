"""Fetch (or keep, when it still verifies) one raw file of a dataset and record its sha256."""

from deepclust.rule import logged
from deepclust.sources import download_file

with logged(snakemake):
    download_file(snakemake.wildcards.dataset, snakemake.params.key, snakemake.params.entry,
                  snakemake.output.file, snakemake.output.record)
