"""Visible checks for notebook 02 (backpropagation).

References: TensorFlow ops differentiated by TensorFlow's autodiff (declared here, computed on the
instructor side: utils.checks.references), exact derivatives known by hand (polynomials, zero
weights), and the notebook's worked examples. TensorFlow is imported only when a check runs.
"""
import functools
import math

import numpy as np

from ..autodiff import _tf
from ..gradcheck import rel_error
from .references import reference
from .core import (Case, CheckFailure, Registry, _preview, expect, expect_array, expect_close,
                   expect_tuple, random_array)

checks = Registry("02_backprop")

#: the keys of the two-layer network's parameter (and gradient) dict
PARAM_KEYS = ("W1", "b1", "W2", "b2")
#: the accuracy `train_two_layer` must reach on the validation part of the spirals
SPIRALS_MIN_ACCURACY = 0.85
#: the settings the spirals check trains with
SPIRALS_SETTINGS = dict(hidden_dim=64, learning_rate=1.0, batch_size=64, epochs=300)


# ---- inputs that watch the student's code ------------------------------------------------------

class WatchedFunction:
    """A scalar function f(x) for `numerical_gradient` that notices an x left perturbed.

    It remembers the point it was made for; called with an x that differs from that point in
    more than one entry (an earlier perturbation was not undone), it returns NaN, which then
    shows up in the student's gradient.
    """

    def __init__(self, fn, x0):
        self.fn = fn
        self.x0 = np.array(x0, dtype=np.float64)

    def __call__(self, x):
        x = np.asarray(x)
        if x.shape != self.x0.shape or np.count_nonzero(x != self.x0) > 1:
            return float("nan")
        return float(self.fn(x))


class OverflowIsAnError(np.ndarray):
    """An array whose arithmetic raises FloatingPointError on overflow or an invalid operation
    (inf - inf, 0 * inf), where plain numpy would only print a RuntimeWarning. The results of
    that arithmetic are watched the same way, so `np.exp(-x)` is caught even when `np.where`
    later throws the overflowed branch away."""

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        plain = tuple(i.view(np.ndarray) if isinstance(i, OverflowIsAnError) else i for i in inputs)
        if out is not None:
            kwargs["out"] = tuple(o.view(np.ndarray) if isinstance(o, OverflowIsAnError) else o for o in out)
        with np.errstate(over="raise", invalid="raise"):
            result = getattr(ufunc, method)(*plain, **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        if isinstance(result, tuple):
            return tuple(r.view(OverflowIsAnError) if isinstance(r, np.ndarray) else r for r in result)
        return result.view(OverflowIsAnError) if isinstance(result, np.ndarray) else result


def watched(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).view(OverflowIsAnError)


# ---- references: TensorFlow (computed on the instructor side, autograder/references/backprop.py;
# a student's kernel has their values for the visible cases only) ---------------------------------

@reference
def tf_affine(x, w, b, dout=None):
    """out = x (flattened to (N, D)) @ w + b, and the gradients of sum(out * dout) wrt (x, w, b)."""


@reference
def tf_activation(name: str, x, dout=None):
    """`relu` or `sigmoid` of x, and the gradient of sum(out * dout) wrt x."""


@reference
def tf_two_layer_loss(params, X, y):
    """Mean softmax cross-entropy of the two-layer net, and its gradients (a dict like params)."""


@reference
def tf_sgd_on_b2(num_classes: int, label: int, learning_rate: float, steps: int):
    """b2 after each of `steps` SGD steps (and the loss before each), when every input is 0."""


@reference
def tf_function_gradient(x, c):
    """TensorFlow's gradient of `tanh_plus_square_of_sum(., c)` at x."""


def tf_predict(params, X) -> np.ndarray:
    """Class predictions of the two-layer net, computed by TensorFlow.

    Computed here, live: it judges the student's own trained weights, so no stored value could
    answer it. (Class predictions are not an exercise: the notebook gives `predict`.)
    """
    tf = _tf()
    X, W1, b1, W2, b2 = (tf.constant(np.asarray(v, dtype=np.float64)) for v in
                         (X, params["W1"], params["b1"], params["W2"], params["b2"]))
    return np.argmax((tf.matmul(tf.nn.relu(tf.matmul(X, W1) + b1), W2) + b2).numpy(), axis=1)


# ---- judges ------------------------------------------------------------------------------------

FORWARD_DIFFERENCE = ("That is a one-sided difference, (f(x + h) - f(x)) / h, whose error is O(h). "
                      "Use the centered difference (f(x + h) - f(x - h)) / (2h): its error is O(h^2).")


IGNORED_H = "That is the value for h = 1e-5: use the h the function is given."


def judge_numerical_gradient(expected, *, hints=()):
    """`hints`: (what a known slip would return here, advice) pairs."""
    expected = np.asarray(expected, dtype=np.float64)

    def judge(out):
        got = np.asarray(out) if isinstance(out, (list, tuple)) else out
        if isinstance(got, np.ndarray) and got.dtype.kind == "f" and np.isnan(got).any():
            raise CheckFailure(
                "the gradient contains NaN: f was called with more than one entry of x changed from "
                "the point it was given (the checks' f returns NaN then). After evaluating f(x + h) "
                "and f(x - h) for one entry, put that entry back before moving to the next.")
        got = expect_array("the numerical gradient", got, shape=expected.shape)
        for guess, advice in hints:
            if rel_error(got, guess) < 1e-9 and rel_error(got, expected) > 1e-7:
                raise CheckFailure(f"the numerical gradient is wrong.\n  expected: {_preview(expected)}\n"
                                   f"  got:      {_preview(got)}\n  {advice}")
        expect_close("the numerical gradient", got, expected)
    return judge


def expect_grad_tuple(name: str, out, refs: dict):
    """A backward pass returned a tuple of gradients in the order of `refs`; compare each."""
    got = expect_tuple(name, out, len(refs))
    for (what, ref), g in zip(refs.items(), got):
        expect_close(what, g, ref)


def _shape_of(x):
    return np.shape(x) if isinstance(x, (np.ndarray, list, tuple)) else None


#: what a backward-pass derivation most often misses, by gradient (see the notebook's four habits)
AFFINE_DX = ("Derive dx entry by entry: x[i, k] feeds out[i, j] for every output j, each time through a "
             "multiply gate with w[k, j]; collect all of them, then write the sum over j as a product whose "
             "summed index is the inner one.")
AFFINE_DW = ("Derive dw entry by entry: w[k, j] feeds out[i, j] for every example i of the batch, each time "
             "through a multiply gate with x[i, k]; collect all of them, then write the sum over i as a "
             "product whose summed index is the inner one.")
AFFINE_DB = ("b[j] is added to out[i, j] for every example i: an add gate passes each upstream gradient on "
             "unchanged, and b[j] collects the gradients of all its uses.")
WRONG_TRANSPOSE = ("{what} has the right shape, but it is {how} of the right answer. In this case x and w "
                   "are square and antisymmetric (x.T == -x, w.T == -w), so a product in the wrong order or "
                   "with a transpose in the wrong place cannot hide behind a shape error: it comes out as the "
                   "right answer negated or transposed. Write one entry of {what} as a sum, see which index "
                   "is summed over, and put that index in the middle of the product.{sign}")


def _same(got, candidate) -> bool:
    candidate = np.asarray(candidate, dtype=np.float64)
    return np.shape(got) == candidate.shape and rel_error(np.asarray(got, dtype=np.float64), candidate) < 1e-9


def _transposed_or_negated(got, ref):
    """'the negative' / 'the transpose' / 'minus the transpose' when `got` is that of `ref` (and wrong)."""
    if _same(got, ref):
        return None
    for how, candidate in (("the negative", -ref), ("the transpose", ref.T), ("minus the transpose", -ref.T)):
        if _same(got, candidate):
            return how
    return None


def _affine_shapes(got, x, w, b, dout):
    """Shape slips of (dx, dw, db), each pointing at the concept that was missed."""
    n, d = x.shape[0], int(np.prod(x.shape[1:]))
    shapes = [_shape_of(g) for g in got]
    if shapes[0] == w.shape and shapes[1] in (x.shape, (n, d)) and w.shape not in (x.shape, (n, d)):
        raise CheckFailure(f"the first gradient has the shape of w {w.shape} and the second that of x: return "
                           f"(dx, dw, db), in the order of the forward pass's inputs (x, w, b).")
    if shapes[0] != x.shape:
        if shapes[0] == (n, d) and x.ndim > 2:
            raise CheckFailure(f"dx has shape {(n, d)}, expected {x.shape}: a gradient has the shape of its "
                               f"variable. The forward pass flattened x to (N, D); that reshape is a node too, "
                               f"and its backward pass reshapes the (N, D) result back to x.shape.")
        raise CheckFailure(f"dx has shape {shapes[0]}, expected {x.shape} (the shape of x): a gradient has the "
                           f"shape of its variable. {AFFINE_DX}")
    if shapes[1] != w.shape:
        if shapes[1] == w.shape[::-1]:
            raise CheckFailure(f"dw has shape {w.shape[::-1]}, expected {w.shape} (the shape of w): the product "
                               f"is transposed. {AFFINE_DW}")
        if shapes[1] is not None and len(shapes[1]) > 2 and x.ndim > 2:
            raise CheckFailure(f"dw has shape {shapes[1]}, expected {w.shape}: use x flattened to (N, D), as the "
                               f"forward pass did, when you form dw.")
        raise CheckFailure(f"dw has shape {shapes[1]}, expected {w.shape} (the shape of w). {AFFINE_DW}")
    if shapes[2] != b.shape:
        if shapes[2] == dout.shape:
            raise CheckFailure(f"db has shape {dout.shape}, the shape of dout, expected {b.shape} (the shape of "
                               f"b): {AFFINE_DB} Sum over the batch axis.")
        if shapes[2] == (n,):
            raise CheckFailure(f"db has shape {(n,)}, one entry per example, expected {b.shape}, one per output "
                               f"unit: you summed over the wrong axis. {AFFINE_DB}")
        raise CheckFailure(f"db has shape {shapes[2]}, expected {b.shape} (the shape of b). {AFFINE_DB}")


def judge_affine_backward(x, w, b, dout, *, numeric=None):
    _, (dx, dw, db) = tf_affine(x, w, b, dout)
    dx, dw, db = (np.asarray(a, dtype=np.float64) for a in (dx, dw, db))
    n = x.shape[0]

    def judge(out):
        got = expect_tuple("affine_backward", out, 3)
        _affine_shapes(got, x, w, b, dout)
        if _same(got[0], dw) and _same(got[1], dx) and not _same(got[0], dx):
            raise CheckFailure("the first gradient is dw and the second dx: return (dx, dw, db), in the order of "
                               "the forward pass's inputs (x, w, b).")
        for what, g, ref, advice in (("dx", got[0], dx, AFFINE_DX), ("dw", got[1], dw, AFFINE_DW)):
            how = _transposed_or_negated(g, ref) if ref.ndim == 2 and ref.shape[0] == ref.shape[1] else None
            if how is not None:
                sign = " (A sign slip would give the negative too.)" if how == "the negative" else ""
                raise CheckFailure(WRONG_TRANSPOSE.format(what=what, how=how, sign=sign))
            try:
                expect_close(what, g, ref)
            except CheckFailure as exc:
                raise CheckFailure(f"{exc}\n  {advice}") from None
        if n > 1 and _same(got[2], db / n):
            raise CheckFailure(f"db is {n} times too small: sum dout over the batch, don't average it "
                               f"(the mean over the batch is already inside the loss).")
        if n > 1 and _same(got[2], np.asarray(dout).sum(axis=1)):
            raise CheckFailure(f"db is the sum of dout over the output units (axis 1), one number per example; "
                               f"{AFFINE_DB}")
        try:
            expect_close("db", got[2], db)
        except CheckFailure as exc:
            raise CheckFailure(f"{exc}\n  {AFFINE_DB}") from None
        if numeric is not None:
            expect_grad_tuple("affine_backward", got, {f"{k} (vs centered finite differences)": v
                                                       for k, v in zip(("dx", "dw", "db"), numeric)})
    return judge


def judge_activation_backward(name: str, expected, *, numeric=None, advice: str = ""):
    expected = np.asarray(expected, dtype=np.float64)

    def judge(out):
        if isinstance(out, tuple) and len(out) == 1:   # (dx,) is accepted as well as dx
            out = out[0]
        if isinstance(out, tuple):
            raise CheckFailure(f"{name} should return dx, one array (the layer has one input), "
                               f"got a tuple of {len(out)}")
        try:
            expect_close("dx", out, expected)
        except CheckFailure as exc:
            raise CheckFailure(f"{exc}\n  {advice}".rstrip()) from None
        if numeric is not None:
            expect_close("dx (vs centered finite differences)", out, numeric)
    return judge


def judge_forward(name: str, expected, expected_cache=None, *, advice: str = ""):
    """A forward pass returns (out, cache); `expected_cache` is checked when the notebook fixes it."""
    expected = np.asarray(expected, dtype=np.float64)

    def judge(out):
        result, cache = expect_tuple(name, out, 2)
        try:
            expect_close("out", result, expected)
        except CheckFailure as exc:
            raise CheckFailure(f"{exc}\n  {advice}".rstrip()) from None
        if expected_cache is not None:
            expect_close("the cache", cache, expected_cache)
    return judge


def expect_param_dict(what: str, got, shapes: dict) -> dict:
    expect(isinstance(got, dict), f"{what} should be a dict with keys {list(PARAM_KEYS)}, got {type(got).__name__}")
    missing = [k for k in PARAM_KEYS if k not in got]
    expect(not missing, f"{what} is missing the key(s) {missing}")
    for k in PARAM_KEYS:
        expect_array(f'{what}["{k}"]', got[k], shape=shapes[k])
    return got


def judge_two_layer_loss(params, X, y, *, numeric=None, expected=None):
    """Compare with TensorFlow autodiff (or with `expected` = (loss, grads) known by hand) and,
    when given, with finite differences."""
    loss_ref, grads_ref = expected if expected is not None else tf_two_layer_loss(params, X, y)
    shapes = {k: np.shape(v) for k, v in params.items()}

    def judge(out):
        loss, grads = expect_tuple("two_layer_loss", out, 2)
        expect(np.ndim(loss) == 0, f"the loss should be one number (the mean over the batch), "
                                   f"got shape {np.shape(loss)}")
        expect_close("the loss", loss, loss_ref)
        grads = expect_param_dict("grads", grads, shapes)
        for k in PARAM_KEYS:
            expect_close(f'grads["{k}"]', grads[k], grads_ref[k])
            if numeric is not None:
                expect_close(f'grads["{k}"] (vs centered finite differences)', grads[k], numeric[k])
    return judge


def _expect_history(history, epochs: int):
    expect(isinstance(history, dict), f"history should be a dict, got {type(history).__name__}")
    for key in ("loss", "val_accuracy"):
        expect(key in history, f'history is missing "{key}"')
        expect(len(history[key]) == epochs,
               f'history["{key}"] should have one entry per epoch ({epochs}), got {len(history[key])}')


def judge_iterations(n: int, batch_size: int, epochs: int, learning_rate: float, hidden_dim: int,
                     num_classes: int = 2, label: int = 1):
    """Training on inputs that are all 0: only b2 moves, one known step per mini-batch, so the
    final b2 tells how many updates the loop made."""
    per_epoch = math.ceil(n / batch_size)
    steps = per_epoch * epochs
    b2s, losses = tf_sgd_on_b2(num_classes, label, learning_rate, steps + 2 * epochs + 5)
    last_batch = n - (per_epoch - 1) * batch_size
    epoch_means = [np.mean(losses[e * per_epoch:(e + 1) * per_epoch]) for e in range(epochs)]

    def judge(out):
        params, history = expect_tuple("train_two_layer", out, 2)
        params = expect_param_dict("params", params, {"W1": (2, hidden_dim), "b1": (hidden_dim,),
                                                      "W2": (hidden_dim, num_classes), "b2": (num_classes,)})
        _expect_history(history, epochs)
        expect(np.allclose(params["b1"], 0.0, rtol=0, atol=1e-12),
               f"b1 changed ({_preview(params['b1'])}) although every input is 0: the hidden "
               f"pre-activations are exactly 0 here, where relu_backward must pass no gradient.")
        got = np.asarray(params["b2"], dtype=np.float64)
        if rel_error(got, b2s[steps - 1]) > 1e-9:
            made = [k + 1 for k, b in enumerate(b2s) if rel_error(got, b) < 1e-9]
            said = (f"that is where b2 is after {made[0]} updates" if made else
                    "that is not where b2 is after any whole number of single updates")
            raise CheckFailure(
                f"after {epochs} epoch(s) of {n} examples in mini-batches of {batch_size}, b2 should "
                f"have had {steps} updates ({per_epoch} per epoch = ceil({n}/{batch_size}), the last "
                f"mini-batch holding {last_batch} examples).\n  expected b2: {_preview(b2s[steps - 1])}\n"
                f"  got b2:      {_preview(got)}\n  {said}. Visit every example once per epoch, one "
                f"update per mini-batch, the last, smaller batch included, with "
                f"params[k] -= learning_rate * grads[k].")
        losses_got = np.asarray(history["loss"], dtype=np.float64)
        expect(rel_error(losses_got, epoch_means) < 1e-7,
               f'history["loss"] should hold each epoch\'s mean mini-batch loss, expected '
               f'{_preview(epoch_means)}, got {_preview(losses_got)}')
    return judge


def judge_spirals(X_val, y_val, epochs: int, min_accuracy: float = SPIRALS_MIN_ACCURACY):
    def judge(out):
        params, history = expect_tuple("train_two_layer", out, 2)
        d, h, c = X_val.shape[1], SPIRALS_SETTINGS["hidden_dim"], int(y_val.max()) + 1
        params = expect_param_dict("params", params, {"W1": (d, h), "b1": (h,), "W2": (h, c), "b2": (c,)})
        _expect_history(history, epochs)
        accuracy = float(np.mean(tf_predict(params, X_val) == y_val))
        losses = [float(v) for v in history["loss"]]
        expect(accuracy >= min_accuracy,
               f"the trained network classifies {accuracy:.1%} of the validation points correctly, "
               f"expected at least {min_accuracy:.0%} (the training loss went from {losses[0]:.3f} to "
               f"{losses[-1]:.3f}). Check the update direction (minus the gradient) and that every "
               f"mini-batch is used.")
    return judge


def spirals_split(seed: int):
    from ..data import spirals, train_val_split
    X, y = spirals(seed=seed)
    return train_val_split(X, y, seed=seed)


def spirals_case(data_seed: int, train_seed: int, label: str) -> Case:
    X_train, y_train, X_val, y_val = spirals_split(data_seed)
    settings = dict(SPIRALS_SETTINGS, seed=train_seed)
    return Case((X_train, y_train, X_val, y_val), judge_spirals(X_val, y_val, settings["epochs"]),
                label=label, kwargs=settings)


def iterations_case(n: int, batch_size: int, epochs: int, label: str, learning_rate: float = 0.5,
                    hidden_dim: int = 8, seed: int = 0) -> Case:
    X, y = np.zeros((n, 2)), np.ones(n, dtype=np.int64)
    return Case((X, y, np.zeros((10, 2)), np.ones(10, dtype=np.int64)),
                judge_iterations(n, batch_size, epochs, learning_rate, hidden_dim), label=label,
                kwargs=dict(hidden_dim=hidden_dim, learning_rate=learning_rate, batch_size=batch_size,
                            epochs=epochs, seed=seed))


# ---- the checks --------------------------------------------------------------------------------

def _cubic(x):
    return float(np.sum(x ** 3))


def cubic_case(x, h=None, label=""):
    """f(x) = sum(x^3): the centered difference is exactly 3x^2 + h^2, the one-sided ones
    3x^2 +- 3xh + h^2."""
    step = 1e-5 if h is None else h
    hints = [(3 * x ** 2 + sign * 3 * x * step + step ** 2, FORWARD_DIFFERENCE) for sign in (1, -1)]
    if h is not None:
        hints.append((3 * x ** 2 + 1e-10, IGNORED_H))
    return Case((WatchedFunction(_cubic, x), x), judge_numerical_gradient(3 * x ** 2 + step ** 2, hints=hints),
                label=label, kwargs={} if h is None else {"h": h})


# Scalar functions for `numerical_gradient` to differentiate, each with its data bound by
# `functools.partial`: a case made of a named function and arrays can be handed to the student's
# kernel as data (utils.checks.case_data). They hold no answer (the gradient is the answer).

def tanh_plus_square_of_sum(z, c):
    """f(z) = sum(c * tanh(z)) + (sum z)^2 / 2."""
    return np.sum(c * np.tanh(z)) + 0.5 * np.sum(z) ** 2


def quadratic_form(z, A):
    """f(z) = z^T A z (A need not be symmetric)."""
    return z @ A @ z


def tf_function_case(x, c, label):
    """f(x) = sum(c * tanh(x)) + (sum x)^2 / 2: every entry affects every partial derivative."""
    return Case((WatchedFunction(functools.partial(tanh_plus_square_of_sum, c=c), x), x),
                judge_numerical_gradient(tf_function_gradient(x, c)), label=label)


@checks.exercise("numerical_gradient")
def _numerical_gradient():
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.5]])
    yield cubic_case(x, label="f(x) = sum(x**3) at a (2, 3) x: exactly 3x^2 (+ h^2)")
    yield cubic_case(np.array([2.0, -1.0]), h=1e-2,
                     label="f(x) = sum(x**3) with h=1e-2: the centered difference is 3x^2 + h^2 = (12.0001, 3.0001)")
    rng = np.random.default_rng(2)
    x3, c3 = random_array(rng, 2, 3, 4), random_array(rng, 2, 3, 4)
    yield tf_function_case(x3, c3, "f(x) = sum(c * tanh(x)) + (sum x)^2 / 2 at a (2, 3, 4) x, vs TensorFlow")
    yield tf_function_case(np.array([0.3, -0.7, 1.1, 2.0]), np.array([1.0, -1.0, 2.0, 0.5]),
                           "f(x) = sum(c * tanh(x)) + (sum x)^2 / 2 at a 1-D x, vs TensorFlow")


#: the notebook's worked example of an affine layer
AFFINE_X = np.array([[1.0, 2.0], [3.0, 4.0]])
AFFINE_W = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
AFFINE_B = np.array([0.5, -0.5, 1.0])
AFFINE_OUT = np.array([[5.5, 1.5, 0.0], [11.5, 3.5, -2.0]])

FLATTEN = "x of shape (N, d1, ..., dk) is flattened to (N, D), D = d1 * ... * dk, before the product."


@checks.exercise("affine_forward")
def _affine_forward():
    def judge_example(out):
        judge_forward("affine_forward", AFFINE_OUT)(out)
        cache = out[1]
        expect(isinstance(cache, tuple) and len(cache) == 3, "the cache should be the tuple (x, w, b)")

    yield Case((AFFINE_X, AFFINE_W, AFFINE_B), judge_example, label="the notebook's worked example")
    rng = np.random.default_rng(4)
    x, w, b = random_array(rng, 3, 2, 4), random_array(rng, 8, 5), random_array(rng, 5)
    yield Case((x, w, b), judge_forward("affine_forward", tf_affine(x, w, b)[0], advice=FLATTEN),
               label=f"x of shape {x.shape}, w {w.shape}: {FLATTEN}")


def antisymmetric(rng, n):
    """A random n x n matrix a with a.T == -a: a product with a misplaced transpose then gives the
    right answer negated or transposed, which a judge can recognise (and no shape error hides it)."""
    a = random_array(rng, n, n)
    return a - a.T


@checks.exercise("affine_backward")
def _affine_backward():
    rng = np.random.default_rng(15)
    x, w, b, dout = antisymmetric(rng, 3), antisymmetric(rng, 3), random_array(rng, 3), random_array(rng, 3, 3)
    yield Case((dout, (x, w, b)), judge_affine_backward(x, w, b, dout),
               label="a square case, N = D = M = 3, x and w antisymmetric (x.T == -x, w.T == -w)")
    dout = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 1.0]])
    yield Case((dout, (AFFINE_X, AFFINE_W, AFFINE_B)), judge_affine_backward(AFFINE_X, AFFINE_W, AFFINE_B, dout),
               label="the worked example's x, w, b with dout = [[1, 0, -1], [0.5, 2, 1]]")
    rng = np.random.default_rng(5)
    x, w, b = random_array(rng, 4, 2, 3), random_array(rng, 6, 3), random_array(rng, 3)
    dout = random_array(rng, 4, 3)
    yield Case((dout, (x, w, b)), judge_affine_backward(x, w, b, dout),
               label=f"x of shape {x.shape}, w {w.shape}: dx must have x's shape")


RELU_X = np.array([[-2.0, -0.5, 0.0], [1.5, 3.0, -1.0]])
RELU_KINK = "At exactly x == 0 the gradient is 0 (as in TensorFlow): pass dout only where x > 0."


@checks.exercise("relu_forward")
def _relu_forward():
    yield Case((RELU_X,), judge_forward("relu_forward", [[0.0, 0.0, 0.0], [1.5, 3.0, 0.0]], RELU_X),
               label="x = [[-2, -0.5, 0], [1.5, 3, -1]]; the cache is x")
    x = random_array(np.random.default_rng(6), 3, 4, 5)
    yield Case((x,), judge_forward("relu_forward", tf_activation("relu", x)[0]), label="a random (3, 4, 5) x")


@checks.exercise("relu_backward")
def _relu_backward():
    dout = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    yield Case((dout, RELU_X), judge_activation_backward("relu_backward", [[0, 0, 0], [4.0, 5.0, 0]], advice=RELU_KINK),
               label="x = [[-2, -0.5, 0], [1.5, 3, -1]], dout = [[1, 2, 3], [4, 5, 6]]")
    rng = np.random.default_rng(7)
    x, dout = random_array(rng, 3, 4, 5), random_array(rng, 3, 4, 5)
    yield Case((dout, x), judge_activation_backward("relu_backward", tf_activation("relu", x, dout)[1]),
               label="a random (3, 4, 5) x, vs TensorFlow")


STABLE_SIGMOID = ("exp of a large positive number overflows (np.exp(1000) = inf and numpy warns), even in "
                  "a branch that np.where then throws away. Exponentiate only -|x|: with e = exp(-|x|), "
                  "sigma(x) = 1/(1+e) for x >= 0 and e/(1+e) for x < 0.")


@checks.exercise("sigmoid_forward")
def _sigmoid_forward():
    x = np.array([-2.0, 0.0, 2.0])
    yield Case((x,), judge_forward("sigmoid_forward", tf_activation("sigmoid", x)[0]),
               label="x = [-2, 0, 2]: sigma(0) = 0.5")
    x = random_array(np.random.default_rng(8), 4, 3, scale=3.0)
    out = tf_activation("sigmoid", x)[0]
    yield Case((x,), judge_forward("sigmoid_forward", out, out), label="a random (4, 3) x; the cache is the output")
    big = np.array([[-1000.0, -710.0, -40.0, 0.0], [40.0, 710.0, 1000.0, -3.0]])
    yield Case((watched(big),), judge_forward("sigmoid_forward", tf_activation("sigmoid", big)[0], advice=STABLE_SIGMOID),
               label=f"x with entries up to +-1000; this check turns numpy's overflow warnings into "
                     f"errors. {STABLE_SIGMOID}")


@checks.exercise("sigmoid_backward")
def _sigmoid_backward():
    out0 = np.array([0.5])
    yield Case((np.array([1.0]), out0), judge_activation_backward("sigmoid_backward", [0.25]),
               label="x = 0: the cache (the output) is 0.5, and sigma'(0) = 0.5 * (1 - 0.5) = 0.25")
    rng = np.random.default_rng(9)
    x, dout = random_array(rng, 3, 5, scale=3.0), random_array(rng, 3, 5)
    out, dx = tf_activation("sigmoid", x, dout)
    yield Case((dout, out), judge_activation_backward("sigmoid_backward", dx),
               label="a random (3, 5) x, vs TensorFlow; the cache is sigmoid(x)")


def zero_params(d, h, c):
    return {"W1": np.zeros((d, h)), "b1": np.zeros(h), "W2": np.zeros((h, c)), "b2": np.zeros(c)}


def random_params(rng, d, h, c, scale=1.0):
    return {"W1": random_array(rng, d, h, scale=scale), "b1": random_array(rng, h, scale=scale),
            "W2": random_array(rng, h, c, scale=scale), "b2": random_array(rng, c, scale=scale)}


@checks.exercise("two_layer_loss")
def _two_layer_loss():
    X, y = np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 3.0], [2.0, -2.0]]), np.array([0, 2, 2, 1])
    params = zero_params(2, 3, 3)
    counts = np.bincount(y, minlength=3) / len(y)
    known = (math.log(3), {"W1": np.zeros((2, 3)), "b1": np.zeros(3), "W2": np.zeros((3, 3)),
                           "b2": 1 / 3 - counts})
    yield Case((params, X, y), judge_two_layer_loss(params, X, y, expected=known),
               label="all parameters 0: every class gets probability 1/3, loss ln 3, "
                     "only b2 has a gradient (1/3 - the fraction of each class)")
    rng = np.random.default_rng(10)
    params, X, y = random_params(rng, 4, 6, 3), random_array(rng, 5, 4), rng.integers(0, 3, size=5)
    yield Case((params, X, y), judge_two_layer_loss(params, X, y),
               label="random parameters, N=5, D=4, H=6, C=3, vs TensorFlow")


@checks.exercise("train_two_layer")
def _train_two_layer():
    yield iterations_case(1000, 64, 1, "every input 0, all labels 1: one epoch of 1000 examples in "
                                       "batches of 64 is 16 updates, the last batch 40 examples")
    yield spirals_case(0, 0, f"the spirals (utils.data.spirals(seed=0)), 80/20 split, "
                             f"{SPIRALS_SETTINGS}: validation accuracy >= {SPIRALS_MIN_ACCURACY:.0%}")
