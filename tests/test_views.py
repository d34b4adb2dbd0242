"""3-D views, rotating GIFs, views coloured by table columns, matched cluster colours and
cluster numbers on the biggest island (deepclust/figures/views.py, deepclust/figures/plots.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from deepclust.figures import views
from deepclust.figures.colours import island_anchor, matched_colours
from deepclust.figures.axes import axis_names
from deepclust.figures.views import plot_3d, plot_feature_views, rotating_gif, top_categories
from deepclust.reduce.views import view_3d


def pixel_std(path) -> float:
    return float(np.asarray(Image.open(path).convert("L"), dtype=float).std())


def three_blobs(n=300, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0, 0], [5, 0, 0], [0, 5, 5]], dtype=float)
    clusters = np.repeat(np.arange(3), n // 3)
    return centres[clusters] + rng.normal(size=(len(clusters), 3)), clusters


def test_3d_scatter_and_rotating_gif(tmp_path):
    view, clusters = three_blobs()
    png, gif = tmp_path / "view3d.png", tmp_path / "view3d.gif"
    plot_3d(view, clusters, png, "digits: pipeline 'x', seed 0")
    rotating_gif(view, clusters, gif, "digits: pipeline 'x', seed 0", frames=12)
    assert pixel_std(png) > 20
    with Image.open(gif) as image:
        assert image.n_frames == 12
        first = np.asarray(image.convert("L"), dtype=float)
        image.seek(6)
        half_turn = np.asarray(image.convert("L"), dtype=float)
    assert first.std() > 20
    assert np.abs(first - half_turn).mean() > 1  # it turns
    assert gif.stat().st_size < 3e6
    assert not list(tmp_path.glob("*.tmp-*"))


def test_default_gif_is_36_frames_and_small(tmp_path):
    view, clusters = three_blobs(n=6000)
    gif = tmp_path / "view3d.gif"
    rotating_gif(view, clusters, gif, "big")
    with Image.open(gif) as image:
        assert image.n_frames == 36
    assert gif.stat().st_size < 3e6


def test_view_3d_keeps_3_dims_and_projects_others():
    view, _ = three_blobs()
    assert np.allclose(view_3d(view, "none", 0), view)
    wide = np.random.default_rng(0).normal(size=(100, 7))
    assert view_3d(wide, "pca", 0).shape == (100, 3)
    with pytest.raises(ValueError, match="figures.view_3d"):
        view_3d(wide, "none", 0)
    assert axis_names("none", "embedding") == ["embedding 1", "embedding 2",
                                                     "embedding 3"]
    assert axis_names("pca", "embedding")[2] == "PCA 3"


def test_feature_views_one_panel_per_column(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    n = 400
    table = pd.DataFrame({
        "rating": rng.uniform(1, 5, n),
        "brand": rng.choice([f"brand{i:02d}" for i in range(15)], n),
        "price": rng.lognormal(4, 1, n),
    })
    view2 = rng.normal(size=(n, 2))
    view3, _ = three_blobs(n=n - n % 3)
    view3 = np.vstack([view3, np.zeros((n - len(view3), 3))])
    figures = {}
    close = views.plt.close
    monkeypatch.setattr(views.plt, "close", lambda fig: figures.setdefault("fig", fig))
    path = tmp_path / "features.png"
    plot_feature_views({"tsne view": view2, "3-D embedding": view3}, table,
                       ["rating", "brand", "price"], path, "items: pipeline 'p', seed 0",
                       setting="datasets.items.color_by")
    fig = figures["fig"]
    panels = [ax for ax in fig.axes if ax.get_title().startswith("coloured by")]
    assert len(panels) == 6  # 2 views x 3 columns
    assert sum(ax.name == "3d" for ax in panels) == 3
    colourbars = [ax for ax in fig.axes if ax not in panels]
    assert len(colourbars) == 4  # rating and price, in both views
    brand = panels[1]
    legend = [t.get_text() for t in brand.get_legend().get_texts()]
    assert len(legend) == 11 and legend[-1].startswith("other (")
    close(fig)
    assert pixel_std(path) > 20


def test_top_categories_ten_and_other():
    values = pd.Series([f"c{i}" for i in range(15) for _ in range(20 - i)] + [None])
    reduced, order = top_categories(values)
    assert order[:10] == [f"c{i}" for i in range(10)]
    assert order[10:] == ["other", "missing"]
    assert (reduced == "other").sum() == sum(20 - i for i in range(10, 15))


def test_feature_views_errors_name_the_setting(tmp_path):
    table = pd.DataFrame({"rating": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=r"datasets.items.color_by.*\['brand'\]"):
        plot_feature_views({"v": np.zeros((3, 2))}, table, ["brand"], tmp_path / "f.png",
                           "t", setting="datasets.items.color_by")
    with pytest.raises(ValueError, match="datasets.digits.color_by.*not a table"):
        plot_feature_views({"v": np.zeros((3, 2))}, np.zeros((3, 64)), ["x"],
                           tmp_path / "f.png", "t", setting="datasets.digits.color_by")
    assert not (tmp_path / "f.png").exists()


def test_cluster_matched_to_class_gets_its_colour():
    classes = np.array([0] * 30 + [1] * 30 + [2] * 30)
    # cluster 7 is class 2, cluster 3 is class 0, cluster 5 class 1, cluster 9 unmatched
    clusters = np.array([3] * 30 + [5] * 30 + [7] * 25 + [9] * 5)
    cluster_colour, class_colour = matched_colours(clusters, classes)
    assert cluster_colour[7] == class_colour[2]
    assert cluster_colour[3] == class_colour[0]
    assert cluster_colour[5] == class_colour[1]
    assert cluster_colour[9] not in class_colour.values()
    unlabelled, none = matched_colours(clusters)
    assert none == {} and len(set(unlabelled.values())) == 4


def test_plot_clusters_uses_matched_colours(tmp_path, monkeypatch):
    from deepclust.figures import plots

    rng = np.random.default_rng(0)
    classes = np.repeat([0, 1, 2], 50)
    clusters = np.repeat([2, 0, 1], 50)  # cluster 2 = class 0 etc.
    view = rng.normal(size=(150, 2)) + np.repeat([[0, 0], [8, 0], [0, 8]], 50, axis=0)
    figures = {}
    monkeypatch.setattr(plots.plt, "close", lambda fig: figures.setdefault("fig", fig))
    plots.plot_clusters(view, clusters, tmp_path / "clusters.png", "t", classes=classes)
    left, right = figures["fig"].axes
    assert len(left.collections) == len(right.collections) == 3
    for a in left.collections:  # the class panel draws the same rows in the same colour
        (b,) = [b for b in right.collections
                if np.allclose(a.get_offsets(), b.get_offsets())]
        assert np.allclose(a.get_facecolor()[0], b.get_facecolor()[0])
    views.plt.close(figures["fig"])


def test_island_label_on_the_biggest_island():
    rng = np.random.default_rng(0)
    big = rng.normal(size=(90, 2)) * 0.5 + [10, 0]
    small = rng.normal(size=(10, 2)) * 0.5 + [-10, 0]
    points = np.vstack([small, big])
    anchor = island_anchor(points)
    assert np.linalg.norm(anchor - [10, 0]) < 1.5
    # three islands whose plain median, (0, 0), is empty space
    three = np.vstack([rng.normal(size=(40, 2)) * 0.5 + [-10, 0],
                       rng.normal(size=(35, 2)) * 0.5 + [10, 0],
                       rng.normal(size=(25, 2)) * 0.5 + [0, 10]])
    median = np.median(three, axis=0)
    assert np.min(np.linalg.norm(three - median, axis=1)) > 3  # no point near the median
    assert np.linalg.norm(island_anchor(three) - [-10, 0]) < 1.5


def test_plot_clusters_writes_number_on_big_island(tmp_path, monkeypatch):
    from deepclust.figures import plots

    rng = np.random.default_rng(0)
    view = np.vstack([rng.normal(size=(90, 2)) * 0.5 + [10, 0],
                      rng.normal(size=(10, 2)) * 0.5 + [-10, 0],
                      rng.normal(size=(50, 2)) * 0.5 + [0, 10]])
    clusters = np.repeat([0, 0, 1], [90, 10, 50])
    figures = {}
    monkeypatch.setattr(plots.plt, "close", lambda fig: figures.setdefault("fig", fig))
    plots.plot_clusters(view, clusters, tmp_path / "clusters.png", "t")
    (ax,) = figures["fig"].axes
    where = {t.get_text(): np.array(t.xy) for t in ax.texts}
    assert np.linalg.norm(where["0"] - [10, 0]) < 1.5
    assert np.linalg.norm(where["1"] - [0, 10]) < 1.5
    views.plt.close(figures["fig"])


def views_config() -> dict:
    """digits (labelled) and wine as an unlabelled table with color_by; a tiny autoencoder
    with a 3-D bottleneck, and plain KMeans shown in 3-D through PCA."""
    return {
        "run": {"datasets": ["digits", "wine"], "pipelines": ["ae3_kmeans", "kmeans"],
                "seeds": [0]},
        "datasets": {
            "digits": {"modality": "image", "source": {"kind": "sklearn", "name": "digits"},
                       "k": "labels", "scaling": "global_minmax"},
            "wine": {"modality": "tabular", "source": {"kind": "sklearn", "name": "wine"},
                     "labels": "none", "k": 3, "color_by": ["alcohol", "proline"]},
        },
        "encoders": {"ae3": {"kind": "dense_autoencoder", "hidden_units": [32],
                             "embedding_dim": 3, "epochs": 3, "batch_size": 64,
                             "validation_split": 0.0, "early_stopping": {"patience": 0},
                             "augment_images": None}},
        "clusterers": {"kmeans": {"kind": "kmeans", "n_init": 2}},
        "pipelines": {"ae3_kmeans": {"encoder": "ae3", "clusterer": "kmeans"},
                      "kmeans": {"clusterer": "kmeans"}},
        "figures": {"view": "pca", "view_3d": "pca"},
    }


@pytest.mark.workflow
def test_planned_view_jobs(tmp_path):
    from conftest import planned_jobs, run_workflow

    config = views_config()
    config["figures"]["view_3d"] = "none"  # only the 3-D autoencoder gets 3-D figures
    jobs = planned_jobs(run_workflow(tmp_path, config, "-n").stdout)
    assert jobs["plot_3d"] == 2 and jobs["project_3d"] == 2  # ae3_kmeans on both datasets
    assert jobs["plot_feature_views"] == 2  # wine only, both pipelines
    config["figures"]["view_3d"] = "pca"
    jobs = planned_jobs(run_workflow(tmp_path, config, "-n").stdout)
    assert jobs["plot_3d"] == 4 and jobs["project_3d"] == 4


@pytest.mark.workflow
def test_bad_color_by_column_is_named(tmp_path):
    from conftest import run_workflow

    config = views_config()
    config["run"] = {"datasets": ["wine"], "pipelines": ["kmeans"], "seeds": [0]}
    config["datasets"]["wine"]["color_by"] = ["alcohol", "vintage"]
    config["figures"]["view_3d"] = "none"
    result = run_workflow(tmp_path, config, "results/wine/pipelines/kmeans/seed0/features.png",
                          check=False)
    assert result.returncode != 0
    log = (tmp_path / "results/logs/plot_feature_views/wine/kmeans/seed0.log").read_text()
    assert "datasets.wine.color_by" in log and "'vintage'" in log


@pytest.mark.workflow
def test_views_through_the_workflow(tmp_path):
    from conftest import run_workflow

    config = views_config()
    # wine: a 3-D embedding shown as it is, the features projected; which datasets get which
    # view jobs is test_planned_view_jobs's
    config["run"]["datasets"] = ["wine"]
    # the view figures and what they are drawn from; the report is of the same targets
    targets = [f"results/wine/pipelines/{name}/seed0/{figure}"
               for name in ("ae3_kmeans", "kmeans")
               for figure in ("view3d.png", "view3d.gif", "features.png")]
    run_workflow(tmp_path, config, *targets)
    for name in ("ae3_kmeans", "kmeans"):
        run = tmp_path / f"results/wine/pipelines/{name}/seed0"
        assert pixel_std(run / "view3d.png") > 20
        with Image.open(run / "view3d.gif") as gif:
            assert gif.n_frames == 36
        assert (run / "view3d.gif").stat().st_size < 3e6
        assert pixel_std(run / "features.png") > 20
    own = np.load(tmp_path / "results/wine/views/ae3/none/seed0/view3d.npy")
    embedding = np.load(tmp_path / "results/wine/encoded/ae3/seed0/embedding.npy")
    assert own.shape == (178, 3) and np.allclose(own, embedding)  # not projected
    projected = np.load(tmp_path / "results/wine/views/none/none/seed0/view3d.npy")
    assert projected.shape == (178, 3)
    report = tmp_path / "report.html"
    from conftest import snakemake

    snakemake(tmp_path, "--configfile", str(tmp_path / "config.yaml"), "--report",
              str(report), *targets)
    assert "clusters (3-D view)" in report.read_text()  # the views' report labels


def test_3d_clusters_take_their_matched_class_colour(tmp_path, monkeypatch):
    view, clusters = three_blobs()
    classes = (clusters + 1) % 3  # cluster c is class c + 1
    figures = {}
    monkeypatch.setattr(views.plt, "close", lambda fig: figures.setdefault("fig", fig))
    plot_3d(view, clusters, tmp_path / "v.png", "t", classes=classes)
    drawn = {int(points.get_label().split()[0]): tuple(points.get_facecolor()[0][:3])
             for points in figures["fig"].axes[0].collections}
    palette = views.palette(3)  # the classes' colours, in class order
    assert drawn == {c: tuple(palette[(c + 1) % 3][:3]) for c in range(3)}
    views.plt.close(figures["fig"])


def test_3d_legend_lists_the_largest_clusters(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    clusters = np.repeat(np.arange(50), np.arange(50) + 5)  # cluster 49 is the largest
    view = rng.normal(size=(len(clusters), 3)) + clusters[:, None]
    figures = {}
    monkeypatch.setattr(views.plt, "close", lambda fig: figures.setdefault("fig", fig))
    plot_3d(view, clusters, tmp_path / "v.png", "t")
    legend = figures["fig"].axes[0].get_legend()
    entries = [t.get_text() for t in legend.get_texts()]
    assert len(entries) == views.MAX_LEGEND and entries[-1] == "49 (54)"
    assert "20 smaller not listed" in legend.get_title().get_text()
    views.plt.close(figures["fig"])
