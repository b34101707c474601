"""Visible checks for notebook 05 (regularisation: penalties, dropout, batch normalization).

References: TensorFlow ops differentiated by TensorFlow's autodiff (`utils.autodiff`), Keras' own
`keras.regularizers` and `keras.layers.BatchNormalization` (same conventions as the notebook:
penalty lam * sum(w**2), running = momentum * running + (1 - momentum) * batch statistic), and the
notebook's worked examples. The dropout mask is fixed by the exercise's contract
(`np.random.default_rng(seed).random(x.shape) < p`), so the checks can say which units must be
kept. TensorFlow and Keras are imported only when a check runs.
"""
import numpy as np

from ..autodiff import tf_value_and_grads
from ..gradcheck import rel_error
from .references import reference
from .core import (Case, CheckFailure, Registry, _preview, expect, expect_array, expect_close,
                   expect_tuple, random_array)

checks = Registry("05_regularization")

# ---- the notebook's worked examples -------------------------------------------------------------

#: the penalties' worked example: sum(W**2) = 14, sum(|W|) = 6, one weight exactly 0
PENALTY_W = np.array([[1.0, -2.0], [0.0, 3.0]])

#: the dropout worked example: x = 1..8, p = 0.5, seed 0 keeps the units (0,1), (0,2), (0,3)
DROPOUT_X = np.arange(1.0, 9.0).reshape(2, 4)

#: the batch-norm worked example: feature 0 has mean 4, variance 4; feature 1 mean 30, variance 400
BN_X = np.array([[2.0, 10.0], [2.0, 50.0], [6.0, 10.0], [6.0, 50.0]])
BN_GAMMA = np.array([1.0, 2.0])
BN_BETA = np.array([0.0, -1.0])


def fresh_running(d: int) -> dict:
    """The running averages a batch-norm layer starts from: mean 0, variance 1."""
    return {"mean": np.zeros(d), "var": np.ones(d)}


# ---- references: TensorFlow and Keras (computed on the instructor side,
# autograder/references/regularization.py; a student's kernel has their values for the visible
# cases only) ----------------------------------------------------------------------------------

@reference
def tf_penalty(kind: str, W, lam: float, beta: float = 0.0):
    """(penalty, gradient wrt W) of lam * sum(W**2) ("l2"), lam * sum(|W|) ("l1") or the notes'
    elastic net lam * sum(beta * W**2 + |W|) ("elastic"), by TensorFlow ops and autodiff."""


@reference
def keras_penalty(kind: str, W, lam: float, beta: float = 0.0) -> float:
    """The same penalty from `keras.regularizers` (which stores its factors in float32)."""


@reference
def tf_batchnorm(x, gamma, beta, eps: float, dout=None):
    """Train-mode batch norm by TensorFlow: (out, (x_hat, gamma, std), (mean, var), grads of sum(out * dout) or None)."""


@reference
def tf_batchnorm_frozen_stats_grads(x, gamma, beta, eps: float, dout):
    """Batch norm's gradients by TensorFlow with the batch mean and variance (wrongly) held constant."""


@reference
def keras_batchnorm(x, gamma, beta, running: dict, *, training: bool, momentum: float, eps: float):
    """One call of `keras.layers.BatchNormalization` (float64): (out, the new {"mean", "var"} moving averages)."""


# ---- judges: penalties --------------------------------------------------------------------------

PENALTY_CONVENTION = ("The penalty is lam * sum(w**2) (the notes' R(W) and keras.regularizers.L2), "
                      "so its gradient is 2 * lam * w; lam * w is the gradient of the other common "
                      "convention, (lam / 2) * sum(w**2).")
L1_AT_ZERO = ("At w = 0, |w| has no derivative; use 0 there (np.sign(0) == 0, as TensorFlow does), "
              "not +lam or -lam.")
ELASTIC_FORM = ("The notes' elastic net is lam * sum(beta * w**2 + |w|): beta weighs the squared "
                "term, and lam multiplies both.")


def _expect_number(what: str, got) -> float:
    if isinstance(got, np.ndarray) and got.ndim > 0:
        raise CheckFailure(f"{what} should be a single number (the sum over all weights), got an "
                           f"array of shape {got.shape}")
    expect(np.isscalar(got) or isinstance(got, np.ndarray),
           f"{what} should be a number, got {type(got).__name__}")
    value = float(np.asarray(got))
    expect(np.isfinite(value), f"{what} is {value}, expected a finite number")
    return value


def _known_slip(got, expected, slips) -> str:
    """The advice of the first slip `got` matches (slips: (what the slip would give, advice))."""
    got = np.asarray(got, dtype=np.float64)
    for guess, advice in slips:
        guess = np.asarray(guess, dtype=np.float64)
        if guess.shape == got.shape and rel_error(got, guess) < 1e-9 and rel_error(got, expected) > 1e-9:
            return advice
    return ""


def _close_or_explain(what: str, got, expected, slips=(), advice: str = "") -> None:
    try:
        expect_close(what, got, expected)
    except CheckFailure as exc:
        hint = _known_slip(got, expected, slips) or advice
        raise CheckFailure(f"{exc}\n  {hint}".rstrip()) from None


@reference
def penalty_slips(kind: str, W, lam: float, beta: float = 0.0):
    """Common slips as (their (value, gradient), advice)."""


def judge_penalty(name: str, kind: str, W, lam: float, beta: float = 0.0, *, numeric=None):
    """Compare (penalty, dW) with TensorFlow (and, when given, a finite-difference gradient)."""
    value_ref, grad_ref = tf_penalty(kind, W, lam, beta)
    slips = penalty_slips(kind, W, lam, beta)

    def judge(out):
        penalty, dW = expect_tuple(name, out, 2)
        penalty = _expect_number("the penalty", penalty)
        _close_or_explain("the penalty", penalty, value_ref, [(v, a) for (v, _), a in slips if v is not None])
        _close_or_explain("dW", dW, grad_ref, [(g, a) for (_, g), a in slips if g is not None])
        if numeric is not None:
            expect_close("dW (vs centered finite differences)", dW, numeric)
    return judge


# ---- judges: dropout ----------------------------------------------------------------------------

KEEP_NOT_DROP = ("p is the probability of KEEPING a unit (the notes' p): keep where "
                 "rng.random(x.shape) < p. Keras' Dropout(rate) uses the drop probability, rate = 1 - p.")
NOT_SCALED = ("The kept units were not scaled. This is inverted dropout: divide the kept units by p "
              "during training, so that the expected output equals x and the test-time layer is the "
              "identity. (Leaving them unscaled is the classic form, which multiplies by p at test time.)")
WRONG_SCALE = "The kept units must be divided by p, the keep probability (not by 1 - p, not multiplied)."
CLASSIC_TEST = ("In test mode inverted dropout is the identity: out = x. Multiplying by p at test time "
                "is the classic form, for a training pass that did not divide by p.")
MASK_FROM_SEED = ("Draw the mask from the seed you are given, exactly as the docstring says: "
                  "rng = np.random.default_rng(seed); keep = rng.random(x.shape) < p "
                  "(one draw per entry of x, nothing drawn before it).")


def keep_mask(shape, p: float, seed) -> np.ndarray:
    """The units the exercise's contract keeps for this seed (a boolean array)."""
    return np.random.default_rng(seed).random(shape) < p


def judge_dropout_forward(x, p: float, mode: str, seed=None):
    x = np.asarray(x, dtype=np.float64)
    keep = keep_mask(x.shape, p, seed) if mode == "train" else np.ones(x.shape, dtype=bool)
    scale = np.where(keep, 1.0 / p, 0.0) if mode == "train" else np.ones(x.shape)

    def judge(out):
        result, cache = expect_tuple("dropout_forward", out, 2)
        result = expect_array("out", result, shape=x.shape)
        if mode == "test":
            if rel_error(result, p * x) < 1e-12 and p != 1.0:
                raise CheckFailure(f"out is p * x in test mode. {CLASSIC_TEST}")
            _close_or_explain("out (test mode)", result, x, advice=CLASSIC_TEST)
        else:
            kept = result != 0
            if not np.array_equal(kept, keep):
                frac, n = float(kept.mean()), x.size
                swapped = np.array_equal(kept, ~keep) or (abs(frac - (1 - p)) < abs(frac - p) and abs(p - 0.5) > 0.1)
                hint = KEEP_NOT_DROP if swapped else MASK_FROM_SEED
                raise CheckFailure(
                    f"the wrong units were dropped: {int(np.sum(kept != keep))} of {n} differ from the "
                    f"mask the seed gives; you kept {frac:.1%} of the units, p = {p}.\n  {hint}")
            for guess, advice in ((x * keep, NOT_SCALED), (x * keep / (1 - p) if p < 1 else None, WRONG_SCALE),
                                  (x * keep * p, WRONG_SCALE)):
                if guess is not None and rel_error(guess, x * scale) > 1e-12 and rel_error(result, guess) < 1e-12:
                    raise CheckFailure(f"out is wrong: the kept units hold {_preview(result[keep])}, "
                                       f"expected {_preview(x[keep] / p)}.\n  {advice}")
            _close_or_explain("out", result, x * scale)
        _close_or_explain("the cache (the array x was multiplied by)", cache, scale,
                          advice="The cache is the array that multiplied x: 1/p where a unit was kept, 0 "
                                 "where it was dropped (all ones in test mode).")
    return judge


def judge_dropout_backward(cache, dout, *, numeric=None):
    """dx = dout * cache, the gradient of sum(out * dout) with out = x * cache, by TensorFlow."""
    cache = np.asarray(cache, dtype=np.float64)
    _, (dx_ref,) = tf_value_and_grads(lambda x: x * cache, [np.zeros_like(cache)], upstream=dout)

    def judge(out):
        if isinstance(out, tuple) and len(out) == 1:   # (dx,) is accepted as well as dx
            out = out[0]
        if isinstance(out, tuple):
            raise CheckFailure(f"dropout_backward should return dx, one array (the layer has one input), "
                               f"got a tuple of {len(out)}")
        _close_or_explain("dx", out, dx_ref,
                          advice="The gradient flows only through the kept units, scaled like them: "
                                 "dx = dout * cache.")
        if numeric is not None:
            expect_close("dx (vs centered finite differences)", out, numeric)
    return judge


# ---- judges: batch normalization -------------------------------------------------------------------

NO_EPS = ("Add eps to the variance before the square root: sqrt(var + eps). Without it a feature that "
          "is constant over the batch (variance 0) gives 0/0 = NaN; with it, x_hat = 0.")
CANCELLATION = ("With x near 1e6, var = mean(x**2) - mean(x)**2 subtracts two numbers near 1e12 and "
                "loses most digits (catastrophic cancellation). Compute var = mean((x - mean)**2).")
TEST_USES_BATCH = ("In test mode, normalise with the running averages (running['mean'], "
                   "running['var']), not with the statistics of the batch you are given: at test time "
                   "the output for one example must not depend on the other examples in its batch.")
RUNNING_UPDATE = ("The running averages are exponential moving averages of the batch statistics: "
                  "new = momentum * running + (1 - momentum) * batch (the batch variance divides by N), "
                  "as in keras.layers.BatchNormalization. Test mode leaves them unchanged.")
BN_CACHE = ("The cache must be the tuple (x_hat, gamma, std): the normalised input (N, D), gamma (D,), "
            "and std = sqrt(var + eps) (D,), what batchnorm_backward receives.")
# The backward pass is the student's to derive (the notebook teaches the method, not the formula):
# the messages name the path or rule that was missed, never the answer. A wrong dx is diagnosed
# by two invariances of batch norm that any right answer has (shifting a feature's examples by the
# same amount changes nothing, so sum_i dx = 0; stretching them about their mean changes x_hat only
# through eps, so sum_i dx * x_hat is the reference's value, near 0): an error on the path through
# the mean breaks the first, one on the path through the variance the second.
BN_PATHS = ("x_ij reaches the loss on three paths: directly (x -> c -> x_hat), through the mean mu_j "
            "and through the variance v_j, both used by every example of feature j. A variable used "
            "on several paths gets the sum of the gradients along all of them; walk the notebook's "
            "table of nodes from the bottom up, one line per node.")
STATS_ARE_CONSTANT = ("That is the gradient with the batch mean and variance held constant: only the "
                      "direct path. " + BN_PATHS)
MEAN_PATH = ("The sum of dx over the batch should be 0 for every feature: adding the same number to "
             "every x_ij of a feature moves its mean by as much and changes no x_hat, so the loss "
             "cannot change. Look at the path through the mean: c = x - mu uses mu in every row "
             "(broadcast: sum the rows' gradients), and mu = mean(x) sends its gradient / N back to "
             "every x_ij, to be added to what x gets directly.")
VARIANCE_PATH = ("The sum over the batch of dx * x_hat should be (close to) 0 for every feature: "
                 "stretching a feature about its mean changes x_hat only through eps. Look at the path "
                 "through the variance: c is used directly in x_hat = c / std and through "
                 "v = mean(c**2) and std = sqrt(v + eps), both used by every row; c's gradient is the "
                 "sum of the two, and it is c's gradient that continues to x and to mu.")
GAMMA_IN_DX = ("dx is what you would get with gamma = 1. The gradient that reaches x_hat comes from "
               "y = gamma * x_hat + beta, a multiply gate: it swaps.")
DIRECT_PATH = ("Both invariances hold (sum over the batch of dx is 0, and of dx * x_hat is near 0), "
               "so the paths through the mean and the variance are wired up; check the factors on the "
               "way: the gradient arriving at x_hat, the divide node x_hat = c / std, the 1 / N of "
               "each mean.")
SUM_OVER_BATCH = ("gamma_j (and beta_j) is used in every row of the batch (broadcast), and a variable "
                  "used on several paths gets the sum of their gradients: sum over the examples, "
                  "axis=0, one entry per feature.")
WRONG_AXIS = ("One entry per feature: gamma_j and beta_j are shared by the N examples, so sum over "
              "the examples (axis=0), not over the features.")
DGAMMA = ("In y = gamma * x_hat + beta, gamma_j meets x_hat_ij at a multiply gate in every example i; "
          "add up what the N uses send back.")
DBETA = ("In y = gamma * x_hat + beta, beta_j meets the product at an add gate in every example i; add "
         "up what the N uses send back.")


def _expect_running(got, expected: dict, *, advice: str = RUNNING_UPDATE) -> None:
    expect(isinstance(got, dict), f"the new running averages should be a dict with keys 'mean' and "
                                  f"'var', got {type(got).__name__}")
    missing = [k for k in ("mean", "var") if k not in got]
    expect(not missing, f"the new running averages are missing the key(s) {missing}")
    for key in ("mean", "var"):
        _close_or_explain(f'the new running["{key}"]', got[key], expected[key], advice=advice)


def judge_batchnorm_forward(x, gamma, beta, running: dict, mode: str, momentum: float, eps: float,
                            *, advice: str = ""):
    """Train mode: out and cache vs TensorFlow, running averages vs Keras. Test mode: out and
    running averages vs Keras, cache None."""
    x = np.asarray(x, dtype=np.float64)
    train = mode == "train"
    out_keras, running_keras = keras_batchnorm(x, gamma, beta, running, training=train,
                                               momentum=momentum, eps=eps)
    # train mode: out and cache from TensorFlow; test mode: out from Keras. `batch_out` is x
    # normalised with its own batch statistics: what test mode must NOT return.
    batch_out, cache_ref, _, _ = tf_batchnorm(x, gamma, beta, eps)
    out_ref = batch_out if train else out_keras
    slips = [(tf_batchnorm(x, gamma, beta, 0.0)[0], NO_EPS)] if train else []
    running_ref = running_keras if train else {k: np.array(v, dtype=np.float64) for k, v in running.items()}

    def judge(got):
        out, cache, new_running = expect_tuple("batchnorm_forward", got, 3)
        out_arr = np.asarray(out) if isinstance(out, (np.ndarray, list)) else out
        if isinstance(out_arr, np.ndarray) and out_arr.dtype.kind == "f" and out_arr.shape == x.shape \
                and not np.all(np.isfinite(out_arr)):
            raise CheckFailure(f"out contains NaN/inf: {_preview(out_arr)}. {NO_EPS if train else ''}".rstrip())
        if not train and isinstance(out_arr, np.ndarray) and out_arr.shape == x.shape \
                and rel_error(out_arr, batch_out) < 1e-9 and rel_error(batch_out, out_ref) > 1e-6:
            raise CheckFailure(f"out (test mode) was normalised with the batch's own mean and variance.\n"
                               f"  {TEST_USES_BATCH}")
        _close_or_explain("out", out, out_ref, slips, advice=advice)
        if train:
            expect(isinstance(cache, tuple) and len(cache) == 3, BN_CACHE)
            for what, g, ref in zip(("x_hat", "gamma", "std"), cache, cache_ref):
                _close_or_explain(f"the cache's {what}", g, ref, advice=BN_CACHE)
        else:
            expect(cache is None, f"in test mode the cache should be None (nothing is differentiated at "
                                  f"test time), got {type(cache).__name__}")
        _expect_running(new_running, running_ref,
                        advice=RUNNING_UPDATE if train else "Test mode must return the running averages unchanged.")
    return judge


def _dx_diagnosis(dx, x_hat, dx_ref) -> str:
    """Which path an (N, D) dx got wrong, from the invariances a right answer has ("" when it
    cannot tell: a wrong shape or non-finite entries)."""
    dx = np.asarray(dx) if isinstance(dx, (np.ndarray, list)) else None
    if dx is None or dx.shape != np.shape(dx_ref) or dx.dtype.kind not in "fi" or not np.all(np.isfinite(dx)):
        return ""
    size = max(float(np.abs(dx_ref).sum(axis=0).max()), 1e-300)
    shift_off = np.abs(dx.sum(axis=0) - dx_ref.sum(axis=0)).max() > 1e-6 * size
    stretch_off = np.abs((dx * x_hat).sum(axis=0) - (dx_ref * x_hat).sum(axis=0)).max() > 1e-6 * size
    if shift_off and stretch_off:
        return (f"Neither invariance holds: the sums over the batch of dx (should be 0) and of dx * x_hat "
                f"(should be close to 0) are {_preview(dx.sum(axis=0))} and {_preview((dx * x_hat).sum(axis=0))}. "
                f"{BN_PATHS}")
    if shift_off:
        return f"{MEAN_PATH}\n  (yours: {_preview(dx.sum(axis=0))})"
    if stretch_off:
        return (f"{VARIANCE_PATH}\n  (yours: {_preview((dx * x_hat).sum(axis=0))}, expected "
                f"{_preview((dx_ref * x_hat).sum(axis=0))})")
    return DIRECT_PATH


def _per_feature(what: str, got, n: int, d: int, rule: str) -> None:
    """dgamma / dbeta must have one entry per feature: name a missing or misdirected sum."""
    shape = np.shape(got) if isinstance(got, (np.ndarray, list, float, int, np.generic)) else None
    if shape is None or shape == (d,):
        return
    if shape == (n, d):
        raise CheckFailure(f"{what} has shape {shape}, expected ({d},): not summed over the batch. {SUM_OVER_BATCH}")
    if shape == (n,):
        raise CheckFailure(f"{what} has shape {shape}, expected ({d},). {WRONG_AXIS}")
    raise CheckFailure(f"{what} has shape {shape}, expected ({d},): one entry per feature. {rule}")


def judge_batchnorm_backward(x, gamma, beta, eps: float, dout, *, numeric=None):
    """(dx, dgamma, dbeta) vs TensorFlow autodiff (and finite differences when given); a wrong dx
    is explained by the path it missed (see `_dx_diagnosis`)."""
    _, cache, _, grads = tf_batchnorm(x, gamma, beta, eps, dout)
    frozen = tf_batchnorm_frozen_stats_grads(x, gamma, beta, eps, dout)
    gamma_one = tf_batchnorm(x, np.ones_like(gamma), beta, eps, dout)[3]     # dx as if gamma were 1
    n, d = np.shape(x)

    def judge(out):
        got = expect_tuple("batchnorm_backward", out, 3)
        _per_feature("dgamma", got[1], n, d, DGAMMA)
        _per_feature("dbeta", got[2], n, d, DBETA)
        _close_or_explain("dx", got[0], grads[0], [(frozen[0], STATS_ARE_CONSTANT), (gamma_one[0], GAMMA_IN_DX)],
                          advice=_dx_diagnosis(got[0], cache[0], grads[0]))
        _close_or_explain("dgamma", got[1], grads[1], advice=DGAMMA)
        _close_or_explain("dbeta", got[2], grads[2], advice=DBETA)
        if numeric is not None:
            for what, g, ref in zip(("dx", "dgamma", "dbeta"), got, numeric):
                expect_close(f"{what} (vs centered finite differences)", g, ref)
    return judge


def bn_cache(x, gamma, eps: float):
    """The train-mode cache (x_hat, gamma, std) of batch norm on x, from TensorFlow."""
    return tf_batchnorm(x, gamma, np.zeros_like(gamma), eps)[1]


# ---- the checks ---------------------------------------------------------------------------------

@checks.exercise("l2_penalty")
def _l2():
    yield Case((PENALTY_W.copy(), 0.1), judge_penalty("l2_penalty", "l2", PENALTY_W, 0.1),
               label="the notebook's W = [[1, -2], [0, 3]], lam = 0.1: penalty 1.4, dW = 0.2 * W")
    W = random_array(np.random.default_rng(50), 3, 4, 2)

    def judge_keras(out):
        judge_penalty("l2_penalty", "l2", W, 0.25)(out)
        expect_close("the penalty (vs keras.regularizers.L2(0.25))", out[0], keras_penalty("l2", W, 0.25))

    yield Case((W, 0.25), judge_keras, label="a random (3, 4, 2) W, lam = 0.25, vs keras.regularizers.L2")


@checks.exercise("l1_penalty")
def _l1():
    yield Case((PENALTY_W.copy(), 0.1), judge_penalty("l1_penalty", "l1", PENALTY_W, 0.1),
               label="the notebook's W = [[1, -2], [0, 3]], lam = 0.1: penalty 0.6, dW = 0.1 * sign(W) (0 where w = 0)")
    W = random_array(np.random.default_rng(51), 5, 3)

    def judge_keras(out):
        judge_penalty("l1_penalty", "l1", W, 0.5)(out)
        expect_close("the penalty (vs keras.regularizers.L1(0.5))", out[0], keras_penalty("l1", W, 0.5))

    yield Case((W, 0.5), judge_keras, label="a random (5, 3) W, lam = 0.5, vs keras.regularizers.L1")


@checks.exercise("elastic_penalty")
def _elastic():
    yield Case((PENALTY_W.copy(), 0.1, 0.5), judge_penalty("elastic_penalty", "elastic", PENALTY_W, 0.1, 0.5),
               label="the notebook's W, lam = 0.1, beta = 0.5: penalty 0.1 * (0.5 * 14 + 6) = 1.3")
    W = random_array(np.random.default_rng(52), 4, 6)

    def judge_keras(out):
        judge_penalty("elastic_penalty", "elastic", W, 0.5, 0.25)(out)
        expect_close("the penalty (vs keras.regularizers.L1L2(l1=0.5, l2=0.125))", out[0],
                     keras_penalty("elastic", W, 0.5, 0.25))

    yield Case((W, 0.5, 0.25), judge_keras,
               label="a random (4, 6) W, lam = 0.5, beta = 0.25, vs keras.regularizers.L1L2(l1=lam, l2=lam*beta)")


@checks.exercise("dropout_forward")
def _dropout_forward():
    yield Case((DROPOUT_X.copy(), 0.5, "train", 0), judge_dropout_forward(DROPOUT_X, 0.5, "train", 0),
               label="the notebook's example: x = 1..8, p = 0.5, seed 0 keeps x = 2, 3, 4")
    x = random_array(np.random.default_rng(53), 100, 40, away_from_zero=1e-3)
    yield Case((x, 0.8, "train", 1), judge_dropout_forward(x, 0.8, "train", 1),
               label="a random (100, 40) x, p = 0.8 (keep 80%), seed 1")
    yield Case((x[:5], 0.8, "test", 1), judge_dropout_forward(x[:5], 0.8, "test", 1),
               label="test mode, p = 0.8: the identity")
    yield Case((x[:3], 1.0, "train", 2), judge_dropout_forward(x[:3], 1.0, "train", 2),
               label="p = 1: every unit is kept")
    yield Case((x[:6], 0.3, "train", np.random.default_rng(4)), judge_dropout_forward(x[:6], 0.3, "train", 4),
               label="seed given as a np.random.Generator (default_rng(4)), p = 0.3")


@checks.exercise("dropout_backward")
def _dropout_backward():
    cache = np.where(keep_mask(DROPOUT_X.shape, 0.5, 0), 2.0, 0.0)
    dout = np.arange(8.0).reshape(2, 4) - 3.0
    yield Case((dout, cache), judge_dropout_backward(cache, dout),
               label="the notebook's example's cache (2 where kept, 0 where dropped), dout = [[-3, -2, -1, 0], [1, 2, 3, 4]]")
    rng = np.random.default_rng(54)
    cache = np.where(keep_mask((6, 5), 0.75, 3), 1 / 0.75, 0.0)
    dout = random_array(rng, 6, 5)
    yield Case((dout, cache), judge_dropout_backward(cache, dout), label="a random dout, p = 0.75, vs TensorFlow")
    yield Case((dout, np.ones((6, 5))), judge_dropout_backward(np.ones((6, 5)), dout),
               label="a test-mode cache (all ones): dx = dout")


@checks.exercise("batchnorm_forward")
def _batchnorm_forward():
    yield Case((BN_X.copy(), BN_GAMMA.copy(), BN_BETA.copy(), fresh_running(2), "train"),
               judge_batchnorm_forward(BN_X, BN_GAMMA, BN_BETA, fresh_running(2), "train", 0.9, 1e-5),
               label="the notebook's worked example (train mode, momentum 0.9, eps 1e-5): new running "
                     "mean (0.4, 3.0), var (1.3, 40.9)")
    rng = np.random.default_rng(55)
    x, gamma, beta = random_array(rng, 16, 5, scale=3.0) + 2.0, random_array(rng, 5), random_array(rng, 5)
    running = {"mean": random_array(rng, 5), "var": rng.uniform(0.5, 2.0, 5)}
    kw = dict(momentum=0.99, eps=1e-3)
    yield Case((x, gamma, beta, running, "train"), judge_batchnorm_forward(x, gamma, beta, running, "train", **kw),
               kwargs=kw, label="a random (16, 5) batch, Keras' defaults momentum 0.99, eps 1e-3, vs "
                                "keras.layers.BatchNormalization(training=True)")
    yield Case((x, gamma, beta, running, "test"), judge_batchnorm_forward(x, gamma, beta, running, "test", **kw),
               kwargs=kw, label="the same batch in test mode, vs keras.layers.BatchNormalization(training=False)")
    yield Case((x[:1], gamma, beta, running, "test"), judge_batchnorm_forward(x[:1], gamma, beta, running, "test", **kw),
               kwargs=kw, label="test mode on a single example")
    big = random_array(rng, 10, 3) + 1e6
    big[:, 2] = 7.0
    yield Case((big, gamma[:3], beta[:3], fresh_running(3), "train"),
               judge_batchnorm_forward(big, gamma[:3], beta[:3], fresh_running(3), "train", 0.9, 1e-5,
                                       advice=CANCELLATION),
               label="features near 1e6, and a constant feature (variance 0)")


@checks.exercise("batchnorm_backward")
def _batchnorm_backward():
    dout = np.array([[1.0, 0.5], [-2.0, 0.0], [0.5, 1.0], [0.0, -1.0]])
    yield Case((dout, bn_cache(BN_X, BN_GAMMA, 1e-5)), judge_batchnorm_backward(BN_X, BN_GAMMA, BN_BETA, 1e-5, dout),
               label="the worked example's cache, dout = [[1, 0.5], [-2, 0], [0.5, 1], [0, -1]]")
    rng = np.random.default_rng(56)
    x, gamma, beta, dout = random_array(rng, 8, 4, scale=2.0), random_array(rng, 4), random_array(rng, 4), random_array(rng, 8, 4)
    yield Case((dout, bn_cache(x, gamma, 1e-5)), judge_batchnorm_backward(x, gamma, beta, 1e-5, dout),
               label="a random (8, 4) batch, vs TensorFlow autodiff")
