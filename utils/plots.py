"""Plots the notebooks share: decision boundaries, training curves, truth tables."""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def plot_decision_boundary(predict: Callable[[np.ndarray], np.ndarray], X, y, *, ax=None,
                           title: str | None = None, resolution: int = 200, margin: float = 0.5):
    """Colour the plane by `predict` (class index per row of an (M, 2) array) and scatter (X, y)."""
    ax = ax or plt.gca()
    X = np.asarray(X, dtype=np.float64)
    x0 = np.linspace(X[:, 0].min() - margin, X[:, 0].max() + margin, resolution)
    x1 = np.linspace(X[:, 1].min() - margin, X[:, 1].max() + margin, resolution)
    g0, g1 = np.meshgrid(x0, x1)
    z = np.asarray(predict(np.c_[g0.ravel(), g1.ravel()])).reshape(g0.shape)
    ax.contourf(g0, g1, z, alpha=0.3, cmap="coolwarm", levels=np.arange(z.max() + 2) - 0.5)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolors="k", s=40)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return ax


def plot_gate_results(results: Mapping[str, Callable[[np.ndarray], np.ndarray]], X, ys: Mapping[str, np.ndarray]):
    """One decision-boundary panel per logic gate: `results[gate]` predicts, `ys[gate]` are targets."""
    fig, axes = plt.subplots(1, len(results), figsize=(3.2 * len(results), 3.2), squeeze=False)
    for ax, (gate, predict) in zip(axes[0], results.items()):
        plot_decision_boundary(predict, X, ys[gate], ax=ax, title=gate, margin=0.6)
    fig.tight_layout()
    return fig


def plot_history(history: Mapping[str, Sequence[float]], *, xlabel: str = "epoch", title: str | None = None):
    """Training curves: one panel for losses, one for everything else (accuracy, error rate).

    `history` maps a name ("loss", "val_loss", "accuracy", ...) to its values; a Keras
    `History` works too (pass `history.history`).
    """
    losses = {k: v for k, v in history.items() if "loss" in k}
    others = {k: v for k, v in history.items() if "loss" not in k}
    panels = [p for p in (losses, others) if p]
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 3.6), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        for name, values in panel.items():
            ax.plot(np.arange(1, len(values) + 1), values, label=name)
        ax.set_xlabel(xlabel)
        ax.legend()
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
