"""Figures for people: titled, labelled, readable."""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from deepclust.atomic import atomic_path  # noqa: E402
from deepclust.figures.colours import island_anchor, matched_colours, palette  # noqa: E402

NOISE_COLOUR = "#c8c8c8"


def save_figure(fig, path, dpi: int = 110) -> None:
    """Write ``fig`` to ``path`` atomically (format from the suffix) and close it; the
    caller lays it out first."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi)
    plt.close(fig)


def _save(fig, path) -> None:
    fig.tight_layout()
    save_figure(fig, path)


def wrapped(title: str, width: int = 56) -> str:
    """A title with each of its lines broken at spaces into lines of at most ``width``
    characters, so that long dataset, encoder and pipeline names stay inside a 6-inch figure
    (names themselves are never split)."""
    return "\n".join(part for line in title.split("\n")
                     for part in textwrap.wrap(line, width, break_long_words=False,
                                               break_on_hyphens=False) or [line])


def plot_loss_curve(history: dict, path, title: str, ylabel: str = "reconstruction loss") -> None:
    """Training (and validation) loss per epoch, log scale."""
    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], label="training")
    if history.get("val_loss"):
        ax.plot(epochs, history["val_loss"], label="validation")
        best = int(np.argmin(history["val_loss"]))
        ax.axvline(best + 1, color="grey", ls=":", label=f"best epoch ({best + 1})")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(wrapped(title))
    ax.legend()
    ax.grid(alpha=0.3)
    _save(fig, path)


def plot_elbow(selection: dict, path, title: str) -> None:
    """KMeans inertia over K with the chosen K marked; silhouette on a second axis."""
    fig, ax = plt.subplots(figsize=(6, 4.6))
    ks = selection["ks"]
    ax.plot(ks, selection["inertia"], "o-", color="C0", label="inertia")
    ax.set_xlabel("number of clusters K")
    ax.set_ylabel("KMeans inertia", color="C0")
    ax2 = ax.twinx()
    ax2.plot(ks, selection["silhouette"], "s--", color="C1", label="silhouette")
    ax2.set_ylabel("silhouette", color="C1")
    ax.axvline(selection["k"], color="C3", lw=2,
               label=f"chosen K = {selection['k']} ({selection['method']})")
    if len(ks) <= 16:  # every K labelled while the labels fit side by side
        ax.set_xticks(ks)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    # below the axes: inside, it covered the curves wherever they ran
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="upper center",
              bbox_to_anchor=(0.5, -0.15), ncol=3, fontsize=8, frameon=False)
    ax.set_title(title)
    _save(fig, path)


def _scatter_labelled(ax, view, labels, title, names=None, colours=None) -> None:
    """``colours``: label -> colour (default: the palette in label order). Each label's text
    sits on the largest island of its points (:func:`deepclust.figures.views.island_anchor`)."""
    labels = np.asarray(labels)
    groups = [g for g in np.unique(labels) if g != -1]
    if colours is None:
        colours = dict(zip(groups, palette(len(groups))))
    # gaps under 3% of the figure's diagonal do not separate islands to the eye
    gap = 0.03 * float(np.linalg.norm(np.ptp(view, axis=0))) if len(view) else 0.0
    noise = labels == -1
    if noise.any():
        ax.scatter(view[noise, 0], view[noise, 1], s=4, c=NOISE_COLOUR,
                   label=f"noise ({noise.mean():.0%})", rasterized=True)
        ax.legend(loc="lower right", fontsize=8, markerscale=3)
    for g in groups:
        pts = view[labels == g]
        ax.scatter(pts[:, 0], pts[:, 1], s=4, color=colours[g], rasterized=True)
        cx, cy = island_anchor(pts, gap=gap)
        text = names[g] if names is not None and g < len(names) else str(g)
        ax.annotate(text, (cx, cy), ha="center", va="center", fontsize=9, weight="bold",
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", alpha=0.75, lw=0))
    ax.set_title(title)
    ax.set_xlabel("view dimension 1")
    ax.set_ylabel("view dimension 2")
    ax.set_xticks([])
    ax.set_yticks([])


def plot_clusters(view, clusters, path, title: str, classes=None, class_names=None,
                  view_method: str = "") -> None:
    """2-D view coloured by cluster and, when ground truth exists, by true class."""
    panels = 2 if classes is not None else 1
    fig, axes = plt.subplots(1, panels, figsize=(6 * panels, 5.5), squeeze=False)
    how = f" ({view_method} view)" if view_method else ""
    # a cluster has the colour of the class it is matched to (Hungarian matching)
    cluster_colours, class_colours = matched_colours(clusters, classes)
    _scatter_labelled(axes[0, 0], view, clusters, f"clusters{how}", colours=cluster_colours)
    if classes is not None:
        _scatter_labelled(axes[0, 1], view, classes, f"true classes{how}", class_names,
                          colours=class_colours)
    fig.suptitle(title)
    _save(fig, path)


def plot_confusion_matrix(table, classes, clusters, path, title: str, class_names=None) -> None:
    """Heatmap of true class x cluster (clusters in Hungarian-matched order), coloured by the
    share of each class's rows, annotated with counts."""
    table = np.asarray(table)
    share = table / np.maximum(table.sum(axis=1, keepdims=True), 1)
    n_rows, n_cols = table.shape
    fig, ax = plt.subplots(figsize=(max(5.0, 0.55 * n_cols + 2.5), max(4.0, 0.45 * n_rows + 1.8)))
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    if n_rows * n_cols <= 900:
        for i in range(n_rows):
            for j in range(n_cols):
                if table[i, j]:
                    ax.text(j, i, str(table[i, j]), ha="center", va="center", fontsize=7,
                            color="white" if share[i, j] > 0.5 else "black")
    names = [str(class_names[c]) if class_names is not None and 0 <= c < len(class_names)
             else str(c) for c in classes]
    ax.set_yticks(range(n_rows), names)
    ax.set_xticks(range(n_cols), ["noise" if c == -1 else str(c) for c in clusters],
                  rotation=90 if n_cols > 20 else 0)
    ax.set_xlabel("cluster (ordered by the class it is matched to)")
    ax.set_ylabel("true class")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="share of the class's rows")
    _save(fig, path)


def plot_dec_progress(history, path, title: str, tol: float | None = None) -> None:
    """DEC/IDEC training: loss, fraction of labels changed (with the stop threshold) and,
    when labels exist, ACC and NMI, at every target update."""
    iterations = [h["iteration"] for h in history]
    has_scores = any(h.get("acc") is not None for h in history)
    fig, axes = plt.subplots(1, 3 if has_scores else 2, figsize=(14 if has_scores else 10, 4))
    trained = [h for h in history if h.get("loss") is not None]
    ax = axes[0]
    ax.plot([h["iteration"] for h in trained], [h["loss"] for h in trained], "o-", ms=3,
            label="total")
    for key, name in (("kl_loss", "KL(p || q)"), ("reconstruction_loss", "reconstruction")):
        if any(key in h for h in trained):
            ax.plot([h["iteration"] for h in trained], [h[key] for h in trained], ".--",
                    label=name)
    ax.set_yscale("log")
    ax.set_xlabel("iteration (batches)")
    ax.set_ylabel("mean loss since the previous update")
    ax.set_title("loss")
    ax.legend()
    ax = axes[1]
    changes = [h["label_change"] for h in history[1:]]
    floor = 1e-5  # a log axis cannot show 0: no change is drawn here, and the legend says so
    ax.plot(iterations[1:], [max(c, floor) for c in changes], "o-", ms=3, color="C2",
            label="labels changed" + (f" (none: drawn at {floor:g})"
                                      if any(c < floor for c in changes) else ""))
    if tol:
        ax.axhline(tol, color="C3", ls=":", label=f"tol = {tol:g}")
    ax.set_yscale("log")
    ax.set_xlabel("iteration (batches)")
    ax.set_ylabel("fraction of rows that changed cluster")
    ax.set_title("label change between target updates")
    ax.legend()
    if has_scores:
        ax = axes[2]
        for key, name in (("acc", "ACC"), ("nmi", "NMI")):
            ax.plot(iterations, [h.get(key) for h in history], "o-", ms=3, label=name)
        ax.set_xlabel("iteration (batches)")
        ax.set_ylabel("score against the true classes")
        ax.set_title("clustering quality")
        ax.legend()
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # iterations are whole batches
    fig.suptitle(title)
    _save(fig, path)
