"""Hidden checks for notebook 05: random shapes, strengths, keep probabilities and seeds; weights
exactly 0 for L1; features near 1e6, constant features and batches of one for batch norm. Values
are compared with TensorFlow (and Keras for the running averages); every gradient with TensorFlow
autodiff *and* centered finite differences of a numpy reference, to 1e-7 in float64."""
import numpy as np

from utils.checks.core import Case, Registry, random_array
from utils.checks.regularization import (CANCELLATION, NO_EPS, bn_cache, judge_batchnorm_backward,
                                         judge_batchnorm_forward, judge_dropout_backward,
                                         judge_dropout_forward, judge_penalty, keep_mask)
from utils.gradcheck import eval_numerical_gradient_array

from ..gradcheck import eval_numerical_gradient

checks = Registry("05_regularization")
SEED = 505_050


# ---- numpy references, only for finite differences (instructor-only module) -------------------

def ref_penalty(kind: str, W, lam: float, beta: float = 0.0) -> float:
    squares, absolute = float(np.sum(W ** 2)), float(np.sum(np.abs(W)))
    return {"l2": lam * squares, "l1": lam * absolute, "elastic": lam * (beta * squares + absolute)}[kind]


def ref_batchnorm(x, gamma, beta, eps: float) -> np.ndarray:
    centred = x - x.mean(axis=0)
    return gamma * centred / np.sqrt(np.mean(centred ** 2, axis=0) + eps) + beta


def numeric_penalty_grad(kind, W, lam, beta=0.0):
    """Centered differences are exact for quadratics, and for |w| while h < |w|: so take h as large
    as that allows (at most 1e-2), which keeps rounding small next to a large total penalty. An
    entry exactly 0 gets (|h| - |-h|) / 2h = 0, the subgradient the exercise asks for."""
    W = np.array(W, dtype=np.float64)
    nonzero = np.abs(W[W != 0])
    h = min(1e-2, 0.5 * float(nonzero.min())) if nonzero.size else 1e-2
    return eval_numerical_gradient(lambda w: ref_penalty(kind, w, lam, beta), W, h=h)


def numeric_batchnorm_grads(x, gamma, beta, eps, dout, h=1e-5):
    x, gamma, beta = (np.array(a, dtype=np.float64) for a in (x, gamma, beta))
    return (eval_numerical_gradient_array(lambda v: ref_batchnorm(v, gamma, beta, eps), x, dout, h=h),
            eval_numerical_gradient_array(lambda v: ref_batchnorm(x, v, beta, eps), gamma, dout, h=h),
            eval_numerical_gradient_array(lambda v: ref_batchnorm(x, gamma, v, eps), beta, dout, h=h))


def _shape(rng, ndim: int):
    return tuple(int(n) for n in rng.integers(1, 7, size=ndim))


def _lam(rng) -> float:
    return float(10 ** rng.uniform(-4, 0.5))


# ---- penalties ------------------------------------------------------------------------------------

def _penalty_cases(name: str, kind: str, rng):
    beta = lambda: float(rng.uniform(0.1, 3.0)) if kind == "elastic" else 0.0  # noqa: E731
    for ndim in (1, 2, 4):
        W = random_array(rng, *_shape(rng, ndim), scale=float(rng.uniform(0.1, 5.0)), away_from_zero=1e-3)
        lam, b = _lam(rng), beta()
        args = (W, lam, b) if kind == "elastic" else (W, lam)
        yield Case(args, judge_penalty(name, kind, W, lam, b, numeric=numeric_penalty_grad(kind, W, lam, b)),
                   label=f"a random W of shape {W.shape}, lam = {lam:.3g}" + (f", beta = {b:.3g}" if b else ""))
    W = random_array(rng, 6, 5, away_from_zero=1e-3)
    W[rng.random(W.shape) < 0.4] = 0.0
    lam, b = _lam(rng), beta()
    args = (W, lam, b) if kind == "elastic" else (W, lam)
    yield Case(args, judge_penalty(name, kind, W, lam, b, numeric=numeric_penalty_grad(kind, W, lam, b)),
               label=f"a (6, 5) W with {int(np.sum(W == 0))} weights exactly 0, lam = {lam:.3g}")
    W = random_array(rng, 3, 4, scale=1e3, away_from_zero=1.0)
    args = (W, 1e-4, 0.5) if kind == "elastic" else (W, 1e-4)
    yield Case(args, judge_penalty(name, kind, W, 1e-4, 0.5 if kind == "elastic" else 0.0,
                                   numeric=numeric_penalty_grad(kind, W, 1e-4, 0.5 if kind == "elastic" else 0.0)),
               label="weights of size ~1000, lam = 1e-4")


@checks.exercise("l2_penalty")
def _l2():
    yield from _penalty_cases("l2_penalty", "l2", np.random.default_rng(SEED))


@checks.exercise("l1_penalty")
def _l1():
    yield from _penalty_cases("l1_penalty", "l1", np.random.default_rng(SEED + 1))


@checks.exercise("elastic_penalty")
def _elastic():
    yield from _penalty_cases("elastic_penalty", "elastic", np.random.default_rng(SEED + 2))


# ---- dropout -------------------------------------------------------------------------------------

@checks.exercise("dropout_forward")
def _dropout_forward():
    rng = np.random.default_rng(SEED + 3)
    for ndim in (1, 2, 3):
        x = random_array(rng, *_shape(rng, ndim), away_from_zero=1e-3)
        p, seed = float(rng.uniform(0.2, 0.95)), int(rng.integers(10_000))
        yield Case((x, p, "train", seed), judge_dropout_forward(x, p, "train", seed),
                   label=f"x of shape {x.shape}, p = {p:.3f}, seed {seed}")
    x = random_array(rng, 150, 60, away_from_zero=1e-3)
    yield Case((x, 0.9, "train", 77), judge_dropout_forward(x, 0.9, "train", 77),
               label="a (150, 60) x, p = 0.9 (keep 90 %), seed 77")
    yield Case((x, 0.05, "train", 78), judge_dropout_forward(x, 0.05, "train", 78),
               label="a (150, 60) x, p = 0.05 (kept units scaled by 20), seed 78")
    yield Case((x[:7], 0.35, "test", 79), judge_dropout_forward(x[:7], 0.35, "test", 79), label="test mode, p = 0.35")
    yield Case((x[:4], 1.0, "train", 80), judge_dropout_forward(x[:4], 1.0, "train", 80), label="p = 1 in train mode")
    yield Case((x[:9], 0.6, "train", np.random.default_rng(81)), judge_dropout_forward(x[:9], 0.6, "train", 81),
               label="seed given as np.random.default_rng(81), p = 0.6")


@checks.exercise("dropout_backward")
def _dropout_backward():
    rng = np.random.default_rng(SEED + 4)
    for ndim in (1, 2, 3):
        shape = _shape(rng, ndim)
        p = float(rng.uniform(0.2, 0.95))
        cache = np.where(keep_mask(shape, p, int(rng.integers(10_000))), 1.0 / p, 0.0)
        dout = random_array(rng, *shape)
        numeric = eval_numerical_gradient_array(lambda x, c=cache: x * c, random_array(rng, *shape), dout)
        yield Case((dout, cache), judge_dropout_backward(cache, dout, numeric=numeric),
                   label=f"shape {shape}, p = {p:.3f}")
    dout = random_array(rng, 5, 3)
    yield Case((dout, np.ones((5, 3))), judge_dropout_backward(np.ones((5, 3)), dout, numeric=dout.copy()),
               label="a test-mode cache (all ones)")


# ---- batch normalization ------------------------------------------------------------------------

def _bn_params(rng, d):
    return random_array(rng, d, scale=2.0), random_array(rng, d)


def _running(rng, d):
    return {"mean": random_array(rng, d), "var": rng.uniform(0.2, 5.0, d)}


@checks.exercise("batchnorm_forward")
def _batchnorm_forward():
    rng = np.random.default_rng(SEED + 5)
    for _ in range(2):
        n, d = int(rng.integers(2, 40)), int(rng.integers(1, 12))
        x = random_array(rng, n, d, scale=float(rng.uniform(0.5, 10))) + rng.uniform(-5, 5, d)
        gamma, beta = _bn_params(rng, d)
        running = _running(rng, d)
        momentum, eps = float(rng.uniform(0.5, 0.999)), float(10 ** rng.uniform(-6, -2))
        kw = dict(momentum=momentum, eps=eps)
        yield Case((x, gamma, beta, running, "train"),
                   judge_batchnorm_forward(x, gamma, beta, running, "train", momentum, eps), kwargs=kw,
                   label=f"a random ({n}, {d}) batch, train mode, momentum {momentum:.3f}, eps {eps:.1e}")
        yield Case((x, gamma, beta, running, "test"),
                   judge_batchnorm_forward(x, gamma, beta, running, "test", momentum, eps), kwargs=kw,
                   label="the same batch in test mode")
    gamma, beta = _bn_params(rng, 4)
    x = random_array(rng, 12, 4, scale=0.5) + 1e6
    x[:, 1] = -1e6 + random_array(rng, 12)
    running = _running(rng, 4)
    yield Case((x, gamma, beta, running, "train"),
               judge_batchnorm_forward(x, gamma, beta, running, "train", 0.9, 1e-5, advice=CANCELLATION),
               label="features near +-1e6 with spread ~1")
    x = random_array(rng, 9, 3)
    x[:, 0] = 0.0                       # a dead ReLU unit: 0 for the whole batch
    x[:, 2] = -3.25
    running = _running(rng, 3)
    yield Case((x, gamma[:3], beta[:3], running, "train"),
               judge_batchnorm_forward(x, gamma[:3], beta[:3], running, "train", 0.9, 1e-5, advice=NO_EPS),
               label="two features constant over the batch (variance 0)")
    one = random_array(rng, 1, 5)
    gamma, beta = _bn_params(rng, 5)
    running = _running(rng, 5)
    yield Case((one, gamma, beta, running, "train"), judge_batchnorm_forward(one, gamma, beta, running, "train", 0.9, 1e-5),
               label="a batch of one example in train mode (variance 0: out = beta)")
    yield Case((one, gamma, beta, running, "test"), judge_batchnorm_forward(one, gamma, beta, running, "test", 0.9, 1e-5),
               label="a batch of one example in test mode")


@checks.exercise("batchnorm_backward")
def _batchnorm_backward():
    rng = np.random.default_rng(SEED + 8)

    def case(x, gamma, beta, eps, dout, label, h=1e-5, shift=0.0):
        """Finite differences at x - shift: batch norm is invariant to shifting every example of a
        feature by the same amount, so the gradient there is the same, and free of the rounding
        that differences of numbers near 1e6 suffer."""
        numeric = numeric_batchnorm_grads(x - shift, gamma, beta, eps, dout, h=h)
        return Case((dout, bn_cache(x, gamma, eps)),
                    judge_batchnorm_backward(x, gamma, beta, eps, dout, numeric=numeric), label=label)

    for _ in range(3):
        n, d = int(rng.integers(2, 30)), int(rng.integers(1, 10))
        x = random_array(rng, n, d, scale=float(rng.uniform(0.5, 5))) + rng.uniform(-3, 3, d)
        gamma, beta = _bn_params(rng, d)
        eps = float(10 ** rng.uniform(-6, -2))
        yield case(x, gamma, beta, eps, random_array(rng, n, d), f"a random ({n}, {d}) batch, eps {eps:.1e}")
    x = random_array(rng, 10, 3) + 1e6
    gamma, beta = _bn_params(rng, 3)
    yield case(x, gamma, beta, 1e-5, random_array(rng, 10, 3), "features near 1e6 with spread ~1", shift=1e6)
    x = random_array(rng, 7, 3)
    x[:, 1] = 2.5                       # a constant feature: std = sqrt(eps), the steepest case
    gamma, beta = _bn_params(rng, 3)
    yield case(x, gamma, beta, 1e-2, random_array(rng, 7, 3), "a feature constant over the batch, eps 1e-2", h=1e-6)
    x = random_array(rng, 2, 3)
    gamma, beta = _bn_params(rng, 3)
    yield case(x, gamma, beta, 0.05, random_array(rng, 2, 3), "a batch of two examples, eps 0.05")
