"""TensorFlow autodiff as the independent reference engine."""
import numpy as np

from utils.autodiff import tf_value_and_grads
from utils.gradcheck import eval_numerical_gradient_array, rel_error


def test_matches_analytic_and_finite_differences():
    import tensorflow as tf
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    dout = rng.standard_normal((4, 2))
    value, (dx, dw) = tf_value_and_grads(lambda a, b: tf.tanh(a @ b), [x, w], upstream=dout)
    assert rel_error(value, np.tanh(x @ w)) < 1e-12
    local = (1 - np.tanh(x @ w) ** 2) * dout
    assert rel_error(dx, local @ w.T) < 1e-12
    assert rel_error(dw, x.T @ local) < 1e-12
    num = eval_numerical_gradient_array(lambda a: np.tanh(a @ w), x.copy(), dout)
    assert rel_error(num, dx) < 1e-8


def test_scalar_output_and_disconnected_input():
    import tensorflow as tf
    x, unused = np.array([1.0, 2.0]), np.array([5.0])
    value, (dx, dunused) = tf_value_and_grads(lambda a, b: tf.reduce_sum(a ** 2), [x, unused])
    assert float(value) == 5.0
    assert np.allclose(dx, [2.0, 4.0]) and np.array_equal(dunused, [0.0])
