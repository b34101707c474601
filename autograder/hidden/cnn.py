"""Hidden checks for notebook 07: random shapes, strides, paddings and seeds (NHWC).

- Values against TensorFlow (`tf.nn.conv2d` with explicit padding, `tf.nn.max_pool2d`) and against
  a numpy reference kept here (instructor-only); `conv_forward_fast` also against a plain-loop
  reference, on a larger input against TensorFlow, and it must run the same Python lines on a small
  and a large image (see `utils.checks.cnn.count_python_lines`; nothing is timed).
- Every gradient against TensorFlow autodiff *and* centered finite differences of the numpy
  reference, to 1e-7 in float64. Convolutions are linear in x, in w and in b, and max pooling is
  piecewise linear, so centered differences are exact up to rounding.
- Max-pooling ties are handled deliberately: the cases with finite differences use values that are
  all distinct and at least 1e-3 apart (`distinct_array`), so no window has tied maxima and the step
  h = 1e-5 never changes a window's argmax; the cases *with* ties (windows of zeros, as after a ReLU)
  are judged against TensorFlow alone, whose convention (the first maximum in row-major order) the
  notebook states. There the derivative is not defined and finite differences say nothing.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from utils.checks.cnn import (_conv_shape, _pool_out_shape, conv_backward_case, conv_case, distinct_array,
                              judge_max_pool_forward, lenet_case, pool_backward_case, relu_like, vectorised_case)
from utils.checks.cnn import judge_output_size
from utils.checks.core import Case, Registry, random_array
from utils.gradcheck import eval_numerical_gradient_array

checks = Registry("07_cnn")
SEED = 707_070


# ---- numpy references, for finite differences and as a second opinion (instructor-only) ---------

def ref_conv(x, w, b, stride, pad):
    """Cross-correlation in NHWC by einsum over a strided view of the padded input."""
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    view = sliding_window_view(xp, w.shape[:2], axis=(1, 2))[:, ::stride, ::stride]   # N, H', W', C, HH, WW
    return np.einsum("nhwcij,ijcf->nhwf", view, w) + b


def ref_conv_loops(x, w, b, stride, pad):
    """The same with plain loops over positions: the naive reference conv_forward_fast must equal."""
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    HH, WW, _, F = w.shape
    N, Ho, Wo, _ = _conv_shape(x.shape, w.shape, stride, pad)
    out = np.empty((N, Ho, Wo, F))
    for i in range(Ho):
        for j in range(Wo):
            patch = xp[:, i * stride:i * stride + HH, j * stride:j * stride + WW, :]
            out[:, i, j, :] = np.tensordot(patch, w, axes=([1, 2, 3], [0, 1, 2]))
    return out + b


def ref_max_pool(x, pool_size, stride):
    view = sliding_window_view(x, (pool_size, pool_size), axis=(1, 2))[:, ::stride, ::stride]
    return view.max(axis=(-2, -1))


def numeric_conv_grads(x, w, b, stride, pad, dout, num_checks=None):
    x, w, b = (np.array(a, dtype=np.float64) for a in (x, w, b))
    kw = dict(num_checks=num_checks, rng=1) if num_checks else {}
    return {"dx": eval_numerical_gradient_array(lambda v: ref_conv(v, w, b, stride, pad), x, dout, **kw),
            "dw": eval_numerical_gradient_array(lambda v: ref_conv(x, v, b, stride, pad), w, dout, **kw),
            "db": eval_numerical_gradient_array(lambda v: ref_conv(x, w, v, stride, pad), b, dout)}


# ---- random shapes ----------------------------------------------------------------------------------

def random_conv_shape(rng):
    """(N, H, W, C, HH, WW, F, stride, pad) with the filter fitting the padded input."""
    while True:
        N, C, F = (int(v) for v in rng.integers(1, 4, size=3))
        H, W = (int(v) for v in rng.integers(3, 10, size=2))
        HH, WW = (int(v) for v in rng.integers(1, 6, size=2))
        stride, pad = int(rng.integers(1, 4)), int(rng.integers(0, 3))
        if HH <= H + 2 * pad and WW <= W + 2 * pad:
            return N, H, W, C, HH, WW, F, stride, pad


def _conv_inputs(rng, N, H, W, C, HH, WW, F):
    return (random_array(rng, N, H, W, C, scale=float(rng.uniform(0.5, 3))),
            random_array(rng, HH, WW, C, F, scale=float(rng.uniform(0.2, 2))), random_array(rng, F))


@checks.exercise("conv_output_size")
def _conv_output_size():
    rng = np.random.default_rng(SEED)
    cases = [(int(rng.integers(1, 300)), int(rng.integers(1, 12)), int(rng.integers(0, 6)), int(rng.integers(1, 6)))
             for _ in range(12)]
    cases += [(5, 7, 1, 1), (9, 3, 0, 4), (1000, 11, 5, 4), (13, 13, 0, 3)]   # exact fit, stride > f, large, f = n
    for n, f, pad, stride in cases:
        if f > n + 2 * pad:
            f = n + 2 * pad
        yield Case((n, f), judge_output_size(n, f, pad, stride), kwargs={"pad": pad, "stride": stride},
                   label=f"n={n}, f={f}, pad={pad}, stride={stride}")


def _forward_cases(name, seed, reference):
    rng = np.random.default_rng(seed)
    for _ in range(6):
        N, H, W, C, HH, WW, F, stride, pad = random_conv_shape(rng)
        x, w, b = _conv_inputs(rng, N, H, W, C, HH, WW, F)
        yield conv_case(name, x, w, b, stride, pad, f"x {x.shape}, w {w.shape}, stride {stride}, pad {pad}",
                        reference=reference(x, w, b, stride, pad))
    x, w, b = _conv_inputs(rng, 2, 5, 6, 3, 1, 1, 4)
    yield conv_case(name, x, w, b, 1, 0, "1x1 filters", reference=reference(x, w, b, 1, 0))
    x, w, b = _conv_inputs(rng, 2, 4, 4, 2, 6, 6, 3)
    yield conv_case(name, x, w, b, 2, 1, "a 6x6 filter covering the whole padded 4x4 input (output 1x1)",
                    reference=reference(x, w, b, 2, 1))


@checks.exercise("conv_forward_naive")
def _conv_forward_naive():
    yield from _forward_cases("conv_forward_naive", SEED + 1, ref_conv)


@checks.exercise("conv_backward_naive")
def _conv_backward_naive():
    rng = np.random.default_rng(SEED + 2)
    shapes = [random_conv_shape(rng) for _ in range(5)] + [(2, 7, 6, 3, 3, 3, 2, 1, 2), (1, 9, 9, 2, 4, 4, 3, 2, 0)]
    for N, H, W, C, HH, WW, F, stride, pad in shapes:
        x, w, b = _conv_inputs(rng, N, H, W, C, HH, WW, F)
        dout = random_array(rng, *_conv_shape(x.shape, w.shape, stride, pad))
        yield conv_backward_case(x, w, b, stride, pad, dout, f"x {x.shape}, w {w.shape}, stride {stride}, pad {pad}",
                                 numeric=numeric_conv_grads(x, w, b, stride, pad, dout))
    x, w, b = _conv_inputs(rng, 3, 12, 11, 4, 5, 5, 6)
    dout = random_array(rng, *_conv_shape(x.shape, w.shape, 2, 2))
    yield conv_backward_case(x, w, b, 2, 2, dout, f"a larger x {x.shape}, w {w.shape}, stride 2, pad 2 "
                             f"(finite differences on 150 sampled entries of x and of w)",
                             numeric=numeric_conv_grads(x, w, b, 2, 2, dout, num_checks=150))


@checks.exercise("max_pool_forward")
def _max_pool_forward():
    rng = np.random.default_rng(SEED + 3)
    shapes = [(2, 6, 6, 3, 2, 2), (1, 9, 7, 2, 3, 2), (2, 8, 8, 2, 4, 4), (1, 7, 7, 3, 2, 3), (3, 5, 4, 1, 1, 1)]
    for N, H, W, C, pool, stride in shapes:
        x = distinct_array(rng, N, H, W, C)
        yield Case((x, pool, stride), judge_max_pool_forward(x, pool, stride),
                   label=f"x {x.shape}, pool_size {pool}, stride {stride}")
    x = -np.abs(distinct_array(rng, 2, 6, 6, 2)) - 1.0
    yield Case((x, 2, 2), judge_max_pool_forward(x, 2, 2), label="every entry negative")
    x = relu_like(rng, 2, 6, 6, 3)
    yield Case((x, 3, 3), judge_max_pool_forward(x, 3, 3), label="a ReLU output (ties)")


def _pool_numeric(x, pool, stride, dout):
    return eval_numerical_gradient_array(lambda v: ref_max_pool(v, pool, stride), np.array(x, dtype=np.float64), dout)


@checks.exercise("max_pool_backward")
def _max_pool_backward():
    rng = np.random.default_rng(SEED + 4)
    shapes = [(2, 6, 6, 3, 2, 2), (1, 9, 7, 2, 3, 2), (2, 8, 8, 2, 4, 4), (1, 7, 7, 3, 2, 3), (2, 6, 5, 2, 3, 1)]
    for N, H, W, C, pool, stride in shapes:
        x = distinct_array(rng, N, H, W, C)
        dout = random_array(rng, *_pool_out_shape(x.shape, pool, stride))
        yield pool_backward_case(x, pool, stride, dout, f"x {x.shape}, pool_size {pool}, stride {stride}"
                                 + (" (overlapping windows)" if stride < pool else ""),
                                 numeric=_pool_numeric(x, pool, stride, dout))
    x = -np.abs(distinct_array(rng, 2, 6, 6, 2)) - 1.0
    dout = random_array(rng, 2, 3, 3, 2)
    yield pool_backward_case(x, 2, 2, dout, "every entry negative", numeric=_pool_numeric(x, 2, 2, dout))
    x = relu_like(rng, 2, 8, 8, 3, zeros=0.7)
    yield pool_backward_case(x, 2, 2, random_array(rng, 2, 4, 4, 3), "a ReLU output, 70 % zeros (ties; vs TF)")
    x = relu_like(rng, 1, 7, 7, 2, zeros=0.7)
    yield pool_backward_case(x, 3, 2, random_array(rng, 1, 3, 3, 2),
                             "ties in overlapping 3x3 windows, stride 2 (vs TF)")


@checks.exercise("conv_forward_fast")
def _conv_forward_fast():
    yield from _forward_cases("conv_forward_fast", SEED + 5, ref_conv_loops)
    rng = np.random.default_rng(SEED + 6)
    x, w, b = _conv_inputs(rng, 6, 40, 36, 4, 7, 5, 6)
    yield conv_case("conv_forward_fast", x, w, b, 3, 3, "a larger x (6, 40, 36, 4), w (7, 5, 4, 6), stride 3, pad 3",
                    reference=ref_conv_loops(x, w, b, 3, 3))
    yield vectorised_case(rng, 3, (9, 27), 2, 3, 3, 3, 2, 0,
                          "vectorised: 9x9 and 27x27 images, stride 2, must run the same Python lines")


@checks.exercise("build_lenet")
def _build_lenet():
    yield lenet_case((4, 12), (50, 30), 0.3, "filters (4, 12), units (50, 30), dropout 0.3")
    yield lenet_case((8, 8), (64, 32), 0.0, "filters (8, 8), units (64, 32), no dropout")
