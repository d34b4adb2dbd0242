# Settings and input functions of rules/views.smk (3-D views, views coloured by columns),
# and the run targets they add to `rule all`.

JOB_KEYS.update(
    {
        "project_3d": f"{{dataset}}/{SEEDED_REDUCTION}",
        "plot_3d": f"{{dataset}}/{RUN}",
        "plot_feature_views": f"{{dataset}}/{RUN}",
    }
)


def representation_dims(encoder, reducer):
    """Dimensions of a chain's representation, known from the config before it exists
    (None: the vectorized features, whose width depends on the data)."""
    if reducer != NONE:
        return config["reducers"][reducer]["n_components"]
    if encoder != NONE:
        return config["encoders"][encoder]["embedding_dim"]
    return None


def view3d_method(encoder, reducer):
    """none: the representation is its own 3-D view; pca/umap: a projection to 3-D."""
    if representation_dims(encoder, reducer) == 3:
        return NONE
    return config["figures"]["view_3d"]


def has_view3d(pipeline_name):
    chain = pipeline(config, pipeline_name)
    return view3d_method(chain.encoder, chain.reducer) != NONE or (
        representation_dims(chain.encoder, chain.reducer) == 3
    )


def view3d_axis_source(encoder, reducer):
    """What the axes of an unprojected 3-D view are called."""
    if reducer != NONE:
        return f"{reducer}"
    return "embedding"


def view3d_of_run(wildcards):
    return view_path(
        f"{PATHS['view']}/view3d.npy",
        wildcards.dataset,
        wildcards.pipeline,
        wildcards.seed,
    )


def view3d_axes(wildcards):
    chain = _run_chain(wildcards)
    from deepclust.figures.axes import axis_names

    return axis_names(
        view3d_method(chain.encoder, chain.reducer),
        view3d_axis_source(chain.encoder, chain.reducer),
    )


def feature_view_inputs(wildcards):
    inputs = {
        "view": view_of_run(wildcards),
        "data": f"{PATHS['prepared']}/data.joblib".format(dataset=wildcards.dataset),
    }
    if has_view3d(wildcards.pipeline):
        inputs["view3d"] = view3d_of_run(wildcards)
    return inputs


# 3-D views of pipelines with one; views coloured by table columns where the dataset has them
RUN_TARGETS.extend(
    [
        (
            "plot_3d",
            lambda d, p, s: (
                [run_file(name, d, p, s) for name in ("view3d.png", "view3d.gif")]
                if has_view3d(p)
                else []
            ),
        ),
        (
            "plot_feature_views",
            lambda d, p, s: (
                [run_file("features.png", d, p, s)]
                if config["datasets"][d].get("color_by")
                else []
            ),
        ),
    ]
)
FIGURE_INPUT_BENCHMARKS.append(
    lambda d, p, s: [view_benchmark("project_3d", d, p, s)] if has_view3d(p) else []
)
