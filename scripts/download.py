"""Fetch (or find) every raw file of a dataset, verify it, write the manifest."""

from deepclust.rule import logged
from deepclust.sources import acquire, write_manifest

with logged(snakemake):
    manifest = acquire(snakemake.wildcards.dataset, snakemake.params.files,
                       snakemake.params.folder)
    write_manifest(manifest, snakemake.output.manifest)
