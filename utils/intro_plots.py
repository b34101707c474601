"""The two overview figures of notebook 00: the AI > ML > NN > DL map and the course's pipeline."""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch

#: the nested fields, outermost first: (name, Korean name, an example); the figure shows the English
#: names only (Colab's default fonts have no Hangul), the notebook's text gives the Korean ones
FIELDS = (("Artificial intelligence", "인공지능", "search, planning, rule-based expert systems"),
          ("Machine learning", "머신러닝", "decision trees, SVMs, linear models"),
          ("Neural networks", "신경망", "perceptron, shallow MLPs (01-06)"),
          ("Deep learning", "딥러닝", "CNNs, RNNs, transfer learning (07-10)"))

#: the pipeline's stages, each with the notebooks of this course that practise it
PIPELINE = (("problem", "define the task\nand the metric", "00, 09"),
            ("data", "collect, inspect,\nsplit", "09, 10"),
            ("features", "encode, normalise\n(one-hot, /255)", "01, 09"),
            ("model", "choose and train\n(layers, loss, optimizer)", "01-10"),
            ("evaluation", "validation, test,\nconfusion matrix", "05, 09, 10"),
            ("deployment", "save, serve,\nmonitor", "09, 10"))


def plot_ai_map(ax=None):
    """Nested ellipses: deep learning inside neural networks inside machine learning inside AI."""
    ax = ax or plt.gca()
    colours = ("#dbe9f6", "#b7d3ee", "#7fb0dc", "#3d7fbf")
    for k, ((name, _, example), colour) in enumerate(zip(FIELDS, colours)):
        width, height = 10 - 2.0 * k, 6.4 - 1.45 * k
        cx, cy = 5 + 0.95 * k, 3.2 - 0.1 * k
        ax.add_patch(Ellipse((cx, cy), width, height, facecolor=colour, edgecolor="k", lw=0.8))
        y = cy if k == len(FIELDS) - 1 else cy + height / 2 - 0.42
        colour_text = "white" if k == len(FIELDS) - 1 else "black"
        ax.text(cx, y + 0.12, name, ha="center", fontsize=10, weight="bold", color=colour_text)
        ax.text(cx, y - 0.22, example, ha="center", fontsize=7.5, color=colour_text)
    ax.set(xlim=(-0.2, 10.3), ylim=(-0.2, 6.6), aspect="equal")
    ax.axis("off")
    return ax


def plot_pipeline(ax=None):
    """The machine-learning pipeline as a row of boxes, with the notebooks that practise each stage."""
    ax = ax or plt.gca()
    n = len(PIPELINE)
    for i, (stage, what, notebooks) in enumerate(PIPELINE):
        x = i * 2.2
        ax.add_patch(FancyBboxPatch((x, 0), 1.8, 1.5, boxstyle="round,pad=0.05", facecolor="#dbe9f6", edgecolor="k"))
        ax.text(x + 0.9, 1.18, stage, ha="center", fontsize=10, weight="bold")
        ax.text(x + 0.9, 0.62, what, ha="center", va="center", fontsize=7.5)
        ax.text(x + 0.9, -0.35, f"notebooks {notebooks}", ha="center", fontsize=7, color="0.35")
        if i < n - 1:
            ax.add_patch(FancyArrowPatch((x + 1.85, 0.75), (x + 2.15, 0.75), arrowstyle="-|>", mutation_scale=12))
    ax.add_patch(FancyArrowPatch((n * 2.2 - 1.3, 1.6), (0.9, 1.6), connectionstyle="arc3,rad=0.12",
                                 arrowstyle="-|>", mutation_scale=12, color="0.45", ls="--"))
    ax.text(n * 1.1 - 0.2, 2.55, "results send you back: more data, other features, another model", ha="center",
            fontsize=8, color="0.35", bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.set(xlim=(-0.2, n * 2.2), ylim=(-0.6, 2.9))
    ax.axis("off")
    return ax
