"""Visible checks for notebook 09 (Fashion-MNIST with Keras).

- `stratified_split`: judged by its properties on hand-made and real labels: the two index sets
  are disjoint and together hold every index once; each class sends its share of examples to
  validation (within one example of `val_fraction * n_class`); which ones is random (the mean
  position of the chosen examples within their class is where a random subset puts it, to Z_RANK
  standard errors); the same seed gives the same split and another seed another one; `y` is left
  alone.
- `fashion_classification_model`: the model is turned into plain data by a driver
  (`utils.fashion.build_and_describe`): layer types, units, activations, initialisers, shapes and the
  parameter count; its output on a probe batch must equal the notes' forward pass computed with
  TensorFlow from the model's own weights (so the output is logits).
- `train_fashion_model`: a driver (`utils.fashion.short_training_run`) hands it a fresh model and
  real Fashion-MNIST images, and returns what came back, the compiled optimizer and loss, the
  batches per epoch and the predicted classes of test images; the judge computes the test accuracy
  and compares it with a threshold measured below.
- `confusion_matrix`: compared with `tf.math.confusion_matrix` and a worked example.

TensorFlow and Keras are imported only when a check runs.
"""
from __future__ import annotations

import math

import numpy as np

from ..fashion import build_and_describe, fashion_arrays, param_count, short_training_run
from .core import Case, Registry, expect, expect_array, expect_close, expect_equal, expect_tuple
from .references import reference

checks = Registry("09_fashion_mnist")


# ==== stratified_split =============================================================================
#
# For a uniformly random subset of m of a class's n examples, the mean position (0..n-1, in the
# order they appear in y) of the chosen ones has expectation (n - 1) / 2 and variance
# (n^2 - 1) / 12 / m * (n - m) / (n - 1) (sampling without replacement). A correct split is
# accepted when every tested class is within Z_RANK standard errors: a normal variable is beyond 5
# with probability 5.7e-7, so over the ~40 classes the visible and hidden checks test, a correct
# split fails with probability < 3e-5, while taking the first (or last) m of a class is ~sqrt(3 m)
# standard errors off: 24 for m = 200, far outside. Only classes with m >= 20 and n - m >= 20 are
# tested (the mean of fewer positions is too coarse for a normal approximation).

Z_RANK = 5.0
MIN_RANK_TEST = 20


def call_split(fn, y, val_fraction, *, seeds):
    """Call stratified_split once per seed, the first seed twice, each time on a fresh copy of y.
    Returns the outputs and, per call, whether y came back changed."""
    outputs, changed = [], []
    for seed in (seeds[0], *seeds):
        labels = np.array(y, copy=True)
        outputs.append(fn(labels, val_fraction, seed=seed))
        changed.append(bool(not np.array_equal(labels, y)))
    return {"outputs": outputs, "y_changed": changed}


def _as_indices(what, got, n):
    got = expect_array(what, got, dtype_kind=None)
    expect(got.ndim == 1, f"{what} should be a 1-D array of indices, got shape {got.shape}")
    expect(got.dtype.kind in "iu" or got.size == 0,
           f"{what} should hold integer indices, got dtype {got.dtype}. (Indices, not a boolean mask or the "
           f"labels themselves: x[train_idx] must select the images.)")
    expect(got.size == 0 or (got.min() >= 0 and got.max() < n),
           f"{what} holds indices outside 0..{n - 1}: min {got.min() if got.size else '-'}, "
           f"max {got.max() if got.size else '-'}")
    return got.astype(np.int64)


def judge_one_split(out, y, val_fraction, *, rank_test: bool = True) -> np.ndarray:
    """Judge one (train_idx, val_idx); returns val_idx sorted."""
    y = np.asarray(y)
    n = len(y)
    train, val = expect_tuple("stratified_split", out, 2)
    train, val = _as_indices("train_idx", train, n), _as_indices("val_idx", val, n)
    seen = np.bincount(train, minlength=n) + np.bincount(val, minlength=n)
    overlap = np.intersect1d(train, val)
    expect(overlap.size == 0, f"{overlap.size} indices are in both train_idx and val_idx "
                              f"(e.g. {overlap[:5].tolist()}): the two sets must be disjoint")
    expect(np.all(seen == 1), f"train_idx and val_idx together should hold every index 0..{n - 1} exactly once: "
                              f"{int(np.sum(seen == 0))} missing, {int(np.sum(seen > 1))} repeated")
    classes = np.unique(y)
    in_val = np.zeros(n, dtype=bool)
    in_val[val] = True
    members_of = {c: np.flatnonzero(y == c) for c in classes}
    for c in classes:
        members = members_of[c]
        m, target = int(in_val[members].sum()), val_fraction * len(members)
        if not abs(m - target) < 1:
            message = (f"class {c!r}: {m} of its {len(members)} examples are in val_idx, expected "
                       f"val_fraction * {len(members)} = {target:g} (rounded: {math.floor(target)} or "
                       f"{math.ceil(target)}). A stratified split sends the same fraction of *each* class to "
                       f"validation.")
            if abs(len(val) - val_fraction * n) < 1:
                message += (" The total size is right, so this looks like a random split of all indices: "
                            "choose the validation examples class by class.")
            raise_failure(message)
    if rank_test:
        for c in classes:
            members = members_of[c]
            chosen = np.flatnonzero(in_val[members])             # positions within the class, 0..n_c-1
            nc, m = len(members), len(chosen)
            if m < MIN_RANK_TEST or nc - m < MIN_RANK_TEST:
                continue
            mean, expected = float(chosen.mean()), (nc - 1) / 2
            se = math.sqrt((nc * nc - 1) / 12 / m * (nc - m) / (nc - 1))
            z = (mean - expected) / se
            if abs(z) > Z_RANK:
                if np.array_equal(chosen, np.arange(m)):
                    how = (f"they are exactly its first {m} examples: shuffle each class's indices (with the "
                           f"seeded generator) before taking its share")
                elif np.array_equal(chosen, np.arange(nc - m, nc)):
                    how = f"they are exactly its last {m} examples: shuffle each class's indices before taking its share"
                else:
                    how = "the choice within a class should be uniformly random (rng.permutation of the class's indices)"
                raise_failure(f"class {c!r}: the validation examples sit at mean position {mean:.1f} of the class's "
                              f"{nc} examples (in the order of y), where a random choice of {m} lands at "
                              f"{expected:.1f} +- {se:.1f} ({z:+.1f} standard errors): {how}.")
    return np.sort(val)


def raise_failure(message):
    expect(False, message)


def split_case(y, val_fraction, seeds, label, *, rank_test=True, distinct=True) -> Case:
    """Calls with seeds[0] twice (same split) and each seed; with `distinct`, different seeds must give
    different splits (only for problems with so many possible splits that a repeat is impossible)."""
    y = np.asarray(y)

    def judge(out):
        expect(isinstance(out, dict) and len(out.get("outputs", ())) == len(seeds) + 1, "internal: one output per call")
        expect(not any(out["y_changed"]), "stratified_split changed y (its argument) in place: shuffle a copy "
                                          "of the indices, never the labels (x and y would no longer match)")
        vals = [judge_one_split(o, y, val_fraction, rank_test=rank_test) for o in out["outputs"]]
        expect(np.array_equal(vals[0], vals[1]), f"two calls with seed={seeds[0]} gave different splits: draw only "
                                                 f"from np.random.default_rng(seed)")
        for other, s in zip(vals[2:], seeds[1:] if distinct else ()):
            expect(not np.array_equal(other, vals[1]), f"seed={s} gave the same split as seed={seeds[0]}: use the seed")
    return Case((y, val_fraction), judge, label=label, kwargs={"seeds": tuple(seeds)}, call=call_split)


@checks.exercise("stratified_split")
def _stratified_split():
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1])
    yield split_case(y, 0.25, (0, 1), "4 examples of class 0, 8 of class 1, val_fraction 0.25: 1 and 2 of them "
                     "in validation", rank_test=False, distinct=False)   # only 112 possible splits
    _, y_train, _, _ = fashion_arrays()
    yield split_case(y_train, 0.1, (0, 1), "the 60,000 Fashion-MNIST training labels, val_fraction 0.1: "
                     "exactly 600 of each class")
    y_sorted = np.repeat(np.arange(5), [30, 70, 150, 400, 1000]).astype(np.uint8)
    yield split_case(y_sorted, 0.2, (3, 4), "labels sorted by class with classes of 30, 70, 150, 400 and 1000 "
                     "examples, val_fraction 0.2: 6, 14, 30, 80 and 200 of them, chosen at random")


# ==== fashion_classification_model ===================================================================

KERAS_INITIALIZERS = {"glorot_uniform": "GlorotUniform", "glorot_normal": "GlorotNormal", "he_normal": "HeNormal",
                      "he_uniform": "HeUniform", "lecun_normal": "LecunNormal", "lecun_uniform": "LecunUniform"}
#: float32 forward pass vs the same computation in float64: round-off of ~1e-7 per operation, summed
#: over 784 products; measured below 3e-7 relative, so 1e-5 leaves a wide margin and still catches
#: any wrong operation (a missing ReLU or bias changes the output by O(1))
FORWARD_TOL = 1e-5


def probe_images(seed: int, n: int = 8) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 28, 28)).astype(np.float32)


def reference_logits(probe, weights) -> np.ndarray:
    """The notes' forward pass in TensorFlow (float64) from the model's weights [W1, b1, W2, b2].

    Computed live, also in a student's kernel: its weights are the student's model's own (no value
    could be stored for them), and a forward pass is no answer to `fashion_classification_model`,
    which asks for a model."""
    import tensorflow as tf
    W1, b1, W2, b2 = (tf.constant(np.asarray(w, dtype=np.float64)) for w in weights)
    x = tf.reshape(tf.constant(np.asarray(probe, dtype=np.float64)), (len(probe), -1))
    return tf.matmul(tf.nn.relu(tf.matmul(x, W1) + b1), W2).numpy() + b2.numpy()


def judge_architecture(hidden_units: int, initializer: str, probe):
    expected_params = param_count([784, hidden_units, 10])
    init_class = KERAS_INITIALIZERS[initializer]

    def judge(out):
        expect(isinstance(out, dict) and "layers" in out, "internal: the driver describes the model")
        types = [layer["type"] for layer in out["layers"]]
        expect(out["input_shape"] == [-1, 28, 28],
               f"the model's input should take batches of 28x28 images, shape (None, 28, 28); got "
               f"{tuple(None if d == -1 else d for d in out['input_shape'])}. Start with keras.Input((28, 28)) "
               f"and let a Flatten layer do the reshaping.")
        if "Softmax" in types or (types and out["layers"][-1]["activation"] == "softmax"):
            raise_failure("the model ends with a softmax: it should output logits (a Dense(10) with no activation). "
                          "The notes add the Softmax in a second model, and the loss takes from_logits=True.")
        expect(types == ["Flatten", "Dense", "Dense"],
               f"expected the notes' layers Flatten -> Dense({hidden_units}, relu) -> Dense(10), got "
               f"{' -> '.join(types) or 'no layers'}")
        hidden, last = out["layers"][1], out["layers"][2]
        expect(hidden["units"] == hidden_units, f"the hidden Dense layer has {hidden['units']} units, expected "
                                                f"hidden_units = {hidden_units}")
        expect(hidden["activation"] == "relu", f"the hidden Dense layer's activation is {hidden['activation']!r}, "
                                               f"expected 'relu'")
        expect(last["units"] == 10, f"the output layer has {last['units']} units, expected 10 (one per class)")
        expect(last["activation"] == "linear", f"the output layer's activation is {last['activation']!r}: it "
                                               f"should have none (logits)")
        for where, layer in (("hidden", hidden), ("output", last)):
            expect(layer["kernel_initializer"] == init_class,
                   f"the {where} layer's kernel initializer is {layer['kernel_initializer']}, expected {init_class} "
                   f"(kernel_initializer={initializer!r} for both Dense layers)")
        expect(out["params"] == expected_params,
               f"the model has {out['params']:,} parameters, expected {expected_params:,} = 784*{hidden_units} + "
               f"{hidden_units} + {hidden_units}*10 + 10")
        expect(out["output_shape"] == [-1, 10], f"the output shape should be (None, 10), got {out['output_shape']}")
        expect(len(out["weights"]) == 4, f"expected 4 weight arrays (W1, b1, W2, b2), got {len(out['weights'])}")
        expect_close("the model's output on a probe batch (vs the forward pass relu(x W1 + b1) W2 + b2 computed "
                     "from its own weights)", out["probe_out"], reference_logits(probe, out["weights"]),
                     tol=FORWARD_TOL)
    return judge


def model_case(label, *, seed, hidden_units=128, initializer="glorot_uniform", pass_defaults=False) -> Case:
    probe = probe_images(seed)
    kwargs = {"probe": probe, "seed": seed}
    if not pass_defaults:
        kwargs.update(hidden_units=hidden_units, kernel_initializer=initializer)
    return Case((), judge_architecture(hidden_units, initializer, probe), label=label, kwargs=kwargs,
                call=build_and_describe)


@checks.exercise("fashion_classification_model")
def _fashion_classification_model():
    yield model_case("the defaults: Flatten -> Dense(128, relu) -> Dense(10), 101,770 parameters, glorot_uniform",
                     seed=0, pass_defaults=True)
    yield model_case("hidden_units=64, kernel_initializer='he_normal': 50,890 parameters", seed=1,
                     hidden_units=64, initializer="he_normal")


# ==== train_fashion_model ==============================================================================
#
# The threshold: the reference recipe (Adam, from_logits=True) trained with this case's settings
# (softmax regression on 5000 images, 2 epochs, batch 50, learning rate 3e-3) gets min 80.0 %, mean
# 80.7 %, max 81.1 % of the first 2000 test images right over the seeds 0..9 (standard deviation
# 0.4 points; measured, and printed again by autograder/bench.py). MIN_ACCURACY = 78 % is 2 points
# (5 standard deviations) below the worst seed, while the usual slips land far below it: the string
# loss 'sparse_categorical_crossentropy' on logits 23-49 %, SGD at the same rate 55-59 %, Adam at
# Keras' default rate 1e-3 (learning_rate ignored) 75-77 %.

TRAIN_CASE = {"n_train": 5000, "n_val": 1000, "n_test": 2000, "epochs": 2, "batch_size": 50, "learning_rate": 3e-3}
MIN_ACCURACY = 0.78


def test_labels(n_test: int) -> np.ndarray:
    return fashion_arrays()[3][:n_test]


def judge_training(n_train, n_val, n_test, epochs, batch_size, learning_rate, min_accuracy, y_test):
    steps = math.ceil(n_train / batch_size)

    def judge(out):
        expect(isinstance(out, dict) and "predictions" in out, "internal: the driver reports the run")
        expect(out["returned"] == "History", f"train_fashion_model should return what model.fit returns (a keras "
                                             f"History), got {out['returned']}")
        loss = out["loss"]
        expect(loss["kind"] != "none", "the model was not compiled with a loss: call model.compile(optimizer=..., "
                                       "loss=..., metrics=['accuracy'])")
        expect(out["optimizer"] == "Adam", f"the model was compiled with {out['optimizer'] or 'no optimizer'}, "
                                           f"expected keras.optimizers.Adam(learning_rate)")
        expect(math.isfinite(out["learning_rate"]) and
               math.isclose(out["learning_rate"], learning_rate, rel_tol=1e-6),   # float32 holds it to 6e-8
               f"Adam's learning rate is {out['learning_rate']:g}, expected learning_rate = {learning_rate:g}: pass "
               f"it to the optimizer (keras.optimizers.Adam(learning_rate=learning_rate))")
        expect(loss["from_logits"] != 0,
               f"the loss {loss['name']!r} expects probabilities, but the model outputs logits (its last layer has no "
               f"softmax): use keras.losses.SparseCategoricalCrossentropy(from_logits=True)")
        history = out["history"]
        for key, hint in (("loss", ""), ("accuracy", ": compile with metrics=['accuracy']"),
                          ("val_loss", ": pass validation_data=(x_val, y_val) to fit"),
                          ("val_accuracy", ": pass validation_data=(x_val, y_val) to fit")):
            expect(key in history, f"the history has no {key!r} (it has {sorted(history)}){hint}")
        expect(len(history["loss"]) == epochs, f"the history covers {len(history['loss'])} epochs, expected "
                                               f"epochs = {epochs}: pass epochs to fit")
        expect(len(out["batches"]) > 0, "the callbacks did not reach model.fit: pass callbacks=callbacks")
        expect(out["batches"] == [steps] * epochs,
               f"fit ran {out['batches']} batches per epoch, expected {steps} = ceil({n_train} / batch_size={batch_size}) "
               f"in each of {epochs} epochs: pass batch_size (and epochs) to fit")
        predictions = expect_array("the predicted classes", out["predictions"], shape=(n_test,), dtype_kind="iu")
        accuracy = float(np.mean(predictions == y_test))
        expect(accuracy >= min_accuracy,
               f"after training, the model gets {accuracy:.1%} of {n_test} test images right, expected at least "
               f"{min_accuracy:.0%}. Check the loss (from_logits=True for a "
               f"model that outputs logits) and that you train on x_train, y_train as given (already scaled to [0, 1]).")
    return judge


def training_case(label, *, seed, min_accuracy=MIN_ACCURACY, build=None, **settings) -> Case:
    settings = {**TRAIN_CASE, **settings}
    kwargs = {"seed": seed} if build is None else {"seed": seed, "build": build}
    args = tuple(settings[k] for k in ("n_train", "n_val", "n_test", "epochs", "batch_size", "learning_rate"))
    return Case(args, judge_training(*args, min_accuracy, test_labels(settings["n_test"])), label=label,
                kwargs=kwargs, call=short_training_run)


@checks.exercise("train_fashion_model")
def _train_fashion_model():
    yield training_case(f"softmax regression (Flatten -> Dense(10)) on {TRAIN_CASE['n_train']} real images, "
                        f"{TRAIN_CASE['epochs']} epochs, batch 50, learning rate 3e-3: at least {MIN_ACCURACY:.0%} of "
                        f"2000 test images right", seed=0)


# ==== confusion_matrix ===================================================================================

# the reference is computed on the instructor side (autograder/references/keras_fashion.py); a
# student's kernel has its values for the visible cases only

@reference
def tf_confusion_matrix(y_true, y_pred, num_classes) -> np.ndarray:
    """`tf.math.confusion_matrix` of the labels (int64 counts, rows the true classes)."""


def judge_confusion(expected, n, hint: str = ""):
    expected = np.asarray(expected)
    k = expected.shape[0]

    def judge(out):
        got = expect_array("the confusion matrix", out, dtype_kind=None)
        expect(got.shape == (k, k), f"the confusion matrix has shape {got.shape}, expected ({k}, {k}) = "
                                    f"(num_classes, num_classes), also when a class never occurs")
        expect(got.dtype.kind in "iu", f"the confusion matrix holds counts: use an integer dtype, got {got.dtype}")
        if np.array_equal(got, expected):
            return
        if np.array_equal(got, expected.T):
            raise_failure("the matrix is transposed: row i, column j must count the examples of true class i predicted "
                          "as class j (tf.math.confusion_matrix's convention, and the notes')")
        wrong = np.argwhere(got != expected)
        i, j = (int(v) for v in wrong[0])
        total = "" if int(got.sum()) == n else (f" Its entries add up to {int(got.sum())}, but there are {n} "
                                                f"examples: each adds exactly one count.")
        raise_failure(f"the confusion matrix differs from tf.math.confusion_matrix in {len(wrong)} of {k * k} cells, "
                      f"e.g. row {i} (true class {i}), column {j} (predicted {j}): expected {int(expected[i, j])}, "
                      f"got {got[i, j]}.{total}{hint}")
    return judge


def confusion_case(y_true, y_pred, num_classes, label, hint="") -> Case:
    expected = tf_confusion_matrix(y_true, y_pred, num_classes)
    return Case((np.asarray(y_true), np.asarray(y_pred), num_classes),
                judge_confusion(expected, len(y_true), hint), label=label)


@checks.exercise("confusion_matrix")
def _confusion_matrix():
    def judge_hand(out):
        got = expect_array("the confusion matrix", out, shape=(3, 3), dtype_kind=None)
        expected = np.array([[1, 1, 0], [0, 2, 0], [1, 0, 1]])
        if np.array_equal(got, expected.T):
            raise_failure("the matrix is transposed: row = true class, column = predicted class")
        expect_equal("the confusion matrix of the worked example", got, expected)

    yield Case((np.array([0, 0, 1, 1, 2, 2]), np.array([0, 1, 1, 1, 2, 0]), 3), judge_hand,
               label="the worked example: y_true (0, 0, 1, 1, 2, 2), y_pred (0, 1, 1, 1, 2, 0) -> "
                     "[[1, 1, 0], [0, 2, 0], [1, 0, 1]]")
    rng = np.random.default_rng(9)
    y = rng.integers(0, 10, 1000)
    p = np.where(rng.random(1000) < 0.7, y, rng.integers(0, 10, 1000))
    yield confusion_case(y, p, 10, "1000 random labels of 10 classes, 70% predicted right (vs tf.math.confusion_matrix)")
    y = rng.integers(0, 4, 200)
    yield confusion_case(y, (y + rng.integers(0, 2, 200)) % 4, 5,
                         "num_classes 5 but class 4 never occurs: its row and column are zeros")
    y = rng.integers(0, 10, 300).astype(np.uint8)
    yield confusion_case(y, rng.permutation(y), 10, "uint8 labels, as Fashion-MNIST's")

