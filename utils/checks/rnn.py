"""Visible checks for notebook 08 (recurrent networks).

References:
- the notebook's formulas written in TensorFlow ops and differentiated by TensorFlow's autodiff
  (`utils.autodiff`): a vanilla RNN step h = tanh(x Wx + h_prev Wh + b), the same step unrolled
  over a sequence, and an LSTM step with the gates in the notebook's order i, f, o, g;
- Keras' own implementations: `keras.layers.SimpleRNNCell`, `keras.layers.SimpleRNN`, and
  `keras.layers.LSTMCell` (which orders its gates i, f, g, o: the weights are reordered for it);
- the notebook's worked examples.

The caches are fixed by the exercises' contracts (the docstrings), so a backward check can hand
the student's function a cache built here. When a gradient is wrong, the judges try the common
slips (each one a TensorFlow computation, never the exercise in numpy) and name the one that
matches.

The references are declared here by their signatures only and computed on the instructor side
(autograder/references/rnn.py); a student's kernel has their values for the visible checks'
inputs only (utils.checks.references).
"""
from __future__ import annotations

import itertools

import numpy as np

from ..gradcheck import rel_error
from .references import NoStoredValue, reference
from .core import (Case, CheckFailure, Registry, expect, expect_array, expect_close,
                   expect_tuple, random_array)

checks = Registry("08_rnn")

#: the notebook's gate order along the 4H axis; Keras' LSTMCell uses "ifgo" (it calls g "c")
GATES = "ifog"
GATE_NAMES = {"i": "input gate i", "f": "forget gate f", "o": "output gate o", "g": "candidate g"}

# ---- the notebook's worked examples ---------------------------------------------------------------

#: one RNN step: x Wx + h_prev Wh + b = [0.9, -0.3], so h = tanh of that = [0.716298, -0.291313]
STEP_X = np.array([[1.0, 1.0]])
STEP_H_PREV = np.array([[1.0, -1.0]])
STEP_WX = np.array([[0.1, 0.2], [0.3, -0.1]])
STEP_WH = np.array([[0.5, 0.0], [0.0, 0.5]])
STEP_B = np.array([0.0, 0.1])
STEP_H = np.tanh(np.array([[0.9, -0.3]]))

#: one LSTM step with all weights 0: every gate is sigmoid(0) = 0.5 and g = tanh(0) = 0, so
#: c = 0.5 * c_prev = 1 and h = 0.5 * tanh(1) = 0.380797
LSTM_X = np.array([[1.0]])
LSTM_H_PREV = np.array([[0.0]])
LSTM_C_PREV = np.array([[2.0]])
LSTM_WX = np.zeros((1, 4))
LSTM_WH = np.zeros((1, 4))
LSTM_B = np.zeros(4)

# ---- references: TensorFlow and Keras, float64 (computed on the instructor side,
# autograder/references/rnn.py; a student's kernel has their values for the visible checks' inputs
# only). They take and return numpy arrays. ---------------------------------------------------------

@reference
def tf_rnn_step(x, h_prev, Wx, Wh, b, activation=None) -> np.ndarray:
    """h = tanh(x Wx + h_prev Wh + b) in TensorFlow (`activation` "sigmoid" or "identity" replaces
    tanh, for the slips)."""


@reference
def tf_rnn(x, h0, Wx, Wh, b) -> np.ndarray:
    """Every hidden state of the unrolled RNN, (N, T, H), in TensorFlow."""


@reference
def tf_lstm_step(x, h_prev, c_prev, Wx, Wh, b, *, order: str = GATES, no_tanh_on_c=False, sigmoid_g=False):
    """One LSTM step in TensorFlow: (h, c, gates), gates (N, 4H) activated, in the order i, f, o, g.

    `order` says how the 4H axis of the weights is read (the slips read it in another order);
    the other flags are slips too."""


def rnn_step_cache(x, h_prev, Wx, Wh, b) -> tuple:
    """The cache rnn_step_forward must return: (x, h_prev, Wx, Wh, h), h from TensorFlow."""
    args = [np.asarray(a, dtype=np.float64) for a in (x, h_prev, Wx, Wh, b)]
    h = tf_rnn_step(*args)
    return (args[0], args[1], args[2], args[3], h)


def rnn_cache(x, h0, Wx, Wh, b) -> list:
    """The cache rnn_forward must return: the list of the T step caches, h from TensorFlow."""
    x, h0, Wx, Wh, b = (np.asarray(a, dtype=np.float64) for a in (x, h0, Wx, Wh, b))
    hs = tf_rnn(x, h0, Wx, Wh, b)
    prev = [h0] + [hs[:, t] for t in range(hs.shape[1] - 1)]
    return [(x[:, t].copy(), prev[t].copy(), Wx, Wh, hs[:, t].copy()) for t in range(x.shape[1])]


def lstm_cache(x, h_prev, c_prev, Wx, Wh, b) -> tuple:
    """The cache lstm_step_forward must return: (x, h_prev, c_prev, Wx, Wh, gates, c)."""
    args = [np.asarray(a, dtype=np.float64) for a in (x, h_prev, c_prev, Wx, Wh, b)]
    _, c, gates = tf_lstm_step(*args)
    return (args[0], args[1], args[2], args[3], args[4], gates, c)


@reference
def tf_rnn_step_grads(x, h_prev, Wx, Wh, b, dh, activation=None):
    """Gradients of sum(h * dh) wrt (x, h_prev, Wx, Wh, b), by autodiff."""


@reference
def tf_affine_grads(x, h_prev, Wx, Wh, b, dz):
    """Gradients wrt (x, h_prev, Wx, Wh, b) of sum(z * dz), z = x Wx + h_prev Wh + b: what a
    backward pass returns once it has the gradient dz of the pre-activation (right or wrong)."""


@reference
def tf_rnn_grads(x, h0, Wx, Wh, b, dh, *, cut_recurrence=False):
    """Gradients of sum(h * dh) over all steps wrt (x, h0, Wx, Wh, b), by autodiff.
    `cut_recurrence` stops the gradient along h_{t-1} -> h_t for t >= 1 (what a backward pass that
    never carries dh_prev back computes)."""


@reference
def tf_rnn_grads_per_step(x, h0, Wx, Wh, b, dh):
    """(dWx_t, dWh_t, db_t): each step's own share of the weight gradients, (T, ...) each."""


@reference
def tf_lstm_grads(x, h_prev, c_prev, Wx, Wh, b, dh, dc, *, cut_c_in_h=False):
    """Gradients of sum(h * dh) + sum(c * dc) wrt (x, h_prev, c_prev, Wx, Wh, b), by autodiff.
    `cut_c_in_h` stops the gradient of h = o * tanh(c) along c (a slip)."""


def keras_gate_columns(H: int) -> np.ndarray:
    """Column indices that reorder a (.., 4H) array from the order i, f, o, g to Keras' i, f, g, o."""
    block = {k: np.arange(j * H, (j + 1) * H) for j, k in enumerate(GATES)}
    return np.concatenate([block[k] for k in "ifgo"])


@reference
def keras_rnn_step(x, h_prev, Wx, Wh, b) -> np.ndarray:
    """One step of `keras.layers.SimpleRNNCell` (float64) holding the weights (Wx, Wh, b)."""


@reference
def keras_rnn(x, h0, Wx, Wh, b) -> np.ndarray:
    """`keras.layers.SimpleRNN(return_sequences=True)` (float64) from the initial state h0."""


@reference
def keras_lstm_step(x, h_prev, c_prev, Wx, Wh, b):
    """One step of `keras.layers.LSTMCell` (float64), weights reordered to its gate order: (h, c)."""


# ---- helpers for the judges ----------------------------------------------------------------------

def _matches(got, candidate) -> bool:
    got = np.asarray(got) if isinstance(got, (np.ndarray, list, float, int)) else got
    if not isinstance(got, np.ndarray) or got.dtype.kind not in "fiu":
        return False
    candidate = np.asarray(candidate, dtype=np.float64)
    return got.shape == candidate.shape and rel_error(got, candidate) < 1e-9


def _slip_value(make):
    """A slip's result, or None where a student's kernel has no stored value for it (a slip whose
    inputs differ in their last bits on another machine: the check then names no slip)."""
    try:
        return make()
    except NoStoredValue:
        return None


def _first_slip(got, expected, slips):
    """The advice of the first slip whose result (computed lazily) `got` matches."""
    for make, advice in slips:
        candidate = _slip_value(make)
        if candidate is not None and not _matches(expected, candidate) and _matches(got, candidate):
            return advice
    return ""


def _close_or_explain(what: str, got, expected, slips=(), advice: str = "") -> None:
    try:
        expect_close(what, got, expected)
    except CheckFailure as exc:
        hint = _first_slip(got, expected, slips) or advice
        raise CheckFailure(f"{exc}\n  {hint}".rstrip()) from None


def expect_close_numeric(what: str, got, numeric) -> None:
    """Compare with a finite-difference gradient; entries it did not compute (NaN) are skipped."""
    numeric = np.asarray(numeric, dtype=np.float64)
    got = expect_array(what, got, shape=numeric.shape)
    mask = ~np.isnan(numeric)
    expect_close(f"{what} (vs centered finite differences)", np.asarray(got, dtype=np.float64)[mask],
                 numeric[mask])


def _grads_all_match(got, candidate) -> bool:
    return len(got) == len(candidate) and all(_matches(g, c) for g, c in zip(got, candidate))


def _compare_grads(fname: str, names, got, refs, *, slips=(), shape_hints=None, numeric=None,
                   diagnose=None) -> None:
    """Judge a backward pass's tuple of gradients against `refs` (and finite differences).

    `slips`: (lazily computed tuple of gradients, advice) pairs tried when any gradient is wrong;
    `diagnose(got)` may return more specific advice (e.g. which gate is wrong).
    """
    got = expect_tuple(fname, got, len(names))
    for what, g, ref in zip(names, got, refs):
        try:
            expect_array(what, g, shape=np.shape(ref))
        except CheckFailure as exc:
            hint = (shape_hints or {}).get(what, "")
            raise CheckFailure(f"{exc}" + (f". {hint}" if hint else "")) from None
    wrong = [w for w, g, ref in zip(names, got, refs) if rel_error(g, ref) > 1e-7]
    if wrong:
        advice = ""
        for make, text in slips:
            candidate = _slip_value(make)
            if candidate is not None and not _grads_all_match(refs, candidate) and _grads_all_match(got, candidate):
                advice = text
                break
        if not advice and diagnose is not None:
            advice = diagnose(got) or ""
        right = [w for w in names if w not in wrong]
        summary = f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} wrong" + \
                  (f" ({', '.join(right)} {'is' if len(right) == 1 else 'are'} right)" if right else "")
        first = names.index(wrong[0])
        try:
            expect_close(wrong[0], got[first], refs[first])
        except CheckFailure as exc:
            raise CheckFailure(f"{summary}. {exc}" + (f"\n  {advice}" if advice else "")) from None
    for what, g, ref in zip(names, got, refs):
        expect_close(what, g, ref)      # records the agreement (benchmarks) and passes
    if numeric is not None:
        for what, g, num in zip(names, got, numeric):
            expect_close_numeric(what, g, num)


# ---- judges: the vanilla RNN step ------------------------------------------------------------------

STEP_CACHE = ("The cache must be the tuple (x, h_prev, Wx, Wh, h_next) — the inputs the backward pass "
              "needs and the step's output h_next — in that order (rnn_step_backward receives it).")
TANH = "The RNN step squashes with tanh: h_next = tanh(x @ Wx + h_prev @ Wh + b)."
# The messages of rnn_step_backward name the rule of the step's computational graph that was missed
# (the notebook teaches the rules and leaves the step's formulas to the student).
TANH_DERIVATIVE = ("tanh's local derivative is 1 - tanh(a)**2 at the pre-activation a, and the cache's h_next is "
                   "tanh(a) already: applying tanh to it again, 1 - tanh(h_next)**2, differentiates at the "
                   "wrong point.")
NO_DERIVATIVE = ("The gradient skipped the tanh node. h_next = tanh(a) is the last node of the step's graph, so "
                 "on the way back dh is multiplied, elementwise, by tanh's local derivative before it reaches "
                 "the add node and the two matrix products.")
SIGMOID_DERIVATIVE = ("h (1 - h) is the local derivative of the sigmoid; this step's nonlinearity is tanh, "
                      "whose local derivative is 1 - tanh(a)**2.")
ONE_MINUS_H = "1 - h is not tanh's local derivative: that is 1 - tanh(a)**2, with a square."
SUM_OVER_BATCH = ("b has shape (H,) and is added to every one of the N rows of the batch: a variable used N "
                  "times receives the sum of the N gradients, one entry per hidden unit.")
BIAS_MEAN = ("db is the batch average of the right answer: the N copies of b (one per row) each pass "
             "their gradient back, and those add up. Sum, not mean: any averaging over the batch is "
             "already inside the upstream gradient dh.")
SHAPES = ("Every gradient has the shape of what it is the gradient of: {what} is {shape} like {of}. Write "
          "the shapes of the two arrays the product node combines, and arrange them so that the result "
          "has that shape.")


def _square_transpose(what: str, weight: str, inp: str) -> str:
    return (f"{what} is the transpose of the right answer. {weight} is square, so the shapes cannot tell the "
            f"two apart: go back to the index form of the product, ({inp} @ {weight})[n, j] = sum_k {inp}[n, k] "
            f"{weight}[k, j]. The entry {weight}[k, j] meets {inp}[:, k] (mul swaps), so the first index of "
            f"{what} runs over the columns of {inp} and the second over the hidden units.")


def _untransposed_weight(what: str, weight: str, inp: str) -> str:
    return (f"{what} was passed back through {weight} itself. Through a matrix product the gradient of one "
            f"factor pairs the upstream gradient with the other factor transposed (notebook 02's affine "
            f"layer); {weight} is square, so the wrong orientation has the right shape and only the values "
            f"show it. In index form, ({inp} @ {weight})[n, j] = sum_k {inp}[n, k] {weight}[k, j]: which index "
            f"of {weight} does the gradient of {inp}[n, k] sum over?")


def _wrong_input(what: str, used: str, right: str, weight: str) -> str:
    return (f"{what} pairs the pre-activation's gradient with {used}. A weight's gradient comes from what it "
            f"multiplied in the forward pass (mul swaps): {weight} multiplied {right}.")


SWAPPED = ("dx and dh_prev are swapped: x went through Wx and h_prev through Wh, so each input's gradient "
           "goes back through its own weight.")


def judge_rnn_step_forward(x, h_prev, Wx, Wh, b, *, keras_check=False):
    args = [np.asarray(a, dtype=np.float64) for a in (x, h_prev, Wx, Wh, b)]
    ref = rnn_step_cache(*args)
    h_ref = ref[4]
    slips = [(lambda: tf_rnn_step(*args, activation="sigmoid"),
              "That is the sigmoid of the pre-activation. " + TANH),
             (lambda: tf_rnn_step(*args, activation="identity"),
              "That is the pre-activation x @ Wx + h_prev @ Wh + b: apply tanh to it."),
             (lambda: tf_rnn_step(*args[:4], np.zeros_like(args[4])), "The bias b is missing.")]
    if keras_check:   # an independent engine: Keras' own SimpleRNNCell agrees with the reference
        h_keras = keras_rnn_step(*args)
        assert rel_error(h_keras, h_ref) < 1e-12, "internal: Keras and TensorFlow disagree"

    def judge(out):
        h, cache = expect_tuple("rnn_step_forward", out, 2)
        _close_or_explain("h_next", h, h_ref, slips)
        expect(isinstance(cache, tuple) and len(cache) == 5, STEP_CACHE)
        for what, g, r in zip(("x", "h_prev", "Wx", "Wh", "h_next"), cache, ref):
            _close_or_explain(f"the cache's {what}", g, r, advice=STEP_CACHE)
    return judge


def judge_rnn_step_backward(x, h_prev, Wx, Wh, b, dh, *, numeric=None):
    args = [np.asarray(a, dtype=np.float64) for a in (x, h_prev, Wx, Wh, b)]
    dh = np.asarray(dh, dtype=np.float64)
    refs = tf_rnn_step_grads(*args, dh)
    h = rnn_step_cache(*args)[4]
    x, h_prev, Wx, Wh, b = args
    N, D, H = x.shape[0], Wx.shape[0], Wh.shape[0]
    names = ["dx", "dh_prev", "dWx", "dWh", "db"]
    # the wrong local derivatives of tanh (each the gradient of the pre-activation that a slip computes)
    wrong_da = [(lambda: dh * (1 - np.tanh(h) ** 2), TANH_DERIVATIVE), (lambda: dh, NO_DERIVATIVE),
                (lambda: dh * h * (1 - h), SIGMOID_DERIVATIVE), (lambda: dh * (1 - h), ONE_MINUS_H)]
    slips = [(lambda make=make: tf_affine_grads(*args, make()), advice) for make, advice in wrong_da]

    da_cache = []

    def da():
        """The right gradient of the pre-activation, by autodiff: for one example alone it is the
        gradient wrt b (so the judge never holds the step's backward formula)."""
        if not da_cache:
            da_cache.append(np.concatenate([tf_rnn_step_grads(x[n:n + 1], h_prev[n:n + 1], Wx, Wh, b, dh[n:n + 1])[4][None]
                                            for n in range(N)]))
        return da_cache[0]

    def with_right_da(k, *replaced):
        """Gradient k of the product nodes fed the right pre-activation gradient, with some inputs replaced."""
        inputs = list(args)
        for i, value in replaced:
            inputs[i] = value
        return lambda: tf_affine_grads(*inputs, da())[k]

    per_gradient = {name: [(lambda k=k, make=make: tf_affine_grads(*args, make())[k], advice)
                           for make, advice in wrong_da] for k, name in enumerate(names)}
    per_gradient["dh_prev"].append((with_right_da(1, (3, Wh.T)), _untransposed_weight("dh_prev", "Wh", "h_prev")))
    per_gradient["dWh"] += [(lambda: refs[3].T, _square_transpose("dWh", "Wh", "h_prev")),
                            (with_right_da(3, (1, h)), _wrong_input("dWh", "h_next", "h_prev", "Wh"))]
    per_gradient["db"].append((lambda: refs[4] / N, BIAS_MEAN))
    if D == H:                                   # only then do these slips have the right shapes
        per_gradient["dx"] += [(with_right_da(0, (2, Wx.T)), _untransposed_weight("dx", "Wx", "x")),
                               (lambda: refs[1], SWAPPED)]
        per_gradient["dh_prev"].append((lambda: refs[0], SWAPPED))
        per_gradient["dWx"] += [(lambda: refs[2].T, _square_transpose("dWx", "Wx", "x")),
                                (with_right_da(2, (0, h_prev)), _wrong_input("dWx", "h_prev", "x", "Wx"))]
        per_gradient["dWh"].append((with_right_da(3, (1, x)), _wrong_input("dWh", "x", "h_prev", "Wh")))

    def diagnose(got):
        """The rule each wrong gradient missed (one line per gradient that matches a known slip)."""
        advice = []
        for k, name in enumerate(names):
            if rel_error(got[k], refs[k]) > 1e-7:
                hint = _first_slip(got[k], refs[k], per_gradient[name])
                if hint and hint not in advice:
                    advice.append(hint if hint.startswith(name) else f"{name}: {hint}")
        return "\n  ".join(advice)

    shapes = {"x": "(N, D)", "h_prev": "(N, H)", "Wx": "(D, H)", "Wh": "(H, H)"}

    def judge(out):
        _compare_grads("rnn_step_backward", names, out, refs, slips=slips, diagnose=diagnose,
                       shape_hints={"db": SUM_OVER_BATCH,
                                    **{f"d{v}": SHAPES.format(what=f"d{v}", shape=s, of=v) for v, s in shapes.items()}},
                       numeric=numeric)
    return judge


# ---- judges: the whole sequence ------------------------------------------------------------------

SEQ_SHAPE = ("rnn_forward returns every hidden state h_1 .. h_T as one (N, T, H) array (what Keras' "
             "return_sequences=True gives), not only the last one, and not h0.")
SEQ_CACHE = ("The cache must be the list of the T step caches, cache[t] = the cache rnn_step_forward "
             "returned at step t (rnn_backward receives it).")
NOT_CARRIED = ("The gradient was not carried back through time: the hidden state h_{t-1} feeds step t, "
               "so its gradient is its own upstream dh[:, t-1] PLUS the dh_prev that step t's backward "
               "pass returns. Keep that dh_prev and add it to the next (earlier) step's dh.")
UPSTREAM_DROPPED = ("Only the last time step's upstream gradient was used: every hidden state h_t has a "
                    "loss of its own, so step t's backward pass gets dh[:, t] plus the gradient carried "
                    "back from step t+1.")
NOT_SUMMED = ("The weights are the same at every time step, so their gradient is the SUM of every step's "
              "contribution (dWx += ..., starting from zeros), not the contribution of one step.")
DH0 = ("dh0 is the gradient of the initial hidden state: the dh_prev returned by the backward pass of "
       "the first step (t = 0), once every later step has been processed.")


def judge_rnn_forward(x, h0, Wx, Wh, b, *, keras_check=False):
    args = [np.asarray(a, dtype=np.float64) for a in (x, h0, Wx, Wh, b)]
    cache_ref = rnn_cache(*args)
    h_ref = np.stack([c[4] for c in cache_ref], axis=1)
    N, T, _ = args[0].shape
    H = args[1].shape[1]
    if keras_check:
        assert rel_error(keras_rnn(*args), h_ref) < 1e-12, "internal: Keras and TensorFlow disagree"
    slips = [(lambda: np.stack([rnn_step_cache(args[0][:, t], args[1], *args[2:])[4] for t in range(T)], axis=1),
              "Every step used h0 as its previous state: feed each step's output h into the next step.")]

    def judge(out):
        h, cache = expect_tuple("rnn_forward", out, 2)
        h_arr = np.asarray(h) if isinstance(h, (np.ndarray, list)) else h
        if isinstance(h_arr, np.ndarray) and h_arr.shape != (N, T, H):
            raise CheckFailure(f"h has shape {h_arr.shape}, expected (N, T, H) = {(N, T, H)}. {SEQ_SHAPE}")
        _close_or_explain("h", h, h_ref, slips)
        expect(isinstance(cache, (list, tuple)) and len(cache) == T,
               f"{SEQ_CACHE} Got {type(cache).__name__}"
               + (f" of length {len(cache)}, expected {T}" if isinstance(cache, (list, tuple)) else ""))
        for t, (step, ref) in enumerate(zip(cache, cache_ref)):
            expect(isinstance(step, tuple) and len(step) == 5, f"cache[{t}] is not a step cache. {SEQ_CACHE} {STEP_CACHE}")
            for what, g, r in zip(("x", "h_prev", "Wx", "Wh", "h_next"), step, ref):
                _close_or_explain(f"cache[{t}]'s {what}", g, r, advice=SEQ_CACHE)
    return judge


def judge_rnn_backward(x, h0, Wx, Wh, b, dh, *, numeric=None):
    args = [np.asarray(a, dtype=np.float64) for a in (x, h0, Wx, Wh, b)]
    dh = np.asarray(dh, dtype=np.float64)
    refs = tf_rnn_grads(*args, dh)
    T = args[0].shape[1]

    def upstream_last_only():
        last = np.zeros_like(dh)
        last[:, -1] = dh[:, -1]
        return tf_rnn_grads(*args, last)

    def one_step_weights(t):
        per_step = tf_rnn_grads_per_step(*args, dh)
        return lambda: refs[:2] + tuple(p[t] for p in per_step)

    slips = [(lambda: tf_rnn_grads(*args, dh, cut_recurrence=True), NOT_CARRIED),
             (upstream_last_only, UPSTREAM_DROPPED),
             (one_step_weights(0), NOT_SUMMED), (one_step_weights(T - 1), NOT_SUMMED),
             (lambda: (refs[0], np.zeros_like(refs[1])) + refs[2:], DH0)]

    def judge(out):
        _compare_grads("rnn_backward", ["dx", "dh0", "dWx", "dWh", "db"], out, refs, slips=slips,
                       shape_hints={"dx": "dx has x's shape (N, T, D): one gradient per input x_t.",
                                    "dh0": "dh0 has h0's shape (N, H).", "db": SUM_OVER_BATCH},
                       numeric=numeric)
    return judge


# ---- judges: the LSTM step -----------------------------------------------------------------------

GATE_ORDER = ("The 4H columns of a = x @ Wx + h_prev @ Wh + b hold the gates in the order i, f, o, g: "
              "a[:, :H] is the input gate, a[:, H:2H] the forget gate, a[:, 2H:3H] the output gate and "
              "a[:, 3H:] the candidate g.")
LSTM_CACHE = ("The cache must be the tuple (x, h_prev, c_prev, Wx, Wh, gates, c_next), gates the (N, 4H) "
              "array of the activated gates [i, f, o, g] side by side (sigmoid for i, f, o; tanh for g).")
GATE_HINTS = {
    "i": "di = dc_total * g (the input gate scales the candidate), then times i (1 - i).",
    "f": "df = dc_total * c_prev (the forget gate scales the PREVIOUS cell state), then times f (1 - f).",
    "o": "do = dh * tanh(c_next) (the output gate scales tanh of the new cell state), then times o (1 - o).",
    "g": "dg = dc_total * i, then times tanh's derivative 1 - g**2.",
}
DC_TOTAL = ("The cell state reaches the loss two ways: directly (dc, from the next step) and through "
            "h_next = o * tanh(c_next). So dc_total = dc + dh * o * (1 - tanh(c_next)**2), and the gradient "
            "of every gate and of c_prev starts from dc_total.")
DC_DROPPED = ("The upstream dc was ignored: the cell state's gradient arriving from the next time step must be "
              "added, dc_total = dc + dh * o * (1 - tanh(c_next)**2).")
DC_PREV = "dc_prev = dc_total * f: the forget gate is what c_prev is multiplied by."


def judge_lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b, *, keras_check=False):
    args = [np.asarray(a, dtype=np.float64) for a in (x, h_prev, c_prev, Wx, Wh, b)]
    cache_ref = lstm_cache(*args)
    c_ref = cache_ref[6]
    h_ref = tf_lstm_step(*args)[0]
    if keras_check:
        h_k, c_k = keras_lstm_step(*args)
        assert rel_error(h_k, h_ref) < 1e-12 and rel_error(c_k, c_ref) < 1e-12, "internal: Keras disagrees"

    def order_slip(order, label):
        return (lambda: np.concatenate(tf_lstm_step(*args, order=order)[:2], axis=1),
                f"The gates were read in the order {', '.join(order)} ({label}). {GATE_ORDER}")

    slips = [order_slip("ifgo", "Keras' order for its kernel columns, not this exercise's")]
    slips += [order_slip("".join(p), "another order") for p in itertools.permutations(GATES)
              if "".join(p) not in (GATES, "ifgo")]
    slips += [(lambda: np.concatenate(tf_lstm_step(*args, no_tanh_on_c=True)[:2], axis=1),
               "h_next = o * tanh(c_next): the output gate scales tanh of the cell state, not the cell state."),
              (lambda: np.concatenate(tf_lstm_step(*args, sigmoid_g=True)[:2], axis=1),
               "The candidate g uses tanh (values in (-1, 1)); only i, f and o use the sigmoid.")]

    def judge(out):
        h, c, cache = expect_tuple("lstm_step_forward", out, 3)
        h = expect_array("h_next", h, shape=h_ref.shape)
        c = expect_array("c_next", c, shape=c_ref.shape)
        both, both_ref = np.concatenate([h, c], axis=1), np.concatenate([h_ref, c_ref], axis=1)
        if rel_error(both, both_ref) > 1e-7:
            hint = _first_slip(both, both_ref, slips)
            for what, g, r in (("c_next", c, c_ref), ("h_next", h, h_ref)):
                _close_or_explain(what, g, r, advice=hint)
        expect_close("h_next", h, h_ref)
        expect_close("c_next", c, c_ref)
        expect(isinstance(cache, tuple) and len(cache) == 7, LSTM_CACHE)
        for what, g, r in zip(("x", "h_prev", "c_prev", "Wx", "Wh", "gates", "c_next"), cache, cache_ref):
            _close_or_explain(f"the cache's {what}", g, r, advice=LSTM_CACHE)
    return judge


def _gate_diagnosis(refs, H: int):
    """Advice naming the gates whose share of the weight gradients (their H columns of db) is wrong."""
    db_ref = refs[5]

    def diagnose(got):
        db = np.asarray(got[5], dtype=np.float64)
        if db.shape != db_ref.shape:
            return ""
        bad = [k for j, k in enumerate(GATES) if rel_error(db[j * H:(j + 1) * H], db_ref[j * H:(j + 1) * H]) > 1e-7]
        if not bad or len(bad) == 4:
            return DC_TOTAL if bad else ""
        good = [k for k in GATES if k not in bad]
        cols = {k: f"{j}H:{j + 1}H".replace("0H:", "0:").replace("1H", "H") for j, k in enumerate(GATES)}
        text = (f"The gradient of the pre-activation is wrong for the {', '.join(GATE_NAMES[k] for k in bad)} "
                f"(columns {', '.join(cols[k] for k in bad)} of db) and right for the "
                f"{', '.join(GATE_NAMES[k] for k in good)}. " + " ".join(GATE_HINTS[k] for k in bad))
        return text
    return diagnose


def judge_lstm_step_backward(x, h_prev, c_prev, Wx, Wh, b, dh, dc, *, numeric=None):
    args = [np.asarray(a, dtype=np.float64) for a in (x, h_prev, c_prev, Wx, Wh, b)]
    dh, dc = np.asarray(dh, dtype=np.float64), np.asarray(dc, dtype=np.float64)
    refs = tf_lstm_grads(*args, dh, dc)
    H = args[1].shape[1]
    f = lstm_cache(*args)[5][:, H:2 * H]

    slips = [(lambda: tf_lstm_grads(*args, dh, dc, cut_c_in_h=True), DC_TOTAL),
             (lambda: tf_lstm_grads(*args, dh, np.zeros_like(dc)), DC_DROPPED),
             (lambda: refs[:2] + (refs[2] / f,) + refs[3:], DC_PREV),
             (lambda: refs[:2] + (np.zeros_like(refs[2]),) + refs[3:], DC_PREV)]

    def judge(out):
        _compare_grads("lstm_step_backward", ["dx", "dh_prev", "dc_prev", "dWx", "dWh", "db"], out, refs,
                       slips=slips, diagnose=_gate_diagnosis(refs, H),
                       shape_hints={"db": "db sums over the batch axis: shape (4H,).",
                                    "dWx": "dWx has Wx's shape (D, 4H).", "dWh": "dWh has Wh's shape (H, 4H)."},
                       numeric=numeric)
    return judge


# ---- the Keras character model --------------------------------------------------------------------

def describe_char_model(fn, vocab_size: int, embedding_dim: int, units: int) -> dict:
    """The driver of the char_lstm_model checks: build the student's model and describe it in plain
    data (layer types, shapes, parameter count, whether an output depends on later inputs)."""
    import keras
    keras.utils.set_random_seed(0)
    model = fn(vocab_size, embedding_dim, units)
    if not isinstance(model, keras.Model):
        return {"type": type(model).__name__}
    rng = np.random.default_rng(0)
    a = rng.integers(0, vocab_size, (2, 7)).astype("int32")
    b = a.copy()
    b[:, -1] = (b[:, -1] + 1) % vocab_size            # change only the last character
    out_a, out_b = np.asarray(model(a), dtype=np.float64), np.asarray(model(b), dtype=np.float64)
    desc = {"type": "Model", "output_shape": list(out_a.shape)}
    layers = [l for l in model.layers if not isinstance(l, keras.layers.InputLayer)]
    desc["layers"] = [type(l).__name__ for l in layers]
    desc["return_sequences"] = [bool(getattr(l, "return_sequences", False)) for l in layers]
    desc["last_activation"] = str(layers[-1].get_config().get("activation", "")) if layers else ""
    desc["params"] = int(model.count_params())
    if out_a.ndim == 3:
        desc["future_change"] = float(np.max(np.abs(out_a[:, :-1] - out_b[:, :-1])))
        desc["scale"] = float(np.max(np.abs(out_a)))
        desc["rows_sum_to_one"] = bool(np.all(out_a >= 0) and np.allclose(out_a.sum(-1), 1.0, atol=1e-4))
    return desc


CHAR_MODEL = ("Build Embedding(vocab_size, embedding_dim) -> LSTM(units, return_sequences=True) -> "
              "Dense(vocab_size), from keras.Input(shape=(None,), dtype='int32').")


def char_model_params(vocab_size: int, embedding_dim: int, units: int) -> int:
    """Weights of Embedding(V, E) -> LSTM(U) -> Dense(V): V E + 4 (E U + U U + U) + U V + V."""
    V, E, U = vocab_size, embedding_dim, units
    return V * E + 4 * (E * U + U * U + U) + U * V + V


def judge_char_model(vocab_size: int, embedding_dim: int, units: int):
    V = vocab_size

    def judge(desc):
        expect(isinstance(desc, dict) and desc.get("type") == "Model",
               f"char_lstm_model should return a Keras model, got {desc.get('type') if isinstance(desc, dict) else desc!r}. "
               f"{CHAR_MODEL}")
        layers = desc["layers"]
        expect(layers == ["Embedding", "LSTM", "Dense"],
               f"the model's layers are {' -> '.join(layers) or 'none'}, expected Embedding -> LSTM -> Dense. "
               + ("A Bidirectional layer reads the text backwards too: the model would see the character it "
                  "must predict. " if "Bidirectional" in layers else "") + CHAR_MODEL)
        expect(desc["return_sequences"][1],
               f"the LSTM returns only its last output (output shape {tuple(desc['output_shape'])}): set "
               f"return_sequences=True, so that every position predicts its next character.")
        expect(desc["output_shape"] == [2, 7, V],
               f"on a (2, 7) batch of character ids the output has shape {tuple(desc['output_shape'])}, expected "
               f"(2, 7, {V}): one score per vocabulary character at every position. {CHAR_MODEL}")
        expect(desc["last_activation"] == "linear" and not desc.get("rows_sum_to_one"),
               f"the last layer applies {desc['last_activation']!r}: return logits (no activation). The notebook "
               f"trains with SparseCategoricalCrossentropy(from_logits=True) and samples from softmax(logits / T).")
        expected = char_model_params(vocab_size, embedding_dim, units)
        expect(desc["params"] == expected,
               f"the model has {desc['params']} weights, expected {expected} for Embedding({V}, {embedding_dim}) "
               f"-> LSTM({units}) -> Dense({V}). Are embedding_dim and units passed to the right layers?")
        expect(desc["future_change"] <= 1e-6 * max(1.0, desc["scale"]),
               f"changing only the LAST input character changed the outputs at earlier positions (by up to "
               f"{desc['future_change']:.3g}): a language model must not see the future.")
    return judge


# ---- the visible checks ----------------------------------------------------------------------------

def _params(rng, D, H, scale=0.5):
    return random_array(rng, D, H, scale=scale), random_array(rng, H, H, scale=scale), random_array(rng, H, scale=0.2)


@checks.exercise("rnn_step_forward")
def _rnn_step_forward():
    yield Case((STEP_X, STEP_H_PREV, STEP_WX, STEP_WH, STEP_B),
               judge_rnn_step_forward(STEP_X, STEP_H_PREV, STEP_WX, STEP_WH, STEP_B),
               label="the notebook's worked example: h_next = tanh([0.9, -0.3]) = [0.716298, -0.291313]")
    rng = np.random.default_rng(80)
    x, h = random_array(rng, 3, 4), random_array(rng, 3, 5)
    Wx, Wh, b = _params(rng, 4, 5)
    yield Case((x, h, Wx, Wh, b), judge_rnn_step_forward(x, h, Wx, Wh, b, keras_check=True),
               label="N=3, D=4, H=5, random, vs TensorFlow and keras.layers.SimpleRNNCell")


@checks.exercise("rnn_step_backward")
def _rnn_step_backward():
    dh = np.array([[1.0, -2.0]])
    yield Case((dh, rnn_step_cache(STEP_X, STEP_H_PREV, STEP_WX, STEP_WH, STEP_B)),
               judge_rnn_step_backward(STEP_X, STEP_H_PREV, STEP_WX, STEP_WH, STEP_B, dh),
               label="the worked example's cache, dh = [[1, -2]]")
    rng = np.random.default_rng(81)
    x, h = random_array(rng, 4, 3), random_array(rng, 4, 6)
    Wx, Wh, b = _params(rng, 3, 6, scale=0.8)
    dh = random_array(rng, 4, 6)
    yield Case((dh, rnn_step_cache(x, h, Wx, Wh, b)), judge_rnn_step_backward(x, h, Wx, Wh, b, dh),
               label="N=4, D=3, H=6, random, vs TensorFlow autodiff")


@checks.exercise("rnn_forward")
def _rnn_forward():
    rng = np.random.default_rng(82)
    x, h0 = random_array(rng, 2, 4, 3), random_array(rng, 2, 5)
    Wx, Wh, b = _params(rng, 3, 5)
    yield Case((x, h0, Wx, Wh, b), judge_rnn_forward(x, h0, Wx, Wh, b, keras_check=True),
               label="N=2, T=4, D=3, H=5, vs keras.layers.SimpleRNN(return_sequences=True)")
    x1 = STEP_X[:, None, :]
    yield Case((x1, STEP_H_PREV, STEP_WX, STEP_WH, STEP_B), judge_rnn_forward(x1, STEP_H_PREV, STEP_WX, STEP_WH, STEP_B),
               label="a sequence of one step: the worked example")


@checks.exercise("rnn_backward")
def _rnn_backward():
    rng = np.random.default_rng(83)
    x, h0 = random_array(rng, 3, 5, 4), random_array(rng, 3, 4)
    Wx, Wh, b = _params(rng, 4, 4, scale=0.7)
    dh = random_array(rng, 3, 5, 4)
    yield Case((dh, rnn_cache(x, h0, Wx, Wh, b)), judge_rnn_backward(x, h0, Wx, Wh, b, dh),
               label="N=3, T=5, D=4, H=4, a loss at every step, vs TensorFlow autodiff")
    last = np.zeros_like(dh)
    last[:, -1] = dh[:, -1]
    yield Case((last, rnn_cache(x, h0, Wx, Wh, b)), judge_rnn_backward(x, h0, Wx, Wh, b, last),
               label="the same sequence with a loss on the last step only (many-to-one)")


@checks.exercise("lstm_step_forward")
def _lstm_step_forward():
    yield Case((LSTM_X, LSTM_H_PREV, LSTM_C_PREV, LSTM_WX, LSTM_WH, LSTM_B),
               judge_lstm_step_forward(LSTM_X, LSTM_H_PREV, LSTM_C_PREV, LSTM_WX, LSTM_WH, LSTM_B),
               label="the worked example: all weights 0, c_prev = 2, so c_next = 1, h_next = 0.5 tanh(1) = 0.380797")
    rng = np.random.default_rng(84)
    x, h, c = random_array(rng, 3, 4), random_array(rng, 3, 2), random_array(rng, 3, 2)
    Wx, Wh, b = random_array(rng, 4, 8), random_array(rng, 2, 8), random_array(rng, 8)
    yield Case((x, h, c, Wx, Wh, b), judge_lstm_step_forward(x, h, c, Wx, Wh, b, keras_check=True),
               label="N=3, D=4, H=2, random, vs TensorFlow and keras.layers.LSTMCell (gates reordered)")


@checks.exercise("lstm_step_backward")
def _lstm_step_backward():
    rng = np.random.default_rng(85)
    x, h, c = random_array(rng, 3, 4), random_array(rng, 3, 5), random_array(rng, 3, 5)
    Wx, Wh, b = random_array(rng, 4, 20, scale=0.5), random_array(rng, 5, 20, scale=0.5), random_array(rng, 20)
    dh, dc = random_array(rng, 3, 5), random_array(rng, 3, 5)
    yield Case((dh, dc, lstm_cache(x, h, c, Wx, Wh, b)), judge_lstm_step_backward(x, h, c, Wx, Wh, b, dh, dc),
               label="N=3, D=4, H=5, random dh and dc, vs TensorFlow autodiff")
    yield Case((dh, np.zeros_like(dc), lstm_cache(x, h, c, Wx, Wh, b)),
               judge_lstm_step_backward(x, h, c, Wx, Wh, b, dh, np.zeros_like(dc)),
               label="the same step with dc = 0 (the last step of a sequence)")


@checks.exercise("char_lstm_model")
def _char_lstm_model():
    yield Case((65, 16, 32), judge_char_model(65, 16, 32), call=describe_char_model,
               label="char_lstm_model(65, 16, 32): Tiny Shakespeare's 65 characters")
    yield Case((4, 3, 5), judge_char_model(4, 3, 5), call=describe_char_model,
               label="char_lstm_model(4, 3, 5): the 'hello' vocabulary")
