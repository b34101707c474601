"""Visible checks for notebook 07 (convolutional networks).

Layout: **NHWC** throughout, as in Keras and `tf.nn.conv2d` on the CPU: images x (N, H, W, C),
filters w (HH, WW, C, F) (a Keras `Conv2D` kernel), biases b (F,), outputs (N, H', W', F). A
convolution is the deep-learning one, a cross-correlation (the kernel is not flipped); padding is
`pad` zeros on every side of H and W, and when (H + 2 pad - HH) is not a multiple of the stride,
the last incomplete windows are dropped (the output size is rounded down, as in TensorFlow).

References: TensorFlow ops in float64 — `tf.nn.conv2d` with explicit padding, `tf.nn.max_pool2d` —
differentiated by TensorFlow's autodiff (declared here, computed on the instructor side: a student's
kernel has their values for the visible checks' inputs only), the notebook's worked examples, and, for
`build_lenet`, the architecture the exercise states. When a result is wrong, the judges try the
common slips (a flipped kernel, padding on one side only, a window that moves by 1 instead of the
stride, patches and filters flattened in different orders, ...), each computed with TensorFlow, and
name the one that matches.

`conv_forward_fast` must also be *vectorised*: a driver counts the Python lines it executes (with
`sys.settrace`, library code excluded) on two inputs that differ only in their height and width.
A loop over output positions runs more lines on the larger one; numpy's own work is not counted.
Nothing is timed (timing belongs in the benchmark, `python -m autograder.bench`).

TensorFlow is imported only when a check runs.
"""
from __future__ import annotations

import itertools
import os
import sys
import sysconfig

import numpy as np

from ..gradcheck import rel_error
from .references import NoStoredValue, reference
from .core import (Case, CheckFailure, Registry, expect, expect_array, expect_close,
                   expect_tuple, random_array)

checks = Registry("07_cnn")


# ==== references: TensorFlow, float64 (computed on the instructor side, autograder/references/cnn.py;
# a student's kernel has their values for the visible checks' inputs only) ============================

@reference
def tf_conv(x, w, b, stride: int = 1, pad=0) -> np.ndarray:
    """tf.nn.conv2d(x, w) + b in float64, NHWC. `pad` is an int (the same on every side) or an
    explicit list [[0, 0], [top, bottom], [left, right], [0, 0]]."""


@reference
def tf_conv_grads(x, w, b, stride: int, pad: int, dout):
    """(dx, dw, db) of sum(conv(x, w, b) * dout) by TensorFlow autodiff."""


@reference
def tf_output_size(n: int, f: int, pad: int, stride: int) -> int:
    """The length of a convolution's output along one axis, read off tf.nn.conv2d's result."""


@reference
def tf_max_pool(x, pool_size: int, stride: int) -> np.ndarray:
    """tf.nn.max_pool2d(x) ("VALID") in float64, NHWC."""


@reference
def tf_avg_pool(x, pool_size: int, stride: int) -> np.ndarray:
    """tf.nn.avg_pool2d(x) ("VALID") in float64, NHWC."""


@reference
def tf_max_pool_grad(x, pool_size: int, stride: int, dout) -> np.ndarray:
    """dx of sum(max_pool(x) * dout) by TensorFlow autodiff. Where a window holds several equal
    maxima, TensorFlow gives the window's whole gradient to the first of them in row-major order
    (the one np.argmax of the flattened window picks)."""


def _hint(advise, *args) -> str:
    """advise(*args): the advice naming a slip, or '' where a student's kernel has no stored value
    for the slips it tries (the check then fails without naming one)."""
    try:
        return advise(*args)
    except NoStoredValue:
        return ""


# ==== the notebook's worked examples ==============================================================

#: the by-hand example: a 6x6 image, bright (10) on the left half, dark (0) on the right ...
EDGE_IMAGE = np.array([[10.0] * 3 + [0.0] * 3] * 6)
#: ... and a vertical-edge filter: bright on the left, dark on the right
VERTICAL_EDGE = np.array([[1.0, 0.0, -1.0]] * 3)
#: the feature map: 0 where the window sees one colour, 30 where it straddles the edge
EDGE_MAP = np.array([[0.0, 30.0, 30.0, 0.0]] * 4)

#: the max-pooling worked example, pooled 2x2 with stride 2 to [[6, 5], [3, 4]]
POOL_IMAGE = np.array([[1.0, 3.0, 2.0, 1.0],
                       [4.0, 6.0, 5.0, 0.0],
                       [3.0, 1.0, 1.0, 0.0],
                       [1.0, 2.0, 2.0, 4.0]])
POOL_RESULT = np.array([[6.0, 5.0], [3.0, 4.0]])

#: the notes' example (n = 39, f = 5, pad 0, stride 2) and others from the notebook, with answers
OUTPUT_SIZES = [((39, 5, 0, 2), 18, "the notes' example: (39 + 0 - 5) / 2 + 1 = 18"),
                ((6, 3, 0, 1), 4, "the by-hand example: a 6x6 image, a 3x3 filter"),
                ((32, 5, 0, 1), 28, "LeNet-5's first layer on a 32x32 image"),
                ((28, 5, 2, 1), 28, "'same' padding: f = 5, pad = 2 keeps 28"),
                ((28, 2, 0, 2), 14, "2x2 max pooling, stride 2"),
                ((224, 7, 3, 2), 112, "ResNet's first layer: 224, f = 7, pad = 3, stride 2"),
                ((28, 5, 0, 2), 12, "(28 - 5) / 2 + 1 = 12.5, rounded down to 12"),
                ((7, 3, 1, 3), 3, "(7 + 2 - 3) / 3 + 1 = 3")]


# ==== conv_output_size ============================================================================

def _size_slips(n, f, pad, stride):
    """Common slips as (what they give, advice)."""
    return [((n + 2 * pad - f) // stride, "You forgot the + 1 (the notes' slip: (39 - 5) / 2 = 17; the "
                                          "first window is there before the filter moves at all)."),
            ((n + pad - f) // stride + 1, "Padding adds pad zeros on *both* sides: n + 2 * pad."),
            ((n + 2 * pad - f) + 1, "You ignored the stride: divide by it."),
            (-(-(n + 2 * pad - f) // stride) + 1, "Round down, not up: an incomplete last window is dropped "
                                                  "(use //)."),
            ((n - 2 * pad - f) // stride + 1, "Padding makes the input larger: + 2 * pad, not - 2 * pad."),
            ((n + 2 * pad + f) // stride + 1, "Subtract the filter size: n + 2 * pad - f.")]


def judge_output_size(n, f, pad, stride, *, known=None):
    expected = tf_output_size(n, f, pad, stride)
    if known is not None and known != expected:
        raise ValueError(f"internal: TensorFlow says {expected}, the notebook says {known}")

    def judge(out):
        if isinstance(out, (float, np.floating)):
            value = float(out)
            hint = (f" ({value:g} is not a whole number: round down with //)" if value != int(value)
                    else f" (the value {value:g} is right, but a size must be an int: use //, not /)"
                    if value == expected else "")
            raise CheckFailure(f"conv_output_size returned the float {out!r}; an output size must be an "
                               f"int (you will use it as an array shape){hint}. Expected {expected}.")
        expect(isinstance(out, (int, np.integer)) and not isinstance(out, (bool, np.bool_)),
               f"conv_output_size should return an int, got {type(out).__name__} {out!r}")
        if out != expected:
            advice = next((a for v, a in _size_slips(n, f, pad, stride) if v == out and v != expected), "")
            raise CheckFailure(f"conv_output_size(n={n}, f={f}, pad={pad}, stride={stride}) returned {out}, "
                               f"expected {expected} = floor(({n} + 2*{pad} - {f}) / {stride}) + 1. {advice}".rstrip())
    return judge


@checks.exercise("conv_output_size")
def _conv_output_size():
    for (n, f, pad, stride), known, label in OUTPUT_SIZES:
        yield Case((n, f), judge_output_size(n, f, pad, stride, known=known), kwargs={"pad": pad, "stride": stride},
                   label=f"n={n}, f={f}, pad={pad}, stride={stride}: {label}")


# ==== convolution: the forward pass ===============================================================

FLIPPED = ("That is a *true* convolution, with the kernel flipped (w[::-1, ::-1]). Deep-learning "
           "libraries, and this notebook, compute a cross-correlation: out = sum(window * w), the kernel "
           "as it is.")
ONE_SIDED = ("That is the convolution of an input padded with 2 * pad zeros on one side only. np.pad takes "
             "(before, after) per axis: ((0, 0), (pad, pad), (pad, pad), (0, 0)).")
WINDOW_STEP = ("Your windows move by 1 pixel, not by the stride: the window of output (i, j) starts at row "
               "i * stride and column j * stride of the padded input.")
NO_BIAS = "Add the bias: each filter f has one bias b[f], added to every output position of that filter."
NCHW = ("This notebook uses the NHWC layout (channels last, like Keras and tf.nn.conv2d): the output is "
        "(N, H', W', F), not (N, F, H', W').")
SCRAMBLED = ("Your output holds the right numbers in the wrong places: check how you reshape the result "
             "back to (N, H', W', F) (the rows of the patch matrix are ordered by image, row, column).")
ORDER = ("Your output equals a convolution with the filter's entries in another order: the patches and "
         "the filters must be flattened in the same order. A window of x_padded[n, r:r+HH, c:c+WW, :] "
         "is (HH, WW, C), like w[:, :, :, f]; if your windows come out as (C, HH, WW) "
         "(sliding_window_view puts the window axes last), transpose them before reshaping.")


def _conv_shape(x_shape, w_shape, stride, pad):
    from math import floor
    N, H, W, _ = x_shape
    HH, WW, _, F = w_shape
    return (N, floor((H + 2 * pad - HH) / stride) + 1, floor((W + 2 * pad - WW) / stride) + 1, F)


def _order_slip_kernels(w):
    """Kernels a mismatched flattening of patches and filters effectively uses."""
    w = np.asarray(w, dtype=np.float64)
    HH, WW, C, F = w.shape
    dims = (HH, WW, C)
    kernels = []
    for perm in itertools.permutations(range(3)):
        if perm == (0, 1, 2):
            continue
        # patches flattened in the order `perm`, filters in their own order (HH, WW, C)
        viewed = w.reshape(*[dims[p] for p in perm], F)
        kernels.append(np.transpose(viewed, list(np.argsort(perm)) + [3]))
        # patches in (HH, WW, C) order, filters transposed to `perm` before flattening
        kernels.append(np.transpose(w, list(perm) + [3]).reshape(HH, WW, C, F))
    return kernels


def _conv_slip(got, x, w, b, stride, pad, expected):
    """The advice for the first slip that `got` matches, else ''."""
    x, w, b = (np.asarray(a, dtype=np.float64) for a in (x, w, b))
    N, Ho, Wo, F = expected.shape

    def same(candidate):
        candidate = np.asarray(candidate)
        return candidate.shape == got.shape and rel_error(got, candidate) < 1e-9 and rel_error(candidate, expected) > 1e-9

    if same(tf_conv(x, w[::-1, ::-1], b, stride, pad)):
        return FLIPPED
    if same(tf_conv(x, w, np.zeros_like(b), stride, pad)):
        return NO_BIAS
    if pad:
        for one_side in ([[0, 0], [2 * pad, 0], [2 * pad, 0], [0, 0]], [[0, 0], [0, 2 * pad], [0, 2 * pad], [0, 0]]):
            if same(tf_conv(x, w, b, stride, one_side)):
                return ONE_SIDED
    if stride > 1 and same(tf_conv(x, w, b, 1, pad)[:, :Ho, :Wo]):
        return WINDOW_STEP
    for kernel in _order_slip_kernels(w):
        if same(tf_conv(x, kernel, b, stride, pad)):
            return ORDER
    if got.shape == expected.shape and rel_error(np.sort(got, axis=None), np.sort(expected, axis=None)) < 1e-9:
        return SCRAMBLED
    return ""


def _shape_advice(shape, x, w, stride, pad) -> str:
    N, H, W, C = np.shape(x)
    HH, WW, _, F = np.shape(w)
    expected = _conv_shape((N, H, W, C), (HH, WW, C, F), stride, pad)
    if shape == (N, F, expected[1], expected[2]) and F != expected[1]:
        return NCHW
    if stride > 1 and shape == _conv_shape((N, H, W, C), (HH, WW, C, F), 1, pad):
        return "That is the shape for stride 1: you ignored the stride."
    if pad and shape == _conv_shape((N, H, W, C), (HH, WW, C, F), stride, 0):
        return "That is the shape without padding: pad x with pad zeros on each side of H and W first."
    if pad and shape == _conv_shape((N, H, W, C), (HH, WW, C, F), stride, pad / 2):
        return "That is the shape with pad zeros on one side only: np.pad takes (pad, pad) per axis."
    return ""


def expect_conv_cache(cache, x, w, b, stride, pad):
    expect(isinstance(cache, tuple) and len(cache) == 5,
           f"the cache should be the tuple (x, w, b, stride, pad), got {type(cache).__name__}"
           + (f" of length {len(cache)}" if isinstance(cache, tuple) else ""))
    cx, cw, cb, cstride, cpad = cache
    cx = expect_array("cache[0] (x)", cx)
    if cx.shape != np.shape(x):
        raise CheckFailure(f"cache[0] should be the input x of shape {np.shape(x)}, got shape {cx.shape}"
                           + (" (the padded input? cache x itself: the backward pass pads again)"
                              if cx.shape[1:3] == tuple(d + 2 * pad for d in np.shape(x)[1:3]) else ""))
    expect(np.array_equal(cx, x), "cache[0] should be the input x, unchanged. Did you modify x in place?")
    expect(np.array_equal(expect_array("cache[1] (w)", cw, shape=np.shape(w)), w), "cache[1] should be w, unchanged")
    expect(np.array_equal(expect_array("cache[2] (b)", cb, shape=np.shape(b)), b), "cache[2] should be b, unchanged")
    expect(cstride == stride and cpad == pad, f"cache[3:] should be (stride, pad) = ({stride}, {pad}), "
                                              f"got ({cstride!r}, {cpad!r})")


def judge_conv_forward(name, x, w, b, stride, pad, *, known=None, reference=None, diagnose=True):
    """out vs tf.nn.conv2d (and, when given, the worked example `known` and a `reference` array).
    `diagnose`: name the slip a wrong output matches (off for the large visible inputs: their slips'
    outputs would weigh megabytes in the stored values, and the small cases before them catch every
    slip first)."""
    expected = tf_conv(x, w, b, stride, pad)

    def judge(result):
        out, cache = expect_tuple(name, result, 2)
        out = expect_array("out", out)
        if out.shape != expected.shape:
            raise CheckFailure(f"out has shape {out.shape}, expected {expected.shape} = (N, H', W', F) for x "
                               f"{np.shape(x)}, w {np.shape(w)}, stride {stride}, pad {pad}. "
                               f"{_shape_advice(out.shape, x, w, stride, pad)}".rstrip())
        try:
            expect_close("out", out, expected)
        except CheckFailure as exc:
            advice = _hint(_conv_slip, out, x, w, b, stride, pad, expected) if diagnose else ""
            raise CheckFailure(f"{exc}\n  {advice}".rstrip()) from None
        if known is not None:
            expect_close("out (the notebook's worked example)", out, known)
        if reference is not None:
            expect_close("out (vs the reference implementation)", out, reference)
        expect_conv_cache(cache, x, w, b, stride, pad)
    return judge


def conv_case(name, x, w, b, stride, pad, label, **kw) -> Case:
    return Case((x, w, b), judge_conv_forward(name, x, w, b, stride, pad, **kw),
                kwargs={"stride": stride, "pad": pad}, label=label)


def conv_inputs(rng, N, H, W, C, HH, WW, F):
    return random_array(rng, N, H, W, C), random_array(rng, HH, WW, C, F), random_array(rng, F)


#: small visible cases: (N, H, W, C, HH, WW, F, stride, pad)
CONV_SHAPES = [(2, 5, 5, 1, 3, 3, 1, 1, 0),
               (2, 6, 7, 3, 3, 3, 4, 1, 1),
               (3, 7, 7, 2, 3, 3, 2, 2, 1),
               (2, 9, 8, 3, 5, 3, 4, 2, 2),
               (1, 8, 8, 2, 2, 2, 3, 3, 0)]


def _edge_case(name):
    x = EDGE_IMAGE.reshape(1, 6, 6, 1)
    w = VERTICAL_EDGE.reshape(3, 3, 1, 1)
    return conv_case(name, x, w, np.zeros(1), 1, 0, "the worked example: the 6x6 edge image and the 3x3 "
                     "vertical-edge filter give [[0, 30, 30, 0]] * 4", known=EDGE_MAP.reshape(1, 4, 4, 1))


def _random_conv_cases(name, seed):
    rng = np.random.default_rng(seed)
    for N, H, W, C, HH, WW, F, stride, pad in CONV_SHAPES:
        x, w, b = conv_inputs(rng, N, H, W, C, HH, WW, F)
        yield conv_case(name, x, w, b, stride, pad,
                        f"x {x.shape}, w {w.shape}, stride {stride}, pad {pad}")


@checks.exercise("conv_forward_naive")
def _conv_forward_naive():
    yield _edge_case("conv_forward_naive")
    yield from _random_conv_cases("conv_forward_naive", 70)


# ==== convolution: the backward pass ==============================================================

DB_SUM = ("db has one entry per filter, like b. b[k] is added to out[n, i, j, k] at every position of every "
          "image, each time through an add gate: it collects the upstream gradient of every one of those "
          "outputs (over the batch and all positions).")
CROP = ("dx must have the shape of x: the padding zeros are constants the forward pass added, not inputs, so "
        "cut their gradient off dx_pad. Careful with x_pad[:, pad:-pad]: for pad = 0 that slice is empty; "
        "use pad:pad + H.")
DX_SHAPE = "A gradient has the shape of its variable: dx has the shape of x."
DW_SHAPE = "A gradient has the shape of its variable: dw has the shape of w, (HH, WW, C, F)."
FLIPPED_GRADS = ("These are the gradients of a true convolution (kernel flipped). The forward pass is a "
                 "cross-correlation: filter entry w[a, b', c, k] multiplies the pixel at offset (a, b') of the "
                 "window, and the backward pass must pair the same two numbers (a multiply gate swaps them), "
                 "not the mirrored ones.")
LAST_IMAGE = ("dw is the gradient of the last image only. The filters are shared by every image of the batch: "
              "w collects from every use, in every image (accumulate with += into a dw that starts at zero, "
              "once, before the loop over images).")
GRAD_STEP = ("Your {what} is what windows moving by 1 pixel would give, not by the stride. In the backward "
             "pass each output must send its gradient to the window it actually used: rows i * stride to "
             "i * stride + HH, columns j * stride to j * stride + WW of the padded input.")
DX_COLLECT = ("dw and db are right but dx is not. A pixel lies in every window that covers it, and each of those "
              "outputs used it, multiplied by the filter entry that sat on it: the pixel collects the gradient "
              "from every one of them. Accumulate with += (don't assign), at the window's place in the padded "
              "input.")
DW_COLLECT = ("Each filter entry w[a, b', c, k] is used by every output of filter k, at every position of every "
              "image, multiplied by the pixel under it (a multiply gate swaps): collect dout times that "
              "pixel from every one of those uses.")


def _stride_one_grads(x, w, b, stride, pad, dout):
    """(dx, dw, db) when the windows of a backward pass move by 1 instead of the stride: dout placed in
    the top-left corner of a stride-1 output."""
    full = np.zeros(_conv_shape(np.shape(x), np.shape(w), 1, pad))
    full[:, :dout.shape[1], :dout.shape[2]] = dout
    return tf_conv_grads(x, w, b, 1, pad, full)


def judge_conv_backward(x, w, b, stride, pad, dout, *, numeric=None):
    """(dx, dw, db) vs TensorFlow autodiff (and, when given, finite differences `numeric`, a dict)."""
    refs = dict(zip(("dx", "dw", "db"), tf_conv_grads(x, w, b, stride, pad, dout)))
    H, W = np.shape(x)[1:3]

    def slip(what, got, errors):
        xs, ws, bs, ds = (np.asarray(a, dtype=np.float64) for a in (x, w, b, dout))

        def same(candidate):
            return np.shape(candidate) == got.shape and rel_error(got, candidate) < 1e-9

        flipped = tf_conv_grads(xs, ws[::-1, ::-1], bs, stride, pad, ds)
        if what == "dx" and same(flipped[0]) or what == "dw" and same(flipped[1][::-1, ::-1]):
            return FLIPPED_GRADS
        if what == "dw" and len(xs) > 1 and same(tf_conv_grads(xs[-1:], ws, bs, stride, pad, ds[-1:])[1]):
            return LAST_IMAGE
        if what in ("dx", "dw") and stride > 1 and same(_stride_one_grads(xs, ws, bs, stride, pad, ds)[
                0 if what == "dx" else 1]):
            return GRAD_STEP.format(what=what)
        if what == "dx" and errors["dw"] <= 1e-7 and errors["db"] <= 1e-7:
            return DX_COLLECT
        return {"dw": DW_COLLECT, "db": DB_SUM}.get(what, "")

    def judge(out):
        grads = dict(zip(("dx", "dw", "db"), expect_tuple("conv_backward_naive", out, 3)))
        for what, got in grads.items():
            ref = refs[what]
            got = grads[what] = expect_array(what, got)
            if got.shape != ref.shape:
                advice = {"dx": DX_SHAPE, "dw": DW_SHAPE, "db": DB_SUM}[what]
                if what == "dx" and (got.shape[1:3] == (H + 2 * pad, W + 2 * pad) or 0 in got.shape):
                    advice = CROP
                raise CheckFailure(f"{what} has shape {got.shape}, expected {ref.shape}. {advice}".rstrip())
        errors = {what: rel_error(grads[what], refs[what]) for what in grads}
        for what in ("dx", "dw", "db"):
            try:
                expect_close(what, grads[what], refs[what])
            except CheckFailure as exc:
                raise CheckFailure(f"{exc}\n  {_hint(slip, what, grads[what], errors)}".rstrip()) from None
            if numeric is not None:
                num = np.asarray(numeric[what], dtype=np.float64)
                sampled = ~np.isnan(num)     # a sampled numerical gradient leaves the other entries NaN
                expect_close(f"{what} (vs centered finite differences"
                             + (f", {int(sampled.sum())} sampled entries)" if not sampled.all() else ")"),
                             grads[what][sampled], num[sampled])
    return judge


def conv_cache(x, w, b, stride, pad):
    """The cache conv_forward_naive returns: (x, w, b, stride, pad)."""
    return (x, w, b, stride, pad)


def conv_backward_case(x, w, b, stride, pad, dout, label, **kw) -> Case:
    return Case((dout, conv_cache(x, w, b, stride, pad)), judge_conv_backward(x, w, b, stride, pad, dout, **kw),
                label=label)


@checks.exercise("conv_backward_naive")
def _conv_backward_naive():
    x = EDGE_IMAGE.reshape(1, 6, 6, 1)
    w = VERTICAL_EDGE.reshape(3, 3, 1, 1)
    yield conv_backward_case(x, w, np.zeros(1), 1, 0, np.ones((1, 4, 4, 1)),
                             "the worked example with dout = 1: db = 16, dw[:, :, 0, 0] = [[120, 80, 40]] * 3")
    rng = np.random.default_rng(71)
    for N, H, W, C, HH, WW, F, stride, pad in CONV_SHAPES[1:]:
        x, w, b = conv_inputs(rng, N, H, W, C, HH, WW, F)
        dout = random_array(rng, *_conv_shape(x.shape, w.shape, stride, pad))
        yield conv_backward_case(x, w, b, stride, pad, dout, f"x {x.shape}, w {w.shape}, stride {stride}, pad {pad}")


# ==== max pooling ===================================================================================

AVG_POOL = "That is average pooling: max pooling keeps the largest value of each window (np.max)."
POOL_STEP = ("Your windows move by 1 pixel, not by the stride: the window of output (i, j) starts at row "
             "i * stride and column j * stride.")
POOL_CHANNELS = ("Pool every channel separately: the output has shape (N, H', W', C), one maximum per "
                 "window and channel (np.max over axes 1 and 2 of the window, not over the channels).")


def expect_pool_cache(cache, x, pool_size, stride):
    expect(isinstance(cache, tuple) and len(cache) == 3,
           f"the cache should be the tuple (x, pool_size, stride), got {type(cache).__name__}"
           + (f" of length {len(cache)}" if isinstance(cache, tuple) else ""))
    cx = expect_array("cache[0] (x)", cache[0], shape=np.shape(x))
    expect(np.array_equal(cx, x), "cache[0] should be the input x, unchanged")
    expect(cache[1] == pool_size and cache[2] == stride,
           f"cache[1:] should be (pool_size, stride) = ({pool_size}, {stride}), got ({cache[1]!r}, {cache[2]!r})")


def judge_max_pool_forward(x, pool_size, stride, *, known=None):
    expected = tf_max_pool(x, pool_size, stride)

    def shape_advice(out):
        if out.shape == expected.shape[:3]:
            return POOL_CHANNELS
        if stride != 1 and out.shape == tf_max_pool(x, pool_size, 1).shape:
            return "That is the shape for stride 1: you ignored the stride."
        return ""

    def value_advice(out):
        if rel_error(out, tf_avg_pool(x, pool_size, stride)) < 1e-9:
            return AVG_POOL
        if stride > 1 and rel_error(out, tf_max_pool(x, pool_size, 1)[:, :out.shape[1], :out.shape[2]]) < 1e-9:
            return POOL_STEP
        return ""

    def judge(result):
        out, cache = expect_tuple("max_pool_forward", result, 2)
        out = expect_array("out", out)
        if out.shape != expected.shape:
            raise CheckFailure(f"out has shape {out.shape}, expected {expected.shape} = (N, H', W', C) for x "
                               f"{np.shape(x)}, pool_size {pool_size}, stride {stride}. "
                               f"{_hint(shape_advice, out)}".rstrip())
        try:
            expect_close("out", out, expected)
        except CheckFailure as exc:
            raise CheckFailure(f"{exc}\n  {_hint(value_advice, out)}".rstrip()) from None
        if known is not None:
            expect_close("out (the notebook's worked example)", out, known)
        expect_pool_cache(cache, x, pool_size, stride)
    return judge


def distinct_array(rng, *shape, gap=1e-3):
    """Random values that are all different, two of them at least `gap` apart: no window has tied
    maxima, and a finite-difference step h < gap / 2 never changes which entry is the maximum."""
    size = int(np.prod(shape))
    values = (rng.permutation(size) - size / 2) * gap + rng.uniform(0, 0.1 * gap, size)
    return values.reshape(shape) * max(1.0, 2.0 / (size * gap))


#: pooling cases: (N, H, W, C, pool_size, stride); the 3 / 2 and 2 / 1 windows overlap
POOL_SHAPES = [(2, 4, 4, 3, 2, 2), (2, 6, 6, 2, 3, 3), (1, 7, 5, 2, 2, 2), (2, 7, 7, 2, 3, 2),
               (1, 5, 6, 3, 2, 1)]


@checks.exercise("max_pool_forward")
def _max_pool_forward():
    x = POOL_IMAGE.reshape(1, 4, 4, 1)
    yield Case((x, 2, 2), judge_max_pool_forward(x, 2, 2, known=POOL_RESULT.reshape(1, 2, 2, 1)),
               label="the worked example: [[1 3 2 1] [4 6 5 0] [3 1 1 0] [1 2 2 4]] pools to [[6 5] [3 4]]")
    rng = np.random.default_rng(72)
    for N, H, W, C, pool, stride in POOL_SHAPES:
        x = distinct_array(rng, N, H, W, C)
        yield Case((x, pool, stride), judge_max_pool_forward(x, pool, stride),
                   label=f"x {x.shape}, pool_size {pool}, stride {stride}"
                         + (" (overlapping windows)" if stride < pool else ""))


TIES = ("In a window where several entries equal the maximum, give the whole gradient to one of them, "
        "the first in row-major order (the one np.argmax of the flattened window picks, as TensorFlow "
        "does). A mask x == max gives it to every tied entry ({k} entries of one window here).")
IN_WINDOW = ("The gradient reaches the right windows but the wrong place inside them: route dout[n, i, j, c] "
             "to the position of that window's maximum. np.unravel_index(k, (pool_size, pool_size)) turns the "
             "flat argmax k into (row, column), in that order.")
OVERLAP = ("With overlapping windows (stride < pool_size) one input can be the maximum of several windows: "
           "it gets the sum of their gradients. Accumulate into dx with +=, don't assign.")
POOL_GRAD_STEP = "Window (i, j) starts at row i * stride, column j * stride of x (not at i, j)."
EVERY_ENTRY = ("Every entry of each window got the window's gradient. Max pooling is a max gate: only the "
               "entry that was the maximum influenced the output, so only it receives dout; the others get 0 "
               "(max routes).")
AVERAGE_GRAD = ("Every entry of each window got an equal share of the window's gradient: that is the backward "
                "pass of average pooling. Max pooling is a max gate: the whole gradient goes to the maximum, "
                "the others get 0 (max routes).")


def _window_view(a, pool_size):
    """(N, H', p, W', p, C) for non-overlapping windows that tile the array exactly."""
    N, H, W, C = a.shape
    return a.reshape(N, H // pool_size, pool_size, W // pool_size, pool_size, C)


def judge_max_pool_backward(x, pool_size, stride, dout, *, numeric=None):
    dx_ref = tf_max_pool_grad(x, pool_size, stride, dout)
    x = np.asarray(x, dtype=np.float64)
    tiled = stride == pool_size and x.shape[1] % pool_size == 0 and x.shape[2] % pool_size == 0

    def advice(dx):
        if stride < pool_size:
            return OVERLAP
        if tiled:
            spread = np.repeat(np.repeat(np.asarray(dout, dtype=np.float64), pool_size, axis=1), pool_size, axis=2)
            if rel_error(dx, spread) < 1e-9:
                return EVERY_ENTRY
            if rel_error(dx, spread / pool_size ** 2) < 1e-9:
                return AVERAGE_GRAD
            x_w, got_w, ref_w = (_window_view(a, pool_size) for a in (x, dx, dx_ref))
            nonzero = got_w != 0
            several = nonzero.sum(axis=(2, 4), keepdims=True) > 1      # windows that got > 1 entry
            at_max = x_w == x_w.max(axis=(2, 4), keepdims=True)
            if several.any() and np.all(at_max | ~(nonzero & several)):  # ... and only at tied maxima
                return TIES.format(k=int(nonzero.sum(axis=(2, 4)).max()))
            if rel_error(got_w.sum(axis=(2, 4)), ref_w.sum(axis=(2, 4))) < 1e-9:
                return IN_WINDOW
        return POOL_GRAD_STEP if stride > 1 else ""

    def judge(out):
        if isinstance(out, tuple) and len(out) == 1:   # (dx,) is accepted as well as dx
            out = out[0]
        if isinstance(out, tuple):
            raise CheckFailure(f"max_pool_backward should return dx, one array (the layer has one input), "
                               f"got a tuple of {len(out)}")
        dx = expect_array("dx", out, shape=x.shape)
        try:
            expect_close("dx", dx, dx_ref)
        except CheckFailure as exc:
            raise CheckFailure(f"{exc}\n  {advice(dx)}".rstrip()) from None
        if numeric is not None:
            expect_close("dx (vs centered finite differences)", dx, numeric)
    return judge


def pool_backward_case(x, pool_size, stride, dout, label, **kw) -> Case:
    return Case((dout, (x, pool_size, stride)), judge_max_pool_backward(x, pool_size, stride, dout, **kw),
                label=label)


def _pool_out_shape(x_shape, pool_size, stride):
    N, H, W, C = x_shape
    return (N, (H - pool_size) // stride + 1, (W - pool_size) // stride + 1, C)


def relu_like(rng, *shape, zeros=0.5):
    """Random values with about `zeros` of them exactly 0, as after a ReLU: windows with tied maxima."""
    x = np.abs(random_array(rng, *shape))
    x[rng.random(shape) < zeros] = 0.0
    return x


@checks.exercise("max_pool_backward")
def _max_pool_backward():
    x = POOL_IMAGE.reshape(1, 4, 4, 1)
    yield pool_backward_case(x, 2, 2, np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 2, 2, 1),
                             "the worked example, dout = [[1 2] [3 4]]: 1 goes to the 6, 2 to the 5, 3 to the "
                             "first 3, 4 to the 4")
    rng = np.random.default_rng(73)
    for N, H, W, C, pool, stride in POOL_SHAPES:
        x = distinct_array(rng, N, H, W, C)
        dout = random_array(rng, *_pool_out_shape(x.shape, pool, stride))
        yield pool_backward_case(x, pool, stride, dout, f"x {x.shape}, pool_size {pool}, stride {stride}"
                                 + (" (overlapping windows)" if stride < pool else ""))
    x = np.zeros((1, 4, 4, 2))
    x[0, 1, 1, 0] = 2.0
    yield pool_backward_case(x, 2, 2, random_array(rng, 1, 2, 2, 2),
                             "windows of zeros (tied maxima): the gradient goes to the first entry of each")
    x = relu_like(rng, 2, 6, 6, 3)
    yield pool_backward_case(x, 2, 2, random_array(rng, 2, 3, 3, 3), "a ReLU output, half of it exactly 0 (ties)")


# ==== the fast convolution ==========================================================================

def _excluded_dirs():
    paths = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    paths.add(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # utils itself
    return tuple(os.path.join(os.path.realpath(p), "") for p in paths)


def count_python_lines(fn, *args, **kwargs):
    """(fn(*args, **kwargs), the number of Python lines executed in code outside the standard
    library, installed packages and `utils` — the student's own code)."""
    excluded = _excluded_dirs()
    counted = {}
    count = 0

    def mine(code):
        keep = counted.get(code)
        if keep is None:
            name = code.co_filename
            path = os.path.realpath(name) if os.path.isabs(name) else name
            keep = counted[code] = not (path.startswith(excluded) or name.startswith("<frozen"))
        return keep

    def local(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return local

    def tracer(frame, event, arg):
        return local if event == "call" and mine(frame.f_code) else None

    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        out = fn(*args, **kwargs)
    finally:
        sys.settrace(old)
    return out, count


def traced_pair(fn, small, large, stride, pad):
    """Drive conv_forward_fast on two inputs: (out_small, lines_small, out_large, lines_large)."""
    out_s, lines_s = count_python_lines(fn, *small, stride=stride, pad=pad)
    out_l, lines_l = count_python_lines(fn, *large, stride=stride, pad=pad)
    return out_s, lines_s, out_l, lines_l


#: how many more Python lines the larger input may run (none are needed; a loop over output rows
#: adds at least one per extra row, 16 here)
EXTRA_LINES = 3


def judge_vectorised(small, large, stride, pad, *, diagnose=True):
    """Both outputs right; the Python line count must not grow with the number of output positions."""
    judges = [judge_conv_forward("conv_forward_fast", *small, stride, pad, diagnose=diagnose),
              judge_conv_forward("conv_forward_fast", *large, stride, pad, diagnose=diagnose)]
    positions = [int(np.prod(_conv_shape(a[0].shape, a[1].shape, stride, pad)[1:3])) for a in (small, large)]

    def judge(out):
        out_s, lines_s, out_l, lines_l = out
        judges[0](out_s)
        judges[1](out_l)
        expect(lines_l <= lines_s + EXTRA_LINES,
               f"conv_forward_fast ran {lines_s} lines of Python for {positions[0]} output positions per image, "
               f"and {lines_l} for {positions[1]}: it loops over output positions. Compute every window at once "
               f"(np.lib.stride_tricks.sliding_window_view, or slices of the padded input for each of the "
               f"HH * WW filter offsets) and let one matrix product do the sums. Loops whose length does not "
               f"depend on H and W are fine.")
    return judge


def vectorised_case(rng, N, sizes, C, HH, WW, F, stride, pad, label, *, diagnose=True) -> Case:
    w, b = random_array(rng, HH, WW, C, F), random_array(rng, F)
    small = (random_array(rng, N, sizes[0], sizes[0], C), w, b)
    large = (random_array(rng, N, sizes[1], sizes[1], C), w, b)
    return Case((small, large, stride, pad), judge_vectorised(small, large, stride, pad, diagnose=diagnose),
                label=label, call=traced_pair)


@checks.exercise("conv_forward_fast")
def _conv_forward_fast():
    yield _edge_case("conv_forward_fast")
    yield from _random_conv_cases("conv_forward_fast", 74)
    rng = np.random.default_rng(75)
    x, w, b = conv_inputs(rng, 8, 32, 32, 3, 5, 5, 8)
    yield conv_case("conv_forward_fast", x, w, b, 2, 2, "a larger input: x (8, 32, 32, 3), w (5, 5, 3, 8), "
                    "stride 2, pad 2", diagnose=False)
    yield vectorised_case(rng, 2, (10, 26), 3, 3, 3, 4, 1, 1,
                          "vectorised: 10x10 and 26x26 images must run the same Python lines", diagnose=False)


# ==== LeNet in Keras ================================================================================

def describe_model(model) -> list:
    """A Keras model as plain data: per layer (type, output shape, parameter count, settings)."""
    rows = []
    for layer in model.layers:
        cfg = layer.get_config()
        settings = {}
        for key in ("filters", "kernel_size", "strides", "padding", "pool_size", "units", "rate"):
            if key in cfg:
                value = cfg[key]
                settings[key] = list(value) if isinstance(value, (tuple, list)) else value
        if "activation" in cfg:
            settings["activation"] = str(cfg["activation"])
        shape = getattr(layer, "output", None)
        shape = [(-1 if d is None else int(d)) for d in shape.shape] if shape is not None else []
        rows.append({"type": type(layer).__name__, "output_shape": shape, "params": int(layer.count_params()),
                     **settings})
    inputs = [(-1 if d is None else int(d)) for d in model.inputs[0].shape] if getattr(model, "inputs", None) else []
    return [{"input_shape": inputs, "params": int(model.count_params())}] + rows


def build_and_describe(fn, **kwargs):
    """Call the student's builder; return its model as plain data (see describe_model)."""
    import keras
    model = fn(**kwargs)
    if not isinstance(model, keras.Model):
        raise CheckFailure(f"build_lenet should return a Keras model, got {type(model).__name__}")
    if not model.built or not getattr(model, "inputs", None):
        raise CheckFailure("the model has no input shape: start the Sequential with keras.Input((28, 28, 1))")
    return describe_model(model)


def lenet_spec(filters, units, dropout):
    """The layers build_lenet must produce: (type, output shape, parameter count, settings)."""
    f1, f2 = filters
    u1, u2 = units
    flat = 5 * 5 * f2
    spec = [("Conv2D", [-1, 28, 28, f1], (5 * 5 * 1 + 1) * f1,
             {"filters": f1, "kernel_size": [5, 5], "strides": [1, 1], "padding": "same", "activation": "relu"}),
            ("MaxPooling2D", [-1, 14, 14, f1], 0, {"pool_size": [2, 2], "strides": [2, 2]}),
            ("Conv2D", [-1, 10, 10, f2], (5 * 5 * f1 + 1) * f2,
             {"filters": f2, "kernel_size": [5, 5], "strides": [1, 1], "padding": "valid", "activation": "relu"}),
            ("MaxPooling2D", [-1, 5, 5, f2], 0, {"pool_size": [2, 2], "strides": [2, 2]}),
            ("Flatten", [-1, flat], 0, {})]
    if dropout:
        spec.append(("Dropout", [-1, flat], 0, {"rate": dropout}))
    spec.append(("Dense", [-1, u1], (flat + 1) * u1, {"units": u1, "activation": "relu"}))
    if dropout:
        spec.append(("Dropout", [-1, u1], 0, {"rate": dropout}))
    spec += [("Dense", [-1, u2], (u1 + 1) * u2, {"units": u2, "activation": "relu"}),
             ("Dense", [-1, 10], (u2 + 1) * 10, {"units": 10, "activation": "softmax"})]
    return spec


def _layer_text(kind, shape, settings):
    inner = ", ".join(f"{k}={v!r}" for k, v in settings.items())
    return f"{kind}({inner}) -> {tuple(None if d == -1 else d for d in shape)}"


def judge_lenet(filters, units, dropout):
    spec = lenet_spec(filters, units, dropout)
    total = sum(p for _, _, p, _ in spec)

    def judge(out):
        expect(isinstance(out, list) and len(out) >= 1 and isinstance(out[0], dict), "internal: no model description")
        head, layers = out[0], out[1:]
        expect(list(head["input_shape"]) == [-1, 28, 28, 1],
               f"the model's input should be (None, 28, 28, 1) (keras.Input((28, 28, 1))), got "
               f"{tuple(None if d == -1 else d for d in head['input_shape'])}")
        kinds = [layer["type"] for layer in layers]
        expected_kinds = [kind for kind, _, _, _ in spec]
        if kinds != expected_kinds:
            raise CheckFailure(f"the layers should be\n    {expected_kinds}\n  got\n    {kinds}"
                               + ("\n  (dropout > 0: one Dropout after Flatten, one after the first Dense)"
                                  if dropout else "\n  (no Dropout layers when dropout = 0)" if "Dropout" in kinds else ""))
        for k, ((kind, shape, params, settings), layer) in enumerate(zip(spec, layers), start=1):
            for key, value in settings.items():
                got = layer.get(key)
                if key == "rate":
                    ok = got is not None and abs(float(got) - value) < 1e-12
                else:
                    ok = got == value
                expect(ok, f"layer {k} ({kind}) should have {key}={value!r}, got {got!r}: expected "
                           f"{_layer_text(kind, shape, settings)}")
            expect(list(layer["output_shape"]) == shape,
                   f"layer {k} ({kind}) outputs {tuple(None if d == -1 else d for d in layer['output_shape'])}, "
                   f"expected {tuple(None if d == -1 else d for d in shape)}")
            expect(layer["params"] == params, f"layer {k} ({kind}) has {layer['params']} parameters, expected {params}")
        expect(head["params"] == total, f"the model has {head['params']} parameters, expected {total}")
    return judge


def lenet_case(filters, units, dropout, label) -> Case:
    return Case((), judge_lenet(filters, units, dropout), label=label,
                kwargs={"filters": tuple(filters), "units": tuple(units), "dropout": dropout}, call=build_and_describe)


#: LeNet-5's parameter count with 28x28 inputs and 'same' padding in the first layer
LENET5_PARAMS = 61_706


@checks.exercise("build_lenet")
def _build_lenet():
    yield lenet_case((6, 16), (120, 84), 0.0, f"LeNet-5: filters (6, 16), units (120, 84), no dropout "
                                              f"({LENET5_PARAMS:,} parameters)")
    yield lenet_case((32, 64), (256, 128), 0.25, "the wider network the notebook trains, dropout 0.25")
