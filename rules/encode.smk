# Train an encoder once per (dataset, encoder settings, seed) and embed every row in the same
# job (one TensorFlow start fewer than a job of its own). Every pipeline naming the same
# encoder shares these jobs. Autoencoders (dense, convolutional) and contrastive encoders train
# in their own rules (their model files differ: DEC and IDEC start from an autoencoder) with
# one script; embedding is the same for both.


rule train_autoencoder:
    input:
        features=rules.vectorize_features.output.features,
        meta=rules.prepare_dataset.output.meta,
    output:
        model=f"{PATHS['encoded']}/{MODEL_FILES['train_autoencoder']}",
        embedding=f"{PATHS['encoded']}/embedding.npy",
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
    wildcard_constraints:
        encoder=_alternatives(AUTOENCODERS),
    conda:
        tensorflow_env
    threads: config["threads"]
    resources:
        **job_resources("train_autoencoder", gpu=encoder_gpus),
    params:
        settings=lambda w: config["encoders"][w.encoder],
        seed=lambda w: int(w.seed),
    script:
        "../scripts/train_encoder.py"


rule train_contrastive_encoder:
    input:
        features=rules.vectorize_features.output.features,
        meta=rules.prepare_dataset.output.meta,
    output:
        model=f"{PATHS['encoded']}/{MODEL_FILES['train_contrastive_encoder']}",
        embedding=f"{PATHS['encoded']}/embedding.npy",
        history=f"{PATHS['encoded']}/history.csv",
        throughput=f"{PATHS['encoded']}/training.json",
        figure=report(
            f"{PATHS['encoded']}/loss.png",
            caption="../report/loss_contrastive.rst",
            category="{dataset}",
            subcategory="encoder {encoder}",
            labels={"figure": "contrastive loss", "seed": "{seed}"},
        ),
    log:
        log_path("train_contrastive_encoder"),
    benchmark:
        benchmark_path("train_contrastive_encoder")
    wildcard_constraints:
        encoder=_alternatives(CONTRASTIVE_ENCODERS),
    conda:
        tensorflow_env
    threads: config["threads"]
    resources:
        **job_resources("train_contrastive_encoder", gpu=encoder_gpus),
    params:
        settings=lambda w: config["encoders"][w.encoder],
        seed=lambda w: int(w.seed),
    script:
        "../scripts/train_encoder.py"
