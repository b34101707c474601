"""Notebook 04's references: TensorFlow's own ops (and its autodiff), and the notes' target stds."""
import math

import numpy as np

from utils.autodiff import _tf, tf_value_and_grads
from utils.checks import weight_init as public

from . import implements


@implements(public.xavier_std)
def xavier_std(fan_in) -> float:
    """The notes' Xavier: std 1 / sqrt(fan_in)."""
    return 1.0 / math.sqrt(fan_in)


@implements(public.he_std)
def he_std(fan_in) -> float:
    """He: std sqrt(2 / fan_in)."""
    return math.sqrt(2.0 / fan_in)


@implements(public.tf_leaky_relu)
def tf_leaky_relu(x, alpha) -> np.ndarray:
    """(`tf.nn.leaky_relu` would do, but it keeps alpha as a float32 attribute: 0.01 becomes
    0.0099999998, a 2e-9 relative error.)"""
    tf = _tf()
    x = tf.constant(np.asarray(x, dtype=np.float64))
    return tf.where(x > 0, x, tf.constant(float(alpha), tf.float64) * x).numpy()


@implements(public.tf_leaky_relu_grads)
def tf_leaky_relu_grads(x, alpha, dout):
    """At x == 0 the slope is alpha (x > 0 gets 1), as in TensorFlow's own op."""
    tf = _tf()
    _, (dx, dalpha) = tf_value_and_grads(lambda x_, a_: tf.where(x_ > 0, x_, a_ * x_),
                                         [x, np.float64(alpha)], upstream=dout)
    return dx, float(dalpha)


def _tf_activation(activation):
    tf = _tf()
    table = {public.identity: tf.identity, np.tanh: tf.tanh, public.relu: tf.nn.relu, public.sigmoid: tf.sigmoid}
    return table[activation]


@implements(public.tf_layer_stats)
def tf_layer_stats(X, weights, activation):
    tf = _tf()
    act = _tf_activation(activation)
    h, hs, means, stds = tf.constant(np.asarray(X, dtype=np.float64)), [], [], []
    for W in weights:
        h = act(tf.linalg.matmul(h, tf.constant(np.asarray(W, dtype=np.float64))))
        hs.append(h.numpy())
        means.append(float(tf.reduce_mean(h)))
        stds.append(float(tf.math.reduce_std(h)))
    return hs, np.array(means), np.array(stds)
