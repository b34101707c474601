"""Visible checks for notebook 06 (optimizers).

An update rule is run for up to 100 steps on a fixed sequence of gradients (the case's driver,
`utils.optim.rollout`, threads the config from step to step) and its whole trajectory is compared
with independent references:
- `keras.optimizers` on the same gradients, computed in float64 (`utils.optim.keras_trajectory`);
- hand-computed first steps and the closed forms for a constant gradient, worked out on paper.
The learning-rate schedule is compared with `keras.optimizers.schedules.CosineDecay`; the random
search is judged by properties (bounds, log-uniform spread, the best trial, reproducibility).
"""
from __future__ import annotations

import functools
import math

import numpy as np

from ..gradcheck import rel_error
from ..optim import DEFAULTS, hyperparameters, keras_cosine_decay, keras_trajectory, rollout
from .core import Case, CheckFailure, Registry, _preview, expect, expect_array, expect_close, expect_tuple
from .references import reference

checks = Registry("06_optimizers")

#: trajectories must agree with the reference to this relative error, at every step
TOL = 1e-6
STEPS = 100

STATE_HINT = ("The first step is right but a later one is not: is the state (velocity, accumulator, "
              "moments, step count) stored in config and read back on the next call?")
EPSILON_HINT = {
    "adagrad": "Where epsilon goes matters, the more so the smaller the gradients: Keras divides by "
               "sqrt(accumulator + epsilon), epsilon inside the square root.",
    "rmsprop": "Where epsilon goes matters, the more so the smaller the gradients: Keras (and the notes) "
               "divide by sqrt(mean_square + epsilon), epsilon inside the square root.",
    "adam": "Where epsilon goes matters, the more so the smaller the gradients: Keras adds epsilon to sqrt(v) "
            "of the raw (uncorrected) second moment and folds the bias correction into the step size, "
            "alpha_t = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t).",
}


# ---- judging a trajectory ------------------------------------------------------------------------

def _step_ratio(got, expected):
    """got / expected of the first step, where the expected step is not ~0 (None if not constant)."""
    d_got, d_ref = got[1] - got[0], expected[1] - expected[0]
    mask = np.abs(d_ref) > 1e-12 * max(1.0, float(np.max(np.abs(d_ref))))
    if not np.any(mask):
        return None
    ratios = d_got[mask] / d_ref[mask]
    return float(np.median(ratios)) if np.ptp(ratios) <= 1e-6 * max(1.0, abs(float(np.median(ratios)))) else None


def judge_trajectory(rule: str, expected, *, hints=(), advice: str = "", tol: float = TOL):
    """A judge comparing the trajectory a rollout returned with `expected`, step by step.

    The displacement w_t - w_0 is compared (not w_t itself), so that a small error in small steps
    is not hidden by a large w. `hints` are (factor, message): when the first step is `factor`
    times the expected one, the message says which slip that is.

    `expected` may also be a function that returns the trajectory: it is called when an output is
    judged. Under the grader the student's kernel only records outputs, so a reference
    that takes a while (Keras, step by step) is computed by the grader's process alone.
    """
    def judge(out):
        path = np.asarray(expected() if callable(expected) else expected, dtype=np.float64)
        steps = len(path) - 1
        if isinstance(out, np.ndarray) and out.shape == path.shape and out.dtype.kind == "f":
            bad = ~np.all(np.isfinite(out.reshape(len(out), -1)), axis=1)
            if np.any(bad):
                t = int(np.argmax(bad))
                raise CheckFailure(f"w contains NaN or inf after step {t} of {steps}: {_preview(out[t])}. "
                                   f"Is something divided by zero, e.g. a root without epsilon when a "
                                   f"gradient is exactly 0?")
        got = expect_array(f"the trajectory of {rule}", out, shape=path.shape)
        d_got, d_ref = got - path[0], path - path[0]
        for t in range(1, steps + 1):
            err = rel_error(d_got[t], d_ref[t])
            if err <= tol:
                continue
            message = (f"w after step {t} of {steps} is wrong: relative error {err:.2e} of w_t - w_0 "
                       f"(allowed {tol:.0e}).\n  expected w_{t}: {_preview(path[t])}\n"
                       f"  got:        {_preview(got[t])}")
            if t == 1:
                message += f"\n  w_0 was:    {_preview(path[0])}"
                ratio = _step_ratio(got, path)
                for factor, hint in hints:
                    if ratio is not None and abs(ratio - factor) <= 1e-4 * abs(factor):
                        message += f"\n  The first step is {ratio:.4g} times the expected one. {hint}"
                        break
            else:
                message += f"\n  {STATE_HINT}"
            if advice:
                message += f"\n  {advice}"
            elif err < 1e-2 and rule in EPSILON_HINT:
                message += f"\n  A difference this small often comes from epsilon. {EPSILON_HINT[rule]}"
            raise CheckFailure(message)
        expect_close(f"w_t - w_0 of {rule} over all {steps} steps", d_got, d_ref, tol=tol)
    return judge


def rule_case(rule: str, w0, grads, config, expected, label: str, *, learning_rates=None, hints=(),
              advice: str = "", tol: float = TOL) -> Case:
    """A case that runs the student's rule over `grads` (threading its config) and judges the path."""
    kwargs = {} if learning_rates is None else {"learning_rates": np.asarray(learning_rates)}
    return Case((np.asarray(w0, dtype=np.float64), np.asarray(grads, dtype=np.float64), config),
                judge_trajectory(rule, expected, hints=hints, advice=advice, tol=tol),
                label=label, kwargs=kwargs, call=rollout)


def keras_case(rule: str, w0, grads, config, label: str, **kw) -> Case:
    """A case judged against `keras.optimizers` (float64) on the same gradients."""
    lrs = kw.get("learning_rates")
    expected = functools.partial(keras_trajectory, rule, w0, grads, config, learning_rates=lrs)   # when judged
    return rule_case(rule, w0, grads, None if config is None else dict(config), expected, label, **kw)


# ---- closed forms for a constant gradient (worked out by hand, see the notebook; computed on the
# instructor side, autograder/references/optimizers.py, a student's kernel has their values for the
# visible cases only) ---------------------------------------------------------------------------------

@reference
def constant_gradient_path(rule: str, w0, g, steps: int, config=None) -> np.ndarray:
    """The trajectory of `rule` under a gradient g that never changes, from its closed form (w0 first)."""


# ---- the update rules ------------------------------------------------------------------------------

def _no_bias_correction_hint(config):
    hp = hyperparameters("adam", config)
    factor = (1 - hp["beta_1"]) / math.sqrt(1 - hp["beta_2"])
    return [(factor, "That is (1 - beta_1) / sqrt(1 - beta_2): the bias correction is missing (the notes' "
                     "pseudo-code has none). Use alpha_t = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t), t = 1, 2, ...")]


def _rule_checks(rule: str, hand: Case, seed: int):
    """The cases every rule shares, after its hand-computed first step(s)."""
    yield hand
    w0, g = np.array([1.0, -2.0, 0.5]), np.array([0.3, -0.02, 1.5])
    config = {"learning_rate": 0.05, "epsilon": 1e-12} if rule in ("adagrad", "rmsprop", "adam") else {"learning_rate": 0.05}
    hints = _no_bias_correction_hint(config) if rule == "adam" else ()
    yield rule_case(rule, w0, np.tile(g, (STEPS, 1)), config, constant_gradient_path(rule, w0, g, STEPS, config),
                    f"a constant gradient {g.tolist()} for {STEPS} steps, learning_rate 0.05 (closed form)",
                    hints=hints)
    rng = np.random.default_rng(seed)
    w0, grads = rng.standard_normal((3, 4)), rng.standard_normal((STEPS, 3, 4))
    config = {k: v for k, v in {"learning_rate": 0.02, "momentum": 0.8, "rho": 0.95, "beta_1": 0.8,
                                "beta_2": 0.99, "epsilon": 1e-6}.items() if k in DEFAULTS[rule]}
    yield keras_case(rule, w0, grads, config, f"{STEPS} random (3, 4) gradients, config {config}, "
                     f"vs keras.optimizers", hints=_no_bias_correction_hint(config) if rule == "adam" else ())
    w0, grads = rng.standard_normal(5), rng.standard_normal((STEPS, 5)) * 2.0
    yield keras_case(rule, w0, grads, None, f"config=None: Keras' default hyper-parameters "
                     f"{DEFAULTS[rule]}, {STEPS} random gradients")
    if rule in EPSILON_HINT:
        w0, grads = rng.standard_normal(4), rng.standard_normal((STEPS, 4)) * 1e-6
        grads[:, 0] = 0.0
        config = {"learning_rate": 0.01}
        yield keras_case(rule, w0, grads, config, f"tiny gradients (~1e-6, one coordinate always 0) for "
                         f"{STEPS} steps, default epsilon", advice=EPSILON_HINT[rule])


@checks.exercise("sgd")
def _sgd():
    hand = rule_case("sgd", [1.0, -2.0, 3.0], [[0.5, 0.25, -1.0]], {"learning_rate": 0.1},
                     [[1.0, -2.0, 3.0], [0.95, -2.025, 3.1]],
                     "one hand-computed step: w - 0.1 * (0.5, 0.25, -1) = (0.95, -2.025, 3.1)",
                     hints=[(-1.0, "The step goes uphill: subtract learning_rate * dw.")])
    yield from _rule_checks("sgd", hand, seed=1)


@checks.exercise("sgd_momentum")
def _sgd_momentum():
    hand = rule_case("sgd_momentum", [1.0, -2.0, 3.0], [[0.5, 0.25, -1.0]] * 2,
                     {"learning_rate": 0.1, "momentum": 0.9},
                     [[1.0, -2.0, 3.0], [0.95, -2.025, 3.1], [0.855, -2.0725, 3.29]],
                     "two hand-computed steps with momentum 0.9: v_1 = -0.1 g, v_2 = 0.9 v_1 - 0.1 g = -0.19 g",
                     hints=[(-1.0, "The step goes uphill: v = momentum * v - learning_rate * dw, then w + v.")])
    yield from _rule_checks("sgd_momentum", hand, seed=2)


@checks.exercise("adagrad")
def _adagrad():
    hand = rule_case("adagrad", [1.0, 2.0, 3.0], [[0.3, -0.3, 0.0]],
                     {"learning_rate": 0.1, "initial_accumulator_value": 0.16, "epsilon": 1e-12},
                     [[1.0, 2.0, 3.0], [0.94, 2.06, 3.0]],
                     "one hand-computed step: accumulator 0.16 + 0.3² = 0.25, step 0.1 * 0.3 / 0.5 = 0.06",
                     hints=[(0.5 / 0.3, "The accumulator must start at initial_accumulator_value, not at 0.")])
    yield from _rule_checks("adagrad", hand, seed=3)


@checks.exercise("rmsprop")
def _rmsprop():
    hand = rule_case("rmsprop", [1.0, 1.0, 1.0], [[2.0, -0.5, 0.0]],
                     {"learning_rate": 0.01, "rho": 0.9, "epsilon": 1e-12},
                     [[1.0, 1.0, 1.0], [1 - 0.01 * math.sqrt(10), 1 + 0.01 * math.sqrt(10), 1.0]],
                     "one hand-computed step: mean square 0.1 g², step 0.01 g / sqrt(0.1 g²) = 0.01 sign(g) sqrt(10)",
                     hints=[(1 / math.sqrt(10), "That is a step of learning_rate * sign(g): the moving average "
                                                "starts at 0 and includes (1 - rho) * dw**2.")])
    yield from _rule_checks("rmsprop", hand, seed=4)


@checks.exercise("adam")
def _adam():
    config = {"learning_rate": 0.1, "epsilon": 1e-12}
    hand = rule_case("adam", [1.0, 1.0, 1.0], [[0.5, -2.0, 0.0]], config, [[1.0, 1.0, 1.0], [0.9, 1.1, 1.0]],
                     "one hand-computed step: after bias correction m_hat = g and v_hat = g², so the step "
                     "is 0.1 g / |g| = 0.1 sign(g)", hints=_no_bias_correction_hint(config))
    yield from _rule_checks("adam", hand, seed=5)


# ---- the learning-rate schedule -----------------------------------------------------------------------

def judge_schedule(expected, what: str = "the learning rate"):
    expected = np.asarray(expected, dtype=np.float64)

    def judge(out):
        if expected.ndim == 0:
            expect(np.ndim(out) == 0 and np.asarray(out).dtype.kind in "fiu",
                   f"for a single step (an int) cosine_decay should return one number, got {_preview(out)}")
        expect_close(what, out, expected)
    return judge


def schedule_case(steps, label, **params) -> Case:
    expected = keras_cosine_decay(steps, **params)
    if np.ndim(steps) == 0:
        expected = expected[0]
    return Case((steps,), judge_schedule(expected), label=label, kwargs=params)


@checks.exercise("cosine_decay")
def _cosine_decay():
    def judge_hand(out):
        expect_close("cosine_decay at steps (0, 50, 100, 150)", out, [0.1, 0.055, 0.01, 0.01], tol=1e-12)

    yield Case((np.array([0, 50, 100, 150]),), judge_hand, kwargs={"initial_learning_rate": 0.1,
               "decay_steps": 100, "alpha": 0.1},
               label="lr 0.1, 100 decay steps, alpha 0.1: 0.1 at the start, 0.1 * (1 + 0.1) / 2 = 0.055 "
                     "half way, 0.1 * 0.1 = 0.01 at the end and after")
    yield schedule_case(np.arange(0, 130), "steps 0..129, lr 0.01, 100 decay steps, alpha 0 "
                        "(vs keras CosineDecay)", initial_learning_rate=0.01, decay_steps=100)
    yield schedule_case(37, "a single int step (37): returns one number", initial_learning_rate=0.5,
                        decay_steps=60, alpha=0.2)
    yield schedule_case(np.arange(0, 80), "warmup: linear from 0 to 0.001 over 10 steps, then cosine decay "
                        "over 50 steps (vs keras CosineDecay)", initial_learning_rate=0.0, decay_steps=50,
                        warmup_steps=10, warmup_target=0.001)


# ---- random search ----------------------------------------------------------------------------------

SEARCH_SPACE = {"learning_rate": (1e-5, 1e-1, "log"), "momentum": (0.5, 0.99, "linear")}


def bowl_objective(config) -> float:
    """A made-up validation loss: best at learning_rate 3e-3 and momentum 0.9 (deterministic)."""
    return (math.log10(config["learning_rate"]) + 2.5) ** 2 + 4.0 * (config["momentum"] - 0.9) ** 2


def diverging_objective(config) -> float:
    """NaN (a diverged run) for learning rates above 0.05, else a smooth bowl (an objective of the
    hidden checks: their cases reach the student's kernel as data, so it lives here)."""
    lr = config["learning_rate"]
    if lr > 0.05:
        return float("nan")
    return (math.log10(lr) + 1.5) ** 2 + (config["dropout"] - 0.3) ** 2 + 10 * abs(math.log10(config["l2"]) + 2.5)


def tiny_objective(config) -> float:
    """x^2 of a one-parameter config (an objective of the hidden checks)."""
    return float(np.float64(config["x"]) ** 2)


def call_with_seeds(fn, objective, space, n_trials, *, seeds):
    """Call random_search once per seed (the first seed twice): judges reproducibility too."""
    return [fn(objective, space, n_trials, seed=s) for s in (seeds[0], *seeds)]


def _expect_search_result(out, objective, space, n_trials):
    best_config, best_score, trials = expect_tuple("random_search", out, 3)
    expect(isinstance(trials, list) and len(trials) == n_trials,
           f"trials should be a list of the {n_trials} (config, score) pairs tried, got "
           f"{type(trials).__name__} of length {len(trials) if hasattr(trials, '__len__') else '?'}")
    scores = []
    for i, trial in enumerate(trials):
        expect(isinstance(trial, tuple) and len(trial) == 2, f"trial {i} should be a (config, score) tuple, "
                                                             f"got {trial!r:.80}")
        config, score = trial
        expect(isinstance(config, dict) and set(config) == set(space),
               f"trial {i}: config should be a dict with exactly the keys {sorted(space)}, got {config!r:.120}")
        for name, (low, high, _) in space.items():
            v = config[name]
            slack = 1e-9 * max(abs(low), abs(high))    # 10 ** log10(1e-5) is 9.999999999999999e-06
            expect(np.ndim(v) == 0 and np.isfinite(float(v)) and low - slack <= float(v) <= high + slack,
                   f"trial {i}: {name} = {v!r} is outside its range [{low}, {high}]")
        true = float(objective(config))
        expect(np.ndim(score) == 0 and (math.isnan(true) and math.isnan(float(score))
                                        or math.isclose(float(score), true, rel_tol=1e-12, abs_tol=1e-300)),
               f"trial {i}: the score should be objective(config) = {true!r}, got {score!r}")
        scores.append(true)
    finite = [s for s in scores if not math.isnan(s)]
    best = min(finite)
    expect(np.ndim(best_score) == 0 and float(best_score) == best,
           f"best_score should be the lowest score of the trials, {best!r}, got {best_score!r}"
           + (" (a NaN score is a diverged run: it never wins)" if len(finite) < len(scores) else ""))
    expect(best_config == trials[scores.index(best)][0],
           f"best_config should be the config of the best trial, {trials[scores.index(best)][0]}, got {best_config}")
    return [c for c, _ in trials]


def _expect_spread(configs, space):
    """Log-uniform (or uniform) samples: half below the (geometric) mid-point, no repeats."""
    n = len(configs)
    for key, (lo, hi, scale) in space.items():
        values = np.array([float(c[key]) for c in configs])
        distinct = len(np.unique(values))
        expect(distinct >= 0.95 * n, f"{key}: only {distinct} distinct values in {n} trials. Sample a real "
                                     f"number each trial (10 ** uniform(...)), not an integer exponent or a grid.")
        if scale == "log":
            mid, how = math.sqrt(lo * hi), "geometric mid-point sqrt(low * high)"
            advice = ("Sample the exponent uniformly: 10 ** rng.uniform(log10(low), log10(high)). Uniform "
                      "sampling of the value itself puts almost every trial in the top decade.")
        else:
            mid, how = (lo + hi) / 2, "mid-point (low + high) / 2"
            advice = "A linear hyper-parameter is sampled uniformly between low and high."
        share = float(np.mean(values < mid))
        expect(0.38 <= share <= 0.62, f"{key} ({scale} scale): {share:.0%} of the {n} trials fall below the "
                                      f"{how} = {mid:.3g}, expected about half. {advice}")


def search_case(objective, space, n_trials, seeds, label) -> Case:
    def judge(out):
        expect(isinstance(out, list) and len(out) == len(seeds) + 1, "internal: expected one result per call")
        runs = [_expect_search_result(o, objective, space, n_trials) for o in out]
        _expect_spread(runs[1], space)
        expect(runs[0] == runs[1], f"two calls with seed={seeds[0]} tried different configs: create the "
                                   f"generator with np.random.default_rng(seed) and draw only from it")
        for other, s in zip(runs[2:], seeds[1:]):
            expect(other != runs[1], f"seed={s} tried the same configs as seed={seeds[0]}: use the seed")
    return Case((objective, space, n_trials), judge, label=label, kwargs={"seeds": tuple(seeds)},
                call=call_with_seeds)


@checks.exercise("random_search")
def _random_search():
    def judge_one(out):
        best_config, best_score, trials = expect_tuple("random_search", out, 3)
        _expect_search_result(out, bowl_objective, SEARCH_SPACE, 1)
        expect(best_config == trials[0][0], "with one trial, that trial is the best")

    yield Case((bowl_objective, SEARCH_SPACE, 1), judge_one, kwargs={"seed": 0}, label="a single trial")
    yield search_case(bowl_objective, SEARCH_SPACE, 400, (0, 1),
                      "400 trials of learning_rate in [1e-5, 1e-1] (log) and momentum in [0.5, 0.99] (linear)")
