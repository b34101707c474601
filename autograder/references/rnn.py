"""Notebook 08's references: the notebook's formulas in TensorFlow ops (float64), differentiated
by TensorFlow's autodiff, and Keras' own SimpleRNNCell, SimpleRNN and LSTMCell."""
import numpy as np

from utils.autodiff import _tf, tf_value_and_grads
from utils.checks import rnn as public
from utils.checks.rnn import GATES, keras_gate_columns

from . import implements

_ACTIVATIONS = {"sigmoid": lambda tf: tf.math.sigmoid, "identity": lambda tf: (lambda z: z)}


# ---- the formulas on TensorFlow tensors (what autodiff differentiates) -------------------------

def _rnn_step(x, h_prev, Wx, Wh, b, activation=None):
    """h = tanh(x Wx + h_prev Wh + b) on tensors (`activation` names a replacement for tanh)."""
    tf = _tf()
    z = tf.linalg.matmul(x, Wx) + tf.linalg.matmul(h_prev, Wh) + b
    return (tf.math.tanh if activation is None else _ACTIVATIONS[activation](tf))(z)


def _rnn(x, h0, Wx, Wh, b, *, cut_recurrence=False, step_weights=None):
    """Every hidden state of the unrolled RNN, (N, T, H), on tensors.

    `cut_recurrence` stops the gradient along h_{t-1} -> h_t for t >= 1; `step_weights` =
    (Wx_t, Wh_t, b_t), each with a leading time axis, gives every step its own copy of the weights
    (their gradients are then per step).
    """
    tf = _tf()
    h, states = h0, []
    for t in range(x.shape[1]):
        params = (Wx, Wh, b) if step_weights is None else tuple(w[t] for w in step_weights)
        prev = tf.stop_gradient(h) if cut_recurrence and t > 0 else h
        h = _rnn_step(x[:, t, :], prev, *params)
        states.append(h)
    return tf.stack(states, axis=1)


def _lstm_step(x, h_prev, c_prev, Wx, Wh, b, *, order: str = GATES, no_tanh_on_c=False,
               sigmoid_g=False, cut_c_in_h=False):
    """One LSTM step on tensors: (h, c, gates), gates (N, 4H) activated, in the order i, f, o, g."""
    tf = _tf()
    z = tf.linalg.matmul(x, Wx) + tf.linalg.matmul(h_prev, Wh) + b
    parts = dict(zip(order, tf.split(z, 4, axis=1)))
    i, f, o = (tf.math.sigmoid(parts[k]) for k in "ifo")
    g = tf.math.sigmoid(parts["g"]) if sigmoid_g else tf.math.tanh(parts["g"])
    c = f * c_prev + i * g
    squash = tf.stop_gradient(c) if cut_c_in_h else c
    h = o * (squash if no_tanh_on_c else tf.math.tanh(squash))
    return h, c, tf.concat([i, f, o, g], axis=1)


def _constants(*arrays):
    tf = _tf()
    return [tf.constant(np.asarray(a, dtype=np.float64)) for a in arrays]


# ---- the references: numpy in, numpy out ---------------------------------------------------------

@implements(public.tf_rnn_step)
def tf_rnn_step(x, h_prev, Wx, Wh, b, activation=None) -> np.ndarray:
    return _rnn_step(*_constants(x, h_prev, Wx, Wh, b), activation=activation).numpy()


@implements(public.tf_rnn)
def tf_rnn(x, h0, Wx, Wh, b) -> np.ndarray:
    return _rnn(*_constants(x, h0, Wx, Wh, b)).numpy()


@implements(public.tf_lstm_step)
def tf_lstm_step(x, h_prev, c_prev, Wx, Wh, b, *, order: str = GATES, no_tanh_on_c=False, sigmoid_g=False):
    out = _lstm_step(*_constants(x, h_prev, c_prev, Wx, Wh, b), order=order, no_tanh_on_c=no_tanh_on_c,
                     sigmoid_g=sigmoid_g)
    return tuple(t.numpy() for t in out)


@implements(public.tf_rnn_step_grads)
def tf_rnn_step_grads(x, h_prev, Wx, Wh, b, dh, activation=None):
    return tuple(tf_value_and_grads(lambda *a: _rnn_step(*a, activation=activation),
                                    [x, h_prev, Wx, Wh, b], upstream=dh)[1])


@implements(public.tf_affine_grads)
def tf_affine_grads(x, h_prev, Wx, Wh, b, dz):
    tf = _tf()
    return tuple(tf_value_and_grads(lambda x, h, wx, wh, bb: tf.linalg.matmul(x, wx) + tf.linalg.matmul(h, wh) + bb,
                                    [x, h_prev, Wx, Wh, b], upstream=dz)[1])


@implements(public.tf_rnn_grads)
def tf_rnn_grads(x, h0, Wx, Wh, b, dh, *, cut_recurrence=False):
    return tuple(tf_value_and_grads(lambda *a: _rnn(*a, cut_recurrence=cut_recurrence), [x, h0, Wx, Wh, b],
                                    upstream=dh)[1])


@implements(public.tf_rnn_grads_per_step)
def tf_rnn_grads_per_step(x, h0, Wx, Wh, b, dh):
    T = np.shape(x)[1]
    tiled = [np.repeat(np.asarray(w, dtype=np.float64)[None], T, axis=0) for w in (Wx, Wh, b)]
    grads = tf_value_and_grads(lambda x, h0, wx, wh, bb: _rnn(x, h0, None, None, None, step_weights=(wx, wh, bb)),
                               [x, h0, *tiled], upstream=dh)[1]
    return tuple(grads[2:])


@implements(public.tf_lstm_grads)
def tf_lstm_grads(x, h_prev, c_prev, Wx, Wh, b, dh, dc, *, cut_c_in_h=False):
    tf = _tf()

    def both(*a):
        h, c, _ = _lstm_step(*a, cut_c_in_h=cut_c_in_h)
        return tf.concat([h, c], axis=1)

    upstream = np.concatenate([np.asarray(dh, dtype=np.float64), np.asarray(dc, dtype=np.float64)], axis=1)
    return tuple(tf_value_and_grads(both, [x, h_prev, c_prev, Wx, Wh, b], upstream=upstream)[1])


# ---- Keras' own layers ---------------------------------------------------------------------------

@implements(public.keras_rnn_step)
def keras_rnn_step(x, h_prev, Wx, Wh, b) -> np.ndarray:
    import keras
    cell = keras.layers.SimpleRNNCell(np.shape(Wh)[0], dtype="float64")
    cell.build((None, np.shape(Wx)[0]))
    cell.set_weights([np.asarray(w, dtype=np.float64) for w in (Wx, Wh, b)])
    out, _ = cell(np.asarray(x, dtype=np.float64), [np.asarray(h_prev, dtype=np.float64)])
    return np.asarray(out)


@implements(public.keras_rnn)
def keras_rnn(x, h0, Wx, Wh, b) -> np.ndarray:
    import keras
    layer = keras.layers.SimpleRNN(np.shape(Wh)[0], return_sequences=True, dtype="float64")
    layer.build((None, None, np.shape(Wx)[0]))
    layer.set_weights([np.asarray(w, dtype=np.float64) for w in (Wx, Wh, b)])
    return np.asarray(layer(np.asarray(x, dtype=np.float64), initial_state=[np.asarray(h0, dtype=np.float64)]))


@implements(public.keras_lstm_step)
def keras_lstm_step(x, h_prev, c_prev, Wx, Wh, b):
    import keras
    H = np.shape(Wh)[0]
    cols = keras_gate_columns(H)
    cell = keras.layers.LSTMCell(H, dtype="float64")
    cell.build((None, np.shape(Wx)[0]))
    cell.set_weights([np.asarray(Wx, dtype=np.float64)[:, cols], np.asarray(Wh, dtype=np.float64)[:, cols],
                      np.asarray(b, dtype=np.float64)[cols]])
    h, (_, c) = cell(np.asarray(x, dtype=np.float64), [np.asarray(h_prev, dtype=np.float64),
                                                         np.asarray(c_prev, dtype=np.float64)])
    return np.asarray(h), np.asarray(c)
