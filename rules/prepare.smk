# Load and clean a dataset, then scale its features.


rule prepare_dataset:
    input:
        unpack(raw_inputs),
    output:
        data=f"{PATHS['prepared']}/data.joblib",
        rows=f"{PATHS['prepared']}/rows.csv",
        meta=f"{PATHS['prepared']}/dataset.json",
    log:
        log_path("prepare_dataset"),
    benchmark:
        benchmark_path("prepare_dataset")
    conda:
        "../envs/core.yaml"
    resources:
        **job_resources("prepare_dataset"),
    params:
        modality=lambda w: config["datasets"][w.dataset]["modality"],
        source=lambda w: config["datasets"][w.dataset]["source"],
        labels=lambda w: config["datasets"][w.dataset]["labels"],
        text=lambda w: documents_cleaning(w.dataset),
        max_rows=lambda w: config["datasets"][w.dataset]["max_rows"],
    script:
        "../scripts/prepare_dataset.py"


rule vectorize_features:
    input:
        data=rules.prepare_dataset.output.data,
        meta=rules.prepare_dataset.output.meta,
    output:
        features=f"{PATHS['vectorized']}/features.npz",
        vectorizer=f"{PATHS['vectorized']}/vectorizer.joblib",
    log:
        log_path("vectorize_features"),
    benchmark:
        benchmark_path("vectorize_features")
    conda:
        "../envs/core.yaml"
    resources:
        **job_resources("vectorize_features"),
    params:
        modality=lambda w: config["datasets"][w.dataset]["modality"],
        settings=lambda w: vectorizer_settings(w.dataset),
    script:
        "../scripts/vectorize_features.py"
