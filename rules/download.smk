# Fetch one raw file of a dataset (URL, file:// or Kaggle) into the downloads folder, verified
# against its sha256, with a record of its source and sha256 beside it. A file still there
# and verified is not fetched again (update(): a rerun keeps it). The user's own local files
# have no job: the prepare rule reads them where they are.

from deepclust.data.sources import RECORD_SUFFIX


rule download:
    input:
        unpack(download_source),
    output:
        file=update(f"{DOWNLOADS}/{{dataset}}/{{file}}"),
        record=update(f"{DOWNLOADS}/{{dataset}}/{{file}}{RECORD_SUFFIX}"),
    log:
        log_path("download"),
    benchmark:
        benchmark_path("download")
    wildcard_constraints:
        file=_alternatives(
            sorted({f.name for d in RAW_FILES for f in downloads_of(d).values()})
        ),
    conda:
        "../envs/core.yaml"
    resources:
        **job_resources("download"),
    params:
        key=lambda w: downloaded_file(w)[0],
        entry=lambda w: downloaded_file(w)[1],
    script:
        "../scripts/download.py"
