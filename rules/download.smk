# Fetch a dataset's raw files (URL, file://, Kaggle or a documented local path), verified
# against their sha256, into the downloads folder. Files already there are not fetched again.


rule download:
    output:
        manifest=f"{DOWNLOADS}/{{dataset}}/manifest.json",
    params:
        files=lambda w: config["datasets"][w.dataset]["source"]["files"],
        folder=lambda w: f"{DOWNLOADS}/{w.dataset}",
    log:
        log_path("download"),
    benchmark:
        benchmark_path("download")
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/download.py"
