"""Notebook 06: the reference solutions pass every check; planted bugs (a missing bias correction,
epsilon in the wrong place, a forgotten state, a grid in disguise, ...) fail with a message that
names them; the references (Keras in float64, the numpy sequences, the closed forms) agree; the
notebook's numbers and Keras' conventions are what the text says."""
import math

import numpy as np
import pytest

from autograder import paths
from autograder.hidden.optimizers import checks as hidden
from autograder.hidden.optimizers import diverging_objective, reference_path
from autograder.sample_class import half_right_answers, predicted_score
from autograder.solutions import load_answers
from utils.checks.core import Case, CheckFailure, Registry, call_student, judge_output, run_checks
from utils.checks.optimizers import constant_gradient_path
from utils.checks.optimizers import checks as visible
from utils.gradcheck import rel_error
from utils.optim import DEFAULTS, RULES, agreement_with_keras, keras_cosine_decay, keras_trajectory, rollout

EXERCISES = set(RULES) | {"cosine_decay", "random_search"}


@pytest.fixture(scope="module")
def ns():
    return load_answers("06_optimizers")


def test_visible_and_hidden_cover_the_same_exercises():
    assert set(visible.factories) == set(hidden.factories) == EXERCISES


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_solution_passes(ns, name):
    run_checks(visible, name, ns[name])
    run_checks(hidden, name, ns[name])


def _fails(registry, name, fn, match):
    with np.errstate(all="ignore"), pytest.raises(CheckFailure, match=match) as info:
        run_checks(registry, name, fn, quiet=True)
    return str(info.value)


def _case_fails(registry, name, label_part, fn, match):
    """The one case whose label contains `label_part` fails on its own."""
    (case,) = [c for c in registry.cases(name) if label_part in c.label]
    with np.errstate(all="ignore"), pytest.raises(CheckFailure, match=match):
        judge_output(name, case, call_student(name, fn, case), 0, 1)


# ---- planted bugs: update rules ---------------------------------------------------------------------

def _defaults(config, rule):
    config = {} if config is None else config
    for k, v in DEFAULTS[rule].items():
        config.setdefault(k, v)
    return config


def test_sgd_uphill_and_in_place_updates():
    def uphill(w, dw, config=None):
        config = _defaults(config, "sgd")
        return w + config["learning_rate"] * dw, config

    _fails(visible, "sgd", uphill, "goes uphill")

    def in_place(w, dw, config=None):  # updates w in place, as CS231n's sgd does: that is fine
        config = _defaults(config, "sgd")
        w -= config["learning_rate"] * dw
        return w, config

    run_checks(visible, "sgd", in_place, quiet=True)
    run_checks(hidden, "sgd", in_place, quiet=True)


def test_momentum_that_forgets_its_velocity(ns):
    def forgetful(w, dw, config=None):
        config = _defaults(config, "sgd_momentum")
        v = config["momentum"] * np.zeros_like(w) - config["learning_rate"] * dw
        return w + v, config

    msg = _fails(visible, "sgd_momentum", forgetful, "after step 2 of 2")
    assert "state" in msg and "stored in config" in msg


def test_adagrad_accumulator_starting_at_zero():
    def zero_start(w, dw, config=None):
        config = _defaults(config, "adagrad")
        G = config.get("accumulator", np.zeros_like(w)) + dw ** 2
        config["accumulator"] = G
        return w - config["learning_rate"] * dw / np.sqrt(G + config["epsilon"]), config

    msg = _fails(visible, "adagrad", zero_start, "initial_accumulator_value")
    assert "case 1/" in msg and "0.94" in msg


def test_rmsprop_epsilon_outside_the_root():
    def torch_style(w, dw, config=None):
        config = _defaults(config, "rmsprop")
        s = config["rho"] * config.get("mean_square", np.zeros_like(w)) + (1 - config["rho"]) * dw ** 2
        config["mean_square"] = s
        return w - config["learning_rate"] * dw / (np.sqrt(s) + config["epsilon"]), config

    _case_fails(visible, "rmsprop", "tiny gradients", torch_style, "epsilon inside the square root")
    msg = _fails(visible, "rmsprop", torch_style, "epsilon inside the square root")
    assert "case 3/5" in msg and "often comes from epsilon" in msg   # caught on ordinary gradients already
    _fails(hidden, "rmsprop", torch_style, "w after step 1 of 100 is wrong")


def test_adam_without_epsilon_divides_zero_by_zero():
    def no_epsilon(w, dw, config=None):
        config = _defaults(config, "adam")
        return _adam()(w, dw, {**config, "epsilon": 0.0})[0], config

    _fails(visible, "adam", no_epsilon, "NaN or inf after step 1.*without epsilon")


def test_rmsprop_without_one_minus_rho():
    def no_one_minus_rho(w, dw, config=None):
        config = _defaults(config, "rmsprop")
        s = config["rho"] * config.get("mean_square", np.zeros_like(w)) + dw ** 2
        config["mean_square"] = s
        return w - config["learning_rate"] * dw / np.sqrt(s + config["epsilon"]), config

    _fails(visible, "rmsprop", no_one_minus_rho, r"\(1 - rho\) \* dw\*\*2")


def _adam(*, bias_correction=True, keras_epsilon=True, t_after=False, beta_2=None):
    """An Adam with one slip switched on."""
    def adam(w, dw, config=None):
        config = _defaults(config, "adam")
        b1, b2, eps = config["beta_1"], beta_2 or config["beta_2"], config["epsilon"]
        t = config.get("t", 0) + (0 if t_after else 1)
        m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
        v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw ** 2
        if not bias_correction:
            step = config["learning_rate"] * m / (np.sqrt(v) + eps)
        elif keras_epsilon:
            step = config["learning_rate"] * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
        else:  # Algorithm 1 of the paper (PyTorch): epsilon added to sqrt(v_hat)
            step = config["learning_rate"] * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        config.update(m=m, v=v, t=t + (1 if t_after else 0))
        return w - step, config
    return adam


def test_adam_reference_builder_is_right():
    run_checks(visible, "adam", _adam(), quiet=True)


def test_the_notes_adam_without_bias_correction_fails():
    msg = _fails(visible, "adam", _adam(bias_correction=False), "bias correction is missing")
    assert "3.162 times" in msg and "case 1/" in msg
    _fails(hidden, "adam", _adam(bias_correction=False), "bias correction is missing")


def test_adam_with_the_papers_epsilon_fails_on_tiny_gradients():
    msg = _fails(visible, "adam", _adam(keras_epsilon=False), "often comes from epsilon")
    assert "adds epsilon to sqrt(v)" in msg and "case 3/5" in msg
    _fails(hidden, "adam", _adam(keras_epsilon=False), "adds epsilon to sqrt\\(v\\)")

    _case_fails(visible, "adam", "tiny gradients", _adam(keras_epsilon=False), "adds epsilon to sqrt")


def test_adam_counting_t_from_zero_and_wrong_defaults():
    _fails(visible, "adam", _adam(t_after=True), "ZeroDivisionError|wrong")
    _fails(visible, "adam", _adam(beta_2=0.99), "config=None")


def test_a_rule_that_returns_the_wrong_thing_is_explained():
    _fails(visible, "sgd", lambda w, dw, config=None: w - 0.01 * dw, r"should return \(next_w, config\)")
    _fails(visible, "sgd", lambda w, dw, config=None: (w[:1], config or {}), "shape")


def test_hidden_rules_are_caught_on_learning_rates_that_change():
    def cached_lr(w, dw, config=None):  # reads the learning rate once, on the first call
        config = _defaults(config, "sgd")
        config.setdefault("lr0", config["learning_rate"])
        return w - config["lr0"] * dw, config

    run_checks(visible, "sgd", cached_lr, quiet=True)
    _fails(hidden, "sgd", cached_lr, "changes every step")


# ---- planted bugs: schedule and search ---------------------------------------------------------------

def test_cosine_decay_bugs(ns):
    def no_cap(step, initial_learning_rate, decay_steps, alpha=0.0, warmup_steps=0, warmup_target=None):
        step = np.asarray(step, dtype=np.float64)
        lr = initial_learning_rate * ((1 - alpha) * 0.5 * (1 + np.cos(np.pi * step / decay_steps)) + alpha)
        return float(lr) if lr.ndim == 0 else lr

    _fails(visible, "cosine_decay", no_cap, "steps 0..129|at steps")
    answers, _ = half_right_answers("06_optimizers")
    env = {"np": np, "math": math}
    exec(answers["cosine_decay"], env)
    run_checks(visible, "cosine_decay", env["cosine_decay"], quiet=True)
    _fails(hidden, "cosine_decay", env["cosine_decay"], "no warmup_target")

    def as_array(*args, **kwargs):
        return np.atleast_1d(ns["cosine_decay"](*args, **kwargs))

    _fails(visible, "cosine_decay", as_array, "one number")


def _search(sample, *, seeded=True, nan_safe=True):
    def random_search(objective, space, n_trials, seed=0):
        rng = np.random.default_rng(seed if seeded else None)
        trials = []
        for _ in range(n_trials):
            config = {name: sample(rng, low, high, scale) for name, (low, high, scale) in space.items()}
            trials.append((config, float(objective(config))))
        key = (lambda t: (np.isnan(t[1]), t[1])) if nan_safe else (lambda t: t[1])
        best_config, best_score = min(trials, key=key)
        return best_config, best_score, trials
    return random_search


def _log_uniform(rng, low, high, scale):
    if scale == "log":
        return float(10 ** rng.uniform(math.log10(low), math.log10(high)))
    return float(rng.uniform(low, high))


def test_random_search_bugs():
    run_checks(visible, "random_search", _search(_log_uniform), quiet=True)
    run_checks(hidden, "random_search", _search(_log_uniform), quiet=True)

    linear = _search(lambda rng, low, high, scale: float(rng.uniform(low, high)))
    msg = _fails(visible, "random_search", linear, "learning_rate \\(log scale\\)")
    assert "Sample the exponent uniformly" in msg

    def notes_randint(rng, low, high, scale):  # lr = 10**random.randint(-3, -1): an integer exponent
        if scale == "log":
            return float(10.0 ** rng.integers(round(math.log10(low)), round(math.log10(high)) + 1))
        return float(rng.uniform(low, high))

    _fails(visible, "random_search", _search(notes_randint), "distinct values.*not an integer exponent")
    _fails(visible, "random_search", _search(_log_uniform, seeded=False), "different configs")
    _fails(hidden, "random_search", _search(_log_uniform, nan_safe=False), "NaN score is a diverged run")

    def fixed(objective, space, n_trials, seed=0):
        best, score, trials = _search(_log_uniform)(objective, space, n_trials, seed)
        return trials[-1][0], trials[-1][1], trials     # the last trial, not the best

    _fails(visible, "random_search", fixed, "lowest score")


def test_diverging_objective_first_trial_is_nan_for_the_hidden_seeds(ns):
    space = {"learning_rate": (1e-6, 1.0, "log"), "dropout": (0.0, 0.7, "linear"), "l2": (1e-3, 1e-2, "log")}
    for seed in (13, 14):
        _, _, trials = ns["random_search"](diverging_objective, space, 300, seed=seed)
        assert math.isnan(trials[0][1])  # so a plain min() over the scores would pick it


# ---- the references agree ---------------------------------------------------------------------------

@pytest.mark.parametrize("rule", RULES)
def test_keras_numpy_and_closed_forms_agree(ns, rule):
    rng = np.random.default_rng(99)
    w0, g = rng.standard_normal(4), rng.standard_normal(4)
    config = {"learning_rate": 0.03, "momentum": 0.7, "rho": 0.8, "beta_1": 0.85, "beta_2": 0.995,
              "epsilon": 1e-6, "initial_accumulator_value": 0.3}
    config = {k: v for k, v in config.items() if k in DEFAULTS[rule]}
    grads = np.tile(g, (100, 1))
    closed = constant_gradient_path(rule, w0, g, 100, config)
    for path in (keras_trajectory(rule, w0, grads, config), reference_path(rule, w0, grads, config),
                 rollout(ns[rule], w0, grads, dict(config))):
        assert rel_error(path - w0, closed - w0) < 1e-12
    grads = rng.standard_normal((100, 4)) * 10 ** rng.uniform(-7, 3, size=4)
    lrs = 10 ** rng.uniform(-3, -1, size=100)
    k = keras_trajectory(rule, w0, grads, config, learning_rates=lrs)
    r = reference_path(rule, w0, grads, config, learning_rates=lrs)
    assert max(rel_error(k[t] - w0, r[t] - w0) for t in range(1, 101)) < 1e-12


def test_agreement_table_meets_the_target(ns):
    rows = agreement_with_keras({rule: ns[rule] for rule in RULES}, problems=2)
    assert [r[0] for r in rows] == list(RULES)
    for rule, abs_err, rel_err, rel_plain in rows:
        assert rel_err < 1e-12 and abs_err < 1e-12, rule
    adam_plain = dict((r[0], r[3]) for r in rows)["adam"]
    assert 1e-6 < adam_plain < 1e-3   # Keras' float32 hyper-parameters really do move Adam's steps


def test_keras_conventions_the_notebook_states():
    """Read off Keras' behaviour: Adam's epsilon is added to sqrt(v) of the uncorrected v; RMSProp's
    and AdaGrad's epsilon sit inside the root; AdaGrad's accumulator starts at 0.1."""
    g, lr, eps = 1e-6, 0.1, 1e-7
    step = -keras_trajectory("adam", [0.0], [[g]], {"learning_rate": lr})[1, 0]
    keras_form = lr * math.sqrt(0.001) / 0.1 * (0.1 * g) / (math.sqrt(0.001) * g + eps)
    paper_form = lr * g / (g + eps)
    assert math.isclose(step, keras_form, rel_tol=1e-12) and not math.isclose(step, paper_form, rel_tol=1e-3)
    step = -keras_trajectory("rmsprop", [0.0], [[g]], {"learning_rate": lr})[1, 0]
    assert math.isclose(step, lr * g / math.sqrt(0.1 * g * g + eps), rel_tol=1e-12)
    step = -keras_trajectory("adagrad", [0.0], [[0.5]], {"learning_rate": lr})[1, 0]
    assert math.isclose(step, lr * 0.5 / math.sqrt(0.1 + 0.25 + eps), rel_tol=1e-12)
    import keras
    assert keras.optimizers.Adam().epsilon == 1e-7 and keras.optimizers.RMSprop().rho == 0.9
    assert keras.optimizers.Adagrad().initial_accumulator_value == 0.1


def test_keras_cosine_decay_reference():
    lrs = keras_cosine_decay([0, 50, 100, 150], 0.1, 100, alpha=0.1)
    np.testing.assert_allclose(lrs, [0.1, 0.055, 0.01, 0.01], rtol=1e-14)
    warm = keras_cosine_decay([0, 5, 10, 60], 0.0, 50, warmup_steps=10, warmup_target=1e-3)
    np.testing.assert_allclose(warm, [0.0, 5e-4, 1e-3, 0.0], atol=1e-18)


def test_case_call_drives_many_calls():
    reg = Registry("demo")
    seen = []

    @reg.exercise("demo_rule")
    def _demo():
        def judge(out):
            assert out.shape == (4, 1)
        yield Case((np.zeros(1), np.ones((3, 1)), None), judge, call=rollout)

    def rule(w, dw, config=None):
        seen.append(1)
        return w - dw, config or {}

    run_checks(reg, "demo_rule", rule, quiet=True)
    assert len(seen) == 3


# ---- the notebook's numbers ---------------------------------------------------------------------------

def test_the_notebook_states_the_right_numbers():
    t = np.arange(1, 3001)
    factor = (1 - 0.9 ** t) / np.sqrt(1 - 0.999 ** t)
    assert [round(factor[i], 2) for i in (0, 99, 999)] == [3.16, 3.24, 1.26]
    assert round(factor.max(), 1) == 6.6 and int(np.argmax(factor)) + 1 == 12
    assert round((1 - 0.9) / math.sqrt(1 - 0.99), 6) == 1.0
    assert [round(10 * (1 - 0.9 ** k), 4) for k in (1, 2, 3)] == [1.0, 1.9, 2.71]
    assert round(1 / math.sqrt(1 - 0.9), 2) == 3.16 and round(1 / math.sqrt(1 - 0.99), 2) == 10.0
    assert round(math.sqrt(1 / 0.001), 1) == 31.6
    assert round(0.1 * 0.3 / math.sqrt(0.16 + 0.09), 12) == 0.06
    assert round(0.1 * (0.9 * 0.5 + 0.1), 12) == 0.055
    assert round(0.651 / 0.0998, 1) == 6.5 and round(1 - 0.9 ** 10, 3) == 0.651
    assert round(np.mean(np.geomspace(1e-5, 1e-1, 100001) > 1e-2), 2) == 0.25   # log-uniform: a decade each
    assert round((1e-1 - 1e-2) / (1e-1 - 1e-5), 2) == 0.9                       # uniform: 90 % in the top decade
    text = paths.source_script("06_optimizers").read_text(encoding="utf-8")
    for stated in ("3.16", "6.6", "t = 12", "3.2 at $t = 100$", "1.3 at", "31.6", "0.055", "v_2 = 1.9",
                   "10**random.randint(-3, -1)", "dx**", "[0.001, 0.002, 0.003]", "90 %"):
        assert stated in text, stated


# ---- the half-right sample earns what it says ---------------------------------------------------------

def test_half_right_sample_earns_its_expected_score(ns):
    earned, declared, total = predicted_score("06_optimizers", ns)
    assert earned == declared and 0 < earned < total, (earned, declared, total)


def test_keras_references_are_computed_when_judged(monkeypatch, ns):
    """Making the cases (all the student's kernel does under the grader) runs no Keras trajectory;
    judging a case does, once."""
    import autograder.hidden.optimizers as hidden_module
    import utils.checks.optimizers as visible_module
    calls = []

    def counted(*args, **kwargs):
        calls.append(args[0])
        return keras_trajectory(*args, **kwargs)
    monkeypatch.setattr(visible_module, "keras_trajectory", counted)
    monkeypatch.setattr(hidden_module, "keras_trajectory", counted)
    cases = [c for reg in (visible, hidden) for rule in RULES for c in reg.cases(rule)]
    assert len(cases) > 40 and calls == []
    case = hidden.cases("adam")[0]
    judge_output("adam", case, call_student("adam", ns["adam"], case), 0, 1)
    assert calls == ["adam"]
