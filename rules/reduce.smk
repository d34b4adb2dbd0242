# Manifold learning (UMAP, Isomap) on a representation, and 2-D views for figures.

from deepclust.workflow.resources import reducer_threads


rule reduce_embedding:
    input:
        features=reducer_input,
    output:
        embedding=f"{PATHS['reduced']}/embedding.npy",
        reducer=f"{PATHS['reduced']}/reducer.joblib",
    log:
        log_path("reduce_embedding"),
    benchmark:
        benchmark_path("reduce_embedding")
    conda:
        "../envs/umap.yaml"
    threads: lambda w: reducer_threads(config["reducers"][w.reducer], config["threads"])
    resources:
        **job_resources("reduce_embedding"),
    params:
        settings=lambda w: config["reducers"][w.reducer],
        seed=lambda w: int(w.seed),
    script:
        "../scripts/reduce_embedding.py"


rule project_2d:
    input:
        features=representation_of_reduction,
    output:
        view=f"{PATHS['view']}/view.npy",
    log:
        log_path("project_2d"),
    benchmark:
        benchmark_path("project_2d")
    conda:
        "../envs/umap.yaml"
    resources:
        **job_resources("project_2d"),
    params:
        method=config["figures"]["view"],
        seed=lambda w: int(w.seed),
    script:
        "../scripts/project_2d.py"
