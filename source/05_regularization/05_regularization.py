# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 · Regularisation: weight penalties, dropout (드롭아웃) and batch normalization (배치 정규화)
#
# A network with a few hundred thousand weights can memorise a few hundred training images: it
# gets every one of them right and is no better than before on images it has not seen. What we
# want is **generalization (일반화)** — good predictions on new data from the same source — and
# the set of techniques that trade a little accuracy on the training set for better
# generalization is called **regularization (정규화, also 규제)**.
#
# This notebook watches a network memorise 500 Fashion-MNIST images, then tries the notes'
# remedies one at a time: penalties on the weights (L1, L2, elastic net), dropout, early
# stopping, and data augmentation. It ends with batch normalization, which the notes list with
# dropout although its main job is a different one: it lets deep networks train fast, at
# learning rates that would otherwise wreck them.
#
# **You will implement:** `l2_penalty`, `l1_penalty`, `elastic_penalty` (each with its gradient),
# `dropout_forward`, `dropout_backward`, `batchnorm_forward` (train and test mode, with running
# averages) and `batchnorm_backward`. Each has a test cell right below it.
#
# A note on the word: Korean texts, the lecture notes included, use 정규화 both for
# regularization and for normalization (as in batch normalization, 배치 정규화). They are
# different ideas; the context tells which is meant.

# %%
import matplotlib.pyplot as plt
import numpy as np

from utils import FAST
from utils.checks import check
from utils.data import load_fashion_mnist, use_offline_cache
from utils.fit_plots import plot_train_val, show_images
from utils.gradcheck import eval_numerical_gradient_array, rel_error

use_offline_cache()   # the course's local copy of the data, if there is one (else Keras downloads)

import keras  # noqa: E402  (after use_offline_cache: Keras reads its data folder when imported)

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. Overfitting: a network that memorises
#
# Training minimises the loss on the training set, but the training set is only a sample. A model
# can fail to generalise in two ways:
#
# - **Underfitting (과소적합):** it cannot even explain the training data — too small a model, or
#   too little training. Training and validation loss are both high.
# - **Overfitting (과적합):** it fits the training data, noise and accidents included, so well
#   that it does worse on new data. The training loss keeps falling while the validation loss
#   turns and rises.
#
# We can only see overfitting on data the model was not trained on, the
# **validation data (검증 데이터)**. The test set stays untouched until the very end.
#
# > **A slip in the notes.** One set of class notes describes overfitting as what happens when a
# > model receives *too much* training data. Read literally, that is backwards: overfitting comes
# > from too *little* data for the model's capacity (or from training too long), and the first cure
# > the lecture notes themselves list is to get more data. More data makes memorising harder and
# > generalising easier.
#
# Let us make a network overfit on purpose: 500 training images, a network with about 270,000
# weights (784 → 256 → 256 → 10, ReLU), and plenty of epochs. Validation images come from the end
# of the Fashion-MNIST training set and are never trained on.

# %%
(x_train, y_train), _ = load_fashion_mnist()
images = x_train / np.float32(255)      # floats in [0, 1]; a float32 divisor keeps them float32
x_all = images.reshape(len(images), -1)

N_SMALL = 500                           # the small training set that invites overfitting
N_VAL = 1_000 if FAST else 10_000       # FAST (tests, CI): a smaller validation set, same code
EPOCHS = 15 if FAST else 60             # ... and fewer epochs (the best epoch comes near 10)
VERBOSE = 2 if FAST else 1              # one line per epoch, or Keras' progress bars
x_small, y_small = x_all[:N_SMALL], y_train[:N_SMALL]
x_val, y_val = x_all[-N_VAL:], y_train[-N_VAL:]
print(f"{len(x_small)} training images, {len(x_val)} validation images, {x_all.shape[1]} pixels each")


# %% [markdown]
# One function builds every network of the sections that follow, with an optional L2 penalty
# and optional dropout (both explained below). Besides the loss, Keras records the plain
# cross-entropy as a metric, `ce`: with a penalty, Keras' `loss` includes the penalty, and only
# `ce` compares fairly across runs.

# %%
def mlp(l2=0.0, keep=1.0, seed=0):
    """784 -> 256 -> 256 -> 10 ReLU network; an L2 penalty `l2` on every weight matrix and
    dropout keeping each hidden unit with probability `keep`, if asked for."""
    keras.utils.set_random_seed(seed)
    reg = keras.regularizers.L2(l2) if l2 else None
    layers = [keras.Input((784,))]
    for _ in range(2):
        layers.append(keras.layers.Dense(256, activation="relu", kernel_regularizer=reg))
        if keep < 1.0:
            layers.append(keras.layers.Dropout(rate=1.0 - keep))   # Keras takes the DROP probability
    layers.append(keras.layers.Dense(10, activation="softmax", kernel_regularizer=reg))
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", keras.metrics.SparseCategoricalCrossentropy(name="ce")])
    return model


def fit(model, epochs=EPOCHS, **kwargs):
    # validation_batch_size: evaluating in big batches gives the same figures, in fewer steps
    return model.fit(x_small, y_small, epochs=epochs, batch_size=50, validation_data=(x_val, y_val),
                     validation_batch_size=1_000, verbose=VERBOSE, **kwargs).history


# %%
histories, models = {}, {}
models["plain"] = mlp()
histories["plain"] = fit(models["plain"])

# %%
plot_train_val({"plain": histories["plain"]}, metrics=("ce", "accuracy"),
               title="500 training images, no regularisation")
plt.show()
h = histories["plain"]
best = int(np.argmin(h["val_ce"])) + 1
print(f"training accuracy after epoch {len(h['accuracy'])}: {h['accuracy'][-1]:.3f}")
print(f"validation cross-entropy: lowest after epoch {best}, {h['val_ce'][best - 1]:.3f} "
      f"(accuracy {h['val_accuracy'][best - 1]:.3f}); after epoch {len(h['val_ce'])}: "
      f"{h['val_ce'][-1]:.3f} (accuracy {h['val_accuracy'][-1]:.3f})")

# %% [markdown]
# The training cross-entropy heads to 0 and the training accuracy to 100 %: the network
# memorises its 500 images (in full mode it gets there; short mode's 15 epochs stop on the way).
# The validation cross-entropy falls for a few epochs, then climbs, while the validation accuracy
# changes much less (the printed numbers). The network keeps getting *more confident* on the
# validation images without getting many more of them right, so when it is wrong it is wrong with
# high confidence. The gap between the solid and the dashed curves is the overfitting.
#
# ## 2. Weight penalties: L2, L1 and the elastic net
#
# The oldest remedy, from regression, adds to the data loss a penalty on the size of the weights:
#
# $$L = \underbrace{\frac1N \sum_{i=1}^N L_i}_{\text{data loss}} + \lambda R(W),$$
#
# with the **regularization strength** $\lambda \ge 0$ as a hyper-parameter. The notes give three
# choices of $R$, each summed over every weight $W_{k,l}$:
#
# | penalty | $R(W)$ | gradient $\partial\, \lambda R / \partial W_{k,l}$ |
# |---|---|---|
# | L2 | $\sum_{k,l} W_{k,l}^2$ | $2 \lambda W_{k,l}$ |
# | L1 | $\sum_{k,l} \lvert W_{k,l} \rvert$ | $\lambda \operatorname{sign}(W_{k,l})$ |
# | elastic net | $\sum_{k,l} \beta W_{k,l}^2 + \lvert W_{k,l} \rvert$ | $\lambda\,(2 \beta W_{k,l} + \operatorname{sign}(W_{k,l}))$ |
#
# (The notes write the data loss of that slide as a multi-class hinge loss; the penalty is added
# the same way to the cross-entropy we use.) Large weights let a network build sharp,
# input-specific features, the stuff of memorising; the penalty makes every unit of weight cost
# something, so only weights that reduce the data loss enough survive. Penalties go on the
# weight matrices; biases are usually left alone (they do not multiply the input, and there are
# few of them).
#
# **L2 is weight decay (가중치 감쇠).** One gradient-descent step with learning rate $\eta$ on
# the penalised loss is
#
# $$W \leftarrow W - \eta\,(\nabla_W L_\text{data} + 2 \lambda W) = (1 - 2 \eta \lambda)\, W - \eta\, \nabla_W L_\text{data}:$$
#
# before each ordinary step, every weight shrinks by the same factor $1 - 2\eta\lambda$.
#
# **Conventions differ by a factor 2.** The notes and `keras.regularizers.L2(l2)` use
# $\lambda \sum W^2$, as we do. Many texts write $\frac{\lambda}{2} \sum W^2$ so that the
# gradient is $\lambda W$; PyTorch's `weight_decay` adds $\lambda W$ to the gradient, the
# $\frac{\lambda}{2}$ convention. The same number $\lambda$ means twice as strong a penalty here
# as there.
#
# **Worked example.** $W = \begin{pmatrix} 1 & -2 \\ 0 & 3 \end{pmatrix}$, $\lambda = 0.1$:
# $\sum W^2 = 1 + 4 + 0 + 9 = 14$, so the L2 penalty is $1.4$ with gradient
# $0.2\,W = \begin{pmatrix} 0.2 & -0.4 \\ 0 & 0.6 \end{pmatrix}$;
# $\sum |W| = 6$, so the L1 penalty is $0.6$ with gradient
# $0.1 \operatorname{sign}(W) = \begin{pmatrix} 0.1 & -0.1 \\ 0 & 0.1 \end{pmatrix}$. $|w|$ has no
# derivative at $w = 0$; we use 0 there (`np.sign(0)` is 0, and TensorFlow does the same).
#
# ### Exercise 1 — `l2_penalty`
# Work for a weight array of any shape. Return the penalty as a single number.

# %% nbgrader={"grade_id": "l2_penalty", "solution": true}
def l2_penalty(W, lam):
    """L2 penalty lam * sum(W**2) over all entries of W, and its gradient.

    W: weight array of any shape; lam: the regularization strength (a float >= 0).
    Returns (penalty, dW): penalty a float, dW an array of W's shape.
    """
    ### BEGIN SOLUTION
    penalty = lam * np.sum(W * W)
    dW = 2.0 * lam * W
    ### END SOLUTION
    return penalty, dW


# %% nbgrader={"grade_id": "test_l2_penalty", "grade": true, "points": 2}
check("l2_penalty", l2_penalty)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("l2_penalty", l2_penalty)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2 — `l1_penalty`

# %% nbgrader={"grade_id": "l1_penalty", "solution": true}
def l1_penalty(W, lam):
    """L1 penalty lam * sum(|W|) over all entries of W, and its gradient (0 where W == 0).

    Returns (penalty, dW): penalty a float, dW an array of W's shape.
    """
    ### BEGIN SOLUTION
    penalty = lam * np.sum(np.abs(W))
    dW = lam * np.sign(W)
    ### END SOLUTION
    return penalty, dW


# %% nbgrader={"grade_id": "test_l1_penalty", "grade": true, "points": 2}
check("l1_penalty", l1_penalty)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("l1_penalty", l1_penalty)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3 — `elastic_penalty`
# The notes' elastic net, $\lambda \sum (\beta W^2 + |W|)$, mixes the two: in Keras it is
# `keras.regularizers.L1L2(l1=lam, l2=lam * beta)`. (Other libraries parametrise the mix
# differently; scikit-learn's `ElasticNet`, for one, uses a total strength and an L1 ratio.) You may
# call your two functions above.

# %% nbgrader={"grade_id": "elastic_penalty", "solution": true}
def elastic_penalty(W, lam, beta):
    """Elastic-net penalty lam * sum(beta * W**2 + |W|), and its gradient.

    Returns (penalty, dW): penalty a float, dW an array of W's shape.
    """
    ### BEGIN SOLUTION
    p_squares, d_squares = l2_penalty(W, lam * beta)
    p_abs, d_abs = l1_penalty(W, lam)
    penalty, dW = p_squares + p_abs, d_squares + d_abs
    ### END SOLUTION
    return penalty, dW


# %% nbgrader={"grade_id": "test_elastic_penalty", "grade": true, "points": 1}
check("elastic_penalty", elastic_penalty)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("elastic_penalty", elastic_penalty)
### END HIDDEN TESTS

# %% [markdown]
# Your functions agree with Keras' regularisers on the worked example (given to Keras in float32,
# the dtype of a layer's weights):

# %%
W_demo = np.array([[1.0, -2.0], [0.0, 3.0]])
W_keras = W_demo.astype(np.float32)
print("L2:     ", l2_penalty(W_demo, 0.1)[0], " keras:", float(keras.regularizers.L2(0.1)(W_keras)))
print("L1:     ", l1_penalty(W_demo, 0.1)[0], " keras:", float(keras.regularizers.L1(0.1)(W_keras)))
print("elastic:", elastic_penalty(W_demo, 0.1, 0.5)[0],
      " keras:", float(keras.regularizers.L1L2(l1=0.1, l2=0.05)(W_keras)))

# %% [markdown]
# (Keras computes in float32 here, $\lambda$ included, hence the digits after the seventh.)
#
# **What each penalty does to a weight.** Take one weight whose data loss alone would put it at
# $a$, say the data loss is $\frac12 (w - a)^2$, and add a penalty. Where does the minimum move?
# The cell below finds it on a fine grid of $w$, using your penalties.

# %%
lam = 0.5
grid = np.linspace(-3, 3, 1201)
targets = np.linspace(-2.5, 2.5, 101)
fig, ax = plt.subplots(figsize=(5.5, 4))
for name, penalty in [("L2", l2_penalty), ("L1", l1_penalty)]:
    pen = np.array([penalty(np.array([w]), lam)[0] for w in grid])
    best_w = [grid[np.argmin(0.5 * (grid - a) ** 2 + pen)] for a in targets]
    ax.plot(targets, best_w, label=f"{name}, lam = {lam}")
ax.plot(targets, targets, "k:", label="no penalty")
ax.set(xlabel="a (where the data loss alone puts w)", ylabel="w at the minimum", title="Shrinkage")
ax.legend(); ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# L2 shrinks every weight by the same factor, $w = a / (1 + 2\lambda)$: large weights lose a lot,
# small ones little, and none becomes exactly 0. L1 pulls every weight towards 0 by the same
# amount $\lambda$, and a weight whose data-loss pull is weaker than that, $|a| \le \lambda$,
# lands on exactly 0. That is why L1 gives **sparse** weights (many exact zeros) and L2 does not.
#
# Now the penalty on the overfitting network. Keras adds $\lambda \sum W^2$ of every kernel to the
# loss it minimises:

# %%
L2_STRENGTH = 1e-2
models["L2"] = mlp(l2=L2_STRENGTH)
histories["L2"] = fit(models["L2"])

# %% [markdown] nbgrader={"grade_id": "q_l1_vs_l2", "grade": true, "solution": true, "points": 2}
# **Question.** You want a model that uses only a few of its 784 input pixels. Which penalty
# would you put on the first layer's weights, L1 or L2, and why? Base your answer on the
# gradients of the two penalties near $w = 0$ and on the shrinkage plot above.
#
# ### BEGIN SOLUTION
# L1. Its gradient has the same size lambda however small the weight is, so it keeps pushing a
# weight towards 0 until the data loss pushes back at least as hard; weights of pixels that help
# less than that end at exactly 0 (the flat part of the L1 curve for |a| <= lambda), and a pixel
# whose weights are all 0 is not used. The L2 gradient 2 lambda w vanishes as w approaches 0, so
# L2 only scales weights down by 1 / (1 + 2 lambda): they get small but stay non-zero, and every
# pixel is still used a little.
# ### END SOLUTION

# %% [markdown]
# ## 3. Dropout
#
# **Dropout (드롭아웃)**, from Srivastava, Hinton and colleagues (2014), switches off a random
# subset of the units in every training step: each unit's output is multiplied by 0 with some
# probability, independently of the others and afresh for every example and every step. A dropped
# unit passes nothing forward, and so no gradient flows back through it either; the notes
# suggest dropping about half of the units. (One set of class notes says dropout removes
# *layers*; it removes units, each one independently.) Two ways to see why this helps:
#
# - A unit cannot rely on any particular other unit being there, so it has to learn features
#   that are useful on their own, not fragile co-adaptations that fit the training set's
#   accidents.
# - Every mask defines a different **sub-network** (a thinned copy of the network, sharing
#   its weights). With $n$ units there are $2^n$ of them, and training with dropout trains a
#   huge **ensemble (앙상블)** of sub-networks at once. Ensembles — averaging the predictions of
#   several models — reliably reduce generalization error, but training many deep networks is
#   expensive; dropout approximates the ensemble at the price of one network.
#
# **Which p?** Here is a trap. The notes, like the original paper, call $p$ the probability of
# **keeping** a unit, and that is what $p$ means in this notebook. Keras' `Dropout(rate)` and
# `tf.nn.dropout(x, rate)` take the probability of **dropping** it: `rate = 1 - p`. The notes'
# "usually 0.5" is the one value where the two agree.
#
# **Test time: classic and inverted dropout.** At test time we want the ensemble's average
# prediction, not one random sub-network. Running all $2^n$ is impossible, so the notes use all
# units and **multiply each unit's output by $p$**: during training a unit's output $h$ was
# $m\,h$ with a mask value $m \in \{0, 1\}$, $P(m = 1) = p$, whose expectation is
#
# $$\mathbb E[m\,h] = p\,h,$$
#
# so scaling by $p$ at test time gives each unit its expected training-time output. That is the
# **classic** form. Frameworks use the **inverted** form instead, which moves the scaling into
# training:
#
# | | training | test |
# |---|---|---|
# | classic (the notes) | $m \odot h$ | $p\,h$ |
# | inverted (Keras, PyTorch, this notebook) | $m \odot h / p$ | $h$ |
#
# Since $\mathbb E[m\,h / p] = h$, the inverted layer's training output already has the right
# expectation, and at test time the layer does nothing at all. The two forms describe the same
# family of networks: a classic network whose next layer has weights $W$ computes what an inverted
# one with weights $pW$ computes, in training and at test time. The inverted form is preferred
# because the deployed model contains no trace of dropout, and $p$ can change during training
# without touching the inference code.
#
# **Worked example.** $x = (1, \dots, 8)$ as a $2 \times 4$ array, $p = 0.5$. With the seed 0,
# `np.random.default_rng(0).random((2, 4))` draws
# $\begin{pmatrix} 0.637 & 0.270 & 0.041 & 0.017 \\ 0.813 & 0.913 & 0.607 & 0.729 \end{pmatrix}$;
# the units whose draw is below $p$ are kept: 2, 3 and 4. Inverted dropout outputs
# $\begin{pmatrix} 0 & 4 & 6 & 8 \\ 0 & 0 & 0 & 0 \end{pmatrix}$ (kept units divided by
# $p = 0.5$). Only three of eight kept: with so few units, the fraction kept is far from $p$.
#
# ### Exercise 4 — `dropout_forward`
# Implement inverted dropout. So that checks (and experiments) can be repeated exactly, the mask
# comes from the `seed` you are given, drawn exactly as the docstring says. `seed` may be an int
# or a `np.random.Generator`; `np.random.default_rng` accepts both (given a Generator, it returns
# that same generator, so successive calls draw fresh masks). The cache is the array that
# multiplied $x$, which is all `dropout_backward` needs.

# %% nbgrader={"grade_id": "dropout_forward", "solution": true}
def dropout_forward(x, p, mode, seed=None):
    """Inverted dropout.

    x: array of any shape.
    p: the probability of KEEPING each unit, 0 < p <= 1 (the notes' p; Keras' rate is 1 - p).
    mode: "train" or "test".
    seed: an int, a np.random.Generator, or None. In train mode, draw the mask exactly as
        rng = np.random.default_rng(seed)
        keep = rng.random(x.shape) < p          # True where the unit is kept
    Returns (out, cache): out has x's shape. cache is the array x was multiplied by:
    in train mode 1/p where a unit is kept and 0 where it is dropped; in test mode all ones.
    """
    ### BEGIN SOLUTION
    if mode == "train":
        generator = np.random.default_rng(seed)
        cache = (generator.random(x.shape) < p) / p
    else:
        cache = np.ones_like(x, dtype=np.float64)
    out = x * cache
    ### END SOLUTION
    return out, cache


# %% nbgrader={"grade_id": "test_dropout_forward", "grade": true, "points": 3}
check("dropout_forward", dropout_forward)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("dropout_forward", dropout_forward)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 5 — `dropout_backward`
# Out is $x$ times the cache, entry by entry. What is $\partial L / \partial x$, given the upstream
# gradient `dout` $= \partial L / \partial \text{out}$?

# %% nbgrader={"grade_id": "dropout_backward", "solution": true}
def dropout_backward(dout, cache):
    """Backward pass of (inverted) dropout.

    dout: upstream gradient, x's shape; cache: from dropout_forward.
    Returns dx, the gradient with respect to x (one array: the layer has one input).
    """
    ### BEGIN SOLUTION
    dx = dout * cache
    ### END SOLUTION
    return dx


# %% nbgrader={"grade_id": "test_dropout_backward", "grade": true, "points": 1}
check("dropout_backward", dropout_backward)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("dropout_backward", dropout_backward)
### END HIDDEN TESTS

# %% [markdown]
# **Both forms are right in expectation.** Average many training-mode outputs for a fixed $x$:
# inverted dropout's average approaches $x$ itself (its test-time output), and the classic form's
# approaches $p\,x$ (its test-time output). Passing one `Generator` to every call gives a fresh
# mask each time.

# %%
def dropout_forward_classic(x, p, mode, seed=None):
    """The notes' classic dropout: mask (no scaling) in training, multiply by p at test time."""
    if mode == "train":
        return x * (np.random.default_rng(seed).random(x.shape) < p)
    return p * x


x_demo, p_demo, rng = np.array([1.0, -2.0, 3.0, 0.5, 4.0, -1.0]), 0.7, np.random.default_rng(0)
counts = np.unique(np.geomspace(1, 5000, 40).astype(int))
inverted = np.array([dropout_forward(x_demo, p_demo, "train", rng)[0] for _ in range(counts[-1])])
classic = np.array([dropout_forward_classic(x_demo, p_demo, "train", rng) for _ in range(counts[-1])])
print("x:                          ", x_demo)
print("inverted, mean of 5000 masks", inverted.mean(axis=0),
      " test output:", dropout_forward(x_demo, p_demo, "test")[0])
print("classic,  mean of 5000 masks", classic.mean(axis=0),
      " test output:", dropout_forward_classic(x_demo, p_demo, "test"))

# %%
gap_inv = [np.abs(inverted[:k].mean(axis=0) - x_demo).max() for k in counts]
gap_cls = [np.abs(classic[:k].mean(axis=0) - p_demo * x_demo).max() for k in counts]
plt.figure(figsize=(5.5, 3.6))
plt.loglog(counts, gap_inv, label="inverted: |mean - x|")
plt.loglog(counts, gap_cls, label="classic: |mean - p x|")
plt.loglog(counts, 3 / np.sqrt(counts), "k:", label=r"$\propto 1/\sqrt{K}$")
plt.xlabel("number of masks averaged, K"); plt.ylabel("largest deviation"); plt.legend(); plt.grid(alpha=0.3)
plt.show()

# %% [markdown]
# Both averages converge to their test-time outputs at the usual Monte-Carlo rate $1/\sqrt K$.
# For one layer the expectation is exact. Through a whole network it is an approximation: the
# next nonlinearity does not commute with the average, $\mathbb E[f(z)] \ne f(\mathbb E[z])$.
# The experiment below measures how good the approximation is in practice.
#
# Dropout on the overfitting network, keeping half of the hidden units ($p = 0.5$, so Keras'
# `rate` is also 0.5):

# %%
KEEP = 0.5
models["dropout"] = mlp(keep=KEEP)
histories["dropout"] = fit(models["dropout"])

# %%
plot_train_val(histories, metrics=("ce", "accuracy"), title="Training (solid) vs validation (dashed)")
plt.show()
for name, h in histories.items():
    print(f"{name:8s} final training accuracy {h['accuracy'][-1]:.3f}, validation accuracy "
          f"{h['val_accuracy'][-1]:.3f}, validation cross-entropy {h['val_ce'][-1]:.3f} "
          f"(lowest {min(h['val_ce']):.3f})")

# %% [markdown]
# Both remedies do what they promise on the loss, and the gap between the training and validation
# curves is narrower with them. In full mode (60 epochs) the difference is plain: the plain
# network's validation cross-entropy climbs steadily after its best epoch; with the L2 penalty it
# stays nearly flat, with dropout its best epoch comes much later, and both end below the plain
# network's. Short mode stops after 15 epochs, when the plain network's validation loss has
# only begun to climb, so there the gaps between the three final values, and even their order,
# change with the seed: the full-mode run is the one to draw conclusions from.
# Dropout makes the *training* curves worse — every step trains a different sub-network — which
# is the point.
#
# Look at the validation accuracies, too: they move much less than the cross-entropies, and which
# run comes out ahead changes with the seed and the number of epochs. In our full-mode runs the
# L2 penalty at this strength ended a few points *below* the plain network, and dropout level
# with it; $\lambda$ and $p$ are hyper-parameters, to be tuned on the validation set. A difference
# of a point or two between two single runs is within what another seed changes; compare runs
# over several seeds before you believe it. Regularisation stops a model from being confidently
# wrong; it cannot create the information that 500 images lack. That is why the notes' first
# remedy for overfitting is more data.
#
# **The ensemble, measured.** A dropout network is a bag of sub-networks. Averaging the
# predictions of many random sub-networks (Keras runs dropout when called with `training=True`)
# approximates the ensemble; the deterministic network with all units on is the weight-scaling
# approximation that dropout uses at test time.

# %%
K_SUBNETS = 20
sub_probs = np.mean([models["dropout"](x_val, training=True) for _ in range(K_SUBNETS)], axis=0)
one_probs = np.asarray(models["dropout"](x_val, training=False))
one_sub = np.asarray(models["dropout"](x_val, training=True))
for what, probs in [("one random sub-network", one_sub), (f"average of {K_SUBNETS} sub-networks", sub_probs),
                    ("all units (the test-time network)", one_probs)]:
    print(f"{what:32s} validation accuracy {np.mean(probs.argmax(axis=1) == y_val):.3f}")

# %% [markdown]
# One random sub-network does worse than the full network, by a few points. The full network at
# test time does about as well as the average of many sub-networks, at the cost of one forward
# pass.

# %% [markdown] nbgrader={"grade_id": "q_dropout_test_time", "grade": true, "solution": true, "points": 2}
# **Question.** The notes say that at test time every unit's output is multiplied by $p$.
# (a) Why does the classic form need that factor? (b) Your `dropout_forward` does not multiply by
# $p$ in test mode: why is that right for it? (c) A student trains with your inverted dropout,
# $p = 0.5$, and then, following the notes, multiplies by $p$ at test time as well. What happens
# to the hidden units' outputs at test time, and would you expect the accuracy to suffer?
#
# ### BEGIN SOLUTION
# (a) In classic training a unit's output is h with probability p and 0 otherwise, so its expected
# value is p h, and the next layer's weights are trained on inputs of that size. With all units on
# at test time, multiplying by p gives each unit its expected training-time output, so the next
# layer sees inputs of the same scale (the average over the sub-networks, exactly for a linear layer).
# (b) Inverted dropout divides the kept units by p during training, so the expected training output
# is already h; at test time the identity gives exactly that expectation, and no factor is needed.
# (c) The scaling is then applied twice: every dropout layer's output is multiplied by p = 0.5, half
# of what the next layer was trained on, and with two dropout layers the last hidden layer gets a
# quarter. The pre-activations of the following layers shrink, biases weigh relatively more, and the
# outputs change; for ReLU units the scale error passes through layer after layer, so the softmax
# becomes much less confident and predictions can change. Accuracy typically drops, sometimes a
# little (when only the scale of the scores changes), sometimes a lot (when the biases dominate).
# ### END SOLUTION

# %% [markdown]
# ## 4. Early stopping
#
# The plain network's validation loss was lowest after a few epochs and rose afterwards. The
# simplest regulariser of all is to stop there: **early stopping (조기 종료)** watches the
# validation loss and stops when it has not improved for a few epochs (the *patience*), keeping
# the weights of the best epoch. In Keras it is a callback. With the same seed, the run below
# repeats the plain network's training (the same initial weights, the same order of batches)
# until the callback stops it.

# %%
PATIENCE = 5
stopper = keras.callbacks.EarlyStopping(monitor="val_ce", mode="min", patience=PATIENCE,
                                        restore_best_weights=True)
models["early stopping"] = mlp()
histories["early stopping"] = fit(models["early stopping"], callbacks=[stopper])
ran = len(histories["early stopping"]["val_ce"])
best = int(np.argmin(histories["early stopping"]["val_ce"])) + 1
print(f"ran {ran} of {EPOCHS} epochs; kept the weights of epoch {best}")

# %%
plot_train_val({"plain": histories["plain"], "early stopping": histories["early stopping"]},
               metrics=("ce",), markers={f"best epoch ({best})": best, f"stopped ({ran})": ran})
plt.show()
val_loss, val_acc, val_ce = models["early stopping"].evaluate(x_val, y_val, verbose=0)
print(f"restored model: validation cross-entropy {val_ce:.3f}, accuracy {val_acc:.3f}")

# %% [markdown]
# Early stopping costs nothing but a validation set, and it is one more reason that set must be
# separate from the test set: the stopping epoch is chosen *on* the validation data, so the
# validation loss of the chosen model is optimistic. Only a test set that played no part in any
# choice gives an honest estimate. (With `patience` too small, a noisy validation curve stops
# training at a random early dip; too large, and it wastes epochs.)
#
# ## 5. Batch normalization
#
# Notebook 04 chose the initial weights so that every layer's outputs start out with a sensible
# spread. Training changes the weights, and with them those spreads, layer by layer. The notes
# ask the obvious question: why not normalise the outputs directly? **Batch normalization
# (배치 정규화)** (Ioffe and Szegedy, 2015) does that inside the network, for each mini-batch.
#
# **The layer.** For a mini-batch $x$ of shape $(N, D)$ — $N$ examples, $D$ features, usually the
# outputs of an affine layer — treat every feature (column) on its own:
#
# $$\mu_j = \frac1N \sum_{i=1}^N x_{ij}, \qquad \sigma_j^2 = \frac1N \sum_{i=1}^N (x_{ij} - \mu_j)^2,
# \qquad \hat x_{ij} = \frac{x_{ij} - \mu_j}{\sqrt{\sigma_j^2 + \varepsilon}}, \qquad
# y_{ij} = \gamma_j \hat x_{ij} + \beta_j .$$
#
# Every feature of $\hat x$ has mean 0 and variance (almost) 1 over the batch. Forcing that on
# every layer could limit what the network can represent (a sigmoid fed only values near 0 is
# almost linear), so the learnable **scale** $\gamma$ and **shift** $\beta$ (one per feature) let
# the network choose any mean and spread it needs — even undo the normalisation, with
# $\gamma_j = \sqrt{\sigma_j^2 + \varepsilon}$ and $\beta_j = \mu_j$. The notes place the layer
# after the affine layer and before the activation; $\beta$ then makes the affine layer's bias
# redundant.
#
# > **A slip in the notes.** The notes' formula divides by $\sqrt{\mathrm{Var}[x]}$, with no
# > $\varepsilon$. A feature that is constant over the batch — common, e.g. a ReLU unit that is 0
# > for every example — has variance 0, and the formula gives $0 / 0$ = NaN. The small
# > $\varepsilon$ (we use $10^{-5}$; Keras uses $10^{-3}$) makes $\hat x = 0$ there instead.
#
# **Test time: running averages.** The output for one training example depends on the other
# examples in its batch, through $\mu$ and $\sigma^2$. At test time that is unwanted (a prediction
# should not depend on which other images happen to share the batch) and sometimes impossible (a
# batch of one has variance 0). So during training the layer keeps **moving averages
# (이동 평균)** of the batch statistics, and at test time it normalises with those:
#
# $$\mu_\text{run} \leftarrow m\, \mu_\text{run} + (1 - m)\, \mu_\text{batch}, \qquad
#   \sigma^2_\text{run} \leftarrow m\, \sigma^2_\text{run} + (1 - m)\, \sigma^2_\text{batch},$$
#
# starting from $\mu_\text{run} = 0$, $\sigma^2_\text{run} = 1$. The **momentum** $m$ close to 1
# averages over about the last $1 / (1 - m)$ batches. Keras' `BatchNormalization` uses exactly
# this convention (`momentum=0.99` by default, `epsilon=1e-3`) with the batch variance over $N$,
# as here. PyTorch's `momentum=0.1` means the opposite, the weight of the *new* batch, and its
# running variance divides by $N - 1$. We use $m = 0.9$, $\varepsilon = 10^{-5}$ by default.
#
# **Worked example.** $x = \begin{pmatrix} 2 & 10 \\ 2 & 50 \\ 6 & 10 \\ 6 & 50 \end{pmatrix}$,
# $\gamma = (1, 2)$, $\beta = (0, -1)$. Feature 0 has mean 4 and variance 4, feature 1 mean 30 and
# variance 400, so (up to $\varepsilon$, which changes the sixth decimal)
# $\hat x = \begin{pmatrix} -1 & -1 \\ -1 & 1 \\ 1 & -1 \\ 1 & 1 \end{pmatrix}$ and
# $y = \begin{pmatrix} -1 & -3 \\ -1 & 1 \\ 1 & -3 \\ 1 & 1 \end{pmatrix}$. From
# $\mu_\text{run} = (0, 0)$, $\sigma^2_\text{run} = (1, 1)$ and $m = 0.9$ the running averages
# become $\mu_\text{run} = 0.9 \cdot 0 + 0.1 \cdot (4, 30) = (0.4, 3.0)$ and
# $\sigma^2_\text{run} = 0.9 \cdot 1 + 0.1 \cdot (4, 400) = (1.3, 40.9)$.
#
# **Numerics.** Compute the variance as the mean of $(x - \mu)^2$. The shortcut
# $\overline{x^2} - \mu^2$ is algebraically the same but subtracts two large, nearly equal
# numbers when the mean is large compared to the spread; the checks include features near
# $10^6$, where the shortcut loses most of its digits:

# %%
x_far = 1e6 + np.random.default_rng(1).standard_normal(10)
print("mean((x - mu)**2):    ", np.mean((x_far - x_far.mean()) ** 2))
print("mean(x**2) - mu**2:   ", np.mean(x_far ** 2) - x_far.mean() ** 2)

# %% [markdown]
# ### Exercise 6 — `batchnorm_forward`
# Batch normalization is a layer with **state**, the running averages, which its forward pass
# updates in training. Rather than changing its argument in place, your function returns the new
# running averages as a third value (the way Keras layers update their `moving_mean` and
# `moving_variance` variables as a side effect of a training call). The cache is fixed, so that
# `batchnorm_backward` can be checked on its own: `(x_hat, gamma, std)` with
# $\text{std} = \sqrt{\sigma^2 + \varepsilon}$.

# %% nbgrader={"grade_id": "batchnorm_forward", "solution": true}
def batchnorm_forward(x, gamma, beta, running, mode, momentum=0.9, eps=1e-5):
    """Batch normalization of a batch of feature vectors.

    x: (N, D) batch; gamma, beta: (D,) scale and shift.
    running: dict with "mean" and "var", each (D,): the running averages so far.
    mode: "train" (normalise with the batch's mean and variance, update the running averages)
          or "test" (normalise with the running averages, leave them unchanged).
    Returns (out, cache, new_running):
      out: (N, D), gamma * x_hat + beta.
      cache: in train mode the tuple (x_hat, gamma, std), with x_hat (N, D) the normalised x and
             std = sqrt(var + eps) of shape (D,); in test mode None.
      new_running: a new dict {"mean": ..., "var": ...}; in train mode
             momentum * running + (1 - momentum) * the batch's mean / variance (over N);
             in test mode the running averages unchanged.
    """
    ### BEGIN SOLUTION
    if mode == "train":
        mu = x.mean(axis=0)
        var = np.mean((x - mu) ** 2, axis=0)
        std = np.sqrt(var + eps)
        x_hat = (x - mu) / std
        cache = (x_hat, gamma, std)
        new_running = {"mean": momentum * running["mean"] + (1.0 - momentum) * mu,
                       "var": momentum * running["var"] + (1.0 - momentum) * var}
    else:
        x_hat = (x - running["mean"]) / np.sqrt(running["var"] + eps)
        cache = None
        new_running = {"mean": running["mean"].copy(), "var": running["var"].copy()}
    out = gamma * x_hat + beta
    ### END SOLUTION
    return out, cache, new_running


# %% nbgrader={"grade_id": "test_batchnorm_forward", "grade": true, "points": 4}
check("batchnorm_forward", batchnorm_forward)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("batchnorm_forward", batchnorm_forward)
### END HIDDEN TESTS

# %% [markdown]
# **Running averages on real data.** Feed a stream of mini-batches of Fashion-MNIST pixels through
# your layer in train mode, and follow the running mean of one pixel. It starts at 0 and creeps
# towards the pixel's mean over the whole training set; how fast depends on the momentum.

# %%
pixels = [350, 406, 600]                  # three pixel positions, as three features
population_mean = x_all[:, pixels].mean(axis=0)
rng = np.random.default_rng(0)
STEPS = 300
trace = {}
for m in (0.9, 0.99):
    run, means = {"mean": np.zeros(3), "var": np.ones(3)}, []
    for _ in range(STEPS):
        batch = x_all[rng.integers(0, len(x_all), 32)][:, pixels].astype(np.float64)
        _, _, run = batchnorm_forward(batch, np.ones(3), np.zeros(3), run, "train", momentum=m)
        means.append(run["mean"][0])
    trace[m] = (means, run)
plt.figure(figsize=(5.5, 3.6))
for m, (means, _) in trace.items():
    plt.plot(means, label=f"momentum {m}")
plt.axhline(population_mean[0], color="k", ls=":", label="mean over the training set")
plt.xlabel("training step"); plt.ylabel("running mean of one pixel"); plt.legend(); plt.grid(alpha=0.3)
plt.show()

# %% [markdown]
# With $m = 0.9$ the running mean settles within about 30 steps but jitters with every batch;
# with $m = 0.99$ it is smooth but needs hundreds of steps. A network evaluated after only a few
# steps with a high momentum normalises with running averages that are still near their start
# values (0 and 1), and its test-mode outputs are far off; that is a common surprise with very
# short training runs.
#
# In test mode the same batch of 8 images gives each image an output that no longer depends on
# the others:

# %%
run = trace[0.9][1]
batch = x_all[:8][:, pixels].astype(np.float64)
out_train, _, _ = batchnorm_forward(batch, np.ones(3), np.zeros(3), run, "train")
out_test, _, _ = batchnorm_forward(batch, np.ones(3), np.zeros(3), run, "test")
out_alone, _, _ = batchnorm_forward(batch[:1], np.ones(3), np.zeros(3), run, "test")
print("image 0, train mode (batch statistics):  ", out_train[0])
print("image 0, test mode (running averages):   ", out_test[0])
print("image 0, test mode, in a batch of one:   ", out_alone[0])

# %% [markdown]
# ### The backward pass: derive it
#
# This time no formula is handed over: you derive batch norm's backward pass yourself, the way
# anyone does who writes a new layer. The method is notebook 02's — a computational graph
# walked in reverse, each node sending upstream gradient times local derivative to its inputs —
# with a few rules for whole arrays. This section states them, works them through on a
# different function, and then draws batch norm's graph for you.
#
# **Rules for arrays.** Write $g$ for the upstream gradient arriving at a node's output.
#
# | forward | backward |
# | --- | --- |
# | element-wise: `a + b`, `a - b`, `a * b`, `a / b`, `np.sqrt(a)`, `a ** 2` | entry by entry, $g$ times the local derivative: add distributes ($a - b$ sends $-g$ to $b$), mul swaps; $\partial (a/b) / \partial b = -a / b^2$, $d\sqrt a / da = 1 / (2 \sqrt a)$ |
# | **a variable used on several paths** | **gets the sum of the gradients that come back along all of them** |
# | broadcasting: a `(D,)` array used in every row of an `(N, D)` expression | a copy into $N$ rows, so (the rule above) sum the rows' gradients: `.sum(axis=0)` |
# | `s = a.sum(axis=0)`, `(N, D)` → `(D,)` | every `a[i, j]` gets `ds[j]`: broadcast `ds` back over the rows |
# | `m = a.mean(axis=0)` | every `a[i, j]` gets `dm[j] / N` |
#
# **Shapes.** Every gradient has the shape of its variable: the gradient of a per-feature mean is
# `(D,)`, that of the input `(N, D)`. A `(D,)` gradient that comes out `(N, D)` is missing a sum;
# one that comes out `(N,)` was summed over the wrong axis.
#
# The second rule is where hand-derived backward passes usually go wrong: a path forgotten. In
# code, a variable that feeds two nodes gets its gradient in two installments, `dx = ...` from
# one and `dx += ...` from the other.
#
# **Worked example: scaling to length 1.** Take a column $x$ of $N$ numbers and divide it by
# its length (its norm):
#
# $$s = \sum_i x_i^2, \qquad r = \sqrt s, \qquad z_i = \frac{x_i}{r}.$$
#
# The graph: $x \to s \to r$, and $x, r \to z$. So $x$ is used on two paths, directly in
# $z_i = x_i / r$ and through $s$ and $r$; and $r$ is used by every $z_k$. With
# $g_i = \partial L / \partial z_i$, the nodes in reverse order:
#
# 1. divide, $z_i = x_i / r$: the direct path gives $x_i$ the amount $g_i / r$; $r$, used by every
#    $z_k$, collects $\partial L / \partial r = \sum_k g_k \cdot (-x_k / r^2)$;
# 2. square root: $\partial L / \partial s = \frac{\partial L}{\partial r} \cdot \frac{1}{2 r}$;
# 3. sum of squares: each $x_i$ gets $\frac{\partial L}{\partial s} \cdot 2 x_i$;
# 4. the two paths meet at $x$: $\frac{\partial L}{\partial x_i} = \frac{g_i}{r} + 2 x_i \frac{\partial L}{\partial s}$.
#
# By hand for $x = (3, 4)$, $g = (1, 0)$: $s = 25$, $r = 5$, $z = (0.6, 0.8)$. Step 1: the direct
# path gives $(0.2, 0)$, and $\partial L / \partial r = -(1 \cdot 3 + 0 \cdot 4) / 25 = -0.12$.
# Step 2: $\partial L / \partial s = -0.12 / 10 = -0.012$. Step 3: $2 x \cdot (-0.012) = (-0.072, -0.096)$.
# Step 4: $\partial L / \partial x = (0.2 - 0.072,\; 0 - 0.096) = (0.128, -0.096)$.
#
# **A check without calculus.** Stretching $x$ to $(1 + t)\,x$ does not change $z$ at all, so the
# loss cannot change in the direction of $x$: the gradient must be orthogonal to $x$. It is,
# $0.128 \cdot 3 - 0.096 \cdot 4 = 0$; the direct path alone, $(0.2, 0)$, is not. Invariances
# like this one test a derived gradient without knowing the answer.
#
# The same steps in numpy, for an `(N, D)` array scaled column by column, one line per node, and
# checked against finite differences:

# %%
def norm_forward(x):
    """Scale every column of x (N, D) to length 1."""
    s = np.sum(x ** 2, axis=0)        # (D,)
    r = np.sqrt(s)                    # (D,)
    z = x / r                         # (N, D): r is broadcast over the rows
    return z, (x, r)


def norm_backward(dz, cache):
    x, r = cache
    dx = dz / r                                     # the direct path, z = x / r
    dr = np.sum(dz * (-x / r ** 2), axis=0)         # r is used in every row: sum, shape (D,)
    ds = dr / (2 * r)                               # r = sqrt(s)
    dx += 2 * x * ds                                # the path through s: added to the direct one
    return dx


x_ex, g_ex = np.array([[3.0], [4.0]]), np.array([[1.0], [0.0]])
print("worked example: dx =", norm_backward(g_ex, norm_forward(x_ex)[1]).ravel())
x_ex, g_ex = np.random.default_rng(0).standard_normal((5, 3)), np.random.default_rng(1).standard_normal((5, 3))
dx_ex = norm_backward(g_ex, norm_forward(x_ex)[1])
numeric = eval_numerical_gradient_array(lambda v: norm_forward(v)[0], x_ex, g_ex)
print(f"a random (5, 3) x: relative error vs finite differences {rel_error(dx_ex, numeric):.1e}")
print("sum over the batch of dx * x (orthogonal to x: 0 for every column):", np.sum(dx_ex * x_ex, axis=0))

# %% [markdown]
# **Batch norm's graph.** Every feature (column) is normalised on its own, and the features do
# not interact. In the order the forward pass computes them:
#
# | node | forward | shape |
# | --- | --- | --- |
# | mean | $\mu = \frac1N \sum_i x_i$ | `(D,)` |
# | centre | $c = x - \mu$ | `(N, D)` |
# | variance | $v = \frac1N \sum_i c_i^2$ | `(D,)` |
# | std | $\text{std} = \sqrt{v + \varepsilon}$ | `(D,)` |
# | normalise | $\hat x = c / \text{std}$ | `(N, D)` |
# | scale and shift | $y = \gamma \hat x + \beta$ | `(N, D)` |
#
# Count the paths before you start: $x$ reaches $c$ directly and through $\mu$; $c$ reaches
# $\hat x$ directly and through $v$ and std; $\mu$, std, $\gamma$ and $\beta$ are each used in
# every row. Then walk the table from the bottom up, starting from `dout` $= \partial L / \partial y$,
# one line of numpy per node, like `norm_backward`. Your cache holds $\hat x$, $\gamma$ and std,
# not $x$ or $c$; but $c = \hat x \cdot \text{std}$, and that is all the walk needs. Leaving the
# result unsimplified is fine.
#
# Two invariances, like the one of the worked example, let you test your `dx` (the cell after
# the exercise does): adding the same number to every $x_{ij}$ of a feature moves $\mu_j$ by as
# much and changes no $\hat x$, so $\sum_i \partial L / \partial x_{ij} = 0$; and stretching a
# feature about its mean changes $\hat x$ only through $\varepsilon$, so
# $\sum_i \hat x_{ij}\, \partial L / \partial x_{ij}$ is close to 0 (exactly 0 for $\varepsilon = 0$).
#
# ### Exercise 7 — `batchnorm_backward`
# Derive the gradients with respect to $x$, $\gamma$ and $\beta$ from the graph above.
# Vectorise over the whole batch: no Python loops.

# %% nbgrader={"grade_id": "batchnorm_backward", "solution": true}
def batchnorm_backward(dout, cache):
    """Backward pass of batch normalization in train mode.

    dout: (N, D) upstream gradient; cache: (x_hat, gamma, std) from batchnorm_forward.
    Returns (dx, dgamma, dbeta): dx (N, D), dgamma (D,), dbeta (D,).
    """
    x_hat, gamma, std = cache
    ### BEGIN SOLUTION
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    g = dout * gamma
    dx = (g - g.mean(axis=0) - x_hat * np.mean(g * x_hat, axis=0)) / std
    ### END SOLUTION
    return dx, dgamma, dbeta


# %% nbgrader={"grade_id": "test_batchnorm_backward", "grade": true, "points": 4}
check("batchnorm_backward", batchnorm_backward)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("batchnorm_backward", batchnorm_backward)
### END HIDDEN TESTS

# %% [markdown]
# The checks compared your gradients with TensorFlow's autodiff. Finite differences agree too
# (notebook 02's tool), for $x$, $\gamma$ and $\beta$ alike, and the two invariances hold:

# %%
rng = np.random.default_rng(3)
xb, db = rng.normal(2.0, 3.0, (6, 4)), rng.standard_normal((6, 4))   # a batch, an upstream gradient
gb, bb = rng.standard_normal(4), rng.standard_normal(4)
fresh = {"mean": np.zeros(4), "var": np.ones(4)}
_, cache_b, _ = batchnorm_forward(xb, gb, bb, fresh, "train")
dxb, dgb, dbb = batchnorm_backward(db, cache_b)
for name, arr, ours in [("x", xb, dxb), ("gamma", gb, dgb), ("beta", bb, dbb)]:
    def f(_, xb=xb, gb=gb, bb=bb):
        return batchnorm_forward(xb, gb, bb, fresh, "train")[0]
    numeric = eval_numerical_gradient_array(f, arr, db)
    print(f"d{name:6s} relative error vs finite differences: {rel_error(ours, numeric):.1e}")
print("sum over the batch of dx         (shift: 0 for every feature):", dxb.sum(axis=0))
stretch = dxb * cache_b[0]
print("sum over the batch of dx * x_hat, as a share of the sum of its sizes (stretch: close to 0):",
      stretch.sum(axis=0) / np.abs(stretch).sum(axis=0))

# %% [markdown]
# ### Batch normalization lets a deep network train fast
#
# The notes list what BN buys: gradients that neither vanish nor explode, learning rates that
# would otherwise be too high, less sensitivity to the initialisation, and a mild regularising
# effect (each example's output carries noise from the other examples in its batch). Their recipe
# puts BN in every layer but the first and the last, and makes dropout optional once BN is used.
# Here is the
# learning-rate claim on a deep network: 10 hidden layers of 100 ReLU units, plain SGD, a training
# set of Fashion-MNIST images, once at learning rate 0.1 and twice at learning rate 1.0, without
# and with a `BatchNormalization` layer between every affine layer and its ReLU.

# %%
N_DEEP = 3_000 if FAST else 50_000
DEEP_EPOCHS = 3 if FAST else 8


def deep_net(batchnorm, learning_rate, depth=10, width=100):
    keras.utils.set_random_seed(0)
    layers = [keras.Input((784,))]
    for _ in range(depth):
        layers.append(keras.layers.Dense(width, use_bias=not batchnorm))   # BN's beta replaces the bias
        if batchnorm:
            layers.append(keras.layers.BatchNormalization(momentum=0.9))
        layers.append(keras.layers.Activation("relu"))
    layers.append(keras.layers.Dense(10, activation="softmax"))
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


class StepLosses(keras.callbacks.Callback):
    """The training loss of every step. (Keras reports the mean over the epoch so far; the
    difference of two consecutive means gives the step's own loss.)"""
    def on_train_begin(self, logs=None):
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        mean = float(logs["loss"])
        self.losses.append(mean if batch == 0 else (batch + 1) * mean - batch * self.last_mean)
        self.last_mean = mean


# %%
deep_runs, deep_models = {}, {}
for name, bn, lr in [("no BN, lr 0.1", False, 0.1), ("no BN, lr 1.0", False, 1.0), ("BN, lr 1.0", True, 1.0)]:
    print(name)
    steps = StepLosses()
    deep_models[name] = deep_net(bn, lr)
    h = deep_models[name].fit(x_all[:N_DEEP], y_train[:N_DEEP], epochs=DEEP_EPOCHS, batch_size=64,
                              validation_data=(x_val, y_val), validation_batch_size=1_000,
                              verbose=VERBOSE, callbacks=[steps])
    deep_runs[name] = (np.array(steps.losses), h.history["val_accuracy"][-1])

# %%
plt.figure(figsize=(6, 3.8))
for i, (name, (losses, acc)) in enumerate(deep_runs.items()):
    smooth = np.convolve(losses, np.ones(10) / 10, mode="valid")       # mean of 10 steps
    smooth[~np.isfinite(smooth)] = np.nan                               # a diverged run: no line (not inf)
    plt.plot(np.arange(len(smooth)) + 10, smooth, color=f"C{i}", label=name)
    if not np.all(np.isfinite(losses)):                                 # mark where its loss became NaN
        plt.plot(np.argmin(np.isfinite(losses)) + 1, 2.85, "x", color=f"C{i}", ms=9, label=f"{name}: loss NaN from here")
plt.axhline(np.log(10), color="k", ls=":", label="ln 10: guessing among 10 classes")
plt.xscale("log"); plt.ylim(0, 3); plt.xlabel("training step"); plt.ylabel("training loss (mean of 10 steps)")
plt.legend(fontsize=8); plt.grid(alpha=0.3)
plt.show()
for name, (losses, acc) in deep_runs.items():
    smooth = np.convolve(losses, np.ones(10) / 10, mode="valid")
    below = np.flatnonzero(smooth < 1.0)
    finite = np.isfinite(losses)
    fate = (f"NaN from step {np.argmin(finite) + 1}" if not finite.all()
            else f"last 100 steps {np.mean(losses[-100:]):.2f}")
    print(f"{name:14s} 10-step mean loss: lowest {np.nanmin(smooth):.2f}, below 1 "
          f"{f'from step {below[0] + 10}' if below.size else 'never'}, {fate}; "
          f"validation accuracy {acc:.3f}")

# %% [markdown]
# What went wrong at learning rate 1.0 without BN? A ReLU unit that outputs 0 for every input is
# **dead**: it passes nothing forward and gets no gradient back. The share of dead units in each
# hidden layer, first to last, on 1,000 validation images:

# %%
def dead_units(model, x):
    """For each ReLU layer, the share of its units that output 0 for every example in x."""
    shares = []
    for layer in model.layers:
        x = layer(x)
        if isinstance(layer, keras.layers.Activation):
            shares.append(float(np.mean(np.all(np.asarray(x) == 0, axis=0))))
    return np.array(shares)


for name in ("no BN, lr 0.1", "no BN, lr 1.0"):
    if all(np.all(np.isfinite(w)) for w in deep_models[name].get_weights()):
        print(f"{name:14s}", dead_units(deep_models[name], x_val[:1_000]))
    else:
        print(f"{name:14s} its weights are NaN: nothing to count")

# %% [markdown]
# At learning rate 1.0 the plain deep network learns nothing. For its first steps its loss stays
# near $\ln 10 \approx 2.30$, the loss of a network that gives every class probability 1/10. Then
# the large updates take it one of two ways, and which one depends on the seed and even on the
# machine: a CPU and a GPU round differently, and in a run this unstable a difference in the last
# digit grows into a different run.
#
# - Either most ReLU units of the last hidden layers die, and the dead network has almost no
#   gradient left to recover with: the loss stays near $\ln 10$ for good.
# - Or the weights grow until the loss explodes within a few steps (one run went 10.7, 1047,
#   $9 \cdot 10^{19}$) and becomes NaN ("not a number", what $\infty - \infty$ gives). From then
#   on every weight is NaN: its curve shoots off the top of the plot, and a × marks the first
#   NaN.
#
# The lines printed above say which happened in your run; either way its 10-step mean loss never
# falls below 2. At 0.1 the plain network trains, but slowly: its 10-step mean needs more than a
# hundred steps to get below 1 (in short mode it does not get there at all). The same network with
# batch normalization trains at 1.0 and gets going at once: its 10-step mean is below 1 within the
# first hundred steps, and in full mode the two working runs end with a similar training loss.
# Each BN layer re-centres and re-scales its inputs at every step, so no layer's outputs can drift
# to a scale that kills the next one, and the scale of a layer's weights no longer matters for
# what it passes on. Why that helps optimisation so much is still discussed: the original paper
# spoke of reducing "internal covariate shift", while later work (Santurkar et al., 2018) found
# that BN makes the loss surface smoother — the reason one set of class notes gives.

# %% [markdown] nbgrader={"grade_id": "q_bn_test_mode", "grade": true, "solution": true, "points": 2}
# **Question.** (a) A deployed model classifies one photo at a time. What would go wrong if its
# batch-normalization layers used the statistics of the current batch at test time, as in
# training? (b) You train a BN network for only 50 steps with Keras' default `momentum=0.99` and
# its test accuracy is far below its training accuracy, although the training loss looked fine.
# Explain, and name two fixes.
#
# ### BEGIN SOLUTION
# (a) With a batch of one, the batch mean is the example itself and the variance is 0, so
# x_hat = 0 for every feature and every BN layer outputs beta whatever the input: all photos get
# the same prediction. More generally, with batch statistics a prediction would depend on which
# other examples share the batch, so the same photo could be classified differently in different
# batches. Test mode uses the running averages, fixed numbers, so each output depends on its own
# input only.
# (b) With momentum 0.99 the running averages keep 0.99^50 = 0.6 of their initial values (mean 0,
# variance 1) after 50 steps: they are still far from the true statistics, so in test mode the
# layers normalise with the wrong mean and variance, while training (batch statistics) was fine.
# Fixes: a lower momentum (e.g. 0.9, which forgets the start after a few dozen steps), training
# longer, or recomputing the averages over the training data with the trained weights before
# evaluating (a pass in train mode without weight updates, or setting them to the population statistics).
# ### END SOLUTION

# %% [markdown]
# ## 6. DropBlock and data augmentation
#
# **DropBlock.** In a convolutional network (notebook 07) the units of a feature map are pixels,
# and neighbouring pixels carry nearly the same information. Dropping single pixels at random
# hardly hides anything: the next layer reads the same feature from the neighbours. DropBlock
# (Ghiasi et al., 2018) drops contiguous square blocks instead, so whole parts of an object
# disappear and the network must recognise it from the others. The picture uses a Fashion-MNIST
# image as if it were a feature map, with a drop rate of 30 % asked of both. (Blocks that overlap
# cover some pixels twice, so DropBlock drops a little less than it is asked to; the titles give
# the share each one dropped.)

# %%
def dropblock_mask(shape, keep, block, rng):
    """True where kept; dropped pixels come in block x block squares covering about 1 - keep."""
    h, w = shape
    starts = (h - block + 1) * (w - block + 1)
    rate = (1 - keep) * h * w / (block ** 2 * starts)          # chance that a block starts at a pixel
    dropped = np.zeros(shape, dtype=bool)
    for i, j in zip(*np.nonzero(rng.random((h - block + 1, w - block + 1)) < rate)):
        dropped[i:i + block, j:j + block] = True
    return ~dropped


rng = np.random.default_rng(5)
img = images[1]
pixel_mask = rng.random(img.shape) < 0.7
block_mask = dropblock_mask(img.shape, 0.7, 7, rng)
show_images([img, img * pixel_mask, img * block_mask],
            ["image", f"dropout: {1 - pixel_mask.mean():.0%} dropped",
             f"DropBlock: {1 - block_mask.mean():.0%} dropped"],
            size=2.4)
plt.show()

# %% [markdown]
# **Data augmentation (데이터 증강).** The best regulariser is more data, and often we can make
# more from what we have: a photo of a cat, mirrored, is still a photo of a cat, and so is the
# same photo shifted by a few pixels or turned a little. Training on such randomly transformed
# copies, fresh ones in every epoch, teaches the network that these changes do not matter. Only
# label-preserving transformations are allowed: a "6" turned upside down is a "9", mirrored text
# is no longer text, and a shirt upside down is not a typical shirt photo. Keras has the
# transformations as layers, active only in training:

# %%
augment = keras.Sequential([keras.layers.RandomFlip("horizontal", seed=0),
                            keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=1),
                            keras.layers.RandomRotation(0.05, fill_mode="constant", seed=2)])
originals = images[[0, 1]][..., None]                            # (2, 28, 28, 1)
copies = [np.asarray(augment(originals, training=True)) for _ in range(6)]
show_images([originals[0]] + [c[0] for c in copies] + [originals[1]] + [c[1] for c in copies],
            ["original"] + [f"copy {k + 1}" for k in range(6)] + ["original"] + [""] * 6, ncols=7)
plt.show()

# %% [markdown]
# ## Summary
#
# - Overfitting: the training loss falls while the validation loss rises. It comes from too
#   little data for the model, not too much; watch it on a validation set.
# - Penalties: $\lambda \sum W^2$ (gradient $2\lambda W$, i.e. weight decay) shrinks all weights;
#   $\lambda \sum |W|$ (gradient $\lambda \operatorname{sign} W$) sets many to exactly 0; the
#   elastic net $\lambda \sum (\beta W^2 + |W|)$ mixes them. Mind the factor-2 conventions.
# - Dropout keeps each unit with probability $p$ (Keras' `rate` is $1 - p$). Inverted dropout
#   divides by $p$ in training and is the identity at test time; the notes' classic form
#   multiplies by $p$ at test time instead. Both are right in expectation. A dropout network
#   approximates an ensemble of its sub-networks.
# - Early stopping keeps the weights of the epoch with the best validation loss.
# - Batch normalization normalises each feature over the batch, with $\varepsilon$ under the square
#   root, then scales and shifts by the learned $\gamma$, $\beta$. Training uses batch statistics and
#   updates running averages ($m\,\text{run} + (1 - m)\,\text{batch}$, Keras' convention); test mode
#   uses the running averages. Its backward pass must follow $x$ through the mean and the variance.
#   It lets deep networks train at high learning rates.
# - DropBlock drops contiguous regions of feature maps; data augmentation makes label-preserving
#   copies of the training data.

# %% [markdown]
# Before you hand in: run every visible check of this notebook at once.

# %%
from utils.checks import check_all
check_all();
