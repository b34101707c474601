"""Reference gradients from an independent engine: TensorFlow's autodiff.

A check compares a student's hand-written backward pass with what `tf.GradientTape` computes
for the same forward function written in TensorFlow. TensorFlow is imported on first use so
notebooks that never need it start fast.
"""
from __future__ import annotations

import os
from typing import Callable, Sequence

import numpy as np


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep C++ start-up chatter off stderr
    import tensorflow as tf
    return tf


def tf_value_and_grads(fn: Callable, inputs: Sequence[np.ndarray], upstream=None):
    """Evaluate `fn(*tensors)` in TensorFlow (float64) and differentiate it.

    Returns `(value, grads)` as numpy: `grads[i]` is the gradient of `sum(value * upstream)`
    with respect to `inputs[i]` (of `value` itself when it is a scalar and `upstream` is None).
    A gradient TensorFlow reports as disconnected comes back as zeros.
    """
    tf = _tf()
    tensors = [tf.Variable(np.asarray(x, dtype=np.float64)) for x in inputs]
    with tf.GradientTape() as tape:
        value = fn(*tensors)
        target = value if upstream is None else tf.reduce_sum(value * tf.constant(upstream, tf.float64))
    grads = tape.gradient(target, tensors)
    grads = [np.zeros(x.shape) if g is None else np.asarray(g) for g, x in zip(grads, tensors)]
    return np.asarray(value), grads
