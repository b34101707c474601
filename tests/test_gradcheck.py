"""The gradient checkers themselves: right on known derivatives, and they catch a wrong gradient.
The scalar form is the instructor's (autograder.gradcheck: it is notebook 02's exercise); students
have the layer form (utils.gradcheck)."""
import numpy as np
import pytest

import utils.gradcheck
from autograder.gradcheck import eval_numerical_gradient
from utils.gradcheck import eval_numerical_gradient_array, rel_error, sampled_rel_error


def test_rel_error_basics():
    a = np.array([1.0, 2.0, 3.0])
    assert rel_error(a, a) == 0.0
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(a, -a) == pytest.approx(1.0)
    assert rel_error(a, a * (1 + 1e-9)) < 1e-9
    with pytest.raises(ValueError, match="shapes differ"):
        rel_error(np.zeros(2), np.zeros(3))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scalar_gradient_matches_analytic(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, 4))
    cases = [
        (lambda z: np.sum(z ** 3), lambda z: 3 * z ** 2),
        (lambda z: np.sum(np.sin(z)) * 2.0, lambda z: 2 * np.cos(z)),
        (lambda z: np.log(np.sum(np.exp(z))), lambda z: np.exp(z) / np.sum(np.exp(z))),
    ]
    for f, df in cases:
        num = eval_numerical_gradient(f, x.copy())
        assert rel_error(num, df(x)) < 1e-8


def test_numerical_gradient_restores_input():
    x = np.arange(6.0).reshape(2, 3)
    before = x.copy()
    eval_numerical_gradient(lambda z: np.sum(z ** 2), x)
    assert np.array_equal(x, before)


def test_catches_a_planted_wrong_gradient():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(10)
    num = eval_numerical_gradient(lambda z: np.sum(z ** 3), x.copy())
    wrong = 3 * x ** 2
    wrong[4] += 1e-3  # one entry off by a little
    assert rel_error(num, 3 * x ** 2) < 1e-8
    assert rel_error(num, wrong) > 1e-5
    assert rel_error(num, 2 * x) > 1e-2  # the classic forgotten factor


def test_array_gradient_with_upstream():
    rng = np.random.default_rng(4)
    W = rng.standard_normal((5, 3))
    x = rng.standard_normal((2, 5))
    dout = rng.standard_normal((2, 3))
    num = eval_numerical_gradient_array(lambda z: np.tanh(z @ W), x.copy(), dout)
    analytic = ((1 - np.tanh(x @ W) ** 2) * dout) @ W.T
    assert rel_error(num, analytic) < 1e-8


def test_sampled_check_computes_only_some_entries():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((50, 40))
    calls = []

    def f(z):
        calls.append(1)
        return np.sum(z ** 2)

    num = eval_numerical_gradient(f, x.copy(), num_checks=7, rng=1)
    assert np.sum(~np.isnan(num)) == 7
    assert len(calls) == 14  # two evaluations per sampled entry, not 2 * 2000
    assert sampled_rel_error(num, 2 * x) < 1e-8
    assert sampled_rel_error(num, 2 * x + 0.01) > 1e-4


def test_float32_is_refused():
    with pytest.raises(TypeError, match="float64"):
        eval_numerical_gradient(lambda z: float(np.sum(z)), np.ones(3, dtype=np.float32))


def test_array_form_restores_input_samples_and_refuses_float32():
    rng = np.random.default_rng(6)
    W, x = rng.standard_normal((5, 3)), rng.standard_normal((40, 5))
    dout = rng.standard_normal((40, 3))
    before = x.copy()
    num = eval_numerical_gradient_array(lambda z: np.tanh(z @ W), x, dout, num_checks=9, rng=2)
    assert np.array_equal(x, before)
    assert np.sum(~np.isnan(num)) == 9
    assert sampled_rel_error(num, ((1 - np.tanh(x @ W) ** 2) * dout) @ W.T) < 1e-8
    with pytest.raises(TypeError, match="float64"):
        eval_numerical_gradient_array(lambda z: z, np.ones(3, dtype=np.float32), np.ones(3))


def test_students_have_no_scalar_gradient():
    """`numerical_gradient` is notebook 02's exercise: utils ships no function computing it."""
    public = [name for name in vars(utils.gradcheck) if not name.startswith("_")]
    assert "eval_numerical_gradient" not in public
    assert all("gradient" not in name or name == "eval_numerical_gradient_array" for name in public), public
