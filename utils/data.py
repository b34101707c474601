"""Data for the notebooks: truth tables, 2-D toy sets, and the real Keras loaders.

The real data sets load through Keras (`keras.datasets...load_data()`), which downloads on first
use. Offline (tests, CI, a classroom without internet) `use_offline_cache` points Keras at a
local copy instead; nothing is faked.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

# ---- truth tables -------------------------------------------------------------------------

#: the four inputs of a 2-input logic gate, one row each
GATE_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)

_GATE_OUTPUTS = {
    "AND": [0, 0, 0, 1],
    "OR": [0, 1, 1, 1],
    "NAND": [1, 1, 1, 0],
    "XOR": [0, 1, 1, 0],
}


def truth_table(gate: str) -> tuple[np.ndarray, np.ndarray]:
    """`(X, y)` for a 2-input gate: X is (4, 2) float, y is (4,) int in {0, 1}."""
    try:
        y = _GATE_OUTPUTS[gate.upper()]
    except KeyError:
        raise ValueError(f"unknown gate {gate!r}; choose from {sorted(_GATE_OUTPUTS)}") from None
    return GATE_INPUTS.copy(), np.array(y, dtype=np.int64)


# ---- 2-D toy data sets ------------------------------------------------------------------------

def spirals(n_per_class: int = 100, n_classes: int = 3, noise: float = 0.2, seed: int = 0):
    """Interleaved spiral arms: `(X, y)`, X (N, 2) float64, y (N,) int. Not linearly separable."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for k in range(n_classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(k * 4.0, (k + 1) * 4.0, n_per_class) + rng.standard_normal(n_per_class) * noise
        xs.append(np.c_[r * np.sin(t), r * np.cos(t)])
        ys.append(np.full(n_per_class, k))
    X, y = np.concatenate(xs), np.concatenate(ys)
    order = rng.permutation(len(y))
    return X[order], y[order]


def blobs(n_per_class: int = 100, centers=((-1.5, -1.0), (1.5, 1.0)), std: float = 0.6, seed: int = 0):
    """Gaussian clusters around `centers`: `(X, y)`. Linearly separable when well apart."""
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(c, std, size=(n_per_class, 2)) for c in centers])
    y = np.repeat(np.arange(len(centers)), n_per_class)
    order = rng.permutation(len(y))
    return X[order], y[order]


def train_val_split(X, y, val_fraction: float = 0.2, seed: int = 0):
    """A random split: `(X_train, y_train, X_val, y_val)`."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    n_val = int(round(len(y) * val_fraction))
    val, train = order[:n_val], order[n_val:]
    return X[train], y[train], X[val], y[val]


# ---- the real data, through Keras -------------------------------------------------------------

def find_shared_data() -> Path | None:
    """The course's offline data folder: $COURSE_DATA, else a `shared/data` beside the repo."""
    env = os.environ.get("COURSE_DATA")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent.parent
    for cand in (here.parent / "shared" / "data", here / "shared" / "data"):
        if (cand / "keras").is_dir():
            return cand
    return None


def use_offline_cache(shared_data: str | os.PathLike | None = None) -> Path | None:
    """Point Keras at the offline copy of the course data, if there is one.

    Keras looks for `$KERAS_HOME/<subdir>/<file>` before downloading, and silently falls back to
    /tmp/.keras when KERAS_HOME is not writable, so this makes a fresh writable folder whose
    `datasets/` and `models/` link to the shared files. Call it before importing keras.
    Returns the KERAS_HOME used, or None when there is no offline copy (Keras then downloads).
    """
    data = Path(shared_data) if shared_data else find_shared_data()
    if data is None or not (data / "keras").is_dir():
        return None
    home = Path(tempfile.mkdtemp(prefix="keras_home_"))
    for sub in ("datasets", "models"):
        if (data / "keras" / sub).exists():
            (home / sub).symlink_to((data / "keras" / sub).resolve(), target_is_directory=True)
    os.environ["KERAS_HOME"] = str(home)
    return home


def load_fashion_mnist():
    """Fashion-MNIST through Keras' own loader: ((x_train, y_train), (x_test, y_test)), uint8."""
    import keras
    return keras.datasets.fashion_mnist.load_data()


FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
