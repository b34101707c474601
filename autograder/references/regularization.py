"""Notebook 05's references: TensorFlow ops differentiated by TensorFlow's autodiff, Keras'
regularizers and BatchNormalization layer, and the penalties' usual slips."""
import numpy as np

from utils.autodiff import _tf, tf_value_and_grads
from utils.checks import regularization as public
from utils.checks.regularization import ELASTIC_FORM, L1_AT_ZERO, PENALTY_CONVENTION

from . import implements


@implements(public.tf_penalty)
def tf_penalty(kind: str, W, lam: float, beta: float = 0.0):
    tf = _tf()

    def penalty(w):
        l2, l1 = tf.reduce_sum(tf.square(w)), tf.reduce_sum(tf.abs(w))
        return {"l2": lam * l2, "l1": lam * l1, "elastic": lam * (beta * l2 + l1)}[kind]

    value, (grad,) = tf_value_and_grads(penalty, [W])
    return float(value), grad


@implements(public.keras_penalty)
def keras_penalty(kind: str, W, lam: float, beta: float = 0.0) -> float:
    import keras
    reg = {"l2": lambda: keras.regularizers.L2(lam), "l1": lambda: keras.regularizers.L1(lam),
           "elastic": lambda: keras.regularizers.L1L2(l1=lam, l2=lam * beta)}[kind]()
    return float(reg(_tf().constant(np.asarray(W, dtype=np.float64))))


@implements(public.tf_batchnorm)
def tf_batchnorm(x, gamma, beta, eps: float, dout=None):
    tf = _tf()

    def forward(x, g, b):
        mean, var = tf.nn.moments(x, axes=[0])
        return tf.nn.batch_normalization(x, mean, var, offset=b, scale=g, variance_epsilon=eps)

    upstream = np.ones(np.shape(x)) if dout is None else np.asarray(dout, dtype=np.float64)
    out, grads = tf_value_and_grads(forward, [x, gamma, beta], upstream=upstream)
    mean, var = (t.numpy() for t in tf.nn.moments(tf.constant(np.asarray(x, dtype=np.float64)), axes=[0]))
    std = tf.sqrt(tf.constant(var) + eps).numpy()
    x_hat = tf.nn.batch_normalization(tf.constant(np.asarray(x, dtype=np.float64)), mean, var,
                                      offset=None, scale=None, variance_epsilon=eps).numpy()
    return out, (x_hat, np.array(gamma, dtype=np.float64), std), (mean, var), (None if dout is None else tuple(grads))


@implements(public.tf_batchnorm_frozen_stats_grads)
def tf_batchnorm_frozen_stats_grads(x, gamma, beta, eps: float, dout):
    tf = _tf()

    def forward(x, g, b):
        mean, var = tf.nn.moments(x, axes=[0])
        mean, var = tf.stop_gradient(mean), tf.stop_gradient(var)
        return tf.nn.batch_normalization(x, mean, var, offset=b, scale=g, variance_epsilon=eps)

    return tuple(tf_value_and_grads(forward, [x, gamma, beta], upstream=np.asarray(dout, dtype=np.float64))[1])


@implements(public.keras_batchnorm)
def keras_batchnorm(x, gamma, beta, running: dict, *, training: bool, momentum: float, eps: float):
    import keras
    x = np.asarray(x, dtype=np.float64)
    layer = keras.layers.BatchNormalization(momentum=momentum, epsilon=eps, dtype="float64")
    layer.build((None, x.shape[1]))
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    layer.moving_mean.assign(running["mean"])
    layer.moving_variance.assign(running["var"])
    out = np.asarray(layer(x, training=training))
    return out, {"mean": np.asarray(layer.moving_mean.numpy()), "var": np.asarray(layer.moving_variance.numpy())}


@implements(public.penalty_slips)
def penalty_slips(kind: str, W, lam: float, beta: float = 0.0):
    """Common slips as (their (value, gradient), advice). Among them are other exercises' right
    answers (L1's list holds the L2 penalty and its gradient), hence instructor-only."""
    W = np.asarray(W, dtype=np.float64)
    sq, ab, sign = float(np.sum(W ** 2)), float(np.sum(np.abs(W))), np.sign(W)
    if kind == "l2":
        return [((lam * sq / 2, lam * W), PENALTY_CONVENTION),
                ((lam * sq, lam * W), PENALTY_CONVENTION),
                ((lam * np.sqrt(sq), None), "That is lam times the norm ||W||; the L2 penalty uses the "
                                            "squared norm, lam * sum(w**2).")]
    if kind == "l1":
        at_zero = lam * np.where(W == 0, 1.0, sign)
        return [((None, at_zero), L1_AT_ZERO), ((None, lam * np.where(W == 0, -1.0, sign)), L1_AT_ZERO),
                ((lam * sq, 2 * lam * W), "That is the L2 penalty: L1 sums |w|.")]
    return [((lam * (sq + beta * ab), lam * (2 * W + beta * sign)), ELASTIC_FORM),
            ((lam * beta * sq + ab, 2 * lam * beta * W + sign), ELASTIC_FORM),
            ((lam * (beta * sq / 2 + ab), lam * (beta * W + sign)), PENALTY_CONVENTION)]
