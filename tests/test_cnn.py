"""Notebook 07: the reference solution passes every check; planted bugs (the notes' missing + 1, a
flipped kernel, padding on one side, a window that ignores the stride, db not summed, dx not cropped,
ties routed to every maximum, an argmax unravelled the wrong way round, a fast convolution that
flattens patches and filters in different orders or is the naive loop in disguise, ...) fail with a
message that names them; the reference engines agree; the notebook's numbers hold."""
import math

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from autograder import paths
from autograder.hidden.cnn import checks as hidden
from autograder.hidden.cnn import numeric_conv_grads, ref_conv, ref_conv_loops, ref_max_pool
from autograder.sample_class import predicted_score
from autograder.solutions import load_answers
from utils.checks.cnn import (EDGE_IMAGE, EDGE_MAP, EXTRA_LINES, LENET5_PARAMS, OUTPUT_SIZES, POOL_IMAGE,
                              POOL_RESULT, VERTICAL_EDGE, count_python_lines, distinct_array, tf_conv,
                              tf_conv_grads, tf_max_pool, tf_max_pool_grad, tf_output_size)
from utils.checks.cnn import checks as visible
from utils.checks.core import CheckFailure, run_checks
from utils.gradcheck import rel_error

EXERCISES = {"conv_output_size", "conv_forward_naive", "conv_backward_naive", "max_pool_forward",
             "max_pool_backward", "conv_forward_fast", "build_lenet"}


@pytest.fixture(scope="module")
def ns():
    return load_answers("07_cnn")


def _fails(registry, name, fn, match):
    with np.errstate(all="ignore"), pytest.raises(CheckFailure, match=match) as info:
        run_checks(registry, name, fn, quiet=True)
    return str(info.value)


def test_visible_and_hidden_cover_the_same_exercises():
    assert set(visible.factories) == set(hidden.factories) == EXERCISES


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_solution_passes(ns, name):
    run_checks(visible, name, ns[name], quiet=True)
    run_checks(hidden, name, ns[name], quiet=True)


# ---- conv_output_size ------------------------------------------------------------------------------

@pytest.mark.parametrize("bug, match", [
    (lambda n, f, pad=0, stride=1: (n + 2 * pad - f) // stride, "forgot the \\+ 1 \\(the notes' slip"),
    (lambda n, f, pad=0, stride=1: (n + 2 * pad - f) / stride + 1, "float"),
    (lambda n, f, pad=0, stride=1: (n + pad - f) // stride + 1, "both"),
    (lambda n, f, pad=0, stride=1: math.ceil((n + 2 * pad - f) / stride) + 1, "Round down"),
    (lambda n, f, pad=0, stride=1: n + 2 * pad - f + 1, "ignored the stride"),
])
def test_output_size_bugs_are_caught(bug, match):
    _fails(visible, "conv_output_size", bug, match)
    _fails(hidden, "conv_output_size", bug, "returned|float")


def test_the_notes_example_is_18_not_17():
    assert tf_output_size(39, 5, 0, 2) == 18
    assert (39 - 5) // 2 == 17                 # the notes' number: the + 1 forgotten
    for (n, f, pad, stride), known, _ in OUTPUT_SIZES:
        assert tf_output_size(n, f, pad, stride) == known


# ---- convolution forward: a configurable implementation with planted bugs ------------------------

def conv_impl(*, flip=False, pads=None, step_one=False, ignore_stride=False, bias=True, nchw=False,
              unordered=False, scramble=False, cache_padded=False):
    """A vectorised convolution with one slip switched on (tests only)."""
    def conv(x, w, b, stride=1, pad=0):
        HH, WW, C, F = w.shape
        kernel = w[::-1, ::-1] if flip else w
        before_after = pads(pad) if pads else (pad, pad)
        xp = np.pad(x, ((0, 0), before_after, before_after, (0, 0)))
        s = 1 if (step_one or ignore_stride) else stride
        view = sliding_window_view(xp, (HH, WW), axis=(1, 2))[:, ::s, ::s]   # N, H', W', C, HH, WW
        if step_one:
            Ho, Wo = (x.shape[1] + 2 * pad - HH) // stride + 1, (x.shape[2] + 2 * pad - WW) // stride + 1
            view = view[:, :Ho, :Wo]
        N, Ho, Wo = view.shape[:3]
        patches = view if unordered else view.transpose(0, 1, 2, 4, 5, 3)
        out = patches.reshape(N * Ho * Wo, -1) @ kernel.reshape(-1, F) + (b if bias else 0.0)
        out = out.reshape(N, F, Ho, Wo).transpose(0, 2, 3, 1) if scramble else out.reshape(N, Ho, Wo, F)
        if nchw:
            out = out.transpose(0, 3, 1, 2)
        return out, (xp if cache_padded else x, w, b, stride, pad)
    return conv


def test_the_planted_implementation_without_bugs_passes():
    run_checks(visible, "conv_forward_naive", conv_impl(), quiet=True)
    run_checks(hidden, "conv_forward_fast", conv_impl(), quiet=True)


@pytest.mark.parametrize("bug, match", [
    (dict(flip=True), "true\\* convolution, with the kernel flipped"),
    (dict(pads=lambda p: (0, 2 * p)), "one side only"),
    (dict(pads=lambda p: (0, 0)), "shape without padding"),
    (dict(pads=lambda p: (p, 0)), "pad zeros on one side only"),
    (dict(step_one=True), "move by 1 pixel, not by the stride"),
    (dict(ignore_stride=True), "shape for stride 1: you ignored the stride"),
    (dict(bias=False), "Add the bias"),
    (dict(nchw=True), "NHWC"),
    (dict(cache_padded=True), "the padded input\\?"),
])
@pytest.mark.parametrize("name", ["conv_forward_naive", "conv_forward_fast"])
def test_conv_forward_bugs_are_caught(name, bug, match):
    _fails(visible, name, conv_impl(**bug), match)
    _fails(hidden, name, conv_impl(**bug), "conv_forward")


def test_fast_conv_reshape_bugs_are_caught():
    message = _fails(visible, "conv_forward_fast", conv_impl(unordered=True), "flattened in the same order")
    assert "(C, HH, WW)" in message
    _fails(hidden, "conv_forward_fast", conv_impl(unordered=True), "same order")
    _fails(visible, "conv_forward_fast", conv_impl(scramble=True), "right numbers in the wrong places")


def test_a_loop_in_disguise_is_not_a_fast_convolution(ns):
    naive = ns["conv_forward_naive"]

    def calls_naive(x, w, b, stride=1, pad=0):
        return naive(x, w, b, stride, pad)

    message = _fails(visible, "conv_forward_fast", calls_naive, "loops over output positions")
    assert "lines of Python" in message
    _fails(hidden, "conv_forward_fast", calls_naive, "loops over output positions")

    def row_loop(x, w, b, stride=1, pad=0):                  # vectorised within a row, a loop over rows
        HH, WW, C, F = w.shape
        xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
        Ho, Wo = (xp.shape[1] - HH) // stride + 1, (xp.shape[2] - WW) // stride + 1
        out = np.empty((x.shape[0], Ho, Wo, F))
        for i in range(Ho):
            band = sliding_window_view(xp[:, i * stride:i * stride + HH], (HH, WW), axis=(1, 2))[:, 0, ::stride]
            out[:, i] = np.einsum("nwcij,ijcf->nwf", band, w)
        return out + b, (x, w, b, stride, pad)

    _fails(visible, "conv_forward_fast", row_loop, "loops over output positions")


def test_a_loop_over_filter_offsets_is_fast_enough():
    """The alternative the notebook mentions: HH * WW products of strided slices."""
    def offsets(x, w, b, stride=1, pad=0):
        HH, WW, C, F = w.shape
        xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
        Ho, Wo = (xp.shape[1] - HH) // stride + 1, (xp.shape[2] - WW) // stride + 1
        out = np.zeros((x.shape[0], Ho, Wo, F))
        for a in range(HH):
            for c in range(WW):
                out += xp[:, a:a + stride * (Ho - 1) + 1:stride, c:c + stride * (Wo - 1) + 1:stride, :] @ w[a, c]
        return out + b, (x, w, b, stride, pad)

    run_checks(visible, "conv_forward_fast", offsets, quiet=True)
    run_checks(hidden, "conv_forward_fast", offsets, quiet=True)


def test_line_counting_counts_the_students_code_only(ns):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 8, 8, 3)), rng.standard_normal((3, 3, 3, 4)), rng.standard_normal(4)
    _, fast_lines = count_python_lines(ns["conv_forward_fast"], x, w, b, stride=1, pad=1)
    _, naive_lines = count_python_lines(ns["conv_forward_naive"], x, w, b, stride=1, pad=1)
    # numpy's own Python code (np.pad, sliding_window_view) is not counted: the solution's body only
    assert 3 <= fast_lines <= 16
    assert naive_lines > 2 * 8 * 8 * 4               # at least one line per (image, position, filter)
    big = rng.standard_normal((2, 20, 20, 3))
    assert count_python_lines(ns["conv_forward_fast"], big, w, b, stride=1, pad=1)[1] == fast_lines
    assert EXTRA_LINES < 16                          # a loop over the rows of the larger case is caught


# ---- convolution backward --------------------------------------------------------------------------

def conv_backward_impl(*, db_axes=(0, 1, 2), crop="right", flip=False, last_image=False, assign=False,
                       step="stride"):
    """Loop-based backward pass with one slip switched on (tests only)."""
    def backward(dout, cache):
        x, w, b, stride, pad = cache
        N, H, W, C = x.shape
        HH, WW, _, F = w.shape
        kernel = w[::-1, ::-1] if flip else w
        xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
        dxp, dw = np.zeros_like(xp), np.zeros_like(w)
        for n in range(N):
            dw_n = np.zeros_like(w)
            for i in range(dout.shape[1]):
                for j in range(dout.shape[2]):
                    r0, c0 = (i * stride, j * stride) if step == "stride" else (i, j)
                    r, c = slice(r0, r0 + HH), slice(c0, c0 + WW)
                    for f in range(F):
                        dw_n[:, :, :, f] += dout[n, i, j, f] * xp[n, r, c, :]
                        if assign:
                            dxp[n, r, c, :] = dout[n, i, j, f] * kernel[:, :, :, f] + (f > 0) * dxp[n, r, c, :]
                        else:
                            dxp[n, r, c, :] += dout[n, i, j, f] * kernel[:, :, :, f]
            dw = dw_n if last_image else dw + dw_n
        if flip:
            dw = dw[::-1, ::-1]
        dx = {"right": lambda: dxp[:, pad:pad + H, pad:pad + W], "none": lambda: dxp,
              "negative": lambda: dxp[:, pad:-pad, pad:-pad]}[crop]()
        return dx, dw, dout.sum(axis=db_axes)
    return backward


def test_the_planted_backward_without_bugs_passes():
    run_checks(visible, "conv_backward_naive", conv_backward_impl(), quiet=True)


@pytest.mark.parametrize("bug, match", [
    (dict(db_axes=(0,)), "over the batch and all positions"),
    (dict(db_axes=(1, 2)), "(?s)db has shape.*every position of every image"),
    (dict(crop="none"), "cut their gradient off dx_pad"),
    (dict(crop="negative"), "for pad = 0 that slice is empty"),
    (dict(flip=True), "gradients of a true convolution"),
    (dict(last_image=True), "the last image only"),
    (dict(assign=True), "(?s)collects the gradient from every one of them.*Accumulate with \\+="),
    (dict(step="one"), "windows moving by 1 pixel"),
])
def test_conv_backward_bugs_are_caught(bug, match):
    _fails(visible, "conv_backward_naive", conv_backward_impl(**bug), match)
    _fails(hidden, "conv_backward_naive", conv_backward_impl(**bug), "conv_backward_naive")


# ---- max pooling -----------------------------------------------------------------------------------

def pool_impl(*, reduce=np.max, step_one=False, over_channels=False, zeros_start=False):
    def pool(x, pool_size=2, stride=2):
        s = 1 if step_one else stride
        view = sliding_window_view(x, (pool_size, pool_size), axis=(1, 2))[:, ::s, ::s]
        Ho, Wo = (x.shape[1] - pool_size) // stride + 1, (x.shape[2] - pool_size) // stride + 1
        out = reduce(view[:, :Ho, :Wo], axis=(-2, -1))
        if zeros_start:
            out = np.maximum(out, 0.0)
        if over_channels:
            out = out.max(axis=-1)
        return out, (x, pool_size, stride)
    return pool


@pytest.mark.parametrize("bug, match", [
    (dict(reduce=np.mean), "average pooling"),
    (dict(step_one=True), "move by 1 pixel, not by the stride"),
    (dict(over_channels=True), "Pool every channel separately"),
])
def test_max_pool_forward_bugs_are_caught(bug, match):
    _fails(visible, "max_pool_forward", pool_impl(**bug), match)
    _fails(hidden, "max_pool_forward", pool_impl(**bug), "max_pool_forward")


def test_max_pool_forward_from_zeros_fails_on_negative_inputs():
    """out = np.zeros(...) then np.maximum(out, window): wrong wherever a whole window is negative."""
    _fails(visible, "max_pool_forward", pool_impl(zeros_start=True), "out is wrong")
    _fails(hidden, "max_pool_forward", pool_impl(zeros_start=True), "out is wrong")


def pool_backward_impl(*, ties="first", swap=False, assign=False, start="stride"):
    def backward(dout, cache):
        x, p, stride = cache
        dx = np.zeros_like(x)
        for n in range(x.shape[0]):
            for i in range(dout.shape[1]):
                for j in range(dout.shape[2]):
                    r0, c0 = (i * stride, j * stride) if start == "stride" else (i, j)
                    for ch in range(x.shape[3]):
                        window = x[n, r0:r0 + p, c0:c0 + p, ch]
                        if ties in ("all", "every entry", "average"):
                            share = {"all": window == window.max(), "every entry": 1.0, "average": 1.0 / p ** 2}
                            dx[n, r0:r0 + p, c0:c0 + p, ch] += share[ties] * dout[n, i, j, ch]
                            continue
                        r, c = np.unravel_index(np.argmax(window), (p, p))
                        if swap:
                            r, c = c, r
                        if assign:
                            dx[n, r0 + r, c0 + c, ch] = dout[n, i, j, ch]
                        else:
                            dx[n, r0 + r, c0 + c, ch] += dout[n, i, j, ch]
        return dx
    return backward


def test_the_planted_pool_backward_without_bugs_passes():
    run_checks(visible, "max_pool_backward", pool_backward_impl(), quiet=True)
    run_checks(hidden, "max_pool_backward", pool_backward_impl(), quiet=True)


@pytest.mark.parametrize("bug, match", [
    (dict(ties="all"), "(?s)several entries equal the maximum.*4 entries of one window"),
    (dict(swap=True), "wrong place inside them"),
    (dict(assign=True), "Accumulate into dx with \\+="),
    (dict(start="position"), "overlapping|starts at row i \\* stride"),
    (dict(ties="every entry"), "max routes"),
    (dict(ties="average"), "backward pass of average pooling"),
])
def test_max_pool_backward_bugs_are_caught(bug, match):
    _fails(visible, "max_pool_backward", pool_backward_impl(**bug), match)
    _fails(hidden, "max_pool_backward", pool_backward_impl(**bug), "max_pool_backward")


def test_max_pool_backward_accepts_a_one_tuple(ns):
    run_checks(visible, "max_pool_backward", lambda dout, cache: (ns["max_pool_backward"](dout, cache),), quiet=True)


def test_tensorflow_routes_ties_to_the_first_maximum():
    """The convention the notebook states, checked on TensorFlow itself."""
    x = np.zeros((1, 2, 2, 1))
    dx = tf_max_pool_grad(x, 2, 2, np.ones((1, 1, 1, 1)))
    assert dx[0, :, :, 0].tolist() == [[1.0, 0.0], [0.0, 0.0]]
    x = np.array([1.0, 2.0, 2.0, 1.0]).reshape(1, 2, 2, 1)
    assert tf_max_pool_grad(x, 2, 2, np.ones((1, 1, 1, 1)))[0, :, :, 0].tolist() == [[0.0, 1.0], [0.0, 0.0]]


def test_distinct_arrays_have_no_ties_and_room_for_a_step():
    rng = np.random.default_rng(0)
    for shape in [(2, 6, 6, 3), (1, 9, 7, 2), (3, 5, 4, 1)]:
        values = np.sort(distinct_array(rng, *shape).ravel())
        assert np.diff(values).min() > 0.9e-3 > 2 * 1e-5       # gaps >> the finite-difference step


# ---- LeNet -----------------------------------------------------------------------------------------

def lenet_impl(*, first_padding="same", softmax=True, input_layer=True, pooling="max", dropout_layers=True,
               extra_dense=False):
    import keras

    def build_lenet(filters=(6, 16), units=(120, 84), dropout=0.0):
        Pool = keras.layers.MaxPooling2D if pooling == "max" else keras.layers.AveragePooling2D
        layers = ([keras.Input((28, 28, 1))] if input_layer else []) + [
            keras.layers.Conv2D(filters[0], 5, padding=first_padding, activation="relu"), Pool(2),
            keras.layers.Conv2D(filters[1], 5, activation="relu"), Pool(2), keras.layers.Flatten()]
        drop = [keras.layers.Dropout(dropout)] if dropout and dropout_layers else []
        layers += drop + [keras.layers.Dense(units[0], activation="relu")] + \
            [keras.layers.Dropout(dropout)] * bool(drop) + [keras.layers.Dense(units[1], activation="relu")]
        if extra_dense:
            layers.append(keras.layers.Dense(units[1], activation="relu"))
        layers.append(keras.layers.Dense(10, activation="softmax" if softmax else None))
        return keras.Sequential(layers)
    return build_lenet


def test_the_planted_lenet_without_bugs_passes():
    run_checks(visible, "build_lenet", lenet_impl(), quiet=True)
    run_checks(hidden, "build_lenet", lenet_impl(), quiet=True)


@pytest.mark.parametrize("bug, match", [
    (dict(first_padding="valid"), "padding='same'"),
    (dict(softmax=False), "activation='softmax'"),
    (dict(input_layer=False), "keras.Input\\(\\(28, 28, 1\\)\\)"),
    (dict(pooling="average"), "MaxPooling2D"),
    (dict(dropout_layers=False), "one Dropout after Flatten"),
    (dict(extra_dense=True), "the layers should be"),
])
def test_lenet_bugs_are_caught(bug, match):
    _fails(visible, "build_lenet", lenet_impl(**bug), match)


def test_lenet_builder_must_honour_its_arguments():
    import keras

    def fixed(filters=(6, 16), units=(120, 84), dropout=0.0):
        return lenet_impl()((6, 16), (120, 84), dropout)

    _fails(visible, "build_lenet", fixed, "filters=32|units")
    _fails(hidden, "build_lenet", fixed, "filters=4|units")
    assert keras.layers.Conv2D(3, 5).get_config()["padding"] == "valid"   # Keras' default: 'valid'


# ---- the reference engines agree -------------------------------------------------------------------

def test_reference_engines_agree_on_every_hidden_conv_case():
    """TensorFlow, the einsum reference and the loop reference give the same convolution; their
    gradients agree with finite differences to far better than the 1e-7 the checks ask."""
    for case in hidden.cases("conv_forward_fast")[:-1]:
        x, w, b = case.args
        stride, pad = case.kwargs["stride"], case.kwargs["pad"]
        expected = tf_conv(x, w, b, stride, pad)
        assert rel_error(ref_conv(x, w, b, stride, pad), expected) < 1e-13
        assert rel_error(ref_conv_loops(x, w, b, stride, pad), expected) < 1e-13
    for case in hidden.cases("conv_backward_naive")[:3]:
        dout, (x, w, b, stride, pad) = case.args
        numeric = numeric_conv_grads(x, w, b, stride, pad, dout)
        for what, grad in zip(("dx", "dw", "db"), tf_conv_grads(x, w, b, stride, pad, dout)):
            assert rel_error(grad, numeric[what]) < 1e-9


def test_solution_agrees_with_tf_and_finite_differences(ns):
    worst = 0.0
    for case in hidden.cases("conv_backward_naive")[:-1]:
        dout, cache = case.args
        x, w, b, stride, pad = cache
        ours = ns["conv_backward_naive"](dout, cache)
        numeric = numeric_conv_grads(x, w, b, stride, pad, dout)
        for what, grad, tf_grad in zip(("dx", "dw", "db"), ours, tf_conv_grads(x, w, b, stride, pad, dout)):
            worst = max(worst, rel_error(grad, tf_grad), rel_error(grad, numeric[what]))
    for case in hidden.cases("max_pool_backward")[:6]:
        dout, (x, p, s) = case.args
        dx = ns["max_pool_backward"](dout, (x, p, s))
        worst = max(worst, rel_error(dx, tf_max_pool_grad(x, p, s, dout)))
        assert np.array_equal(ref_max_pool(x, p, s), tf_max_pool(x, p, s))
    assert worst < 1e-9


# ---- the notebook's worked examples and numbers ----------------------------------------------------

def test_worked_examples(ns):
    out, _ = ns["conv_forward_naive"](EDGE_IMAGE.reshape(1, 6, 6, 1), VERTICAL_EDGE.reshape(3, 3, 1, 1), np.zeros(1))
    assert out[0, :, :, 0].tolist() == EDGE_MAP.tolist() == [[0, 30, 30, 0]] * 4
    dx, dw, db = ns["conv_backward_naive"](np.ones((1, 4, 4, 1)), (EDGE_IMAGE.reshape(1, 6, 6, 1),
                                                                    VERTICAL_EDGE.reshape(3, 3, 1, 1), np.zeros(1), 1, 0))
    assert db.tolist() == [16.0] and dw[:, :, 0, 0].tolist() == [[120.0, 80.0, 40.0]] * 3
    flipped = tf_conv(EDGE_IMAGE.reshape(1, 6, 6, 1), VERTICAL_EDGE[::-1, ::-1].reshape(3, 3, 1, 1), np.zeros(1))
    assert flipped[0, 0, 1, 0] == -30.0                       # "flipped, the edge filter gives -30"
    pooled, _ = ns["max_pool_forward"](POOL_IMAGE.reshape(1, 4, 4, 1), 2, 2)
    assert pooled[0, :, :, 0].tolist() == POOL_RESULT.tolist() == [[6, 5], [3, 4]]
    dx = ns["max_pool_backward"](np.array([1.0, 2, 3, 4]).reshape(1, 2, 2, 1), (POOL_IMAGE.reshape(1, 4, 4, 1), 2, 2))
    assert dx[0, :, :, 0].tolist() == [[0, 0, 0, 0], [0, 1, 2, 0], [3, 0, 0, 0], [0, 0, 0, 4]]


def test_parameter_counts_in_the_text():
    import keras
    conv = lambda f, c, n: n * (f * f * c + 1)   # noqa: E731
    assert conv(5, 1, 6) == 156 and 784 * 4704 + 4704 == 3_692_640
    assert conv(5, 3, 6) == 456 and 3072 * 4704 + 4704 == 14_455_392
    assert conv(5, 3, 32) == 2432 and 12288 * 131072 + 131072 == 1_610_743_808
    assert round(1_610_743_808 / 2432, -4) == 660_000
    assert 32 * 32 * 50 * 16 == 819_200
    lenet = [conv(5, 1, 6), conv(5, 6, 16), 400 * 120 + 120, 120 * 84 + 84, 84 * 10 + 10]
    assert lenet == [156, 2416, 48120, 10164, 850] and sum(lenet) == LENET5_PARAMS == 61_706
    assert 0.75 < lenet[2] / LENET5_PARAMS < 0.82                                    # "four fifths"
    assert keras.Sequential([keras.Input((64, 64, 3)), keras.layers.Conv2D(32, 5, padding="same")]).count_params() == 2432


def test_the_notebook_ran_as_the_text_says(solution_facts):
    """On the sample solution's graded run (tests/probes/07_cnn.py)."""
    facts = solution_facts("07_cnn")
    assert facts["feature_map"] == EDGE_MAP.tolist()                  # the hand computation in the text
    assert facts["lenet_params"] == 496_138
    assert facts["resnet_params"] == 78_378
    assert facts["distance_shifted"] > facts["distance_other"]        # pixel distance misses the shift
    assert facts["ours_vs_theirs"] < 1e-5
    assert facts["kernel_shape"] == [5, 5, 1, 32]


def test_the_notebook_states_the_slip_and_the_layout():
    text = paths.source_script("07_cnn").read_text(encoding="utf-8")
    assert "17 + 1 = 18" in text and "forgot the $+ 1$" in text
    assert "NHWC" in text and "cross-correlation" in text and "first* maximal entry" in text
    for placeholder in ("BENCH_", "FULL_MODE_RESULT"):
        assert placeholder not in text, f"fill in {placeholder}"


# ---- the half-right sample earns what it says -----------------------------------------------------

def test_half_right_sample_earns_its_expected_score(ns):
    earned, declared, total = predicted_score("07_cnn", ns)
    assert earned == declared and 0 < earned < total, (earned, declared, total)