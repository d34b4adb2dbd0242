# What is in each cluster: top terms and nearest documents of text clusterings, example
# image grids of image clusterings (deepclust/explain/terms.py, deepclust/figures/examples.py).

JOB_KEYS.update(
    {
        "keep_documents": "{dataset}",
        "cluster_terms": f"{{dataset}}/{RUN}",
        "plot_examples": f"{{dataset}}/{RUN}",
    }
)

#: what rule all asks of a run, by the dataset's modality
EXPLAIN_OUTPUTS = {
    "text": ["terms.csv", "terms.md", "terms.png"],
    "image": ["examples.png"],
}


rule keep_documents:
    input:
        unpack(raw_inputs),
        rows=f"{PATHS['prepared']}/rows.csv",
    output:
        documents=f"{PATHS['prepared']}/documents.joblib",
    log:
        log_path("keep_documents"),
    benchmark:
        benchmark_path("keep_documents")
    conda:
        "../envs/core.yaml"
    resources:
        **job_resources("keep_documents"),
    params:
        modality=lambda w: config["datasets"][w.dataset]["modality"],
        source=lambda w: config["datasets"][w.dataset]["source"],
        labels=lambda w: config["datasets"][w.dataset]["labels"],
        max_rows=lambda w: config["datasets"][w.dataset]["max_rows"],
    script:
        "../scripts/keep_documents.py"


rule cluster_terms:
    input:
        clusters=f"{PATHS['run']}/clusters.csv",
        features=clustered_features,
        rows=f"{PATHS['prepared']}/rows.csv",
        meta=f"{PATHS['prepared']}/dataset.json",
        data=f"{PATHS['prepared']}/data.joblib",
        documents=rules.keep_documents.output.documents,
        vectorizer=f"{PATHS['vectorized']}/vectorizer.joblib",
    output:
        csv=f"{PATHS['run']}/terms.csv",
        markdown=report(
            f"{PATHS['run']}/terms.md",
            caption="../report/terms.rst",
            category="{dataset}",
            subcategory="{pipeline}",
            labels={"figure": "top terms (table)", "seed": "{seed}"},
        ),
        figure=report(
            f"{PATHS['run']}/terms.png",
            caption="../report/terms.rst",
            category="{dataset}",
            subcategory="{pipeline}",
            labels={"figure": "top terms", "seed": "{seed}"},
        ),
    log:
        log_path("cluster_terms"),
    benchmark:
        benchmark_path("cluster_terms")
    group:
        "run"
    conda:
        "../envs/core.yaml"
    resources:
        **job_resources("cluster_terms"),
    params:
        n_terms=10,
        method="chi2",
        n_documents=3,
    script:
        "../scripts/cluster_terms.py"


rule plot_examples:
    input:
        clusters=f"{PATHS['run']}/clusters.csv",
        features=clustered_features,
        rows=f"{PATHS['prepared']}/rows.csv",
        meta=f"{PATHS['prepared']}/dataset.json",
        data=f"{PATHS['prepared']}/data.joblib",
    output:
        figure=report(
            f"{PATHS['run']}/examples.png",
            caption="../report/examples.rst",
            category="{dataset}",
            subcategory="{pipeline}",
            labels={"figure": "example images", "seed": "{seed}"},
        ),
    log:
        log_path("plot_examples"),
    benchmark:
        benchmark_path("plot_examples")
    group:
        "run"
    conda:
        "../envs/core.yaml"
    resources:
        **job_resources("plot_examples"),
    params:
        seed=lambda w: int(w.seed),
        n_nearest=6,
        n_random=6,
    script:
        "../scripts/plot_examples.py"


# terms.* for text datasets, examples.png for image datasets
RUN_TARGETS.extend(
    (
        rule_name,
        lambda d, p, s, modality=modality: (
            [run_file(name, d, p, s) for name in EXPLAIN_OUTPUTS[modality]]
            if config["datasets"][d]["modality"] == modality
            else []
        ),
    )
    for rule_name, modality in (("cluster_terms", "text"), ("plot_examples", "image"))
)
FIGURE_INPUT_BENCHMARKS.append(
    lambda d, p, s: (
        [benchmark_path("keep_documents").format(dataset=d)]
        if config["datasets"][d]["modality"] == "text"
        else []
    )
)
