# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 · Optimizers
#
# Backpropagation gives us the gradient of the loss with respect to every weight. It does not say
# how far to move, or whether the gradients of earlier steps should count too. That is the job of
# the **optimizer (최적화 알고리즘)**, the algorithm that turns gradients into weight updates; training
# a network is an **optimization (최적화)** problem, and the optimizer decides how fast, and whether,
# it gets solved.
#
# This notebook builds the optimizers every framework ships — SGD, momentum, AdaGrad, RMSProp and
# Adam — as small numpy functions, checks them against `keras.optimizers` step by step, races them
# on two test functions and on a small network trained on Fashion-MNIST, and then turns to the
# other half of the job: choosing the learning rate, decaying it during training, and searching
# for hyper-parameters.
#
# **You will implement:** `sgd`, `sgd_momentum`, `adagrad`, `rmsprop`, `adam`, `cosine_decay`,
# `random_search`. Each has a test cell right below it.

# %%
import math
import sys

import matplotlib.pyplot as plt
import numpy as np
from tqdm.auto import trange

from utils import FAST
from utils.checks import check
from utils.data import use_offline_cache
from utils.optim import (DEFAULTS, ROSENBROCK, VALLEY, FashionMLP, agreement_with_keras,
                         hyperparameters, keras_exponential_decay, plot_losses, plot_trajectories,
                         rollout, run_on_function)

use_offline_cache()   # read Fashion-MNIST from the course's offline copy when there is one
np.set_printoptions(precision=5, suppress=True)

# %% [markdown]
# ## 1. One API for every update rule
#
# Every optimizer in this notebook is a function with the same signature:
#
# ```python
# next_w, config = rule(w, dw, config)
# ```
#
# `w` is one parameter array (a weight matrix, a bias vector), `dw` the gradient of the loss with
# respect to it, and `config` a dict that holds two kinds of things:
#
# - the rule's **hyper-parameters (하이퍼파라미터)** — `learning_rate`, `momentum`, `beta_1`, ... —
#   under the names Keras uses. A missing one gets its default, which is Keras' default for the
#   same optimizer (listed in `DEFAULTS` below);
# - the rule's **state**: whatever it must remember between steps (a velocity, an accumulator,
#   Adam's two averages and its step count). It starts empty and the rule fills it in.
#
# The rule returns the updated parameter and the config, and the caller hands that config back on
# the next step. A network has many parameter arrays, and each gets a config of its own, because
# the state has the shape of the parameter. Here is the loop that drives a rule, written out
# (`utils.optim.rollout` is the same loop, used by the checks):
#
# ```python
# config = {"learning_rate": 0.1}          # hyper-parameters; the state is added by the rule
# for step in range(steps):
#     dw = gradient_of_loss(w)
#     w, config = rule(w, dw, config)
# ```

# %%
for name, defaults in DEFAULTS.items():
    print(f"{name:13s} {defaults}")

# %% [markdown]
# ## 2. Stochastic gradient descent
#
# The simplest rule steps against the gradient, scaled by the **learning rate (학습률)** $\eta$:
#
# $$w \leftarrow w - \eta \, \nabla_w L .$$
#
# With the gradient of the whole training set this is gradient descent; with the gradient of a
# random mini-batch, an unbiased but noisy estimate, it is **stochastic gradient descent
# (확률적 경사 하강법, SGD)**. The update rule is the same; only where `dw` comes from differs.
#
# **Worked example.** $w = (1, -2, 3)$, $\nabla L = (0.5, 0.25, -1)$ and $\eta = 0.1$ give
# $w - 0.1\,\nabla L = (0.95, -2.025, 3.1)$.
#
# ### Exercise 1 — `sgd`

# %% nbgrader={"grade_id": "sgd", "solution": true}
def sgd(w, dw, config=None):
    """Vanilla SGD: w <- w - learning_rate * dw.

    w, dw: arrays of the same shape (a parameter and the gradient of the loss with respect to it).
    config: dict with "learning_rate" (default 0.01, as keras.optimizers.SGD).
    Returns (next_w, config).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    ### BEGIN SOLUTION
    next_w = w - config["learning_rate"] * dw
    ### END SOLUTION
    return next_w, config


# %% nbgrader={"grade_id": "test_sgd", "grade": true, "points": 1}
check("sgd", sgd)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("sgd", sgd)
### END HIDDEN TESTS

# %% [markdown]
# ### SGD in a narrow valley
#
# Our first test function is an elongated bowl, $f(x, y) = x^2/20 + 5y^2$: its gradient
# $(x/10,\ 10y)$ grows a hundred times faster across the valley ($y$) than along it ($x$).
# One learning rate has to serve both directions. In $y$ an SGD step multiplies $y$ by
# $1 - 10\eta$, so any $\eta > 0.2$ makes $y$ grow and the run diverges; in $x$ a step multiplies
# $x$ by $1 - \eta/10$, so with $\eta \le 0.2$ the walk along the valley floor takes hundreds of
# steps. A small rate crawls; a rate just below the limit zig-zags across the valley.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 3.6))
paths = {f"SGD lr={lr}": run_on_function(sgd, VALLEY, 60, {"learning_rate": lr}) for lr in (0.05, 0.19)}
plot_trajectories(VALLEY, paths, ax=axes[0])
plot_losses({name: [VALLEY(w) for w in path] for name, path in paths.items()}, ax=axes[1],
            title="f(w) per step")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 3. Averaging the past: exponentially weighted moving averages
#
# The cure for the zig-zag is to average. Across the valley successive gradients point in opposite
# directions and cancel; along the floor they agree and add up. Momentum, RMSProp and Adam all
# average with the same device, the **exponentially weighted moving average (지수 가중 이동 평균, EWMA)**:
#
# $$v_t = \beta\, v_{t-1} + (1 - \beta)\, \theta_t, \qquad v_0 = 0 .$$
#
# Unrolled, $v_t = (1-\beta)\sum_{k \le t} \beta^{t-k} \theta_k$: the weights fall off
# geometrically and add up to $1 - \beta^t$, and about two thirds of them ($1 - 1/e$) fall on the
# last $1/(1-\beta)$ values, so $\beta = 0.9$ averages roughly the last 10 values and
# $\beta = 0.99$ the last 100. Unlike a plain average over a window,
# it keeps a single number, not the last $1/(1-\beta)$ values — the reason the notes give for using
# it: it needs little memory.
#
# Starting from $v_0 = 0$ biases the first values towards 0. **Worked example.** A constant
# $\theta_t = 10$ with $\beta = 0.9$ gives $v_1 = 1$, $v_2 = 1.9$, $v_3 = 2.71$: in general
# $v_t = (1 - \beta^t) \cdot 10$. Dividing by $1 - \beta^t$ removes the bias exactly — this is the
# **bias correction (편향 보정)** $\hat v_t = v_t / (1 - \beta^t)$, which Adam uses below.

# %%
rng = np.random.default_rng(0)
theta = 10 + 3 * np.sin(np.arange(60) / 8) + rng.standard_normal(60)
fig, ax = plt.subplots(figsize=(7, 3.4))
ax.plot(theta, ".", color="gray", label=r"noisy values $\theta_t$")
for beta in (0.5, 0.9):
    v, ewma, corrected = 0.0, [], []
    for t, x in enumerate(theta, start=1):
        v = beta * v + (1 - beta) * x
        ewma.append(v)
        corrected.append(v / (1 - beta ** t))
    line, = ax.plot(ewma, label=fr"EWMA $\beta$={beta}")
    ax.plot(corrected, "--", color=line.get_color(), label=fr"bias-corrected, $\beta$={beta}")
ax.set(xlabel="t", ylim=(0, 15))
ax.legend(fontsize=8, ncol=2)
plt.show()
print("v_1, v_2, v_3 for a constant 10 and beta 0.9:", [round(10 * (1 - 0.9 ** t), 4) for t in (1, 2, 3)])

# %% [markdown]
# ## 4. Momentum
#
# **Momentum (모멘텀)** borrows from physics. Think of $w$ as a ball rolling on the loss surface:
# the gradient is a force that changes the ball's velocity, and the velocity moves the ball.
# A friction-like factor $\mu$ keeps most of the previous velocity:
#
# $$v \leftarrow \mu\, v - \eta \nabla_w L, \qquad w \leftarrow w + v .$$
#
# This is the notes' pseudo-code (`vel = mu * vel - learning_rate * dx; x += vel`) and exactly what
# `keras.optimizers.SGD(momentum=mu)` computes. The velocity is an EWMA of past gradients
# (scaled by $-\eta/(1-\mu)$): along a slope that stays the same it reaches the terminal velocity
# $-\eta \nabla L / (1 - \mu)$, ten times a plain SGD step for $\mu = 0.9$ and a hundred times
# for $0.99$, while oscillating components cancel. A ball with momentum also rolls across small
# bumps and flat regions (plateaus) where the gradient alone would stall.
#
# Two remarks on the notes. They describe the update in words as "velocity = friction × previous
# velocity − current velocity"; the last term is the learning rate times the current *gradient*
# (a force), not a velocity. And they call $\mu$ a friction coefficient, with typical values 0.95
# and 0.99 (0.9 is the most common default): $\mu$ is the fraction of the velocity that
# *survives* a step, so more friction means a smaller $\mu$.
#
# **Worked example.** With $\eta = 0.1$, $\mu = 0.9$ and a constant gradient $g$:
# $v_1 = -0.1\,g$, $v_2 = 0.9\,v_1 - 0.1\,g = -0.19\,g$, and after $k$ steps
# $v_k = -0.1\,g\,(1 - 0.9^k)/(1 - 0.9)$, approaching $-g$.
#
# ### Exercise 2 — `sgd_momentum`
# Keep the velocity in `config["velocity"]` (zeros, shaped like `w`, before the first step).

# %% nbgrader={"grade_id": "sgd_momentum", "solution": true}
def sgd_momentum(w, dw, config=None):
    """SGD with momentum: v <- momentum * v - learning_rate * dw, then w <- w + v.

    config: "learning_rate" (default 0.01), "momentum" (default 0.9); state: "velocity", an array
    like w, zeros before the first step (as keras.optimizers.SGD(momentum=...)).
    Returns (next_w, config).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    ### BEGIN SOLUTION
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w + v
    config["velocity"] = v
    ### END SOLUTION
    return next_w, config


# %% nbgrader={"grade_id": "test_sgd_momentum", "grade": true, "points": 2}
check("sgd_momentum", sgd_momentum)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("sgd_momentum", sgd_momentum)
### END HIDDEN TESTS

# %% [markdown]
# Momentum in the valley, at the learning rate where SGD crawled:

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 3.6))
paths = {"SGD lr=0.05": run_on_function(sgd, VALLEY, 60, {"learning_rate": 0.05})}
for mu in (0.5, 0.9):
    paths[f"momentum {mu}, lr=0.05"] = run_on_function(sgd_momentum, VALLEY, 60, {"learning_rate": 0.05, "momentum": mu})
plot_trajectories(VALLEY, paths, ax=axes[0])
plot_losses({name: [VALLEY(w) for w in path] for name, path in paths.items()}, ax=axes[1], title="f(w) per step")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 5. AdaGrad: a learning rate per parameter
#
# Momentum still uses one learning rate for every coordinate. **AdaGrad** gives each
# parameter its own, by dividing by the root of the sum of all its past squared gradients:
#
# $$G \leftarrow G + (\nabla L)^2, \qquad w \leftarrow w - \eta\, \frac{\nabla L}{\sqrt{G + \varepsilon}}$$
#
# (squares, roots and the division are elementwise). A coordinate with large gradients, like $y$ in
# our valley, gets small steps; a coordinate with small or rare gradients gets large ones. The
# catch: $G$ only grows, so the effective learning rate $\eta / \sqrt{G}$ decays towards zero and
# long runs stall.
#
# **Keras' conventions, read from the installed source** (`keras/src/optimizers/adagrad.py`):
# the accumulator $G$ starts at `initial_accumulator_value = 0.1`, not at 0 (so the first step is
# not a full $\eta\,\mathrm{sign}(g)$ whatever the gradient's size), and $\varepsilon = 10^{-7}$ is
# added *inside* the square root. **Worked example:** starting from $G = 0.16$, the gradient
# $0.3$ gives $G = 0.25$ and a step of $0.1 \cdot 0.3 / 0.5 = 0.06$ with $\eta = 0.1$.
#
# ### Exercise 3 — `adagrad`
# Follow Keras exactly: the accumulator (`config["accumulator"]`) starts at
# `initial_accumulator_value`, and epsilon goes inside the square root.

# %% nbgrader={"grade_id": "adagrad", "solution": true}
def adagrad(w, dw, config=None):
    """AdaGrad: G <- G + dw**2, then w <- w - learning_rate * dw / sqrt(G + epsilon).

    config: "learning_rate" (default 0.001), "initial_accumulator_value" (default 0.1),
    "epsilon" (default 1e-7); state: "accumulator" G, an array like w that starts at
    initial_accumulator_value (as keras.optimizers.Adagrad).
    Returns (next_w, config).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("initial_accumulator_value", 0.1)
    config.setdefault("epsilon", 1e-7)
    ### BEGIN SOLUTION
    G = config.get("accumulator", np.full_like(w, config["initial_accumulator_value"]))
    G = G + dw ** 2
    next_w = w - config["learning_rate"] * dw / np.sqrt(G + config["epsilon"])
    config["accumulator"] = G
    ### END SOLUTION
    return next_w, config


# %% nbgrader={"grade_id": "test_adagrad", "grade": true, "points": 2}
check("adagrad", adagrad)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("adagrad", adagrad)
### END HIDDEN TESTS

# %% [markdown]
# ## 6. RMSProp: forget the distant past
#
# **RMSProp** keeps AdaGrad's per-parameter scaling but replaces the sum by an EWMA
# of the squared gradients, so old gradients fade out and the learning rate no longer decays to
# zero. In the notes' words, it penalises weights that receive frequent or large gradients, and the
# moving average keeps the learning rate from dropping sharply:
#
# $$s \leftarrow \rho\, s + (1 - \rho)(\nabla L)^2, \qquad
#   w \leftarrow w - \eta\, \frac{\nabla L}{\sqrt{s + \varepsilon}} .$$
#
# The notes suggest $\rho \approx 0.99$ and $\varepsilon = 10^{-8}$ "to keep the denominator from
# being 0", inside the root (`x += -learning_rate / sqrt(accm + 1e-8) * dx`). Keras puts
# $\varepsilon$ in the same place (`rmsprop.py` divides by `sqrt(velocity + epsilon)`, with $s$
# starting at 0) but defaults to $\rho = 0.9$ and $\varepsilon = 10^{-7}$. PyTorch, for
# comparison, adds $\varepsilon$ *outside* the root. The placement changes a step by a relative
# amount of roughly $\varepsilon/\sqrt{s}$: invisible in a training curve for ordinary gradients,
# but well above the $10^{-6}$ our checks allow, and decisive once $s$ is comparable to
# $\varepsilon$ (gradients of about $10^{-3}$ or smaller).
#
# RMSProp has no bias correction, so its first step is large: $s_1 = (1-\rho) g^2$ and the step is
# $\eta\, g / \sqrt{(1 - \rho) g^2} = \eta\,\mathrm{sign}(g)/\sqrt{1-\rho}$ — about $3.16\,\eta$
# for $\rho = 0.9$ and $10\,\eta$ for the notes' $0.99$.
#
# ### Exercise 4 — `rmsprop`
# Keras' conventions: `config["mean_square"]` starts at zeros; epsilon inside the square root.

# %% nbgrader={"grade_id": "rmsprop", "solution": true}
def rmsprop(w, dw, config=None):
    """RMSProp: s <- rho * s + (1 - rho) * dw**2, then w <- w - learning_rate * dw / sqrt(s + epsilon).

    config: "learning_rate" (default 0.001), "rho" (default 0.9), "epsilon" (default 1e-7);
    state: "mean_square" s, an array like w that starts at zeros (as keras.optimizers.RMSprop).
    Returns (next_w, config).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("rho", 0.9)
    config.setdefault("epsilon", 1e-7)
    ### BEGIN SOLUTION
    s = config.get("mean_square", np.zeros_like(w))
    s = config["rho"] * s + (1 - config["rho"]) * dw ** 2
    next_w = w - config["learning_rate"] * dw / np.sqrt(s + config["epsilon"])
    config["mean_square"] = s
    ### END SOLUTION
    return next_w, config


# %% nbgrader={"grade_id": "test_rmsprop", "grade": true, "points": 2}
check("rmsprop", rmsprop)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("rmsprop", rmsprop)
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Adam: momentum + RMSProp + bias correction
#
# **Adam** (Kingma & Ba, 2015) keeps both averages: an EWMA $m$ of the gradients, as in
# momentum, and an EWMA $v$ of the squared gradients, as in RMSProp. Both start at 0, so both are
# biased towards 0 early on, and Adam corrects them as in section 3:
#
# $$m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2,$$
# $$\hat m_t = \frac{m_t}{1 - \beta_1^t}, \qquad \hat v_t = \frac{v_t}{1 - \beta_2^t}, \qquad
#   w_t = w_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon} .$$
#
# $t = 1, 2, \dots$ counts the steps, so Adam's state is $m$, $v$ and $t$.
#
# **The notes' Adam has no bias correction.** Their pseudo-code (with the remark that practice uses
# "a slightly changed version") is
# `m = beta_1*m + (1-beta_1)*dx; v = beta_2*v + (1-beta_2)*(dx**2); x += -learning_rate * m / (sqrt(v) + 1e-7)`
# (the notes print `dx**` — the `2` is missing). What does leaving out the correction change?
# At step 1, $m_1 = (1 - \beta_1) g$ and $\sqrt{v_1} = \sqrt{1 - \beta_2}\,|g|$, so the notes'
# step is
#
# $$\eta\, \frac{(1 - \beta_1)\, g}{\sqrt{1 - \beta_2}\,|g|} = \frac{0.1}{0.0316}\, \eta\, \mathrm{sign}(g)
#   \approx 3.16\, \eta\, \mathrm{sign}(g)$$
#
# for the usual $\beta_1 = 0.9$, $\beta_2 = 0.999$, while the corrected step is exactly
# $\eta\,\mathrm{sign}(g)$ (up to $\varepsilon$). The first moment's bias (a factor $1-\beta_1^t$)
# fades within about ten steps, the second moment's ($\sqrt{1-\beta_2^t}$) only over thousands,
# so for a constant gradient the uncorrected steps are $(1-\beta_1^t)/\sqrt{1-\beta_2^t}$ times
# too large: 3.2 at $t = 1$, a peak of 6.6 around $t = 12$, still 3.2 at $t = 100$ and 1.3 at
# $t = 1000$. Without the correction, Adam's early steps are several times the learning rate
# you asked for — too large, not too small, exactly when the weights are furthest from any minimum.

# %%
t = np.arange(1, 3001)
factor = (1 - 0.9 ** t) / np.sqrt(1 - 0.999 ** t)
fig, ax = plt.subplots(figsize=(7, 3.2))
ax.semilogx(t, factor, label=r"$\beta_2 = 0.999$")
ax.semilogx(t, (1 - 0.9 ** t) / np.sqrt(1 - 0.99 ** t), label=r"$\beta_2 = 0.99$")
ax.axhline(1, color="gray", ls=":")
ax.set(xlabel="step t", ylabel="uncorrected / corrected step",
       title=r"the notes' Adam without bias correction ($\beta_1 = 0.9$, constant gradient)")
ax.legend()
plt.show()
print("factor at t = 1, 12, 100, 1000:", factor[[0, 11, 99, 999]].round(2))

# %% [markdown]
# ### Where exactly does $\varepsilon$ go? Keras' convention
#
# Reading `keras/src/optimizers/adam.py` (Keras 3.15) shows that Keras does *not* add $\varepsilon$
# to $\sqrt{\hat v_t}$. It folds both corrections into the step size and adds $\varepsilon$ to the
# root of the raw, uncorrected $v_t$:
#
# $$\alpha_t = \eta\, \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}, \qquad
#   w_t = w_{t-1} - \alpha_t\, \frac{m_t}{\sqrt{v_t} + \varepsilon} .$$
#
# This is the "more efficient" ordering of section 2 of the Adam paper (TensorFlow has always used
# it). It equals the formula above with $\varepsilon$ replaced by
# $\hat\varepsilon_t = \varepsilon / \sqrt{1 - \beta_2^t}$: about $31.6\,\varepsilon$ at $t = 1$,
# shrinking to $\varepsilon$ as $t$ grows. PyTorch follows Algorithm 1 of the paper and adds
# $\varepsilon$ to $\sqrt{\hat v_t}$. For ordinary gradients the two steps differ by a relative
# $30\,\varepsilon/|g|$ or less; for gradients near $\varepsilon$ they differ completely. **This course uses
# Keras' form**, with Keras' defaults $\eta = 0.001$, $\beta_1 = 0.9$, $\beta_2 = 0.999$,
# $\varepsilon = 10^{-7}$ (the notes' $10^{-7}$, too), so that our steps can be checked against
# `keras.optimizers.Adam` to a relative error of $10^{-6}$ over 100 steps.
#
# **Worked example.** A constant gradient gives $m_t = (1-\beta_1^t) g$ and $v_t = (1-\beta_2^t) g^2$,
# so every step is $\eta\, g\, \sqrt{1-\beta_2^t} / (\sqrt{1-\beta_2^t}\,|g| + \varepsilon) \approx
# \eta\,\mathrm{sign}(g)$: Adam moves each coordinate by about $\eta$ per step, however large or small
# the gradient is. With $\eta = 0.1$ and $g = (0.5, -2, 0)$ the first step takes $w = (1, 1, 1)$ to
# $(0.9, 1.1, 1)$.
#
# ### Exercise 5 — `adam`
# Keep $m$, $v$ and $t$ in `config["m"]`, `config["v"]`, `config["t"]` (zeros and 0 before the first
# step), increase $t$ *before* using it, and use Keras' form of the step.

# %% nbgrader={"grade_id": "adam", "solution": true}
def adam(w, dw, config=None):
    """Adam with bias correction, in Keras' form.

    m <- beta_1 m + (1 - beta_1) dw;  v <- beta_2 v + (1 - beta_2) dw**2;  t <- t + 1
    alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
    w <- w - alpha * m / (sqrt(v) + epsilon)

    config: "learning_rate" (default 0.001), "beta_1" (0.9), "beta_2" (0.999), "epsilon" (1e-7);
    state: "m", "v" (arrays like w, zeros at first) and "t" (0 at first), as keras.optimizers.Adam.
    Returns (next_w, config).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta_1", 0.9)
    config.setdefault("beta_2", 0.999)
    config.setdefault("epsilon", 1e-7)
    ### BEGIN SOLUTION
    b1, b2 = config["beta_1"], config["beta_2"]
    t = config.get("t", 0) + 1
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw ** 2
    alpha = config["learning_rate"] * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    next_w = w - alpha * m / (np.sqrt(v) + config["epsilon"])
    config.update(m=m, v=v, t=t)
    ### END SOLUTION
    return next_w, config


# %% nbgrader={"grade_id": "test_adam", "grade": true, "points": 4}
check("adam", adam)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("adam", adam)
### END HIDDEN TESTS

# %% [markdown]
# ### Checking against Keras
#
# The checks ran each of your rules for 100 steps on random gradients and compared every step with
# `keras.optimizers`. Here is the same comparison as a table, on two random problems per rule
# (random shapes, hyper-parameters and gradient scales; one in the short mode the tests run). One
# more thing the installed source shows: Keras turns a Python-float hyper-parameter into a
# *float32* tensor before casting it to the variable's dtype, so even on float64 weights
# `beta_2=0.999` is used as 0.99900001287 and the learning rate is stored in float32. The last column is Keras built the usual way; the middle ones
# pass every hyper-parameter as `np.float64`, and then Keras computes in float64 throughout.
# `keras_path` runs `keras.optimizers` on a sequence of gradients, one way or the other.

# %%
import keras

KERAS_CLASS = {"sgd": "SGD", "sgd_momentum": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam"}


def keras_path(rule, w0, grads, config=None, float64=True):
    """What keras.optimizers does with the same gradients: w0, then w after each step."""
    hp = hyperparameters(rule, config)   # DEFAULTS[rule], overridden by config
    lr = hp.pop("learning_rate")
    if float64:   # every hyper-parameter a np.float64, the learning rate a callable returning one
        hp = {k: np.float64(v) for k, v in hp.items()}
        lr = (lambda lr64: lambda: lr64)(np.float64(lr))
    opt = getattr(keras.optimizers, KERAS_CLASS[rule])(learning_rate=lr, **hp)
    var = keras.Variable(np.array(w0, dtype=np.float64), dtype="float64")
    path = [np.array(w0, dtype=np.float64)]
    for g in grads:
        opt.apply_gradients([(keras.ops.convert_to_tensor(np.asarray(g, dtype=np.float64)), var)])
        path.append(np.array(var.numpy(), dtype=np.float64))
    return np.stack(path)


ours = {"sgd": sgd, "sgd_momentum": sgd_momentum, "adagrad": adagrad, "rmsprop": rmsprop, "adam": adam}
rows = agreement_with_keras(ours, problems=1 if FAST else 2, keras_path=keras_path)   # FAST (tests): one problem per rule
print(f"{'rule':<14}{'max |w - w_keras|':>20}{'max rel. error':>17}{'plain-float Keras':>20}")
for rule, abs_err, rel_err, rel_plain in rows:
    print(f"{rule:<14}{abs_err:>20.1e}{rel_err:>17.1e}{rel_plain:>20.1e}")

# %% [markdown]
# And the notes' Adam (no bias correction) next to Keras' on the same 30 gradients, $\eta = 0.01$:

# %%
def adam_without_bias_correction(w, dw, config):
    """The notes' pseudo-code, for comparison only."""
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config["m"] = 0.9 * config["m"] + 0.1 * dw
    config["v"] = 0.999 * config["v"] + 0.001 * dw ** 2
    return w - config["learning_rate"] * config["m"] / (np.sqrt(config["v"]) + 1e-7), config


g = np.random.default_rng(1).standard_normal((30, 1)) + 1.0
keras_adam = keras_path("adam", np.zeros(1), g, {"learning_rate": 0.01})
notes_path = rollout(adam_without_bias_correction, np.zeros(1), g, {"learning_rate": 0.01})
ours_path = rollout(adam, np.zeros(1), g, {"learning_rate": 0.01})
print("step sizes, Keras: ", np.abs(np.diff(keras_adam[:6, 0])).round(4))
print("step sizes, ours:  ", np.abs(np.diff(ours_path[:6, 0])).round(4))
print("step sizes, notes: ", np.abs(np.diff(notes_path[:6, 0])).round(4))

# %% [markdown]
# ## 8. The race on two test functions
#
# Now all five on the valley and on Rosenbrock's banana function
# $f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2$, whose minimum at $(1, 1)$ lies at the end of a curved,
# almost flat valley floor. Each optimizer gets a learning rate that suits it (tuned roughly by
# hand: the adaptive methods take steps of about $\eta$ per coordinate, SGD steps of $\eta$ times
# the gradient, so their good learning rates differ by orders of magnitude).

# %%
settings = {
    "valley": (VALLEY, 80, {"SGD": (sgd, {"learning_rate": 0.19}),
                            "momentum": (sgd_momentum, {"learning_rate": 0.05, "momentum": 0.9}),
                            "AdaGrad": (adagrad, {"learning_rate": 1.0}),
                            "RMSProp": (rmsprop, {"learning_rate": 0.1}),
                            "Adam": (adam, {"learning_rate": 0.3})}),
    "Rosenbrock": (ROSENBROCK, 1000, {"SGD": (sgd, {"learning_rate": 2e-3}),
                                      "momentum": (sgd_momentum, {"learning_rate": 1e-3, "momentum": 0.9}),
                                      "AdaGrad": (adagrad, {"learning_rate": 0.5}),
                                      "RMSProp": (rmsprop, {"learning_rate": 0.01}),
                                      "Adam": (adam, {"learning_rate": 0.1})}),
}
fig, axes = plt.subplots(2, 2, figsize=(12, 7.5))
for row, (fn, steps, rules) in zip(axes, settings.values()):
    paths = {f"{name} lr={cfg['learning_rate']}": run_on_function(rule, fn, steps, cfg)
             for name, (rule, cfg) in rules.items()}
    plot_trajectories(fn, paths, ax=row[0], markers=fn is VALLEY)
    plot_losses({name: [fn(w) for w in path] for name, path in paths.items()}, ax=row[1],
                title=f"{fn.name.split()[0]}: f(w) per step")
fig.tight_layout()
plt.show()

# %% [markdown]
# On the valley, SGD spends its steps bouncing between the walls and creeps along the floor;
# momentum builds up speed along the floor (it overshoots and swings back, as a ball would);
# AdaGrad and RMSProp rescale the two coordinates, so the steep direction no longer limits the step,
# and head almost straight for the minimum; Adam does the same with momentum's swing on top. On
# Rosenbrock the gradient is huge on the walls and tiny on the floor: SGD needs a learning rate small
# enough for the walls and then barely moves along the floor, momentum accumulates speed along the
# curve, Adam's steps of about $\eta$ per coordinate follow the banana, RMSProp (no momentum) creeps,
# and AdaGrad slows down as its accumulator fills up. None of this ranks the optimizers in general —
# two functions of two variables are not a neural network — which is why we test them on one next.
#
# ## 9. The race on a real network
#
# A small network — 784 inputs, 64 ReLU units, 10 softmax outputs — learns to classify
# Fashion-MNIST images (a random subset of the training set; another subset serves as the
# validation set). TensorFlow's autodiff computes the gradients; *your* update rules do all the
# learning. The training loop is the API of section 1 with one config per parameter array:

# %%
N_TRAIN = 2_000 if FAST else 50_000
STEPS = 200 if FAST else 4_000          # mini-batch steps per run; the short mode runs the same code
SMOOTH = max(10, STEPS // 40)           # curves are averaged over this many steps
mlp = FashionMLP(n_train=N_TRAIN, n_val=1_000, hidden=64, seed=0)
print(f"{len(mlp.y_train)} training and {len(mlp.y_val)} validation images, {STEPS} steps per run")


def train(rule, config, steps=STEPS, schedule=None, l2=0.0, batch_size=64, seed=0, desc=None):
    """Train the MLP with `rule`; `schedule(step)`, if given, sets the learning rate of each step.

    Returns (params, history): history["loss"] is the mini-batch loss of every step and
    history["val_loss"] the validation loss after every 5 % of the steps.
    """
    params = mlp.init_params(seed)
    configs = {name: dict(config) for name in params}      # one config (and state) per parameter
    history = {"loss": [], "val_loss": []}
    batches = mlp.batches(batch_size, seed)
    for step in trange(steps, desc=desc or rule.__name__, leave=False, file=sys.stdout):
        if schedule is not None:
            for c in configs.values():
                c["learning_rate"] = float(schedule(step))
        loss, grads = mlp.loss_and_grads(params, next(batches), l2)
        history["loss"].append(loss)
        if not np.isfinite(loss):                          # diverged: stop
            break
        for name in params:
            params[name], configs[name] = rule(params[name], grads[name], configs[name])
        if (step + 1) % max(1, steps // 20) == 0:
            history["val_loss"].append(mlp.loss(params))
    return params, history


# %%
race = {"SGD": (sgd, {"learning_rate": 0.1}),
        "momentum": (sgd_momentum, {"learning_rate": 0.02, "momentum": 0.9}),
        "AdaGrad": (adagrad, {"learning_rate": 0.02}),
        "RMSProp": (rmsprop, {"learning_rate": 1e-3}),
        "Adam": (adam, {"learning_rate": 1e-3})}
curves = {}
for name, (rule, config) in race.items():
    params, history = train(rule, config, desc=name)
    curves[f"{name} lr={config['learning_rate']}"] = history["loss"]
    print(f"{name:9s} validation loss {mlp.loss(params):.3f}, accuracy {mlp.accuracy(params):.3f}")
fig, ax = plt.subplots(figsize=(8, 4))
plot_losses(curves, ax=ax, smooth=SMOOTH, title=f"training loss (mini-batches; lines: {SMOOTH}-step average)")
plt.show()

# %% [markdown]
# With learning rates in their usual ranges all five train the network. Momentum, RMSProp and Adam
# get down faster than plain SGD; AdaGrad falls behind as its effective learning rate keeps
# shrinking. Adam's fast start with little tuning — the notes' "fast initial convergence" — is why
# the notes recommend it as the default choice. The notes' recipe for a
# modern network: ReLU activations, He initialisation, batch normalisation, and Adam.
#
# ## 10. Reading loss curves: is the learning rate right?
#
# The learning rate matters more than the choice of optimizer. The notes teach to plot the loss
# and read its shape:
#
# - **too high**: the loss does not go down, or jumps up and explodes to `nan`; a little too high
#   and it drops fast, then stalls at a high, noisy level because the steps are too big to settle
#   into a minimum;
# - **too low**: the loss goes down almost linearly and slowly, like the notes' curve "when the
#   initial learning rate is small": training has not failed, it is just far from done;
# - **about right**: a fast drop, then a steady, slower decline.

# %%
lr_curves = {}
for lr in (1e-1, 3e-2, 3e-3, 1e-5):
    _, history = train(adam, {"learning_rate": lr}, desc=f"lr={lr}")
    lr_curves[f"Adam lr={lr}"] = history["loss"]
fig, ax = plt.subplots(figsize=(8, 4))
plot_losses(lr_curves, ax=ax, smooth=SMOOTH, title=f"the same network, four learning rates ({SMOOTH}-step average)")
plt.show()

# %% [markdown] nbgrader={"grade_id": "q_lr_curves", "grade": true, "solution": true, "points": 2}
# **Question.** Label each of the four curves above as too high, a bit high, about right or too
# low, and say what in its shape tells you so. For the "too low" run, what would you expect to see
# if you trained it ten times longer?
#
# ### BEGIN SOLUTION
# lr = 0.1 is too high: the loss jumps up in the first steps, far above the 2.3 of a uniform guess
# over 10 classes, and stays high and erratic; the steps throw the weights around instead of
# descending. lr = 0.03 is a bit high: it drops fast at first but then stalls on a noisy plateau
# well above the best run, because the steps are too large to settle. lr = 0.003 is about right: a
# fast drop followed by a steady, slower decline to the lowest loss. lr = 1e-5 is too low: an almost
# straight, slowly and steadily decreasing line that starts near 2.3. Trained ten times longer it
# would keep going down slowly (still far behind where the good run is after a few hundred steps)
# without any instability — it is not broken, just wasteful.
# ### END SOLUTION

# %% [markdown]
# ## 11. Learning-rate decay
#
# The notes' advice: start with a high learning rate and lower it as training goes on —
# **learning-rate decay (학습률 감쇠)**. Their second set of notes frames it as **exploration
# (탐험)** versus **exploitation (재사용)**: early on, large noisy steps explore the loss surface and
# get out of poor regions; later, once a good region is found, small steps exploit it and settle
# into the minimum instead of bouncing around it. Common schedules, with $t$ the step:
#
# - **step decay**: multiply the rate by a constant (½, 1/10) every so many epochs —
#   $\eta_t = \eta_0\, d^{\lfloor t / T \rfloor}$ (Keras: `ExponentialDecay(..., staircase=True)`);
# - **exponential decay**: lower it a little at every step — $\eta_t = \eta_0\, d^{t/T}$
#   (`ExponentialDecay`);
# - **cosine decay**: follow half a cosine from $\eta_0$ down to $\alpha\,\eta_0$ over $T$ steps,
#   then stay there (`CosineDecay`, Loshchilov & Hutter's SGDR without restarts):
#
# $$\eta_t = \eta_0 \Big( (1 - \alpha)\, \tfrac{1}{2}\big(1 + \cos(\pi \min(t, T)/T)\big) + \alpha \Big).$$
#
# Cosine decay is usually combined with a short **warmup**: the rate first rises linearly, from
# $\eta_0$ (often 0) to a target $\eta_{\max}$ over $W$ steps, and only then decays — from
# $\eta_{\max}$, over the following $T$ steps. Adam's early steps are the least reliable (its
# averages have seen few gradients), and a warmup keeps them small.
#
# **Worked example.** $\eta_0 = 0.1$, $T = 100$, $\alpha = 0.1$: $\eta_0 = 0.1$ at $t = 0$;
# $0.1\,(0.9 \cdot 0.5 + 0.1) = 0.055$ half way; $0.1 \cdot 0.1 = 0.01$ at $t = 100$ and after.
#
# ### Exercise 6 — `cosine_decay`
# Compute Keras' `CosineDecay` for one step or an array of steps. Without warmup
# (`warmup_target=None`, Keras ignores `warmup_steps` then) use the formula above. With
# `warmup_target`: for $t <$ `warmup_steps` the rate is
# $\eta_0 + (\text{warmup\_target} - \eta_0)\, t / W$; from then on it is the cosine formula with
# `warmup_target` in place of $\eta_0$ and $t - W$ in place of $t$ (capped at $T$).

# %% nbgrader={"grade_id": "cosine_decay", "solution": true}
def cosine_decay(step, initial_learning_rate, decay_steps, alpha=0.0, warmup_steps=0, warmup_target=None):
    """The learning rate of keras.optimizers.schedules.CosineDecay at `step`.

    step: an int, or an array of ints (steps count from 0).
    Without warmup (warmup_target None): initial_learning_rate * ((1 - alpha) * c + alpha) with
    c = (1 + cos(pi * min(step, decay_steps) / decay_steps)) / 2.
    With warmup_target: linear from initial_learning_rate to warmup_target over warmup_steps, then
    the cosine decay from warmup_target over decay_steps (step - warmup_steps, capped at decay_steps).
    Returns a float for a single step, an array of the same shape for an array of steps.
    """
    step = np.asarray(step, dtype=np.float64)
    ### BEGIN SOLUTION
    peak, t = initial_learning_rate, np.minimum(step, decay_steps)
    if warmup_target is not None:
        peak, t = warmup_target, np.clip(step - warmup_steps, 0, decay_steps)
    lr = peak * ((1 - alpha) * 0.5 * (1 + np.cos(np.pi * t / decay_steps)) + alpha)
    if warmup_target is not None and warmup_steps > 0:
        warm = initial_learning_rate + (warmup_target - initial_learning_rate) * step / warmup_steps
        lr = np.where(step < warmup_steps, warm, lr)
    ### END SOLUTION
    return float(lr) if np.ndim(lr) == 0 else lr


# %% nbgrader={"grade_id": "test_cosine_decay", "grade": true, "points": 3}
check("cosine_decay", cosine_decay)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("cosine_decay", cosine_decay)
### END HIDDEN TESTS

# %% [markdown]
# The schedules side by side (step and exponential decay from Keras' `ExponentialDecay`, halving
# every quarter of the run), and what they do to training with momentum at a rate that is a bit
# high for a constant schedule:

# %%
steps = np.arange(STEPS)
lr0 = 0.1
schedules = {
    "constant": np.full(STEPS, lr0),
    "step decay (½ every quarter)": keras_exponential_decay(steps, lr0, STEPS // 4, 0.5, staircase=True),
    "exponential decay": keras_exponential_decay(steps, lr0, STEPS // 4, 0.5),
    "cosine decay": cosine_decay(steps, lr0, STEPS),
    "warmup + cosine": cosine_decay(steps, 0.0, STEPS - STEPS // 10, warmup_steps=STEPS // 10, warmup_target=lr0),
}
val_curves = {}
for name, lrs in schedules.items():
    _, history = train(sgd_momentum, {"momentum": 0.9}, schedule=lambda s, lrs=lrs: lrs[s], desc=name)
    val_curves[name] = history["val_loss"]
    print(f"{name:30s} final validation loss {history['val_loss'][-1]:.3f}")
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
for name, lrs in schedules.items():
    axes[0].plot(lrs, label=name)
axes[0].set(xlabel="step", ylabel="learning rate", title="schedules")
axes[0].legend(fontsize=8)
plot_losses(val_curves, ax=axes[1], every=STEPS // 20, ylabel="validation loss",
            title="validation loss, SGD with momentum 0.9")
fig.tight_layout()
plt.show()

# %% [markdown]
# With a constant rate the loss stops improving at the level where the noise of the large steps
# balances the descent; every decaying schedule lowers that level as the rate drops.
#
# ## 12. Hyper-parameter search: grid versus random, in log space
#
# The learning rate, the momentum, the strength of a weight penalty, the batch size: each network
# has several **hyper-parameters**, and the notes name the learning rate as the most important one.
# Two ways to search (the notes' **grid search (그리드 탐색)** and **random search (랜덤 탐색)**):
#
# - a grid tries every combination of a few values per hyper-parameter;
# - random search draws every hyper-parameter at random, independently, for each trial.
#
# With the same budget, random search usually wins (Bergstra & Bengio, 2012), and the reason is
# that hyper-parameters are rarely equally important. A 3 × 3 grid spends 9 trials but tries only
# 3 learning rates; 9 random trials try 9 different learning rates (and 9 values of the other one).
# If only the learning rate matters, the grid wasted two thirds of its budget.
#
# **Sample in log space.** A learning rate between $10^{-5}$ and $10^{-1}$ is "somewhere among
# four orders of magnitude". Drawn uniformly from that interval, 90 % of the samples land above
# $10^{-2}$; drawn as $10^{u}$ with $u$ uniform in $[-5, -1]$, each decade gets a quarter. The notes
# say the same ("generally, pick random values in log space") and suggest narrowing the range in
# stages: a coarse search with short runs (5–10 epochs) first, for instance from
# $10^{-1} \ldots 10^{-5}$ down to $10^{-2} \ldots 10^{-4}$, then a finer, longer one.
#
# Two slips in the notes' example code: the grid `lr_candidates = [0.001, 0.002, 0.003]` is linear,
# covering one small corner of the range, and the random search
# `lr = 10**random.randint(-3, -1)` draws an *integer* exponent, so it can only ever try 0.001,
# 0.01 and 0.1 — a grid in disguise. The exponent must be a real number:
# `10 ** rng.uniform(-3, -1)`.
#
# ### Exercise 7 — `random_search`
# `space` maps each hyper-parameter's name to `(low, high, scale)`. For each of `n_trials` trials
# draw every hyper-parameter, in the order of `space`, from `rng = np.random.default_rng(seed)`:
# with scale `"log"` as `10 ** rng.uniform(log10(low), log10(high))`, with `"linear"` as
# `rng.uniform(low, high)`. Evaluate `objective(config)` once per trial (lower is better) and return
# the best trial. A trial whose score is NaN (a run that diverged) never wins.

# %% nbgrader={"grade_id": "random_search", "solution": true}
def random_search(objective, space, n_trials, seed=0):
    """Random search; lower objective values are better.

    objective: function(config dict) -> float score (e.g. a validation loss; NaN if diverged).
    space: {name: (low, high, scale)} with scale "log" (log-uniform) or "linear" (uniform).
    Returns (best_config, best_score, trials), trials being the list of (config, score) pairs in
    the order they were tried; each config is a dict {name: float}.
    """
    rng = np.random.default_rng(seed)
    trials = []
    ### BEGIN SOLUTION
    for _ in range(n_trials):
        config = {}
        for name, (low, high, scale) in space.items():
            if scale == "log":
                config[name] = float(10 ** rng.uniform(np.log10(low), np.log10(high)))
            else:
                config[name] = float(rng.uniform(low, high))
        trials.append((config, float(objective(config))))
    best_config, best_score = min(trials, key=lambda trial: (np.isnan(trial[1]), trial[1]))
    ### END SOLUTION
    return best_config, best_score, trials


# %% nbgrader={"grade_id": "test_random_search", "grade": true, "points": 3}
check("random_search", random_search)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("random_search", random_search)
### END HIDDEN TESTS

# %% [markdown]
# Now both searches on the network, with the same budget of 9 short training runs each. The two
# hyper-parameters are momentum SGD's learning rate, in $[10^{-4}, 1]$, and the strength of an L2
# weight penalty, in $[10^{-6}, 10^{-2}]$; the objective is the validation loss after a short run,
# NaN when the run diverged (ended worse than a uniform guess over the 10 classes, whose loss is
# $\ln 10 \approx 2.3$).

# %%
SEARCH_STEPS = STEPS // 2
space = {"learning_rate": (1e-4, 1.0, "log"), "l2": (1e-6, 1e-2, "log")}


def validation_loss(config):
    params, history = train(sgd_momentum, {"learning_rate": config["learning_rate"], "momentum": 0.9},
                            steps=SEARCH_STEPS, l2=config["l2"], desc="trial")
    loss = mlp.loss(params) if np.isfinite(history["loss"][-1]) else float("nan")
    return loss if loss < math.log(10) else float("nan")


grid_trials = [({"learning_rate": lr, "l2": l2}, validation_loss({"learning_rate": lr, "l2": l2}))
               for lr in np.geomspace(1e-4, 1.0, 3) for l2 in np.geomspace(1e-6, 1e-2, 3)]
best_config, best_score, random_trials = random_search(validation_loss, space, n_trials=9, seed=0)
grid_best = min(grid_trials, key=lambda trial: (np.isnan(trial[1]), trial[1]))
print(f"grid:   best {grid_best[0]}  validation loss {grid_best[1]:.3f}")
print(f"random: best {best_config}  validation loss {best_score:.3f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
scores = [s for _, s in grid_trials + random_trials if np.isfinite(s)]
for trials, marker, label in [(grid_trials, "s", "grid"), (random_trials, "o", "random")]:
    lr = np.array([c["learning_rate"] for c, _ in trials])
    l2 = np.array([c["l2"] for c, _ in trials])
    s = np.array([sc for _, sc in trials])
    ok = np.isfinite(s)
    points = axes[0].scatter(lr[ok], l2[ok], c=s[ok], marker=marker, s=70, cmap="viridis_r",
                             vmin=min(scores), vmax=max(scores), edgecolors="k", label=label)
    axes[0].scatter(lr[~ok], l2[~ok], marker="x", color="red", s=60)
    axes[1].scatter(lr[ok], s[ok], marker=marker, s=50, label=label)
axes[0].set(xscale="log", yscale="log", xlabel="learning rate", ylabel="L2 strength",
            title="tried points (colour: validation loss, red x: diverged)")
for handle in axes[0].legend().legend_handles:
    handle.set_facecolor("white")
fig.colorbar(points, ax=axes[0])
axes[1].set(xscale="log", xlabel="learning rate", ylabel="validation loss",
            title="projected on the learning rate")
axes[1].legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# The right panel is the point: projected onto the hyper-parameter that matters, the grid's
# 9 runs collapse onto 3 learning rates, while the random runs cover the axis.
#
# Two more ideas from the notes, without exercises. **Bayesian optimization (베이지안 최적화)**
# treats the validation score as an unknown, expensive function of the hyper-parameters: it fits a
# probabilistic model (often a Gaussian process) to the trials so far and picks the next trial
# where that model expects the most improvement, so it needs fewer runs than random search when each
# run is costly. An **ensemble (앙상블)** trains several good models — the best few configurations
# of a search, or the same configuration from different seeds — and averages their predictions;
# the average is usually better than the best single model, at the price of running them all.

# %% [markdown] nbgrader={"grade_id": "q_adam_bias", "grade": true, "solution": true, "points": 2}
# **Question.** A classmate implements Adam from the notes' pseudo-code, without bias correction,
# with $\beta_1 = 0.9$, $\beta_2 = 0.999$ and $\eta = 10^{-3}$. (a) How large is its first step,
# and its steps around $t = 10$, for a gradient that stays constant? (b) Why would the same code
# with $\beta_2 = 0.99$ behave much more like the corrected Adam? (c) Name one situation where the
# difference matters in practice.
#
# ### BEGIN SOLUTION
# (a) Without correction the step is (1 - 0.9^t) / sqrt(1 - 0.999^t) times the corrected one, which
# is about eta = 1e-3 per coordinate for a constant gradient: 0.1 / 0.0316 = 3.16e-3 at t = 1, and
# about 6.5e-3 around t = 10 (0.651 / 0.0998), staying several times too large for hundreds of steps.
# (b) The factor comes from the mismatch between the two biases: m is biased by (1 - beta_1^t) and
# sqrt(v) by sqrt(1 - beta_2^t). With beta_2 = 0.99 the second bias fades about as fast as the first
# (the factor is 0.1 / 0.1 = 1 at t = 1 and stays near 1), so the two nearly cancel.
# (c) At the start of training, when the weights are furthest from a minimum and the gradients are
# large and changing fast, steps several times larger than the learning rate can make the loss
# jump or diverge, especially with a learning rate already tuned near its limit (and fine-tuning
# a pretrained model, where large first steps destroy what was learned).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade_id": "q_search", "grade": true, "solution": true, "points": 2}
# **Question.** (a) Explain, using the plots of section 12, why 9 random trials can find a better
# learning rate than a 3 × 3 grid. (b) The notes' random search is
# `lr = 10**random.randint(-3, -1)`. Which learning rates can it try, and how would you fix it?
# (c) Why sample the learning rate in log space rather than uniformly between $10^{-4}$ and 1?
#
# ### BEGIN SOLUTION
# (a) The validation loss depends mostly on the learning rate and hardly on the L2 strength in this
# range. The grid tries only 3 learning rates (1e-4, 1e-2, 1), each three times with different L2
# values that change little, so if the best rate lies between grid values it is never tried. Random
# trials give 9 different learning rates, so the important axis is covered three times as densely
# for the same cost.
# (b) randint draws an integer exponent, so only 0.001, 0.01 and 0.1 are possible (a three-point
# grid). Draw a real exponent instead: lr = 10 ** rng.uniform(-3, -1).
# (c) What matters about a learning rate is its order of magnitude (a factor of 2 matters as much
# at 1e-4 as at 0.1). Uniform sampling on [1e-4, 1] would put 90 % of the trials above 0.1 and almost
# none in the range 1e-4 to 1e-2; log-uniform sampling gives each decade the same share.
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# - An update rule is `next_w, config = rule(w, dw, config)`: hyper-parameters and state live in
#   `config`, one config per parameter array.
# - SGD steps along $-\eta \nabla L$; in a narrow valley it must use a small rate and zig-zags.
# - Momentum keeps an EWMA-like velocity: oscillations cancel, consistent directions speed up
#   (up to $1/(1-\mu)$ times).
# - AdaGrad and RMSProp divide by the root of accumulated (AdaGrad) or averaged (RMSProp) squared
#   gradients: a learning rate per parameter. Keras puts $\varepsilon$ inside the root for both and
#   starts AdaGrad's accumulator at 0.1.
# - Adam = momentum + RMSProp + bias correction. Without the correction (the notes' pseudo-code)
#   early steps are 3–6.6 times too large for $\beta_2 = 0.999$. Keras folds the correction into
#   the step size and adds $\varepsilon$ to $\sqrt{v_t}$; we match it to $10^{-6}$ over 100 steps.
# - Read the loss curve to diagnose the learning rate; decay it (step, exponential, cosine, with a
#   warmup) to explore early and settle late.
# - Search hyper-parameters at random, in log space, coarse to fine.

# %% [markdown]
# Before you hand in: run every visible check of this notebook at once.

# %%
from utils.checks import check_all
check_all();
