"""Notebook 02's references: TensorFlow's own ops, differentiated by TensorFlow's autodiff."""
import numpy as np

from utils.autodiff import _tf, tf_value_and_grads
from utils.checks import backprop as public

from . import implements


def _flat(tf, x):
    return tf.reshape(x, (x.shape[0], -1))


def _two_layer_scores(tf, X, W1, b1, W2, b2):
    return tf.matmul(tf.nn.relu(tf.matmul(X, W1) + b1), W2) + b2


@implements(public.tf_affine)
def tf_affine(x, w, b, dout=None):
    tf = _tf()
    dout = np.ones((len(x), np.shape(w)[1])) if dout is None else np.asarray(dout, dtype=np.float64)
    out, grads = tf_value_and_grads(lambda x, w, b: tf.matmul(_flat(tf, x), w) + b, [x, w, b], upstream=dout)
    return out, tuple(grads)


@implements(public.tf_activation)
def tf_activation(name: str, x, dout=None):
    tf = _tf()
    op = {"relu": tf.nn.relu, "sigmoid": tf.math.sigmoid}[name]
    dout = np.ones(np.shape(x)) if dout is None else dout
    out, (dx,) = tf_value_and_grads(op, [x], upstream=np.asarray(dout, dtype=np.float64))
    return out, dx


@implements(public.tf_two_layer_loss)
def tf_two_layer_loss(params, X, y):
    tf = _tf()
    X = tf.constant(np.asarray(X, dtype=np.float64))
    labels = tf.constant(np.asarray(y, dtype=np.int64))

    def loss(W1, b1, W2, b2):
        scores = _two_layer_scores(tf, X, W1, b1, W2, b2)
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=scores))

    value, grads = tf_value_and_grads(loss, [params[k] for k in public.PARAM_KEYS])
    return float(value), dict(zip(public.PARAM_KEYS, grads))


@implements(public.tf_sgd_on_b2)
def tf_sgd_on_b2(num_classes: int, label: int, learning_rate: float, steps: int):
    """With X = 0 and b1 = 0 the hidden layer outputs 0, so the scores are b2 alone, the loss of
    every example is -log softmax(b2)[label] and only b2 moves: b2 <- b2 - lr (softmax(b2) - onehot)."""
    tf = _tf()
    b2 = tf.zeros(num_classes, tf.float64)
    onehot = tf.one_hot(label, num_classes, dtype=tf.float64)
    values, losses = [], []
    for _ in range(steps):
        p = tf.nn.softmax(b2)
        losses.append(-float(tf.math.log(p[label])))
        b2 = b2 - learning_rate * (p - onehot)
        values.append(b2.numpy())
    return values, losses


@implements(public.tf_function_gradient)
def tf_function_gradient(x, c):
    tf = _tf()
    _, (grad,) = tf_value_and_grads(lambda z: tf.reduce_sum(c * tf.tanh(z)) + 0.5 * tf.reduce_sum(z) ** 2, [x])
    return grad
