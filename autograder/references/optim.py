"""Notebook 06's references in utils.optim: `keras.optimizers` run on the same gradients (float64
throughout), and `keras.optimizers.schedules.CosineDecay`."""
from __future__ import annotations

from typing import Mapping

import numpy as np

from utils import optim as public
from utils.optim import hyperparameters

from . import implements

_KERAS_CLASS = {"sgd": "SGD", "sgd_momentum": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop",
                "adam": "Adam"}


def keras_optimizer(rule: str, config: Mapping | None = None, *, learning_rates=None, float64: bool = True):
    """The `keras.optimizers` object that computes `rule` with the hyper-parameters in `config`.

    Keras converts a Python-float hyper-parameter to a float32 tensor before casting it to the
    variable's dtype, so even on float64 variables `beta_2=0.999` is used as 0.99900001287 (and the
    learning rate is a float32 variable). That alone moves Adam's steps by ~6e-6 relative.
    With `float64=True` (the default) every hyper-parameter is passed as `np.float64` and the
    learning rate as a callable returning `np.float64`, and Keras then computes in float64 throughout.
    """
    import keras
    hp = hyperparameters(rule, config)
    lr = hp.pop("learning_rate")
    cls = getattr(keras.optimizers, _KERAS_CLASS[rule])
    if not float64:
        if learning_rates is not None:
            raise ValueError("learning_rates needs float64=True")
        return cls(learning_rate=lr, **hp)
    hp = {k: np.float64(v) for k, v in hp.items()}
    if learning_rates is None:
        lr64 = np.float64(lr)
        return cls(learning_rate=lambda: lr64, **hp)
    import tensorflow as tf
    lrs = tf.constant(np.asarray(learning_rates, dtype=np.float64))
    holder: list = []
    opt = cls(learning_rate=lambda: tf.gather(lrs, holder[0].iterations), **hp)
    holder.append(opt)
    return opt


_keras_cache: dict = {}


@implements(public.keras_trajectory)
def keras_trajectory(rule: str, w0, grads, config: Mapping | None = None, *, learning_rates=None,
                     float64: bool = True) -> np.ndarray:
    """`learning_rates[k]`, when given, is the learning rate of step k (a schedule)."""
    w0 = np.asarray(w0, dtype=np.float64)
    grads = np.asarray(grads, dtype=np.float64)
    hp = tuple(sorted(hyperparameters(rule, config).items()))
    lrs = None if learning_rates is None else np.asarray(learning_rates, dtype=np.float64)
    key = (rule, w0.shape, w0.tobytes(), grads.shape, grads.tobytes(), hp,
           None if lrs is None else lrs.tobytes(), float64)
    if key not in _keras_cache:
        import keras
        import tensorflow as tf
        opt = keras_optimizer(rule, config, learning_rates=lrs, float64=float64)
        var = keras.Variable(w0.copy(), dtype="float64")
        path = [w0.copy()]
        for g in grads:
            opt.apply_gradients([(tf.constant(g), var)])
            path.append(np.array(var.numpy(), dtype=np.float64))
        if len(_keras_cache) > 256:
            _keras_cache.clear()
        _keras_cache[key] = np.stack(path)
    return _keras_cache[key].copy()


@implements(public.keras_cosine_decay)
def keras_cosine_decay(steps, initial_learning_rate, decay_steps, alpha=0.0, warmup_steps=0,
                       warmup_target=None) -> np.ndarray:
    import keras
    f64 = np.float64
    schedule = keras.optimizers.schedules.CosineDecay(
        f64(initial_learning_rate), decay_steps, alpha=f64(alpha), warmup_steps=warmup_steps,
        warmup_target=None if warmup_target is None else f64(warmup_target))
    return np.array([float(schedule(f64(s))) for s in np.atleast_1d(steps)])
