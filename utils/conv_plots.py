"""Plots for convolutional networks: small arrays with their numbers written in (a convolution done
by hand), a layer's filters, and feature maps. Layout NHWC, as in Keras: a filter bank is
(HH, WW, C, F), a stack of feature maps (H, W, F). For grey-scale images in [0, 1] (augmented
copies, say) use `utils.fit_plots.show_images`."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np


def show_matrix(a, *, ax=None, title: str | None = None, fmt: str = "{:g}", cmap: str = "gray"):
    """A small 2-D array as an image with each entry's value written on it (high values light, as
    in the notes' pictures). Returns the axis."""
    a = np.asarray(a, dtype=np.float64)
    ax = ax or plt.gca()
    lo, hi = float(a.min()), float(a.max())
    ax.imshow(a, cmap=cmap, vmin=lo, vmax=hi if hi > lo else lo + 1)
    mid = (lo + hi) / 2
    for (i, j), v in np.ndenumerate(a):
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=8,
                color="black" if v > mid else "white")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def show_matrices(arrays: Sequence, titles: Sequence[str] | None = None, *, size: float = 2.4, fmt: str = "{:g}"):
    """Several `show_matrix` panels side by side (e.g. image, filter, feature map)."""
    fig, axes = plt.subplots(1, len(arrays), figsize=(size * len(arrays), size + 0.3), squeeze=False)
    for k, (ax, a) in enumerate(zip(axes[0], arrays)):
        show_matrix(a, ax=ax, title=titles[k] if titles else None, fmt=fmt)
    fig.tight_layout()
    return fig


def _grid(count: int, ncols: int | None, size: float, title_space: float = 0.0):
    ncols = min(ncols or count, count)
    nrows = -(-count // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + title_space), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    return fig, axes.ravel()


def show_filters(kernel, *, channel: int | None = 0, ncols: int = 8, size: float = 1.1, title: str | None = None):
    """The filters of a convolution layer, one panel each, for a kernel of shape (HH, WW, C, F).

    With one input channel (or `channel` given) each filter is drawn in a diverging colour map
    (red positive, blue negative, white 0) scaled to its own largest |weight|; with `channel=None`
    and C = 3 the filter is drawn as an RGB image, normalised to [0, 1].
    """
    k = np.asarray(kernel, dtype=np.float64)
    if k.ndim != 4:
        raise ValueError(f"a kernel of shape (HH, WW, C, F) is expected, got shape {k.shape}")
    F = k.shape[3]
    fig, axes = _grid(F, ncols, size, 0.4 * bool(title))
    for f in range(F):
        ax = axes[f]
        if channel is None and k.shape[2] == 3:
            rgb = k[:, :, :, f]
            ax.imshow((rgb - rgb.min()) / max(float(np.ptp(rgb)), 1e-12))
        else:
            w = k[:, :, channel or 0, f]
            limit = max(float(np.abs(w).max()), 1e-12)
            ax.imshow(w, cmap="bwr", vmin=-limit, vmax=limit)
        ax.set_title(str(f), fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_feature_maps(maps, titles: Sequence[str] | None = None, *, ncols: int = 8, size: float = 1.3,
                      cmap: str = "viridis", title: str | None = None):
    """Feature maps of one image, an array (H, W, F): one panel per map, each on its own colour
    scale (bright = strong response)."""
    m = np.asarray(maps, dtype=np.float64)
    if m.ndim == 2:
        m = m[:, :, None]
    F = m.shape[2]
    fig, axes = _grid(F, ncols, size, 0.4 * bool(title))
    for f in range(F):
        axes[f].imshow(m[:, :, f], cmap=cmap)
        axes[f].set_title(titles[f] if titles else str(f), fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
