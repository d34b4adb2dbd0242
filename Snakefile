# Deep clustering workflow: datasets x pipelines x seeds -> clusters, metrics, figures, leaderboard.
# A pipeline is a named chain encoder -> reducer -> clusterer (see config.yaml and README.md).

from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")


# The workflow's own config.yaml is always the base (resolved beside this Snakefile, not in
# the working directory, so --directory changes nothing); --configfile files are merged over
# it (nested mappings key by key, lists and values replaced).
configfile: Path(workflow.basedir) / "config.yaml"


report: "report/workflow.rst"


include: "rules/config_validation.smk"
include: "rules/paths.smk"
include: "rules/input_functions.smk"
include: "rules/targets.smk"
include: "rules/stage_timing.smk"
include: "rules/resources.smk"
include: "rules/download.smk"
include: "rules/prepare.smk"
include: "rules/encode.smk"
include: "rules/reduce.smk"
include: "rules/cluster.smk"
include: "rules/som.smk"
include: "rules/evaluate.smk"
include: "rules/views.smk"
include: "rules/profile.smk"
include: "rules/explain.smk"
# after every rules file that registers a run's figures (RUN_TARGETS): it times their jobs
include: "rules/leaderboard.smk"
include: "rules/leaderboard_report.smk"


# Jobs that run where Snakemake runs, never on a cluster node: downloads (compute nodes often
# have no internet) and the few-second summaries of the whole config.
localrules:
    all,
    download,
    leaderboard,
    plot_leaderboard,


rule all:
    default_target: True
    input:
        final_targets(),
