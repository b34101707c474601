"""Notebook 07's references: TensorFlow's convolution and pooling ops in float64 (NHWC),
differentiated by TensorFlow's autodiff."""
import numpy as np

from utils.autodiff import _tf, tf_value_and_grads
from utils.checks import cnn as public

from . import implements


def _pads(pad: int):
    return "VALID" if pad == 0 else [[0, 0], [pad, pad], [pad, pad], [0, 0]]


@implements(public.tf_conv)
def tf_conv(x, w, b, stride: int = 1, pad=0) -> np.ndarray:
    tf = _tf()
    x = tf.constant(np.asarray(x, dtype=np.float64))
    w = tf.constant(np.asarray(w, dtype=np.float64))
    padding = _pads(pad) if isinstance(pad, (int, np.integer)) else pad
    out = tf.nn.conv2d(x, w, strides=[1, stride, stride, 1], padding=padding)
    return (out + tf.constant(np.asarray(b, dtype=np.float64))).numpy()


@implements(public.tf_conv_grads)
def tf_conv_grads(x, w, b, stride: int, pad: int, dout):
    tf = _tf()

    def forward(x_, w_, b_):
        return tf.nn.conv2d(x_, w_, strides=[1, stride, stride, 1], padding=_pads(pad)) + b_

    _, grads = tf_value_and_grads(forward, [x, w, b], upstream=np.asarray(dout, dtype=np.float64))
    return tuple(grads)


@implements(public.tf_output_size)
def tf_output_size(n: int, f: int, pad: int, stride: int) -> int:
    tf = _tf()
    x = tf.zeros((1, n, 1, 1), tf.float64)
    w = tf.zeros((f, 1, 1, 1), tf.float64)
    padding = "VALID" if pad == 0 else [[0, 0], [pad, pad], [0, 0], [0, 0]]
    return int(tf.nn.conv2d(x, w, strides=[1, stride, 1, 1], padding=padding).shape[1])


@implements(public.tf_max_pool)
def tf_max_pool(x, pool_size: int, stride: int) -> np.ndarray:
    tf = _tf()
    x = tf.constant(np.asarray(x, dtype=np.float64))
    return tf.nn.max_pool2d(x, ksize=pool_size, strides=stride, padding="VALID").numpy()


@implements(public.tf_avg_pool)
def tf_avg_pool(x, pool_size: int, stride: int) -> np.ndarray:
    tf = _tf()
    x = tf.constant(np.asarray(x, dtype=np.float64))
    return tf.nn.avg_pool2d(x, ksize=pool_size, strides=stride, padding="VALID").numpy()


@implements(public.tf_max_pool_grad)
def tf_max_pool_grad(x, pool_size: int, stride: int, dout) -> np.ndarray:
    tf = _tf()
    _, (dx,) = tf_value_and_grads(lambda x_: tf.nn.max_pool2d(x_, pool_size, stride, "VALID"), [x],
                                  upstream=np.asarray(dout, dtype=np.float64))
    return dx
