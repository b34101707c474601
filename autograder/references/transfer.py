"""Notebook 10's references: fastai's one-cycle schedule composed of Keras' CosineDecay pieces (in
float64), and the straight-warm-up slip of the hint."""
import numpy as np

from utils.checks import transfer as public

from . import implements


def _keras_cosine(a, b, span, t):
    """From a (t = 0) to b (t = span) along a half cosine: Keras' CosineDecay(a, span, alpha=b/a)."""
    import keras
    f64 = np.float64
    return float(keras.optimizers.schedules.CosineDecay(f64(a), f64(span), alpha=f64(b) / f64(a))(f64(t)))


@implements(public.keras_one_cycle)
def keras_one_cycle(steps, total_steps, lr_max, pct_start=0.25, div=25.0, div_final=1e5,
                    moms=(0.95, 0.85, 0.95)):
    """(learning rates, momenta), arrays shaped like `steps` (two numbers for a single step: a 0-d
    array would come back from the stored values with shape (1,), evidence.encode's way)."""
    steps = np.asarray(steps, dtype=np.float64)
    warm, anneal = pct_start * total_steps, (1 - pct_start) * total_steps
    lrs, ms = [], []
    for s in steps.ravel():
        if min(s / total_steps, 1.0) < pct_start:
            lrs.append(_keras_cosine(lr_max / div, lr_max, warm, s))
            ms.append(_keras_cosine(moms[0], moms[1], warm, s))
        else:
            lrs.append(_keras_cosine(lr_max, lr_max / div_final, anneal, s - warm))
            ms.append(_keras_cosine(moms[1], moms[2], anneal, s - warm))
    lrs, ms = np.array(lrs).reshape(steps.shape), np.array(ms).reshape(steps.shape)
    return (lrs[()], ms[()]) if steps.ndim == 0 else (lrs, ms)


@implements(public._keras_linear_warmup)
def _keras_linear_warmup(steps, total_steps, lr_max, pct_start, div, div_final):
    """Its anneal is the right one: instructor-only too."""
    import keras
    f64 = np.float64
    warm = pct_start * total_steps
    sched = keras.optimizers.schedules.CosineDecay(
        f64(lr_max / div), f64((1 - pct_start) * total_steps), alpha=f64(1 / div_final),
        warmup_target=f64(lr_max), warmup_steps=f64(warm))
    return np.array([float(sched(f64(s))) for s in np.asarray(steps, dtype=np.float64).ravel()])
