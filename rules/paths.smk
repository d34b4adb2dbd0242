# Where every file of the workflow goes, and which names each wildcard may take: the path
# templates of each rule's outputs, logs and benchmarks, and the wildcard constraints that
# tie each rule to the config entries it handles.

import re

from deepclust.workflow.config import (
    AUTOENCODER_KINDS,
    NONE,
    encoder_kind,
    is_dec,
    is_som,
)
from deepclust.workflow.paths import (
    FOLDERS,
    MODELS,
    RUN,
    SEEDED_ENCODER,
    SEEDED_REDUCTION,
)

RESULTS = "results"
DOWNLOADS = config["downloads"]

# The model file each training rule writes (deepclust/workflow/paths.py MODELS).
MODEL_FILES = {
    "train_autoencoder": MODELS["autoencoder"][1],
    "train_contrastive_encoder": MODELS["contrastive_encoder"][1],
}

# Where each rule's output, log and benchmark files go (templates: deepclust/workflow/paths.py).
PATHS = {name: f"{RESULTS}/{folder}" for name, folder in FOLDERS.items()}
JOB_KEYS = {
    "download": "{dataset}/{file}",
    "prepare_dataset": "{dataset}",
    "vectorize_features": "{dataset}",
    "train_autoencoder": f"{{dataset}}/{SEEDED_ENCODER}",
    "train_contrastive_encoder": f"{{dataset}}/{SEEDED_ENCODER}",
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


def run_file(name, dataset, pipeline_name, seed):
    return f"{PATHS['run']}/{name}".format(
        dataset=dataset, pipeline=pipeline_name, seed=seed
    )


def _alternatives(names):
    return "|".join(re.escape(n) for n in names) or "(?!)"


wildcard_constraints:
    dataset=_alternatives(config["datasets"]),
    encoder=_alternatives([*config["encoders"], NONE]),
    reducer=_alternatives([*config["reducers"], NONE]),
    pipeline=_alternatives(config["pipelines"]),
    seed=r"\d+",


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
