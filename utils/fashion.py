"""Helpers for notebook 09 (Fashion-MNIST with Keras): a Keras model turned into plain data, the
short training run the checks use, and the notebook's plots (class balance of splits, a confusion
matrix, the most confused pairs with example images).

Nothing here solves an exercise: the splits, the model builder, the training recipe and the
confusion matrix are the student's.
"""
from __future__ import annotations

import math
import warnings
from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .checks.core import CheckFailure, callable_as
from .data import FASHION_MNIST_CLASSES


# ---- a Keras model as plain data ---------------------------------------------------------------

def _initializer_name(init) -> str:
    if init is None:
        return ""
    if isinstance(init, dict):       # a layer config holds {"class_name": ..., "config": ...}
        return str(init.get("class_name", ""))
    return type(init).__name__


def describe_model(model, probe=None) -> dict:
    """Plain data about a Keras model (what a judge can read): its layers (type, units, activation,
    kernel initializer, output shape), input and output shapes, parameter count, weights, and its
    output on `probe` (float64). InputLayer entries are left out."""
    import keras
    if not isinstance(model, keras.Model):
        raise CheckFailure(f"expected a keras.Model, got {type(model).__name__}. Did you forget to return the model?")
    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        cfg = layer.get_config()
        activation = cfg.get("activation", "")
        layers.append({"type": type(layer).__name__,
                       "units": int(cfg.get("units", -1)),
                       "activation": activation if isinstance(activation, str) else str(activation),
                       "kernel_initializer": _initializer_name(cfg.get("kernel_initializer")),
                       "bias_initializer": _initializer_name(cfg.get("bias_initializer")),
                       "output_shape": [(-1 if d is None else int(d)) for d in layer.output.shape]
                       if hasattr(layer, "output") else []})

    def shape(tensors):
        t = tensors[0] if isinstance(tensors, (list, tuple)) else tensors
        return [(-1 if d is None else int(d)) for d in t.shape]

    out = {"class": type(model).__name__, "layers": layers, "params": int(model.count_params()),
           "input_shape": shape(model.inputs), "output_shape": shape(model.outputs),
           "weights": [np.asarray(keras.ops.convert_to_numpy(w), dtype=np.float64) for w in model.weights]}
    if probe is not None and out["input_shape"][1:] == list(np.shape(probe)[1:]):   # else the judge says why
        out["probe_out"] = np.asarray(keras.ops.convert_to_numpy(call_model(model, probe)), dtype=np.float64)
    return out


def call_model(model, x):
    """`model(x)` in inference mode. A functional model built with `inputs=[...]` (as in the notes)
    warns when called on a bare tensor; the result is the same, so the warning is silenced."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The structure of `inputs`")
        out = model(np.asarray(x, dtype="float32"), training=False)
    if isinstance(out, (list, tuple)) and len(out) == 1:   # built with outputs=[...]: a list of one
        out = out[0]
    return out


def build_and_describe(fn, probe=None, seed: int = 0, **kwargs) -> dict:
    """Call a model builder `fn(**kwargs)` with Keras seeded, and describe what it returns."""
    import keras
    keras.utils.set_random_seed(seed)
    return describe_model(fn(**kwargs), probe)


# ---- the data, normalised ------------------------------------------------------------------------

_cache: dict = {}


def fashion_arrays():
    """Fashion-MNIST with uint8 images and int64 labels, loaded once per process:
    (x_train, y_train, x_test, y_test). `normalised` turns the images a caller uses into floats."""
    if "arrays" not in _cache:
        from .data import load_fashion_mnist
        (x, y), (xt, yt) = load_fashion_mnist()
        _cache["arrays"] = (x, y.astype(np.int64), xt, yt.astype(np.int64))
    return _cache["arrays"]


def normalised(images: np.ndarray) -> np.ndarray:
    """uint8 pixels as float32 in [0, 1] (only the images used: all 70,000 as floats take 220 MB)."""
    return images / np.float32(255)


def training_subsets(n_train: int, n_val: int, n_test: int, seed: int):
    """Disjoint random training and validation images (from the 60,000) and the first `n_test` test
    images, normalised: (x_train, y_train, x_val, y_val, x_test, y_test)."""
    x, y, xt, yt = fashion_arrays()
    order = np.random.default_rng(seed).permutation(len(y))
    tr, va = order[:n_train], order[n_train:n_train + n_val]
    return normalised(x[tr]), y[tr], normalised(x[va]), y[va], normalised(xt[:n_test]), yt[:n_test]


# ---- the short training run of the checks ---------------------------------------------------------

def softmax_regression():
    """The model the visible checks train: Input(28, 28) -> Flatten -> Dense(10) logits, no hidden
    layer (multinomial logistic regression): quick to train, and not the notebook's model."""
    import keras
    images = keras.Input((28, 28))
    return keras.Model(images, keras.layers.Dense(10)(keras.layers.Flatten()(images)))


def mlp_48():
    """A different model to train (the hidden checks'): Flatten -> Dense(48, relu, He normal) ->
    Dense(10) logits."""
    import keras
    images = keras.Input((28, 28))
    h = keras.layers.Dense(48, activation="relu", kernel_initializer="he_normal")(keras.layers.Flatten()(images))
    return keras.Model(images, keras.layers.Dense(10)(h))


def _counter():
    import keras

    class BatchCounter(keras.callbacks.Callback):
        """Counts the batches of every epoch: tells whether epochs, batch_size and callbacks reached fit."""

        def __init__(self):
            super().__init__()
            self.batches: list[int] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.batches.append(0)

        def on_train_batch_end(self, batch, logs=None):
            if self.batches:
                self.batches[-1] += 1

    return BatchCounter()


def _loss_description(loss) -> dict:
    if loss is None:
        return {"kind": "none", "name": "", "from_logits": -1}
    if isinstance(loss, str):
        return {"kind": "string", "name": loss, "from_logits": 0}
    config = getattr(loss, "get_config", lambda: {})()
    from_logits = config.get("from_logits")
    return {"kind": "object" if hasattr(loss, "get_config") else "function",
            "name": type(loss).__name__ if hasattr(loss, "get_config") else getattr(loss, "__name__", "?"),
            "from_logits": -1 if from_logits is None else int(bool(from_logits))}


def short_training_run(fn, n_train: int, n_val: int, n_test: int, epochs: int, batch_size: int,
                       learning_rate: float, seed: int = 0, build=softmax_regression) -> dict:
    """The driver of `train_fashion_model`'s checks: build a fresh model (`build()`, seeded), let `fn` compile
    and train it on `n_train` real Fashion-MNIST images (validating on `n_val` others), then predict
    the first `n_test` test images. Returns plain data: what fn returned, its history, the batches
    per epoch, the optimizer, learning rate and loss it compiled with, and the predicted classes."""
    import keras
    callable_as(fn, None, None, None, None, None, epochs=epochs, batch_size=batch_size,   # before any data is read
                learning_rate=learning_rate, callbacks=[])
    x_tr, y_tr, x_va, y_va, x_te, _ = training_subsets(n_train, n_val, n_test, seed)
    keras.utils.set_random_seed(seed)
    model = build()
    counter = _counter()
    result = fn(model, x_tr, y_tr, x_va, y_va, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                callbacks=[counter])
    history = getattr(result, "history", None)
    out = {"returned": type(result).__name__,
           "history": {str(k): [float(v) for v in vals] for k, vals in history.items()} if isinstance(history, dict) else {},
           "batches": list(counter.batches),
           "compiled": bool(getattr(model, "compiled", False) or getattr(model, "optimizer", None) is not None)}
    optimizer = getattr(model, "optimizer", None)
    out["optimizer"] = type(optimizer).__name__ if optimizer is not None else ""
    try:
        out["learning_rate"] = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    except Exception:   # no optimizer, or a schedule
        out["learning_rate"] = float("nan")
    out["loss"] = _loss_description(getattr(model, "loss", None))
    logits = keras.ops.convert_to_numpy(call_model(model, x_te))   # no predict(): no retracing per model
    out["predictions"] = np.asarray(np.argmax(logits, axis=1), dtype=np.int64)
    return out


# ---- plots ----------------------------------------------------------------------------------------

def class_counts(y, num_classes: int = 10) -> np.ndarray:
    return np.bincount(np.asarray(y, dtype=np.int64), minlength=num_classes)


def plot_class_balance(splits: Mapping[str, np.ndarray], *, num_classes: int = 10, names=FASHION_MNIST_CLASSES,
                       ax=None, title: str | None = None):
    """Grouped bars: the share of each class in each labelled set (`splits` maps a name to labels)."""
    ax = ax or plt.gca()
    width = 0.8 / max(1, len(splits))
    x = np.arange(num_classes)
    for i, (name, labels) in enumerate(splits.items()):
        counts = class_counts(labels, num_classes)
        ax.bar(x + (i - (len(splits) - 1) / 2) * width, counts / max(1, counts.sum()), width, label=name)
    ax.axhline(1 / num_classes, color="k", lw=0.8, ls=":")
    ax.set_xticks(x, [n.split("/")[0] for n in names][:num_classes], rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("share of the set")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def plot_confusion_matrix(cm, names=FASHION_MNIST_CLASSES, *, ax=None, title: str | None = None):
    """The confusion matrix as an image: rows are true classes, columns predicted ones; each cell
    shows its count, coloured by the share of its row (so that rare classes are visible too)."""
    cm = np.asarray(cm)
    ax = ax or plt.gca()
    share = cm / np.maximum(1, cm.sum(axis=1, keepdims=True))
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(j, i, str(int(cm[i, j])), ha="center", va="center", fontsize=7,
                    color="white" if share[i, j] > 0.5 else "black")
    ticks = [n.split("/")[0] for n in names][:cm.shape[0]]
    ax.set_xticks(range(cm.shape[1]), ticks, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(cm.shape[0]), ticks, fontsize=8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def most_confused_pairs(cm, k: int = 5) -> list[tuple[int, int, int]]:
    """The `k` largest off-diagonal cells: (true class, predicted class, count), largest first."""
    cm = np.asarray(cm)
    off = [(int(cm[i, j]), i, j) for i in range(cm.shape[0]) for j in range(cm.shape[1]) if i != j]
    off.sort(key=lambda t: (-t[0], t[1], t[2]))
    return [(i, j, c) for c, i, j in off[:k]]


def show_confusions(images, y_true, y_pred, pairs: Sequence[tuple[int, int, int]], *, per_pair: int = 6,
                    names=FASHION_MNIST_CLASSES):
    """One row per (true, predicted, count) pair: test images of class `true` predicted as `predicted`."""
    fig, axes = plt.subplots(len(pairs), per_pair, figsize=(1.5 * per_pair, 1.75 * len(pairs)), squeeze=False)
    for row, (t, p, count) in zip(axes, pairs):
        idx = np.flatnonzero((np.asarray(y_true) == t) & (np.asarray(y_pred) == p))[:per_pair]
        for ax in row:
            ax.axis("off")
        for ax, i in zip(row, idx):
            ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=1)
        row[0].set_title(f"{names[t]} -> {names[p]} ({count}x)", fontsize=8, loc="left")
    fig.tight_layout()
    return fig


def param_count(sizes: Sequence[int]) -> int:
    """Weights and biases of a stack of Dense layers with these sizes (input first): the arithmetic
    behind model.summary()."""
    return int(sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:])))


def accuracy(y_true, y_pred) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(10 ** rng.uniform(math.log10(low), math.log10(high)))
