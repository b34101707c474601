# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · Backpropagation (역전파)
#
# Notebook 01 ended with a network whose weights we had to set by hand. To *learn* weights we need
# to know, for every single weight, which way to nudge it so that the loss goes down: the
# **gradient (그라디언트)** of the loss with respect to every parameter. A network with a million
# weights needs a million partial derivatives per step, and **backpropagation** computes all of
# them for about the cost of one extra pass through the network. It is nothing more than the chain
# rule, applied one simple operation at a time.
#
# In this notebook you build backpropagation from its pieces — numerical derivatives to check
# your work, layers that know their own derivatives, a two-layer network — and train that network
# with mini-batch stochastic gradient descent until it untangles three interleaved spirals.
#
# **You will implement:** `numerical_gradient`, `affine_forward`, `affine_backward`,
# `relu_forward`, `relu_backward`, `sigmoid_forward`, `sigmoid_backward`, `two_layer_loss` and
# `train_two_layer`. Each has a test cell right below it: run it to check your work. Passing the
# visible checks is a good sign; grading adds hidden checks on other shapes and seeds.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
from tqdm.auto import tqdm, trange

from utils import FAST
from utils.autodiff import tf_value_and_grads
from utils.checks import check
from utils.data import spirals, train_val_split
from utils.gradcheck import eval_numerical_gradient_array, rel_error
from utils.plots import plot_decision_boundary, plot_history

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. Computational graphs and the chain rule
#
# Write a computation as a **computational graph**: every node is one elementary operation
# (add, multiply, max, ...) and the edges carry values from node to node. Training runs the graph
# twice:
#
# - the **forward pass (정방향 계산)** computes every node's value from the inputs up to the loss,
#   remembering the intermediate values on the way;
# - the **backward pass (역방향 계산)** starts from $\partial f / \partial f = 1$ at the output and
#   walks the graph in reverse, sending each node's gradient to its inputs.
#
# A node never needs to know the whole graph. If a node computes $q = g(x)$ and the gradient
# $\partial f / \partial q$ arrives from above (the **upstream gradient**), then by the
# **chain rule (연쇄 법칙)**
#
# $$\frac{\partial f}{\partial x} = \frac{\partial f}{\partial q}\,\frac{\partial q}{\partial x}
#   = \text{upstream} \times \text{local derivative}.$$
#
# For example a squaring node $q = x^2$ has local derivative $2x$; if the upstream gradient is $c$,
# it sends $c \cdot 2x$ back to $x$.
#
# **Worked example** (the notes' $f = (100 \cdot 2) + 50$). Name the inputs $x = 100$, $y = 2$,
# $z = 50$, so the graph is a multiply node $q = x y$ followed by an add node $f = q + z$.
#
# - Forward: $q = 100 \cdot 2 = 200$, then $f = 200 + 50 = 250$.
# - Backward: start with $\partial f/\partial f = 1$. The add node has local derivatives
#   $\partial f/\partial q = \partial f/\partial z = 1$, so both inputs receive $1 \cdot 1 = 1$.
#   The multiply node has $\partial q/\partial x = y$ and $\partial q/\partial y = x$, so
#   $\partial f/\partial x = 1 \cdot y = 2$ and $\partial f/\partial y = 1 \cdot x = 100$.
#
# > **A slip in the notes.** The example's first slide writes $f = (100^2) + 50$; every slide after
# > it, and the graph, use $100 \cdot 2$. With a square the graph would be different: one input, a
# > squaring node with local derivative $2 \cdot 100 = 200$, and $f = 10050$.
#
# Three patterns cover most nodes in a network:
#
# | gate | forward | backward: what each input receives from upstream gradient $g$ |
# | --- | --- | --- |
# | add | $q = x + y$ | both get $g$ unchanged: **add distributes** |
# | multiply | $q = x y$ | $x$ gets $y \cdot g$, $y$ gets $x \cdot g$: **mul swaps** the inputs |
# | max | $q = \max(x, y)$ | the larger input gets $g$, the other 0: **max routes** |
#
# In code the backward pass is the forward pass read backwards, each line replaced by its local
# rule:

# %%
x, y, z = 100.0, 2.0, 50.0
q = x * y                      # forward: 200
f = q + z                      # forward: 250
df = 1.0                       # backward starts at the output
dq, dz = df, df                # add gate: distributes
dx, dy = y * dq, x * dq        # mul gate: each input gets the other input times upstream
print(f"f = {f}   df/dx = {dx}   df/dy = {dy}   df/dz = {dz}")

# %% [markdown]
# TensorFlow computes gradients the same way (its `GradientTape` records the graph during the
# forward pass and runs it backwards). The course's checks use it as an independent reference,
# through `utils.autodiff.tf_value_and_grads`:

# %%
value, grads = tf_value_and_grads(lambda x, y, z: x * y + z, [np.array(x), np.array(y), np.array(z)])
print("TensorFlow: f =", float(value), "  gradients:", [float(g) for g in grads])

# %% [markdown]
# A max node routes: replace the add by a max, $f = \max(x y, z)$. With $z = 50$ the product wins
# and gets the whole gradient; raise $z$ to 500 and the gradient goes to $z$ instead, leaving
# $x$ and $y$ with nothing.

# %%
for z_value in (50.0, 500.0):
    q = x * y
    dq, dz = (1.0, 0.0) if q > z_value else (0.0, 1.0)   # max gate: route to the larger input
    print(f"z = {z_value:5}: f = {max(q, z_value)}   df/dx = {y * dq}   df/dy = {x * dq}   df/dz = {dz}")

# %% [markdown]
# A whole network is such a graph, just bigger. Backpropagation *is* this reverse sweep: every
# deep network is trained with it. (One set of class notes says deep networks need no
# backpropagation because their gradients "follow from a recurrence"; that recurrence — each
# layer's gradient computed from the one above it — is exactly what backpropagation is.)
#
# ## 2. Checking derivatives numerically
#
# A hand-derived backward pass is easy to get subtly wrong, so we need an independent way to
# compute a derivative: its definition. The notes compute the **difference quotient**
#
# $$f'(x) \approx \frac{f(x + h) - f(x)}{h} \qquad \text{(a forward difference)}.$$
#
# Taylor's theorem, $f(x \pm h) = f(x) \pm h f'(x) + \tfrac{h^2}{2} f''(x) \pm \tfrac{h^3}{6} f'''(x) + \dots$,
# says how wrong it is, and how to do better by stepping both ways:
#
# $$\frac{f(x + h) - f(x)}{h} = f'(x) + \underbrace{\tfrac{h}{2} f''(x) + \dots}_{O(h)}, \qquad
#   \frac{f(x + h) - f(x - h)}{2h} = f'(x) + \underbrace{\tfrac{h^2}{6} f'''(x) + \dots}_{O(h^2)}.$$
#
# In the **centered difference** on the right the even terms cancel: halving $h$ divides its error
# by 4 instead of 2.
#
# **Worked example.** $f(x) = x^2$ at $x = 3$ (so $f'(3) = 6$) with $h = 0.01$: the forward
# difference gives $(9.0601 - 9)/0.01 = 6.01$, wrong by $h = 0.01$; the centered difference gives
# $(9.0601 - 8.9401)/0.02 = 6$, exact, because a parabola has $f''' = 0$.
#
# Why not simply take $h$ tiny? Because $f(x \pm h)$ is rounded to about 16 significant digits
# (float64's machine epsilon is $\varepsilon \approx 2.2 \times 10^{-16}$), and dividing by $h$
# magnifies that rounding to about $\varepsilon |f| / h$. The total error of the centered
# difference, $\tfrac{h^2}{6}|f'''| + \varepsilon |f| / h$, is smallest near
# $h \approx \varepsilon^{1/3} \approx 10^{-5}$, where it is about $10^{-10}$ relative to $f'$.
# The forward difference does best near $h \approx \sqrt{\varepsilon} \approx 10^{-8}$, with an
# error of about $10^{-8}$ (a lucky rounding can give a little less). The plot shows both V shapes
# for $f = \sin$ at $x = 1$, and the centered difference computed in float32, whose
# $\varepsilon \approx 1.2 \times 10^{-7}$ is $5 \times 10^{8}$ times larger.

# %%
x0, exact = 1.0, np.cos(1.0)
hs = np.logspace(-13, -1, 49)
forward = (np.sin(x0 + hs) - np.sin(x0)) / hs
centered = (np.sin(x0 + hs) - np.sin(x0 - hs)) / (2 * hs)
x32, h32 = np.float32(x0), hs.astype(np.float32)
centered32 = (np.sin(x32 + h32) - np.sin(x32 - h32)) / (2 * h32)

fig, ax = plt.subplots(figsize=(7, 4.2))
ax.loglog(hs, np.abs(forward - exact), "o-", ms=3, label="forward difference, float64")
ax.loglog(hs, np.abs(centered - exact), "s-", ms=3, label="centered difference, float64")
ax.loglog(hs, np.abs(centered32 - exact), "^-", ms=3, label="centered difference, float32")
ax.loglog(hs, hs / 2 * np.sin(x0), "k:", lw=1, label=r"$\frac{h}{2}|f''|$: slope 1")
ax.loglog(hs, hs ** 2 / 6 * np.cos(x0), "k--", lw=1, label=r"$\frac{h^2}{6}|f'''|$: slope 2")
ax.axvline(1e-5, color="gray", lw=0.8)
ax.set(xlabel="step $h$", ylabel="absolute error of $f'(1)$", ylim=(1e-13, 10),
       title=r"Numerical derivative of $\sin$ at $x = 1$")
ax.legend(fontsize=8, loc="lower left")
plt.show()

# %% [markdown]
# To the right of each V the truncation error shrinks with slope 1 (forward) or 2 (centered); to
# the left rounding takes over and the error *grows* as $h$ shrinks. At the course's default
# $h = 10^{-5}$ (grey line) the centered difference is accurate to about $10^{-10}$ — which is why
# the checks can demand a relative error below $10^{-7}$ from your gradients. In float32 the
# error stays around $10^{-5}$ at best (a few steps land lower by a lucky rounding).
#
# **The flat float32 line on the left.** For every step below about $3 \times 10^{-8}$ the float32
# curve sits at one value, $\cos 1 \approx 0.54$. That is where the step disappears altogether:
# float32 numbers next to 1 are $\varepsilon \approx 1.2 \times 10^{-7}$ apart above 1 and
# $\varepsilon / 2$ apart below it, so once $h$ is below $\varepsilon / 4$ both $1 + h$ and $1 - h$
# round back to exactly 1. Then $\sin$ is evaluated twice at the same number, the difference is
# exactly 0, the estimate of $f'(1)$ is $0 / 2h = 0$, and the error is the whole derivative,
# $|0 - \cos 1|$ — the far end of the rounding error, with no signal left at all. (Just above
# $\varepsilon / 4$ only $1 - h$ has moved, and the estimate is wild.) float64 has the same plateau,
# but only for $h$ below $\varepsilon_{64} / 4 \approx 5.6 \times 10^{-17}$, off the left edge of
# the plot. The cell checks this on the plot's own numbers:

# %%
vanished = (x32 + h32 == x32) & (x32 - h32 == x32)     # x + h and x - h both rounded back to x
print(f"float32: x + h == x - h == x for the {vanished.sum()} smallest steps (h <= {hs[vanished].max():.1e}); "
      f"their estimates are {np.unique(centered32[vanished])}, so the error there is cos(1) = {exact:.4f}")
print(f"eps/4 in float32: {np.finfo(np.float32).eps / 4:.1e};  in float64: {np.finfo(np.float64).eps / 4:.1e}")

# %% [markdown]
# ### Exercise 1 — `numerical_gradient`
# For a function of an array, compute one partial derivative per entry: perturb one entry by
# $+h$ and by $-h$, evaluate $f$ both times, and **put the entry back** before moving on. The
# function reads `x` itself (for example `f = lambda W: loss(W, data)`), so perturbing `x` in place
# is what changes its value — and an entry left perturbed corrupts every later derivative.
# - `x` can have any shape: `np.ndindex(x.shape)` (or `np.nditer` with `multi_index`) visits every
#   index of it.
# - Use the `h` you are given.

# %% nbgrader={"grade_id": "numerical_gradient", "solution": true}
def numerical_gradient(f, x, h=1e-5):
    """Centered-difference gradient of a scalar function at x.

    f: a function of one float64 array shaped like x, returning a float.
    x: float64 array of any shape. You may change it while you work, but it must hold its
       original values again when you return.
    Returns grad, an array of x's shape: grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h), where e_i
    is 1 at index i and 0 elsewhere.
    """
    grad = np.zeros(x.shape)
    ### BEGIN SOLUTION
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = f(x)
        x[index] = original - h
        f_minus = f(x)
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * h)
    ### END SOLUTION
    return grad


# %% nbgrader={"grade_id": "test_numerical_gradient", "grade": true, "points": 3}
check("numerical_gradient", numerical_gradient)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("numerical_gradient", numerical_gradient)
### END HIDDEN TESTS

# %% [markdown]
# Your function reproduces the graph example: the gradient of $f(x, y, z) = x y + z$ at
# $(100, 2, 50)$ is $(2, 100, 1)$.

# %%
point = np.array([100.0, 2.0, 50.0])
print(numerical_gradient(lambda v: v[0] * v[1] + v[2], point), "at", point)

# %% [markdown] nbgrader={"grade_id": "q_centered_difference", "grade": true, "solution": true, "points": 2}
# **Question.** The notes' `difference_quotient` is a forward difference. Give two reasons, from the
# formulas and the plot above, to use the centered difference with $h = 10^{-5}$ for gradient
# checking instead, and say what goes wrong if you pick $h = 10^{-12}$.
#
# ### BEGIN SOLUTION
# The centered difference's error is O(h^2) (the h f''/2 term cancels), the forward difference's
# O(h): at h = 1e-5 that is about 1e-10 against 1e-5, so only the centered one is accurate enough
# to tell a correct gradient (relative error ~1e-10) from a slightly wrong one at the 1e-7
# threshold. Even at its best h (~1e-8) the forward difference only reaches ~1e-8, while the
# centered difference reaches ~1e-10 at h ~ 1e-5, which is the bottom of its V. The centered
# difference costs two evaluations of f per entry instead of one (plus one shared), a price worth
# paying in a check. With h = 1e-12 rounding dominates: f(x+h) and f(x-h) agree in all but the last
# few digits, the rounding error eps*|f|/h is ~1e-4, and the estimate gets worse, not better.
# ### END SOLUTION

# %% [markdown]
# ## 3. Layers with a forward and a backward pass
#
# A network is a stack of **layers**, and each layer is a small graph whose backward pass we derive
# once. Every layer in this course has the same two functions:
#
# - `forward(inputs) -> (out, cache)`: compute the output, and keep in `cache` whatever the backward
#   pass will need. (This is why training needs far more memory than prediction: every layer's
#   intermediate values are stored until the backward pass has used them.)
# - `backward(dout, cache) -> gradients`: given the upstream gradient `dout` — the gradient of the
#   loss with respect to `out`, with `out`'s shape — return the gradient with respect to each input,
#   in the order of the forward's inputs. A layer with a single input returns that gradient alone.
#
# ### 3.1 The affine (fully connected) layer
#
# The **fully connected layer (완전연결 계층)**, also called *affine* or *dense*, connects every
# input to every output. For a batch of $N$ examples stored as the rows of $X$ ($N \times D$),
# weights $W$ ($D \times M$) and bias $\mathbf b$ ($M$):
#
# $$\text{out} = X W + \mathbf b, \qquad \text{out}_{ij} = \sum_k X_{ik} W_{kj} + b_j .$$
#
# Images arrive as arrays of shape $(N, d_1, \dots, d_k)$ (say $N \times 28 \times 28$); the layer
# first flattens each example into a row of $D = d_1 \cdots d_k$ numbers.
#
# **Worked example.** With
# $X = \begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}$,
# $W = \begin{pmatrix} 1 & 0 & -1 \\ 2 & 1 & 0 \end{pmatrix}$ and $\mathbf b = (0.5, -0.5, 1)$,
#
# $$\text{out} = \begin{pmatrix} 5.5 & 1.5 & 0 \\ 11.5 & 3.5 & -2 \end{pmatrix}.$$
#
# ### Exercise 2 — `affine_forward`

# %% nbgrader={"grade_id": "affine_forward", "solution": true}
def affine_forward(x, w, b):
    """Forward pass of a fully connected layer.

    x: (N, d1, ..., dk) inputs, flattened to (N, D) with D = d1 * ... * dk; w: (D, M); b: (M,).
    Returns (out, cache): out (N, M), and cache = (x, w, b) for the backward pass.
    """
    ### BEGIN SOLUTION
    out = x.reshape(x.shape[0], -1) @ w + b
    ### END SOLUTION
    return out, (x, w, b)


# %% nbgrader={"grade_id": "test_affine_forward", "grade": true, "points": 2}
check("affine_forward", affine_forward)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("affine_forward", affine_forward)
### END HIDDEN TESTS

# %% [markdown]
# ### How to derive a backward pass
#
# The affine layer's backward pass is yours to derive. Nothing beyond the gates of section 1 is
# needed, applied to one number at a time; four habits turn a matrix formula into its gradients.
#
# 1. **Write one output entry with indices.** A matrix formula hides which numbers meet. The entry
#    form, like $\text{out}_{ij} = \sum_k X_{ik} W_{kj} + b_j$ above, shows every multiply gate and
#    every add gate.
# 2. **Collect over every use.** A variable that feeds several outputs receives a gradient from each
#    of them, and these add up: in the graph the variable fans out, and the chain rule sums over
#    the branches,
#    $$\frac{\partial L}{\partial v} = \sum_{\text{outputs } o \text{ that use } v}
#      \frac{\partial L}{\partial o}\,\frac{\partial o}{\partial v}
#      = \sum_o \text{upstream}_o \times \text{local derivative}_o .$$
#    Missing one of the uses is the most common mistake.
# 3. **A gradient has the shape of its variable.** $\partial L / \partial W$ has one entry per entry
#    of $W$, so it has $W$'s shape, and so on for every input. A reshape in the forward pass is a
#    node too: it moves numbers around without changing them, so its backward pass moves the
#    gradient back into the original shape.
# 4. **Turn the sums back into array operations.** A sum over an index that two arrays share is a
#    matrix product, with the shared index in the middle:
#    $$\sum_j P_{aj} Q_{jb} = (PQ)_{ab}, \qquad \sum_i P_{ia} Q_{ib} = (P^{\top} Q)_{ab}, \qquad
#      \sum_j P_{aj} Q_{bj} = (P Q^{\top})_{ab}.$$
#    Transpose each array so that the summed index is the *inner* one. Then check the shapes
#    (habit 3): if the product does not have the variable's shape, or does not even multiply, a
#    transpose is in the wrong place. A sum over one index of a single array is a `sum` over that
#    axis: $\sum_i P_{ia}$ is `P.sum(axis=0)`.
#
# **Worked example: a Gram matrix.** Take a different function, $\text{out} = X X^{\top} + c$ for
# $X$ of shape $N \times D$ and a scalar $c$ added to every entry; $\text{out}$ ($N \times N$) holds
# the dot products of every pair of rows. The upstream gradient $\text{dout}$ is $N \times N$.
#
# - *Habit 1:* $\text{out}_{ij} = \sum_k X_{ik} X_{jk} + c$.
# - *$c$:* it is used by all $N^2$ entries, each time through an add gate (local derivative 1), so
#   it collects every upstream gradient: $dc = \sum_{i, j} \text{dout}_{ij}$, a scalar like $c$.
# - *$X_{ab}$:* it is used twice in the formula. As $X_{ik}$ (with $i = a$, $k = b$) it appears in
#   $\text{out}_{aj}$ for *every* $j$, multiplied by $X_{jb}$; as $X_{jk}$ (with $j = a$, $k = b$)
#   it appears in $\text{out}_{ia}$ for every $i$, multiplied by $X_{ib}$. The multiply gates swap,
#   and habit 2 adds all of it up:
#   $$dX_{ab} = \sum_j \text{dout}_{aj} X_{jb} + \sum_i \text{dout}_{ia} X_{ib} .$$
# - *Habit 4:* the first sum runs over $j$, the second index of dout and the first of $X$: that is
#   $(\text{dout}\, X)_{ab}$. The second runs over $i$, the *first* index of both: that is
#   $(\text{dout}^{\top} X)_{ab}$. So $dX = (\text{dout} + \text{dout}^{\top})\, X$.
# - *Habit 3:* $(N \times N)(N \times D)$ is $N \times D$, the shape of $X$. ✓
#
# By hand, with $X = \begin{pmatrix} 1 & 2 \\ 0 & 1 \end{pmatrix}$, $c = 0.5$ and
# $\text{dout} = \begin{pmatrix} 1 & 1 \\ 0 & 0 \end{pmatrix}$:
# $\text{out} = \begin{pmatrix} 5.5 & 2.5 \\ 2.5 & 1.5 \end{pmatrix}$,
# $dc = 2$, and $dX = \begin{pmatrix} 2 & 1 \\ 1 & 0 \end{pmatrix} X = \begin{pmatrix} 2 & 5 \\ 1 & 2 \end{pmatrix}$.
# A check without any matrices: this dout picks $L = \text{out}_{00} + \text{out}_{01}
# = X_{00}^2 + X_{01}^2 + X_{00} X_{10} + X_{01} X_{11} + 2c$, whose derivative with respect to
# $X_{00}$ is $2 X_{00} + X_{10} = 2$, and with respect to $X_{10}$ is $X_{00} = 1$. The same, for
# random inputs, against centered finite differences (`eval_numerical_gradient_array(f, x, dout)`
# from `utils.gradcheck` computes the gradient of $\sum \text{out} \odot \text{dout}$, which is what
# a backward pass returns for upstream gradient dout):

# %%
def gram_forward(X, c):
    return X @ X.T + c


def gram_backward(dout, X):
    """The gradients derived above: (dX, dc)."""
    return (dout + dout.T) @ X, dout.sum()


X_hand, dout_hand = np.array([[1.0, 2.0], [0.0, 1.0]]), np.array([[1.0, 1.0], [0.0, 0.0]])
dX_hand, dc_hand = gram_backward(dout_hand, X_hand)
print(f"by hand: out = {gram_forward(X_hand, 0.5).tolist()}   dX = {dX_hand.tolist()}   dc = {float(dc_hand)}")

rng = np.random.default_rng(3)
X_g, c_g, dout_g = rng.standard_normal((4, 3)), np.array(0.7), rng.standard_normal((4, 4))
dX_g, dc_g = gram_backward(dout_g, X_g)
dX_num = eval_numerical_gradient_array(lambda v: gram_forward(v, c_g), X_g, dout_g)
dc_num = eval_numerical_gradient_array(lambda v: gram_forward(X_g, v), c_g, dout_g)
print(f"random (4, 3) X: relative error dX {rel_error(dX_g, dX_num):.1e}, dc {rel_error(dc_g, dc_num):.1e}")
print(f"counting only the first use of X: relative error {rel_error(dout_g @ X_g, dX_num):.1e}")

# %% [markdown]
# The derived gradients agree with finite differences to $10^{-10}$ or better. The last line shows
# what a missed use costs: keeping only the first of the two sums gives a relative error in the
# tenths (the largest possible is 1), which a check catches at once.
#
# ### Exercise 3 — `affine_backward`
# Derive $dX$, $dW$ and $d\mathbf b$ for $\text{out}_{ij} = \sum_k X_{ik} W_{kj} + b_j$ with the
# four habits, then code them:
#
# - For one entry $W_{kj}$, one entry $X_{ik}$ and one entry $b_j$: which outputs does it feed, and
#   with which local derivative? Sum over *all* of them.
# - Turn each sum into a matrix product or a `sum`, and check each result's shape against the
#   variable's: $dW$ is $D \times M$, $d\mathbf b$ has $M$ entries.
# - $X$ may have arrived as $(N, d_1, \dots, d_k)$: use its flattened $(N, D)$ form where the
#   forward pass did, and return `dx` with the shape of the original `x`.
#
# Work one entry of the worked example out by hand before you code. With upstream
# $\text{dout} = \begin{pmatrix} 1 & 0 & -1 \\ 0.5 & 2 & 1 \end{pmatrix}$ your function must give
# $dX = \begin{pmatrix} 2 & 2 \\ -0.5 & 3 \end{pmatrix}$,
# $dW = \begin{pmatrix} 2.5 & 6 & 2 \\ 4 & 8 & 2 \end{pmatrix}$ and $d\mathbf b = (1.5, 2, 0)$;
# the checks also try a square case, where a misplaced transpose cannot show up as a shape error.

# %% nbgrader={"grade_id": "affine_backward", "solution": true}
def affine_backward(dout, cache):
    """Backward pass of a fully connected layer.

    dout: (N, M) upstream gradient; cache: (x, w, b) from affine_forward.
    Returns (dx, dw, db) with the shapes of x, w and b.
    """
    x, w, b = cache
    ### BEGIN SOLUTION
    x_rows = x.reshape(x.shape[0], -1)
    dx = (dout @ w.T).reshape(x.shape)
    dw = x_rows.T @ dout
    db = dout.sum(axis=0)
    ### END SOLUTION
    return dx, dw, db


# %% nbgrader={"grade_id": "test_affine_backward", "grade": true, "points": 3}
check("affine_backward", affine_backward)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("affine_backward", affine_backward)
### END HIDDEN TESTS

# %% [markdown]
# **How your backward passes are checked.** The checks compare your gradients with two independent
# references: TensorFlow's autodiff, and centered finite differences, computed as in your
# `numerical_gradient`. For a layer, the numerical reference for `dx` is the gradient of
# $\sum (\text{out} \odot \text{dout})$ with respect to `x`, which is exactly what the backward
# pass returns for upstream gradient `dout`; `eval_numerical_gradient_array(f, x, dout)` from
# `utils.gradcheck` computes it. The comparison uses the relative error
# $\lVert a - b \rVert / (\lVert a \rVert + \lVert b \rVert)$ (`rel_error`), which must stay below
# $10^{-7}$. You can run the same check yourself:

# %%
rng = np.random.default_rng(0)
x, w, b = rng.standard_normal((4, 2, 3)), rng.standard_normal((6, 5)), rng.standard_normal(5)
out, cache = affine_forward(x, w, b)
dout = rng.standard_normal(out.shape)
dx, dw, db = affine_backward(dout, cache)
dx_num = eval_numerical_gradient_array(lambda v: affine_forward(v, w, b)[0], x, dout)
dw_num = eval_numerical_gradient_array(lambda v: affine_forward(x, v, b)[0], w, dout)
db_num = eval_numerical_gradient_array(lambda v: affine_forward(x, w, v)[0], b, dout)
print(f"relative errors: dx {rel_error(dx, dx_num):.1e}, dw {rel_error(dw, dw_num):.1e}, db {rel_error(db, db_num):.1e}")

# %% [markdown] nbgrader={"grade_id": "q_float64", "grade": true, "solution": true, "points": 2}
# **Question.** `utils.gradcheck` refuses float32 arrays, and every check runs in float64. Using the
# plot in section 2, explain why a *correct* backward pass would fail the $10^{-7}$ test if the
# check ran in float32.
#
# ### BEGIN SOLUTION
# The tolerance must sit well above the error of the reference itself. In float64 the centered
# difference is accurate to ~1e-10 at h = 1e-5, four orders below 1e-7, so a correct gradient
# passes and a wrong one fails. In float32 the machine epsilon is ~1.2e-7: the rounding term
# eps*|f|/h is ~1e-2 at h = 1e-5, and even at the best step (h ~ 1e-2 .. 1e-3) the centered
# difference is only accurate to ~1e-5 (the float32 curve in the plot stays near it, lower only at
# a few lucky steps, and for h below ~3e-8 the step vanishes in rounding and the error is all of
# f'). The
# analytic gradient computed in float32 also carries ~1e-7 relative rounding. The numerical
# reference would differ from a correct gradient by ~1e-5 or more, so the test would fail it (and a
# tolerance loose enough to pass it would also pass real bugs).
# ### END SOLUTION

# %% [markdown]
# ### 3.2 ReLU
#
# The rectified linear unit, $\operatorname{ReLU}(x) = \max(0, x)$ applied entry by entry, is the
# activation function of most modern networks. It is a max gate against 0, so it routes: where
# $x > 0$ the upstream gradient passes unchanged, elsewhere it is blocked.
#
# $$\text{out} = \max(0, x), \qquad dx = \text{dout} \odot \mathbb 1[x > 0].$$
#
# At exactly $x = 0$ the derivative does not exist; like TensorFlow we use 0 there. The notes list
# ReLU's advantages (no saturation for $x > 0$, one comparison to compute) and its drawback: a
# unit whose input is negative outputs 0 and passes no gradient, so its weights stop learning.
#
# ### Exercise 4 — `relu_forward` and Exercise 5 — `relu_backward`
# The cache is the input `x`.

# %% nbgrader={"grade_id": "relu_forward", "solution": true}
def relu_forward(x):
    """ReLU of an array of any shape. Returns (out, cache) with cache = x."""
    ### BEGIN SOLUTION
    out = np.maximum(x, 0.0)
    ### END SOLUTION
    return out, x


# %% nbgrader={"grade_id": "test_relu_forward", "grade": true, "points": 1}
check("relu_forward", relu_forward)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("relu_forward", relu_forward)
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "relu_backward", "solution": true}
def relu_backward(dout, cache):
    """Backward pass of ReLU. dout and cache (the input x) have the same shape; returns dx."""
    x = cache
    ### BEGIN SOLUTION
    dx = dout * (x > 0)
    ### END SOLUTION
    return dx


# %% nbgrader={"grade_id": "test_relu_backward", "grade": true, "points": 2}
check("relu_backward", relu_backward)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("relu_backward", relu_backward)
### END HIDDEN TESTS

# %% [markdown]
# ### 3.3 Sigmoid
#
# The sigmoid $\sigma(x) = 1 / (1 + e^{-x})$ squashes any number into $(0, 1)$. Its derivative has
# a famously convenient form:
#
# $$\sigma'(x) = \frac{e^{-x}}{(1 + e^{-x})^2} = \sigma(x)\,\big(1 - \sigma(x)\big),
#   \qquad dx = \text{dout} \odot \sigma(x)\,(1 - \sigma(x)).$$
#
# So the backward pass needs only the forward pass's output: the cache is `out` itself. Note that
# $\sigma'$ is at most $\tfrac14$ (at $x = 0$) and nearly 0 for large $|x|$: every sigmoid layer
# shrinks the gradient by at least a factor of 4, which is the **vanishing gradient** problem the
# notes describe and notebook 04 measures.
#
# **Stability.** Taken literally, the formula computes $e^{-x}$, which overflows to `inf` for
# $x < -709.8$. The result $1 / (1 + \infty) = 0$ happens to be right, but numpy prints an
# overflow warning, and the mirror-image formula $e^{x} / (1 + e^{x})$ gives `inf / inf = nan` for
# large positive $x$. Computing both and choosing with `np.where` still evaluates both, so it still
# overflows. The cure: only ever exponentiate $-|x| \le 0$. With $e = e^{-|x|} \in (0, 1]$,
#
# $$\sigma(x) = \frac{1}{1 + e} \text{ for } x \ge 0, \qquad \sigma(x) = \frac{e}{1 + e} \text{ for } x < 0 .$$

# %%
with np.errstate(over="raise"):          # what the checks do: an overflow is an error, not a warning
    try:
        print(1 / (1 + np.exp(-np.array([-1000.0, 0.0, 1000.0]))))
    except FloatingPointError as err:
        print("naive sigmoid at x = -1000:", err)

# %% [markdown]
# ### Exercise 6 — `sigmoid_forward` and Exercise 7 — `sigmoid_backward`
# No `nan`, no `inf`, and no overflow warnings for $|x|$ up to 1000 and beyond: the checks turn
# numpy's overflow warnings into errors.

# %% nbgrader={"grade_id": "sigmoid_forward", "solution": true}
def sigmoid_forward(x):
    """Sigmoid of an array of any shape, stable for large |x|. Returns (out, cache) with cache = out."""
    ### BEGIN SOLUTION
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1.0, e) / (1.0 + e)
    ### END SOLUTION
    return out, out


# %% nbgrader={"grade_id": "test_sigmoid_forward", "grade": true, "points": 2}
check("sigmoid_forward", sigmoid_forward)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("sigmoid_forward", sigmoid_forward)
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "sigmoid_backward", "solution": true}
def sigmoid_backward(dout, cache):
    """Backward pass of the sigmoid. cache is the forward output sigma(x); returns dx."""
    out = cache
    ### BEGIN SOLUTION
    dx = dout * out * (1.0 - out)
    ### END SOLUTION
    return dx


# %% nbgrader={"grade_id": "test_sigmoid_backward", "grade": true, "points": 2}
check("sigmoid_backward", sigmoid_backward)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("sigmoid_backward", sigmoid_backward)
### END HIDDEN TESTS

# %% [markdown]
# Both activations and their derivatives, computed by your layers (the derivative is the backward
# pass with upstream gradient 1):

# %%
grid = np.linspace(-6, 6, 241)
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
for ax, (name, fwd, bwd) in zip(axes, [("ReLU", relu_forward, relu_backward),
                                       ("sigmoid", sigmoid_forward, sigmoid_backward)]):
    out, cache = fwd(grid)
    ax.plot(grid, out, label=name)
    ax.plot(grid, bwd(np.ones_like(grid), cache), "--", label=f"derivative of {name}")
    ax.legend()
    ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 4. A two-layer network and its gradients
#
# The notes' two-layer network, with biases, is $f = W_2 \max(0, W_1 x + b_1) + b_2$. With examples
# as rows of $X$ it reads
#
# $$\text{scores} = \max(0,\, X W_1 + \mathbf b_1)\, W_2 + \mathbf b_2,$$
#
# an affine layer, a ReLU and a second affine layer: a graph of the three layers you just wrote.
# The scores go into a loss. For classification that is the softmax cross-entropy: the mean over the
# batch of $-\log$ of the probability the softmax gives the correct class. Notebook 03 derives it
# and its gradient, $\partial L / \partial \text{scores} = (\text{softmax}(\text{scores}) -
# \text{one-hot}(y)) / N$; here it is given.

# %%
def softmax_loss(scores, y):
    """Mean softmax cross-entropy of a batch and its gradient with respect to the scores
    (given here; notebook 03 builds it step by step)."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(y))
    dscores = np.exp(log_p)
    dscores[rows, y] -= 1.0
    return -log_p[rows, y].mean(), dscores / len(y)


# %% [markdown]
# The backward pass visits the graph in reverse:
#
# $$X \xrightarrow{\ \text{affine}(W_1, \mathbf b_1)\ } H \xrightarrow{\ \text{ReLU}\ } A
#   \xrightarrow{\ \text{affine}(W_2, \mathbf b_2)\ } \text{scores} \xrightarrow{\ \text{softmax loss}\ } L$$
#
# `softmax_loss` gives `dscores`; `affine_backward` of the second layer turns it into `dA`, `dW2`,
# `db2`; `relu_backward` turns `dA` into `dH`; and `affine_backward` of the first layer gives `dW1`
# and `db1` (and `dX`, which nobody needs). Keep each forward call's cache for its backward call.
#
# ### Exercise 8 — `two_layer_loss`

# %% nbgrader={"grade_id": "two_layer_loss", "solution": true}
def two_layer_loss(params, X, y):
    """Loss and gradients of the two-layer network scores = max(0, X W1 + b1) W2 + b2.

    params: dict with "W1" (D, H), "b1" (H,), "W2" (H, C), "b2" (C,).
    X: (N, D) inputs; y: (N,) integer labels in 0 .. C-1.
    Returns (loss, grads): loss is softmax_loss of the scores (a float), grads a dict with the same
    keys and shapes as params.
    """
    ### BEGIN SOLUTION
    hidden, cache_1 = affine_forward(X, params["W1"], params["b1"])
    active, cache_relu = relu_forward(hidden)
    scores, cache_2 = affine_forward(active, params["W2"], params["b2"])
    loss, dscores = softmax_loss(scores, y)
    dactive, dW2, db2 = affine_backward(dscores, cache_2)
    dhidden = relu_backward(dactive, cache_relu)
    _, dW1, db1 = affine_backward(dhidden, cache_1)
    grads = {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    ### END SOLUTION
    return loss, grads


# %% nbgrader={"grade_id": "test_two_layer_loss", "grade": true, "points": 4}
check("two_layer_loss", two_layer_loss)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("two_layer_loss", two_layer_loss)
### END HIDDEN TESTS

# %% [markdown]
# The same gradient check for the whole network, parameter by parameter, with the tool you built in
# Exercise 1: your `numerical_gradient` perturbs the array inside `params` in place, so the function
# below reads the parameters from `params` each time it is called. (Finite differences are
# unreliable right at ReLU's kink, where a step of $h$ can switch a unit on or off; random inputs
# almost never land within $10^{-5}$ of it, and the hidden checks make sure they don't.)

# %%
rng = np.random.default_rng(1)
params = {"W1": rng.standard_normal((3, 5)), "b1": rng.standard_normal(5),
          "W2": rng.standard_normal((5, 4)), "b2": rng.standard_normal(4)}
X_small, y_small = rng.standard_normal((6, 3)), rng.integers(0, 4, size=6)
loss, grads = two_layer_loss(params, X_small, y_small)
for name in params:
    numeric = numerical_gradient(lambda _: two_layer_loss(params, X_small, y_small)[0], params[name])
    print(f"{name}: relative error {rel_error(grads[name], numeric):.1e}")

# %% [markdown]
# ## 5. Gradient descent, mini-batches and the training loop
#
# **Gradient descent (경사 하강법)** walks downhill: the gradient points where the loss grows fastest,
# so step the other way,
#
# $$\theta_{i+1} = \theta_i - \gamma\, \nabla L(\theta_i),$$
#
# where $\gamma$ is the learning rate (학습률), a **hyperparameter (하이퍼파라미터)**: a setting we
# choose, not one the training learns. The notes' pseudo-code:
#
# ```
# while True:
#     grad = calculate_gradient(loss_func, parameters)
#     parameters -= learning_rate * grad
# ```
#
# **Worked example** (the notes' set-up: a propagated gradient of 2 and learning rate 0.1). Take
# the scalar network $f = w_2 (w_1 x + b_1) + b_2$ with $x = 2$, $w_1 = 0.5$, $b_1 = 1$,
# $w_2 = 3$, $b_2 = -1$. Forward: $h = w_1 x + b_1 = 2$ and $f = w_2 h + b_2 = 5$. Backward from
# $\partial L / \partial f = 2$: the add gates give $\partial L/\partial b_2 = 2$ and
# $\partial L/\partial b_1 = \partial L/\partial h$; the multiply gates swap, giving
# $\partial L/\partial w_2 = 2h = 4$, $\partial L/\partial h = 2 w_2 = 6$ and
# $\partial L/\partial w_1 = 6x = 12$. One step with $\gamma = 0.1$ moves every parameter by
# $-0.1 \times$ its gradient. (Without a ReLU between them the two layers collapse into one linear
# function, $w_2 w_1 x + \dots$; the example only shows the mechanics.)

# %%
x_in, upstream, lr = 2.0, 2.0, 0.1
w1, b1, w2, b2 = 0.5, 1.0, 3.0, -1.0
h = w1 * x_in + b1
grads = {"w2": upstream * h, "b2": upstream, "w1": upstream * w2 * x_in, "b1": upstream * w2}
print(f"h = {h}, f = {w2 * h + b2}; gradients {grads}")
params_now = {"w1": w1, "b1": b1, "w2": w2, "b2": b2}
print("after one step:", {k: round(v - lr * grads[k], 10) for k, v in params_now.items()})

# %% [markdown]
# **Full batch versus stochastic.** Computing the gradient on *all* training examples before each
# step — **full-batch** gradient descent — gives the exact gradient but only one step per pass over
# the data, and the whole data set must fit through the network at once. **Stochastic gradient
# descent** (SGD) estimates the gradient from a few randomly chosen examples, a
# **mini-batch (미니배치)**, and steps after every one. Each step is noisier, but there are many
# more of them for the same work, and the noise does little harm. Strictly, SGD means a
# **batch (배치)** of one example and anything larger is mini-batch gradient descent; in practice
# both are called SGD. Batch sizes are usually powers of two (32, 64, 128) because they map well
# onto the hardware.
#
# > **A slip in the notes.** One set of class notes calls a mini-batch of size 1 the same as a
# > batch. It is the other extreme: size 1 is SGD in the strict sense, and a mini-batch as large as
# > the training set is full-batch gradient descent.
#
# **Epochs and iterations.** An **iteration** (or step) is one update, computed from one
# mini-batch. An **epoch (에포크)** is one pass over the whole training set. With 1000 training
# examples and mini-batches of 64 there are $\lceil 1000 / 64 \rceil = 16$ iterations per epoch:
# 15 full mini-batches of 64 (960 examples) and a last one of the remaining 40.

# %%
n_examples, batch_size = 1000, 64
sizes = [min(batch_size, n_examples - start) for start in range(0, n_examples, batch_size)]
print(f"{len(sizes)} iterations per epoch (ceil(1000/64) = {math.ceil(n_examples / batch_size)}); "
      f"batch sizes {sizes[:3]} ... {sizes[-2:]}")

# %% [markdown]
# **The training loop.** The notes' pseudo-code for training a network:
#
# ```
# while True:
#     batch_data = sample_batch_data()
#     loss = network.forward(batch_data)
#     grad_weight = network.backward()
#     weight -= learning_rate * grad_weight
# ```
#
# We organise it in epochs: at the start of each epoch shuffle the training set
# (`rng.permutation(N)`), then walk through it one mini-batch at a time. Each example is used
# exactly once per epoch, and the order changes from epoch to epoch. Three given helpers set up the
# parameters (small random weights scaled to the layer size — notebook 04 explains why) and
# measure accuracy with your layers:

# %%
def init_two_layer(input_dim, hidden_dim, num_classes, rng):
    """Random weights scaled to the layer sizes (He initialisation, notebook 04) and zero biases."""
    return {"W1": rng.standard_normal((input_dim, hidden_dim)) * np.sqrt(2.0 / input_dim),
            "b1": np.zeros(hidden_dim),
            "W2": rng.standard_normal((hidden_dim, num_classes)) * np.sqrt(1.0 / hidden_dim),
            "b2": np.zeros(num_classes)}


def predict(params, X):
    """The class with the highest score, computed with your layers."""
    first = relu_forward(affine_forward(X, params["W1"], params["b1"])[0])[0]
    return affine_forward(first, params["W2"], params["b2"])[0].argmax(axis=1)


def accuracy(params, X, y):
    return float(np.mean(predict(params, X) == y))


# %% [markdown]
# ### Exercise 9 — `train_two_layer`
# Fill in one epoch of mini-batch SGD: shuffle with `rng.permutation(N)`, take the mini-batches in
# that order (the last one may be smaller — don't drop it), and for each one compute
# `two_layer_loss` and update every parameter in place, `params[k] -= learning_rate * grads[k]`.
# Collect the mini-batch losses in `batch_losses`; the given code records their mean and the
# validation accuracy after every epoch.

# %% nbgrader={"grade_id": "train_two_layer", "solution": true}
def train_two_layer(X, y, X_val, y_val, hidden_dim=64, learning_rate=1.0, batch_size=64, epochs=300,
                    seed=0, verbose=False):
    """Train the two-layer network with mini-batch SGD.

    X: (N, D) training inputs, y: (N,) labels in 0 .. C-1; X_val, y_val: validation data.
    Returns (params, history): the trained parameters, and history["loss"] (each epoch's mean
    mini-batch loss) and history["val_accuracy"] (validation accuracy after each epoch).
    """
    rng = np.random.default_rng(seed)
    params = init_two_layer(X.shape[1], hidden_dim, int(y.max()) + 1, rng)
    history = {"loss": [], "val_accuracy": []}
    N = X.shape[0]
    for epoch in trange(epochs, desc="epochs", disable=not verbose):
        batch_losses = []
        ### BEGIN SOLUTION
        order = rng.permutation(N)
        for start in range(0, N, batch_size):
            batch = order[start:start + batch_size]
            loss, grads = two_layer_loss(params, X[batch], y[batch])
            for key in params:
                params[key] -= learning_rate * grads[key]
            batch_losses.append(loss)
        ### END SOLUTION
        history["loss"].append(float(np.mean(batch_losses)))
        history["val_accuracy"].append(accuracy(params, X_val, y_val))
    return params, history


# %% nbgrader={"grade_id": "test_train_two_layer", "grade": true, "points": 4}
check("train_two_layer", train_two_layer)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("train_two_layer", train_two_layer)
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Untangling the spirals
#
# Three spiral arms of 100 points each wind around one another: no straight line separates any arm
# from the others, so a linear classifier cannot do much better than chance. We keep 20% of the
# points aside for validation and train on the rest.
#
# **The bar to clear.** The check trains your loop with these settings (64 hidden units, learning
# rate 1.0, mini-batches of 64, 300 epochs) and asks for at least **85% validation accuracy**. We
# measured the reference solution on 100 different spiral data sets with two training seeds each:
# its validation accuracy ranged from 91.7% to 100% (mean 97.7%; 60 validation points, so one point
# is 1.7%). 85% leaves four validation points of margin below the worst run, and is far above what
# any straight-line boundary can do: a linear softmax classifier, trained to convergence on the first
# 20 of those data sets, reaches 51% on average and at most 63%.

# %%
X_all, y_all = spirals(seed=0)
X_train, y_train, X_val, y_val = train_val_split(X_all, y_all, seed=0)
params, history = train_two_layer(X_train, y_train, X_val, y_val, verbose=True)
print(f"validation accuracy {history['val_accuracy'][-1]:.1%}, final training loss {history['loss'][-1]:.3f}")

# %%
fig = plot_history(history, title="Two-layer network on the spirals")
plt.show()

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
plot_decision_boundary(lambda P: predict(params, P), X_train, y_train, ax=axes[0], title="training points")
plot_decision_boundary(lambda P: predict(params, P), X_val, y_val, ax=axes[1], title="validation points")
fig.tight_layout()
plt.show()

# %% [markdown]
# **Batch size.** The same network trained with mini-batches of 1, 16 and 64 examples and with the
# full batch (all 240 training points), at one learning rate, for the same number of epochs. Per
# epoch, small batches make many more updates and so get further; per update, the full batch's
# exact gradient is the steadiest but each of its updates costs 240 examples' work.

# %%
epochs_compared = 40 if FAST else 150
runs = {}
for bs in tqdm([1, 16, 64, len(y_train)], desc="batch sizes"):
    _, runs[bs] = train_two_layer(X_train, y_train, X_val, y_val, learning_rate=0.1, batch_size=bs,
                                  epochs=epochs_compared)

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for bs, hist in runs.items():
    updates = np.arange(1, epochs_compared + 1) * math.ceil(len(y_train) / bs)
    label = "full batch" if bs == len(y_train) else f"batch {bs}"
    axes[0].plot(np.arange(1, epochs_compared + 1), hist["loss"], label=label)
    axes[1].plot(updates, hist["loss"], label=label)
axes[0].set(xlabel="epoch", ylabel="training loss", title="per epoch")
axes[1].set(xlabel="updates (iterations)", xscale="log", title="per update")
for ax in axes:
    ax.legend()
    ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown] nbgrader={"grade_id": "q_epoch_iteration", "grade": true, "solution": true, "points": 2}
# **Question.** A training set has 1000 examples and you train for 10 epochs with mini-batches of
# 64. How many iterations (parameter updates) is that, how many examples does the last mini-batch of
# each epoch hold, and how many updates would full-batch gradient descent make in the same 10
# epochs? Counted per epoch (the left panel of the batch-size plot above), which of the two would
# you expect to reach a low loss sooner, and why?
#
# ### BEGIN SOLUTION
# Each epoch has ceil(1000/64) = 16 iterations: 15 mini-batches of 64 (960 examples) and a last one
# of 40, so 10 epochs make 160 updates. Full-batch gradient descent makes one update per epoch,
# 10 in all. Per epoch, mini-batch SGD gets much further: it makes 16 times as many steps for the
# same amount of computation, and its gradient estimates, though noisy, point roughly downhill
# (the plot's "per epoch" panel). Per update the full batch is steadier, but each update costs a
# pass over all the data.
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# - Backpropagation is the chain rule on a computational graph: each node multiplies the upstream
#   gradient by its local derivative. Add distributes, multiply swaps, max routes.
# - Centered differences, $(f(x+h) - f(x-h)) / 2h$, have error $O(h^2)$; with $h = 10^{-5}$ in
#   float64 they check a gradient to about $10^{-10}$.
# - A layer is a `forward` that returns `(out, cache)` and a `backward` that turns the upstream
#   gradient into one gradient per input. To derive one: write an output entry with indices, collect
#   upstream × local derivative over *every* use of a variable, turn the sums into matrix products
#   (summed index inside) or axis sums, and check that each gradient has its variable's shape.
#   ReLU routes; sigmoid multiplies by $\sigma(1 - \sigma)$ and must be computed without overflow.
# - Training repeats forward, backward and $\theta \leftarrow \theta - \gamma \nabla L$ over
#   mini-batches; one epoch is $\lceil N / B \rceil$ iterations.
# - Next: notebook 03 derives the softmax cross-entropy loss used here, and notebook 04 asks how to
#   choose the initial weights.

# %% [markdown]
# Before you hand in: run every visible check of this notebook at once.

# %%
from utils.checks import check_all
check_all();
