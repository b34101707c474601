"""Plots of what happens inside a deep network, layer by layer: activation histograms, and per-layer
curves (activation std, gradient norms) to compare experiments."""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def plot_layer_histograms(activations: Sequence[np.ndarray], *, grads: Mapping[str, Sequence[float]] | None = None,
                          value_range: tuple[float, float] | None = None, title: str | None = None,
                          bins: int = 60, rows: int = 2):
    """One histogram per layer, mean and std printed on each, in a grid of `rows` rows; with `grads`
    (name -> one value per layer, e.g. gradient norms) a log-scale panel of them on the right.

    `value_range` fixes the x-range of every histogram (e.g. (-1, 1) for tanh) so that a
    distribution collapsing to a spike or spreading out is visible from panel to panel.
    """
    L = len(activations)
    cols = -(-L // rows)
    fig = plt.figure(figsize=(2.1 * cols + (4.4 if grads else 0), 1.9 * rows + 0.6))
    grid = fig.add_gridspec(rows, cols + (2 if grads else 0))
    for l, h in enumerate(activations):
        ax = fig.add_subplot(grid[l // cols, l % cols])
        h = np.asarray(h).ravel()
        # one filled outline per histogram, not a patch per bar: the same picture, drawn 10x faster
        counts, edges = np.histogram(h, bins=bins, range=value_range)
        ax.stairs(counts, edges, fill=True, color="tab:blue")
        ax.set_title(f"layer {l + 1}", fontsize=9)
        ax.text(0.03, 0.97, f"mean {h.mean():+.2g}\nstd {h.std():.2g}", transform=ax.transAxes,
                va="top", fontsize=7, bbox={"facecolor": "white", "alpha": 0.7, "lw": 0})
        ax.set_yticks([])
        ax.tick_params(labelsize=7)
    if grads:
        ax = fig.add_subplot(grid[:, cols:])
        plot_layer_curves(grads, ylabel="norm", ax=ax, title="gradients per layer")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_layer_curves(curves: Mapping[str, Sequence[float]], *, ylabel: str, title: str | None = None,
                      log: bool = True, ax=None):
    """Per-layer values of several experiments on one axis: `curves` maps a label to one value per
    layer (layer 1 first)."""
    ax = ax or plt.gca()
    for name, values in curves.items():
        values = np.asarray(values, dtype=np.float64)
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", ms=3, label=name)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("layer")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, which="both" if log else "major")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax
