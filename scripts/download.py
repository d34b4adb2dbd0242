"""Fetch (or keep, when it still verifies) one raw file of a dataset and record its sha256."""

from deepclust.data.sources import download_file
from deepclust.workflow.rule import logged

with logged(snakemake):
    download_file(snakemake.wildcards.dataset, snakemake.params.key, snakemake.params.entry,
                  snakemake.output.file, snakemake.output.record)
