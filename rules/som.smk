# Self-organising map figures (deepclust/cluster/som.py, deepclust/figures/som_figures.py): the U-matrix with
# each node's majority class or cluster, and the hit map. The SOM itself is fitted by the
# cluster rule like any other scikit-learn clusterer (clusterer.joblib).

JOB_KEYS["plot_som"] = f"{{dataset}}/{RUN}"


rule plot_som:
    input:
        som=f"{PATHS['run']}/clusterer.joblib",
        rows=f"{PATHS['prepared']}/rows.csv",
        meta=f"{PATHS['prepared']}/dataset.json",
    output:
        umatrix=report(
            f"{PATHS['run']}/som_umatrix.png",
            caption="../report/som_umatrix.rst",
            category="{dataset}",
            subcategory="{pipeline}",
            labels={"figure": "SOM U-matrix", "seed": "{seed}"},
        ),
        hits=report(
            f"{PATHS['run']}/som_hits.png",
            caption="../report/som_hits.rst",
            category="{dataset}",
            subcategory="{pipeline}",
            labels={"figure": "SOM hit map", "seed": "{seed}"},
        ),
    log:
        log_path("plot_som"),
    benchmark:
        benchmark_path("plot_som")
    wildcard_constraints:
        pipeline=_alternatives(SOM_PIPELINES),
    group:
        "run"
    conda:
        "../envs/core.yaml"
    resources:
        **job_resources("plot_som"),
    script:
        "../scripts/plot_som.py"


RUN_TARGETS.append(
    (
        "plot_som",
        lambda dataset, pipeline_name, seed: (
            [
                run_file(name, dataset, pipeline_name, seed)
                for name in ("som_umatrix.png", "som_hits.png")
            ]
            if is_som(config, pipeline_name)
            else []
        ),
    ),
)
