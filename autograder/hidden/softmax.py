"""Hidden checks for notebook 03: random shapes and seeds, scores near +-1000, probabilities that
underflow to 0, logits of +-1000. Values are compared with TensorFlow; every gradient with
TensorFlow autodiff *and* centered finite differences of a numpy reference, to 1e-7 in float64."""
import numpy as np

from utils.checks.core import Case, Registry, random_array
from utils.checks.softmax import (LOG_OF_ZERO, STABLE_BCE, STABLE_SOFTMAX, judge_binary_cross_entropy,
                                  judge_cross_entropy, judge_softmax)

from ..gradcheck import eval_numerical_gradient

checks = Registry("03_softmax")
SEED = 60_317


# ---- numpy references, only for finite differences (instructor-only module) -------------------

def ref_cross_entropy(scores, y) -> float:
    m = scores.max(axis=1, keepdims=True)
    log_norm = m[:, 0] + np.log(np.exp(scores - m).sum(axis=1))
    return float(np.mean(log_norm - scores[np.arange(len(y)), y]))


def ref_binary_cross_entropy(logits, y) -> float:
    return float(np.mean(np.logaddexp(0.0, logits) - y * logits))


def numeric_grad(ref, x, y) -> np.ndarray:
    return eval_numerical_gradient(lambda v: ref(v, y), np.array(x, dtype=np.float64))


def _shape(rng):
    return int(rng.integers(2, 13)), int(rng.integers(2, 11))


# ---- the checks --------------------------------------------------------------------------------

@checks.exercise("softmax")
def _softmax():
    rng = np.random.default_rng(SEED)
    c = int(rng.integers(2, 11))
    scores = random_array(rng, c, scale=3.0)
    yield Case((scores,), judge_softmax(scores), label=f"a single example of {c} scores (1-D)")
    for _ in range(2):
        n, c = _shape(rng)
        scores = random_array(rng, n, c, scale=4.0)
        yield Case((scores,), judge_softmax(scores), label=f"a random ({n}, {c}) batch")
    n, c = _shape(rng)
    base = random_array(rng, n, c, scale=2.0)
    for shift in (1000.0, -1000.0):
        yield Case((base + shift,), judge_softmax(base, advice=STABLE_SOFTMAX),
                   label=f"a random ({n}, {c}) batch with scores near {shift:+.0f}")
    spread = np.array([[0.0, 800.0, -800.0], [-1000.0, 1000.0, 0.0], [5.0, 5.0, 5.0]])
    yield Case((spread,), judge_softmax(spread, advice=STABLE_SOFTMAX),
               label="scores spread over +-1000 in one row, and a row of equal scores")


@checks.exercise("cross_entropy_loss")
def _cross_entropy():
    rng = np.random.default_rng(SEED + 1)

    def case(scores, y, label, advice=""):
        return Case((scores, y), judge_cross_entropy(
            scores, y, advice=advice, numeric_grad=numeric_grad(ref_cross_entropy, scores, y)), label=label)

    for _ in range(2):
        n, c = _shape(rng)
        yield case(random_array(rng, n, c, scale=2.0), rng.integers(0, c, size=n), f"a random ({n}, {c}) batch")
    for shift in (1000.0, -1000.0):
        n, c = _shape(rng)
        yield case(random_array(rng, n, c) + shift, rng.integers(0, c, size=n),
                   f"a random ({n}, {c}) batch with scores near {shift:+.0f}", STABLE_SOFTMAX)
    yield case(np.array([[0.0, 800.0]]), np.array([0]), "scores (0, 800), correct class 0: loss 800", LOG_OF_ZERO)
    n, c = _shape(rng)
    wide = random_array(rng, n, c, scale=300.0)
    y = np.argmin(wide, axis=1)                      # the least likely class: p underflows to 0
    y[0] = np.argmax(wide[0])
    yield case(wide, y, f"a ({n}, {c}) batch with scores of size ~300, mostly the least likely class correct",
               LOG_OF_ZERO)
    yield case(np.array([[-1000.0, 0.0, 1000.0], [3.0, -2.0, 0.5]]), np.array([0, 2]),
               "scores (-1000, 0, 1000) with correct class 0: loss 2000", LOG_OF_ZERO)


@checks.exercise("binary_cross_entropy")
def _binary_cross_entropy():
    rng = np.random.default_rng(SEED + 2)

    def case(logits, y, label, advice=""):
        return Case((logits, y), judge_binary_cross_entropy(
            logits, y, advice=advice, numeric_grad=numeric_grad(ref_binary_cross_entropy, logits, y)), label=label)

    n = int(rng.integers(3, 20))
    yield case(random_array(rng, n, scale=3.0), rng.integers(0, 2, size=n), f"random logits, N = {n}")
    n = int(rng.integers(3, 20))
    yield case(random_array(rng, n, scale=5.0), rng.integers(0, 2, size=n).astype(np.float64),
               f"random logits, N = {n}, float labels 0.0 / 1.0")
    n = int(rng.integers(6, 20))
    logits = rng.choice([-1.0, 1.0], size=n) * rng.uniform(900.0, 1100.0, size=n)
    logits[:2] = [-1000.0, 1000.0]
    y = rng.integers(0, 2, size=n)
    y[:2] = [1, 0]
    yield case(logits, y, f"N = {n} logits of size ~1000, some confidently wrong", STABLE_BCE)
    yield case(np.array([-800.0, 800.0, 37.0, -37.0, 0.0]), np.array([0, 1, 0, 1, 1]),
               "logits (-800, 800, 37, -37, 0)", STABLE_BCE)
