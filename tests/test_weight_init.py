"""Notebook 04: the reference solution passes every check; planted bugs (wrong std, wrong fan,
uniform or truncated draws, ignoring the generator, in-place forward, unmasked dalpha, ...) fail
with a message that names them; the statistical bands are what their derivation says; the reference
engines agree; the notebook's numbers and claims hold."""
import math

import numpy as np
import pytest

from autograder import paths
from autograder.hidden.weight_init import checks as hidden
from autograder.hidden.weight_init import numeric_leaky_grads
from autograder.sample_class import predicted_score
from autograder.solutions import load_answers
from utils.checks.core import CheckFailure, run_checks
from utils.checks.weight_init import (MIN_DRAWS, Z_KURTOSIS, Z_MOMENT, expect_gaussian_init, he_std,
                                      kurtosis_band, sample_statistics, std_band, tf_leaky_relu,
                                      tf_leaky_relu_grads, xavier_std)
from utils.checks.weight_init import checks as visible
from utils.gradcheck import rel_error

EXERCISES = {"leaky_relu_forward", "leaky_relu_backward", "layer_activation_stats", "xavier_init", "he_init"}


@pytest.fixture(scope="module")
def ns():
    return load_answers("04_weight_init")


def _fails(registry, name, fn, match):
    with np.errstate(all="ignore"), pytest.raises(CheckFailure, match=match) as info:
        run_checks(registry, name, fn, quiet=True)
    return str(info.value)


def test_visible_and_hidden_cover_the_same_exercises():
    assert set(visible.factories) == set(hidden.factories) == EXERCISES


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_solution_passes(ns, name):
    run_checks(visible, name, ns[name])
    run_checks(hidden, name, ns[name])


# ---- initialisers: planted bugs ------------------------------------------------------------------

def gaussian_with(std_of):
    return lambda fan_in, fan_out, rng: rng.standard_normal((fan_in, fan_out)) * std_of(fan_in, fan_out)


@pytest.mark.parametrize("name, std_of, match", [
    ("xavier_init", lambda i, o: 1.0, "standard normal"),
    ("xavier_init", lambda i, o: 1 / math.sqrt(o), "1/sqrt\\(fan_out\\)"),
    ("xavier_init", lambda i, o: math.sqrt(2 / (i + o)), "Glorot"),
    ("xavier_init", lambda i, o: math.sqrt(2 / i), "He's"),
    ("xavier_init", lambda i, o: 1 / i, "variance"),
    ("xavier_init", lambda i, o: 1.1 / math.sqrt(i), "ratio you got is 1.1"),   # 10 % off: no known slip
    ("he_init", lambda i, o: 1.0, "standard normal"),
    ("he_init", lambda i, o: math.sqrt(2 / o), "sqrt\\(2/fan_out\\)"),
    ("he_init", lambda i, o: 1 / math.sqrt(i), "Xavier's"),
    ("he_init", lambda i, o: math.sqrt(i / 2), "divide"),
    ("he_init", lambda i, o: 2 / i, "variance"),
    ("he_init", lambda i, o: math.sqrt(4 / (i + o)), "fan average"),
])
def test_wrong_std_is_caught_visibly_and_hidden(name, std_of, match):
    _fails(visible, name, gaussian_with(std_of), match)
    _fails(hidden, name, gaussian_with(std_of), "standard deviation")


@pytest.mark.parametrize("name, std", [("xavier_init", xavier_std), ("he_init", he_std)])
def test_wrong_distributions_are_caught(name, std):
    def uniform(fan_in, fan_out, rng):   # right std, wrong shape
        limit = math.sqrt(3) * std(fan_in)
        return rng.uniform(-limit, limit, size=(fan_in, fan_out))

    _fails(visible, name, uniform, "kurtosis of a uniform")
    _fails(hidden, name, uniform, "kurtosis")

    def truncated(fan_in, fan_out, rng):   # what Keras' LecunNormal / HeNormal draw
        z = rng.standard_normal(4 * fan_in * fan_out)
        z = z[np.abs(z) < 2][: fan_in * fan_out]
        return z.reshape(fan_in, fan_out) / z.std() * std(fan_in)

    _fails(visible, name, truncated, "truncated at 2 standard deviations")

    def tiled(fan_in, fan_out, rng):   # every neuron twice: right statistics, symmetric units
        half = rng.standard_normal((fan_in, fan_out // 2)) * std(fan_in)
        return np.concatenate([half, half], axis=1)

    _fails(visible, name, tiled, "symmetry")

    def transposed(fan_in, fan_out, rng):
        return rng.standard_normal((fan_out, fan_in)) * std(fan_in)

    _fails(visible, name, transposed, "shape")

    def shifted(fan_in, fan_out, rng):
        return (rng.standard_normal((fan_in, fan_out)) + 0.05) * std(fan_in)

    _fails(visible, name, shifted, "centred on 0")


@pytest.mark.parametrize("name, std", [("xavier_init", xavier_std), ("he_init", he_std)])
def test_initialisers_must_draw_from_the_given_generator(name, std):
    def global_state(fan_in, fan_out, rng):
        return np.random.randn(fan_in, fan_out) * std(fan_in)

    _fails(visible, name, global_state, "np.random")

    def own_generator(fan_in, fan_out, rng):
        return np.random.default_rng(0).standard_normal((fan_in, fan_out)) * std(fan_in)

    _fails(visible, name, own_generator, "seeded differently")


# ---- initialisers: the statistics behind the bands ------------------------------------------------

def test_bands_match_the_sampling_distribution():
    """Simulate 600 correct N(0, 1) initialisations of MIN_DRAWS entries: the spread of each statistic
    is what the comments in utils/checks/weight_init.py derive, and none is rejected."""
    rng = np.random.default_rng(2026)
    stats = []
    for _ in range(6):
        block = rng.standard_normal((100, MIN_DRAWS))
        for w in block:
            stats.append(sample_statistics(w))
            expect_gaussian_init("W", w.reshape(128, 128), (128, 128), 1.0, formula="1")
    means, stds, kurts = np.array(stats).T
    n = MIN_DRAWS
    # with 600 samples, a standard deviation is estimated to ~3 %: 15 % bands are safe
    assert means.std() == pytest.approx(1 / math.sqrt(n), rel=0.15)
    assert stds.std() == pytest.approx(1 / math.sqrt(2 * n), rel=0.15)
    assert kurts.std() == pytest.approx(math.sqrt(24 / n), rel=0.15)
    assert std_band(n) == pytest.approx(Z_MOMENT * stds.std(), rel=0.15)
    assert kurtosis_band(n) == pytest.approx(Z_KURTOSIS * kurts.std(), rel=0.15)
    # the largest deviation seen is far inside the bands
    assert np.abs(stds - 1).max() < 0.7 * std_band(n) and np.abs(kurts).max() < 0.7 * kurtosis_band(n)
    # a correct sample is rejected with probability ~ P(|N(0,1)| > 6) = 2e-9 per statistic
    assert math.erfc(Z_MOMENT / math.sqrt(2)) < 2.1e-9


def test_every_statistical_case_has_enough_draws_and_unequal_fans():
    for registry in (visible, hidden):
        for name in ("xavier_init", "he_init"):
            for case in registry.cases(name):
                fan_in, fan_out, _ = case.args
                assert fan_in * fan_out >= MIN_DRAWS
    for name in ("xavier_init", "he_init"):   # every hidden shape separates fan_in from fan_out
        for case in hidden.cases(name):
            fan_in, fan_out, _ = case.args
            assert max(fan_in, fan_out) / min(fan_in, fan_out) >= 2.4


# ---- initialisers: the convention, compared with Keras --------------------------------------------

@pytest.mark.parametrize("scale, std", [(1.0, xavier_std), (2.0, he_std)])
def test_keras_variance_scaling_matches_the_convention(scale, std):
    """The course's Xavier / He are Keras' VarianceScaling(scale, "fan_in") drawn untruncated;
    Keras' named initialisers have the same std but a truncated shape; GlorotNormal has another std."""
    import keras
    fan_in, fan_out = 784, 256
    formula = "the course's std"
    plain = keras.initializers.VarianceScaling(scale, "fan_in", "untruncated_normal", seed=3)
    expect_gaussian_init("keras", np.asarray(plain((fan_in, fan_out)), np.float64), (fan_in, fan_out),
                         std(fan_in), formula=formula)
    named = (keras.initializers.LecunNormal if scale == 1.0 else keras.initializers.HeNormal)(seed=3)
    W = np.asarray(named((fan_in, fan_out)), np.float64)
    assert W.std() == pytest.approx(std(fan_in), rel=std_band(W.size))
    with pytest.raises(CheckFailure, match="truncated"):
        expect_gaussian_init("keras", W, (fan_in, fan_out), std(fan_in), formula=formula)
    if scale == 1.0:
        glorot = np.asarray(keras.initializers.GlorotNormal(seed=3)((fan_in, fan_out)), np.float64)
        assert glorot.std() == pytest.approx(math.sqrt(2 / (fan_in + fan_out)), rel=std_band(W.size))


def test_keras_dense_default_is_glorot_uniform():   # the notes' slip: "glorot_normal"
    import keras
    assert keras.layers.Dense(1).get_config()["kernel_initializer"]["class_name"] == "GlorotUniform"


# ---- leaky ReLU ----------------------------------------------------------------------------------

def test_in_place_forward_is_caught():
    def in_place(x, alpha=0.01):
        x[x < 0] *= alpha
        return x, (x, alpha)

    _fails(visible, "leaky_relu_forward", in_place, "in place")


def test_forward_with_maximum_is_fine_for_slopes_up_to_1():
    maximum = lambda x, alpha=0.01: (np.maximum(x, alpha * x), (x, alpha))  # noqa: E731
    run_checks(visible, "leaky_relu_forward", maximum, quiet=True)
    run_checks(hidden, "leaky_relu_forward", maximum, quiet=True)


def test_forward_bugs_are_caught():
    relu_only = lambda x, alpha=0.01: (np.maximum(x, 0), (x, alpha))  # noqa: E731
    _fails(visible, "leaky_relu_forward", relu_only, "out is wrong")
    no_cache = lambda x, alpha=0.01: (np.where(x > 0, x, alpha * x), x)  # noqa: E731
    _fails(visible, "leaky_relu_forward", no_cache, "cache should be the tuple")


def _backward(*, slope_at_zero_one=False, unmasked=False, dx_only_relu=False, dalpha_array=False):
    def leaky_relu_backward(dout, cache):
        x, alpha = cache
        positive = x >= 0 if slope_at_zero_one else x > 0
        dx = np.where(positive, dout, 0.0 if dx_only_relu else alpha * dout)
        contrib = dout * x if unmasked else np.where(x > 0, 0.0, dout * x)
        return dx, contrib if dalpha_array else np.sum(contrib)
    return leaky_relu_backward


def test_backward_bugs_are_caught():
    run_checks(visible, "leaky_relu_backward", _backward(), quiet=True)
    _fails(visible, "leaky_relu_backward", _backward(slope_at_zero_one=True), "(?s)where x == 0.*x > 0, not x >= 0")
    _fails(hidden, "leaky_relu_backward", _backward(slope_at_zero_one=True), "where x == 0")
    _fails(visible, "leaky_relu_backward", _backward(unmasked=True), "only acts where x <= 0")
    _fails(hidden, "leaky_relu_backward", _backward(unmasked=True), "only acts where x <= 0")
    _fails(visible, "leaky_relu_backward", _backward(dx_only_relu=True), "dx is wrong")
    _fails(visible, "leaky_relu_backward", _backward(dalpha_array=True), "single number")


def test_leaky_relu_engines_agree(ns):
    """Solution, TensorFlow autodiff and finite differences agree to 1e-7 on every hidden input
    away from the kink, and TF's own op agrees with the float64 reference to float32 precision."""
    for case in hidden.cases("leaky_relu_backward"):
        dout, (x, alpha) = case.args
        dx, dalpha = ns["leaky_relu_backward"](dout, (x, alpha))
        tf_dx, tf_dalpha = tf_leaky_relu_grads(x, alpha, dout)
        assert rel_error(dx, tf_dx) < 1e-12 and rel_error(dalpha, tf_dalpha) < 1e-12
        if np.all(x != 0):
            h = 1.0 if np.abs(x).min() > 1e3 else 1e-5
            num_dx, num_dalpha = numeric_leaky_grads(x, alpha, dout, h)
            assert rel_error(dx, num_dx) < 1e-7 and rel_error(dalpha, num_dalpha) < 1e-7
    import tensorflow as tf
    x = np.random.default_rng(0).standard_normal(50)
    assert rel_error(tf.nn.leaky_relu(x, 0.01).numpy(), tf_leaky_relu(x, 0.01)) < 1e-8


# ---- layer statistics ----------------------------------------------------------------------------

def test_layer_stats_bugs_are_caught(ns):
    solution = ns["layer_activation_stats"]

    def with_input(X, weights, activation):
        hs, means, stds = solution(X, weights, activation)
        return [X] + hs, np.r_[X.mean(), means], np.r_[X.std(), stds]

    _fails(visible, "layer_activation_stats", with_input, "not the input X")

    def sample_std(X, weights, activation):
        hs, means, _ = solution(X, weights, activation)
        return hs, means, np.array([h.std(ddof=1) for h in hs])

    _fails(visible, "layer_activation_stats", sample_std, "ddof=1")

    def per_neuron(X, weights, activation):
        hs, _, _ = solution(X, weights, activation)
        return hs, [h.mean(axis=0) for h in hs], [h.std(axis=0) for h in hs]

    _fails(visible, "layer_activation_stats", per_neuron, "shape|one number per layer")

    def linear_last(X, weights, activation):
        hs, _, _ = solution(X, weights[:-1], activation)
        hs = hs + [(hs[-1] if hs else X) @ weights[-1]]
        return hs, np.array([h.mean() for h in hs]), np.array([h.std() for h in hs])

    _fails(hidden, "layer_activation_stats", linear_last, "activations\\[")


# ---- the notebook's worked examples and claims ---------------------------------------------------

def test_worked_examples(ns):
    x = np.array([-2.0, -0.5, 0.0, 1.5, 3.0])
    out, cache = ns["leaky_relu_forward"](x, 0.1)
    np.testing.assert_allclose(out, [-0.2, -0.05, 0.0, 1.5, 3.0])
    dx, dalpha = ns["leaky_relu_backward"](np.ones(5), cache)
    np.testing.assert_allclose(dx, [0.1, 0.1, 0.1, 1.0, 1.0])
    assert dalpha == -2.5
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    hs, means, stds = ns["layer_activation_stats"](X, [np.diag([1.0, 2.0]), np.ones((2, 1))], lambda z: z)
    np.testing.assert_allclose(means, [4, 8])
    np.testing.assert_allclose(stds, [math.sqrt(26 / 4), 3])
    assert round(math.sqrt(26 / 4), 2) == 2.55
    assert round(1 / math.sqrt(784), 4) == 0.0357 and round(1 / math.sqrt(512), 4) == 0.0442
    assert round(math.sqrt(2 / 784), 4) == 0.0505
    assert round(2 ** -4.5, 3) == 0.044 and 0.25 ** 10 < 1e-6 and round(0.01 * math.sqrt(512), 2) == 0.23


def test_the_experiments_show_what_the_text_says(solution_facts):
    """On the sample solution's graded run (tests/probes/04_weight_init.py)."""
    facts = solution_facts("04_weight_init")
    results = {name: tuple(map(np.asarray, r)) for name, r in facts["results"].items()}
    std_001, _, dh_001 = results["tanh, std 0.01"]
    assert std_001[-1] < 1e-6 and dh_001[0] / dh_001[-1] < 1e-5                 # collapse, vanishing
    std_1, dW_1, _ = results["tanh, std 1.0"]
    assert np.all(std_1 > 0.95)                                                # saturated
    assert 3.0 < (dW_1[0] / dW_1[-1]) ** (1 / 9) < 4.0                          # grows ~3.5x per layer
    _, dW_xavier, _ = results["tanh, Xavier"]
    assert min(dW_xavier) / max(np.max(results["tanh, std 0.01"][1]), 1e-300) > 1e4   # 5 orders
    std_rx = results["ReLU, Xavier"][0]
    assert std_rx[-1] / std_rx[0] == pytest.approx(2 ** -4.5, rel=0.2)
    std_he = results["ReLU, He"][0]
    assert np.all(np.abs(std_he / std_he[1] - 1) < 0.2)
    dh_sig = results["sigmoid, Xavier"][2]
    assert 1e-6 < dh_sig[0] / dh_sig[-1] < 1e-5
    (acc_zero, spread_zero), (acc_random, spread_random) = facts["symmetry"]["zeros"], facts["symmetry"]["glorot_uniform"]
    assert spread_zero == 0.0 and spread_random > 0.1 and 0.1 < acc_zero < acc_random - 0.3
    curves = facts["curves"]
    assert abs(curves["tanh, std 0.01: val_loss"][-1] - math.log(10)) < 0.01
    assert curves["tanh, std 1.0: val_loss"][0] > math.log(10)
    assert curves["ReLU, He: val_accuracy"][0] > curves["ReLU, Xavier: val_accuracy"][0]
    assert curves["tanh, Xavier: val_accuracy"][-1] > 0.7


def test_the_notebook_states_the_convention_and_the_slips():
    text = paths.source_script("04_weight_init").read_text(encoding="utf-8")
    assert "sqrt(n_input)" in text and "GlorotNormal" in text and "LecunNormal" in text
    assert "GlorotUniform" in text and "zero-centred" in text and "loose end in the notes" in text


# ---- the half-right sample earns what it says -----------------------------------------------------

def test_half_right_sample_earns_its_expected_score(ns):
    earned, declared, total = predicted_score("04_weight_init", ns)
    assert earned == declared and 0 < earned < total, (earned, declared, total)

def test_layer_histograms_show_every_layer():
    """One filled outline per layer, with numpy's histogram counts, plus the gradient panel."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import StepPatch

    from utils.layer_plots import plot_layer_histograms
    rng = np.random.default_rng(0)
    layers = [np.tanh(rng.standard_normal((50, 8)) * s) for s in (0.1, 1.0, 3.0)]
    fig = plot_layer_histograms(layers, grads={"dW": [1.0, 0.1, 0.01]}, value_range=(-1, 1), bins=10)
    try:
        *panels, grads = fig.axes
        assert len(panels) == len(layers) and grads.get_yscale() == "log"
        for ax, h in zip(panels, layers):
            (outline,) = [p for p in ax.patches if isinstance(p, StepPatch)]
            counts, edges = outline.get_data()[:2]
            np.testing.assert_array_equal(counts, np.histogram(h, bins=10, range=(-1, 1))[0])
            assert edges[0] == -1 and edges[-1] == 1
    finally:
        plt.close(fig)
