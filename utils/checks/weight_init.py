"""Visible checks for notebook 04 (weight initialisation and activations).

- `leaky_relu_forward` / `leaky_relu_backward`: compared with TensorFlow (`tf.where(x > 0, x, alpha * x)`
  for the values, its autodiff for both gradients) and the notebook's worked example.
- `layer_activation_stats`: compared with the same network run in TensorFlow, and a worked example
  small enough to do by hand.
- `xavier_init` / `he_init`: random, so judged *statistically* against the standard deviation the
  notes prescribe (worked out by hand in each case's label). How wide the bands are, and why, is
  explained at `expect_gaussian_init`.

The TensorFlow references and the initialisers' target stds are declared here and computed on the
instructor side (utils.checks.references); TensorFlow is imported only when a check runs.
"""
from __future__ import annotations

import math

import numpy as np

from ..gradcheck import rel_error
from .references import reference
from .core import (Case, CheckFailure, Registry, _preview, expect, expect_array, expect_close,
                   expect_tuple, random_array)

checks = Registry("04_weight_init")


# ==== initialisers: statistical judging ===========================================================
#
# W holds n = fan_in * fan_out draws that should be independent N(0, sigma^2). For such a sample
#   - the sample mean m is exactly N(0, sigma^2 / n);
#   - the sample standard deviation s has sd(s) ~ sigma / sqrt(2n) (delta method: Var(s^2) =
#     2 sigma^4 / (n - 1)), so s / sigma ~ N(1, 1 / (2n));
#   - the sample excess kurtosis k = m4 / s^4 - 3 has sd(k) ~ sqrt(24 / n), and is slightly
#     right-skewed (skewness ~ 15 / sqrt(n), 0.1 at n = 16384).
# A correct initialiser is accepted when each statistic is within Z_MOMENT (mean, std) or
# Z_KURTOSIS (kurtosis) standard errors of its target. A normal variable lies beyond 6 standard
# errors with probability 2.0e-9, so even over the ~40 statistics that the visible and hidden checks
# of both initialisers test, a correct initialiser fails with probability < 1e-7 (< 1e-6 asked).
# The kurtosis band is wider (8) to cover its skew. Every case has at least MIN_DRAWS draws, so the
# std band is at most +-3.3 % and the kurtosis band +-0.31: a wrong fan (fan_out for fan_in,
# Glorot's fan average), a missing factor sqrt(2), a std of 1, a uniform (excess kurtosis -1.2) or
# a 2-sigma truncated normal (-0.63) all land far outside (tests/test_weight_init.py plants them).
# Duplicated neurons (equal columns) are caught exactly, before any statistics.

Z_MOMENT = 6.0
Z_KURTOSIS = 8.0
MIN_DRAWS = 16_384


def sample_statistics(W) -> tuple[float, float, float]:
    """(mean, standard deviation, excess kurtosis) of all entries of W."""
    w = np.asarray(W, dtype=np.float64).ravel()
    mean, std = float(w.mean()), float(w.std())
    kurtosis = float(np.mean((w - mean) ** 4) / std ** 4 - 3.0) if std > 0 else float("nan")
    return mean, std, kurtosis


def std_band(n: int) -> float:
    """Half-width of the accepted band for s / sigma with n draws."""
    return Z_MOMENT / math.sqrt(2 * n)


def kurtosis_band(n: int) -> float:
    return Z_KURTOSIS * math.sqrt(24.0 / n)


def expect_gaussian_init(what: str, W, shape, std: float, *, formula: str, alternatives=()) -> None:
    """W must look like `shape` independent draws from N(0, std^2).

    `alternatives` are (std, advice) pairs for common slips: when W's std matches one of them
    instead, the failure message says which slip it looks like.
    """
    W = expect_array(what, W, shape=shape)
    n = W.size
    if n < MIN_DRAWS:
        raise ValueError(f"a statistical case needs >= {MIN_DRAWS} draws, got {n}")

    # Symmetry first: no two neurons (columns) may start alike, nor two rows. Two columns of >= 64
    # independent continuous draws are never exactly equal.
    for axis, who in ((1, "columns (neurons)"), (0, "rows")):
        distinct = np.unique(W, axis=axis).shape[axis]
        expect(distinct == W.shape[axis],
               f"{what} has only {distinct} distinct {who} out of {W.shape[axis]}: identical neurons "
               f"compute the same thing and get the same updates forever (symmetry). Draw every entry "
               f"independently.")

    mean, s, kurt = sample_statistics(W)
    band = std_band(n)
    if abs(s / std - 1.0) > band:
        for alt_std, advice in alternatives:
            if abs(s / alt_std - 1.0) <= band:
                raise CheckFailure(f"the standard deviation of {what} is {s:.5g}, expected {formula} = "
                                   f"{std:.5g}. {advice}")
        raise CheckFailure(f"the standard deviation of {what} is {s:.5g}, expected {formula} = {std:.5g} "
                           f"(accepted: {std * (1 - band):.5g} .. {std * (1 + band):.5g} for {n} draws; "
                           f"the ratio you got is {s / std:.3f})")

    expect(abs(mean) <= Z_MOMENT * std / math.sqrt(n),
           f"the mean of {what} is {mean:.3g}; weights should be centred on 0 (expected |mean| <= "
           f"{Z_MOMENT * std / math.sqrt(n):.2g} for {n} draws with std {std:.4g})")

    kband = kurtosis_band(n)
    if abs(kurt) > kband:
        shape_hint = ""
        if abs(kurt + 1.2) <= kband:
            shape_hint = " That is the kurtosis of a uniform distribution: draw from a normal (Gaussian)."
        elif abs(kurt + 0.6337) <= kband:
            shape_hint = (" That is a normal truncated at 2 standard deviations (what Keras' "
                          "LecunNormal/HeNormal draw): this exercise asks for a plain Gaussian, as in the notes.")
        raise CheckFailure(f"{what} does not look Gaussian: its excess kurtosis is {kurt:.3f}, a normal "
                           f"sample of {n} gives 0 +- {kband:.2f}.{shape_hint}")


def judge_rng_use(what: str, memo: dict, mode: str):
    """Judge for the reproducibility cases: an initialiser must draw from the generator it is given.

    Three cases run in order with generators seeded 7, 7 and 8: the first output is stored in `memo`
    (`mode="store"`), the second must equal it (`"same"`), the third must differ (`"differ"`).
    """
    def judge(out):
        W = expect_array(what, out)
        if mode == "store":   # the first output this case sees (the build judges near misses after it)
            memo.setdefault("first", W.copy())
            return
        first = memo.get("first")
        equal = first is not None and first.shape == W.shape and np.array_equal(first, W)
        if mode == "same":
            expect(equal, f"{what}: two calls with generators in the same state returned different "
                          f"weights. Draw from the `rng` argument (e.g. rng.standard_normal), not from "
                          f"np.random, so that a seed makes the weights reproducible.")
        else:
            expect(not equal, f"{what}: generators seeded differently returned the same weights. Draw "
                              f"from the `rng` argument instead of creating your own generator.")
    return judge


def init_cases(name: str, std_of, formula: str, alternatives_of, shapes, seed: int):
    """Statistical cases for `shapes` (fan_in, fan_out), then the reproducibility cases."""
    for k, (fan_in, fan_out) in enumerate(shapes):
        std = std_of(fan_in)
        stated = formula.format(fan_in=fan_in)

        def judge(out, fan_in=fan_in, fan_out=fan_out, std=std, stated=stated):
            expect_gaussian_init(f"{name}({fan_in}, {fan_out})", out, (fan_in, fan_out), std,
                                 formula=stated, alternatives=alternatives_of(fan_in, fan_out))

        yield Case((fan_in, fan_out, np.random.default_rng(seed + k)), judge,
                   label=f"fan_in={fan_in}, fan_out={fan_out}: expected std {stated} = {std:.5g}")
    memo: dict = {}
    fan_in, fan_out = shapes[0]
    for state, mode in ((7, "store"), (7, "same"), (8, "differ")):
        yield Case((fan_in, fan_out, np.random.default_rng(state)), judge_rng_use(name, memo, mode),
                   label=f"a generator seeded {state}: the weights must come from the rng argument")


# The target standard deviations are the exercises' formulas: computed on the instructor side
# (autograder/references/weight_init.py); a student's kernel has their values for the visible cases.

@reference
def xavier_std(fan_in) -> float:
    """The notes' Xavier std for `fan_in` inputs (Keras: VarianceScaling(1.0, "fan_in"), LecunNormal)."""


@reference
def he_std(fan_in) -> float:
    """He's std for `fan_in` inputs (Keras: VarianceScaling(2.0, "fan_in"), HeNormal)."""


XAVIER_FORMULA = "1/sqrt(fan_in) = 1/sqrt({fan_in})"
HE_FORMULA = "sqrt(2/fan_in) = sqrt(2/{fan_in})"


def xavier_alternatives(fan_in, fan_out):
    return [(1.0 / math.sqrt(fan_out), "That is 1/sqrt(fan_out): use fan_in, the number of inputs of each neuron "
                                       "(the rows of W)."),
            (math.sqrt(2.0 / (fan_in + fan_out)), "That is Glorot's sqrt(2/(fan_in + fan_out)) (Keras' GlorotNormal). "
                                                  "This course follows the notes: Xavier = 1/sqrt(fan_in)."),
            (he_std(fan_in), "That is He's sqrt(2/fan_in), which is for ReLU: Xavier has no factor 2."),
            (1.0, "That is a standard normal (std 1): divide by sqrt(fan_in)."),
            (1.0 / fan_in, "That is 1/fan_in: the *variance* is 1/fan_in, so the std is its square root.")]


def he_alternatives(fan_in, fan_out):
    return [(math.sqrt(2.0 / fan_out), "That is sqrt(2/fan_out): use fan_in, the number of inputs of each neuron "
                                       "(the rows of W)."),
            (xavier_std(fan_in), "That is Xavier's 1/sqrt(fan_in): He adds a factor 2 to the variance for ReLU."),
            (math.sqrt(fan_in / 2.0), "That is sqrt(fan_in/2): the notes *divide* by sqrt(fan_in/2)."),
            (2.0 / fan_in, "That is 2/fan_in: the *variance* is 2/fan_in, so the std is its square root."),
            (math.sqrt(4.0 / (fan_in + fan_out)), "That is sqrt(4/(fan_in + fan_out)), Glorot's fan average with a "
                                                  "factor 2: He uses fan_in alone."),
            (1.0, "That is a standard normal (std 1): scale it by sqrt(2/fan_in).")]


@checks.exercise("xavier_init")
def _xavier():
    # (784, 256): Fashion-MNIST's first layer; (64, 512): fan_out 8x fan_in; (512, 128).
    yield from init_cases("xavier_init", xavier_std, XAVIER_FORMULA, xavier_alternatives,
                          [(784, 256), (64, 512), (512, 128)], seed=40)


@checks.exercise("he_init")
def _he():
    yield from init_cases("he_init", he_std, HE_FORMULA, he_alternatives,
                          [(784, 256), (64, 512), (512, 128)], seed=41)


# ==== leaky ReLU / PReLU ===========================================================================

# references: TensorFlow (computed on the instructor side, autograder/references/weight_init.py;
# a student's kernel has their values for the visible cases only)

@reference
def tf_leaky_relu(x, alpha) -> np.ndarray:
    """Leaky ReLU's forward values in TensorFlow, float64 throughout."""


@reference
def tf_leaky_relu_grads(x, alpha, dout):
    """(dx, dalpha) of sum(leaky_relu(x, alpha) * dout) by TensorFlow autodiff (alpha a variable, as in PReLU)."""


ZERO_SLOPE = ("At x == 0 use the slope alpha (only x > 0 gets slope 1), as TensorFlow's leaky_relu does: "
              "test x > 0, not x >= 0.")


def judge_leaky_forward(x, alpha, *, known=None):
    expected = tf_leaky_relu(x, alpha)

    def judge(out):
        y, cache = expect_tuple("leaky_relu_forward", out, 2)
        expect_close("out", y, expected)
        if known is not None:
            expect_close("out (the notebook's worked example)", y, known)
        expect(isinstance(cache, tuple) and len(cache) == 2,
               f"cache should be the tuple (x, alpha), got {type(cache).__name__}"
               + (f" of length {len(cache)}" if isinstance(cache, tuple) else ""))
        cx, calpha = cache
        cx = expect_array("cache[0] (x)", cx, shape=np.shape(x))
        expect(np.array_equal(cx, x),
               f"cache[0] should be the input x, unchanged; got {_preview(cx)}, expected {_preview(x)}. "
               f"Did you modify x in place (x[x < 0] *= alpha)? Compute a new array instead.")
        expect(np.ndim(calpha) == 0 and float(calpha) == float(alpha),
               f"cache[1] should be alpha = {alpha}, got {calpha!r}")
    return judge


def judge_leaky_backward(x, alpha, dout, *, numeric=None, known=None):
    """Compare with TensorFlow autodiff (and, when given, finite differences `numeric` = (dx, dalpha))."""
    dx_ref, dalpha_ref = tf_leaky_relu_grads(x, alpha, dout)
    has_zero = bool(np.any(np.asarray(x) == 0))

    def judge(out):
        dx, dalpha = expect_tuple("leaky_relu_backward", out, 2)
        dx = expect_array("dx", dx, shape=np.shape(x))
        if has_zero and rel_error(dx, dx_ref) > 1e-7:
            where_x_nonzero = np.asarray(x) != 0
            if rel_error(dx[where_x_nonzero], dx_ref[where_x_nonzero]) <= 1e-7:
                raise CheckFailure(f"dx is wrong where x == 0.\n  expected: {_preview(dx_ref)}\n"
                                   f"  got:      {_preview(dx)}\n  {ZERO_SLOPE}")
        expect_close("dx", dx, dx_ref)
        expect(np.ndim(dalpha) == 0, f"dalpha should be a single number (alpha is one scalar shared by all "
                                     f"entries), got shape {np.shape(dalpha)}")
        if rel_error(dalpha, dalpha_ref) > 1e-7:
            masked_all = float(np.sum(np.asarray(dout) * np.asarray(x)))
            if dalpha_ref != masked_all and rel_error(dalpha, masked_all) <= 1e-9:
                raise CheckFailure(f"dalpha is {float(dalpha):.6g}, expected {dalpha_ref:.6g}: you summed dout * x "
                                   f"over all entries, but alpha only acts where x <= 0.")
        expect_close("dalpha", dalpha, dalpha_ref)
        if known is not None:
            expect_close("dx (the notebook's worked example)", dx, known[0])
            expect_close("dalpha (the notebook's worked example)", dalpha, known[1])
        if numeric is not None:
            expect_close("dx (vs centered finite differences)", dx, numeric[0])
            expect_close("dalpha (vs centered finite differences)", dalpha, numeric[1])
    return judge


#: the notebook's worked example
LEAKY_X = np.array([-2.0, -0.5, 0.0, 1.5, 3.0])
LEAKY_ALPHA = 0.1


@checks.exercise("leaky_relu_forward")
def _leaky_forward():
    yield Case((LEAKY_X.copy(), LEAKY_ALPHA),
               judge_leaky_forward(LEAKY_X, LEAKY_ALPHA, known=[-0.2, -0.05, 0.0, 1.5, 3.0]),
               label="the worked example x = (-2, -0.5, 0, 1.5, 3), alpha = 0.1")
    rng = np.random.default_rng(44)
    x = random_array(rng, 4, 5)
    yield Case((x, 0.01), judge_leaky_forward(x, 0.01), label="a random (4, 5) array, alpha = 0.01")
    x = random_array(rng, 2, 3, 4, scale=3.0)
    yield Case((x, 0.25), judge_leaky_forward(x, 0.25), label="a random (2, 3, 4) array, alpha = 0.25 (PReLU's start)")


@checks.exercise("leaky_relu_backward")
def _leaky_backward():
    ones = np.ones_like(LEAKY_X)
    yield Case((ones, (LEAKY_X.copy(), LEAKY_ALPHA)),
               judge_leaky_backward(LEAKY_X, LEAKY_ALPHA, ones, known=([0.1, 0.1, 0.1, 1.0, 1.0], -2.5)),
               label="the worked example, dout = 1: dx = (0.1, 0.1, 0.1, 1, 1), dalpha = -2.5")
    rng = np.random.default_rng(45)
    for shape, alpha in (((4, 5), 0.01), ((2, 3, 4), 0.25)):
        x, dout = random_array(rng, *shape, away_from_zero=1e-3), random_array(rng, *shape)
        yield Case((dout, (x, alpha)), judge_leaky_backward(x, alpha, dout),
                   label=f"a random {shape} array, alpha = {alpha}, random dout")


# ==== per-layer activation statistics ==============================================================

def identity(z):
    return z


def relu(z):
    return np.maximum(z, 0.0)


def sigmoid(z):
    """1 / (1 + e^-z). The overflow of e^-z for z < -709 is silenced here, not avoided (the result,
    0, is right): avoiding it is notebook 02's exercise `sigmoid_forward`."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


@reference
def tf_layer_stats(X, weights, activation):
    """(activations, means, stds) of h_l = activation(h_{l-1} @ W_l) computed by TensorFlow."""


def judge_layer_stats(X, weights, activation, *, expected=None):
    """Compare with TensorFlow (or with `expected` = (activations, means, stds) known by hand)."""
    hs_ref, means_ref, stds_ref = expected if expected is not None else tf_layer_stats(X, weights, activation)
    hs_ref = [np.asarray(h, dtype=np.float64) for h in hs_ref]
    L = len(weights)

    def judge(out):
        hs, means, stds = expect_tuple("layer_activation_stats", out, 3)
        expect(isinstance(hs, (list, tuple)), f"activations should be a list of {L} arrays, got {type(hs).__name__}")
        if len(hs) == L + 1:
            raise CheckFailure(f"activations has {L + 1} entries for a {L}-layer network: return the output of "
                               f"each layer, not the input X.")
        expect(len(hs) == L, f"activations should hold one array per layer ({L}), got {len(hs)}")
        for l, (h, ref) in enumerate(zip(hs, hs_ref)):
            expect_close(f"activations[{l}] (layer {l + 1})", h, ref)
        for what, got, ref, ddof1 in (("means", means, means_ref, None),
                                      ("stds", stds, stds_ref,
                                       np.array([np.std(h, ddof=1) for h in hs_ref]))):
            try:
                got = np.asarray(got) if isinstance(got, (list, tuple)) else got
            except ValueError:   # a ragged list, e.g. per-neuron statistics of layers of different widths
                raise CheckFailure(f"{what} should be an array of shape ({L},), one number per layer; got a "
                                   f"list of arrays of different shapes") from None
            got = expect_array(what, got, shape=(L,))
            if ddof1 is not None and rel_error(got, ref) > 1e-7 and rel_error(got, ddof1) <= 1e-9:
                raise CheckFailure("stds holds the sample std with ddof=1; use the plain std over all "
                                   "entries of the layer (np.std's default, ddof=0).")
            expect_close(what, got, ref)
    return judge


#: the notebook's worked example: two samples, two layers, no activation
STATS_X = np.array([[1.0, 2.0], [3.0, 4.0]])
STATS_WEIGHTS = [np.array([[1.0, 0.0], [0.0, 2.0]]), np.array([[1.0], [1.0]])]
#: its activations (X W1 = [[1, 4], [3, 8]], then [[5], [11]]), their means and stds, by hand
STATS_EXPECTED = ([np.array([[1.0, 4.0], [3.0, 8.0]]), np.array([[5.0], [11.0]])],
                  np.array([4.0, 8.0]), np.array([math.sqrt(6.5), 3.0]))


def scaled_weights(rng, dims, std_of):
    return [rng.standard_normal((a, b)) * std_of(a) for a, b in zip(dims[:-1], dims[1:])]


@checks.exercise("layer_activation_stats")
def _layer_stats():
    yield Case((STATS_X.copy(), [W.copy() for W in STATS_WEIGHTS], identity),
               judge_layer_stats(STATS_X, STATS_WEIGHTS, identity, expected=STATS_EXPECTED),
               label="the worked example (identity activation): means (4, 8), stds (2.5495, 3)")
    rng = np.random.default_rng(46)
    X = random_array(rng, 50, 40)
    weights = scaled_weights(rng, [40] + [30] * 10, lambda fan_in: 1 / math.sqrt(fan_in))
    yield Case((X, weights, np.tanh), judge_layer_stats(X, weights, np.tanh),
               label="10 tanh layers of 30 units, 50 samples")
    dims = [20, 35, 15, 25, 10]
    X, weights = random_array(rng, 30, 20), scaled_weights(rng, dims, lambda fan_in: math.sqrt(2 / fan_in))
    yield Case((X, weights, relu), judge_layer_stats(X, weights, relu),
               label=f"4 ReLU layers of widths {dims[1:]}, 30 samples")
