# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 07 · Convolutional networks (합성곱 신경망)
#
# A fully connected network sees an image as a list of numbers. It does not know that pixel 29 sits
# right below pixel 1, or that a shirt shifted two pixels to the left is still a shirt. A
# **convolutional neural network (CNN, 합성곱 신경망)** builds that knowledge in: it slides small
# filters over the image, uses the same filter at every position, and so needs far fewer weights
# and recognises a pattern wherever it appears. CNNs took over computer vision — image
# classification, object detection, neural style transfer — and they are what this notebook is
# about.
#
# You will write a convolution layer and a max-pooling layer in numpy, forward and backward, then
# a fast convolution that turns the whole layer into one matrix product. Then you build a
# LeNet-5-style network in Keras, train it on Fashion-MNIST, and look at what its first layer has
# learned. The notebook ends with the idea behind ResNet, the residual block, and with Keras' data
# augmentation layers.
#
# **You will implement:** `conv_output_size`, `conv_forward_naive`, `conv_backward_naive`,
# `max_pool_forward`, `max_pool_backward`, `conv_forward_fast` and `build_lenet`. Each has a test
# cell right below it.
#
# **Layout.** Everything here is **NHWC**, as in Keras and `tf.nn.conv2d`: a batch of images is an
# array `x` of shape (N, H, W, C) — images, rows, columns, channels — the filters of a layer are
# `w` of shape (HH, WW, C, F), exactly a Keras `Conv2D` kernel, and the output is (N, H', W', F).
# (CS231n and PyTorch put the channels first, NCHW; the ideas are the same.)

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from utils import FAST
from utils.checks import check
from utils.conv_plots import show_feature_maps, show_filters, show_matrices
from utils.data import FASHION_MNIST_CLASSES, load_fashion_mnist, use_offline_cache
from utils.environment import persistent_folder
from utils.fit_plots import plot_train_val, show_images
from utils.gradcheck import eval_numerical_gradient_array, rel_error
from utils.training import fit_resumable, training_log

use_offline_cache()   # the course's local copy of the data, if there is one (else Keras downloads)

import keras  # noqa: E402  (after use_offline_cache: Keras reads its data folder when imported)
import tensorflow as tf  # noqa: E402

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. What flattening throws away
#
# To feed a 28×28 image to a dense layer we **flatten** it into a vector of 784 numbers. The layer
# then has one weight for every (pixel, unit) pair and treats the pixels as 784 unrelated inputs:
# "the shape of the data is ignored", as the notes put it. Two consequences:
#
# - **The order of the pixels means nothing.** Shuffle the pixels of every image with one fixed
#   permutation, shuffle the rows of the first weight matrix the same way, and the network computes
#   exactly the same thing. A dense network learns the shuffled images as well as the real ones:
#   it never used the fact that neighbouring pixels belong together.
# - **A small shift is a big change.** Move an image two pixels to the left and almost every
#   input unit receives a different value. To the network that is a new input; it has to learn the
#   shifted shirt separately, from examples in which shirts happen to sit further left. The notes
#   list this weakness: sensitivity to position, size, angle and lighting.
#
# Here is a Fashion-MNIST image, the same image shifted by two pixels, and its pixels shuffled:

# %%
(x_train_all, y_train_all), (x_test_all, y_test_all) = load_fashion_mnist()
shirt, other_shirt = x_train_all[np.flatnonzero(y_train_all == 6)[:2]] / 255.0   # (28, 28) each, in [0, 1]
shifted = np.roll(shirt, -2, axis=1)
shuffled = shirt.ravel()[np.random.default_rng(0).permutation(784)].reshape(28, 28)
show_images([shirt, shifted, other_shirt, shuffled],
            ["a shirt", "shifted 2 px left", "another shirt", "pixels shuffled"], size=2.2)
plt.show()
distance = lambda a, b: np.linalg.norm(a.ravel() - b.ravel())   # noqa: E731
print(f"distance of the flattened vectors: shirt to shifted shirt {distance(shirt, shifted):.2f}, "
      f"shirt to another shirt {distance(shirt, other_shirt):.2f}")

# %% [markdown]
# For a dense layer the shifted copy of a shirt is *farther* from the original than a different
# shirt is. The notes name two remedies: make more training data by shifting, turning and flipping
# the images (data augmentation, section 10), and use layers that keep the image's shape, the
# **convolution layer (합성곱층)**.
#
# ## 2. Convolution (합성곱)
#
# A convolution layer slides a small **filter (필터)**, also called a kernel, over the image. At
# each position it multiplies the filter with the patch of the image under it, entry by entry, and
# adds up the products: one number. The numbers of all positions form the **feature map (특성 맵)**,
# a new image that is large where the patch looks like the filter. For a single-channel image $x$
# and an $f \times f$ filter $w$:
#
# $$\text{out}[i, j] = \sum_{a=0}^{f-1} \sum_{b=0}^{f-1} x[i + a,\, j + b]\; w[a, b] \; + \; \text{bias}.$$
#
# **Worked example: edge detection.** The notes' first use of a filter is to find edges. Take a
# 6×6 image whose left half is bright (10) and right half dark (0), and a 3×3 filter that is
# positive on its left column, 0 in the middle, negative on the right. Where the patch is one
# colour the products cancel: $10 + 10 + 10 - 10 - 10 - 10 = 0$. Where the patch straddles the
# edge — its left columns bright, its right column dark — they do not: at position $(0, 1)$ the
# patch has columns $(10, 10, 0)$, so the sum is $3 \cdot 10 \cdot 1 + 3 \cdot 10 \cdot 0 + 3
# \cdot 0 \cdot (-1) = 30$. Each of the 4×4 positions gives
#
# $$\begin{pmatrix} 0 & 30 & 30 & 0 \\ 0 & 30 & 30 & 0 \\ 0 & 30 & 30 & 0 \\ 0 & 30 & 30 & 0 \end{pmatrix}:$$
#
# a bright vertical stripe where the edge is. (As in the notes' pictures, high values are light and
# low values dark. On a 6-pixel image the stripe is 2 of 4 pixels wide; on a real image it is thin.)

# %%
edge_image = np.array([[10.0] * 3 + [0.0] * 3] * 6)
vertical_edge = np.array([[1.0, 0.0, -1.0]] * 3)
feature_map = np.array([[np.sum(edge_image[i:i + 3, j:j + 3] * vertical_edge) for j in range(4)]
                        for i in range(4)])
show_matrices([edge_image, vertical_edge, feature_map], ["image (6×6)", "filter (3×3)", "feature map (4×4)"])
plt.show()

# %% [markdown]
# **Channels and filters.** A colour image has three channels, and the feature maps of a layer
# are the channels of the next layer's input. A filter then spans all $C$ input channels — it is
# $f \times f \times C$ — and sums over them too. A layer has $F$ filters, each with its own bias,
# and produces $F$ feature maps: "as many outputs as filters", in the notes' words. With $n$
# indexing images and $s$ the stride (below):
#
# $$\text{out}[n, i, j, k] = b[k] + \sum_{a, b', c} x_\text{pad}[n,\; i s + a,\; j s + b',\; c]\; w[a, b', c, k].$$
#
# > **Convolution or cross-correlation?** In mathematics a convolution flips the kernel first,
# > $\sum_a x[i - a]\, w[a]$. What deep-learning libraries call convolution, and what this notebook
# > computes, does not flip: it is a **cross-correlation**. For learning it makes no difference (the
# > network would simply learn the flipped filter), but it matters as soon as you compare with a
# > library or use a hand-made filter: flipped, the edge filter above gives $-30$ instead of $30$.
#
# ## 3. Padding, stride and the output size
#
# A 3×3 filter fits $6 - 3 + 1 = 4$ times across a 6-pixel row: every convolution shrinks the
# image (the notes: "a 2×2 border gets cut off"), and the border pixels take part in fewer
# windows than the central ones. **Padding (패딩)** puts $p$ rows and columns of zeros around the
# input first. With $p = (f - 1) / 2$ for an odd $f$ the output has the input's size ("same"
# padding; Keras' `padding="same"`; no padding is `"valid"`).
#
# The **stride (스트라이드)** — the notes: "the stride is the step" (걸음걸이) — is how far the
# filter moves between positions. With stride 2 it skips every other position and the output has
# about half the size in each direction.
#
# With input size $n$, filter size $f$, padding $p$ and stride $s$, the filter's first window
# starts at 0 and the last must end inside the padded input of size $n + 2p$. The output size is
#
# $$n_\text{out} = \left\lfloor \frac{n + 2p - f}{s} \right\rfloor + 1 .$$
#
# When $s$ does not divide $n + 2p - f$, the last, incomplete window is dropped: the division
# rounds down, as in TensorFlow and Keras.
#
# **The notes' example.** $n = 39$, $f = 5$, $p = 0$, $s = 2$:
# $\frac{39 + 0 - 5}{2} + 1 = \frac{34}{2} + 1 = 17 + 1 = 18$.
#
# > **A slip in the notes.** The notes compute $39 + 0 - 5 = 34$, $34 / 2 = 17$ and stop: "17". They
# > forgot the $+ 1$. The filter can move $34 / 2 = 17$ times, but it had a position before its
# > first move: the windows start at $0, 2, 4, \dots, 34$, which are 18 positions. TensorFlow agrees:

# %%
out = tf.nn.conv2d(tf.zeros((1, 39, 39, 1)), tf.zeros((5, 5, 1, 1)), strides=2, padding="VALID")
print("a 39x39 input, a 5x5 filter, stride 2, no padding ->", tuple(out.shape[1:3]))

# %% [markdown]
# ### Exercise 1 — `conv_output_size`
# Return the output size as an `int` (you will use it as an array shape), rounded down when the
# stride does not divide evenly. You may assume the filter fits: $f \le n + 2p$.

# %% nbgrader={"grade_id": "conv_output_size", "solution": true}
def conv_output_size(n, f, pad=0, stride=1):
    """Output length of a convolution (or pooling) along one axis.

    n: input size; f: filter size; pad: zeros added on each side; stride: the step.
    Returns an int: floor((n + 2 * pad - f) / stride) + 1.
    """
    ### BEGIN SOLUTION
    size = (n - f + 2 * pad) // stride + 1
    ### END SOLUTION
    return size


# %% nbgrader={"grade_id": "test_conv_output_size", "grade": true, "points": 1}
check("conv_output_size", conv_output_size)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("conv_output_size", conv_output_size)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2 — `conv_forward_naive`
# The forward pass of a convolution layer, with explicit loops: over the images, the output rows,
# the output columns and the filters. Pad `x` with `pad` zeros on each side of H and W
# (`np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))`: nothing on the batch and channel axes).
# The window of output position $(i, j)$ is `x_pad[n, i*stride : i*stride + HH, j*stride : j*stride + WW, :]`,
# of shape (HH, WW, C) like each filter `w[:, :, :, f]`. Return the cache as given; the backward
# pass will need it. The loops make this slow; section 5 makes it fast.
#
# **Worked example.** On the 6×6 edge image (as an array of shape (1, 6, 6, 1)) with the vertical-edge
# filter (shape (3, 3, 1, 1)), bias 0, stride 1 and no padding, `out[0, :, :, 0]` is the feature
# map above.

# %% nbgrader={"grade_id": "conv_forward_naive", "solution": true}
def conv_forward_naive(x, w, b, stride=1, pad=0):
    """Convolution layer (cross-correlation), forward, with loops.

    x: (N, H, W, C) images; w: (HH, WW, C, F) filters; b: (F,) biases;
    stride: the step of the window; pad: zeros added on each side of H and W.
    Returns (out, cache): out (N, H', W', F), H' = conv_output_size(H, HH, pad, stride), likewise W';
    cache = (x, w, b, stride, pad).
    """
    N, H, W, C = x.shape
    HH, WW, _, F = w.shape
    ### BEGIN SOLUTION
    H_out, W_out = conv_output_size(H, HH, pad, stride), conv_output_size(W, WW, pad, stride)
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    out = np.zeros((N, H_out, W_out, F))
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                patch = xp[n, i * stride:i * stride + HH, j * stride:j * stride + WW, :]
                for f in range(F):
                    out[n, i, j, f] = np.sum(patch * w[:, :, :, f]) + b[f]
    ### END SOLUTION
    return out, (x, w, b, stride, pad)


# %% nbgrader={"grade_id": "test_conv_forward_naive", "grade": true, "points": 3}
check("conv_forward_naive", conv_forward_naive)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("conv_forward_naive", conv_forward_naive)
### END HIDDEN TESTS

# %% [markdown]
# ### Edges in a real image
#
# Two classic 3×3 edge filters, the Sobel filters: one responds to vertical edges (brightness
# changing from left to right), its transpose to horizontal ones. Applied with your function to a
# Fashion-MNIST image, with one input channel and two filters:

# %%
sobel = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
edge_filters = np.stack([sobel, sobel.T], axis=-1)[:, :, None, :]        # (3, 3, 1, 2)
boot = x_train_all[np.flatnonzero(y_train_all == 9)[0]] / 255.0
maps, _ = conv_forward_naive(boot.reshape(1, 28, 28, 1), edge_filters, np.zeros(2), pad=1)
show_images([boot, np.abs(maps[0, :, :, 0]), np.abs(maps[0, :, :, 1])],
            ["an ankle boot", "|vertical edges|", "|horizontal edges|"], size=2.6)
plt.show()

# %% [markdown]
# The sign of the response says on which side the bright part is; its absolute value, plotted
# here, says how strong the edge is. The vertical-edge filter outlines the boot's toe and heel,
# the horizontal one its sole and its top.
#
# **The same filter everywhere.** Because the filter is the same at every position, shifting the
# input shifts the feature map by the same amount and changes nothing else (away from the border).
# This is called translation **equivariance**. A dense layer has nothing like it.

# %%
shifted_maps, _ = conv_forward_naive(np.roll(boot, 3, axis=1).reshape(1, 28, 28, 1), edge_filters,
                                     np.zeros(2), pad=1)
inner = slice(5, 23)       # columns away from the border, where np.roll's wrap-around does not reach
print("map of the shifted image == shifted map of the image:",
      np.allclose(shifted_maps[0, :, inner], np.roll(maps[0], 3, axis=1)[:, inner]))

# %% [markdown]
# ### The backward pass
#
# In a network the filters are not made by hand: they are learned, so we need the gradients of the
# loss with respect to $w$ and $b$, and with respect to $x$ to pass on to the layers below. You
# derive them yourself, with notebook 02's method. Read the forward pass as a graph:
# $\text{out}[n, i, j, k] = b[k] + \sum_{a, b', c} x_\text{pad}[n, is + a, js + b', c]\, w[a, b', c, k]$
# is one add gate over many multiply gates, one for each filter entry. Two things make it different
# from the affine layer:
#
# - **Sharing.** The same $w[a, b', c, k]$ and $b[k]$ are used at every position of every image. A
#   variable used many times collects a gradient from every use (notebook 02's habit 2).
# - **Overlap.** A pixel lies in every window that covers it — with stride 1 in up to $HH \cdot WW$
#   windows, in fewer near the border or with a larger stride — so it feeds many outputs, and
#   collects from each of them.
#
# Working out "which outputs used me?" entry by entry is awkward with strides and borders. The
# code can go the other way round: loop over the outputs, as the forward pass did, and let every
# output send its upstream gradient, times the local derivative, back to *everything it used* —
# adding (`+=`) into gradient arrays that start at zero. When the loops end, every variable has
# collected from all of its uses.
#
# **Worked example: a 1-D window energy.** A different function, to show the pattern. Slide a window
# of $k$ numbers with stride $s$ along a vector $x$; each output is a shared scale $a$ times the sum
# of squares in its window, plus a shared offset $c$:
#
# $$y[i] = a \sum_{t=0}^{k-1} x[is + t]^2 + c .$$
#
# One output's local derivatives: $\partial y[i] / \partial x[is + t] = 2a\, x[is + t]$ for the $k$
# entries of its window (0 for every other entry), $\partial y[i] / \partial a = \sum_t x[is + t]^2$
# and $\partial y[i] / \partial c = 1$. Output $i$ sends $dy[i]$ times each of them back.
#
# By hand, with $x = (1, 2, -1, 3, 0)$, $k = 3$, $s = 2$, $a = 0.5$ and $c = 1$: the windows start
# at 0 and 2, so both contain $x[2]$. Forward: $y[0] = 0.5 \cdot (1 + 4 + 1) + 1 = 4$ and
# $y[1] = 0.5 \cdot (1 + 9 + 0) + 1 = 6$. Backward from $dy = (1, -2)$:
#
# - $dc = 1 + (-2) = -1$: both outputs used $c$;
# - $da = 1 \cdot 6 + (-2) \cdot 10 = -14$: both used $a$, each with its own sum of squares;
# - $dx$: window 0 sends $1 \cdot 2a \cdot (1, 2, -1) = (1, 2, -1)$ to $x[0..2]$, window 1 sends
#   $-2 \cdot 2a \cdot (-1, 3, 0) = (2, -6, 0)$ to $x[2..4]$, and $x[2]$ collects both:
#   $dx = (1, 2, -1 + 2, -6, 0) = (1, 2, 1, -6, 0)$.
#
# With padding, the forward pass works on the padded vector, and so does the backward pass; at the
# end it drops the gradient of the padding: those zeros are constants the layer added, not inputs.
# In code, with padding, and checked against finite differences:

# %%
def window_energy_forward(x, a, c, k, stride=1, pad=0):
    xp = np.pad(x, pad)
    n_out = (len(xp) - k) // stride + 1
    return np.array([a * np.sum(xp[i * stride:i * stride + k] ** 2) + c for i in range(n_out)])


def window_energy_backward(dy, x, a, c, k, stride=1, pad=0):
    """Gradients (dx, da, dc) of the window energy, output by output."""
    xp = np.pad(x, pad)
    dxp, da, dc = np.zeros_like(xp), 0.0, 0.0
    for i in range(len(dy)):                       # every output ...
        window = slice(i * stride, i * stride + k)
        dxp[window] += dy[i] * 2 * a * xp[window]  # ... sends its gradient to every input it used (+=)
        da += dy[i] * np.sum(xp[window] ** 2)      # ... and to the shared parameters
        dc += dy[i]
    return dxp[pad:pad + len(x)], da, dc           # the padding is not an input: drop its gradient


x1 = np.array([1.0, 2.0, -1.0, 3.0, 0.0])
dx1, da1, dc1 = window_energy_backward(np.array([1.0, -2.0]), x1, 0.5, 1.0, k=3, stride=2)
print(f"by hand: y = {window_energy_forward(x1, 0.5, 1.0, k=3, stride=2).tolist()}   "
      f"dx = {dx1.tolist()}   da = {float(da1)}   dc = {float(dc1)}")

rng = np.random.default_rng(5)
x1, a1, c1 = rng.standard_normal(9), np.array(0.8), np.array(-0.3)
dy1 = rng.standard_normal(window_energy_forward(x1, a1, c1, k=4, stride=2, pad=1).shape)
ours = window_energy_backward(dy1, x1, a1, c1, k=4, stride=2, pad=1)
numeric = [eval_numerical_gradient_array(lambda _: window_energy_forward(x1, a1, c1, k=4, stride=2, pad=1), v, dy1)
           for v in (x1, a1, c1)]
print("k = 4, stride 2, pad 1: relative errors vs finite differences",
      ", ".join(f"d{name} {rel_error(o, n):.1e}" for name, o, n in zip("xac", ours, numeric)))

# %% [markdown]
# ### Exercise 3 — `conv_backward_naive`
# Derive the convolution's three gradients and code them with loops, as in the forward pass:
#
# - For $b[k]$, for $w[a, b', c, k]$ and for a pixel $x_\text{pad}[n, r, q, c]$: which outputs used
#   it, and with which local derivative? (A multiply gate swaps: each factor's local derivative is
#   the other factor.)
# - Let every output $\text{out}[n, i, j, k]$ send $\text{dout}[n, i, j, k]$ times those local
#   derivatives back to what it used, accumulating into `db`, `dw` and `dx_pad`, all started at
#   zero; at the end, cut the padding off `dx_pad` to get `dx` with the shape of `x`.
#
# **Check yourself.** For the edge image with `dout` all ones, your function must return `db` $= 16$
# and `dw[:, :, 0, 0]` $= \begin{pmatrix} 120 & 80 & 40 \\ 120 & 80 & 40 \\ 120 & 80 & 40 \end{pmatrix}$.
# Why 16, and why does the filter's left column get 120 but its right column only 40? Explain that
# from the picture of the image and its 16 windows, and you have derived `dw`.

# %% nbgrader={"grade_id": "conv_backward_naive", "solution": true}
def conv_backward_naive(dout, cache):
    """Convolution layer, backward, with loops.

    dout: (N, H', W', F) upstream gradient; cache: (x, w, b, stride, pad) from the forward pass.
    Returns (dx, dw, db) with the shapes of x, w and b.
    """
    x, w, b, stride, pad = cache
    N, H, W, C = x.shape
    HH, WW, _, F = w.shape
    _, H_out, W_out, _ = dout.shape
    ### BEGIN SOLUTION
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    db = np.sum(dout, axis=(0, 1, 2))
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                rows, cols = slice(i * stride, i * stride + HH), slice(j * stride, j * stride + WW)
                for f in range(F):
                    dw[:, :, :, f] += dout[n, i, j, f] * xp[n, rows, cols, :]
                    dxp[n, rows, cols, :] += dout[n, i, j, f] * w[:, :, :, f]
    dx = dxp[:, pad:pad + H, pad:pad + W, :]
    ### END SOLUTION
    return dx, dw, db


# %% nbgrader={"grade_id": "test_conv_backward_naive", "grade": true, "points": 4}
check("conv_backward_naive", conv_backward_naive)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("conv_backward_naive", conv_backward_naive)
### END HIDDEN TESTS

# %% [markdown]
# The checks compared your gradients with TensorFlow's autodiff. Centered finite differences
# (notebook 02) agree as well, here with stride 2 and padding 1:

# %%
rng = np.random.default_rng(7)
xc, wc, bc = rng.standard_normal((2, 5, 5, 3)), rng.standard_normal((3, 3, 3, 4)), rng.standard_normal(4)
outc, cachec = conv_forward_naive(xc, wc, bc, stride=2, pad=1)
doutc = rng.standard_normal(outc.shape)
grads = conv_backward_naive(doutc, cachec)
for name, arr, ours in zip(("x", "w", "b"), (xc, wc, bc), grads):
    def forward(_, xc=xc, wc=wc, bc=bc):
        return conv_forward_naive(xc, wc, bc, stride=2, pad=1)[0]
    numeric = eval_numerical_gradient_array(forward, arr, doutc)
    print(f"d{name}: relative error vs finite differences {rel_error(ours, numeric):.1e}")

# %% [markdown]
# Seen from far away, your loops compute convolutions again: the one for `dw` slides the input
# against dout, and the one for `dx` spreads every dout value over its window, which amounts to a
# convolution of the (zero-padded) dout with the filter flipped. That is why libraries run the
# backward pass with the same fast code as the forward pass.
#
# ## 4. Max pooling
#
# **Pooling (풀링)** shrinks feature maps. **Max pooling (최대 풀링)** slides a window — typically
# 2×2 with stride 2 — over each feature map and keeps the largest value of each window: in the
# notes' words, it "extracts the largest value in a range the size of the filter". It has no
# weights to learn; its output size follows the formula of section 3 with $p = 0$, and it works on
# each channel separately, so a (N, H, W, C) input gives (N, H', W', C). Why pool? The notes: "to
# make a large image smaller while losing almost no information". A 2×2 pool keeps a quarter of
# the values, so the next layers are cheaper, and each of their units sees a larger part of the
# image. And the strongest response of a window survives whether it sat in the window's top-left
# or bottom-right corner: a little robustness to small shifts.
#
# **Worked example.** 2×2 windows with stride 2:
#
# $$\begin{pmatrix} 1 & 3 & 2 & 1 \\ 4 & \mathbf 6 & \mathbf 5 & 0 \\ \mathbf 3 & 1 & 1 & 0 \\ 1 & 2 & 2 & \mathbf 4 \end{pmatrix}
#   \;\longrightarrow\; \begin{pmatrix} 6 & 5 \\ 3 & 4 \end{pmatrix}$$
#
# ### Exercise 4 — `max_pool_forward`
# No padding. You may loop over the output positions and take the maximum of the window over
# its rows and columns for all images and channels at once (`window.max(axis=(1, 2))`), or loop
# over everything.

# %% nbgrader={"grade_id": "max_pool_forward", "solution": true}
def max_pool_forward(x, pool_size=2, stride=2):
    """Max pooling, forward: the largest value of each pool_size x pool_size window, per channel.

    x: (N, H, W, C). Returns (out, cache): out (N, H', W', C) with
    H' = conv_output_size(H, pool_size, 0, stride), likewise W'; cache = (x, pool_size, stride).
    """
    N, H, W, C = x.shape
    ### BEGIN SOLUTION
    H_out, W_out = conv_output_size(H, pool_size, 0, stride), conv_output_size(W, pool_size, 0, stride)
    out = np.zeros((N, H_out, W_out, C))
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, :]
            out[:, i, j, :] = window.max(axis=(1, 2))
    ### END SOLUTION
    return out, (x, pool_size, stride)


# %% nbgrader={"grade_id": "test_max_pool_forward", "grade": true, "points": 2}
check("max_pool_forward", max_pool_forward)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("max_pool_forward", max_pool_forward)
### END HIDDEN TESTS

# %% [markdown]
# ### The backward pass: max routes
#
# Notebook 02's max gate: the gradient goes to the input that was the maximum, and the others get
# 0 (they did not influence the output). So `dx` is zero except at the maximum of each window,
# which receives that window's `dout`. Two details:
#
# - **Overlapping windows.** With a stride smaller than the window (e.g. 3×3 windows, stride 2) one
#   input can be the maximum of two windows; it receives the sum of both gradients. Accumulate.
# - **Ties.** After a ReLU, many windows are all zeros: several entries share the maximum. The
#   derivative is not defined there, and a convention is needed. Ours is TensorFlow's: the whole
#   gradient goes to the *first* maximal entry in row-major order, the one `np.argmax` of the
#   flattened window returns. (Giving it to every tied entry would count the gradient several
#   times.) `np.unravel_index(k, (pool_size, pool_size))` turns a flat index `k` into (row, column).
#
# In the worked example with `dout` $= \begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}$, `dx` has 1 where
# the 6 is, 2 at the 5, 3 at the 3 and 4 at the 4, and zeros elsewhere.
#
# ### Exercise 5 — `max_pool_backward`
# Return `dx` alone (the layer has one input).

# %% nbgrader={"grade_id": "max_pool_backward", "solution": true}
def max_pool_backward(dout, cache):
    """Max pooling, backward: each window's gradient goes to its (first) maximum.

    dout: (N, H', W', C) upstream gradient; cache: (x, pool_size, stride) from the forward pass.
    Returns dx, of the shape of x.
    """
    x, pool_size, stride = cache
    N, H, W, C = x.shape
    _, H_out, W_out, _ = dout.shape
    ### BEGIN SOLUTION
    dx = np.zeros_like(x)
    images, channels = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")        # (N, C) each
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, :]
            first_max = window.reshape(N, pool_size * pool_size, C).argmax(axis=1)   # (N, C)
            r, s = np.unravel_index(first_max, (pool_size, pool_size))
            dx[images, i * stride + r, j * stride + s, channels] += dout[:, i, j, :]
    ### END SOLUTION
    return dx


# %% nbgrader={"grade_id": "test_max_pool_backward", "grade": true, "points": 3}
check("max_pool_backward", max_pool_backward)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("max_pool_backward", max_pool_backward)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. A fast convolution: im2col
#
# Your naive forward pass runs its innermost line N·H'·W'·F times. For a batch of 50 images of
# 32×32 pixels and 16 filters with "same" padding that is $50 \cdot 32 \cdot 32 \cdot 16 = 819\,200$
# Python iterations, several seconds here, for one layer and one batch. The fix is to hand all
# the arithmetic to one matrix product:
#
# 1. Build every window at once. `sliding_window_view(x_pad, (HH, WW), axis=(1, 2))` returns an
#    array of shape (N, H_pad − HH + 1, W_pad − WW + 1, C, HH, WW) whose entry `[n, i, j]` is the
#    window at $(i, j)$ — without copying anything: it is a *view* of `x_pad` with cleverly chosen
#    strides (the "stride tricks" of its module). Keep every `stride`-th window with `[:, ::stride, ::stride]`.
# 2. **im2col** ("image to columns"): reshape the windows into a matrix with one row per window,
#    N·H'·W' rows of HH·WW·C numbers. This reshape does copy, and the matrix is larger than the
#    input — it holds about HH·WW/stride² copies of each pixel — memory traded for speed.
# 3. Reshape the filters to a (HH·WW·C, F) matrix. Then `rows @ filters` is (N·H'·W', F): every
#    window times every filter, computed by an optimised BLAS library. Add b and reshape to
#    (N, H', W', F).
#
# The one trap: the windows and the filters must be flattened **in the same order**. The windows
# come out of `sliding_window_view` as (C, HH, WW) (the window axes last), the filters are
# (HH, WW, C): transpose one of them first.
#
# A small example of the view, in one dimension:

# %%
row = np.arange(7.0)
print("windows of 3:\n", sliding_window_view(row, 3))
print("every second one (stride 2):\n", sliding_window_view(row, 3)[::2])

# %% [markdown]
# ### Exercise 6 — `conv_forward_fast`
# The same layer as `conv_forward_naive`, same arguments, same output and cache, with no Python
# loop over positions or images: the checks count the Python lines your function executes on a
# small and on a larger image, and they must be the same. (A loop over the HH·WW filter offsets —
# adding up `x_pad[:, a::stride, b::stride, :] @ w[a, b]`, suitably cut — would be a fine
# alternative; it runs the same number of lines for any image size.)

# %% nbgrader={"grade_id": "conv_forward_fast", "solution": true}
def conv_forward_fast(x, w, b, stride=1, pad=0):
    """Convolution layer, forward, as one matrix product (im2col with stride tricks).

    Same arguments and results as conv_forward_naive: returns (out, (x, w, b, stride, pad)).
    """
    N, H, W, C = x.shape
    HH, WW, _, F = w.shape
    ### BEGIN SOLUTION
    H_out, W_out = conv_output_size(H, HH, pad, stride), conv_output_size(W, WW, pad, stride)
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    windows = sliding_window_view(xp, (HH, WW), axis=(1, 2))[:, ::stride, ::stride]   # (N, H', W', C, HH, WW)
    rows = windows.transpose(0, 1, 2, 4, 5, 3).reshape(N * H_out * W_out, HH * WW * C)
    out = (rows @ w.reshape(HH * WW * C, F)).reshape(N, H_out, W_out, F) + b
    ### END SOLUTION
    return out, (x, w, b, stride, pad)


# %% nbgrader={"grade_id": "test_conv_forward_fast", "grade": true, "points": 3}
check("conv_forward_fast", conv_forward_fast)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("conv_forward_fast", conv_forward_fast)
### END HIDDEN TESTS

# %% [markdown]
# How much faster? On a small batch (4 images of 16×16×3, 8 filters of 3×3), so that the naive
# loops finish quickly, against TensorFlow's `tf.nn.conv2d` on the same float64 input:

# %%
def best_time(fn, repeats=5):
    """The fastest of `repeats` runs, in seconds (the least disturbed by other programs)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)

rng = np.random.default_rng(0)
xs, ws, bs = rng.standard_normal((4, 16, 16, 3)), rng.standard_normal((3, 3, 3, 8)), rng.standard_normal(8)
t_naive = best_time(lambda: conv_forward_naive(xs, ws, bs, pad=1), repeats=1)
t_fast = best_time(lambda: conv_forward_fast(xs, ws, bs, pad=1))
t_tf = best_time(lambda: tf.nn.conv2d(xs, ws, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]).numpy() + bs)
print(f"naive {1e3 * t_naive:7.2f} ms\nfast  {1e3 * t_fast:7.2f} ms   ({t_naive / t_fast:.0f}x faster than naive)\n"
      f"tf    {1e3 * t_tf:7.2f} ms   (fast / tf = {t_fast / t_tf:.1f})")
print("largest difference, fast vs naive:",
      np.abs(conv_forward_fast(xs, ws, bs, pad=1)[0] - conv_forward_naive(xs, ws, bs, pad=1)[0]).max())

# %% [markdown]
# The course's benchmark (`./run.sh bench`) times the reference solutions on the larger batch
# above, 50 images of 32×32×3 with 16 filters of 3×3 and "same" padding, in float64. In two runs on
# a two-core CPU shared with other jobs, the naive loops took 4.7 and 7.7 s, the im2col version 3.3
# and 7.8 ms — about a thousand times faster (1434× and 986×) — and `tf.nn.conv2d` 6.1 and 6.6 ms;
# in float32, im2col and TensorFlow were within 10 % of each other (1.8 against 2.0 ms). Libraries
# use tuned kernels (oneDNN on CPUs, cuDNN on GPUs), some of which avoid building the big matrix;
# on a small layer with 3 input channels a plain im2col is just as fast.
#
# ## 6. Why convolutions work: sparse connections and parameter sharing
#
# The notes give two reasons.
#
# - **Sparse connections (성긴 연결).** Each output of a convolution depends on a small window of
#   the input — 25 pixels for a 5×5 filter — not on every pixel, as in a dense layer. Nearby
#   pixels are what matters for local patterns like edges, so little is lost, and the layer is
#   much cheaper.
# - **Parameter sharing (파라미터 쉐어링).** The same filter is used at every position: a vertical
#   edge detector that is useful in the top-left corner is useful everywhere. A dense layer has
#   separate weights for every (input, output) pair; a convolution's weights are shared by all
#   positions, and its parameter count does not depend on the image size at all.
#
# Counting for the first layer of LeNet-5 (below): 28×28×1 input, 6 filters of 5×5 with "same"
# padding, so a 28×28×6 output. The convolution has $6 \cdot (5 \cdot 5 \cdot 1 + 1) = 156$
# parameters. A dense layer producing the same 4704 outputs from the same 784 inputs has
# $784 \cdot 4704 + 4704 = 3\,692\,640$. For a 32×32×3 colour image and six 5×5 filters (output
# 28×28×6): $6 \cdot (5 \cdot 5 \cdot 3 + 1) = 456$ against $3072 \cdot 4704 + 4704 = 14\,455\,392$.
# Keras counts the same:

# %%
def count(layer, input_shape):
    model = keras.Sequential([keras.Input(input_shape), layer])
    return model.count_params(), model.output_shape[1:]

for shape in [(28, 28, 1), (32, 32, 3)]:
    padding = "same" if shape[0] == 28 else "valid"
    conv_params, conv_out = count(keras.layers.Conv2D(6, 5, padding=padding), shape)
    dense_params, _ = count(keras.layers.Dense(int(np.prod(conv_out))), (int(np.prod(shape)),))
    print(f"input {shape} -> output {conv_out}: convolution {conv_params:,} parameters, "
          f"dense {dense_params:,} ({dense_params / conv_params:,.0f}x more)")

# %% [markdown] nbgrader={"grade_id": "q_parameter_sharing", "grade": true, "solution": true, "points": 2}
# **Question.** A layer receives 64×64×3 images and applies 32 filters of 5×5 with padding 2 and
# stride 1. (a) What is the output shape? (b) How many parameters does the layer have? (c) How many
# would a dense layer with the same input and output sizes have? (d) The same convolution on
# 256×256×3 images: how many parameters now, and why? Show the computations.
#
# ### BEGIN SOLUTION
# (a) (64 + 2*2 - 5) / 1 + 1 = 64 in each direction, so 64 x 64 x 32.
# (b) Each filter has 5 * 5 * 3 = 75 weights and one bias: 32 * 76 = 2,432 parameters.
# (c) 64 * 64 * 3 = 12,288 inputs, 64 * 64 * 32 = 131,072 outputs: 12,288 * 131,072 + 131,072 =
# 1,610,743,808 parameters (about 1.6 billion, 660,000 times more).
# (d) Still 2,432: the filters are shared by all positions (parameter sharing), so the count depends
# only on the filter size, the number of input channels and the number of filters, not on the image
# size. (The output grows to 256 x 256 x 32, and so does the computation.)
# ### END SOLUTION

# %% [markdown]
# ## 7. LeNet-5
#
# LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998) read handwritten digits on bank cheques, one of
# the first commercial uses of neural networks. It is small by today's standards and has the shape
# every CNN since has had: convolution and pooling layers that make the image smaller and the
# features more numerous, then a few dense layers that classify. The notes sum it up as two layers
# of one convolution and one max pooling each. With 28×28 inputs, "same" padding in the first
# convolution to keep the original's 28×28 feature maps (LeNet's inputs were 32×32), ReLU and max
# pooling:
#
# | layer | output | parameters |
# |---|---|---|
# | input | 28 × 28 × 1 | |
# | convolution, 6 filters 5×5, "same", ReLU | 28 × 28 × 6 | 6 · (25 + 1) = 156 |
# | max pooling 2×2, stride 2 | 14 × 14 × 6 | 0 |
# | convolution, 16 filters 5×5, "valid", ReLU | 10 × 10 × 16 | 16 · (6 · 25 + 1) = 2416 |
# | max pooling 2×2, stride 2 | 5 × 5 × 16 | 0 |
# | flatten | 400 | 0 |
# | dense, 120 units, ReLU | 120 | 400 · 120 + 120 = 48 120 |
# | dense, 84 units, ReLU | 84 | 120 · 84 + 84 = 10 164 |
# | dense, 10 units, softmax | 10 | 84 · 10 + 10 = 850 |
#
# 61 706 parameters in all, four fifths of them in the first dense layer. The original differed
# in details: tanh-like activations, average pooling ("subsampling") with learned coefficients,
# a second convolution that connected each of its 16 maps to only some of the 6 maps below, and a
# special output layer. Your `conv_output_size` reproduces the output sizes:

# %%
size = 28
for name, f, pad, stride in [("conv 5x5, same", 5, 2, 1), ("pool 2x2", 2, 0, 2), ("conv 5x5, valid", 5, 0, 1),
                             ("pool 2x2", 2, 0, 2)]:
    size = conv_output_size(size, f, pad, stride)
    print(f"after {name:16s} {size} x {size}")

# %% [markdown]
# ### Exercise 7 — `build_lenet`
# Build this network as a `keras.Sequential`, starting with `keras.Input((28, 28, 1))`, with the
# numbers of filters and units as arguments: `filters=(6, 16)` and `units=(120, 84)` give the table
# above. With `dropout > 0`, add a `keras.layers.Dropout(dropout)` after the `Flatten` and another
# after the first dense layer (Keras' `Dropout` takes the drop probability; notebook 05). Return
# the model uncompiled.

# %% nbgrader={"grade_id": "build_lenet", "solution": true}
def build_lenet(filters=(6, 16), units=(120, 84), dropout=0.0):
    """A LeNet-5-style CNN for 28x28x1 images and 10 classes, as a keras.Sequential (uncompiled).

    filters: the numbers of 5x5 filters of the two convolutions; units: the sizes of the two hidden
    dense layers; dropout: the drop rate of the two Dropout layers (none when 0).
    """
    ### BEGIN SOLUTION
    drop = [keras.layers.Dropout(dropout)] if dropout else []
    model = keras.Sequential(name="lenet", layers=[
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(filters[0], 5, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(filters[1], 5, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        *drop,
        keras.layers.Dense(units[0], activation="relu"),
        *[keras.layers.Dropout(dropout) for _ in drop],   # a second, separate Dropout layer
        keras.layers.Dense(units[1], activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    ### END SOLUTION
    return model


# %% nbgrader={"grade_id": "test_build_lenet", "grade": true, "points": 2}
check("build_lenet", build_lenet)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("build_lenet", build_lenet)
### END HIDDEN TESTS

# %% [markdown]
# ### Training on Fashion-MNIST
#
# With the classic LeNet-5 sizes the network reaches about 89 % test accuracy on Fashion-MNIST
# (88.9 % after 15 epochs, in a run made for this text). A wider version — 32 and 64 filters, dense
# layers of 256 and 128 units, dropout 0.4 — does better, with the same architecture and code. We
# train it with Adam on 55 000 training images, keep the last 5 000 for validation, and test once
# at the end on the 10 000 test images. (In the short FAST mode the tests use, 1200 images and two
# epochs: the same code, a much weaker network.)
#
# Full training takes minutes on a CPU, so it goes through `fit_resumable` from notebook 00: every
# epoch is checkpointed, and if the runtime disconnects, running the cell again continues from the
# last finished epoch (after the cells above). Change the architecture? Call
# `clear_checkpoints(checkpoints)` first, or the old run's weights will not fit the new network.

# %%
N_TRAIN = 1_200 if FAST else 55_000
N_VAL = 500 if FAST else 5_000
N_TEST = 1_000 if FAST else 10_000
EPOCHS = 2 if FAST else 15
VERBOSE = 2 if FAST else 1                      # one line per epoch, or Keras' progress bars
def as_input(images):
    """uint8 images (N, 28, 28) -> float32 (N, 28, 28, 1) in [0, 1]: the one channel made explicit.
    (Converted slice by slice: the whole set as floats would only take memory.)"""
    return (images.astype("float32") / 255.0)[..., None]

x_fit, y_fit = as_input(x_train_all[:N_TRAIN]), y_train_all[:N_TRAIN]
x_val, y_val = as_input(x_train_all[-N_VAL:]), y_train_all[-N_VAL:]
x_test, y_test = as_input(x_test_all[:N_TEST]), y_test_all[:N_TEST]

keras.utils.set_random_seed(0)
lenet = build_lenet(filters=(32, 64), units=(256, 128), dropout=0.4)
lenet.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
print(f"{lenet.count_params():,} parameters")
# Checkpoints after every epoch (notebook 00): after a disconnect, rerunning this cell continues
# where training stopped. For a folder that outlives a Colab runtime, pass drive=mount_drive().
checkpoints = persistent_folder("checkpoints/07_lenet")
t0 = time.process_time()
fit_resumable(lenet, x_fit, y_fit, checkpoint_dir=checkpoints, epochs=EPOCHS, batch_size=64,
              validation_data=(x_val, y_val), validation_batch_size=500, verbose=VERBOSE)
print(f"training took {(time.process_time() - t0) / 60:.1f} CPU minutes in this session")

# %%
plot_train_val({"LeNet-style CNN": training_log(checkpoints)}, title="Fashion-MNIST")
plt.show()
test_loss, test_accuracy = lenet.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy {test_accuracy:.2%} on {len(x_test)} test images (loss {test_loss:.3f})")

# %% [markdown]
# In full mode (55 000 training images, 15 epochs) the run made for this text reached **91.8 %**
# test accuracy (91.78 %, test loss 0.238; validation accuracy 92.1 % after the last epoch), in
# 5.2 CPU minutes of training on a two-core machine shared with other jobs (5.3 minutes of wall
# time); an earlier run with other random initial weights reached 91.94 %. The training accuracy at
# the end, 93.4 % (measured with dropout active), is only a little above the validation accuracy:
# with dropout the wide network hardly overfits in 15 epochs.
#
# ## 8. What the layers learn
#
# Zeiler and Fergus ("Visualizing and Understanding Convolutional Networks", 2014) looked inside a
# large CNN trained on ImageNet and found a hierarchy: the first layer's filters detect edges of
# various orientations and colour blobs, the second layer corners, circles and simple textures
# built from them, and deeper layers ever larger parts — wheels, faces, text — up to whole objects.
# The notes (the fastai lesson) retell it. Our network is small and its images are 28×28, but the
# first layer can be looked at directly: its kernel has shape (5, 5, 1, 32), 32 filters that are
# 5×5 images themselves (red positive, blue negative).

# %%
kernel, bias = (v.numpy() for v in lenet.layers[0].weights)
print("first-layer kernel:", kernel.shape, "bias:", bias.shape)
show_filters(kernel, title="the 32 learned first-layer filters")
plt.show()

# %% [markdown]
# Many look like the hand-made filters of section 2: a bright band next to a dark one, an edge
# detector at some orientation; others react to a bright or dark spot. (After FAST mode's short
# training they are still close to their random start.)
#
# Their **feature maps** for one test image: the first layer is a convolution, a bias and a ReLU,
# so your `conv_forward_fast` computes it from Keras' weights — and agrees with Keras' own layer.

# %%
image = x_test[:1].astype(np.float64)                      # (1, 28, 28, 1), a test image
ours, _ = conv_forward_fast(image, kernel.astype(np.float64), bias.astype(np.float64), pad=2)
ours = np.maximum(ours, 0.0)                               # the layer's ReLU
inside = keras.Model(lenet.inputs[0], [lenet.layers[0].output, lenet.layers[3].output])
theirs, second = (np.asarray(a) for a in inside(x_test[:1]))
print(f"{FASHION_MNIST_CLASSES[y_test[0]]}: largest difference between conv_forward_fast and Keras "
      f"{np.abs(ours - theirs).max():.1e} (Keras computes in float32)")
show_images([x_test[0]], [FASHION_MNIST_CLASSES[y_test[0]]], size=2.0)
show_feature_maps(ours[0], title="first layer: 32 feature maps (after ReLU)")
plt.show()

# %% [markdown]
# Each map is the image seen through one filter: some light up along the left or right edges of
# the shape, some along the top or bottom, some on the whole bright area or on the background.
# The second convolution combines these maps; its own maps (after pooling, 5×5 each) are coarser
# and harder to read — a pattern that continues with depth:

# %%
show_feature_maps(second[0], ncols=16, size=0.9,
                  title="second block: 64 maps of 5×5 (after pooling)")
plt.show()

# %% [markdown]
# ## 9. Residual blocks: the ResNet idea
#
# Deeper networks can represent more, but beyond some depth plain networks get *worse*, and not
# only on the test set: He, Zhang, Ren and Sun (2016) found that a 56-layer plain CNN had a higher
# *training* error on CIFAR-10 than a 20-layer one. That is not overfitting but a failure to
# optimise — the degradation problem, which the notes tie to vanishing and exploding gradients.
# A deeper network could always do at least as well as a shallow one in principle (let the extra
# layers compute the identity), yet SGD does not find that solution.
#
# Their fix, the **residual block (잔차 블록)**, makes the identity the easy default. A few layers
# compute $F(x)$ and the block outputs
#
# $$y = \operatorname{relu}\big(F(x) + x\big).$$
#
# The layers now learn the **residual (잔차)** $F(x) = H(x) - x$, the difference between the
# desired output $H(x)$ and the input; if the identity is best, $F = 0$ is easy to reach (push the
# weights to 0). And the gradient has a direct path: $\partial y / \partial x = I + \partial F /
# \partial x$ (where the ReLU is active), so the gradient from the top reaches the first blocks
# without being multiplied through every layer. With residual blocks, networks of 100 and more
# layers train; ResNet-34, the network of the notes' fastai lesson, is built from them.
#
# In the **functional API** (Keras layers called on tensors) a block is a function from a tensor to
# a tensor. Two convolutions with batch normalization (notebook 05) make $F$; when the block halves
# the image (stride 2) or changes the number of channels, $x$ and $F(x)$ have different shapes and
# the shortcut gets a 1×1 convolution with the same stride (a "projection"). Starting the last
# batch-norm layer's $\gamma$ at 0 makes $F(x) = 0$ at initialisation: every block starts as the
# identity, as the idea suggests.

# %%
def residual_block(x, filters, stride=1):
    """y = relu(F(x) + shortcut(x)), with F = conv3x3 - BN - ReLU - conv3x3 - BN."""
    shortcut = x
    y = keras.layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    y = keras.layers.BatchNormalization()(y)
    y = keras.layers.ReLU()(y)
    y = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    y = keras.layers.BatchNormalization(gamma_initializer="zeros")(y)   # F(x) = 0 at the start
    if stride != 1 or x.shape[-1] != filters:                          # shapes differ: project
        shortcut = keras.layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x)
        shortcut = keras.layers.BatchNormalization()(shortcut)
    return keras.layers.ReLU()(keras.layers.Add()([y, shortcut]))


inputs = keras.Input((28, 28, 1))
h = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
for filters, stride in [(16, 1), (32, 2), (64, 2)]:
    h = residual_block(h, filters, stride)
outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.GlobalAveragePooling2D()(h))
resnet = keras.Model(inputs, outputs, name="small_resnet")
for layer in resnet.layers:
    if isinstance(layer, keras.layers.Add):
        print(f"{layer.name:8s} output {layer.output.shape}")
print(f"{len(resnet.layers)} layers, {resnet.count_params():,} parameters")

# %% [markdown]
# Three blocks, 28×28×16 → 14×14×32 → 7×7×64, and global average pooling (the mean of each
# feature map) instead of a large dense layer: fewer parameters than our wide LeNet, but 7
# convolution layers on its main path (and two 1×1 projections). At initialisation a block with
# matching shapes is exactly the identity on a non-negative input (such as the output of a ReLU),
# and so is its gradient: the gradient of the output with respect to the input is the upstream
# gradient itself.

# %%
block_in = keras.Input((14, 14, 16))
block = keras.Model(block_in, residual_block(block_in, 16))
x_block = tf.Variable(np.abs(np.random.default_rng(1).standard_normal((2, 14, 14, 16))).astype("float32"))
dy = tf.constant(np.random.default_rng(2).standard_normal((2, 14, 14, 16)).astype("float32"))
with tf.GradientTape() as tape:
    y_block = block(x_block, training=True)
    target = tf.reduce_sum(y_block * dy)
dx_block = tape.gradient(target, x_block)
print("block(x) == x:", np.allclose(y_block, x_block), "  d(block)/dx passes dy through:", np.allclose(dx_block, dy))

# %% [markdown] nbgrader={"grade_id": "q_residual", "grade": true, "solution": true, "points": 2}
# **Question.** (a) For a block $y = x + F(x)$ (leave out the final ReLU), write
# $\partial L / \partial x$ in terms of $\partial L / \partial y$ and $\partial F / \partial x$.
# What reaches $x$ when $\partial F / \partial x$ is tiny, and what would reach it in a plain block
# $y = F(x)$? (b) Why does the last block of section 9's small ResNet need a 1×1 convolution on its
# shortcut while the first does not? (c) Why does starting each block as the identity make a deep
# residual network at least as easy to train, at the start, as a shallower one?
#
# ### BEGIN SOLUTION
# (a) dL/dx = dL/dy (I + dF/dx) = dL/dy + dL/dy dF/dx. When dF/dx is tiny, dL/dx is still about
# dL/dy: the gradient passes through the shortcut unchanged, whatever happens in F. In a plain block
# dL/dx = dL/dy dF/dx would be tiny too, and over many blocks such factors multiply and the
# gradient vanishes (or explodes when they are large).
# (b) The last block has stride 2 and 64 filters: F(x) is 7 x 7 x 64 while x is 14 x 14 x 32, and Add
# needs equal shapes. The 1x1 convolution with stride 2 maps x to 7 x 7 x 64 (a learned linear
# projection per pixel). The first block keeps 28 x 28 x 16, so the identity works.
# (c) A block that starts as the identity (F = 0) passes signal and gradient through unchanged, so the
# deep network initially computes the same function as the network without those blocks, and
# gradients reach every layer at full size. Training only has to learn useful deviations F from the
# identity, rather than having to discover the identity through many nonlinear layers.
# ### END SOLUTION

# %% [markdown]
# ## 10. Data augmentation layers
#
# The other remedy of section 1 is more data: **data augmentation (데이터 증강)**, notebook 05,
# with random label-preserving changes of the training images, fresh ones every epoch. Keras has
# them as layers, which makes them part of the model: random during training, the identity at
# inference. Each row shows one layer applied to the same image six times:

# %%
augmenters = {
    "RandomFlip": keras.layers.RandomFlip("horizontal", seed=0),
    "RandomTranslation": keras.layers.RandomTranslation(0.15, 0.15, fill_mode="constant", seed=1),
    "RandomRotation": keras.layers.RandomRotation(0.1, fill_mode="constant", seed=2),
    "RandomZoom": keras.layers.RandomZoom(0.3, fill_mode="constant", seed=3),
}
sneaker = as_input(x_train_all[np.flatnonzero(y_train_all == 7)[:1]])      # (1, 28, 28, 1)
panels, titles = [], []
for name, layer in augmenters.items():
    panels += [sneaker[0]] + [np.asarray(layer(sneaker, training=True))[0] for _ in range(6)]
    titles += [name] + [""] * 6
show_images(panels, titles, ncols=7, size=1.4)
plt.show()

# %% [markdown]
# `RandomFlip("horizontal")` mirrors half of the time, `RandomTranslation(0.15, 0.15)` shifts by up
# to 15 % of the height and width, `RandomRotation(0.1)` turns by up to 10 % of a full turn (36°),
# and `RandomZoom(0.3)` zooms in or out by up to 30 %; `fill_mode="constant"` fills what comes into
# view with zeros, the background. (Keras also has photometric layers such as `RandomContrast` and
# `RandomBrightness`, more useful for colour photos.) Put at the start of a model, they change
# nothing at inference:

# %%
augment = keras.Sequential([keras.Input((28, 28, 1)), *augmenters.values()], name="augment")
batch = as_input(x_train_all[:8])
print("training=False leaves the images unchanged:", np.array_equal(np.asarray(augment(batch, training=False)), batch))
print("training=True changes them:", not np.allclose(np.asarray(augment(batch, training=True)), batch))

# %% [markdown] nbgrader={"grade_id": "q_augmentation", "grade": true, "solution": true, "points": 2}
# **Question.** (a) For Fashion-MNIST, which of these augmentations preserve the label, and which
# would teach the network something false: a horizontal flip, a vertical flip, a rotation by up to
# 180°, a shift by 3 pixels, a zoom by 10 %? (b) A convolution layer is translation-equivariant
# (section 2), so why can shifted training copies still help a CNN such as our LeNet?
#
# ### BEGIN SOLUTION
# (a) Horizontal flip: a mirrored shirt, bag or shoe is still the same kind of item, so the label is
# preserved (although every Fashion-MNIST shoe points the same way, so the flipped shoes look unlike
# the test images and help less). Small shifts and a 10 % zoom preserve the label: the items are not
# always perfectly centred or equally large. A vertical flip and rotations up to 180 degrees turn a
# dress or a boot upside down: such images never occur in the data, and a trouser upside down looks
# like nothing in the test set, so they waste capacity or teach false invariances (a "6" turned by 180
# degrees would even become a "9" in digit data).
# (b) Equivariance only means that the feature maps shift with the image. The network is not
# invariant: the Flatten + Dense head has a separate weight for every position of the last feature
# maps, so a feature at another position feeds different weights, and pooling gives only a little
# invariance (within a window). Borders and padding also break equivariance. Shifted copies teach the
# dense layers to respond to features wherever they appear.
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# - Flattening an image throws away which pixels are neighbours; a convolution layer keeps the
#   image's shape. It slides $F$ filters of $f \times f \times C$ over the input (a cross-correlation,
#   kernel not flipped) and outputs $F$ feature maps.
# - Output size $\lfloor (n + 2p - f)/s \rfloor + 1$: $(39 - 5)/2 + 1 = 18$, not 17 as in the notes.
#   "Same" padding $p = (f - 1)/2$ keeps the size; stride 2 halves it.
# - Backward: every output sends its gradient, times its local derivatives, back to everything it
#   used, adding up: the shared filters and biases collect from every position of every image, a
#   pixel from every window that covered it, and the padding's gradient is dropped.
# - Max pooling keeps each window's maximum; its backward pass routes the gradient to that maximum
#   (the first one when tied) and adds where windows overlap.
# - im2col turns a convolution into one matrix product: windows as rows (a strided view, then a
#   copy), filters as columns, flattened in the same order.
# - Sparse connections and parameter sharing: 156 parameters for LeNet's first layer against
#   3.7 million for a dense layer with the same input and output; the count does not grow with the
#   image.
# - LeNet-5: conv-pool-conv-pool, then dense layers; first-layer filters learn edge detectors.
# - Residual blocks $y = \operatorname{relu}(F(x) + x)$ give the gradient a direct path and make the
#   identity easy; a 1×1 convolution adapts the shortcut when shapes change.
# - Augmentation layers (flip, translation, rotation, zoom) are random in training and the identity
#   at inference.

# %% [markdown]
# Before you hand in: run every visible check of this notebook at once.

# %%
from utils.checks import check_all
check_all();
