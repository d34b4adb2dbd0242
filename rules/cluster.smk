# Choose K (when the dataset says k: auto) and cluster a representation.


rule choose_k:
    input:
        features=representation_of_reduction,
    output:
        selection=f"{PATHS['k']}/k.json",
        figure=report(
            f"{PATHS['k']}/elbow.png",
            caption="../report/elbow.rst",
            category="Choice of K",
            labels={
                "dataset": "{dataset}",
                "representation": "{encoder}/{reducer}",
                "seed": "{seed}",
            },
        ),
    params:
        k_range=lambda w: config["datasets"][w.dataset]["k_range"],
        method=lambda w: config["datasets"][w.dataset]["k_selection"],
        seed=lambda w: int(w.seed),
    log:
        log_path("choose_k"),
    benchmark:
        benchmark_path("choose_k")
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/choose_k.py"


rule cluster:
    input:
        unpack(cluster_inputs),
    output:
        clusters=f"{PATHS['run']}/clusters.csv",
    params:
        settings=lambda w: config["clusterers"][_run_chain(w).clusterer],
        k=lambda w: config["datasets"][w.dataset]["k"],
        seed=lambda w: int(w.seed),
    log:
        log_path("cluster"),
    benchmark:
        benchmark_path("cluster")
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/cluster.py"
