"""Notebook 05: the reference solutions pass every check; planted bugs fail with a message that
names the bug; the reference engines (solution, TensorFlow autodiff, Keras, finite differences)
agree; the worked examples and the conventions the notebook states are right."""
import numpy as np
import pytest

from autograder import paths
from autograder.hidden.regularization import checks as hidden
from autograder.hidden.regularization import numeric_batchnorm_grads, numeric_penalty_grad, ref_batchnorm
from autograder.sample_class import predicted_score
from autograder.solutions import load_answers
from utils.checks.core import CheckFailure, run_checks
from utils.checks.regularization import (BN_BETA, BN_GAMMA, BN_X, DROPOUT_X, PENALTY_W, bn_cache,
                                         fresh_running, keep_mask, keras_batchnorm, keras_penalty,
                                         tf_batchnorm, tf_penalty)
from utils.checks.regularization import checks as visible
from utils.gradcheck import rel_error

EXERCISES = {"l2_penalty", "l1_penalty", "elastic_penalty", "dropout_forward", "dropout_backward",
             "batchnorm_forward", "batchnorm_backward"}


@pytest.fixture(scope="module")
def ns():
    return load_answers("05_regularization")


def test_visible_and_hidden_cover_the_same_exercises():
    assert set(visible.factories) == set(hidden.factories) == EXERCISES


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_solution_passes(ns, name):
    run_checks(visible, name, ns[name])
    run_checks(hidden, name, ns[name])


def _fails(registry, name, fn, match):
    with np.errstate(all="ignore"), pytest.raises(CheckFailure, match="(?s)" + match) as info:
        run_checks(registry, name, fn, quiet=True)
    return str(info.value)


# ---- planted bugs: penalties ---------------------------------------------------------------------

def test_half_convention_l2_gradient_fails():
    half_grad = lambda W, lam: (lam * np.sum(W ** 2), lam * W)  # noqa: E731
    msg = _fails(visible, "l2_penalty", half_grad, "dW is wrong")
    assert "2 * lam * w" in msg and "(lam / 2)" in msg
    _fails(hidden, "l2_penalty", half_grad, "dW is wrong")
    half_both = lambda W, lam: (0.5 * lam * np.sum(W ** 2), lam * W)  # noqa: E731
    _fails(visible, "l2_penalty", half_both, "the penalty is wrong.*lam \\* sum\\(w\\*\\*2\\)")
    norm = lambda W, lam: (lam * np.linalg.norm(W), 2 * lam * W)  # noqa: E731
    _fails(visible, "l2_penalty", norm, "squared norm")


def test_per_entry_penalty_is_explained():
    per_entry = lambda W, lam: (lam * W ** 2, 2 * lam * W)  # noqa: E731
    _fails(visible, "l2_penalty", per_entry, "single number")


def test_l1_subgradient_at_zero_is_checked():
    sign_plus = lambda W, lam: (lam * np.sum(np.abs(W)), lam * np.where(W >= 0, 1.0, -1.0))  # noqa: E731
    _fails(visible, "l1_penalty", sign_plus, "At w = 0")
    _fails(hidden, "l1_penalty", sign_plus, "At w = 0")
    l2_instead = lambda W, lam: (lam * np.sum(W ** 2), 2 * lam * W)  # noqa: E731
    _fails(visible, "l1_penalty", l2_instead, "L1 sums \\|w\\|")


def test_elastic_with_beta_on_the_wrong_term_fails(ns):
    def swapped(W, lam, beta):
        return (lam * (np.sum(W ** 2) + beta * np.sum(np.abs(W))), lam * (2 * W + beta * np.sign(W)))

    _fails(visible, "elastic_penalty", swapped, "beta weighs the squared term")
    _fails(hidden, "elastic_penalty", swapped, "wrong")


# ---- planted bugs: dropout ------------------------------------------------------------------------

def _dropout(keep_rule="below", scale="inverted", test="identity", cache="multiplier", rng_kind="default"):
    def dropout_forward(x, p, mode, seed=None):
        if mode == "train":
            if rng_kind == "legacy":
                np.random.seed(seed if isinstance(seed, int) else 0)
                draw = np.random.rand(*x.shape)
            else:
                draw = np.random.default_rng(seed).random(x.shape)
            keep = draw < p if keep_rule == "below" else draw > p
            factor = {"inverted": 1 / p, "none": 1.0, "drop": 1 / (1 - p) if p < 1 else 1.0}[scale]
            mult = keep * factor
        else:
            mult = np.ones_like(x) if test == "identity" else np.full(x.shape, p)
        out = x * mult
        return out, (mult if cache == "multiplier" else (mult != 0))
    return dropout_forward


def test_correct_planted_dropout_passes():
    run_checks(visible, "dropout_forward", _dropout(), quiet=True)
    run_checks(hidden, "dropout_forward", _dropout(), quiet=True)


def test_drop_probability_confusion_is_named():
    msg = _fails(visible, "dropout_forward", _dropout(keep_rule="above"), "wrong units were dropped")
    assert "probability of KEEPING" in msg and "rate = 1 - p" in msg
    _fails(hidden, "dropout_forward", _dropout(keep_rule="above"), "KEEPING")


def test_unscaled_and_wrongly_scaled_dropout_fail():
    _fails(visible, "dropout_forward", _dropout(scale="none"), "not scaled.*inverted dropout")
    _fails(visible, "dropout_forward", _dropout(scale="drop"), "divided by p, the keep probability")


def test_classic_test_time_scaling_fails():
    _fails(visible, "dropout_forward", _dropout(test="classic"), "p \\* x in test mode.*classic")


def test_mask_not_from_the_given_seed_fails():
    _fails(visible, "dropout_forward", _dropout(rng_kind="legacy"), "default_rng\\(seed\\)")


def test_dropout_cache_must_be_the_multiplier():
    _fails(visible, "dropout_forward", _dropout(cache="bool"), "the cache")


def test_dropout_backward_ignoring_the_mask_fails():
    _fails(visible, "dropout_backward", lambda dout, cache: dout, "only through the kept units")
    _fails(hidden, "dropout_backward", lambda dout, cache: dout / 2, "dx is wrong")
    run_checks(visible, "dropout_backward", lambda dout, cache: (dout * cache,), quiet=True)  # (dx,) is fine
    _fails(visible, "dropout_backward", lambda dout, cache: (dout * cache, None), "one array")


# ---- planted bugs: batch normalization ------------------------------------------------------------

def _bn(*, eps_inside=True, naive_var=False, test_batch=False, torch_momentum=False, unbiased=False,
        cache_var=False, keep_running=False):
    def batchnorm_forward(x, gamma, beta, running, mode, momentum=0.9, eps=1e-5):
        if mode == "train" or test_batch:
            mu = x.mean(axis=0)
            var = (np.mean(x ** 2, axis=0) - mu ** 2) if naive_var else np.mean((x - mu) ** 2, axis=0)
            std = np.sqrt(var + eps) if eps_inside else np.sqrt(var)
            x_hat = (x - mu) / std
        else:
            std = np.sqrt(running["var"] + eps)
            x_hat = (x - running["mean"]) / std
        out = gamma * x_hat + beta
        if mode != "train":
            return out, None, dict(running)
        m = 1 - momentum if torch_momentum else momentum
        batch_var = var * len(x) / (len(x) - 1) if unbiased and len(x) > 1 else var
        new = dict(running) if keep_running else {"mean": m * running["mean"] + (1 - m) * mu,
                                                  "var": m * running["var"] + (1 - m) * batch_var}
        return out, (x_hat, gamma, std ** 2 if cache_var else std), new
    return batchnorm_forward


def test_correct_planted_batchnorm_passes():
    run_checks(visible, "batchnorm_forward", _bn(), quiet=True)
    run_checks(hidden, "batchnorm_forward", _bn(), quiet=True)


def test_missing_eps_fails_on_a_constant_feature():
    msg = _fails(visible, "batchnorm_forward", _bn(eps_inside=False), "Add eps to the variance")
    assert "sqrt(var + eps)" in msg and "case 1/5" in msg   # the worked example: eps shows in the 6th decimal
    _fails(hidden, "batchnorm_forward", _bn(eps_inside=False), "NaN")


def test_one_pass_variance_fails_on_large_features():
    msg = _fails(visible, "batchnorm_forward", _bn(naive_var=True), "catastrophic cancellation")
    assert "near 1e6" in msg
    _fails(hidden, "batchnorm_forward", _bn(naive_var=True), "cancellation")


def test_batch_statistics_in_test_mode_fail():
    _fails(visible, "batchnorm_forward", _bn(test_batch=True), "test mode.*running averages")
    _fails(hidden, "batchnorm_forward", _bn(test_batch=True), "running averages")


def test_running_average_conventions_are_checked():
    _fails(visible, "batchnorm_forward", _bn(torch_momentum=True), "running\\[\"mean\"\\].*momentum \\* running")
    _fails(visible, "batchnorm_forward", _bn(unbiased=True), "running\\[\"var\"\\].*divides by N")
    _fails(visible, "batchnorm_forward", _bn(keep_running=True), "new running")


def test_cache_must_hold_std():
    _fails(visible, "batchnorm_forward", _bn(cache_var=True), "the cache's std.*\\(x_hat, gamma, std\\)")


def _bn_backward(*, mean_path=True, var_path=True, use_gamma=True, reduce=lambda a: a.sum(axis=0)):
    """The node-by-node walk of the notebook's graph, with paths or rules left out on request."""
    def batchnorm_backward(dout, cache):
        x_hat, gamma, std = cache
        n = dout.shape[0]
        c = x_hat * std
        dx_hat = dout * gamma if use_gamma else dout
        dc = dx_hat / std
        if var_path:
            dstd = np.sum(dx_hat * -c / std ** 2, axis=0)
            dv = dstd / (2 * std)
            dc = dc + 2 * c / n * dv
        dx = dc
        if mean_path:
            dx = dx - np.sum(dc, axis=0) / n
        return dx, reduce(dout * x_hat), reduce(dout)
    return batchnorm_backward


def test_node_by_node_walk_passes():
    run_checks(visible, "batchnorm_backward", _bn_backward(), quiet=True)
    run_checks(hidden, "batchnorm_backward", _bn_backward(), quiet=True)


def test_backward_with_constant_statistics_is_named(ns):
    def frozen(dout, cache):
        x_hat, gamma, std = cache
        return dout * gamma / std, np.sum(dout * x_hat, axis=0), dout.sum(axis=0)

    msg = _fails(visible, "batchnorm_backward", frozen, "dx is wrong")
    assert "held constant" in msg and "sum of the gradients" in msg
    _fails(hidden, "batchnorm_backward", frozen, "held constant")
    _fails(visible, "batchnorm_backward", _bn_backward(mean_path=False, var_path=False), "held constant")


def test_backward_missing_one_path_names_that_path():
    msg = _fails(visible, "batchnorm_backward", _bn_backward(mean_path=False), "dx is wrong")
    assert "path through the mean" in msg and "variance" not in msg
    _fails(hidden, "batchnorm_backward", _bn_backward(mean_path=False), "path through the mean")
    msg = _fails(visible, "batchnorm_backward", _bn_backward(var_path=False), "dx is wrong")
    assert "path through the variance" in msg and "path through the mean" not in msg
    _fails(hidden, "batchnorm_backward", _bn_backward(var_path=False), "path through the variance")


def test_backward_without_gamma_or_with_a_wrong_factor_is_named():
    _fails(visible, "batchnorm_backward", _bn_backward(use_gamma=False), "gamma = 1.*multiply gate")

    def half(dout, cache):                                   # both invariances hold, the scale is off
        dx, dgamma, dbeta = _bn_backward()(dout, cache)
        return dx / 2, dgamma, dbeta

    _fails(visible, "batchnorm_backward", half, "Both invariances hold")


def test_backward_summing_over_the_wrong_axis_is_named():
    msg = _fails(visible, "batchnorm_backward", _bn_backward(reduce=lambda a: a.sum(axis=1)), "dgamma has shape")
    assert "axis=0" in msg and "not over the features" in msg
    msg = _fails(visible, "batchnorm_backward", _bn_backward(reduce=lambda a: a), "dgamma has shape")
    assert "not summed over the batch" in msg and "sum of their gradients" in msg

    def no_sum_beta(dout, cache):
        dx, dgamma, _ = _bn_backward()(dout, cache)
        return dx, dgamma, dout

    _fails(visible, "batchnorm_backward", no_sum_beta, "dbeta has shape")

    def doubled_gamma(dout, cache):
        dx, dgamma, dbeta = _bn_backward()(dout, cache)
        return dx, 2 * dgamma, dbeta

    _fails(visible, "batchnorm_backward", doubled_gamma, "dgamma is wrong.*multiply gate")


def test_backward_messages_name_concepts_not_the_formula():
    """The exercise is to derive the backward pass: no message may hand over its formula."""
    import utils.checks.regularization as module
    for name in ("BN_PATHS", "STATS_ARE_CONSTANT", "MEAN_PATH", "VARIANCE_PATH", "GAMMA_IN_DX",
                 "DIRECT_PATH", "SUM_OVER_BATCH", "WRONG_AXIS", "DGAMMA", "DBETA"):
        text = getattr(module, name).replace(" ", "")
        for formula in ("dx=", "dgamma=", "dbeta=", "mean(dx_hat", "dout*x_hat", "sum(dout", "g-g.mean",
                        "x_hat*mean"):
            assert formula not in text, (name, formula)


def test_staged_backward_derivation_passes(ns):
    """The notebook's three-path derivation, written out without simplifying, passes too."""
    def staged(dout, cache):
        x_hat, gamma, std = cache
        n = dout.shape[0]
        centred = x_hat * std
        g = dout * gamma
        dvar = np.sum(g * centred, axis=0) * -0.5 * std ** -3
        dmu = -np.sum(g, axis=0) / std
        return g / std + dvar * 2 * centred / n + dmu / n, np.sum(dout * x_hat, axis=0), dout.sum(axis=0)

    run_checks(visible, "batchnorm_backward", staged, quiet=True)
    run_checks(hidden, "batchnorm_backward", staged, quiet=True)


# ---- the reference engines agree ------------------------------------------------------------------

def test_penalty_references_agree(ns):
    rng = np.random.default_rng(11)
    for kind, name, extra in [("l2", "l2_penalty", ()), ("l1", "l1_penalty", ()), ("elastic", "elastic_penalty", (0.75,))]:
        W = rng.standard_normal((5, 4))
        W[0, 0] = 0.0
        value, grad = tf_penalty(kind, W, 0.25, *extra)
        got_value, got_grad = ns[name](W, 0.25, *extra)
        assert abs(got_value - value) <= 1e-13 * abs(value)
        assert rel_error(got_grad, grad) < 1e-14
        assert rel_error(numeric_penalty_grad(kind, W, 0.25, *extra), grad) < 1e-9
        assert abs(keras_penalty(kind, W, 0.25, *extra) - value) <= 1e-12 * value  # 0.25 is exact in float32


def test_batchnorm_references_agree(ns):
    rng = np.random.default_rng(12)
    x, gamma, beta, dout = rng.normal(1.0, 2.0, (9, 5)), rng.standard_normal(5), rng.standard_normal(5), rng.standard_normal((9, 5))
    out_tf, cache_tf, (mean, var), grads_tf = tf_batchnorm(x, gamma, beta, 1e-5, dout)
    out, cache, _ = ns["batchnorm_forward"](x, gamma, beta, fresh_running(5), "train")
    assert rel_error(out, out_tf) < 1e-13 and rel_error(ref_batchnorm(x, gamma, beta, 1e-5), out_tf) < 1e-13
    for ours, theirs in zip(cache, cache_tf):
        assert rel_error(ours, theirs) < 1e-13
    grads = ns["batchnorm_backward"](dout, cache)
    numeric = numeric_batchnorm_grads(x, gamma, beta, 1e-5, dout)
    for g, g_tf, g_num in zip(grads, grads_tf, numeric):
        assert rel_error(g, g_tf) < 1e-12
        assert rel_error(g, g_num) < 1e-8
        assert rel_error(g_tf, g_num) < 1e-8


def test_keras_batchnorm_uses_the_notebooks_conventions():
    """moving = momentum * moving + (1 - momentum) * batch statistic, the batch variance over N."""
    rng = np.random.default_rng(13)
    x, gamma, beta = rng.normal(3.0, 2.0, (7, 4)), rng.standard_normal(4), rng.standard_normal(4)
    running = {"mean": rng.standard_normal(4), "var": rng.uniform(0.5, 2.0, 4)}
    out, new = keras_batchnorm(x, gamma, beta, running, training=True, momentum=0.8, eps=1e-3)
    np.testing.assert_allclose(new["mean"], 0.8 * running["mean"] + 0.2 * x.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(new["var"], 0.8 * running["var"] + 0.2 * x.var(axis=0), rtol=1e-13)
    np.testing.assert_allclose(out, ref_batchnorm(x, gamma, beta, 1e-3), rtol=1e-11)
    out_test, same = keras_batchnorm(x, gamma, beta, running, training=False, momentum=0.8, eps=1e-3)
    np.testing.assert_allclose(out_test, gamma * (x - running["mean"]) / np.sqrt(running["var"] + 1e-3) + beta, rtol=1e-12)
    np.testing.assert_array_equal(same["mean"], running["mean"])


def test_keras_dropout_rate_is_the_drop_probability():
    import keras
    x = np.ones((200, 200), dtype="float32")
    out = np.asarray(keras.layers.Dropout(rate=0.2, seed=0)(x, training=True))
    assert abs((out != 0).mean() - 0.8) < 0.01          # 80 % kept
    np.testing.assert_allclose(out[out != 0], 1 / 0.8, rtol=1e-6)   # inverted: kept units / (1 - rate)


# ---- the worked examples --------------------------------------------------------------------------

def test_worked_examples(ns):
    assert ns["l2_penalty"](PENALTY_W, 0.1)[0] == pytest.approx(1.4)
    np.testing.assert_allclose(ns["l2_penalty"](PENALTY_W, 0.1)[1], [[0.2, -0.4], [0, 0.6]])
    assert ns["l1_penalty"](PENALTY_W, 0.1)[0] == pytest.approx(0.6)
    np.testing.assert_allclose(ns["l1_penalty"](PENALTY_W, 0.1)[1], [[0.1, -0.1], [0, 0.1]])
    assert ns["elastic_penalty"](PENALTY_W, 0.1, 0.5)[0] == pytest.approx(1.3)

    draws = np.random.default_rng(0).random((2, 4))
    np.testing.assert_array_equal(draws.round(3), [[0.637, 0.270, 0.041, 0.017], [0.813, 0.913, 0.607, 0.729]])
    out, cache = ns["dropout_forward"](DROPOUT_X, 0.5, "train", 0)
    np.testing.assert_array_equal(out, [[0, 4, 6, 8], [0, 0, 0, 0]])
    np.testing.assert_array_equal(keep_mask(DROPOUT_X.shape, 0.5, 0), out != 0)

    out, cache, running = ns["batchnorm_forward"](BN_X, BN_GAMMA, BN_BETA, fresh_running(2), "train")
    np.testing.assert_allclose(cache[0], [[-1, -1], [-1, 1], [1, -1], [1, 1]], atol=2e-6)
    np.testing.assert_allclose(out, [[-1, -3], [-1, 1], [1, -3], [1, 1]], atol=5e-6)
    assert not np.allclose(cache[0], np.round(cache[0]), rtol=0, atol=1e-7)   # eps shows in the 6th decimal
    np.testing.assert_allclose(running["mean"], [0.4, 3.0])
    np.testing.assert_allclose(running["var"], [1.3, 40.9])


def test_the_notebook_states_the_conventions_and_slips():
    text = paths.source_script("05_regularization").read_text(encoding="utf-8")
    for stated in ("0.637 & 0.270 & 0.041 & 0.017", "(0.4, 3.0)", "(1.3, 40.9)", "$1.4$", "$0.6$",
                   "rate = 1 - p", "momentum=0.99", "epsilon=1e-3", "PyTorch's `momentum=0.1`",
                   "multiply each unit's output by $p$", "with no\n# > $\\varepsilon$"):
        assert stated in text, stated
    assert "A slip in the notes" in text and text.count("A slip in the notes") == 2


def test_the_backward_worked_example_is_right():
    """The notebook's worked example of the method (x / ||x||, x = (3, 4), upstream (1, 0)) by
    TensorFlow's autodiff: dx = (0.128, -0.096), orthogonal to x."""
    from utils.autodiff import _tf, tf_value_and_grads
    tf = _tf()
    _, (dx,) = tf_value_and_grads(lambda x: x / tf.norm(x), [np.array([3.0, 4.0])], upstream=np.array([1.0, 0.0]))
    np.testing.assert_allclose(dx, [0.128, -0.096], rtol=1e-12)
    text = paths.source_script("05_regularization").read_text(encoding="utf-8")
    assert "(0.128, -0.096)" in text and "$(0.2, 0)$" in text and "-0.012" in text


def test_the_notebook_does_not_hand_over_the_batchnorm_backward_formula():
    """Derive, don't copy: outside the solution, the text gives the method and the graph, not the
    gradients of batch norm (the formulas the notebook used to state are gone)."""
    import jupytext
    nb = jupytext.read(paths.source_script("05_regularization"))
    shown = "\n".join(c.source.split("### BEGIN SOLUTION")[0] + c.source.split("### END SOLUTION")[-1]
                      for c in nb.cells)
    for formula in ("\\partial L}{\\partial \\sigma_j^2}", "\\partial L}{\\partial \\mu_j}",
                    "\\partial L}{\\partial \\gamma_j} =", "\\partial L}{\\partial \\beta_j} =",
                    "g.mean(axis=0)", "x_hat * np.mean"):
        assert formula not in shown, formula


def test_bn_cache_helper_matches_the_solution(ns):
    x, gamma = np.random.default_rng(14).standard_normal((5, 3)), np.array([0.5, 1.0, 2.0])
    _, cache, _ = ns["batchnorm_forward"](x, gamma, np.zeros(3), fresh_running(3), "train")
    for ours, helper in zip(cache, bn_cache(x, gamma, 1e-5)):
        assert rel_error(ours, helper) < 1e-13


# ---- the half-right sample earns what it says ------------------------------------------------------

def test_half_right_sample_earns_its_expected_score(ns):
    earned, declared, total = predicted_score("05_regularization", ns)
    assert earned == declared and 0 < earned < total, (earned, declared, total)