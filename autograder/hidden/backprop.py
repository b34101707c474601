"""Hidden checks for notebook 02: random shapes and ranks, other seeds, inputs of size ~1000 for the
sigmoid, other batch arithmetic and other spirals. Every gradient is compared with TensorFlow
autodiff *and* with centered finite differences of a numpy reference, to 1e-7 in float64."""
import functools

import numpy as np

from utils.checks.backprop import (PARAM_KEYS, STABLE_SIGMOID, WatchedFunction, cubic_case, iterations_case,
                                   judge_activation_backward, judge_affine_backward, judge_forward,
                                   judge_numerical_gradient, judge_two_layer_loss, quadratic_form, random_params,
                                   spirals_case, tf_activation, tf_affine, tf_function_case, watched)
from utils.checks.core import Case, Registry, random_array
from utils.gradcheck import eval_numerical_gradient_array

from ..gradcheck import eval_numerical_gradient

checks = Registry("02_backprop")
SEED = 20_481


# ---- numpy references, only for finite differences (instructor-only module) -------------------

def ref_affine(x, w, b):
    return x.reshape(len(x), -1) @ w + b


def ref_sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def ref_two_layer_loss(params, X, y) -> float:
    scores = np.maximum(X @ params["W1"] + params["b1"], 0.0) @ params["W2"] + params["b2"]
    m = scores.max(axis=1, keepdims=True)
    log_norm = m[:, 0] + np.log(np.exp(scores - m).sum(axis=1))
    return float(np.mean(log_norm - scores[np.arange(len(y)), y]))


def numeric_affine(x, w, b, dout):
    return tuple(eval_numerical_gradient_array(f, v.copy(), dout) for f, v in (
        (lambda z: ref_affine(z, w, b), x), (lambda z: ref_affine(x, z, b), w), (lambda z: ref_affine(x, w, z), b)))


def numeric_two_layer(params, X, y) -> dict:
    grads = {}
    for k in PARAM_KEYS:
        p = {key: v.copy() for key, v in params.items()}
        grads[k] = eval_numerical_gradient(lambda _: ref_two_layer_loss(p, X, y), p[k])
    return grads


def _shape(rng, rank_max=3):
    """(N, d1, ..., dk) with k in 1 .. rank_max."""
    return (int(rng.integers(2, 7)),) + tuple(int(rng.integers(1, 5)) for _ in range(rng.integers(1, rank_max + 1)))


# ---- the checks --------------------------------------------------------------------------------

@checks.exercise("numerical_gradient")
def _numerical_gradient():
    rng = np.random.default_rng(SEED)
    for rank in (1, 2, 3, 4):
        shape = tuple(int(rng.integers(1, 4)) for _ in range(rank))
        x = random_array(rng, *shape, scale=1.5)
        if rank % 2:
            yield cubic_case(x, label=f"f(x) = sum(x**3) at an x of shape {shape}")
        else:
            yield tf_function_case(x, random_array(rng, *shape), f"f = sum(c*tanh(x)) + (sum x)^2/2, x of shape {shape}")
    x = random_array(rng, 2, 3)
    yield cubic_case(x, h=1e-3, label="f(x) = sum(x**3) with h=1e-3")

    # a quadratic form with a non-symmetric A: gradient (A + A^T) x, exact for centered differences
    n = int(rng.integers(3, 7))
    A, x = random_array(rng, n, n), random_array(rng, n)
    f = WatchedFunction(functools.partial(quadratic_form, A=A), x)
    yield Case((f, x), judge_numerical_gradient((A + A.T) @ x), label=f"f(x) = x^T A x, n = {n}")


@checks.exercise("affine_forward")
def _affine_forward():
    rng = np.random.default_rng(SEED + 1)
    for _ in range(3):
        shape = _shape(rng)
        d, m = int(np.prod(shape[1:])), int(rng.integers(1, 7))
        x, w, b = random_array(rng, *shape), random_array(rng, d, m), random_array(rng, m)
        yield Case((x, w, b), judge_forward("affine_forward", tf_affine(x, w, b)[0]),
                   label=f"x of shape {shape}, w {w.shape}")


@checks.exercise("affine_backward")
def _affine_backward():
    rng = np.random.default_rng(SEED + 2)
    for _ in range(3):
        shape = _shape(rng)
        d, m = int(np.prod(shape[1:])), int(rng.integers(2, 7))
        x, w, b = random_array(rng, *shape), random_array(rng, d, m), random_array(rng, m)
        dout = random_array(rng, shape[0], m)
        yield Case((dout, (x, w, b)), judge_affine_backward(x, w, b, dout, numeric=numeric_affine(x, w, b, dout)),
                   label=f"x of shape {shape}, w {w.shape}")
    # square: a product in the wrong order or a misplaced transpose runs without a shape error
    x, w, b, dout = random_array(rng, 4, 4), random_array(rng, 4, 4), random_array(rng, 4), random_array(rng, 4, 4)
    yield Case((dout, (x, w, b)), judge_affine_backward(x, w, b, dout, numeric=numeric_affine(x, w, b, dout)),
               label="a square case, N = D = M = 4")


@checks.exercise("relu_forward")
def _relu_forward():
    rng = np.random.default_rng(SEED + 3)
    for _ in range(2):
        x = random_array(rng, *_shape(rng), scale=2.0)
        yield Case((x,), judge_forward("relu_forward", tf_activation("relu", x)[0], x), label=f"x of shape {x.shape}")


@checks.exercise("relu_backward")
def _relu_backward():
    rng = np.random.default_rng(SEED + 4)
    for _ in range(2):
        shape = _shape(rng)
        x, dout = random_array(rng, *shape, away_from_zero=1e-3), random_array(rng, *shape)
        numeric = eval_numerical_gradient_array(lambda z: np.maximum(z, 0.0), x.copy(), dout)
        yield Case((dout, x), judge_activation_backward("relu_backward", tf_activation("relu", x, dout)[1],
                                                        numeric=numeric), label=f"x of shape {shape}")
    x = np.array([[0.0, -0.0, 1e-300, -1e-300, 5.0]])
    yield Case((np.ones_like(x), x), judge_activation_backward("relu_backward", [[0, 0, 1, 0, 1]]),
               label="x = 0, -0 and +-1e-300: the gradient passes only where x > 0")


@checks.exercise("sigmoid_forward")
def _sigmoid_forward():
    rng = np.random.default_rng(SEED + 5)
    x = random_array(rng, *_shape(rng), scale=4.0)
    out = tf_activation("sigmoid", x)[0]
    yield Case((x,), judge_forward("sigmoid_forward", out, out), label=f"x of shape {x.shape}")
    x = rng.choice([-1.0, 1.0], size=(5, 4)) * rng.uniform(600.0, 1200.0, size=(5, 4))
    x[0, :2] = [-745.0, 745.0]
    yield Case((watched(x),), judge_forward("sigmoid_forward", tf_activation("sigmoid", x)[0], advice=STABLE_SIGMOID),
               label=f"x of size 600-1200, either sign; numpy's overflow warnings are errors here. {STABLE_SIGMOID}")
    x = np.linspace(-800.0, 800.0, 33)
    yield Case((watched(x),), judge_forward("sigmoid_forward", tf_activation("sigmoid", x)[0], advice=STABLE_SIGMOID),
               label=f"x from -800 to 800; numpy's overflow warnings are errors here. {STABLE_SIGMOID}")


@checks.exercise("sigmoid_backward")
def _sigmoid_backward():
    rng = np.random.default_rng(SEED + 6)
    for scale in (2.0, 8.0):
        shape = _shape(rng)
        x, dout = random_array(rng, *shape, scale=scale), random_array(rng, *shape)
        out, dx = tf_activation("sigmoid", x, dout)
        numeric = eval_numerical_gradient_array(ref_sigmoid, x.copy(), dout)
        yield Case((dout, out), judge_activation_backward("sigmoid_backward", dx, numeric=numeric),
                   label=f"x of shape {shape} (scale {scale}); the cache is sigmoid(x)")


def _params_away_from_kinks(rng, n, d, h, c):
    """Random parameters and data whose hidden pre-activations are all at least 0.05 from 0, so
    that finite differences with h = 1e-5 never step across ReLU's kink."""
    while True:
        params, X = random_params(rng, d, h, c), random_array(rng, n, d)
        if np.min(np.abs(X @ params["W1"] + params["b1"])) > 0.05:
            return params, X


@checks.exercise("two_layer_loss")
def _two_layer_loss():
    rng = np.random.default_rng(SEED + 7)
    for n, d, h, c in [(3, 2, 4, 3), (7, 5, 6, 4), (12, 3, 5, 6)]:
        params, X = _params_away_from_kinks(rng, n, d, h, c)
        y = rng.integers(0, c, size=n)
        yield Case((params, X, y), judge_two_layer_loss(params, X, y, numeric=numeric_two_layer(params, X, y)),
                   label=f"random parameters, N={n}, D={d}, H={h}, C={c}")


@checks.exercise("train_two_layer")
def _train_two_layer():
    yield iterations_case(250, 100, 3, "every input 0, all labels 1: 3 epochs of 250 examples in batches "
                                       "of 100 are 9 updates (3 per epoch, the last batch 50 examples)",
                          learning_rate=0.3, hidden_dim=5, seed=3)
    yield iterations_case(64, 64, 2, "every input 0, all labels 1: 64 examples in batches of 64 are one "
                                     "update per epoch", hidden_dim=4, seed=4)
    for data_seed, train_seed in [(11, 5), (23, 17), (37, 29)]:
        yield spirals_case(data_seed, train_seed, f"spirals(seed={data_seed}), training seed {train_seed}")
