# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · Softmax and the negative log-likelihood
#
# A classifier's last layer hands out one number per class — a **score (스코어)** — and training
# needs a single number that says how wrong those scores are: a **loss function (손실 함수)**.
# This notebook builds the loss every classifier in the course uses. The
# **softmax (소프트맥스)** turns scores into probabilities, the
# **negative log-likelihood (음의 로그 우도)** charges the model for the probability it gave the
# right answer, and together they are the **cross-entropy (크로스 엔트로피 / 교차 엔트로피)** loss.
# For two classes the same idea becomes the sigmoid and binary cross-entropy.
#
# Each formula is easy; computing it in floating point without producing `inf` or `nan` is the
# real work, so most of this notebook is about numerical stability.
#
# **You will implement:** `softmax`, `cross_entropy_loss` (value and gradient),
# `binary_cross_entropy` (value and gradient). Each has a test cell right below it.

# %%
import matplotlib.pyplot as plt
import numpy as np

from utils.checks import check
from utils.gradcheck import eval_numerical_gradient_array, rel_error

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. From scores to probabilities
#
# A network such as $f = W_2 \max(0, W_1 x)$ gives every class a score $s_k$: any real number,
# larger meaning "more likely". Here are the scores a network gave three images for the classes
# cat, dog and lion (one image per row):

# %%
classes = ["cat", "dog", "lion"]
scores = np.array([[6.5, 2.0, 3.3],     # image 1
                   [2.3, 7.1, -3.5],    # image 2
                   [3.3, -1.5, 4.3]])   # image 3

# %% [markdown]
# Scores are hard to compare across images and cannot be read as confidence. We want
# probabilities instead: numbers in $[0, 1]$ that sum to 1 over the classes, with the highest
# score getting the most. Simply picking the maximum would give all the probability to one
# class, but a hard max has no useful derivative, and training runs on derivatives. The softmax
# is a smooth ("soft") max in two steps: exponentiate every score, which makes it positive and
# widens the gaps between large and small scores, then divide by the total (**normalization, 정규화**):
#
# $$p_k = \operatorname{softmax}(s)_k = \frac{e^{s_k}}{\sum_{j=1}^{C} e^{s_j}}, \qquad k = 1, \dots, C.$$
#
# Read $p_k$ as the model's $P(Y = k \mid X = x)$. The best possible output puts probability 1.0
# on the correct class and 0.0 on the others.
#
# **Worked example.** For image 1 the exponentials are $e^{6.5} \approx 665.1$,
# $e^{2.0} \approx 7.4$ and $e^{3.3} \approx 27.1$; dividing each by their sum $699.6$ gives
# about 0.95, 0.01 and 0.04.

# %%
exps = np.exp(scores[0])
print("exp(scores):  ", exps.round(1))
print("probabilities:", (exps / exps.sum()).round(2))
print("more digits:  ", exps / exps.sum())

# %% [markdown]
# ## 2. A softmax that does not overflow
#
# A float64 holds numbers up to about $1.8 \times 10^{308}$, so $e^{s}$ **overflows (오버플로)** to
# `inf` once $s > 709.8$. Scores that large are rare in a healthy network, but they do appear
# (a badly scaled input, a learning rate that is too high), and then the naive formula divides
# `inf` by `inf`:

# %%
big = np.array([1000.0, 1001.0, 1002.0])
with np.errstate(over="ignore", invalid="ignore"):   # silence numpy's warnings for the demo
    print("naive softmax of", big, "->", np.exp(big) / np.exp(big).sum())

# %% [markdown]
# The fix costs one line. Multiply the numerator and the denominator by the same constant
# $e^{-m}$:
#
# $$\frac{e^{s_k}}{\sum_j e^{s_j}} = \frac{e^{s_k - m}}{\sum_j e^{s_j - m}}.$$
#
# The softmax does not change when every score shifts by the same amount. Choose
# $m = \max_j s_j$: every exponent is then $\le 0$, so nothing overflows, and the largest
# term is exactly $e^0 = 1$, so the denominator is at least 1 and never underflows to 0.
# The scores $(1000, 1001, 1002)$ are computed as $(-2, -1, 0)$, which gives the same probabilities
# as $(0, 1, 2)$.
#
# ### Exercise 1 — `softmax`
# Implement the stable softmax for a batch: `scores` has one example per row, and each row
# becomes a probability vector. Also accept a single example, a 1-D array of `C` scores.
# Use array operations (`keepdims=True` helps), no Python loop over rows.

# %% nbgrader={"grade_id": "softmax", "solution": true}
def softmax(scores):
    """Row-wise softmax, stable for large scores.

    scores: (N, C) array of class scores, or a single example of shape (C,).
    Returns probs with the same shape as scores: every row is non-negative and sums to 1.
    """
    ### BEGIN SOLUTION
    shifted = scores - np.max(scores, axis=-1, keepdims=True)
    exp_shifted = np.exp(shifted)
    probs = exp_shifted / np.sum(exp_shifted, axis=-1, keepdims=True)
    ### END SOLUTION
    return probs


# %% nbgrader={"grade_id": "test_softmax", "grade": true, "points": 3}
check("softmax", softmax)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("softmax", softmax)
### END HIDDEN TESTS

# %% [markdown]
# All three images at once, and the overflow example again:

# %%
probs = softmax(scores)
for i, row in enumerate(probs):
    print(f"image {i + 1}:", "  ".join(f"{c} {p:.4f}" for c, p in zip(classes, row)))
print("stable softmax of", big, "->", softmax(big))

# %% [markdown]
# ## 3. The negative log-likelihood and the cross-entropy
#
# Suppose image $i$ has the correct label $y_i$. A good model gives that class a high probability
# $p_{i, y_i}$. Over a training set of $N$ independent examples, the probability the model assigns
# to all the correct labels together — the **likelihood (우도)** of the labels — is the product
# $\prod_i p_{i, y_i}$, and training should make it as large as possible.
#
# Products of many numbers below 1 underflow quickly, so we take the logarithm. The log is
# increasing, so it keeps the same maximizer, and it turns the product into a sum. Finally,
# optimizers *minimize*, so we flip the sign. The per-example loss is the
# negative log-likelihood (NLL):
#
# $$L_i = -\log p_{i, y_i} = -\log \frac{e^{s_{y_i}}}{\sum_j e^{s_j}}, \qquad
#   L = \frac{1}{N} \sum_{i=1}^{N} L_i,$$
#
# with the **natural** logarithm. $L_i = 0$ when the model gives the correct class probability 1,
# and it grows without bound as that probability goes to 0. Softmax followed by the NLL is what
# libraries call the **cross-entropy loss** (section 5 explains the name).
#
# **Worked example.** Image 1 is a cat, and the model gives "cat" probability 0.95, so
# $L = -\ln 0.95 \approx 0.051$. Image 3 is also a cat, but its scores $(3.3, -1.5, 4.3)$ prefer
# lion: $e^{(3.3, -1.5, 4.3)} \approx (27.1, 0.2, 73.7)$, "cat" gets only 0.27, and
# $L = -\ln 0.27 \approx 1.31$ — a loss 26 times larger for a wrong answer.
#
# > **A slip in the lecture notes.** The notes write the loss as
# > $L_i = \log\big(e^{s_{y_i}} / \sum_j e^{s_j}\big)$, without the minus sign, and print
# > $-\log(0.95) = 0.022$ and $-\log(0.27) = 0.57$. The minus sign is needed: without it the
# > "loss" is never positive, and minimizing it would push the correct class's probability
# > *down* to 0. The two printed numbers are base-10 logarithms; with the natural log, which the
# > loss uses (and `np.log`, TensorFlow and Keras compute), they are 0.051 and 1.31. The cell
# > below computes both from the unrounded probabilities.

# %%
labels = np.array([0, 1, 0])           # image 1: cat, image 2: dog, image 3: cat
p_correct = probs[np.arange(3), labels]
print("p(correct class):  ", p_correct)
print("NLL, natural log:  ", -np.log(p_correct))
print("NLL, log base 10:  ", -np.log10(p_correct), " <- the notes' 0.022 and 0.57")
print(f"-ln(0.95) = {-np.log(0.95):.4f},  -ln(0.27) = {-np.log(0.27):.4f}   (rounded probabilities)")
print("mean NLL of the batch:", -np.log(p_correct).mean())

# %% [markdown]
# With the unrounded probabilities the losses are 0.0506 (image 1), 0.0082 (image 2, a
# confident dog) and 1.3155 (image 3), and the batch loss is their mean, 0.458.
#
# **The gradient.** Writing the loss as $L_i = -s_{y_i} + \log \sum_j e^{s_j}$ and differentiating
# with respect to a score gives a remarkably simple result:
#
# $$\frac{\partial L_i}{\partial s_k} = p_k - \mathbb{1}[k = y_i], \qquad
#   \frac{\partial L}{\partial s_{ik}} = \frac{1}{N}\big(p_{ik} - \mathbb{1}[k = y_i]\big).$$
#
# The predicted probabilities minus the one-hot label: for image 1 that is
# $(0.95 - 1,\ 0.01,\ 0.04) = (-0.05, 0.01, 0.04)$, so gradient descent raises the cat score a
# little and lowers the others. The $\frac{1}{N}$ comes from averaging over the batch.

# %% [markdown]
# ## 4. $\log 0$, the epsilon trick, and the log-softmax
#
# What if the correct class gets probability exactly 0? $-\log 0$ is undefined; in floating point
# `np.log(0.0)` is `-inf`, and the first time that `inf` meets a 0 (for example in a gradient) you
# get `nan`. The notes mention that TensorFlow then reports NaN. It happens more easily than
# one might think: $e^{-800}$ **underflows (언더플로)** to exactly 0.0 in float64, so with
# scores $(0, 800)$ and correct class 0, even the stable softmax returns $(0, 1)$.
#
# A common patch is to add a tiny $\varepsilon$ before the log, $-\log(p + \varepsilon)$. It
# removes the `inf` but gives the wrong answer: the true loss here is 800, the patched loss is
# $-\ln 10^{-7} \approx 16.1$ whatever the scores are, and its gradient is practically 0, so the
# model is told nothing about how wrong it is.
#
# The better fix is never to form $p$ at all. Take the log of the stable softmax algebraically,
# with $m = \max_j s_j$:
#
# $$\log p_k = s_k - m - \log \sum_j e^{s_j - m}.$$
#
# The sum contains a term equal to 1, so its log is a modest non-negative number — this is the
# **log-sum-exp** trick — and $\log p_k$ comes out as an ordinary finite number even when $p_k$
# itself would underflow.

# %%
s, correct = np.array([0.0, 800.0]), 0
p = softmax(s)
with np.errstate(divide="ignore"):
    print("softmax:", p, "  -log p:", -np.log(p[correct]))
print("epsilon trick, -log(p + 1e-7):", -np.log(p[correct] + 1e-7))
log_p = s - s.max() - np.log(np.sum(np.exp(s - s.max())))
print("log-softmax:", log_p, "  -log p:", -log_p[correct])

# %% [markdown]
# ### Exercise 2 — `cross_entropy_loss`
# Compute the mean NLL of a batch and its gradient with respect to the scores.
# - Work from the log-softmax, never from `np.log(probs)`: the checks include scores near 1000
#   and a correct class whose probability underflows to 0, and the loss must then be the finite
#   number above (800, not `inf` and not 16.1).
# - The gradient is $(p - \text{one-hot}(y)) / N$; `np.arange(N)` with `y` picks each row's
#   correct entry.
# - Natural log, a minus sign, and a mean over the batch.

# %% nbgrader={"grade_id": "cross_entropy_loss", "solution": true}
def cross_entropy_loss(scores, y):
    """Mean softmax cross-entropy (negative log-likelihood) of a batch, and its gradient.

    scores: (N, C) class scores; y: (N,) integer labels in 0 .. C-1.
    Returns (loss, dscores): loss is a float, the mean over the batch of -log softmax(scores)[i, y[i]]
    (natural log); dscores (N, C) is the gradient of loss with respect to scores.
    """
    N = scores.shape[0]
    ### BEGIN SOLUTION
    row_max = scores.max(axis=1, keepdims=True)
    log_probs = scores - row_max - np.log(np.exp(scores - row_max).sum(axis=1, keepdims=True))
    loss = -np.mean(log_probs[np.arange(N), y])
    dscores = np.exp(log_probs)
    dscores[np.arange(N), y] -= 1.0
    dscores /= N
    ### END SOLUTION
    return loss, dscores


# %% nbgrader={"grade_id": "test_cross_entropy_loss", "grade": true, "points": 5}
check("cross_entropy_loss", cross_entropy_loss)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("cross_entropy_loss", cross_entropy_loss)
### END HIDDEN TESTS

# %% [markdown]
# The checks compared your gradient with TensorFlow's. You can also check it yourself, as in
# notebook 02, with centered finite differences: `eval_numerical_gradient_array(f, x, dout)` gives the
# gradient of $\sum (f(x) \odot \text{dout})$, and for a loss, one number, the upstream gradient
# `dout` is 1.

# %%
rng = np.random.default_rng(0)
s_test, y_test = rng.standard_normal((4, 5)), np.array([0, 3, 1, 4])
loss, dscores = cross_entropy_loss(s_test, y_test)
numeric = eval_numerical_gradient_array(lambda s: cross_entropy_loss(s, y_test)[0], s_test, 1.0)
print(f"loss {loss:.4f}, relative error of dscores vs finite differences: {rel_error(dscores, numeric):.1e}")
print("the three images:", cross_entropy_loss(scores, labels)[0])
print("scores (0, 800), correct class 0:", cross_entropy_loss(np.array([[0.0, 800.0]]), np.array([0]))[0])

# %% [markdown]
# ## 5. Entropy, cross-entropy and KL divergence
#
# Why "cross-entropy"? The name comes from information theory. The **entropy (엔트로피)** of a
# **probability distribution (확률 분포)** $p$ measures its **uncertainty (불확실성)**:
#
# $$H(p) = -\sum_k p_k \log p_k.$$
#
# It is 0 when one outcome is certain and largest ($\log C$) when all $C$ outcomes are equally
# likely. The **cross-entropy** of a prediction $q$ against the true distribution $p$ is
#
# $$H(p, q) = -\sum_k p_k \log q_k .$$
#
# When $p$ is a one-hot label, only the correct class survives the sum and $H(p, q) = -\log q_y$:
# exactly the NLL of section 3. The two are tied together by the **KL divergence (KL 발산)**,
#
# $$D_{\mathrm{KL}}(p \,\|\, q) = \sum_k p_k \log \frac{p_k}{q_k} = H(p, q) - H(p) \;\ge\; 0,$$
#
# which is 0 only when $q = p$. So $H(p, q) \ge H(p)$: the cross-entropy is smallest, and equal to
# the entropy, when the prediction matches the truth, and the gap grows as they drift apart. The
# labels fix $H(p)$, so minimizing the cross-entropy and minimizing the KL divergence are the same
# thing. (The notes call the cross-entropy a distance between distributions; it is not quite one.
# $H(p, p) = H(p)$ is not 0 for a soft $p$, and neither $H$ nor $D_{\mathrm{KL}}$ is symmetric in
# $p$ and $q$.)
#
# **Worked example.** Say annotators disagreed about image 1: 7 of 10 said cat, 2 dog, 1 lion, so
# the target is the soft label $p = (0.7, 0.2, 0.1)$. The model predicts $q \approx (0.95, 0.01, 0.04)$.

# %%
def entropy(p):
    return -np.sum(p * np.log(p))

def cross_entropy(p, q):
    return -np.sum(p * np.log(q))

p_soft, q = np.array([0.7, 0.2, 0.1]), probs[0]
print(f"H(p) = {entropy(p_soft):.4f}   H(p, q) = {cross_entropy(p_soft, q):.4f}   "
      f"KL(p||q) = {cross_entropy(p_soft, q) - entropy(p_soft):.4f}")
print(f"H(q, p) = {cross_entropy(q, p_soft):.4f}   KL(q||p) = {cross_entropy(q, p_soft) - entropy(q):.4f}  (not symmetric)")
print(f"one-hot label (cat): H(p, q) = {-np.log(q[0]):.4f} = the NLL of image 1")

# %% [markdown]
# Left: the loss of one example as a function of the probability given to the correct class, with
# the two worked examples marked, and the base-10 curve the notes' numbers lie on. Right: for two
# classes and a true distribution $p = (0.7, 0.3)$, the cross-entropy $H(p, q)$ as the prediction
# $q$ varies. It touches the entropy $H(p)$ at $q = p$, and the gap between the curves is the
# KL divergence.

# %%
q_grid = np.linspace(0.005, 0.995, 199)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
axes[0].plot(q_grid, -np.log(q_grid), label=r"$-\ln q$ (the loss)")
axes[0].plot(q_grid, -np.log10(q_grid), "--", label=r"$-\log_{10} q$ (the notes' numbers)")
axes[0].scatter(p_correct[[0, 2]], -np.log(p_correct[[0, 2]]), color="k", zorder=3, label="images 1 and 3")
axes[0].set(xlabel="probability of the correct class", ylabel="loss", ylim=(0, 5), title="NLL of one example")
axes[0].legend()
H_pq = -(0.7 * np.log(q_grid) + 0.3 * np.log(1 - q_grid))
axes[1].plot(q_grid, H_pq, label=r"cross-entropy $H(p, q)$")
axes[1].axhline(entropy(np.array([0.7, 0.3])), color="gray", ls="--", label=r"entropy $H(p)$")
axes[1].axvline(0.7, color="gray", ls=":")
axes[1].set(xlabel=r"predicted $q_1$ (true $p_1 = 0.7$)", ylim=(0, 3), title="cross-entropy vs entropy")
axes[1].legend(loc="upper center")
fig.tight_layout()
plt.show()

# %% [markdown]
# Note how steep the left curve is near 0: a confident wrong answer costs far more than a hesitant
# one. The same curve also explains why cross-entropy suits classifiers trained by gradient
# descent: its gradient $p - y$ stays large exactly when the model is badly wrong. (The notes give
# convexity as the reason to use cross-entropy. That holds for a linear model's weights, as in
# logistic regression, but not for the weights of a deep network.)
#
# ## 6. Two classes: the sigmoid and binary cross-entropy
#
# With only two classes (yes/no, cat/not-cat) one score is enough. The network outputs a
# **logit (로짓)** $z$, and the **sigmoid (시그모이드)** turns it into the probability of class 1:
#
# $$\sigma(z) = \frac{1}{1 + e^{-z}} = \frac{e^z}{e^z + e^0} = \operatorname{softmax}\big((z, 0)\big)_1 .$$
#
# It is a softmax over the two scores $z$ and 0. The NLL of a label $y \in \{0, 1\}$ is the
# **binary cross-entropy (이진 크로스 엔트로피)**,
#
# $$L = -\big[\, y \log \sigma(z) + (1 - y) \log\big(1 - \sigma(z)\big) \big], \qquad
#   \frac{\partial L}{\partial z} = \sigma(z) - y,$$
#
# averaged over the batch; the gradient is again "prediction minus label".
#
# **Worked example.** $z = 2$, $y = 1$: $\sigma(2) \approx 0.881$ and $L = -\ln 0.881 \approx 0.127$.

# %%
z = 2.0
print("sigmoid(2) =", 1 / (1 + np.exp(-z)), "  softmax((2, 0))[0] =", softmax(np.array([z, 0.0]))[0])
print("BCE for y = 1:", -np.log(1 / (1 + np.exp(-z))))

# %% [markdown]
# Taken literally the formula breaks at both ends. For $z = 1000$, $\sigma(z)$ rounds to exactly
# 1.0 and $\log(1 - \sigma(z)) = \log 0$. For $z = -1000$, $e^{-z}$ overflows.

# %%
with np.errstate(over="ignore", divide="ignore"):
    for z, y in [(1000.0, 0), (-1000.0, 1)]:
        sig = 1 / (1 + np.exp(-z))
        print(f"z = {z:+.0f}, y = {y}: sigmoid = {sig}, naive BCE = {-(y * np.log(sig) + (1 - y) * np.log(1 - sig))}")

# %% [markdown]
# The cure is the same as in section 4: write the loss in terms of the logit instead of the
# probability. With the **softplus** $\operatorname{sp}(z) = \log(1 + e^z)$ one has
# $\log \sigma(z) = -\operatorname{sp}(-z)$ and $\log(1 - \sigma(z)) = -\operatorname{sp}(z)$, which
# simplifies to
#
# $$L = \operatorname{sp}(z) - y z, \qquad
#   \operatorname{sp}(z) = \max(z, 0) + \log\big(1 + e^{-|z|}\big).$$
#
# The right-hand form never exponentiates a positive number (use `np.log1p` for
# $\log(1 + \text{tiny})$). For the gradient you need $\sigma(z)$ without overflow too: for
# $z < 0$ compute it as $e^{z} / (1 + e^{z})$, which only exponentiates a negative number.
# (TensorFlow's `tf.nn.sigmoid_cross_entropy_with_logits` and Keras'
# `BinaryCrossentropy(from_logits=True)` do exactly this, which is why they take logits.)
#
# ### Exercise 3 — `binary_cross_entropy`
# Mean binary cross-entropy of `sigmoid(logits)` against labels `y`, and its gradient with respect
# to the logits, stable for $|z|$ around 1000. No `nan`, no `inf`, and no overflow warnings.

# %% nbgrader={"grade_id": "binary_cross_entropy", "solution": true}
def binary_cross_entropy(logits, y):
    """Mean binary cross-entropy of sigmoid(logits) against 0/1 labels, and its gradient.

    logits: (N,) float array of scores z; y: (N,) array of labels 0 or 1 (int or float).
    Returns (loss, dlogits): loss is a float, the mean over the N examples of
    -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))]; dlogits (N,) is its gradient.
    """
    N = logits.shape[0]
    ### BEGIN SOLUTION
    softplus = np.maximum(logits, 0.0) + np.log1p(np.exp(-np.abs(logits)))
    loss = np.mean(softplus - y * logits)
    e_neg = np.exp(-np.abs(logits))                  # in (0, 1], never overflows
    sig = np.where(logits >= 0, 1.0 / (1.0 + e_neg), e_neg / (1.0 + e_neg))
    dlogits = (sig - y) / N
    ### END SOLUTION
    return loss, dlogits


# %% nbgrader={"grade_id": "test_binary_cross_entropy", "grade": true, "points": 4}
check("binary_cross_entropy", binary_cross_entropy)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("binary_cross_entropy", binary_cross_entropy)
### END HIDDEN TESTS

# %%
for z, y in [([2.0], [1]), ([1000.0, -1000.0], [0, 1])]:
    loss, dlogits = binary_cross_entropy(np.array(z), np.array(y))
    print(f"z = {z}, y = {y}: loss {loss:.4f}, dlogits {dlogits}")

# %% [markdown]
# ## 7. Metric versus loss
#
# Why not train on what we care about, the **accuracy (정확도)**? The notes (following fastai)
# separate two roles. A **metric (평가 지표)** such as accuracy, or error rate = 1 − accuracy, is
# for people: it is measured on the validation set after every epoch and says how good the
# predictions are. The **loss** is for the optimizer: SGD needs a number whose gradient says which
# way to move the weights.
#
# Accuracy makes a poor loss. It only changes when a prediction flips from wrong to right, so a
# small change of the weights almost never changes it, and its gradient is zero almost everywhere.
# Cross-entropy moves with every change in confidence. Two models can therefore have the same
# accuracy and very different losses:

# %%
y4 = np.array([0, 1, 2, 0])
confident = np.array([[4.0, 0, 0], [0, 4.0, 0], [0, 0, 4.0], [1.0, 1.5, 0]])    # last one: a near miss
hesitant = np.array([[0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5], [0, 5.0, 0]])       # last one: confidently wrong
for name, s4 in [("confident", confident), ("hesitant", hesitant)]:
    accuracy = np.mean(s4.argmax(axis=1) == y4)
    print(f"{name:9s}: accuracy {accuracy:.2f}, cross-entropy {cross_entropy_loss(s4, y4)[0]:.3f}")

# %% [markdown]
# The plot shows why. Take image 3 (a cat that the model calls a lion) and slide its cat score
# from 0 to 8. Accuracy jumps from 0 to 1 when the cat score passes the lion score of 4.3 and is
# flat everywhere else; the cross-entropy decreases smoothly the whole way and has a useful slope
# at every point.

# %%
cat_scores = np.linspace(0, 8, 161)
batch = np.tile(scores[2], (len(cat_scores), 1))
batch[:, 0] = cat_scores
per_image = -np.log(softmax(batch)[:, 0])
fig, ax = plt.subplots(figsize=(6, 3.4))
ax.plot(cat_scores, per_image, label="cross-entropy (loss)")
ax.step(cat_scores, (batch.argmax(axis=1) == 0).astype(float), where="post", label="accuracy (metric)")
ax.axvline(3.3, color="gray", ls=":", label="the notes' cat score 3.3")
ax.set(xlabel="cat score of image 3", title="a loss has a slope, a metric has steps")
ax.legend()
plt.show()

# %% [markdown] nbgrader={"grade_id": "q_log_base", "grade": true, "solution": true, "points": 2}
# **Question.** The notes print $-\log(0.95) = 0.022$. Which logarithm gives that number? If you
# trained a network with a base-10 NLL instead of the natural-log one, would the best weights
# change? What would change? And what would happen if you trained with the notes' formula
# *without* the minus sign?
#
# ### BEGIN SOLUTION
# It is the base-10 log: log10(0.95) = -0.0223, while -ln(0.95) = 0.051. Since log10(x) = ln(x) / ln(10),
# the base-10 loss is the natural-log loss times the constant 1/ln 10 = 0.434. A constant factor
# does not move the minimum, so the best weights are the same; every gradient is 0.434 times
# smaller, which is the same as training with a learning rate 0.434 times smaller. Dropping the
# minus sign is different: the "loss" becomes log p of the correct class, which is at most 0, and
# minimizing it drives the probability of the correct class towards 0 — the model learns to be wrong.
# ### END SOLUTION

# %% [markdown] nbgrader={"grade_id": "q_metric_vs_loss", "grade": true, "solution": true, "points": 2}
# **Question.** In section 7 both models have accuracy 0.75. Which one would you rather deploy,
# and why does gradient descent minimize the cross-entropy rather than maximize the accuracy it is
# finally judged by? Answer in three or four sentences.
#
# ### BEGIN SOLUTION
# The confident model: it is right with high probability on three examples and only narrowly wrong
# on the fourth, while the hesitant one barely separates the classes and is confidently wrong on the
# fourth; its much higher cross-entropy (about 1.8 vs 0.3) reflects that. Gradient descent needs a
# derivative. Accuracy is piecewise constant in the weights — it only changes when a prediction
# crosses a decision boundary — so its gradient is zero almost everywhere and undefined at the jumps.
# The cross-entropy is smooth, changes with every change in confidence, and its gradient p - y is
# largest where the model is most wrong, so it tells the optimizer which way to move. Accuracy stays
# the metric we report, because it is what people care about and is easy to interpret.
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# - Softmax turns scores into probabilities: exponentiate, normalize. Subtract each row's maximum
#   first; the result is the same and nothing overflows.
# - The NLL of the correct class, $-\ln p_{y}$, averaged over the batch, is the cross-entropy loss.
#   Natural log, minus sign: $-\ln 0.95 = 0.051$ and $-\ln 0.27 = 1.31$ (the notes' 0.022 and 0.57
#   are base-10 values).
# - Its gradient with respect to the scores is $(p - \text{one-hot}(y)) / N$.
# - Never take the log of a probability that may be 0: compute the log-softmax with log-sum-exp;
#   an epsilon hides the `inf` but gives the wrong loss and no gradient.
# - Cross-entropy = entropy + KL divergence; with one-hot labels it is the NLL.
# - Two classes: sigmoid + binary cross-entropy, computed from the logit as
#   $\max(z, 0) - yz + \log(1 + e^{-|z|})$, gradient $\sigma(z) - y$.
# - Accuracy is the metric we report; cross-entropy is the loss we can differentiate.

# %% [markdown]
# Before you hand in: run every visible check of this notebook at once.

# %%
from utils.checks import check_all
check_all();
