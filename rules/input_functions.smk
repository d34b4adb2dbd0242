# The input and params functions of the rules, which resolve a job's wildcards (a pipeline
# name, above all) into the upstream files and settings it reads.

import os

from snakemake.exceptions import WorkflowError

from deepclust.cluster.choose_k import needs_k
from deepclust.workflow.config import (
    NONE,
    dec_start,
    encoder_kind,
    is_dec,
    is_som,
    pipeline,
)
from deepclust.data.datasets import text_cleaning
from deepclust.data.download import DownloadError
from deepclust.data.sources import file_url_path, prepare_inputs
from deepclust.data.text import TEXT_VECTORIZER_KEYS


def representation(dataset, encoder, reducer, seed):
    """The features a clusterer (or reducer) reads for this chain."""
    if reducer != NONE:
        return f"{PATHS['reduced']}/embedding.npy".format(
            dataset=dataset, encoder=encoder, reducer=reducer, seed=seed
        )
    if encoder != NONE:
        return f"{PATHS['encoded']}/embedding.npy".format(
            dataset=dataset, encoder=encoder, seed=seed
        )
    return f"{PATHS['vectorized']}/features.npz".format(dataset=dataset)


def downloads_of(dataset):
    """The raw files of a dataset that the download rule fetches, by key."""
    return {k: f for k, f in RAW_FILES.get(dataset, {}).items() if f.downloaded}


def raw_inputs(wildcards):
    """Every raw file of the dataset by its key (the cached download, with its record, or the
    user's own file where it is), so that editing any of them reruns its dataset's chain.
    """
    if wildcards.dataset not in RAW_FILES:
        return {}
    try:
        return prepare_inputs(
            wildcards.dataset,
            config["datasets"][wildcards.dataset]["source"]["files"],
            RAW_FILES[wildcards.dataset],
        )
    except DownloadError as error:
        raise WorkflowError(str(error))


def downloaded_file(wildcards):
    """The key and config entry of the file a download job fetches."""
    for key, raw in downloads_of(wildcards.dataset).items():
        if raw.name == wildcards.file:
            return key, config["datasets"][wildcards.dataset]["source"]["files"][key]
    raise WorkflowError(
        f"{DOWNLOADS}/{wildcards.dataset}/{wildcards.file} is not a file "
        f"that datasets.{wildcards.dataset} downloads"
    )


def download_source(wildcards):
    """A file:// source, tracked: editing it fetches it anew. With a sha256 the entry (a
    param of the download rule) pins the content, so a new modification time alone (a copy,
    a remount of the data) reruns nothing; new content fails that checksum when fetched.
    """
    key, entry = downloaded_file(wildcards)
    path = file_url_path(entry.get("url"))
    if path is None:
        return {}
    if not os.path.isfile(path):
        raise WorkflowError(
            f"cannot read {path}: file not found "
            f"(datasets.{wildcards.dataset}.source.files.{key}.url)"
        )
    return {} if entry.get("sha256") else {"source": path}


def training_rule(encoder):
    """The rule that trains a named encoder."""
    if encoder_kind(config, encoder) == "contrastive":
        return "train_contrastive_encoder"
    return "train_autoencoder"


def reducer_input(wildcards):
    return representation(wildcards.dataset, wildcards.encoder, NONE, wildcards.seed)


def representation_of_reduction(wildcards):
    return representation(
        wildcards.dataset, wildcards.encoder, wildcards.reducer, wildcards.seed
    )


def _run_chain(wildcards):
    return pipeline(config, wildcards.pipeline)


def needs_k_selection(dataset, clusterer):
    """True when K must be chosen by the elbow method for this dataset and clusterer."""
    return k_setting(dataset, clusterer) == "auto" and needs_k(
        config["clusterers"][clusterer]
    )


def k_setting(dataset, clusterer):
    """The clusterer's own n_clusters if it has one, else the dataset's k."""
    return config["clusterers"][clusterer].get(
        "n_clusters", config["datasets"][dataset]["k"]
    )


def cluster_inputs(wildcards):
    chain = _run_chain(wildcards)
    inputs = {
        "features": representation(
            wildcards.dataset, chain.encoder, chain.reducer, wildcards.seed
        ),
        "rows": f"{PATHS['prepared']}/rows.csv".format(dataset=wildcards.dataset),
    }
    if needs_k_selection(wildcards.dataset, chain.clusterer):
        inputs["k"] = f"{PATHS['k']}/k.json".format(
            dataset=wildcards.dataset,
            encoder=chain.encoder,
            reducer=chain.reducer,
            seed=wildcards.seed,
        )
    return inputs


def clustered_features(wildcards):
    """The representation a run's clusters live in: DEC's own trained embedding, or the
    encoder/reducer output the clusterer read."""
    if is_dec(config, wildcards.pipeline):
        return run_file(
            "dec_embedding.npy", wildcards.dataset, wildcards.pipeline, wildcards.seed
        )
    return cluster_inputs(wildcards)["features"]


def dec_start_clusters(wildcards):
    """The clusters that start a DEC/IDEC run's centres (clusterer init_from: a pipeline of
    the same dataset and seed); nothing when KMeans starts them."""
    start = dec_start(config, wildcards.pipeline)
    if start is None:
        return []
    return run_file("clusters.csv", wildcards.dataset, start, wildcards.seed)


def som_of_run(wildcards):
    """The fitted map of a SOM run (its quantization and topographic errors go into
    metrics.json); nothing for other pipelines."""
    if not is_som(config, wildcards.pipeline):
        return {}
    return {
        "som": run_file(
            "clusterer.joblib", wildcards.dataset, wildcards.pipeline, wildcards.seed
        )
    }


def encoder_training_of_run(wildcards):
    """The training record (training.json) of a run's encoder: metrics.json records the
    machine that trained it (encoder_machine); nothing for pipelines without an encoder.
    """
    encoder = _run_chain(wildcards).encoder
    if encoder == NONE:
        return {}
    return {
        "training": f"{PATHS['encoded']}/training.json".format(
            dataset=wildcards.dataset, encoder=encoder, seed=wildcards.seed
        )
    }


#: the seed of the figure views of the raw features, which no run seed changes: projected
#: once, with this seed, and shared by the figures of every seed
SHARED_VIEW_SEED = 0


def view_seed(encoder, reducer, seed):
    """The seed of the 2-D/3-D view a run's figures use: the run's own, or SHARED_VIEW_SEED
    for a chain without encoder and reducer (the vectorized features)."""
    if encoder == NONE and reducer == NONE:
        return SHARED_VIEW_SEED
    return seed


def view_path(template, dataset, pipeline_name, seed):
    """``template`` (a path with dataset/encoder/reducer/seed wildcards) filled in for the
    view a run is drawn on: its chain's representation, of seed 0 when that representation
    does not depend on the seed (view_seed)."""
    chain = pipeline(config, pipeline_name)
    return template.format(
        dataset=dataset,
        encoder=chain.encoder,
        reducer=chain.reducer,
        seed=view_seed(chain.encoder, chain.reducer, seed),
    )


def view_benchmark(rule_name, dataset, pipeline_name, seed):
    """The benchmark file of the job that projects a run's view (project_2d, project_3d)."""
    return view_path(benchmark_path(rule_name), dataset, pipeline_name, seed)


def view_of_run(wildcards):
    return view_path(
        f"{PATHS['view']}/view.npy",
        wildcards.dataset,
        wildcards.pipeline,
        wildcards.seed,
    )


def documents_cleaning(dataset):
    """How a text dataset's documents are cleaned when it is prepared (tables' text columns
    are cleaned by their vectorizer instead: see vectorizer_settings)."""
    spec = config["datasets"][dataset]
    return text_cleaning(spec) if spec["modality"] == "text" else {}


def vectorizer_settings(dataset):
    """Only the settings the vectorizer of this dataset's modality uses (for rerun-on-change)."""
    spec = config["datasets"][dataset]
    modality = spec["modality"]
    if modality == "text":  # the documents were cleaned when the dataset was prepared
        return {"text": {k: spec["text"][k] for k in TEXT_VECTORIZER_KEYS}}
    if modality == "tabular":  # text columns are cleaned by the vectorizer
        return {"text": spec["text"]}
    return {"scaling": spec["scaling"]}
