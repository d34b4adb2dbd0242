# Config loading and validation, path templates, and the input functions that
# resolve a pipeline name into its upstream files. No rules live here.

import os
import re

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

# The shared library (deepclust/) is an installed package: `pip install -e .` into the venv
# (Makefile) and into each conda env by envs/*.post-deploy.sh, which Snakemake runs from the
# working directory; it finds the workflow folder (the package) in this variable, which the
# workflow sets (so no envvars directive: the user provides nothing).
os.environ.update(DEEPCLUST_WORKFLOW_DIR=workflow.basedir)

from deepclust.cluster import needs_k
from deepclust.datasets import text_cleaning
from deepclust.paths import FOLDERS, MODELS, RUN, SEEDED_ENCODER, SEEDED_REDUCTION
from deepclust.reduce import reducer_threads
from deepclust.download import DownloadError
from deepclust.sources import RECORD_SUFFIX, file_url_path, prepare_inputs, raw_files
from deepclust.vectorizers import TEXT_VECTORIZER_KEYS
from deepclust.config import (
    AUTOENCODER_KINDS,
    NONE,
    ConfigError,
    check_config,
    dec_start,
    describe_validation_error,
    encoder_kind,
    has_labels,
    is_dec,
    is_som,
    pipeline,
)

try:
    validate(config, "../schemas/config.schema.yaml")
except WorkflowError as error:
    raise WorkflowError(f"Invalid config: {describe_validation_error(error) or error}")
try:
    check_config(config)
    # every dataset's raw files: cached downloads (one download job each) or the user's own
    RAW_FILES = {
        name: raw_files(name, spec["source"]["files"], config["downloads"])
        for name, spec in config["datasets"].items()
        if "files" in spec["source"]
    }
except ConfigError as error:
    raise WorkflowError(f"Invalid config: {error}")


# Autoencoders and contrastive encoders train in their own rules (rules/encode.smk).
AUTOENCODERS = [
    e for e in config["encoders"] if encoder_kind(config, e) in AUTOENCODER_KINDS
]
CONTRASTIVE_ENCODERS = [
    e for e in config["encoders"] if encoder_kind(config, e) == "contrastive"
]

# DEC/IDEC pipelines have their own clustering rule (cluster_dec); the others use cluster.
DEC_PIPELINES = [p for p in config["pipelines"] if is_dec(config, p)]
FROZEN_PIPELINES = [p for p in config["pipelines"] if not is_dec(config, p)]
# Self-organising maps are fitted by the cluster rule; they add figures (rules/som.smk).
SOM_PIPELINES = [p for p in config["pipelines"] if is_som(config, p)]

RESULTS = "results"
DOWNLOADS = config["downloads"]

# The model file each training rule writes (deepclust/paths.py MODELS).
MODEL_FILES = {
    "train_autoencoder": MODELS["autoencoder"][1],
    "train_contrastive_encoder": MODELS["contrastive_encoder"][1],
}

# Where each rule's output, log and benchmark files go (templates: deepclust/paths.py).
PATHS = {name: f"{RESULTS}/{folder}" for name, folder in FOLDERS.items()}
JOB_KEYS = {
    "download": "{dataset}/{file}",
    "prepare_dataset": "{dataset}",
    "vectorize_features": "{dataset}",
    "train_autoencoder": f"{{dataset}}/{SEEDED_ENCODER}",
    "train_contrastive_encoder": f"{{dataset}}/{SEEDED_ENCODER}",
    "embed_features": f"{{dataset}}/{SEEDED_ENCODER}",
    "reduce_embedding": f"{{dataset}}/{SEEDED_REDUCTION}",
    "choose_k": f"{{dataset}}/{SEEDED_REDUCTION}",
    "project_2d": f"{{dataset}}/{SEEDED_REDUCTION}",
    "cluster": f"{{dataset}}/{RUN}",
    "cluster_dec": f"{{dataset}}/{RUN}",
    "plot_confusion_matrix": f"{{dataset}}/{RUN}",
    "evaluate": f"{{dataset}}/{RUN}",
    "plot_clusters": f"{{dataset}}/{RUN}",
    "leaderboard": "all",
}


def log_path(rule_name):
    return f"{RESULTS}/logs/{rule_name}/{JOB_KEYS[rule_name]}.log"


def benchmark_path(rule_name):
    return f"{RESULTS}/benchmarks/{rule_name}/{JOB_KEYS[rule_name]}.tsv"


def _alternatives(names):
    return "|".join(re.escape(n) for n in names) or "(?!)"


wildcard_constraints:
    dataset=_alternatives(config["datasets"]),
    encoder=_alternatives([*config["encoders"], NONE]),
    reducer=_alternatives([*config["reducers"], NONE]),
    pipeline=_alternatives(config["pipelines"]),
    seed=r"\d+",


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


def encoder_model(wildcards):
    """The trained model file of the wildcards' encoder (either kind embeds alike)."""
    name = MODEL_FILES[training_rule(wildcards.encoder)]
    return f"{PATHS['encoded']}/{name}".format(**wildcards)


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


def stage_benchmarks(dataset, pipeline_name, seed, figures=True):
    """Benchmark file of every stage in one run's chain (for wall time per stage); with
    ``figures``, also of the jobs that draw its figures."""
    chain = pipeline(config, pipeline_name)
    keys = dict(
        dataset=dataset,
        encoder=chain.encoder,
        reducer=chain.reducer,
        pipeline=pipeline_name,
        seed=seed,
    )
    stages = {"prepare": "prepare_dataset", "vectorize": "vectorize_features"}
    if chain.encoder != NONE:
        stages.update(train=training_rule(chain.encoder), embed="embed_features")
    if chain.reducer != NONE:
        stages["reduce"] = "reduce_embedding"
    if needs_k_selection(dataset, chain.clusterer):
        stages["choose_k"] = "choose_k"
    stages.update(
        cluster="cluster_dec" if is_dec(config, pipeline_name) else "cluster",
        evaluate="evaluate",
    )
    benchmarks = {
        stage: benchmark_path(rule).format(**keys) for stage, rule in stages.items()
    }
    # DEC/IDEC started from another pipeline's clusters: that pipeline's jobs count too
    start = dec_start(config, pipeline_name)
    if start is not None:
        first = stage_benchmarks(dataset, start, seed, figures=False)
        benchmarks["cluster"] = [first["cluster"], benchmarks["cluster"]]
        if "reduce" in first:
            benchmarks["reduce"] = first["reduce"]
    if figures:
        benchmarks["figures"] = figure_benchmarks(dataset, pipeline_name, seed)
    fetched = [f.name for f in downloads_of(dataset).values()]
    if fetched:  # one download job per file: the stage takes all of them
        benchmarks = {
            "download": [
                benchmark_path("download").format(dataset=dataset, file=name)
                for name in fetched
            ],
            **benchmarks,
        }
    return benchmarks


def figure_benchmarks(dataset, pipeline_name, seed):
    """Benchmark files of every job that makes a run's figures and tables: the rules with
    targets for the run (RUN_TARGETS) and the jobs only they need (FIGURE_INPUT_BENCHMARKS).
    """
    keys = dict(dataset=dataset, pipeline=pipeline_name, seed=seed)
    benchmarks = [
        benchmark_path(rule).format(**keys)
        for rule, targets_of in RUN_TARGETS
        if targets_of(dataset, pipeline_name, seed)
    ]
    for benchmarks_of in FIGURE_INPUT_BENCHMARKS:
        benchmarks += benchmarks_of(dataset, pipeline_name, seed)
    return benchmarks


def runs():
    """(dataset, pipeline, seed) of every run in the config."""
    return [
        (d, p, s)
        for d in config["run"]["datasets"]
        for p in config["run"]["pipelines"]
        for s in config["run"]["seeds"]
    ]


def run_file(name, dataset, pipeline_name, seed):
    return f"{PATHS['run']}/{name}".format(
        dataset=dataset, pipeline=pipeline_name, seed=seed
    )


def leaderboard_runs():
    """metrics.json of every run -> benchmark files of its stages."""
    return {
        run_file("metrics.json", d, p, s): stage_benchmarks(d, p, s)
        for d, p, s in runs()
    }


# Rules files that add outputs to `rule all` register them here (a rules file appends an
# entry; final_targets() and the leaderboard read them once every rules file is included):
#: (rule, f(dataset, pipeline, seed) -> list of paths): the figures and tables a rule makes
#: for a run (none: the run has no such job); the leaderboard times these jobs as the run's
#: `figures` stage
RUN_TARGETS = [
    ("plot_clusters", lambda d, p, s: [run_file("clusters.png", d, p, s)]),
    (
        "plot_confusion_matrix",
        lambda d, p, s: (
            [run_file("confusion.png", d, p, s)]
            if has_labels(config["datasets"][d])
            else []
        ),
    ),
]
#: f(dataset, pipeline, seed) -> benchmark files of the jobs that only a run's figures need
#: (its views, the documents kept for a text dataset's terms)
FIGURE_INPUT_BENCHMARKS = [lambda d, p, s: [view_benchmark("project_2d", d, p, s)]]
#: f() -> list of paths, once for the whole config
GLOBAL_TARGETS = []

# The report's category of the leaderboard items (CSV, HTML table, figure); the star sorts it
# before the per-dataset categories in the report's sidebar.
LEADERBOARD_CATEGORY = "★ Leaderboard"


def final_targets():
    targets = [f"{RESULTS}/leaderboard.md", f"{RESULTS}/leaderboard.csv"]
    for targets_of in GLOBAL_TARGETS:
        targets += targets_of()
    for d, p, s in runs():
        for _, targets_of in RUN_TARGETS:
            targets += targets_of(d, p, s)
        if is_dec(config, p):
            targets.append(run_file("dec_progress.png", d, p, s))
        chain = pipeline(config, p)
        if chain.encoder != NONE:
            targets.append(
                f"{PATHS['encoded']}/loss.png".format(
                    dataset=d, encoder=chain.encoder, seed=s
                )
            )
        if needs_k_selection(d, chain.clusterer):
            targets.append(
                f"{PATHS['k']}/elbow.png".format(
                    dataset=d, encoder=chain.encoder, reducer=chain.reducer, seed=s
                )
            )
    return sorted(set(targets))


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
