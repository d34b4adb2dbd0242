# The files `rule all` asks for (final_targets), from every run of the config, and the
# registries to which each rules file adds the figures and tables its rules make.

from deepclust.workflow.config import NONE, has_labels, is_dec, pipeline


def runs():
    """(dataset, pipeline, seed) of every run in the config."""
    return [
        (d, p, s)
        for d in config["run"]["datasets"]
        for p in config["run"]["pipelines"]
        for s in config["run"]["seeds"]
    ]


def draws_figures(seed):
    """Whether the runs of this seed get their figures and tables (figures.seeds)."""
    which = config["figures"]["seeds"]
    return which == "all" or (which == "first" and seed == config["run"]["seeds"][0])


# How a figure registers itself: a rules file whose rule makes a figure or table appends an
# entry, below its rule, to the registry that fits; final_targets() and the leaderboard
# (rules/stage_timing.smk) read them, so no list elsewhere names the file.
#
# - Files of a run: append (rule name, f) to RUN_TARGETS, where f(dataset, pipeline, seed)
#   returns the run's files from that rule, or [] where the rule has nothing to make
#   (confusion.png below: only for a dataset with labels). `rule all` asks for them, and the
#   leaderboard counts the rule's benchmark file in the `figures` time of each run with
#   files. It fills the rule's JOB_KEYS entry with dataset, pipeline and seed only, so the
#   entry may name no other wildcard: key it by run, f"{{dataset}}/{RUN}". rules/som.smk,
#   rules/profile.smk, rules/explain.smk and rules/views_common.smk register their figures so.
# - A job that only a run's figures need (a view, the documents of a text dataset's terms):
#   append f(dataset, pipeline, seed) -> its benchmark files, or [], to
#   FIGURE_INPUT_BENCHMARKS, so that its time counts in `figures` too.
# - Files made once for the whole config: append f() -> paths to GLOBAL_TARGETS
#   (rules/leaderboard_report.smk).
#
# The leaderboard reads RUN_TARGETS and FIGURE_INPUT_BENCHMARKS when its rule is parsed, so
# the Snakefile includes every file that appends to them before rules/leaderboard.smk. A figure
# written by a stage's own job (loss.png, elbow.png, dec_progress.png) needs no entry:
# final_targets() names it, and it is timed with its stage.

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


def final_targets():
    targets = [f"{RESULTS}/leaderboard.md", f"{RESULTS}/leaderboard.csv"]
    for targets_of in GLOBAL_TARGETS:
        targets += targets_of()
    for d, p, s in runs():
        for _, targets_of in RUN_TARGETS if draws_figures(s) else []:
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
