"""Hidden checks for notebook 01: random batches, the exact learning-rule trajectory, margins."""
import numpy as np

from utils.checks.core import Case, Registry, expect, expect_array, expect_close, expect_equal, expect_tuple
from utils.checks.perceptron import expect_xor_params
from utils.data import GATE_INPUTS

checks = Registry("01_perceptron")
SEED = 9_173


def reference_train(X, y, eta, epochs):
    w, b, errors = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        mistakes = 0
        for xi, t in zip(X, y):
            d = t - (1 if xi @ w + b > 0 else 0)
            w, b, mistakes = w + eta * d * xi, b + eta * d, mistakes + (d != 0)
        errors.append(mistakes)
    return w, b, errors


@checks.exercise("perceptron_predict")
def _predict():
    rng = np.random.default_rng(SEED)
    for _ in range(3):
        n, d = rng.integers(5, 40), rng.integers(1, 7)
        X, w, b = rng.standard_normal((n, d)), rng.standard_normal(d), float(rng.standard_normal())
        expected = (X @ w + b > 0).astype(int)

        def judge(out, expected=expected):
            out = expect_array("the prediction", out, shape=expected.shape, dtype_kind="iub")
            expect_equal("the prediction", out, expected)

        yield Case((X, w, b), judge, label=f"random batch N={n}, D={d}")


@checks.exercise("perceptron_train")
def _train():
    rng = np.random.default_rng(SEED + 1)
    for eta, epochs in [(0.3, 7), (0.05, 12)]:
        n, d = rng.integers(8, 25), rng.integers(2, 5)
        X = rng.standard_normal((n, d))
        y = (X @ rng.standard_normal(d) + 0.2 > 0).astype(int)
        w_ref, b_ref, err_ref = reference_train(X, y, eta, epochs)

        def judge(out, w_ref=w_ref, b_ref=b_ref, err_ref=err_ref):
            w, b, errors = expect_tuple("perceptron_train", out, 3)
            expect_close("w after training", w, w_ref, tol=1e-10)
            expect_close("b after training", b, b_ref, tol=1e-10)
            expect(list(map(int, errors)) == err_ref,
                   f"mistakes per epoch should be {err_ref}, got {list(errors)}")

        yield Case((X, y, eta, epochs), judge, label=f"separable random data N={n}, D={d}, eta={eta}")


@checks.exercise("xor_params")
def _xor():
    rng = np.random.default_rng(SEED + 2)
    jittered = np.repeat(GATE_INPUTS, 5, axis=0) + rng.uniform(-0.1, 0.1, size=(20, 2))
    yield Case((), lambda out: expect_xor_params(out, jittered, "20 inputs within 0.1 of the corners"),
               label="inputs within 0.1 of the corners")


@checks.exercise("one_hot")
def _one_hot():
    rng = np.random.default_rng(SEED + 3)
    streets = [f"{name} {kind}" for name in ("Shorebird", "Maple", "Cedar", "Harbor", "Aspen")
               for kind in ("Way", "Street")]
    for n in (1, 17):
        values = list(rng.choice(streets, size=n))
        vocab = sorted(set(values))
        expected = np.array([[float(v == u) for u in vocab] for v in values])

        def judge(out, vocab=vocab, expected=expected):
            encoded, vocabulary = expect_tuple("one_hot", out, 2)
            expect(list(vocabulary) == vocab, f"vocabulary should be {vocab}, got {list(vocabulary)}")
            expect_equal("encoded", encoded, expected)

        yield Case((values,), judge, label=f"{n} street name(s)")
