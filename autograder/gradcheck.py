"""The centered-difference gradient of a scalar function, for the hidden checks and the tests.

It is the answer to notebook 02's exercise `numerical_gradient`, so it stays on the instructor side;
`utils.gradcheck` (what students have) keeps the layer form, `eval_numerical_gradient_array`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from utils.gradcheck import _indices


def eval_numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5,
                            num_checks: int | None = None, rng=0) -> np.ndarray:
    """Centered-difference gradient of a scalar function `f` at `x`.

    `f` is called with `x` itself, perturbed in place and restored, so it must read `x` when
    called. With `num_checks`, only that many randomly chosen entries are computed and the rest
    of the returned array is NaN (see `utils.gradcheck.sampled_rel_error`).
    """
    x = np.asarray(x)
    if x.dtype != np.float64:
        raise TypeError("gradient checks need float64 inputs (float32 rounding swamps h)")
    grad = np.full(x.shape, np.nan) if num_checks else np.zeros(x.shape)
    for ix in _indices(x.shape, num_checks, rng):
        old = x[ix]
        x[ix] = old + h
        fp = float(f(x))
        x[ix] = old - h
        fm = float(f(x))
        x[ix] = old
        grad[ix] = (fp - fm) / (2 * h)
    return grad
