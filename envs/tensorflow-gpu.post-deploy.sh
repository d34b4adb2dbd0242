#!/usr/bin/env bash
# Snakemake runs this after creating the env (next to it: same name, .post-deploy.sh), with the
# env active. It installs the workflow's library, deepclust/ (pyproject.toml), editable from
# the workflow folder, which rules/config_validation.smk puts in DEEPCLUST_WORKFLOW_DIR: this script runs
# from the working directory, and the env file is a copy under .snakemake/conda, so no path
# relative to either finds the package. --no-deps: the env file pins the dependencies.
set -eu
"$CONDA_PREFIX/bin/python" -m pip install --no-deps -e "$DEEPCLUST_WORKFLOW_DIR"
