# The benchmark files that time each stage of a run (and of its figures), which the
# leaderboard reads to report where a run's wall time goes.

from deepclust.workflow.config import NONE, dec_start, is_dec, pipeline


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
        stages["train"] = training_rule(chain.encoder)
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
    if figures and draws_figures(seed):
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


def leaderboard_runs():
    """metrics.json of every run -> benchmark files of its stages."""
    return {
        run_file("metrics.json", d, p, s): stage_benchmarks(d, p, s)
        for d, p, s in runs()
    }
