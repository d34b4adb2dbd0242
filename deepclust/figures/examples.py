"""What is in each cluster of images: a grid of example images per cluster.

Rows are clusters (noise, cluster -1, last when present); the first columns are the images
nearest the cluster centre in the representation the clusterer saw (centre = mean of the
cluster's rows there), then, after a gap, random members (seeded). :func:`nearest_to_centre`
is shared with :mod:`deepclust.explain.terms` (nearest documents).
"""

from __future__ import annotations

import logging

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from deepclust.errors import DatasetError  # noqa: E402
from deepclust.evaluate.matching import cluster_order, majority_class  # noqa: E402
from deepclust.figures.plots import save_figure  # noqa: E402

log = logging.getLogger(__name__)


def _squared_distances(features, rows, centre) -> np.ndarray:
    """Squared Euclidean distance of ``features[rows]`` (dense or scipy sparse) to ``centre``."""
    block = features[rows]
    if hasattr(block, "toarray"):  # sparse: ||x||^2 - 2 x.c + ||c||^2 without densifying
        norms = np.asarray(block.multiply(block).sum(axis=1)).ravel()
        return norms - 2 * np.asarray(block @ centre).ravel() + centre @ centre
    block = np.asarray(block, dtype=np.float64)
    return ((block - centre) ** 2).sum(axis=1)


def nearest_to_centre(features, clusters, n: int) -> dict[int, np.ndarray]:
    """Per cluster, the row indices of its ``n`` members nearest its centre (nearest first).

    ``features`` is the representation the clusterer saw (dense array or scipy sparse, one
    row per clustered row); the centre is the mean of the cluster's rows. Noise (-1) gets
    the rows nearest the mean of the noise points.
    """
    clusters = np.asarray(clusters)
    if features.shape[0] != len(clusters):
        raise DatasetError(f"{features.shape[0]} feature rows for {len(clusters)} cluster "
                           "assignments: the features are not those of this clustering")
    nearest = {}
    for c in cluster_order(clusters):
        rows = np.flatnonzero(clusters == c)
        centre = np.asarray(features[rows].mean(axis=0), dtype=np.float64).ravel()
        order = np.argsort(_squared_distances(features, rows, centre), kind="stable")
        nearest[c] = rows[order[:n]]
    return nearest


def cluster_name(c: int) -> str:
    return "noise" if c == -1 else f"cluster {c}"


def choose_examples(features, clusters, n_nearest: int = 6, n_random: int = 6,
                    seed: int = 0) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per cluster: (indices of the ``n_nearest`` members nearest the centre, indices of up
    to ``n_random`` other members drawn at random with ``seed``)."""
    rng = np.random.default_rng(seed)
    clusters = np.asarray(clusters)
    chosen = {}
    for c, near in nearest_to_centre(features, clusters, n_nearest).items():
        others = np.setdiff1d(np.flatnonzero(clusters == c), near)
        picked = rng.choice(others, size=min(n_random, len(others)), replace=False)
        chosen[c] = (near, np.sort(picked))
    return chosen


def _as_images(pixels, image_shape) -> np.ndarray:
    pixels = np.asarray(pixels, dtype=np.float32)
    if not image_shape:
        raise DatasetError("the dataset has no image_shape in its dataset.json: example grids "
                           "are for image datasets (modality: image)")
    shape = [int(s) for s in image_shape]
    if int(np.prod(shape)) != pixels.shape[1]:
        raise DatasetError(f"image_shape {shape} ({int(np.prod(shape))} pixels) does not fit "
                           f"rows of {pixels.shape[1]} values")
    images = pixels.reshape(len(pixels), *shape)
    if images.ndim == 3:
        return images
    if images.shape[-1] == 1:
        return images[..., 0]
    return images


def _pad(width: int) -> int:
    """Blank pixels between two tiles (a quarter tile: images that fill their frame, such as
    USPS digits, stay apart)."""
    return max(2, width // 4)


def _mosaic(images, near, rand, n_nearest, n_random, lo, hi) -> np.ndarray:
    """One row of tiles: nearest tiles, a gap, random tiles; empty tiles and gap are NaN."""
    h, w = images.shape[1:3]
    extra = images.shape[3:]
    pad = _pad(w)
    gap = w  # one tile wide: separates the nearest from the random members
    width = (n_nearest + n_random) * (w + pad) + gap
    row = np.full((h, width, *extra), np.nan, dtype=np.float32)
    for j, i in enumerate(near):
        x = j * (w + pad)
        row[:, x:x + w] = (images[i] - lo) / (hi - lo or 1)
    for j, i in enumerate(rand):
        x = n_nearest * (w + pad) + gap + j * (w + pad)
        row[:, x:x + w] = (images[i] - lo) / (hi - lo or 1)
    return row


def plot_examples(pixels, image_shape, features, clusters, path, title: str, seed: int = 0,
                  n_nearest: int = 6, n_random: int = 6, labels=None,
                  class_names=None) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Save the example grid of an image clustering to ``path`` (PNG) and return the chosen
    indices per cluster (see :func:`choose_examples`).

    ``pixels`` are the images as rows (prepared or vectorized), ``image_shape`` their
    (height, width[, channels]), ``features`` the representation the clusterer saw.
    """
    clusters = np.asarray(clusters)
    if len(pixels) != len(clusters):
        raise DatasetError(f"{len(pixels)} images for {len(clusters)} cluster assignments")
    images = _as_images(pixels, image_shape)
    chosen = choose_examples(features, clusters, n_nearest, n_random, seed)
    lo, hi = float(np.nanmin(images)), float(np.nanmax(images))
    rows = list(chosen)
    h, w = images.shape[1:3]
    tiles = n_nearest + n_random + 1
    fig_w = min(16.0, 2.2 + 0.62 * tiles)
    fig_h = 0.9 + (fig_w - 2.2) / tiles * h / w * len(rows) * 1.08
    fig, axes = plt.subplots(len(rows), 1, figsize=(fig_w, fig_h), squeeze=False)
    cmap = plt.get_cmap("gray_r" if images.ndim == 3 else None).with_extremes(bad="white")
    for ax, c in zip(axes[:, 0], rows):
        near, rand = chosen[c]
        mosaic = _mosaic(images, near, rand, n_nearest, n_random, lo, hi)
        ax.imshow(mosaic if images.ndim == 3 else np.nan_to_num(mosaic, nan=1.0),
                  cmap=cmap if images.ndim == 3 else None, vmin=0, vmax=1,
                  interpolation="nearest")
        size = int((clusters == c).sum())
        label = f"{cluster_name(c)}\n{size} images"
        majority = majority_class(labels, np.flatnonzero(clusters == c), class_names)
        if majority is not None:
            label += f"\nmostly {majority[0]} ({majority[1]:.0%})"
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
    top = axes[0, 0]
    pad = _pad(w)
    split = ((n_nearest * (w + pad) - pad) / 2,
             n_nearest * (w + pad) + w + (n_random * (w + pad) - pad) / 2)
    top.text(split[0], -0.15 * h, f"{n_nearest} nearest the cluster centre", ha="center",
             va="bottom", fontsize=9)
    top.text(split[1], -0.15 * h, f"{n_random} random members", ha="center", va="bottom",
             fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path)
    log.info("example grid of %d clusters (%d nearest + %d random) -> %s", len(rows),
             n_nearest, n_random, path)
    return chosen
