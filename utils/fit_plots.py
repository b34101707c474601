"""Plots for comparing training runs and for showing images: train vs validation curves of several
models in one figure, and a grid of grey-scale images (masks, augmented copies)."""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def plot_train_val(histories: Mapping[str, Mapping[str, Sequence[float]]], metrics=("loss", "accuracy"), *,
                   markers: Mapping[str, float] | None = None, title: str | None = None):
    """One panel per metric; each run in its own colour, training solid and validation dashed.

    `histories` maps a run's name to its history (`model.fit(...).history`, or a Keras `History`),
    which holds `metric` and `val_metric` for each metric. `markers` draws labelled vertical lines
    at the given epochs (e.g. where early stopping stopped).
    """
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.6 * len(metrics), 3.8), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for i, (name, hist) in enumerate(histories.items()):
            hist = getattr(hist, "history", hist)
            epochs = np.arange(1, len(hist[metric]) + 1)
            ax.plot(epochs, hist[metric], color=f"C{i}", label=f"{name}, training")
            if f"val_{metric}" in hist:
                ax.plot(epochs, hist[f"val_{metric}"], color=f"C{i}", ls="--", label=f"{name}, validation")
        for j, (label, epoch) in enumerate((markers or {}).items()):
            ax.axvline(epoch, color="0.4", ls=":", lw=1)
            ax.annotate(label, (epoch, 1 - 0.08 * (j + 1)), xycoords=("data", "axes fraction"),
                        fontsize=8, ha="left", xytext=(3, 0), textcoords="offset points")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_images(images: Sequence[np.ndarray], titles: Sequence[str] | None = None, *, ncols: int | None = None,
                size: float = 1.8, cmap: str = "gray"):
    """A grid of grey-scale images (each 2-D, or 3-D with one channel), titles optional."""
    images = [np.squeeze(np.asarray(im)) for im in images]
    ncols = ncols or len(images)
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3 * bool(titles)),
                             squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if k < len(images):
            ax.imshow(images[k], cmap=cmap, vmin=0.0, vmax=max(1.0, float(images[k].max())))
            if titles:
                ax.set_title(titles[k], fontsize=9)
    fig.tight_layout()
    return fig
