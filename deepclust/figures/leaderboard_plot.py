"""The leaderboard for people: a figure (one row of panels per dataset) and an HTML table.

Both read the frame of :func:`deepclust.evaluate.leaderboard.aggregate`
(``results/leaderboard.csv``):
one row per dataset x pipeline with ``<metric>_mean``/``<metric>_std`` over the seeds and the
mean seconds per seed of every stage.
"""

from __future__ import annotations

import html
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from deepclust.atomic import atomic_path  # noqa: E402
from deepclust.figures.plots import save_figure  # noqa: E402

#: metric column -> axis label; the higher-is-better scores the figure shows
METRIC_NAMES = {"acc": "ACC (Hungarian-matched accuracy)", "nmi": "NMI",
                "silhouette": "silhouette"}
#: the time panel's stacked stages: label -> stage columns of the board
TIME_GROUPS = {
    "data (download, prepare, vectorize)": ["download_s", "prepare_s", "vectorize_s"],
    "encoder (train, embed)": ["train_s"],
    "reduce (UMAP/Isomap)": ["reduce_s"],
    "cluster (choose K, cluster, evaluate)": ["choose_k_s", "cluster_s", "evaluate_s"],
    "figures (views, plots, tables)": ["figures_s"],
}
TIME_COLOURS = ["#bdbdbd", "#8c564b", "#dd8452", "#55a868", "#8172b3"]
SCORE_COLOUR = "#4c72b0"
REQUIRED = ["dataset", "pipeline", "seeds"]


def _check(board: pd.DataFrame, source: str) -> None:
    missing = [c for c in REQUIRED if c not in board.columns]
    if missing:
        raise ValueError(f"{source}: missing leaderboard column(s) {', '.join(missing)}")
    if board.empty:
        raise ValueError(f"{source}: the leaderboard has no rows")


def _value(row, column) -> float:
    value = row.get(column, math.nan)
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def dataset_metrics(rows: pd.DataFrame) -> list[str]:
    """The scores shown for one dataset: ACC and NMI where it is labelled (any ACC measured),
    silhouette otherwise."""
    labelled = "acc_mean" in rows and pd.to_numeric(rows["acc_mean"], errors="coerce").notna().any()
    return ["acc", "nmi"] if labelled else ["silhouette"]


#: the share of a score axis its "0.000 ± 0.000" label takes, with a margin
LABEL_SHARE = 0.3


def _label_bar(ax, y: float, mean: float, std: float, low: float) -> None:
    """The bar's "mean ± std" in white inside a bar long enough to hold it, else in black
    right of the bar's error bar (never on top of either); "n/a" at the axis' start."""
    span = 1.0 - low
    if math.isnan(mean):
        text, x, colour = "n/a", low + 0.01 * span, "black"
    elif (mean - low) / span > LABEL_SHARE:
        text, x, colour = f"{mean:.3f} ± {std:.3f}", low + 0.01 * span, "white"
    else:
        text, x, colour = f"{mean:.3f} ± {std:.3f}", mean + std + 0.015 * span, "black"
    ax.text(x, y, text, va="center", ha="left", fontsize=8, color=colour)


def plot_leaderboard(board: pd.DataFrame, path, title: str = "Leaderboard",
                     source: str = "leaderboard") -> None:
    """One row of panels per dataset: each score per pipeline as horizontal bars with the
    standard deviation over the seeds as error bars, and the mean wall time per seed as bars
    stacked by stage. Columns: ACC, NMI, time (labelled data) or silhouette, time."""
    _check(board, source)
    datasets = list(dict.fromkeys(board["dataset"]))
    ncols = max(len(dataset_metrics(board[board["dataset"] == d])) for d in datasets) + 1
    heights = [max(1.6, 0.38 * (board["dataset"] == d).sum() + 1.1) for d in datasets]
    width = 4.2 * ncols + 1.2
    # the stage legend below: as many labels a row as fit the width (about 3.2 inches each)
    legend_cols = max(1, min(len(TIME_GROUPS), int(width // 3.2)))
    legend_height = 0.1 + 0.2 * math.ceil(len(TIME_GROUPS) / legend_cols)
    fig, axes = plt.subplots(len(datasets), ncols, squeeze=False,
                             figsize=(width, sum(heights) + 0.7 + legend_height),
                             gridspec_kw={"height_ratios": heights})
    for row_axes, dataset in zip(axes, datasets):
        rows = board[board["dataset"] == dataset].reset_index(drop=True)
        y = np.arange(len(rows))
        names = [str(p) for p in rows["pipeline"]]
        seeds = pd.to_numeric(rows["seeds"], errors="coerce")
        few, many = int(seeds.min()), int(seeds.max())
        seeds_text = (f"{few} seed{'s' if few != 1 else ''}" if few == many
                      else f"{few}-{many} seeds")
        metrics = dataset_metrics(rows)
        for ax in row_axes[len(metrics):-1]:
            ax.axis("off")
            ax.text(0.5, 0.5, f"{dataset} has no labels:\nno ACC or NMI, silhouette only",
                    ha="center", va="center", color="#777", transform=ax.transAxes)
        for ax, metric in zip(row_axes, metrics):
            means = np.array([_value(r, f"{metric}_mean") for _, r in rows.iterrows()])
            stds = np.nan_to_num([_value(r, f"{metric}_std") for _, r in rows.iterrows()])
            shown = np.nan_to_num(means)
            ax.barh(y, shown, xerr=stds, color=SCORE_COLOUR, ecolor="black", capsize=4,
                    error_kw={"elinewidth": 1.2}, height=0.6)
            low = min(0.0, float(np.nanmin(means - stds)) if np.isfinite(means).any() else 0.0)
            ax.set_xlim(low, 1.0)
            for yi, m, s in zip(y, means, stds):
                _label_bar(ax, yi, m, s, low)
            ax.set_xlabel(f"{METRIC_NAMES[metric]} (higher is better)")
            ax.set_title(f"{dataset}: {METRIC_NAMES[metric].split(' ')[0]}, mean ± std "
                         f"over {seeds_text}", fontsize=10)
            ax.grid(axis="x", alpha=0.3)
        time_ax = row_axes[-1]
        left = np.zeros(len(rows))
        for (label, columns), colour in zip(TIME_GROUPS.items(), TIME_COLOURS):
            part = np.array([sum(np.nan_to_num(_value(r, c)) for c in columns)
                             for _, r in rows.iterrows()])
            time_ax.barh(y, part, left=left, color=colour, height=0.6, label=label)
            left += part
        total = np.array([_value(r, "total_s") for _, r in rows.iterrows()])
        total = np.where(np.isnan(total), left, total)
        for yi, t in zip(y, total):
            time_ax.text(t, yi, f" {t:.0f} s", va="center", ha="left", fontsize=8)
        time_ax.set_xlim(0, max(1.0, float(np.nanmax(total))) * 1.25)
        time_ax.set_xlabel("mean wall time per seed (s)")
        time_ax.set_title(f"{dataset}: time per seed, by stage", fontsize=10)
        time_ax.grid(axis="x", alpha=0.3)
        for ax in row_axes:
            if ax.axison:
                ax.set_yticks(y, names)
                ax.set_ylim(len(rows) - 0.5, -0.5)  # first pipeline on top
        row_axes[0].set_ylabel("pipeline")
    handles, labels = axes[0][-1].get_legend_handles_labels()
    fig.suptitle(f"{title}: scores per pipeline (error bars: std over seeds) and time per seed")
    fig.legend(handles, labels, loc="lower center", ncol=legend_cols, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, legend_height / fig.get_figheight(), 1, 1))
    save_figure(fig, path, dpi=100)


HTML_COLUMNS = [  # header, metric (mean ± std, digits) or stage seconds
    ("ACC", "acc", 3), ("NMI", "nmi", 3), ("ARI", "ari", 3), ("silhouette", "silhouette", 3),
    ("Davies-Bouldin", "davies_bouldin", 2), ("Calinski-Harabasz", "calinski_harabasz", 0),
    ("clusters", "n_clusters", 1), ("noise", "noise_fraction", 3),
]
#: header, column, digits: stage seconds and the peak memory
HTML_TIMES = [("train s", "train_s", 1), ("reduce s", "reduce_s", 1), ("cluster s", "cluster_s", 1),
              ("figures s", "figures_s", 1), ("total s", "total_s", 1),
              ("peak MB", "peak_rss_mb", 0)]

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2.2em 1.5em;
       color: #222; }
h1 { font-size: 1.3em; } h2 { font-size: 1.1em; margin-top: 1.5em; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { padding: 0.3em 0.5em; border-bottom: 1px solid #ddd; text-align: right;
         white-space: nowrap; }
th { background: #f0f3f8; position: sticky; top: 0; white-space: normal; vertical-align: bottom; }
div.scroll { overflow-x: auto; }
td.name, th.name { text-align: left; font-weight: 600; }
tr:hover td { background: #fafafa; }
td.best { background: #e3f1e3; font-weight: 600; }
p.note { max-width: 60em; color: #555; font-size: 0.85em; }
"""


def _cell(mean, std, digits) -> str:
    if math.isnan(mean):
        return "–"
    return f"{mean:.{digits}f} ± {0.0 if math.isnan(std) else std:.{digits}f}"


def leaderboard_html(board: pd.DataFrame, title: str = "Leaderboard",
                     source: str = "leaderboard") -> str:
    """A self-contained, styled HTML page: one table per dataset, one row per pipeline, scores
    as mean ± std over the seeds (the best ACC, NMI, ARI, silhouette of each dataset marked),
    times as mean seconds per seed. No scripts, no external resources."""
    _check(board, source)
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>"]
    for dataset in dict.fromkeys(board["dataset"]):
        rows = board[board["dataset"] == dataset]
        columns = [c for c in HTML_COLUMNS
                   if pd.to_numeric(rows.get(f"{c[1]}_mean"), errors="coerce").notna().any()]
        times = [t for t in HTML_TIMES
                 if pd.to_numeric(rows.get(t[1]), errors="coerce").notna().any()]
        best = {}
        for _, metric, _ in columns:
            if metric in ("acc", "nmi", "ari", "silhouette"):
                values = pd.to_numeric(rows[f"{metric}_mean"], errors="coerce")
                best[metric] = values.max()
        parts.append(f"<h2>{html.escape(str(dataset))}</h2><div class=\"scroll\"><table><thead><tr>"
                     "<th class=\"name\">pipeline</th><th>seeds</th>"
                     + "".join(f"<th>{html.escape(h)}</th>" for h, _, _ in columns)
                     + "".join(f"<th>{html.escape(h)}</th>" for h, _, _ in times)
                     + "</tr></thead><tbody>")
        for _, r in rows.iterrows():
            cells = [f"<td class=\"name\">{html.escape(str(r['pipeline']))}</td>",
                     f"<td>{int(r['seeds'])}</td>"]
            for _, metric, digits in columns:
                mean, std = _value(r, f"{metric}_mean"), _value(r, f"{metric}_std")
                mark = " class=\"best\"" if metric in best and mean == best[metric] else ""
                cells.append(f"<td{mark}>{_cell(mean, std, digits)}</td>")
            for _, column, digits in times:
                t = _value(r, column)
                cells.append(f"<td>{'–' if math.isnan(t) else f'{t:.{digits}f}'}</td>")
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("</tbody></table></div>")
    parts.append("<p class=\"note\">Scores: mean ± standard deviation over the seeds; the best "
                 "ACC, NMI, ARI and silhouette of each dataset are highlighted (Davies-Bouldin: "
                 "lower is better). ACC, NMI and ARI need labels and are left out for unlabelled "
                 "data. Times: mean wall-clock seconds per seed from the Snakemake benchmark "
                 "files; <em>total</em> adds every stage of the pipeline's chain and its figures "
                 "(views, cluster figures, examples, terms, profiles), counting shared jobs in "
                 "each pipeline that uses them. <em>Peak MB</em>: the largest resident memory of "
                 "any of these jobs, over the seeds.</p></body></html>\n")
    return "\n".join(parts)


def write_leaderboard_html(board: pd.DataFrame, path, **kwargs) -> None:
    text = leaderboard_html(board, **kwargs)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
