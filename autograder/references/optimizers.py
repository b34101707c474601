"""Notebook 06's references in utils.checks.optimizers: the update rules' closed forms for a
constant gradient, worked out on paper (see the notebook)."""
from __future__ import annotations

import numpy as np

from utils.checks import optimizers as public
from utils.optim import hyperparameters

from . import implements


@implements(public.constant_gradient_path)
def constant_gradient_path(rule: str, w0, g, steps: int, config=None) -> np.ndarray:
    """The trajectory under a gradient g that never changes, from the closed forms:

    sgd       step k = lr g
    momentum  step k = lr g (1 - mu^k) / (1 - mu)                  (v_k is a geometric series)
    adagrad   step k = lr g / sqrt(a_0 + k g^2 + eps)                (the accumulator grows linearly)
    rmsprop   step k = lr g / sqrt((1 - rho^k) g^2 + eps)            (the average of k equal g^2, from 0)
    adam      step k = lr g sqrt(1 - b2^k) / (sqrt(1 - b2^k) |g| + eps)   (m_k = (1 - b1^k) g, v_k = (1 - b2^k) g^2)
    """
    hp = hyperparameters(rule, config)
    lr = hp["learning_rate"]
    w0, g = np.asarray(w0, dtype=np.float64), np.asarray(g, dtype=np.float64)
    k = np.arange(1, steps + 1, dtype=np.float64).reshape((-1,) + (1,) * g.ndim)
    if rule == "sgd":
        step = lr * g * np.ones_like(k)
    elif rule == "sgd_momentum":
        mu = hp["momentum"]
        step = lr * g * (1 - mu ** k) / (1 - mu)
    elif rule == "adagrad":
        step = lr * g / np.sqrt(hp["initial_accumulator_value"] + k * g ** 2 + hp["epsilon"])
    elif rule == "rmsprop":
        step = lr * g / np.sqrt((1 - hp["rho"] ** k) * g ** 2 + hp["epsilon"])
    elif rule == "adam":
        c = np.sqrt(1 - hp["beta_2"] ** k)
        step = lr * g * c / (c * np.abs(g) + hp["epsilon"])
    else:
        raise KeyError(rule)
    return np.concatenate([w0[None], w0 - np.cumsum(step, axis=0)])
