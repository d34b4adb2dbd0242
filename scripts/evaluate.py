"""Metrics of one run: ACC/NMI/ARI against labels (when present), internal metrics, the
map's quantization and topographic errors for a self-organising map, and the machine of this
job and of the encoder's training (``machine``, ``encoder_machine``:
deepclust/workflow/machine.py)."""

import json

import pandas as pd

from deepclust.data.datasets import read_labels
from deepclust.evaluate.metrics import evaluate_clustering
from deepclust.features import load_fitted, load_matrix
from deepclust.workflow.machine import machine_info
from deepclust.workflow.rule import logged

with logged(snakemake):
    w = snakemake.wildcards
    clusters = pd.read_csv(snakemake.input.clusters)["cluster"].to_numpy()
    metrics = evaluate_clustering(load_matrix(snakemake.input.features), clusters,
                                  read_labels(snakemake.input.rows), seed=snakemake.params.seed)
    result = {"dataset": w.dataset, "pipeline": w.pipeline, "seed": int(w.seed), **metrics}
    if snakemake.input.get("som"):
        result.update(load_fitted(snakemake.input.som).map_quality())
    result["machine"] = machine_info()  # what decides float rounding (workflow/machine.py)
    if snakemake.input.get("training"):  # the encoder's training.json: the machine that trained it
        with open(snakemake.input.training) as fh:
            result["encoder_machine"] = json.load(fh).get("machine")
    print(json.dumps(result, indent=2))
    with open(snakemake.output.metrics, "w") as fh:
        json.dump(result, fh, indent=2)
