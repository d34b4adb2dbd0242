# Cluster profiles of tables: what is in each cluster, in the table's own columns.

JOB_KEYS["profile_clusters"] = f"{{dataset}}/{RUN}"


rule profile_clusters:
    input:
        clusters=rules.cluster.output.clusters,
        data=f"{PATHS['prepared']}/data.joblib",
        rows=f"{PATHS['prepared']}/rows.csv",
        meta=f"{PATHS['prepared']}/dataset.json",
    output:
        table=f"{PATHS['run']}/profiles.csv",
        page=report(
            f"{PATHS['run']}/profiles.html",
            caption="../report/profiles_table.rst",
            category="{dataset}",
            subcategory="{pipeline}",
            labels={"figure": "cluster profiles (table)", "seed": "{seed}"},
        ),
        figure=report(
            f"{PATHS['run']}/profiles.png",
            caption="../report/profiles.rst",
            category="{dataset}",
            subcategory="{pipeline}",
            labels={"figure": "cluster profiles (histograms)", "seed": "{seed}"},
        ),
    log:
        log_path("profile_clusters"),
    benchmark:
        benchmark_path("profile_clusters")
    group:
        "run"
    conda:
        "../envs/core.yaml"
    resources:
        **job_resources("profile_clusters"),
    script:
        "../scripts/profile_clusters.py"


# profiles of tables only (text datasets get their top terms instead)
RUN_TARGETS.append(
    (
        "profile_clusters",
        lambda dataset, pipeline_name, seed: (
            [
                run_file(name, dataset, pipeline_name, seed)
                for name in ("profiles.csv", "profiles.html", "profiles.png")
            ]
            if config["datasets"][dataset]["modality"] == "tabular"
            else []
        ),
    ),
)
