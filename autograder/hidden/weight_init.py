"""Hidden checks for notebook 04: random shapes, slopes and seeds.

- leaky ReLU: values against `tf.nn.leaky_relu`; both gradients (dx, dalpha) against TensorFlow
  autodiff *and* centered finite differences of a numpy reference, to 1e-7 in float64; exact zeros,
  alpha = 0 (ReLU) and alpha = 1 (identity), entries of size 1e6.
- layer statistics: random depths and widths, saturating and vanishing weight scales, against
  TensorFlow.
- initialisers: random fans (never equal, so fan_in and fan_out cannot be confused unnoticed),
  judged against the target std with the bands of `utils.checks.weight_init`, plus a two-sample
  comparison with a draw of the matching Keras initialiser (VarianceScaling, untruncated normal).
"""
import math

import numpy as np

from utils.checks.core import Case, Registry, expect, expect_array, random_array
from utils.checks.weight_init import (HE_FORMULA, MIN_DRAWS, XAVIER_FORMULA, Z_KURTOSIS, Z_MOMENT,
                                      expect_gaussian_init, he_alternatives, he_std, identity,
                                      judge_layer_stats, judge_leaky_backward, judge_leaky_forward, relu,
                                      sample_statistics, scaled_weights, sigmoid, xavier_alternatives,
                                      xavier_std)

from ..gradcheck import eval_numerical_gradient

checks = Registry("04_weight_init")
SEED = 70_411


# ---- numpy reference, only for finite differences (instructor-only module) ----------------------

def ref_leaky_relu(x, alpha):
    return np.where(x > 0, x, alpha * x)


def numeric_leaky_grads(x, alpha, dout, h=1e-5):
    """Centered differences of sum(leaky_relu(x, alpha) * dout). The function is piecewise linear,
    so a step h smaller than the distance of every x to the kink at 0 is exact up to rounding; for
    entries of size 1e6 use a larger h, or the rounding of the sum (~1e-10) swamps a 1e-5 step."""
    x = np.array(x, dtype=np.float64)
    a = np.array(float(alpha))
    dx = eval_numerical_gradient(lambda v: np.sum(ref_leaky_relu(v, a) * dout), x, h=h)
    dalpha = eval_numerical_gradient(lambda v: np.sum(ref_leaky_relu(x, float(v)) * dout), a)
    return dx, float(dalpha)


def _shape(rng):
    ndim = int(rng.integers(1, 5))
    return tuple(int(d) for d in rng.integers(2, 7, size=ndim))


@checks.exercise("leaky_relu_forward")
def _leaky_forward():
    rng = np.random.default_rng(SEED)
    for alpha in (float(rng.uniform(0.01, 0.3)), 0.0, 1.0):
        shape = _shape(rng)
        x = random_array(rng, *shape, scale=2.0)
        yield Case((x, alpha), judge_leaky_forward(x, alpha), label=f"a random {shape} array, alpha = {alpha:.4g}")
    x = np.array([[-1e6, 0.0, 1e6], [-0.0, 1e-300, -1e-300]])
    yield Case((x, 0.2), judge_leaky_forward(x, 0.2), label="entries 1e6, 0, -0.0 and 1e-300")


@checks.exercise("leaky_relu_backward")
def _leaky_backward():
    rng = np.random.default_rng(SEED + 1)

    def case(x, alpha, dout, label, finite_differences=True, h=1e-5):
        numeric = numeric_leaky_grads(x, alpha, dout, h) if finite_differences else None
        return Case((dout, (x, alpha)), judge_leaky_backward(x, alpha, dout, numeric=numeric), label=label)

    for alpha in (float(rng.uniform(0.01, 0.3)), float(rng.uniform(0.01, 0.3)), 0.0, 1.0):
        shape = _shape(rng)
        x, dout = random_array(rng, *shape, scale=2.0, away_from_zero=1e-3), random_array(rng, *shape)
        yield case(x, alpha, dout, f"a random {shape} array, alpha = {alpha:.4g}")
    x = np.array([[-1e6, 3e5], [-2.5e5, 1e6]])
    yield case(x, 0.05, random_array(rng, 2, 2), "entries of size 1e6", h=1.0)
    x = np.array([0.0, -1.0, 0.0, 2.0, -3.0, 0.0])
    yield case(x, 0.3, random_array(rng, 6), "exact zeros in x (slope alpha there, as in TensorFlow)",
               finite_differences=False)   # no derivative at the kink itself: TensorFlow decides


@checks.exercise("layer_activation_stats")
def _layer_stats():
    rng = np.random.default_rng(SEED + 2)
    for activation, std_of, what in ((np.tanh, lambda n: 1.0, "tanh, std 1 (saturating)"),
                                     (np.tanh, lambda n: 0.01, "tanh, std 0.01 (vanishing)"),
                                     (relu, lambda n: math.sqrt(2 / n), "ReLU, He"),
                                     (sigmoid, lambda n: 1 / math.sqrt(n), "sigmoid, Xavier"),
                                     (identity, lambda n: 1 / math.sqrt(n), "identity")):
        depth = int(rng.integers(2, 13))
        dims = [int(d) for d in rng.integers(5, 80, size=depth + 1)]
        n = int(rng.integers(3, 60))
        X = random_array(rng, n, dims[0])
        weights = scaled_weights(rng, dims, std_of)
        yield Case((X, weights, activation), judge_layer_stats(X, weights, activation),
                   label=f"{depth} layers, widths {dims}, {n} samples, {what}")


# ---- initialisers ---------------------------------------------------------------------------------

def random_fans(rng, count):
    """(fan_in, fan_out) pairs, fan_out 2.5 to 6 times larger or smaller than fan_in, >= MIN_DRAWS draws."""
    fans = []
    while len(fans) < count:
        fan_in = int(rng.integers(60, 1200))
        ratio = float(rng.uniform(2.5, 6.0)) ** float(rng.choice([-1.0, 1.0]))
        fan_out = max(1, int(round(fan_in * ratio)))
        if fan_in * fan_out >= MIN_DRAWS and min(fan_in, fan_out) >= 64:
            fans.append((fan_in, fan_out))
    return fans


def keras_draw(scale, shape, seed):
    import keras
    init = keras.initializers.VarianceScaling(scale=scale, mode="fan_in", distribution="untruncated_normal",
                                              seed=seed)
    return np.asarray(init(shape), dtype=np.float64)


def expect_same_distribution(what, W, reference, keras_name):
    """Two-sample version of the bands in utils.checks.weight_init: for independent samples of sizes
    n and m the difference of the std ratios has sd sqrt(1/(2n) + 1/(2m)), of the kurtoses
    sqrt(24/n + 24/m)."""
    W = expect_array(what, W, shape=reference.shape)
    n = m = W.size
    _, s, k = sample_statistics(W)
    _, s_ref, k_ref = sample_statistics(reference)
    band = Z_MOMENT * math.sqrt(1 / (2 * n) + 1 / (2 * m))
    expect(abs(s / s_ref - 1) <= band,
           f"{what} has std {s:.5g}; a draw of {keras_name} of the same shape has std {s_ref:.5g} "
           f"(ratio {s / s_ref:.3f}, accepted 1 +- {band:.3f})")
    kband = Z_KURTOSIS * math.sqrt(24 / n + 24 / m)
    expect(abs(k - k_ref) <= kband,
           f"{what} has excess kurtosis {k:.3f}; a draw of {keras_name} has {k_ref:.3f} (accepted difference "
           f"{kband:.2f}): draw from a plain Gaussian")


def init_cases(name, std_of, formula, alternatives_of, scale, seed):
    rng = np.random.default_rng(seed)
    for k, (fan_in, fan_out) in enumerate(random_fans(rng, 3)):
        std, stated = std_of(fan_in), formula.format(fan_in=fan_in)

        def judge(out, fan_in=fan_in, fan_out=fan_out, std=std, stated=stated):
            expect_gaussian_init(f"{name}({fan_in}, {fan_out})", out, (fan_in, fan_out), std, formula=stated,
                                 alternatives=alternatives_of(fan_in, fan_out))

        yield Case((fan_in, fan_out, np.random.default_rng(seed + 10 + k)), judge,
                   label=f"fan_in={fan_in}, fan_out={fan_out}")
    fan_in, fan_out = random_fans(rng, 1)[0]
    keras_name = f'keras VarianceScaling(scale={scale:g}, mode="fan_in", distribution="untruncated_normal")'
    reference = keras_draw(scale, (fan_in, fan_out), seed)

    def judge_keras(out):
        expect_same_distribution(f"{name}({fan_in}, {fan_out})", out, reference, keras_name)

    yield Case((fan_in, fan_out, np.random.default_rng(seed + 20)), judge_keras,
               label=f"fan_in={fan_in}, fan_out={fan_out}, against {keras_name}")


@checks.exercise("xavier_init")
def _xavier():
    yield from init_cases("xavier_init", xavier_std, XAVIER_FORMULA, xavier_alternatives, 1.0, SEED + 3)


@checks.exercise("he_init")
def _he():
    yield from init_cases("he_init", he_std, HE_FORMULA, he_alternatives, 2.0, SEED + 4)
