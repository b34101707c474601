"""Notebook 01: the reference solution passes every check; realistic bugs fail them."""
import numpy as np
import pytest

from autograder.hidden.perceptron import checks as hidden
from autograder.solutions import load_answers
from utils.checks.core import CheckFailure, run_checks
from utils.checks.perceptron import checks as visible


@pytest.fixture(scope="module")
def ns():
    return load_answers("01_perceptron")


@pytest.mark.parametrize("name", sorted(visible.factories))
def test_solution_passes(ns, name):
    run_checks(visible, name, ns[name])
    run_checks(hidden, name, ns[name])


def test_step_at_zero_is_zero(ns):
    assert ns["perceptron_predict"](np.array([[0.0, 0.0]]), np.array([1.0, 1.0]), 0.0)[0] == 0


def test_bugs_are_caught(ns):
    greater_equal = lambda X, w, b: (X @ w + b >= 0).astype(int)  # noqa: E731
    with pytest.raises(CheckFailure, match="sum of exactly 0"):
        run_checks(visible, "perceptron_predict", greater_equal)

    def no_bias_update(X, y, eta=0.1, epochs=20):
        w, errors = np.zeros(X.shape[1]), []
        for _ in range(epochs):
            m = 0
            for xi, t in zip(X, y):
                d = t - int(xi @ w > 0)
                w, m = w + eta * d * xi, m + (d != 0)
            errors.append(m)
        return w, 0.0, errors

    with pytest.raises(CheckFailure, match="b after one update"):
        run_checks(visible, "perceptron_train", no_bias_update)

    def shuffled(X, y, eta=0.1, epochs=20):  # visits examples in a random order
        order = np.random.default_rng(0).permutation(len(y))
        return ns["perceptron_train"](X[order], y[order], eta, epochs)

    with pytest.raises(CheckFailure, match="after training|mistakes per epoch"):
        run_checks(hidden, "perceptron_train", shuffled)

    def xor_no_margin():
        return {"W1": np.array([[1.0, -1.0], [1.0, -1.0]]), "b1": np.array([0.0, 2.0]),
                "W2": np.array([1.0, 1.0]), "b2": -1.0}

    run_checks(visible, "xor_params", xor_no_margin)  # right on the corners ...
    with pytest.raises(CheckFailure, match="within 0.1 of the corners"):
        run_checks(hidden, "xor_params", xor_no_margin)  # ... but no margin

    def unsorted_vocab(values):
        vocab = list(dict.fromkeys(values))
        return np.array([[float(v == u) for u in vocab] for v in values]), vocab

    with pytest.raises(CheckFailure, match="vocabulary should be"):
        run_checks(visible, "one_hot", unsorted_vocab)


def test_xor_is_not_learnable(ns):
    from utils.data import truth_table
    X, y = truth_table("XOR")
    for eta in (0.01, 0.1, 1.0):
        _, _, errors = ns["perceptron_train"](X, y, eta=eta, epochs=100)
        assert min(errors) > 0
