# The config, checked before anything is planned so that a bad one fails at once, naming its
# key: against the schema (which fills in the defaults), by the checks a schema cannot express,
# and in each dataset's raw files (RAW_FILES).

import os

from snakemake.exceptions import WorkflowError

# The shared library (deepclust/) is an installed package: `pip install -e .` into the venv
# (Makefile) and into each conda env by envs/*.post-deploy.sh, which Snakemake runs from the
# working directory; it finds the workflow folder (the package) in this variable, which the
# workflow sets (so no envvars directive: the user provides nothing).
os.environ.update(DEEPCLUST_WORKFLOW_DIR=workflow.basedir)

from deepclust.workflow.config import ConfigError, validate_config
from deepclust.data.sources import raw_files

try:
    validate_config(config)
    # every dataset's raw files: cached downloads (one download job each) or the user's own
    RAW_FILES = {
        name: raw_files(name, spec["source"]["files"], config["downloads"])
        for name, spec in config["datasets"].items()
        if "files" in spec["source"]
    }
except ConfigError as error:
    raise WorkflowError(f"Invalid config: {error}")
