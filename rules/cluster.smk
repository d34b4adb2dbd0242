# Choose K (when the dataset says k: auto) and cluster a representation.


rule choose_k:
    input:
        features=representation_of_reduction,
    output:
        selection=f"{PATHS['k']}/k.json",
        figure=report(
            f"{PATHS['k']}/elbow.png",
            caption="../report/elbow.rst",
            category="{dataset}",
            subcategory="{encoder} → {reducer}",
            labels={"figure": "choice of K (elbow)", "seed": "{seed}"},
        ),
    log:
        log_path("choose_k"),
    benchmark:
        benchmark_path("choose_k")
    conda:
        "../envs/core.yaml"
    resources:
        **job_resources("choose_k"),
    params:
        k_range=lambda w: config["datasets"][w.dataset]["k_range"],
        method=lambda w: config["datasets"][w.dataset]["k_selection"],
        seed=lambda w: int(w.seed),
    script:
        "../scripts/choose_k.py"


rule cluster:
    input:
        unpack(cluster_inputs),
    output:
        clusters=f"{PATHS['run']}/clusters.csv",
        clusterer=f"{PATHS['run']}/clusterer.joblib",
    log:
        log_path("cluster"),
    benchmark:
        benchmark_path("cluster")
    wildcard_constraints:
        pipeline=_alternatives(FROZEN_PIPELINES),
    group:
        "run"
    conda:
        "../envs/core.yaml"
    resources:
        **job_resources("cluster"),
    params:
        settings=lambda w: config["clusterers"][_run_chain(w).clusterer],
        k=lambda w: k_setting(w.dataset, _run_chain(w).clusterer),
        seed=lambda w: int(w.seed),
    script:
        "../scripts/cluster.py"


# DEC / IDEC: a clustering layer on the pipeline's pretrained autoencoder, trained for
# clustering. Shares the autoencoder job with every other pipeline naming that encoder.
rule cluster_dec:
    input:
        unpack(cluster_inputs),
        autoencoder=lambda w: f"{PATHS['encoded']}/{MODEL_FILES['train_autoencoder']}".format(
            dataset=w.dataset, encoder=_run_chain(w).encoder, seed=w.seed
        ),
        vectorized=f"{PATHS['vectorized']}/features.npz",
        meta=f"{PATHS['prepared']}/dataset.json",
        start=dec_start_clusters,
    output:
        clusters=f"{PATHS['run']}/clusters.csv",
        soft=f"{PATHS['run']}/soft_assignments.csv",
        model=f"{PATHS['run']}/dec.keras",
        embedding=f"{PATHS['run']}/dec_embedding.npy",
        history=f"{PATHS['run']}/dec_history.csv",
        figure=report(
            f"{PATHS['run']}/dec_progress.png",
            caption="../report/dec_progress.rst",
            category="{dataset}",
            subcategory="{pipeline}",
            labels={"figure": "DEC/IDEC training", "seed": "{seed}"},
        ),
    log:
        log_path("cluster_dec"),
    benchmark:
        benchmark_path("cluster_dec")
    wildcard_constraints:
        pipeline=_alternatives(DEC_PIPELINES),
    group:
        "run"
    conda:
        "../envs/tensorflow.yaml"
    threads: config["threads"]
    resources:
        **job_resources("cluster_dec"),
    params:
        settings=lambda w: config["clusterers"][_run_chain(w).clusterer],
        k=lambda w: config["datasets"][w.dataset]["k"],
        seed=lambda w: int(w.seed),
    script:
        "../scripts/cluster_dec.py"
