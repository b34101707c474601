"""Hidden checks for notebook 09: other seeds, label sets and sizes the students never see.

- `stratified_split`: class labels that are not 0..K-1 (and int64), unsorted and sorted labels,
  classes of one example, fractions whose share is not a whole number, two large random problems.
- `fashion_classification_model`: random hidden sizes and other initialisers, probe batches on
  other seeds; the forward pass is compared with TensorFlow from the model's own weights.
- `train_fashion_model`: another model (a hidden layer of 48 He-initialised units), other sizes,
  batch size, learning rate and seed; the threshold is measured below.
- `confusion_matrix`: random sizes up to 30 classes, uint8 labels with 20 classes (where
  `y_true * num_classes + y_pred` overflows uint8), a single class, int32 lists of predictions.
"""
from __future__ import annotations

import numpy as np

from utils.checks.core import Registry
from utils.checks.keras_fashion import KERAS_INITIALIZERS, confusion_case, model_case, split_case, training_case
from utils.fashion import mlp_48

checks = Registry("09_fashion_mnist")
SEED = 90_911


@checks.exercise("stratified_split")
def _stratified_split():
    rng = np.random.default_rng(SEED)
    labels = np.array([3, 7, 11, 250])
    sizes = rng.integers(40, 400, size=len(labels))
    y = rng.permutation(np.repeat(labels, sizes)).astype(np.int64)
    yield split_case(y, 0.137, (5, 6), f"unsorted int64 labels {labels.tolist()} (not 0..K-1) with {sizes.tolist()} "
                     f"examples, val_fraction 0.137")
    y = np.repeat(np.arange(6), [1, 2, 10, 33, 250, 700])
    yield split_case(y, 0.25, (7, 8), "sorted labels, classes of 1, 2, 10, 33, 250 and 700 examples, val_fraction 0.25 "
                     "(shares 0.25, 0.5, 2.5, 8.25, 62.5, 175)")
    for k in range(2):
        n_classes = int(rng.integers(2, 15))
        y = rng.integers(0, n_classes, size=int(rng.integers(3000, 20000)))
        frac = float(rng.uniform(0.05, 0.5))
        yield split_case(y, frac, (int(rng.integers(100)), int(rng.integers(100, 200))),
                         f"{len(y)} random labels of {n_classes} classes, val_fraction {frac:.3f}")


@checks.exercise("fashion_classification_model")
def _fashion_classification_model():
    rng = np.random.default_rng(SEED + 1)
    names = ["lecun_normal", "he_uniform", "glorot_normal"]
    for i, init in enumerate(names):
        units = int(rng.integers(8, 300))
        yield model_case(f"hidden_units={units}, kernel_initializer={init!r} ({KERAS_INITIALIZERS[init]})",
                         seed=SEED + 10 + i, hidden_units=units, initializer=init)


# The reference recipe with these settings (this model, 4000 images, 2 epochs, batch 64, learning
# rate 2e-3) gets min 77.0 %, mean 79.1 %, max 80.4 % of the first 3000 test images right over the
# seeds 0..9 (standard deviation 1.0 point, measured; autograder/bench.py prints it again). 74 % is 3
# points below the worst seed; from_logits=False lands at 15-29 %, SGD at 32-40 %.
HIDDEN_TRAIN = {"n_train": 4000, "n_val": 800, "n_test": 3000, "epochs": 2, "batch_size": 64, "learning_rate": 2e-3}
HIDDEN_MIN_ACCURACY = 0.74


@checks.exercise("train_fashion_model")
def _train_fashion_model():
    yield training_case("a model with a hidden layer of 48 units on 4000 real images, 2 epochs, batch 64, learning "
                        f"rate 2e-3: at least {HIDDEN_MIN_ACCURACY:.0%} of 3000 test images right", seed=SEED % 1000,
                        min_accuracy=HIDDEN_MIN_ACCURACY, build=mlp_48, **HIDDEN_TRAIN)


@checks.exercise("confusion_matrix")
def _confusion_matrix():
    rng = np.random.default_rng(SEED + 2)
    for _ in range(2):
        k, n = int(rng.integers(2, 31)), int(rng.integers(50, 5000))
        y = rng.integers(0, k, n)
        p = np.where(rng.random(n) < rng.uniform(0.2, 0.9), y, rng.integers(0, k, n))
        yield confusion_case(y, p, k, f"{n} random labels of {k} classes")
    y = rng.integers(0, 20, 2000).astype(np.uint8)
    p = np.where(rng.random(2000) < 0.5, y, rng.integers(0, 20, 2000)).astype(np.uint8)
    yield confusion_case(y, p, 20, "uint8 labels of 20 classes",
                         hint=" The labels are uint8 here: arithmetic such as y_true * num_classes + y_pred overflows "
                              "uint8 (255 at most); convert to int64 first.")
    yield confusion_case(np.zeros(7, dtype=np.int64), np.zeros(7, dtype=np.int64), 1, "a single class: [[7]]")
    y = rng.integers(0, 6, 400).astype(np.int32)
    yield confusion_case(y, rng.integers(0, 6, 400).astype(np.int32), 8,
                         "int32 labels, num_classes 8 with classes 6 and 7 never used")
