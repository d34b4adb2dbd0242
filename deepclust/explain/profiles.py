"""Cluster profiles of a table: what is in each cluster, in the table's own columns.

One row per cluster: its size (rows and share), the median and mean of every numeric
column, the most frequent categories of every categorical column (with their shares
within the cluster) and the most frequent words of every text column (share of the
cluster's rows whose text contains the word, English stop words out). Noise points
(cluster -1 of DBSCAN/HDBSCAN) form their own ``noise`` row. With labels, the majority
class of each cluster and its share.

:func:`plot_profiles` draws the numeric columns as small multiples: one row per numeric
column, one column per cluster, shared x axis per row.
"""

from __future__ import annotations

import re
from collections import Counter

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS  # noqa: E402

from deepclust.atomic import atomic_path
from deepclust.data.table_cleaning import MISSING_SUFFIX
from deepclust.evaluate.matching import cluster_order, majority_class
from deepclust.figures.plots import save_figure

#: column types (deepclust.data.column_types) that a profile describes
PROFILED_TYPES = ("numeric", "categorical", "text")
NOISE = "noise"
_WORD = re.compile(r"[a-z0-9][a-z0-9'+-]*")


class ProfileError(ValueError):
    """The table, its column types or its clusters do not fit together."""


def cluster_name(cluster: int) -> str:
    return NOISE if int(cluster) < 0 else str(int(cluster))


def _profiled_columns(frame: pd.DataFrame, column_types: dict) -> dict[str, str]:
    unknown = [c for c in column_types if column_types[c] in PROFILED_TYPES
               and c not in frame.columns]
    if unknown:
        raise ProfileError(f"columns {unknown} of the column types are not in the table "
                           f"(columns: {list(frame.columns)})")
    # the 0/1 missing-value indicators the cleaning added are not the user's columns
    return {c: t for c, t in column_types.items()
            if t in PROFILED_TYPES and not c.endswith(MISSING_SUFFIX)}


def words_of(text, stop_words=None) -> set[str]:
    """The distinct words of one text: lowercased, at least 2 characters with a letter,
    stop words out."""
    if stop_words is None:
        stop_words = ENGLISH_STOP_WORDS
    if not isinstance(text, str):
        return set()
    words = (w.strip("'+-") for w in _WORD.findall(text.lower()))
    return {w for w in words
            if len(w) > 1 and re.search("[a-z]", w) and w not in stop_words}


def _top(counter: Counter, total: int, n: int) -> str:
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))[:n]
    return "; ".join(f"{value} ({count / total:.0%})" for value, count in ranked)


def cluster_profiles(frame: pd.DataFrame, column_types: dict, clusters,
                     labels=None, class_names=None, top_categories: int = 3,
                     top_words: int = 5) -> pd.DataFrame:
    """The profile table: one row per cluster (noise last), columns

    ``cluster, size, share``, then per numeric column ``<col>_median, <col>_mean``, per
    categorical column ``<col>_top`` ("value (share); ..."), per text column
    ``<col>_words`` ("word (share of rows containing it); ..."), and with labels
    ``majority_class, majority_share``.
    """
    clusters = np.asarray(clusters)
    if len(clusters) != len(frame):
        raise ProfileError(f"{len(clusters)} cluster labels for a table of {len(frame)} rows")
    columns = _profiled_columns(frame, column_types)
    if labels is not None:
        labels = np.asarray(labels)
        if len(labels) != len(frame):
            raise ProfileError(f"{len(labels)} labels for a table of {len(frame)} rows")
    rows = []
    for cluster in cluster_order(clusters):
        members = clusters == cluster
        part = frame.loc[members]
        n = int(members.sum())
        row = {"cluster": cluster_name(cluster), "size": n,
               "share": round(n / len(frame), 4)}
        for column, kind in columns.items():
            values = part[column]
            if kind == "numeric":
                numbers = pd.to_numeric(values, errors="coerce")
                row[f"{column}_median"] = round(float(numbers.median()), 4)
                row[f"{column}_mean"] = round(float(numbers.mean()), 4)
            elif kind == "categorical":
                counts = Counter(values.fillna("(missing)").astype(str))
                row[f"{column}_top"] = _top(counts, n, top_categories)
            else:
                counts = Counter(w for text in values for w in words_of(text))
                row[f"{column}_words"] = _top(counts, n, top_words)
        if labels is not None:
            majority, share = majority_class(labels, np.flatnonzero(members), class_names)
            row["majority_class"] = majority
            row["majority_share"] = round(share, 4)
        rows.append(row)
    return pd.DataFrame(rows)


def write_profiles(profiles: pd.DataFrame, csv_path, html_path=None, title: str = "") -> None:
    """profiles.csv (and an HTML page of the same table, for the report)."""
    with atomic_path(csv_path) as tmp:
        profiles.to_csv(tmp, index=False)
    if html_path is not None:
        table = profiles.to_html(index=False, border=0, classes="profiles",
                                 float_format=lambda x: f"{x:,.4g}")
        page = (
            "<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>{title}</title><style>"
            "body{font-family:sans-serif;margin:1em}"
            "table.profiles{border-collapse:collapse;font-size:13px}"
            "table.profiles th,table.profiles td{border:1px solid #ccc;padding:3px 6px;"
            "text-align:left;vertical-align:top}"
            "table.profiles th{background:#f0f0f0}</style></head><body>"
            f"<h2>{title}</h2>{table}</body></html>\n"
        )
        with atomic_path(html_path) as tmp:
            tmp.write_text(page, encoding="utf-8")


def _cluster_colour(cluster: int, n_clusters: int):
    if cluster < 0:
        return "#9a9a9a"
    cmap = matplotlib.colormaps["tab10" if n_clusters <= 10 else "tab20"]
    return cmap(cluster % cmap.N)


def _bins(values: np.ndarray, n_bins: int = 20) -> tuple[np.ndarray, bool]:
    """Common bin edges of one column; log-spaced for a long right tail of values >= 0."""
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return np.linspace(0, 1, n_bins + 1), False
    low, high = float(values.min()), float(values.max())
    if high == low:
        return np.linspace(low - 0.5, high + 0.5, n_bins + 1), False
    median = float(np.median(values))
    long_tail = low >= 0 and high > 1 and high > 20 * max(median, 1.0)
    if long_tail:
        return np.expm1(np.linspace(0, np.log1p(high), n_bins + 1)), True
    return np.linspace(low, high, n_bins + 1), False


def plot_profiles(frame: pd.DataFrame, column_types: dict, clusters, path,
                  title: str) -> int:
    """Per-cluster histograms of the numeric columns: one row per numeric column, one
    column per cluster (noise last), shared x axis and y axis (share of the cluster's
    rows) per row; the cluster median is a dashed line. Returns the number of panels."""

    clusters = np.asarray(clusters)
    if len(clusters) != len(frame):
        raise ProfileError(f"{len(clusters)} cluster labels for a table of {len(frame)} rows")
    numeric = [c for c, t in _profiled_columns(frame, column_types).items() if t == "numeric"]
    order = cluster_order(clusters)
    n_real = sum(c >= 0 for c in order)
    if not numeric:  # still a figure a reader understands
        fig, ax = plt.subplots(figsize=(6, 2))
        ax.text(0.5, 0.5, "this table has no numeric columns to draw", ha="center",
                va="center")
        ax.set_axis_off()
        ax.set_title(title)
        _save(fig, path)
        return 0
    n_rows, n_cols = len(numeric), len(order)
    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False, sharex="row", sharey="row",
                             figsize=(1.9 * n_cols + 1.2, 1.6 * n_rows + 1.2))
    for i, column in enumerate(numeric):
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        edges, log_x = _bins(values)
        for j, cluster in enumerate(order):
            ax = axes[i, j]
            own = values[(clusters == cluster) & np.isfinite(values)]
            if len(own):
                ax.hist(own, bins=edges, weights=np.full(len(own), 1 / len(own)),
                        color=_cluster_colour(cluster, n_real), edgecolor="white",
                        linewidth=0.3)
                ax.axvline(np.median(own), color="black", ls="--", lw=0.9)
            if log_x:
                ax.set_xscale("symlog", linthresh=1)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.25)
            if i == 0:
                share = (clusters == cluster).mean()
                name = "noise" if cluster < 0 else f"cluster {cluster}"
                ax.set_title(f"{name}\n{(clusters == cluster).sum()} rows ({share:.0%})",
                             fontsize=9)
            if j == 0:
                ax.set_ylabel("share of\ncluster's rows", fontsize=8)
            ax.set_xlabel(f"{column}{' (log scale)' if log_x else ''}", fontsize=8)
    fig.suptitle(f"{title}\nnumeric columns per cluster (dashed: cluster median)",
                 fontsize=10)
    _save(fig, path, title_inches=0.45)
    return n_rows * n_cols


def _save(fig, path, title_inches: float = 0.0) -> None:
    """Lay out and save; ``title_inches`` kept free at the top for a suptitle (tight_layout
    leaves it none, and on a tall figure the title would run into the column titles)."""
    fig.tight_layout(rect=(0, 0, 1, 1 - title_inches / fig.get_figheight()))
    save_figure(fig, path, dpi=100)
