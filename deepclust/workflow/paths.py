"""Where the workflow keeps each result (the paths are the DAG; see docs/reading-results.md).

Templates relative to the results folder, with Snakemake's wildcard names. The
rules (``rules/paths.smk``) and the clustering of new data (:mod:`deepclust.assign`)
both take their paths from here.
"""

from __future__ import annotations

from pathlib import Path

SEEDED_ENCODER = "{encoder}/seed{seed}"
SEEDED_REDUCTION = "{encoder}/{reducer}/seed{seed}"
RUN = "{pipeline}/seed{seed}"

#: result folders below the results folder
FOLDERS = {
    "prepared": "{dataset}/prepared",
    "vectorized": "{dataset}/vectorized",
    "encoded": f"{{dataset}}/encoded/{SEEDED_ENCODER}",
    "reduced": f"{{dataset}}/reduced/{SEEDED_REDUCTION}",
    "k": f"{{dataset}}/k/{SEEDED_REDUCTION}",
    "view": f"{{dataset}}/views/{SEEDED_REDUCTION}",
    "run": f"{{dataset}}/pipelines/{RUN}",
}

#: the fitted models a trained pipeline leaves behind: name -> (folder, file)
MODELS = {
    "vectorizer": ("vectorized", "vectorizer.joblib"),
    "autoencoder": ("encoded", "autoencoder.keras"),
    "contrastive_encoder": ("encoded", "contrastive_encoder.keras"),
    "reducer": ("reduced", "reducer.joblib"),
    "clusterer": ("run", "clusterer.joblib"),
    "dec": ("run", "dec.keras"),
}


def model_path(results, name: str, **wildcards) -> Path:
    """Path of a fitted model (:data:`MODELS`) for the given wildcard values."""
    folder, file = MODELS[name]
    return Path(results) / FOLDERS[folder].format(**wildcards) / file
