# Metrics and figures of one run (dataset x pipeline x seed).


rule evaluate:
    input:
        unpack(som_of_run),
        unpack(encoder_training_of_run),
        clusters=rules.cluster.output.clusters,
        features=clustered_features,
        rows=f"{PATHS['prepared']}/rows.csv",
    output:
        metrics=f"{PATHS['run']}/metrics.json",
    log:
        log_path("evaluate"),
    benchmark:
        benchmark_path("evaluate")
    group:
        "run"
    conda:
        "../envs/core.yaml"
    resources:
        **job_resources("evaluate"),
    params:
        seed=lambda w: int(w.seed),
    script:
        "../scripts/evaluate.py"


rule plot_clusters:
    input:
        view=view_of_run,
        clusters=rules.cluster.output.clusters,
        rows=f"{PATHS['prepared']}/rows.csv",
        meta=f"{PATHS['prepared']}/dataset.json",
    output:
        figure=report(
            f"{PATHS['run']}/clusters.png",
            caption="../report/clusters.rst",
            category="{dataset}",
            subcategory="{pipeline}",
            labels={"figure": "clusters (2-D view)", "seed": "{seed}"},
        ),
    log:
        log_path("plot_clusters"),
    benchmark:
        benchmark_path("plot_clusters")
    group:
        "run"
    conda:
        "../envs/core.yaml"
    resources:
        **job_resources("plot_clusters"),
    params:
        method=config["figures"]["view"],
    script:
        "../scripts/plot_clusters.py"


rule plot_confusion_matrix:
    input:
        clusters=rules.cluster.output.clusters,
        rows=f"{PATHS['prepared']}/rows.csv",
        meta=f"{PATHS['prepared']}/dataset.json",
    output:
        figure=report(
            f"{PATHS['run']}/confusion.png",
            caption="../report/confusion.rst",
            category="{dataset}",
            subcategory="{pipeline}",
            labels={"figure": "confusion matrix", "seed": "{seed}"},
        ),
    log:
        log_path("plot_confusion_matrix"),
    benchmark:
        benchmark_path("plot_confusion_matrix")
    group:
        "run"
    conda:
        "../envs/core.yaml"
    resources:
        **job_resources("plot_confusion_matrix"),
    script:
        "../scripts/plot_confusion_matrix.py"
