"""Hidden checks for notebook 06: random shapes, hyper-parameters and gradient sequences of 100
steps, gradients spanning 1e-8 to 1e4 with exact zeros, sparse gradients, a learning rate that
changes every step. Every trajectory is compared, step by step, with `keras.optimizers` (float64)
*and* with a numpy reference sequence computed here, to 1e-6 relative error of w_t - w_0."""
from __future__ import annotations

import functools
import math

import numpy as np

from utils.checks.core import Case, Registry
from utils.checks.optimizers import (EPSILON_HINT, STEPS, _no_bias_correction_hint, bowl_objective,
                                     call_with_seeds, diverging_objective, judge_schedule, judge_trajectory,
                                     search_case, tiny_objective, _expect_search_result)
from utils.optim import DEFAULTS, hyperparameters, keras_cosine_decay, keras_trajectory, rollout

checks = Registry("06_optimizers")
SEED = 73_061


# ---- numpy reference sequences (instructor-only) --------------------------------------------------

def reference_path(rule, w0, grads, config=None, learning_rates=None) -> np.ndarray:
    """The trajectory of `rule` computed from its definition, in float64."""
    hp = hyperparameters(rule, config)
    w = np.array(w0, dtype=np.float64)
    state = {"v": np.zeros_like(w), "s": np.full_like(w, hp.get("initial_accumulator_value", 0.0)),
             "m": np.zeros_like(w)}
    path = [w.copy()]
    for t, g in enumerate(np.asarray(grads, dtype=np.float64), start=1):
        lr = hp["learning_rate"] if learning_rates is None else float(learning_rates[t - 1])
        if rule == "sgd":
            w = w - lr * g
        elif rule == "sgd_momentum":
            state["v"] = hp["momentum"] * state["v"] - lr * g
            w = w + state["v"]
        elif rule == "adagrad":
            state["s"] = state["s"] + g * g
            w = w - lr * g / np.sqrt(state["s"] + hp["epsilon"])
        elif rule == "rmsprop":
            state["s"] = hp["rho"] * state["s"] + (1 - hp["rho"]) * g * g
            w = w - lr * g / np.sqrt(state["s"] + hp["epsilon"])
        elif rule == "adam":
            b1, b2 = hp["beta_1"], hp["beta_2"]
            state["m"] = b1 * state["m"] + (1 - b1) * g
            state["v"] = b2 * state["v"] + (1 - b2) * g * g
            m_hat, v_hat = state["m"] / (1 - b1 ** t), state["v"] / (1 - b2 ** t)
            eps_hat = hp["epsilon"] / math.sqrt(1 - b2 ** t)        # Keras' epsilon, moved onto sqrt(v_hat)
            w = w - lr * m_hat / (np.sqrt(v_hat) + eps_hat)
        path.append(w.copy())
    return np.stack(path)


# ---- random problems ------------------------------------------------------------------------------

def _shape(rng):
    return tuple(int(n) for n in rng.integers(1, 7, size=int(rng.integers(1, 4))))


def _config(rule, rng):
    draw = {"learning_rate": lambda: 10 ** rng.uniform(-3, -0.5), "momentum": lambda: rng.uniform(0.5, 0.99),
            "rho": lambda: rng.uniform(0.5, 0.999), "beta_1": lambda: rng.uniform(0.5, 0.99),
            "beta_2": lambda: rng.uniform(0.9, 0.9999), "epsilon": lambda: 10 ** rng.uniform(-9, -4),
            "initial_accumulator_value": lambda: rng.uniform(0.0, 1.0)}
    return {k: float(draw[k]()) for k in DEFAULTS[rule]}


def _case(rule, w0, grads, config, label, *, learning_rates=None, advice=""):
    """Judged against Keras, then against the numpy reference sequence."""
    keras_path = functools.partial(keras_trajectory, rule, w0, grads, config, learning_rates=learning_rates)
    ref_path = functools.partial(reference_path, rule, w0, grads, config, learning_rates)
    hints = _no_bias_correction_hint(config) if rule == "adam" else ()
    # both references are computed when judged, i.e. by the grader, not in the student's kernel
    vs_keras = judge_trajectory(rule, keras_path, hints=hints, advice=advice)
    vs_ref = judge_trajectory(rule, ref_path, hints=hints, advice=advice)

    def judge(out):
        vs_keras(out)
        vs_ref(out)

    kwargs = {} if learning_rates is None else {"learning_rates": np.asarray(learning_rates)}
    return Case((np.asarray(w0, dtype=np.float64), np.asarray(grads, dtype=np.float64),
                 None if config is None else dict(config)),
                judge, label=label, kwargs=kwargs, call=rollout)


def _rule_cases(rule, seed):
    rng = np.random.default_rng(seed)
    for _ in range(2):
        shape, config = _shape(rng), _config(rule, rng)
        scale = 10 ** rng.uniform(-2, 1)
        yield _case(rule, rng.standard_normal(shape), rng.standard_normal((STEPS, *shape)) * scale, config,
                    f"random shape {shape}, gradients of scale {scale:.2g}, config {config}")
    shape, config = (4, 6), _config(rule, rng)
    scales = 10.0 ** np.linspace(-8, 4, 6)                 # column j has gradients of size scales[j]
    grads = rng.standard_normal((STEPS, *shape)) * scales
    grads[:, 0, :] = 0.0                                   # a row of parameters that never gets a gradient
    grads[rng.random((STEPS, *shape)) < 0.1] = 0.0         # and some exact zeros everywhere
    yield _case(rule, rng.standard_normal(shape), grads, config,
                f"gradients from 1e-8 to 1e4 in one array, with exact zeros, config {config}",
                advice=EPSILON_HINT.get(rule, ""))
    shape, config = _shape(rng), _config(rule, rng)
    lrs = 10 ** rng.uniform(-3, -1, size=STEPS)
    yield _case(rule, rng.standard_normal(shape), rng.standard_normal((STEPS, *shape)), config,
                f"a learning rate that changes every step (config['learning_rate'] set before each call), "
                f"shape {shape}", learning_rates=lrs)
    shape = (int(rng.integers(20, 40)),)
    grads = rng.standard_normal((STEPS, *shape)) * (rng.random((STEPS, *shape)) < 0.05)
    yield _case(rule, rng.standard_normal(shape), grads, None,
                f"sparse gradients (95% zeros), shape {shape}, default hyper-parameters")


@checks.exercise("sgd")
def _sgd():
    yield from _rule_cases("sgd", SEED)


@checks.exercise("sgd_momentum")
def _sgd_momentum():
    yield from _rule_cases("sgd_momentum", SEED + 1)


@checks.exercise("adagrad")
def _adagrad():
    yield from _rule_cases("adagrad", SEED + 2)


@checks.exercise("rmsprop")
def _rmsprop():
    yield from _rule_cases("rmsprop", SEED + 3)


@checks.exercise("adam")
def _adam():
    yield from _rule_cases("adam", SEED + 4)


# ---- the schedule ----------------------------------------------------------------------------------

@checks.exercise("cosine_decay")
def _cosine_decay():
    rng = np.random.default_rng(SEED + 5)
    for _ in range(2):
        params = {"initial_learning_rate": float(10 ** rng.uniform(-4, 0)), "decay_steps": int(rng.integers(5, 400)),
                  "alpha": float(rng.uniform(0, 0.5))}
        steps = np.sort(rng.integers(0, int(params["decay_steps"] * 1.5) + 2, size=int(rng.integers(5, 40))))
        yield Case((steps,), judge_schedule(keras_cosine_decay(steps, **params)), kwargs=params,
                   label=f"random steps up to 1.5 x decay_steps, {params}")
    params = {"initial_learning_rate": 0.03, "decay_steps": 17, "alpha": 0.05}
    steps = np.arange(40).reshape(5, 8)
    yield Case((steps,), judge_schedule(keras_cosine_decay(steps.ravel(), **params).reshape(5, 8)), kwargs=params,
               label="a (5, 8) array of steps: the result keeps its shape")
    for step in (0, 17, 250):
        yield Case((step,), judge_schedule(keras_cosine_decay(step, **params)[0]), kwargs=params,
                   label=f"the single int step {step} (decay_steps 17)")
    for _ in range(2):
        params = {"initial_learning_rate": float(rng.uniform(0, 1e-3)), "decay_steps": int(rng.integers(10, 200)),
                  "alpha": float(rng.uniform(0, 0.3)), "warmup_steps": int(rng.integers(1, 50)),
                  "warmup_target": float(10 ** rng.uniform(-3, -1))}
        steps = np.arange(0, params["decay_steps"] + params["warmup_steps"] + 30)
        yield Case((steps,), judge_schedule(keras_cosine_decay(steps, **params)), kwargs=params,
                   label=f"warmup then decay, {params}")
    params = {"initial_learning_rate": 0.5, "decay_steps": 30, "warmup_steps": 0, "warmup_target": 0.2}
    steps = np.arange(0, 40)
    yield Case((steps,), judge_schedule(keras_cosine_decay(steps, **params)), kwargs=params,
               label="warmup_target 0.2 with warmup_steps 0: decay from the target right away")
    params = {"initial_learning_rate": 0.5, "decay_steps": 30, "warmup_steps": 12}
    yield Case((steps,), judge_schedule(keras_cosine_decay(steps, **params)), kwargs=params,
               label="warmup_steps 12 but no warmup_target: no warmup (as Keras)")


# ---- random search ---------------------------------------------------------------------------------

SPACE_3 = {"learning_rate": (1e-6, 1.0, "log"), "dropout": (0.0, 0.7, "linear"), "l2": (1e-3, 1e-2, "log")}


@checks.exercise("random_search")
def _random_search():
    yield search_case(diverging_objective, SPACE_3, 300, (13, 14),
                      "300 trials over 3 hyper-parameters (log, linear, log), NaN scores for learning_rate > 0.05")
    yield search_case(tiny_objective, {"x": (1e-3, 1e3, "log")}, 500, (5, 6, 7),
                      "500 trials of one log-scale hyper-parameter in [1e-3, 1e3]")

    def judge_few(out):
        for o in out:
            _expect_search_result(o, bowl_objective, {"learning_rate": (1e-4, 1e-2, "log"),
                                                      "momentum": (0.8, 0.8, "linear")}, 4)

    yield Case((bowl_objective, {"learning_rate": (1e-4, 1e-2, "log"), "momentum": (0.8, 0.8, "linear")}, 4),
               judge_few, kwargs={"seeds": (3, 4)}, call=call_with_seeds,
               label="4 trials, a range with low == high (momentum fixed at 0.8)")
