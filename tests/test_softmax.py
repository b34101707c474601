"""Notebook 03: the reference solution passes every check; planted bugs fail with a message that
names the bug; the reference engines (solution, TensorFlow autodiff, finite differences) agree; the
worked examples use the natural log."""
import math

import numpy as np
import pytest

from autograder import paths
from autograder.hidden.softmax import checks as hidden
from autograder.hidden.softmax import numeric_grad, ref_binary_cross_entropy, ref_cross_entropy
from autograder.sample_class import predicted_score
from autograder.solutions import load_answers
from utils.checks.core import CheckFailure, run_checks
from utils.checks.softmax import checks as visible
from utils.checks.softmax import tf_binary_cross_entropy, tf_cross_entropy, tf_softmax
from utils.gradcheck import rel_error

EXERCISES = {"softmax", "cross_entropy_loss", "binary_cross_entropy"}
SCORES = np.array([[6.5, 2.0, 3.3], [2.3, 7.1, -3.5], [3.3, -1.5, 4.3]])
LABELS = np.array([0, 1, 0])


@pytest.fixture(scope="module")
def ns():
    return load_answers("03_softmax")


def test_visible_and_hidden_cover_the_same_exercises():
    assert set(visible.factories) == set(hidden.factories) == EXERCISES


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_solution_passes(ns, name):
    run_checks(visible, name, ns[name])
    run_checks(hidden, name, ns[name])


# ---- (b) planted bugs --------------------------------------------------------------------------

def _fails(registry, name, fn, match):
    with np.errstate(all="ignore"), pytest.raises(CheckFailure, match=match) as info:
        run_checks(registry, name, fn, quiet=True)
    return str(info.value)


def _ce(ns, *, log=np.log, sign=-1.0, divide=True, eps=0.0):
    """A cross-entropy built on the solution's softmax, with one slip switched on."""
    def cross_entropy_loss(scores, y):
        n = scores.shape[0]
        probs = ns["softmax"](scores)
        loss = sign * np.mean(log(probs[np.arange(n), y] + eps))
        dscores = probs.copy()
        dscores[np.arange(n), y] -= 1
        return loss, dscores / n if divide else dscores
    return cross_entropy_loss


def test_naive_softmax_fails_at_1000():
    naive = lambda s: np.exp(s) / np.exp(s).sum(axis=-1, keepdims=True)  # noqa: E731
    msg = _fails(visible, "softmax", naive, "NaN/inf")
    assert "+ 1000" in msg and "subtract each row's maximum" in msg
    _fails(hidden, "softmax", naive, "NaN/inf")


def test_softmax_over_the_wrong_axis_fails(ns):
    wrong_axis = lambda s: np.exp(s - s.max()) / np.exp(s - s.max()).sum(axis=0, keepdims=True)  # noqa: E731
    _fails(visible, "softmax", wrong_axis, "should sum to 1")


def test_log_base_10_fails(ns):
    msg = _fails(visible, "cross_entropy_loss", _ce(ns, log=np.log10), "natural log")
    assert "0.050571" in msg and "0.021963" in msg  # expected and got, side by side


def test_missing_minus_sign_fails(ns):
    _fails(visible, "cross_entropy_loss", _ce(ns, sign=1.0), "minus sign")


def test_gradient_not_divided_by_n_fails(ns):
    msg = _fails(visible, "cross_entropy_loss", _ce(ns, divide=False), "divide the gradient by N")
    assert "3 times too large" in msg


def test_log_of_softmax_fails_when_a_probability_underflows(ns):
    _fails(visible, "cross_entropy_loss", _ce(ns), "underflows to 0.*log-softmax")
    _fails(hidden, "cross_entropy_loss", _ce(ns), "underflows to 0")


def test_epsilon_trick_gives_a_wrong_loss(ns):
    _fails(visible, "cross_entropy_loss", _ce(ns, eps=1e-7), "epsilon added inside the log")
    msg = _fails(visible, "cross_entropy_loss", _ce(ns, eps=1e-300), "the loss is wrong")
    assert "case 6/6 (scores (0, 800, 0)" in msg


def test_naive_and_unnormalised_bce_fail():
    def naive(z, y):
        p = 1 / (1 + np.exp(-z))
        return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))), (p - y) / len(z)

    _fails(visible, "binary_cross_entropy", naive, "log1p")
    _fails(hidden, "binary_cross_entropy", naive, "log1p")

    def summed(z, y):
        return np.sum(np.logaddexp(0, z) - y * z), 1 / (1 + np.exp(-z)) - y

    _fails(visible, "binary_cross_entropy", summed, "average over the batch")


def test_wrong_return_types_are_explained(ns):
    per_example = lambda s, y: (-np.log(ns["softmax"](s)[np.arange(len(y)), y]), s)  # noqa: E731
    _fails(visible, "cross_entropy_loss", per_example, "single number")
    _fails(visible, "cross_entropy_loss", lambda s, y: 1.0, "tuple of 2")


# ---- (c) the reference engines agree ----------------------------------------------------------

@pytest.mark.parametrize("name, tf_ref, np_ref", [
    ("cross_entropy_loss", tf_cross_entropy, ref_cross_entropy),
    ("binary_cross_entropy", tf_binary_cross_entropy, ref_binary_cross_entropy)])
def test_solution_tf_and_finite_differences_agree(ns, name, tf_ref, np_ref):
    rng = np.random.default_rng(123)
    inputs = [case.args for case in hidden.cases(name)]
    inputs.append((rng.standard_normal((6, 4)), rng.integers(0, 4, size=6)) if name == "cross_entropy_loss"
                  else (rng.standard_normal(6) * 3, rng.integers(0, 2, size=6)))
    for x, y in inputs:
        loss, grad = ns[name](x.copy(), y)
        tf_loss, tf_grad = tf_ref(x, y)
        numeric = numeric_grad(np_ref, x, y)
        assert np.isfinite(loss) and np.all(np.isfinite(grad))
        assert abs(loss - tf_loss) <= 1e-12 * max(1.0, abs(tf_loss))
        assert abs(np_ref(x, y) - tf_loss) <= 1e-12 * max(1.0, abs(tf_loss))
        assert rel_error(grad, tf_grad) < 1e-7
        assert rel_error(grad, numeric) < 1e-7
        assert rel_error(tf_grad, numeric) < 1e-7


def test_softmax_matches_tensorflow_at_extremes(ns):
    s = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0], [0.0, 800.0, -800.0]])
    assert rel_error(ns["softmax"](s), tf_softmax(s)) < 1e-14
    np.testing.assert_allclose(ns["softmax"](s[:1]), ns["softmax"](s[:1] - 1000.0))


# ---- (d) the worked examples, natural log --------------------------------------------------------

def test_worked_examples_use_the_natural_log(ns):
    assert round(-math.log(0.95), 3) == 0.051 and round(-math.log(0.27), 2) == 1.31
    assert round(-math.log10(0.95), 3) == 0.022 and round(-math.log10(0.27), 2) == 0.57  # the notes' slip

    np.testing.assert_array_equal(np.exp(SCORES[0]).round(1), [665.1, 7.4, 27.1])
    probs = ns["softmax"](SCORES)
    np.testing.assert_array_equal(probs[0].round(2), [0.95, 0.01, 0.04])
    assert round(probs[2, 0], 2) == 0.27

    ce = ns["cross_entropy_loss"]
    per_image = [ce(SCORES[i:i + 1], LABELS[i:i + 1])[0] for i in range(3)]
    assert [round(v, 4) for v in per_image] == [0.0506, 0.0082, 1.3155]
    assert round(per_image[0], 3) == 0.051 and round(per_image[2], 2) == 1.32
    assert round(ce(SCORES, LABELS)[0], 3) == 0.458
    assert [round(-math.log10(probs[i, 0]), 2) for i in (0, 2)] == [0.02, 0.57]
    np.testing.assert_allclose(ce(SCORES[:1], LABELS[:1])[1], [probs[0] - [1, 0, 0]])

    assert ce(np.array([[0.0, 800.0]]), np.array([0]))[0] == 800.0
    assert round(ns["binary_cross_entropy"](np.array([2.0]), np.array([1]))[0], 3) == 0.127

    y4 = np.array([0, 1, 2, 0])
    confident = np.array([[4.0, 0, 0], [0, 4.0, 0], [0, 0, 4.0], [1.0, 1.5, 0]])
    hesitant = np.array([[0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5], [0, 5.0, 0]])
    for s in (confident, hesitant):
        assert np.mean(s.argmax(axis=1) == y4) == 0.75
    assert round(ce(confident, y4)[0], 1) == 0.3 and round(ce(hesitant, y4)[0], 1) == 1.8


def test_the_notebook_states_the_right_numbers():
    text = paths.source_script("03_softmax").read_text(encoding="utf-8")
    for stated in ("0.051", "1.31", "0.0506", "0.0082", "1.3155", "0.458", "0.022", "0.57", "0.127"):
        assert stated in text, stated
    assert "-\\log(0.95) = 0.022" in text and "base-10" in text  # the slip is explained, not repeated


# ---- the half-right sample earns what it says --------------------------------------------------

def test_half_right_sample_earns_its_expected_score(ns):
    earned, declared, total = predicted_score("03_softmax", ns)
    assert earned == declared and 0 < earned < total, (earned, declared, total)


def test_making_the_cases_needs_no_tensorflow():
    """Under the grader the student's kernel only makes the cases and records outputs: the
    TensorFlow references are computed when judged, so that kernel never imports TensorFlow."""
    import subprocess
    import sys
    code = ("import sys\nfrom utils.checks.softmax import checks as v\nfrom autograder.hidden.softmax import checks as h\n"
            "n = sum(len(r.cases(e)) for r in (v, h) for e in r.factories)\n"
            "print(n, 'tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=paths.ROOT, check=True)
    count, imported = out.stdout.split()
    assert int(count) > 20 and imported == "False", out.stdout
