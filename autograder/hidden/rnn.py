"""Hidden checks for notebook 08: random N, T, D, H, weight scales and seeds; sequences of one step
and batches of one; saturated units (large weights). Every gradient is compared with TensorFlow
autodiff *and* centered finite differences of a numpy reference, to 1e-7 in float64 (all entries
for small tensors, a random sample of them for large ones); rnn_backward's dh0 included. The Keras
model is built for other vocabulary sizes and widths."""
import numpy as np

from utils.checks.core import Case, Registry, random_array
from utils.checks.rnn import (describe_char_model, judge_char_model, judge_lstm_step_backward,
                              judge_lstm_step_forward, judge_rnn_backward, judge_rnn_forward,
                              judge_rnn_step_backward, judge_rnn_step_forward, lstm_cache, rnn_cache,
                              rnn_step_cache)
from utils.gradcheck import eval_numerical_gradient_array

checks = Registry("08_rnn")
SEED = 808_080
#: tensors with more entries than this get finite differences on a random sample of this many
SAMPLE = 40


# ---- numpy references, only for finite differences (instructor-only module) -------------------

def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))      # = 1 / (1 + exp(-z)), without overflow


def ref_rnn_step(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx + h_prev @ Wh + b)


def ref_rnn(x, h0, Wx, Wh, b):
    h, out = h0, []
    for t in range(x.shape[1]):
        h = ref_rnn_step(x[:, t], h, Wx, Wh, b)
        out.append(h)
    return np.stack(out, axis=1)


def ref_lstm_step(x, h_prev, c_prev, Wx, Wh, b):
    """[h, c] side by side, gates in the order i, f, o, g."""
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i, f, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), _sigmoid(a[:, 2 * H:3 * H])
    c = f * c_prev + i * np.tanh(a[:, 3 * H:])
    return np.concatenate([o * np.tanh(c), c], axis=1)


def numeric_grads(f, inputs, dout, seed):
    """Centered differences of sum(f(*inputs) * dout) wrt each input; large inputs sampled."""
    inputs = [np.array(a, dtype=np.float64) for a in inputs]
    grads = []
    for k, a in enumerate(inputs):
        def f_k(v, k=k):
            return f(*(v if j == k else inputs[j] for j in range(len(inputs))))
        grads.append(eval_numerical_gradient_array(f_k, a, dout, num_checks=SAMPLE if a.size > SAMPLE else None,
                                                   rng=seed + k))
    return tuple(grads)


def _dims(rng, low=1, high=7):
    return tuple(int(n) for n in rng.integers(low, high, size=3))


def _weights(rng, D, H, scale, gates=1):
    return (random_array(rng, D, gates * H, scale=scale / np.sqrt(D)),
            random_array(rng, H, gates * H, scale=scale / np.sqrt(H)),
            random_array(rng, gates * H, scale=0.5))


# ---- the vanilla RNN step --------------------------------------------------------------------------

def _step_inputs(rng, N, D, H, scale):
    return (random_array(rng, N, D), random_array(rng, N, H, scale=0.8)) + _weights(rng, D, H, scale)


def _step_shapes(rng):
    yield (*_dims(rng), 1.0)
    yield (*_dims(rng), 1.5)
    yield (1, 1, 1, 1.0)                       # one example, one input, one hidden unit
    yield (9, 12, 16, 1.0)                     # large enough for sampled finite differences
    yield (*_dims(rng), 6.0)                   # saturated: most |h| near 1, tanh' near 0


@checks.exercise("rnn_step_forward")
def _rnn_step_forward():
    rng = np.random.default_rng(SEED)
    for N, D, H, scale in _step_shapes(rng):
        args = _step_inputs(rng, N, D, H, scale)
        yield Case(args, judge_rnn_step_forward(*args), label=f"N={N}, D={D}, H={H}, weight scale {scale}")


@checks.exercise("rnn_step_backward")
def _rnn_step_backward():
    rng = np.random.default_rng(SEED + 1)
    for N, D, H, scale in _step_shapes(rng):
        args = _step_inputs(rng, N, D, H, scale)
        dh = random_array(rng, N, H)
        numeric = numeric_grads(ref_rnn_step, args, dh, SEED + 1)
        yield Case((dh, rnn_step_cache(*args)), judge_rnn_step_backward(*args, dh, numeric=numeric),
                   label=f"N={N}, D={D}, H={H}, weight scale {scale}")


# ---- the whole sequence ----------------------------------------------------------------------------

def _seq_inputs(rng, N, T, D, H, scale):
    return (random_array(rng, N, T, D), random_array(rng, N, H, scale=0.8)) + _weights(rng, D, H, scale)


def _seq_shapes(rng):
    N, D, H = _dims(rng)
    yield N, int(rng.integers(2, 8)), D, H, 1.0
    N, D, H = _dims(rng)
    yield N, int(rng.integers(2, 8)), D, H, 1.3
    yield int(rng.integers(1, 5)), 1, int(rng.integers(1, 6)), int(rng.integers(1, 6)), 1.0   # T = 1
    yield 1, 6, 3, 4, 1.0                                                                      # N = 1
    yield 6, 15, 8, 10, 1.0                                                                    # sampled


@checks.exercise("rnn_forward")
def _rnn_forward():
    rng = np.random.default_rng(SEED + 2)
    for N, T, D, H, scale in _seq_shapes(rng):
        args = _seq_inputs(rng, N, T, D, H, scale)
        yield Case(args, judge_rnn_forward(*args), label=f"N={N}, T={T}, D={D}, H={H}")


@checks.exercise("rnn_backward")
def _rnn_backward():
    rng = np.random.default_rng(SEED + 3)
    for k, (N, T, D, H, scale) in enumerate(_seq_shapes(rng)):
        args = _seq_inputs(rng, N, T, D, H, scale)
        dh = random_array(rng, N, T, H)
        if k == 1:                                   # a many-to-one loss: the last step only
            dh[:, :-1] = 0.0
        numeric = numeric_grads(ref_rnn, args, dh, SEED + 3 + k)
        yield Case((dh, rnn_cache(*args)), judge_rnn_backward(*args, dh, numeric=numeric),
                   label=f"N={N}, T={T}, D={D}, H={H}" + (", a loss on the last step only" if k == 1 else ""))


# ---- the LSTM step ---------------------------------------------------------------------------------

def _lstm_inputs(rng, N, D, H, scale, forget_bias=0.0):
    x, h, c = random_array(rng, N, D), random_array(rng, N, H, scale=0.8), random_array(rng, N, H, scale=1.5)
    Wx, Wh, b = _weights(rng, D, H, scale, gates=4)
    b[H:2 * H] += forget_bias
    return x, h, c, Wx, Wh, b


def _lstm_shapes(rng):
    yield (*_dims(rng), 1.0, 0.0)
    yield (*_dims(rng), 1.0, 1.0)              # Keras' forget-gate bias 1
    yield (1, 1, 1, 1.0, 0.0)
    yield (7, 10, 12, 1.0, 0.0)                # large enough for sampled finite differences
    yield (*_dims(rng), 5.0, 0.0)              # saturated gates


@checks.exercise("lstm_step_forward")
def _lstm_step_forward():
    rng = np.random.default_rng(SEED + 4)
    for N, D, H, scale, fb in _lstm_shapes(rng):
        args = _lstm_inputs(rng, N, D, H, scale, fb)
        yield Case(args, judge_lstm_step_forward(*args), label=f"N={N}, D={D}, H={H}, weight scale {scale}")


@checks.exercise("lstm_step_backward")
def _lstm_step_backward():
    rng = np.random.default_rng(SEED + 5)
    for k, (N, D, H, scale, fb) in enumerate(_lstm_shapes(rng)):
        args = _lstm_inputs(rng, N, D, H, scale, fb)
        dh, dc = random_array(rng, N, H), random_array(rng, N, H)
        if k == 2:
            dc = np.zeros_like(dc)                   # the last step of a sequence
        numeric = numeric_grads(ref_lstm_step, args, np.concatenate([dh, dc], axis=1), SEED + 5 + k)
        yield Case((dh, dc, lstm_cache(*args)), judge_lstm_step_backward(*args, dh, dc, numeric=numeric),
                   label=f"N={N}, D={D}, H={H}, weight scale {scale}" + (", dc = 0" if k == 2 else ""))


# ---- the Keras character model -----------------------------------------------------------------------

@checks.exercise("char_lstm_model")
def _char_lstm_model():
    for V, E, U in [(23, 7, 9), (2, 1, 3), (80, 12, 40)]:
        yield Case((V, E, U), judge_char_model(V, E, U), call=describe_char_model,
                   label=f"char_lstm_model({V}, {E}, {U})")
