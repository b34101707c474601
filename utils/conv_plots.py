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


def _mosaic(tiles, ncols: int, gap: int = 1):
    """Tiles (k, h, w) of equal shape side by side in one array, NaN (drawn blank) between them."""
    k, h, w = tiles.shape
    nrows = -(-k // ncols)
    mosaic = np.full((nrows * (h + gap) - gap, ncols * (w + gap) - gap), np.nan)
    for i in range(k):
        r, c = divmod(i, ncols)
        mosaic[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = tiles[i]
    return mosaic, nrows


def _show_tiles(tiles, *, ncols, size, cmap, vmin, vmax, labels, title):
    """One image for all tiles (one axis: fast to draw even for 64 maps), each tile numbered."""
    ncols = min(ncols, len(tiles))
    mosaic, nrows = _mosaic(tiles, ncols)
    fig, ax = plt.subplots(figsize=(size * ncols, size * nrows + 0.4 * bool(title)))
    cm = plt.get_cmap(cmap).with_extremes(bad="white")      # the gaps between tiles
    ax.imshow(mosaic, cmap=cm, vmin=vmin, vmax=vmax, interpolation="nearest")
    h, w = tiles.shape[1:]
    for i, label in enumerate(labels):
        r, c = divmod(i, ncols)
        ax.text(c * (w + 1), r * (h + 1), label, fontsize=6, va="top", ha="left", color="black",
                bbox={"facecolor": "white", "alpha": 0.7, "lw": 0, "pad": 0.5})
    ax.axis("off")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def show_filters(kernel, *, channel: int = 0, ncols: int = 8, size: float = 1.1, title: str | None = None):
    """The filters of a convolution layer, for a kernel of shape (HH, WW, C, F): input channel
    `channel` of each filter, numbered, in a diverging colour map (red positive, blue negative,
    white 0), each filter scaled to its own largest |weight|."""
    k = np.asarray(kernel, dtype=np.float64)
    if k.ndim != 4:
        raise ValueError(f"a kernel of shape (HH, WW, C, F) is expected, got shape {k.shape}")
    tiles = np.moveaxis(k[:, :, channel, :], -1, 0)                                  # (F, HH, WW)
    tiles = tiles / np.maximum(np.abs(tiles).max(axis=(1, 2), keepdims=True), 1e-12)
    return _show_tiles(tiles, ncols=ncols, size=size, cmap="bwr", vmin=-1, vmax=1,
                       labels=[str(f) for f in range(len(tiles))], title=title)


def show_feature_maps(maps, titles: Sequence[str] | None = None, *, ncols: int = 8, size: float = 1.3,
                      cmap: str = "viridis", title: str | None = None):
    """Feature maps of one image, an array (H, W, F): one tile per map, numbered (or labelled with
    `titles`), each on its own colour scale from its minimum to its maximum (bright = strong)."""
    m = np.asarray(maps, dtype=np.float64)
    if m.ndim == 2:
        m = m[:, :, None]
    tiles = np.moveaxis(m, -1, 0)                                                      # (F, H, W)
    lo = tiles.min(axis=(1, 2), keepdims=True)
    spread = np.maximum(tiles.max(axis=(1, 2), keepdims=True) - lo, 1e-12)
    labels = list(titles) if titles else [str(f) for f in range(len(tiles))]
    return _show_tiles((tiles - lo) / spread, ncols=ncols, size=size, cmap=cmap, vmin=0, vmax=1,
                       labels=labels, title=title)
