# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · Weight initialisation (가중치 초기화) and activation functions
#
# Before the first gradient step, a network already computes something: whatever its initial
# weights make of the input. In a deep network that first forward pass can go badly wrong. Push a
# batch of images through ten layers whose weights are a little too small and the signal fades to
# nothing; make them a little too large and every unit is pinned at its maximum. Either way the
# gradients that backpropagation (역전파) sends back are useless, and training stalls before it
# starts.
#
# This notebook reproduces the lecture notes' experiment — a 10-layer tanh network initialised with
# standard deviation 0.01, then 1.0, then with Xavier's rule, and a ReLU network with Xavier versus
# He — measures what happens in every layer, and connects it to the choice of
# **activation function (활성화 함수)**.
#
# **You will implement:** `leaky_relu_forward`, `leaky_relu_backward` (which also serves PReLU),
# `layer_activation_stats`, `xavier_init`, `he_init`. Each has a test cell right below it; the
# checks of the two initialisers are statistical, and their messages say what they measured.

# %%
import matplotlib.pyplot as plt
import numpy as np

from utils import FAST
from utils.checks import check
from utils.data import load_fashion_mnist, use_offline_cache
from utils.gradcheck import rel_error
from utils.layer_plots import plot_layer_curves, plot_layer_histograms
from utils.plots import plot_history

use_offline_cache()   # the course's local copy of the data, if there is one (else Keras downloads)

import keras  # noqa: E402  (after use_offline_cache: Keras reads its data folder when imported)
import tensorflow as tf  # noqa: E402

from utils.autodiff import tf_value_and_grads  # noqa: E402

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. Activation functions and their derivatives
#
# An activation function adds **nonlinearity (비선형성)** to a network. Without it, stacking
# layers buys nothing: $W_2 (W_1 x) = (W_2 W_1) x$ is again a single linear layer, however many
# layers you stack. During training each activation $f$ also sits on the path of every gradient:
# backpropagation multiplies the incoming gradient by $f'(z)$ at each unit. So what matters is the
# shape of $f$ *and* of $f'$.
#
# | name | $f(z)$ | $f'(z)$ | range |
# |---|---|---|---|
# | sigmoid | $\sigma(z) = \dfrac{1}{1 + e^{-z}}$ | $\sigma(z)\,(1 - \sigma(z)) \le \tfrac14$ | $(0, 1)$ |
# | tanh | $\tanh z = 2\sigma(2z) - 1$ | $1 - \tanh^2 z \le 1$ | $(-1, 1)$ |
# | ReLU | $\max(0, z)$ | $1$ if $z > 0$, else $0$ | $[0, \infty)$ |
# | leaky ReLU | $z$ if $z > 0$, else $\alpha z$ (e.g. $\alpha = 0.01$) | $1$ if $z > 0$, else $\alpha$ | $\mathbb R$ |
# | PReLU | the same, with $\alpha$ *learned* | also $\partial f / \partial \alpha = z$ for $z \le 0$ | $\mathbb R$ |
#
# - The **sigmoid** squashes everything into $(0, 1)$. For large $|z|$ it is flat: it
#   **saturates (포화)**, and its derivative is nearly 0 there. Even at its best, at $z = 0$, the
#   derivative is only $\tfrac14$. Its outputs are all positive, not centred on 0, and it needs an
#   exponential.
# - **tanh** is a rescaled sigmoid (the identity $\tanh z = 2\sigma(2z) - 1$), centred on 0 with
#   slope 1 at the origin — but it saturates just the same.
# - **ReLU** does not saturate for $z > 0$, where its slope is exactly 1, and costs one comparison.
#   The notes report that SGD converges about six times faster than with sigmoid-like functions
#   (the figure comes from the AlexNet paper, which measured it against tanh). Its weakness: for $z < 0$ the output and the gradient are 0. A unit whose pre-activation
#   is negative for every input never updates again: a **dead neuron (죽은 뉴런)**.
# - **Leaky ReLU** keeps a small slope $\alpha$ for $z \le 0$ so no unit dies; **PReLU**
#   (parametric ReLU) makes $\alpha$ a parameter trained with the weights (He et al. start it at
#   $0.25$).
#
# > **A slip in the notes.** One set of notes lists tanh as "not zero-centred". It is zero-centred
# > ($\tanh(-z) = -\tanh z$, range $(-1, 1)$); the sigmoid is the one that is not, as the core
# > lecture says.

# %% [markdown]
# The sigmoid and ReLU in numpy (tanh is `np.tanh`; leaky ReLU is yours to write, below):

# %%
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def relu(z):
    return np.maximum(z, 0.0)

# %% [markdown]
# ### Exercise 1 — `leaky_relu_forward`
# Compute the leaky ReLU of an array of any shape, elementwise, and return the cache that the
# backward pass needs. Use array operations (`np.where` is handy), and do not modify `x` in place:
# the cache must hold the original input.
#
# **Worked example.** With $\alpha = 0.1$, the inputs $(-2, -0.5, 0, 1.5, 3)$ give
# $(-0.2, -0.05, 0, 1.5, 3)$.

# %% nbgrader={"grade_id": "leaky_relu_forward", "solution": true}
def leaky_relu_forward(x, alpha=0.01):
    """Leaky ReLU, elementwise: x where x > 0, alpha * x elsewhere.

    x: array of any shape; alpha: the slope for x <= 0 (a float).
    Returns (out, cache): out has the shape of x; cache is the tuple (x, alpha).
    """
    ### BEGIN SOLUTION
    out = np.where(x > 0, x, alpha * x)
    ### END SOLUTION
    return out, (x, alpha)


# %% nbgrader={"grade_id": "test_leaky_relu_forward", "grade": true, "points": 2}
check("leaky_relu_forward", leaky_relu_forward)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("leaky_relu_forward", leaky_relu_forward)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2 — `leaky_relu_backward`
# Given the upstream gradient `dout` ($\partial L / \partial\, \text{out}$, same shape as `x`),
# return the gradients with respect to both inputs of the forward pass, in their order:
#
# $$\frac{\partial L}{\partial x} = \begin{cases} \text{dout} & x > 0 \\ \alpha\,\text{dout} & x \le 0 \end{cases},
#   \qquad
#   \frac{\partial L}{\partial \alpha} = \sum_{\text{entries with } x \le 0} \text{dout} \cdot x .$$
#
# With a fixed $\alpha$ (leaky ReLU) nobody uses `dalpha`; with a learned $\alpha$ (PReLU) it is
# $\alpha$'s gradient, a sum because the one $\alpha$ is shared by every entry. At $x = 0$ exactly,
# use the slope $\alpha$, as TensorFlow does.
#
# **Worked example.** For the inputs above and `dout` all ones: `dx` $= (0.1, 0.1, 0.1, 1, 1)$ and
# `dalpha` $= -2 - 0.5 + 0 = -2.5$.

# %% nbgrader={"grade_id": "leaky_relu_backward", "solution": true}
def leaky_relu_backward(dout, cache):
    """Backward pass of leaky ReLU / PReLU.

    dout: upstream gradient, same shape as x; cache: (x, alpha) from leaky_relu_forward.
    Returns (dx, dalpha): dx has the shape of x; dalpha is a single number.
    """
    x, alpha = cache
    ### BEGIN SOLUTION
    dx = np.where(x > 0, dout, alpha * dout)
    dalpha = np.sum(np.where(x > 0, 0.0, dout * x))
    ### END SOLUTION
    return dx, dalpha


# %% nbgrader={"grade_id": "test_leaky_relu_backward", "grade": true, "points": 3}
check("leaky_relu_backward", leaky_relu_backward)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("leaky_relu_backward", leaky_relu_backward)
### END HIDDEN TESTS

# %% [markdown]
# Keras has PReLU as a layer: with its $\alpha$ started at 0.25 it computes exactly your forward
# pass, and it learns $\alpha$ from the gradient you just wrote.

# %%
x_demo = np.array([[-2.0, -0.5, 0.0, 1.5, 3.0]])
prelu = keras.layers.PReLU(alpha_initializer=keras.initializers.Constant(0.25))
print("keras PReLU:       ", np.asarray(prelu(x_demo)))
print("leaky_relu_forward:", leaky_relu_forward(x_demo, 0.25)[0])

# %% [markdown]
# With `dout` all ones, your backward pass returns the derivative itself. So the whole zoo can be
# drawn, your leaky ReLU included ($\alpha = 0.1$ so that its slope is visible), after checking
# every derivative against a centered difference:

# %%
leaky = lambda z: leaky_relu_forward(z, 0.1)[0]
leaky_derivative = lambda z: leaky_relu_backward(np.ones_like(z), (z, 0.1))[0]
zoo = {   # name: (f, f')
    "sigmoid": (sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "ReLU": (relu, lambda z: (z > 0).astype(float)),
    "leaky ReLU, α = 0.1 (yours)": (leaky, leaky_derivative),
}
z = np.linspace(-5, 5, 1000)    # does not contain the kink z = 0
for name, (f, df) in zoo.items():
    numeric = (f(z + 1e-5) - f(z - 1e-5)) / 2e-5
    print(f"{name:28s} max |f'(z) - numeric| = {np.abs(df(z) - numeric).max():.1e}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
for name, (f, df) in zoo.items():
    axes[0].plot(z, f(z), label=name)
    axes[1].plot(z, df(z), label=name)
axes[0].set(title="activation $f(z)$", xlabel="$z$", ylim=(-1.5, 3))
axes[1].set(title="derivative $f'(z)$", xlabel="$z$", ylim=(-0.05, 1.1))
axes[1].axhline(0.25, color="gray", ls=":", lw=1)
axes[1].text(-4.9, 0.27, "sigmoid's maximum slope 1/4", fontsize=8, color="gray")
for ax in axes:
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Vanishing gradients
#
# Backpropagating through $L$ layers multiplies the gradient by one $f'(z)$ per layer (and by the
# weights). With sigmoids each factor is at most $\tfrac14$, so after 10 layers the gradient that
# reaches the first layer has been scaled by at most $(\tfrac14)^{10} \approx 10^{-6}$: the first
# layers barely learn. The notes call this gradient vanishing (그라디언트가 죽는 현상): the
# gradient passed to earlier layers shrinks towards 0, worst where units saturate. The opposite,
# gradients that grow layer by layer, is **exploding gradients (그라디언트 폭발)**. Sections 3
# and 6 measure both in a real network.

# %% [markdown]
# ## 2. Why the starting weights matter: zero initialisation and symmetry
#
# Training starts from some weights. The simplest choice, all zeros, fails, and the reason is
# worth understanding. Take a hidden layer whose weights are all equal (zero or any other
# constant). Every hidden unit then computes the same function of the input, receives the same
# gradient, and takes the same update — so after any number of steps they are still identical.
# A layer of 64 units behaves like a layer of one. Random initial weights break this
# **symmetry (대칭성)**.
#
# Let us watch it on real data: Fashion-MNIST, 28×28 grey-scale photos of ten kinds of clothing,
# through Keras' own loader. We standardise the pixels (mean 0, std 1 over the training set).

# %%
(x_train, y_train), _ = load_fashion_mnist()
# over every training pixel, 0-1 scale (the std's float32 temporary is half the memory of float64)
pixel_mean, pixel_std = x_train.mean() / 255.0, x_train.std(dtype=np.float32) / 255.0


def standardise(images):
    """Flattened images with pixels scaled to 0-1, then standardised with the training set's mean and std."""
    return (images.reshape(len(images), -1) / 255.0 - pixel_mean) / pixel_std


N_TRAIN = 3_000 if FAST else 50_000       # FAST (tests): a slice of the data, same code
N_VAL = 2_000 if FAST else 10_000         # validation images: the last ones, never trained on
EPOCHS = 3 if FAST else 10
VERBOSE = 2 if FAST else 1                # one line per epoch, or Keras' progress bars
x_fit, y_fit = standardise(x_train[:N_TRAIN]).astype("float32"), y_train[:N_TRAIN]
x_val, y_val = standardise(x_train[-N_VAL:]).astype("float32"), y_train[-N_VAL:]
print(f"{len(x_fit)} training and {len(x_val)} validation images of {x_fit.shape[1]} pixels")

# %% [markdown]
# A one-hidden-layer network (784 → 64 sigmoid units → 10 classes), trained with SGD twice: once
# with every weight 0, once with Keras' default random initialisation.

# %%
def small_net(kernel_initializer):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((784,)),
        keras.layers.Dense(64, activation="sigmoid", kernel_initializer=kernel_initializer),
        keras.layers.Dense(10, activation="softmax", kernel_initializer=kernel_initializer)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model

symmetry = {}
for init in ["zeros", "glorot_uniform"]:
    model = small_net(init)
    # validation_batch_size: evaluating in big batches gives the same figures, in fewer steps
    hist = model.fit(x_fit, y_fit, epochs=EPOCHS, batch_size=64, validation_data=(x_val, y_val),
                     validation_batch_size=1_000, verbose=VERBOSE)
    W1 = model.layers[0].kernel.numpy()            # (784, 64): column j = hidden unit j's weights
    symmetry[init] = (hist.history["val_accuracy"][-1], np.ptp(W1, axis=1).max())

# %%
for init, (acc, spread) in symmetry.items():
    print(f"{init:15s} validation accuracy {acc:.3f}   "
          f"largest difference between two hidden units' weights: {spread:.3g}")

# %% [markdown]
# With zeros, the hidden units moved (they did learn something) but moved together: after training
# no weight of one hidden unit differs from the same weight of another (the largest difference
# printed is 0 here; other hardware may leave a rounding error, far too small to matter). The
# network's accuracy is that of a network with a single hidden unit. With random weights the units
# differ and the same network does far better.
#
# Biases are another matter. The notes' advice is to start them at 0: once the weights are random,
# the units already differ, and a bias is not multiplied into the signal, so it cannot make it
# vanish or explode. Keras does the same (`bias_initializer="zeros"` by default).

# %% [markdown] nbgrader={"grade_id": "q_symmetry", "grade": true, "solution": true, "points": 2}
# **Question.** The zero-initialised network still beat chance (10 %), so something was learned.
# Explain, step by step from the first update, why its 64 hidden units stay identical. Would it be
# enough to initialise only the first layer's weights randomly and keep the output layer's weights
# at 0? Answer in four or five sentences.
#
# ### BEGIN SOLUTION
# At the start every hidden unit has pre-activation 0, so each outputs sigmoid(0) = 0.5, and all
# logits are 0. The output weights' gradient for hidden unit j is h_j times the output error, the
# same for every j, so after the first step every hidden unit has identical outgoing weights. The
# gradient that flows back to hidden unit j is its outgoing weights times the output error, times
# the same local derivative, so all units also receive the same incoming-weight update. By induction
# they stay identical forever, and the layer acts like one unit (replicated 64 times) — which is why
# it learns a little but much less than a real 64-unit layer. Random first-layer weights with a zero
# output layer do work: the hidden units then have different activations, so the first update of
# the output weights already differs from unit to unit, and from then on they receive different
# gradients. Symmetry only has to be broken somewhere along each path; zero output layers are in fact
# a common choice.
# ### END SOLUTION

# %% [markdown]
# ## 3. The experiment: ten tanh layers
#
# Now the notes' experiment. Take a batch of 1000 Fashion-MNIST images and push them through ten
# fully connected tanh layers of 512 units, with no biases:
#
# $$h_0 = X, \qquad h_l = \tanh(h_{l-1} W_l), \qquad l = 1, \dots, 10.$$
#
# Nothing is trained: we only look at what the initial weights do to the signal, layer by layer.
#
# ### Exercise 3 — `layer_activation_stats`
# Run the forward pass for any list of weight matrices and any elementwise `activation`, and
# return every layer's output together with its mean and standard deviation, each taken over all
# entries of the layer (all samples and all units; `np.std`'s default). The input $X$ is not a
# layer: return $L$ arrays for $L$ weight matrices.
#
# **Worked example** (with the identity as activation, so you can do it by hand):
# $X = \begin{pmatrix}1 & 2\\ 3 & 4\end{pmatrix}$, $W_1 = \begin{pmatrix}1 & 0\\ 0 & 2\end{pmatrix}$,
# $W_2 = \begin{pmatrix}1\\ 1\end{pmatrix}$ give
# $h_1 = \begin{pmatrix}1 & 4\\ 3 & 8\end{pmatrix}$ with mean 4 and std $\sqrt{26/4} \approx 2.55$,
# and $h_2 = \begin{pmatrix}5\\ 11\end{pmatrix}$ with mean 8 and std 3.

# %% nbgrader={"grade_id": "layer_activation_stats", "solution": true}
def layer_activation_stats(X, weights, activation):
    """Forward pass of a fully connected network without biases, with per-layer statistics.

    X: (N, D0) inputs; weights: list of L matrices, weights[l] of shape (D_l, D_{l+1});
    activation: elementwise function, e.g. np.tanh.
    Returns (activations, means, stds): activations is a list of the L layer outputs
    h_l = activation(h_{l-1} @ W_l) with h_0 = X; means and stds are arrays of shape (L,) with the
    mean and standard deviation of all entries of each layer's output.
    """
    ### BEGIN SOLUTION
    activations, h = [], X
    for W in weights:
        h = activation(h @ W)
        activations.append(h)
    means = np.array([layer.mean() for layer in activations])
    stds = np.array([layer.std() for layer in activations])
    ### END SOLUTION
    return activations, means, stds


# %% nbgrader={"grade_id": "test_layer_activation_stats", "grade": true, "points": 3}
check("layer_activation_stats", layer_activation_stats)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("layer_activation_stats", layer_activation_stats)
### END HIDDEN TESTS

# %% [markdown]
# To see the gradients as well, we need the backward pass of this network. Pretend the loss's
# gradient with respect to the last layer's output is a fixed random array $G$, i.e.
# $L = \sum h_{10} \odot G$, and apply the chain rule layer by layer, from the top:
#
# $$\frac{\partial L}{\partial z_l} = \frac{\partial L}{\partial h_l} \odot f'(z_l), \qquad
#   \frac{\partial L}{\partial W_l} = h_{l-1}^{\top} \frac{\partial L}{\partial z_l}, \qquad
#   \frac{\partial L}{\partial h_{l-1}} = \frac{\partial L}{\partial z_l} W_l^{\top}.$$
#
# The activations' derivatives can be written with their outputs $h = f(z)$, which the forward
# pass already returned: $1 - h^2$ for tanh, $h(1 - h)$ for the sigmoid, $[h > 0]$ for ReLU.

# %%
derivative_from_output = {np.tanh: lambda h: 1 - h ** 2, sigmoid: lambda h: h * (1 - h),
                          relu: lambda h: (h > 0).astype(float)}

def backprop(X, activations, weights, activation, upstream):
    """Gradients of L = sum(h_L * upstream): (dL/dW_l for each layer, dL/dh_l for each layer)."""
    df = derivative_from_output[activation]
    dWs, dhs, dh = [], [upstream], upstream
    for l in reversed(range(len(weights))):
        dz = dh * df(activations[l])
        below = X if l == 0 else activations[l - 1]
        dWs.insert(0, below.T @ dz)
        dh = dz @ weights[l].T
        if l > 0:
            dhs.insert(0, dh)
    return dWs, dhs

def norms(arrays):
    return [np.linalg.norm(a) for a in arrays]

# %% [markdown]
# The batch, the upstream gradient $G$, and a helper that draws the weights of all ten layers
# with a given initialiser `init(fan_in, fan_out, rng)`:

# %%
X = standardise(x_train[:1000])
DIMS = [784] + [512] * 10
G = np.random.default_rng(1).standard_normal((len(X), DIMS[-1]))

def make_weights(init, seed=0):
    rng = np.random.default_rng(seed)
    return [init(fan_in, fan_out, rng) for fan_in, fan_out in zip(DIMS[:-1], DIMS[1:])]

def gaussian(std):
    """An initialiser drawing N(0, std^2) whatever the layer's size."""
    return lambda fan_in, fan_out, rng: std * rng.standard_normal((fan_in, fan_out))

results = {}   # name: (per-layer std, per-layer weight-gradient norms, per-layer activation-gradient norms)

def experiment(name, init, activation, value_range=(-1, 1)):
    weights = make_weights(init)
    hs, means, stds = layer_activation_stats(X, weights, activation)
    dWs, dhs = backprop(X, hs, weights, activation, G)
    results[name] = (stds, norms(dWs), norms(dhs))
    plot_layer_histograms(hs, value_range=value_range, title=name,
                          grads={"‖∂L/∂W‖ (weights)": norms(dWs), "‖∂L/∂h‖ (layer outputs)": norms(dhs)})
    plt.show()
    print("std per layer:", np.array2string(stds, precision=2, formatter={"float": lambda v: f"{v:.2g}"}))
    return hs, weights, dWs

# %% [markdown]
# ### Model 1: std 0.01
# Every weight drawn from a Gaussian with mean 0 and standard deviation 0.01.

# %%
hs, weights, dWs = experiment("tanh, std 0.01", gaussian(0.01), np.tanh)

# %% [markdown]
# Before reading the plot, one check that `backprop` is right: TensorFlow differentiates the same
# network on its own (`tf.GradientTape`), and the two sets of weight gradients agree.

# %%
def tf_tanh_net(*Ws):
    h = tf.constant(X)
    for W in Ws:
        h = tf.tanh(h @ W)
    return h

_, tf_dWs = tf_value_and_grads(tf_tanh_net, weights, upstream=G)
print("largest relative error, backprop vs TensorFlow:", max(rel_error(a, b) for a, b in zip(dWs, tf_dWs)))

# %% [markdown]
# Each layer multiplies its input by 512 weights of size ~0.01 and sums them: the result has a
# standard deviation of about $0.01 \sqrt{512} \approx 0.23$ times that of the input (tanh is nearly
# the identity near 0). Layer after layer the activations shrink by that factor and pile up at 0:
# layer 10's std is below $10^{-6}$. Going backwards, the gradient with respect to each layer's
# output, $\partial L / \partial h_l$, shrinks by the same factor per layer, so the first layers
# receive almost nothing. The weight gradients $h_{l-1}^\top\, \partial L / \partial z_l$ are the
# product of a vanishing activation and a vanishing gradient: they look flat across layers, but
# they are tiny in every layer — five orders of magnitude below the Xavier network's (compare the
# y-axes below). With a learning rate that suits the top of a healthy network, nothing moves.
#
# ### Model 2: std 1.0

# %%
hs, weights, dWs = experiment("tanh, std 1.0", gaussian(1.0), np.tanh)
print(f"units with |h| > 0.99: {np.mean(np.abs(np.concatenate([h.ravel() for h in hs])) > 0.99):.0%}")

# %% [markdown]
# Now each pre-activation is a sum of 512 terms of size ~1: its std is about $\sqrt{512} \approx 23$,
# so tanh is almost always in its flat part. Nearly every unit outputs $-1$ or $+1$ (over 90 % of
# them beyond $\pm 0.99$) — the activations are **saturated**, in every layer. A saturated unit has $f'(z) = 1 - h^2 \approx 0$,
# so the gradient of its incoming weights is 0: most weights get no learning signal at all.
#
# The plot also shows something the notes do not say: the gradient *norms* do not vanish here, they
# grow towards the input by a factor of about 3.5 per layer. The few units that are not saturated
# pass their gradient on, multiplied by weights that are far too large. So a handful of weights
# receive huge updates while the rest receive none — exploding and vanishing at once, and no
# learning rate suits both.
#
# > **A loose end in the notes.** The notes explain this result with the sigmoid ("with a sigmoid
# > the gradient approaches 0"), although this network uses tanh. The argument carries over: tanh's
# > derivative $1 - \tanh^2$ is 0 at $\pm 1$, where the saturated units sit. What the notes leave
# > out is the growth of the few remaining gradients, measured above.

# %% [markdown] nbgrader={"grade_id": "q_saturation", "grade": true, "solution": true, "points": 2}
# **Question.** Both models fail to train, for opposite reasons. Using the formulas
# $\partial L / \partial W_l = h_{l-1}^{\top} (\partial L / \partial h_l \odot f'(z_l))$ and
# $\partial L / \partial h_{l-1} = (\partial L / \partial h_l \odot f'(z_l))\, W_l^{\top}$, say for
# each model which factor is the problem. Then explain why simply raising the learning rate would not
# rescue the std-0.01 network. Four or five sentences.
#
# ### BEGIN SOLUTION
# With std 0.01 the factor f'(z) is fine (about 1, tanh is linear near 0), but the activations
# h_{l-1} shrink by about 0.23 per layer and the backward factor W_l^T multiplies the gradient by the
# same 0.23 per layer, so both the signal going up and the gradient coming down vanish; the weight
# gradients are tiny everywhere. With std 1.0 the activations are large (saturated at +-1) and the
# weights are large, but f'(z) = 1 - h^2 is about 0 for almost every unit, so most weight gradients
# are exactly what that zero factor makes them: nothing; the few unsaturated units pass on gradients
# multiplied by huge weights, so the norms even grow towards the input. A larger learning rate does
# not fix std 0.01: the forward signal is still 1e-6 at the top, so the output does not depend on the
# input at all, and the gradients of different layers differ by large factors (the first layers get
# the least), so any single learning rate is too small for some layers or too large for others. The
# fix is to choose the weights' scale so that the activations keep their size from layer to layer.
# ### END SOLUTION

# %% [markdown]
# ## 4. Xavier initialisation
#
# We want each layer to keep the scale of its input. A pre-activation is a sum over the layer's
# $n_\text{in}$ inputs (its **fan-in**):
#
# $$z_j = \sum_{i=1}^{n_\text{in}} h_i\, w_{ij}
#   \quad\Longrightarrow\quad
#   \operatorname{Var}(z_j) = n_\text{in}\, \operatorname{Var}(w)\, \mathbb E[h^2]$$
#
# for independent, zero-mean weights. With $\operatorname{Var}(w) = 1 / n_\text{in}$ the
# pre-activation keeps the scale of the input, whatever the layer's width. That is the notes'
# Xavier initialisation:
#
# ```
# W = random.gaussian(n_input, n_output) / sqrt(n_input)
# ```
#
# i.e. every weight from $\mathcal N(0, \sigma^2)$ with $\sigma = 1 / \sqrt{n_\text{in}}$.
# For a layer with 784 inputs that is $1/28 \approx 0.0357$; with 512 inputs, $0.0442$.
#
# > **Which "Xavier"?** This course follows the notes: $\sigma = 1/\sqrt{n_\text{in}}$. Glorot and
# > Bengio's 2010 paper (Xavier Glorot is the "Xavier") also asked the *backward* pass to keep its
# > scale, which needs $1/n_\text{out}$, and compromised on
# > $\operatorname{Var}(w) = 2 / (n_\text{in} + n_\text{out})$. Keras calls that `GlorotNormal`
# > (and `GlorotUniform`, the default of every `Dense` layer), and calls $1/n_\text{in}$
# > `LecunNormal`. The two agree when $n_\text{in} = n_\text{out}$, as in all hidden layers of our
# > experiment. Keras' normal initialisers also cut the Gaussian off at two standard deviations and
# > rescale it; ours is a plain Gaussian.
#
# ### Exercise 4 — `xavier_init`
# Draw from the generator you are given (`rng.standard_normal`), not from `np.random`: the checks
# pass seeded generators and expect the same weights from the same seed. The checks measure the
# mean, the standard deviation and the shape of the distribution of your weights; with hundreds of
# thousands of draws they can tell $1/\sqrt{784}$ from $\sqrt{2/(784 + 256)}$.

# %% nbgrader={"grade_id": "xavier_init", "solution": true}
def xavier_init(fan_in, fan_out, rng):
    """Xavier initialisation as in the notes: W ~ N(0, 1/fan_in), independently per entry.

    fan_in, fan_out: the layer's numbers of inputs and outputs; rng: a np.random.Generator.
    Returns W of shape (fan_in, fan_out).
    """
    ### BEGIN SOLUTION
    W = rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)
    ### END SOLUTION
    return W


# %% nbgrader={"grade_id": "test_xavier_init", "grade": true, "points": 2}
check("xavier_init", xavier_init)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("xavier_init", xavier_init)
### END HIDDEN TESTS

# %% [markdown]
# ### Model 3: tanh with Xavier

# %%
hs, weights, dWs = experiment("tanh, Xavier", xavier_init, np.tanh)

# %% [markdown]
# The activations now spread over the whole range of tanh in every layer, and the gradients have
# the same size from the first layer to the last. The std still drifts down slowly (0.6 to 0.2):
# tanh is a little less than linear, $|\tanh z| < |z|$, and the derivation assumed a linear
# activation. That is close enough for ten layers.
#
# ## 5. ReLU needs He initialisation
#
# Swap tanh for ReLU and keep Xavier. The variance argument breaks at $\mathbb E[h^2]$: ReLU sets
# the negative half of a symmetric $z$ to 0, which halves the second moment,
# $\mathbb E[\operatorname{relu}(z)^2] = \tfrac12 \operatorname{Var}(z)$. So each layer halves the
# signal's second moment; its std shrinks by $1/\sqrt 2$ per layer, and after ten layers by
# $2^{-4.5} \approx 0.044$. The notes: Xavier "does not take the activation into account, so with
# ReLU the gradient still vanishes".
#
# He et al. (2015) put the factor 2 back: $\operatorname{Var}(w) = 2 / n_\text{in}$, the notes'
#
# ```
# w = random.gaussian(n_input, n_output) / sqrt(n_input / 2)
# ```
#
# "like Xavier, but counting only half of the inputs" — on average only half of them are active.
#
# ### Exercise 5 — `he_init`
# The same as `xavier_init`, with $\sigma = \sqrt{2 / n_\text{in}}$ ($0.0505$ for 784 inputs).

# %% nbgrader={"grade_id": "he_init", "solution": true}
def he_init(fan_in, fan_out, rng):
    """He initialisation for ReLU layers: W ~ N(0, 2/fan_in), independently per entry.

    fan_in, fan_out: the layer's numbers of inputs and outputs; rng: a np.random.Generator.
    Returns W of shape (fan_in, fan_out).
    """
    ### BEGIN SOLUTION
    W = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
    ### END SOLUTION
    return W


# %% nbgrader={"grade_id": "test_he_init", "grade": true, "points": 2}
check("he_init", he_init)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("he_init", he_init)
### END HIDDEN TESTS

# %% [markdown]
# ### Model 4: ReLU with Xavier, and Model 5: ReLU with He

# %%
_ = experiment("ReLU, Xavier", xavier_init, relu, value_range=(0, 3))
_ = experiment("ReLU, He", he_init, relu, value_range=(0, 3))

# %% [markdown]
# With Xavier the ReLU activations shrink by about $1/\sqrt2$ per layer, as predicted; with He they
# keep the same distribution in all ten layers. All five models side by side:

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
plot_layer_curves({name: r[0] for name, r in results.items()}, ylabel="std of the layer's output",
                  title="activations", ax=axes[0])
plot_layer_curves({name: r[1] for name, r in results.items()}, ylabel="‖∂L/∂W‖",
                  title="weight gradients", ax=axes[1])
fig.tight_layout()
plt.show()

# %% [markdown] nbgrader={"grade_id": "q_he_factor", "grade": true, "solution": true, "points": 2}
# **Question.** (a) Show that $\mathbb E[\operatorname{relu}(z)^2] = \tfrac12 \operatorname{Var}(z)$
# when $z$ is symmetric around 0. (b) From the std printed for "ReLU, Xavier", take layer 1's value
# and predict layer 10's; compare with the measurement. (c) Why does the first layer need no
# special treatment, although its input (pixels) is not the output of a ReLU?
#
# ### BEGIN SOLUTION
# (a) relu(z)^2 equals z^2 where z > 0 and 0 elsewhere. For a symmetric z, z^2 has the same
# distribution on both halves, so E[relu(z)^2] = E[z^2 1(z > 0)] = E[z^2] / 2 = Var(z) / 2 (mean 0).
# (b) Each further layer multiplies the second moment by 1/2, the std by 1/sqrt(2), so layer 10 should
# be layer 1 times 2^(-9/2) = 0.044: 0.58 * 0.044 = 0.026, and the measurement is 0.027. (The std of a
# ReLU output is a fixed fraction of its root mean square when the pre-activations are Gaussian, so
# the ratio carries over from second moments to stds.) (c) The factor 2 compensates for the half of
# the inputs that a ReLU zeroes. The first layer's inputs are standardised pixels with E[x^2] = 1,
# nothing zeroed, so with He its output is a little larger (std 0.83 instead of 0.58 with Xavier);
# from layer 2 on every layer sees ReLU outputs and keeps the scale. A constant factor in one layer
# does not compound, so it does no harm. (Strictly, 1/sqrt(fan_in) would be right for layer 1.)
# ### END SOLUTION

# %% [markdown]
# ### Your initialisers and Keras'
#
# The same rules live in `keras.initializers`, under the names of the section 4 box. Keras' normal
# initialisers draw from a Gaussian cut off at two standard deviations, rescaled so that the std
# is still the target; the largest weight (in units of the std) shows the cut.

# %%
fan_in, fan_out = 784, 256
rng = np.random.default_rng(0)
draws = {
    "xavier_init (yours)": xavier_init(fan_in, fan_out, rng),
    "keras LecunNormal": keras.initializers.LecunNormal(seed=0)((fan_in, fan_out)),
    "keras VarianceScaling(1, fan_in, untruncated)": keras.initializers.VarianceScaling(
        1.0, "fan_in", "untruncated_normal", seed=0)((fan_in, fan_out)),
    "keras GlorotNormal": keras.initializers.GlorotNormal(seed=0)((fan_in, fan_out)),
    "he_init (yours)": he_init(fan_in, fan_out, rng),
    "keras HeNormal": keras.initializers.HeNormal(seed=0)((fan_in, fan_out)),
}
for name, W in draws.items():
    W = np.asarray(W, dtype=np.float64)
    print(f"{name:46s} std {W.std():.4f}   largest |w| = {np.abs(W).max() / W.std():.2f} std")
print(f"\n1/sqrt(784) = {1 / np.sqrt(784):.4f}, sqrt(2/(784 + 256)) = {np.sqrt(2 / 1040):.4f}, "
      f"sqrt(2/784) = {np.sqrt(2 / 784):.4f}")
print("Keras' Dense default:", keras.layers.Dense(1).get_config()["kernel_initializer"]["class_name"])

# %% [markdown]
# > **A slip in the notes.** One set of notes says that a Keras `Dense` layer is initialised with
# > `glorot_normal` by default. As printed above, the default is `GlorotUniform`: a uniform
# > distribution on $[-\ell, \ell]$ with $\ell = \sqrt{6 / (n_\text{in} + n_\text{out})}$, which has
# > the same variance as `GlorotNormal`. Another set writes the He formula under the heading
# > "Xavier, He"; as shown above, the two differ by the factor 2.
#
# ## 6. Vanishing gradients: sigmoid, tanh and ReLU compared
#
# Back to the activation functions. Even initialised well, a sigmoid network loses its gradient on
# the way down: each layer multiplies the backward signal by $\sigma'(z) \le \tfrac14$. One more
# experiment, a 10-layer sigmoid network with Xavier weights, against the tanh-Xavier and ReLU-He
# networks from above:

# %%
_ = experiment("sigmoid, Xavier", xavier_init, sigmoid, value_range=(0, 1))

# %%
compare = ["sigmoid, Xavier", "tanh, Xavier", "ReLU, He"]
fig, ax = plt.subplots(figsize=(6, 3.8))
plot_layer_curves({name: results[name][2] for name in compare}, ylabel="‖∂L/∂h‖",
                  title="gradient reaching each layer's output", ax=ax)
plt.show()
for name in compare:
    g = results[name][2]
    print(f"{name:16s} gradient at layer 1 / at layer 10: {g[0] / g[-1]:.2g}")

# %% [markdown]
# The sigmoid network's gradient shrinks by about a factor of 4 per layer on its way to the
# input — the $\tfrac14$ bound in action (its outputs sit around 0.5, where $\sigma'$ is near its
# maximum) — so its first layer gets a few millionths of what the last layer gets, close to
# $(\tfrac14)^9 \approx 4 \times 10^{-6}$. tanh (slope up
# to 1) and ReLU (slope exactly 1 where active) keep the gradient's size. This is why the notes'
# recipe for a deep network is: ReLU (or a relative) for the activations, He initialisation for the
# weights, zeros for the biases.
#
# ## 7. Does it matter for training?
#
# The experiments above only looked at the first forward pass. Here are the same initialisations
# in deep networks that are actually trained: ten hidden layers of 256 units, a softmax output,
# plain SGD with learning rate 0.01, on the Fashion-MNIST images from section 2 (in the short
# FAST mode that the tests run, a few thousand images and three epochs; otherwise 50 000 images
# and ten epochs). Your `xavier_init` and `he_init` become Keras initialisers through a small
# adapter.

# %%
def keras_initializer(init, seed=0):
    """Use an initialiser init(fan_in, fan_out, rng) for a Keras Dense layer's kernel."""
    rng = np.random.default_rng(seed)
    return lambda shape, dtype=None: init(shape[0], shape[1], rng).astype("float32")

def deep_net(activation, init, depth=10, width=256):
    keras.utils.set_random_seed(0)
    hidden = [keras.layers.Dense(width, activation=activation, kernel_initializer=init) for _ in range(depth)]
    model = keras.Sequential([keras.Input((784,)), *hidden, keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model

setups = {
    "tanh, std 0.01": ("tanh", keras.initializers.RandomNormal(stddev=0.01, seed=0)),
    "tanh, std 1.0": ("tanh", keras.initializers.RandomNormal(stddev=1.0, seed=0)),
    "tanh, Xavier": ("tanh", keras_initializer(xavier_init)),
    "ReLU, Xavier": ("relu", keras_initializer(xavier_init)),
    "ReLU, He": ("relu", keras_initializer(he_init)),
}
curves = {}
for name, (activation, init) in setups.items():
    print(f"--- {name}")
    hist = deep_net(activation, init).fit(x_fit, y_fit, epochs=EPOCHS, batch_size=64,
                                          validation_data=(x_val, y_val), validation_batch_size=1_000,
                                          verbose=VERBOSE)
    curves[f"{name}: val_loss"] = hist.history["val_loss"]
    curves[f"{name}: val_accuracy"] = hist.history["val_accuracy"]

# %%
fig = plot_history(curves, title="ten hidden layers, plain SGD: validation loss and accuracy")
plt.show()

# %% [markdown]
# The std-0.01 network sits at the loss of a uniform guess, $\ln 10 \approx 2.30$, and about 10 %
# accuracy: its output does not depend on the input, and its gradients are too small to change
# that. The std-1.0 network starts with a loss *above* that of a uniform guess (its saturated
# units make confident, wrong predictions) and creeps down, far behind. Xavier trains the tanh
# network. For the ReLU network He is ahead from the first epoch, while Xavier starts slowly: its
# signal reaches the output $2^{4.5} \approx 22$ times too small, and the weights first have to grow
# out of that (the deeper the network, the larger that factor, $2^{L/2}$).
#
# For reference, the full run (50 000 images, ten epochs; about four minutes on a two-core CPU)
# ended at validation accuracies of 10 % (tanh, std 0.01), 35 % (tanh, std 1.0), 85 % (tanh,
# Xavier), 87 % (ReLU, Xavier, which caught up after a few epochs) and 87 % (ReLU, He); the
# zero-initialised network of section 2 reached 49 %, the random one 87 %. Better optimisers (notebook 06) and batch normalisation (notebook 05) make
# a network less sensitive to its initialisation — but they build on it, they do not replace it.
#
# ## Summary
#
# - Activations add nonlinearity, and their derivatives multiply every gradient: the sigmoid's
#   $\le \tfrac14$ makes gradients vanish with depth; tanh is zero-centred but saturates; ReLU has
#   slope 1 where active but can die; leaky ReLU and PReLU keep a slope $\alpha$ for $z \le 0$
#   ($\partial L / \partial \alpha = \sum_{x \le 0} \text{dout} \cdot x$).
# - Constant (e.g. zero) weights keep all units of a layer identical forever: initialise weights
#   randomly to break the symmetry; biases can start at 0.
# - Too small (std 0.01): activations and gradients shrink to 0 layer by layer. Too large (std 1):
#   tanh units saturate at $\pm 1$, most gradients are 0 and the rest blow up.
# - Keep $\operatorname{Var}(z)$ constant across layers: Xavier $\sigma = 1/\sqrt{n_\text{in}}$ (the
#   notes' convention; Glorot's paper and Keras' `GlorotNormal` use $\sqrt{2/(n_\text{in} + n_\text{out})}$),
#   and He $\sigma = \sqrt{2/n_\text{in}}$ for ReLU, which halves the second moment.

# %% [markdown]
# Before you hand in: run every visible check of this notebook at once.

# %%
from utils.checks import check_all
check_all();
