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


# ---- cats vs dogs: image files, labels from their names, batches (notebook 10) ---------------

CATS_AND_DOGS_URL = "https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip"
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")


def cats_and_dogs_dir() -> Path:
    """The `cats_and_dogs_filtered` folder: `train/` and `validation/`, 3000 JPEGs named
    `cat.N.jpg` and `dog.N.jpg` (the TensorFlow tutorials' subset of Kaggle's Dogs vs. Cats).

    With the course's offline copy (`$COURSE_DATA/images/`) the files are read where they are:
    nothing is written there. Without one (Colab, a laptop) Keras' own loader downloads Google's
    zip once and extracts it into the Keras cache: `keras.utils.get_file(..., extract=True)`.
    """
    data = find_shared_data()
    if data is not None and (data / "images" / "cats_and_dogs_filtered" / "train").is_dir():
        return data / "images" / "cats_and_dogs_filtered"
    import keras
    got = Path(keras.utils.get_file("cats_and_dogs_filtered.zip", CATS_AND_DOGS_URL, extract=True))
    # Keras 3 returns the folder it extracted into; Keras 2 returned the zip, extracted beside it
    for root in (got, got.parent):
        for cand in (root, root / "cats_and_dogs_filtered"):
            if (cand / "train").is_dir():
                return cand
    raise FileNotFoundError(f"no cats_and_dogs_filtered/train folder in or beside {got}")


def get_image_files(folder: str | os.PathLike) -> list[str]:
    """Every image file below `folder` (any depth), as sorted path strings."""
    return sorted(str(p) for p in Path(folder).rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS)


def load_image(path, size: int = 224):
    """One image file as a (size, size, 3) tf.uint8 tensor: decoded, centre-cropped to a square
    (the longer side loses its edges), then resized with bilinear interpolation."""
    import tensorflow as tf
    img = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    h, w = tf.shape(img)[0], tf.shape(img)[1]
    side = tf.minimum(h, w)
    img = tf.image.crop_to_bounding_box(img, (h - side) // 2, (w - side) // 2, side, side)
    img = tf.image.resize(img, (size, size), method="bilinear")
    return tf.cast(tf.clip_by_value(tf.round(img), 0, 255), tf.uint8)


class DataLoaders:
    """A training and a validation `tf.data.Dataset` of (inputs, integer labels) batches: what a
    `utils.learner.Learner` trains on. `classes` names the labels (index = label)."""

    def __init__(self, train, valid, classes=None):
        self.train, self.valid = train, valid
        self.classes = tuple(classes) if classes is not None else None

    @classmethod
    def from_arrays(cls, x_train, y_train, x_valid, y_valid, batch_size: int = 32, seed: int = 0,
                    classes=None):
        """Batches from in-memory arrays; the training set is reshuffled every epoch (seeded)."""
        import tensorflow as tf
        train = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
                 .shuffle(len(y_train), seed=seed, reshuffle_each_iteration=True).batch(batch_size))
        valid = tf.data.Dataset.from_tensor_slices((x_valid, y_valid)).batch(batch_size)
        return cls(train, valid, classes)

    @property
    def steps_per_epoch(self) -> int:
        return int(self.train.cardinality())


class ImageDataLoaders(DataLoaders):
    """Image files and their labels, split at random into training and validation sets, decoded
    and resized once (then kept in memory), batched, and normalised by `preprocess`: fastai's
    `ImageDataLoaders.from_name_func` for Keras.

    `raw_valid_images()` gives the validation images before `preprocess` (uint8), for plots.
    """

    def __init__(self, files, labels, *, valid_pct: float = 0.2, seed: int = 42, size: int = 224,
                 batch_size: int = 32, preprocess=None, classes=None, max_train: int | None = None,
                 max_valid: int | None = None):
        import tensorflow as tf
        files, labels = np.asarray([str(f) for f in files]), np.asarray(labels).astype(np.int64)
        if files.shape != labels.shape:
            raise ValueError(f"{len(files)} files but {len(labels)} labels")
        # the random split of the course's other notebooks: a seeded permutation, valid_pct held out
        tr_f, tr_y, va_f, va_y = train_val_split(files, labels, val_fraction=valid_pct, seed=seed)
        self.train_files, self.train_labels = tr_f[:max_train], tr_y[:max_train]
        self.valid_files, self.valid_labels = va_f[:max_valid], va_y[:max_valid]
        self.size, self.batch_size, self.seed, self.preprocess = size, batch_size, seed, preprocess

        def images(paths, ys):
            ds = tf.data.Dataset.from_tensor_slices((paths, ys))
            return ds.map(lambda p, y: (load_image(p, size), y), num_parallel_calls=tf.data.AUTOTUNE).cache()

        def batches(ds):
            ds = ds.batch(batch_size).map(lambda x, y: (self._prepare(x), y))
            return ds.prefetch(tf.data.AUTOTUNE)

        self._raw_valid = images(self.valid_files, self.valid_labels)
        train = images(self.train_files, self.train_labels).shuffle(
            len(self.train_files), seed=seed, reshuffle_each_iteration=True)
        super().__init__(batches(train), batches(self._raw_valid), classes)

    @classmethod
    def from_name_func(cls, files, label_func, **kwargs):
        """Labels from the file names: `label_func(files)` returns one integer label per file."""
        return cls(files, label_func(files), **kwargs)

    def _prepare(self, x):
        import tensorflow as tf
        x = tf.cast(x, tf.float32)
        return self.preprocess(x) if self.preprocess is not None else x

    def raw_valid_images(self) -> np.ndarray:
        """The validation images in order, before preprocessing: (n, size, size, 3) uint8."""
        return np.stack([x.numpy() for x, _ in self._raw_valid]) if len(self.valid_files) else \
            np.zeros((0, self.size, self.size, 3), np.uint8)

    def show_batch(self, n: int = 8, ncols: int = 4):
        """The first `n` training images with their labels."""
        import matplotlib.pyplot as plt
        n = min(n, len(self.train_files))
        nrows = -(-n // ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(2.6 * ncols, 2.8 * nrows), squeeze=False)
        for ax in axes.ravel():
            ax.axis("off")
        for ax, path, y in zip(axes.ravel(), self.train_files[:n], self.train_labels[:n]):
            ax.imshow(load_image(path, self.size).numpy())
            name = self.classes[y] if self.classes else str(y)
            ax.set_title(f"{name}\n{Path(path).name}", fontsize=9)
        fig.tight_layout()
        return fig

    def __repr__(self) -> str:
        return (f"ImageDataLoaders({len(self.train_files)} training / {len(self.valid_files)} validation "
                f"images at {self.size}x{self.size}, batches of {self.batch_size}, classes {self.classes})")
