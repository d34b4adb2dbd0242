"""Load a dataset from its (downloaded) files, clean it, write rows, ids/labels and metadata."""

from deepclust.data.datasets import check_k_fits, clean, load_dataset, write_prepared
from deepclust.data.sources import verified_files
from deepclust.workflow.rule import logged

with logged(snakemake):
    name = snakemake.wildcards.dataset
    spec = {"modality": snakemake.params.modality, "source": snakemake.params.source,
            "labels": snakemake.params.labels}
    # each raw file checked against its configured and recorded sha256 before it is read
    files = verified_files(name, spec["source"].get("files", {}), dict(snakemake.input.items()))
    loaded = load_dataset(name, spec, files).head(snakemake.params.max_rows)
    dataset = clean(loaded, name, snakemake.params.text)
    # before any model is trained; read from the config, not a param, so that changing K
    # reruns only the clustering, not the preparation
    check_k_fits(dataset, name, snakemake.config["datasets"][name]["k"])
    write_prepared(dataset, snakemake.output.data, snakemake.output.rows, snakemake.output.meta)
