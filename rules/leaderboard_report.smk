# The leaderboard for people: a figure (one row of panels per dataset) and a styled HTML table,
# both in the report's "Leaderboard" category.


JOB_KEYS["plot_leaderboard"] = "all"


rule plot_leaderboard:
    input:
        csv=f"{RESULTS}/leaderboard.csv",
    output:
        figure=report(
            f"{RESULTS}/leaderboard.png",
            caption="../report/leaderboard_figure.rst",
            category=LEADERBOARD_CATEGORY,
            labels={"figure": "leaderboard figure"},
        ),
        table=report(
            f"{RESULTS}/leaderboard.html",
            caption="../report/leaderboard_table.rst",
            category=LEADERBOARD_CATEGORY,
            labels={"figure": "leaderboard table"},
        ),
    log:
        log_path("plot_leaderboard"),
    benchmark:
        benchmark_path("plot_leaderboard")
    conda:
        "../envs/core.yaml"
    resources:
        **job_resources("plot_leaderboard"),
    script:
        "../scripts/plot_leaderboard.py"


GLOBAL_TARGETS.append(
    lambda: [f"{RESULTS}/leaderboard.png", f"{RESULTS}/leaderboard.html"]
)
