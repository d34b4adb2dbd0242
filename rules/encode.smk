# Train an autoencoder once per (dataset, encoder settings, seed) and embed every row.
# Every pipeline naming the same encoder shares these jobs.


rule train_autoencoder:
    input:
        features=rules.vectorize_features.output.features,
        meta=rules.prepare_dataset.output.meta,
    output:
        model=f"{PATHS['encoded']}/autoencoder.keras",
        history=f"{PATHS['encoded']}/history.csv",
        throughput=f"{PATHS['encoded']}/training.json",
        figure=report(
            f"{PATHS['encoded']}/loss.png",
            caption="../report/loss.rst",
            category="{dataset}",
            subcategory="encoder {encoder}",
            labels={"figure": "autoencoder loss", "seed": "{seed}"},
        ),
    log:
        log_path("train_autoencoder"),
    benchmark:
        benchmark_path("train_autoencoder")
    conda:
        "../envs/tensorflow.yaml"
    threads: config["threads"]
    params:
        settings=lambda w: config["encoders"][w.encoder],
        seed=lambda w: int(w.seed),
    script:
        "../scripts/train_autoencoder.py"


rule embed_autoencoder:
    input:
        model=rules.train_autoencoder.output.model,
        features=rules.vectorize_features.output.features,
    output:
        embedding=f"{PATHS['encoded']}/embedding.npy",
    log:
        log_path("embed_autoencoder"),
    benchmark:
        benchmark_path("embed_autoencoder")
    conda:
        "../envs/tensorflow.yaml"
    threads: config["threads"]
    params:
        seed=lambda w: int(w.seed),
    script:
        "../scripts/embed_autoencoder.py"
