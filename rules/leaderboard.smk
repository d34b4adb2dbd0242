# Leaderboard over every run: dataset x pipeline -> metrics (mean ± std over seeds) and stage times.

# The report's category of the leaderboard items (CSV, HTML table, figure); the star sorts it
# before the per-dataset categories in the report's sidebar.
LEADERBOARD_CATEGORY = "★ Leaderboard"


rule leaderboard:
    input:
        metrics=list(leaderboard_runs()),
        benchmarks=sorted(  # a stage of several jobs (downloads) has a list of files
            {
                p
                for stages in leaderboard_runs().values()
                for v in stages.values()
                for p in ([v] if isinstance(v, str) else v)
            }
        ),
    output:
        csv=report(
            f"{RESULTS}/leaderboard.csv",
            caption="../report/leaderboard.rst",
            category=LEADERBOARD_CATEGORY,
            labels={"figure": "leaderboard CSV"},
        ),
        markdown=f"{RESULTS}/leaderboard.md",
        runs=f"{RESULTS}/runs.json",
    log:
        log_path("leaderboard"),
    benchmark:
        benchmark_path("leaderboard")
    conda:
        "../envs/core.yaml"
    resources:
        **job_resources("leaderboard"),
    params:
        runs=leaderboard_runs(),
    script:
        "../scripts/leaderboard.py"
