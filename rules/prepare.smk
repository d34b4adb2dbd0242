# Load and clean a dataset, then scale its features.


rule prepare_dataset:
    output:
        features=f"{PATHS['prepared']}/features.npy",
        rows=f"{PATHS['prepared']}/rows.csv",
        meta=f"{PATHS['prepared']}/dataset.json",
    params:
        modality=lambda w: config["datasets"][w.dataset]["modality"],
        source=lambda w: config["datasets"][w.dataset]["source"],
        labels=lambda w: config["datasets"][w.dataset]["labels"],
    log:
        log_path("prepare_dataset"),
    benchmark:
        benchmark_path("prepare_dataset")
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/prepare_dataset.py"


rule vectorize_features:
    input:
        features=rules.prepare_dataset.output.features,
    output:
        features=f"{PATHS['vectorized']}/features.npy",
        scaler=f"{PATHS['vectorized']}/scaler.joblib",
    params:
        scaling=lambda w: config["datasets"][w.dataset]["scaling"],
    log:
        log_path("vectorize_features"),
    benchmark:
        benchmark_path("vectorize_features")
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/vectorize_features.py"
