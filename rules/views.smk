# 3-D views of a representation (scatter + rotating GIF) and views coloured by the columns of
# a table (datasets.X.color_by). Library: deepclust/figures/views.py.


include: "views_common.smk"


rule project_3d:
    input:
        features=representation_of_reduction,
    output:
        view=f"{PATHS['view']}/view3d.npy",
    log:
        log_path("project_3d"),
    benchmark:
        benchmark_path("project_3d")
    conda:
        "../envs/umap.yaml"
    resources:
        **job_resources("project_3d"),
    params:
        method=lambda w: view3d_method(w.encoder, w.reducer),
        seed=lambda w: int(w.seed),
    script:
        "../scripts/project_3d.py"


rule plot_3d:
    input:
        view=view3d_of_run,
        clusters=f"{PATHS['run']}/clusters.csv",
        rows=f"{PATHS['prepared']}/rows.csv",
    output:
        figure=report(
            f"{PATHS['run']}/view3d.png",
            caption="../report/view3d.rst",
            category="{dataset}",
            subcategory="{pipeline}",
            labels={"figure": "clusters (3-D view)", "seed": "{seed}"},
        ),
        gif=report(
            f"{PATHS['run']}/view3d.gif",
            caption="../report/view3d.rst",
            category="{dataset}",
            subcategory="{pipeline}",
            labels={"figure": "clusters (3-D view, rotating)", "seed": "{seed}"},
        ),
    log:
        log_path("plot_3d"),
    benchmark:
        benchmark_path("plot_3d")
    group:
        "run"
    conda:
        "../envs/core.yaml"
    resources:
        **job_resources("plot_3d"),
    params:
        axes=view3d_axes,
    script:
        "../scripts/plot_3d.py"


rule plot_feature_views:
    input:
        unpack(feature_view_inputs),
    output:
        figure=report(
            f"{PATHS['run']}/features.png",
            caption="../report/features.rst",
            category="{dataset}",
            subcategory="{pipeline}",
            labels={"figure": "views coloured by columns", "seed": "{seed}"},
        ),
    log:
        log_path("plot_feature_views"),
    benchmark:
        benchmark_path("plot_feature_views")
    group:
        "run"
    conda:
        "../envs/core.yaml"
    resources:
        **job_resources("plot_feature_views"),
    params:
        columns=lambda w: config["datasets"][w.dataset]["color_by"],
        view_method=config["figures"]["view"],
        axes=view3d_axes,
    script:
        "../scripts/plot_feature_views.py"
