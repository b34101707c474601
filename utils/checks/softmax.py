"""Visible checks for notebook 03 (softmax & NLL).

The references are TensorFlow's own ops (`tf.nn.softmax`, `tf.nn.sparse_softmax_cross_entropy_with_logits`,
`tf.nn.sigmoid_cross_entropy_with_logits`) differentiated by TensorFlow's autodiff, plus the notes'
cat/dog/lion numbers. TensorFlow is imported only when a check runs.
"""
import math

import numpy as np

from ..gradcheck import rel_error
from .references import reference
from .core import (Case, CheckFailure, Registry, _preview, expect, expect_array, expect_close,
                   expect_tuple, random_array)

checks = Registry("03_softmax")

#: the notes' three images (rows) scored for the classes (cat, dog, lion); images 1 and 3 are cats
ANIMAL_SCORES = np.array([[6.5, 2.0, 3.3], [2.3, 7.1, -3.5], [3.3, -1.5, 4.3]])
ANIMAL_LABELS = np.array([0, 1, 0])

STABLE_SOFTMAX = "Exponentiating scores near 1000 overflows (np.exp(1000) = inf): subtract each row's maximum first."
LOG_OF_ZERO = ("The correct class's probability underflows to 0 here (e^-800 == 0.0 in float64) and "
               "np.log(0) = -inf. Compute the log-probabilities directly (log-softmax with the "
               "log-sum-exp trick) instead of taking np.log of softmax's output; an epsilon inside "
               "the log would give a finite but wrong loss.")
STABLE_BCE = ("With |logit| near 1000, sigmoid rounds to exactly 0 or 1 and its log is -inf (or exp(1000) "
              "overflows). Write the loss from the logit: max(z, 0) - y*z + log1p(exp(-|z|)), and compute "
              "sigmoid(z) for z < 0 as exp(z) / (1 + exp(z)).")


# ---- references: TensorFlow (computed on the instructor side, autograder/references/softmax.py;
# a student's kernel has their values for the visible cases only) ---------------------------------

@reference
def tf_softmax(scores) -> np.ndarray:
    """TensorFlow's softmax of `scores` along the last axis."""


@reference
def tf_cross_entropy(scores, y):
    """(mean NLL, gradient wrt scores) from TensorFlow's fused op and autodiff."""


@reference
def tf_binary_cross_entropy(logits, y):
    """(mean BCE from logits, gradient wrt logits) from TensorFlow's op and autodiff."""


# ---- judging helpers ---------------------------------------------------------------------------

def loss_hints(n: int):
    """Common slips in a mean NLL, as (factor relating got to expected, advice)."""
    hints = [(-1.0, "It has the wrong sign: the loss is MINUS the log-probability (the minus sign is "
                    "missing), so it is never negative."),
             (1 / math.log(10), "That is the base-10 value (expected / ln 10): the loss uses the natural "
                                "log, np.log, not np.log10."),
             (-1 / math.log(10), "That is minus the base-10 value: use the natural log (np.log) and the "
                                 "minus sign.")]
    if n > 1:
        hints += [(float(n), f"That is {n} times too large: average over the batch (mean), don't sum."),
                  (1 / n, f"That is {n} times too small: divide by N once.")]
    return hints


def grad_hints(n: int, what: str):
    hints = [(-1.0, f"{what} has the wrong sign: the gradient is prediction minus label, (p - y)."),
             (1 / math.log(10), f"{what} is 1/ln 10 times too small: the loss uses the natural log.")]
    if n > 1:
        hints += [(float(n), f"{what} is {n} times too large: the loss is a mean over the N = {n} "
                             f"examples, so divide the gradient by N."),
                  (1 / n, f"{what} is {n} times too small: divide by N once, not twice.")]
    return hints


NEAR_MISS_LOSS = ("A small bias like this usually comes from an epsilon added inside the log (log(p + eps)): "
                  "compute the log-probabilities directly instead.")


def expect_value(what: str, got, expected, *, hints=(), near_miss: str = "", tol: float = 1e-7) -> None:
    """`expect_close`, but when `got` is a known slip (expected times a factor, or off by a tiny
    relative amount) say which one."""
    expected = np.asarray(expected, dtype=np.float64)
    got_arr = expect_array(what, got, shape=expected.shape)
    err = rel_error(got_arr, expected)
    if err <= tol:
        return
    for factor, advice in hints:
        if rel_error(got_arr, expected * factor) <= 1e-6:
            raise CheckFailure(f"{what} is wrong.\n  expected: {_preview(expected)}\n"
                               f"  got:      {_preview(got_arr)}\n  {advice}")
    try:
        expect_close(what, got_arr, expected, tol=tol)
    except CheckFailure as exc:
        if near_miss and err < 1e-4:
            raise CheckFailure(f"{exc}\n  {near_miss}") from None
        raise


def expect_scalar_loss(got, advice: str = "") -> None:
    """The loss is one finite number; say so plainly when it is an array, a NaN or an inf."""
    if not (np.isscalar(got) or isinstance(got, np.ndarray)):
        raise CheckFailure(f"the loss should be a number, got {type(got).__name__}")
    arr = np.asarray(got)
    expect(arr.dtype.kind in "fiu", f"the loss should be a number, got dtype {arr.dtype}")
    expect(arr.ndim == 0, f"the loss should be a single number (the mean over the batch), "
                          f"got an array of shape {arr.shape}")
    expect(bool(np.isfinite(arr)), f"the loss is {float(arr)}, expected a finite number. {advice}".rstrip())


def expect_probabilities(what: str, got, expected, *, advice: str = "") -> None:
    expected = np.asarray(expected, dtype=np.float64)
    got = np.asarray(got) if isinstance(got, (list, tuple)) else got
    if isinstance(got, np.ndarray) and got.shape == expected.shape and got.dtype.kind == "f" \
            and not np.all(np.isfinite(got)):
        raise CheckFailure(f"{what} contains NaN/inf: {_preview(got)}. {advice}".rstrip())
    got = expect_array(what, got, shape=expected.shape)
    sums = np.sum(got, axis=-1)
    expect(np.allclose(sums, 1.0, rtol=0, atol=1e-9),
           f"every row of {what} should sum to 1, got row sums {_preview(sums)}")
    expect(bool(np.all(got >= 0)), f"{what} should be non-negative, got {_preview(got)}")
    expect_close(what, got, expected)


# The references are computed when an output is judged, not when a case is made: under the grader
# the student's kernel only records outputs, and then never needs to import TensorFlow.

def judge_softmax(reference_scores, *, advice: str = ""):
    """Compare with TensorFlow's softmax of `reference_scores`."""
    def judge(out):
        expect_probabilities("softmax(scores)", out, tf_softmax(reference_scores), advice=advice)
    return judge


def judge_cross_entropy(scores, y, *, advice: str = "", numeric_grad=None):
    """Compare with TensorFlow (and, when given, with a finite-difference gradient)."""
    n = scores.shape[0]

    def judge(out):
        loss_ref, grad_ref = tf_cross_entropy(scores, y)
        loss, dscores = expect_tuple("cross_entropy_loss", out, 2)
        expect_scalar_loss(loss, advice)
        expect_value("the loss", loss, loss_ref, hints=loss_hints(n), near_miss=NEAR_MISS_LOSS)
        expect_value("dscores", dscores, grad_ref, hints=grad_hints(n, "dscores"))
        if numeric_grad is not None:
            expect_close("dscores (vs centered finite differences)", dscores, numeric_grad)
    return judge


def judge_binary_cross_entropy(logits, y, *, advice: str = "", numeric_grad=None):
    n = logits.shape[0]

    def judge(out):
        loss_ref, grad_ref = tf_binary_cross_entropy(logits, y)
        loss, dlogits = expect_tuple("binary_cross_entropy", out, 2)
        expect_scalar_loss(loss, advice)
        expect_value("the loss", loss, loss_ref, hints=loss_hints(n), near_miss=NEAR_MISS_LOSS)
        expect_value("dlogits", dlogits, grad_ref, hints=grad_hints(n, "dlogits"))
        if numeric_grad is not None:
            expect_close("dlogits (vs centered finite differences)", dlogits, numeric_grad)
    return judge


# ---- the checks --------------------------------------------------------------------------------

@checks.exercise("softmax")
def _softmax():
    def judge_cat(out):
        expect_probabilities("softmax([6.5, 2.0, 3.3])", out, tf_softmax(ANIMAL_SCORES[0]))
        expect_close("softmax([6.5, 2.0, 3.3]) rounded to 2 decimals", np.round(out, 2), [0.95, 0.01, 0.04])

    yield Case((ANIMAL_SCORES[0].copy(),), judge_cat, label="the notes' cat/dog/lion scores as a 1-D array")
    yield Case((ANIMAL_SCORES.copy(),), judge_softmax(ANIMAL_SCORES),
               label="the three images, one per row")
    scores = random_array(np.random.default_rng(3), 4, 5, scale=2.0)
    yield Case((scores,), judge_softmax(scores), label="a random (4, 5) batch")
    yield Case((ANIMAL_SCORES + 1000.0,), judge_softmax(ANIMAL_SCORES, advice=STABLE_SOFTMAX),
               label="the three images + 1000 (shifting a row must not change its softmax)")


@checks.exercise("cross_entropy_loss")
def _cross_entropy():
    def judge_cat(out):
        judge_cross_entropy(ANIMAL_SCORES[:1], ANIMAL_LABELS[:1])(out)
        expect_close("the loss of image 1 rounded to 3 decimals", round(float(out[0]), 3), 0.051, tol=1e-12)

    yield Case((ANIMAL_SCORES[:1].copy(), ANIMAL_LABELS[:1].copy()), judge_cat,
               label="image 1 (6.5, 2.0, 3.3), a cat: -ln(0.95) = 0.051")
    yield Case((ANIMAL_SCORES[2:].copy(), ANIMAL_LABELS[2:].copy()), judge_cross_entropy(ANIMAL_SCORES[2:], ANIMAL_LABELS[2:]),
               label="image 3 (3.3, -1.5, 4.3), a cat: -ln(0.2683) = 1.3155")
    yield Case((ANIMAL_SCORES.copy(), ANIMAL_LABELS.copy()), judge_cross_entropy(ANIMAL_SCORES, ANIMAL_LABELS),
               label="the three images, labels cat, dog, cat")
    rng = np.random.default_rng(5)
    scores, y = random_array(rng, 5, 4), rng.integers(0, 4, size=5)
    yield Case((scores, y), judge_cross_entropy(scores, y), label="a random (5, 4) batch")
    yield Case((ANIMAL_SCORES + 1000.0, ANIMAL_LABELS.copy()),
               judge_cross_entropy(ANIMAL_SCORES + 1000.0, ANIMAL_LABELS, advice=STABLE_SOFTMAX),
               label="the three images + 1000 (same loss as without the shift)")
    under = np.array([[0.0, 800.0, 0.0], [2.0, 1.0, 0.1]])
    yield Case((under, np.array([0, 0])), judge_cross_entropy(under, np.array([0, 0]), advice=LOG_OF_ZERO),
               label="scores (0, 800, 0) with correct class 0: loss 800, not inf")


@checks.exercise("binary_cross_entropy")
def _binary_cross_entropy():
    logits, y = np.array([2.0, -1.0, 0.5, -3.0]), np.array([1, 0, 0, 1])
    yield Case((logits, y), judge_binary_cross_entropy(logits, y), label="logits (2, -1, 0.5, -3), labels (1, 0, 0, 1)")

    def judge_zero(out):  # sigmoid(0) = 1/2: loss ln 2 whatever the label, gradient (1/2 - y) / N
        loss, dlogits = expect_tuple("binary_cross_entropy", out, 2)
        expect_scalar_loss(loss)
        expect_value("the loss", loss, math.log(2), hints=loss_hints(2))
        expect_value("dlogits", dlogits, [0.25, -0.25], hints=grad_hints(2, "dlogits"))

    yield Case((np.zeros(2), np.array([0, 1])), judge_zero, label="logits 0, labels (0, 1): loss ln 2")
    rng = np.random.default_rng(7)
    logits, y = random_array(rng, 8, scale=3.0), rng.integers(0, 2, size=8)
    yield Case((logits, y), judge_binary_cross_entropy(logits, y), label="random logits, N = 8")
    logits, y = np.array([1000.0, -1000.0, 1000.0, -1000.0, 1.5]), np.array([1, 0, 0, 1, 1])
    yield Case((logits, y), judge_binary_cross_entropy(logits, y, advice=STABLE_BCE),
               label="logits +-1000, right and wrong")
