"""Finite-difference gradient checking of layers.

Centered differences f'(x) ~ (f(x+h) - f(x-h)) / 2h have error O(h^2); with float64 and
h = 1e-5 they agree with an exact gradient to about 1e-10 relative error on smooth functions,
which is why the course's checks can demand 1e-7.

The gradient of a scalar function is notebook 02's first exercise (`numerical_gradient`), so it is
not here: this module has the layer form, `eval_numerical_gradient_array(f, x, dout)`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np


def rel_error(a, b) -> float:
    """Relative error ||a - b|| / (||a|| + ||b||), 0 when both are zero.

    Norm-wise rather than element-wise so that a gradient entry that is ~0 does not turn a
    1e-12 absolute difference into a huge ratio.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: shapes differ, {a.shape} vs {b.shape}")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    if denom == 0.0:
        return 0.0
    return float(np.linalg.norm(a - b) / denom)


def _indices(shape, num_checks, rng):
    """All indices of an array, or `num_checks` of them drawn at random for big arrays."""
    size = int(np.prod(shape))
    if num_checks is None or num_checks >= size:
        return list(np.ndindex(*shape))
    rng = np.random.default_rng(rng)
    flat = rng.choice(size, size=num_checks, replace=False)
    return [np.unravel_index(i, shape) for i in flat]


def eval_numerical_gradient_array(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                                  dout: np.ndarray, h: float = 1e-5,
                                  num_checks: int | None = None, rng=0) -> np.ndarray:
    """Centered-difference gradient of sum(f(x) * dout) with respect to `x`: what a layer's
    backward pass returns for the input `x` when the upstream gradient is `dout`.

    `f` is called with `x` itself, perturbed in place and restored, so it must read `x` when
    called. With `num_checks`, only that many randomly chosen entries are computed and the rest
    of the returned array is NaN (see `sampled_rel_error`).
    """
    x = np.asarray(x)
    if x.dtype != np.float64:
        raise TypeError("gradient checks need float64 inputs (float32 rounding swamps h)")
    dout = np.asarray(dout, dtype=np.float64)
    grad = np.full(x.shape, np.nan) if num_checks else np.zeros(x.shape)
    for ix in _indices(x.shape, num_checks, rng):
        old = x[ix]
        x[ix] = old + h
        fp = float(np.sum(np.asarray(f(x)) * dout))
        x[ix] = old - h
        fm = float(np.sum(np.asarray(f(x)) * dout))
        x[ix] = old
        grad[ix] = (fp - fm) / (2 * h)
    return grad


def sampled_rel_error(numeric: np.ndarray, analytic: np.ndarray) -> float:
    """`rel_error` restricted to the entries a sampled numerical gradient computed."""
    numeric = np.asarray(numeric, dtype=np.float64)
    analytic = np.asarray(analytic, dtype=np.float64)
    if numeric.shape != analytic.shape:
        raise ValueError(f"shapes differ, {numeric.shape} vs {analytic.shape}")
    mask = ~np.isnan(numeric)
    return rel_error(numeric[mask], analytic[mask])
