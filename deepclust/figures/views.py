"""Views of a representation for people: 3-D scatter and rotating GIF, views coloured by the
columns of a table, cluster colours matched to classes, and where to write a cluster's number.

Everything here is plain matplotlib/scikit-learn (no Snakemake); figures are written
atomically (:func:`deepclust.atomic.atomic_path`) and closed after saving.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.animation import FuncAnimation, PillowWriter  # noqa: E402

from deepclust.atomic import atomic_path  # noqa: E402
from deepclust.figures.colours import NOISE_COLOUR, OTHER_COLOUR, matched_colours, palette  # noqa: E402
from deepclust.figures.plots import save_figure  # noqa: E402

#: most frequent categories a categorical column shows (the rest is "other")
TOP_CATEGORIES = 10
#: points drawn in a 3-D scatter at most (a random sample above; the GIF stays small)
MAX_POINTS_3D = 4000


# --- projections --------------------------------------------------------------------------


# --- 3-D figures --------------------------------------------------------------------------

def _sample(n: int, seed: int = 0) -> np.ndarray:
    if n <= MAX_POINTS_3D:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, MAX_POINTS_3D, replace=False))


#: clusters a 3-D figure's legend lists at most (the largest ones)
MAX_LEGEND = 30


def _draw_3d(ax, view, clusters, axes, classes=None) -> None:
    view = np.asarray(view)
    clusters = np.asarray(clusters)
    keep = _sample(len(view))
    view, labels = view[keep], clusters[keep]
    colours, _ = matched_colours(clusters, classes)  # as in clusters.png
    sizes = {c: int(np.sum(clusters == c)) for c in colours}
    listed = set(sorted(sizes, key=sizes.get, reverse=True)[:MAX_LEGEND])
    noise = labels == -1
    if noise.any():
        ax.scatter(*view[noise].T, s=2, c=NOISE_COLOUR, label="noise", depthshade=False)
    for c, colour in colours.items():
        pts = view[labels == c]
        ax.scatter(*pts.T, s=3, color=colour, depthshade=False,
                   label=f"{c} ({sizes[c]})" if c in listed else None)
    ax.set_xlabel(axes[0], labelpad=-8)
    ax.set_ylabel(axes[1], labelpad=-8)
    ax.set_zlabel(axes[2], labelpad=-8)
    ax.set_xticklabels([])
    ax.set_yticklabels([])
    ax.set_zticklabels([])
    more = f"\n{len(colours) - len(listed)} smaller not listed" if len(colours) > len(listed) \
        else ""
    ax.legend(title=f"cluster (rows){more}", loc="center left", bbox_to_anchor=(1.02, 0.5),
              fontsize=7, title_fontsize=8, markerscale=3, frameon=False,
              ncol=1 if len(listed) <= 15 else 2)


def plot_3d(view, clusters, path, title: str, axes=("embedding 1", "embedding 2",
                                                      "embedding 3"), classes=None) -> None:
    """3-D scatter of a 3-column view coloured by cluster, with a cluster legend (with
    ``classes``: each cluster in the colour of its matched class, as in clusters.png)."""
    fig = plt.figure(figsize=(7.5, 6))
    ax = fig.add_subplot(projection="3d")
    _draw_3d(ax, view, clusters, axes, classes)
    ax.view_init(elev=20, azim=-60)
    ax.set_title(title, fontsize=10)
    fig.subplots_adjust(left=0.0, right=0.78, bottom=0.02, top=0.93)
    save_figure(fig, path, dpi=100)


def rotating_gif(view, clusters, path, title: str, axes=("embedding 1", "embedding 2",
                                                          "embedding 3"),
                 frames: int = 36, fps: int = 10, dpi: int = 80, classes=None) -> None:
    """A GIF of the 3-D scatter turning once around the vertical axis (``frames`` frames)."""

    fig = plt.figure(figsize=(6.4, 5))
    ax = fig.add_subplot(projection="3d")
    _draw_3d(ax, view, clusters, axes, classes)
    ax.set_title(title, fontsize=10)
    fig.subplots_adjust(left=0.0, right=0.76, bottom=0.02, top=0.93)

    def turn(i):
        ax.view_init(elev=20, azim=-60 + 360 * i / frames)
        return ()

    animation = FuncAnimation(fig, turn, frames=frames, blit=False)
    with atomic_path(path) as tmp:
        animation.save(tmp, writer=PillowWriter(fps=fps), dpi=dpi)
    plt.close(fig)


# --- views coloured by the columns of a table ---------------------------------------------

def is_numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def top_categories(values: pd.Series, top: int = TOP_CATEGORIES) -> tuple[pd.Series, list]:
    """Values reduced to the ``top`` most frequent categories and "other" (missing values are
    "missing"); returns the reduced values and the category order (most frequent first)."""
    text = values.astype("string").fillna("missing")
    text = text.str.slice(0, 30)
    counts = text.value_counts(sort=True)
    keep = [c for c in counts.index if c != "missing"][:top]
    reduced = text.where(text.isin(keep) | (text == "missing"), "other")
    order = keep + [c for c in ("other", "missing") if (reduced == c).any()]
    return reduced, order


def check_columns(table, columns, setting: str) -> None:
    """Every colour column must be a column of the table (error names the setting)."""
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"{setting} lists columns {list(columns)} but the prepared data is "
                         f"not a table ({type(table).__name__}): color_by is for tabular "
                         "datasets")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{setting}: column(s) {missing} not in the table (its columns: "
                         f"{', '.join(map(str, table.columns))})")


def _colour_panel(fig, ax, view, values: pd.Series, column: str) -> None:
    view = np.asarray(view)
    three_d = view.shape[1] == 3
    keep = _sample(len(view)) if three_d else np.arange(len(view))
    pts = view[keep]
    values = values.reset_index(drop=True).iloc[keep]
    extra = {"depthshade": False} if three_d else {"rasterized": True}
    if is_numeric(values):
        numbers = values.to_numpy(dtype=float)
        missing = np.isnan(numbers)
        if missing.any():
            ax.scatter(*pts[missing].T, s=3, c=NOISE_COLOUR, label="missing", **extra)
            ax.legend(loc="lower right", fontsize=7, markerscale=3)
        present = numbers[~missing]
        order = np.argsort(present, kind="stable")  # high values drawn on top
        # a few extreme values (prices) would turn everything else one colour: the scale
        # spans the 2nd-98th percentile, the colour bar's arrows hold the rest
        low, high = np.percentile(present, [2, 98]) if len(present) else (0, 1)
        full = (present.min(), present.max()) if len(present) else (0, 1)
        if high <= low or full[1] - full[0] < 2 * (high - low):  # not skewed: all of it
            low, high = full
        extend = {(False, False): "neither", (True, False): "min", (False, True): "max",
                  (True, True): "both"}[(bool((present < low).any()),
                                         bool((present > high).any()))]
        shown = ax.scatter(*pts[~missing][order].T, s=3, c=present[order], cmap="viridis",
                           vmin=low, vmax=high, **extra)
        fig.colorbar(shown, ax=ax, label=column, shrink=0.8, extend=extend,
                     pad=0.15 if three_d else 0.02)
    else:
        reduced, order = top_categories(values)
        colours = palette(len([c for c in order if c not in ("other", "missing")]))
        grey = {"other": OTHER_COLOUR, "missing": NOISE_COLOUR}
        for i, category in enumerate(order):
            mask = (reduced == category).to_numpy()
            colour = grey.get(category, colours[i] if i < len(colours) else OTHER_COLOUR)
            ax.scatter(*pts[mask].T, s=3, color=colour,
                       label=f"{category} ({int(mask.sum())})", **extra)
        ax.legend(title=column, loc="center left",
                  bbox_to_anchor=(1.18 if three_d else 1.0, 0.5),
                  fontsize=7, title_fontsize=8, markerscale=3, frameon=False)
    ax.set_title(f"coloured by {column}", fontsize=10, pad=12 if three_d else 6)


def plot_feature_views(views: dict, table, columns, path, title: str,
                       setting: str = "color_by") -> None:
    """One panel per (view, column): each view (name -> n x 2 or n x 3 array, rows in the
    table's order) coloured by each column; numeric columns with a colour bar, categorical
    ones with their :data:`TOP_CATEGORIES` most frequent categories and "other" in grey."""
    columns = list(columns)
    if not columns:
        raise ValueError(f"{setting} is empty: nothing to colour by")
    check_columns(table, columns, setting)
    for name, view in views.items():
        if len(view) != len(table):
            raise ValueError(f"the {name} view has {len(view)} rows but the table "
                             f"has {len(table)}")
    n_rows, n_cols = len(views), len(columns)
    fig = plt.figure(figsize=(6.2 * n_cols, 4.6 * n_rows))
    for r, (name, view) in enumerate(views.items()):
        view = np.asarray(view)
        for c, column in enumerate(columns):
            three_d = view.shape[1] == 3
            ax = fig.add_subplot(n_rows, n_cols, r * n_cols + c + 1,
                                 projection="3d" if three_d else None)
            _colour_panel(fig, ax, view, table[column], column)
            labels = [f"{name} {i}" for i in range(1, view.shape[1] + 1)]
            ax.set_xlabel(labels[0])
            ax.set_ylabel(labels[1])
            ax.set_xticks([])
            ax.set_yticks([])
            if three_d:
                ax.set_zlabel(labels[2])
                ax.set_zticks([])
                ax.view_init(elev=20, azim=-60)
    fig.suptitle(title)
    fig.tight_layout(h_pad=2.5)
    save_figure(fig, path, dpi=90)
