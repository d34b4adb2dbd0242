"""The leaderboard figure (one row of panels per dataset, error bars) and its HTML table."""

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from deepclust.evaluate.leaderboard import aggregate
from deepclust.figures.leaderboard_plot import leaderboard_html, plot_leaderboard


def _run(dataset, pipeline, seed, acc, silhouette, train=None):
    seconds = {"prepare": 1.0, "cluster": 2.0 + seed}
    if train is not None:
        seconds["train"] = train
    seconds["total"] = sum(seconds.values())
    return {"dataset": dataset, "pipeline": pipeline, "seed": seed, "acc": acc,
            "nmi": None if acc is None else acc - 0.1, "ari": None, "silhouette": silhouette,
            "davies_bouldin": 1.0, "calinski_harabasz": 10.0, "n_clusters": 3,
            "noise_fraction": 0.0, "seconds": seconds}


@pytest.fixture
def board():
    """digits: labelled, three pipelines over two seeds; items: unlabelled, two pipelines."""
    runs = []
    for seed in (0, 1):
        runs += [_run("digits", "kmeans", seed, 0.79 + 0.01 * seed, 0.15),
                 _run("digits", "ae_kmeans", seed, 0.70 + 0.10 * seed, 0.2, train=20),
                 _run("digits", "n2d_with_a_long_pipeline_name", seed, 0.9, 0.5, train=20),
                 _run("items", "kmeans", seed, None, 0.3 + 0.1 * seed),
                 _run("items", "items_ae_kmeans", seed, None, 0.45, train=12)]
    return aggregate(runs)


def _error_bars(ax):
    """(x, half width) of each horizontal error bar drawn on ax."""
    bars = []
    for container in ax.containers:
        if getattr(container, "has_xerr", False) and container.has_xerr:
            for segment in container.lines[2][0].get_segments():
                (x0, _), (x1, _) = segment
                bars.append(((x0 + x1) / 2, (x1 - x0) / 2))
    return bars


def test_one_row_of_panels_per_dataset_with_error_bars(board, tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    figures = []
    monkeypatch.setattr(plt, "close", lambda fig=None: figures.append(fig))
    path = tmp_path / "leaderboard.png"
    plot_leaderboard(board, path)
    fig = figures[-1]
    axes = np.array(fig.axes).reshape(2, 3)
    digits, items = axes
    # labelled digits: ACC, NMI, time; unlabelled items: silhouette, (empty), time
    assert [ax.axison for ax in digits] == [True, True, True]
    assert [ax.axison for ax in items] == [True, False, True]
    assert "ACC" in digits[0].get_xlabel() and "NMI" in digits[1].get_xlabel()
    assert "silhouette" in items[0].get_xlabel()
    assert all("time" in ax.get_xlabel() for ax in (digits[2], items[2]))
    for ax, n in ((digits[0], 3), (items[0], 2)):
        assert ax.get_yticklabels()[0].get_text() == "kmeans"  # first pipeline on top
        assert len(ax.get_yticklabels()) == n
    # error bars: one per pipeline, centred on the mean, half-width = std over the seeds
    acc = sorted(_error_bars(digits[0]))
    assert len(acc) == 3
    assert acc[0] == pytest.approx((0.75, 0.05))  # ae_kmeans: 0.70, 0.80
    assert acc[1] == pytest.approx((0.795, 0.005))
    assert acc[2] == pytest.approx((0.9, 0.0))
    sil = sorted(_error_bars(items[0]))
    assert sil == [pytest.approx((0.35, 0.05)), pytest.approx((0.45, 0.0))]
    # the time panel: stacked bars, one segment per stage group, the total beside each bar
    totals = [t.get_text().strip() for t in digits[2].texts]
    assert totals == ["4 s", "24 s", "24 s"]  # 1 + 2.5 (+ 20)
    image = mpimg.imread(path)
    assert image.shape[0] > 400 and image.shape[1] > 1000
    assert image[..., :3].std() > 0.1  # not blank


def test_a_single_unlabelled_dataset_has_silhouette_and_time_only(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    figures = []
    monkeypatch.setattr(plt, "close", lambda fig=None: figures.append(fig))
    board = aggregate([_run("items", "kmeans", 0, None, 0.3)])
    plot_leaderboard(board, tmp_path / "l.png")
    assert len(figures[-1].axes) == 2
    assert sorted(_error_bars(figures[-1].axes[0])) == [pytest.approx((0.3, 0.0))]


def test_a_single_dataset_keeps_its_legend_and_labels_inside_and_off_the_error_bars(
        tmp_path, monkeypatch):
    """Found in a new-user run: with one dataset (two panels) the stage legend's first entry was
    cut off at the figure's left edge, and a short bar's "0.183 ± 0.000" sat on its error bar."""
    import matplotlib.pyplot as plt

    figures = []
    monkeypatch.setattr(plt, "close", lambda fig=None: figures.append(fig))
    board = aggregate([_run("scans", "kmeans", 0, None, 0.183, train=None),
                       _run("scans", "dec_long300", 0, None, 0.879, train=100)])
    plot_leaderboard(board, tmp_path / "l.png")
    fig = figures[-1]
    renderer = fig.canvas.get_renderer()
    inside = fig.bbox
    legend = fig.legends[0].get_window_extent(renderer)
    assert inside.x0 <= legend.x0 and legend.x1 <= inside.x1 and inside.y0 <= legend.y0
    scores = fig.axes[0]
    bars = dict(sorted(_error_bars(scores)))
    for text in scores.texts:
        box = text.get_window_extent(renderer).transformed(scores.transData.inverted())
        mean = float(text.get_text().split(" ")[0])
        right_end = mean + bars[mean]
        # a label either starts right of the bar's error bar or lies inside the bar, in white
        assert box.x0 > right_end or (box.x1 < mean and text.get_color() == "white"), text
        assert text.get_window_extent(renderer).x1 <= inside.x1


def test_html_table_names_every_pipeline_and_marks_the_best(board):
    page = leaderboard_html(board)
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert page.count("<table>") == 2 and "<h2>digits</h2>" in page
    for name in ("kmeans", "ae_kmeans", "n2d_with_a_long_pipeline_name", "items_ae_kmeans"):
        assert f'<td class="name">{name}</td>' in page
    assert '<td class="best">0.900 ± 0.000</td>' in page  # the best ACC of digits
    items = page.split("<h2>items</h2>")[1]
    assert "ACC" not in items.split("</table>")[0]  # unlabelled: no ACC column
    assert '<td class="best">0.450 ± 0.000</td>' in items


def test_bad_input_names_the_file():
    with pytest.raises(ValueError, match="results/leaderboard.csv: missing .*pipeline"):
        plot_leaderboard(pd.DataFrame({"dataset": ["d"], "seeds": [1]}), "x.png",
                         source="results/leaderboard.csv")
    with pytest.raises(ValueError, match="no rows"):
        leaderboard_html(pd.DataFrame(columns=["dataset", "pipeline", "seeds"]))
