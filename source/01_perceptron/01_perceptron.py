# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · The perceptron and the XOR problem
#
# Every network in this course, up to the convolutional ones that label photos, is built from one
# small unit: a weighted sum followed by a decision. In this notebook you build that unit — the
# **perceptron (퍼셉트론)** of 1958 — teach it logic gates, watch it fail on XOR exactly as Minsky and
# Papert showed in 1969, and then fix it by stacking two layers. Along the way you turn a
# categorical feature into numbers a network can read (**one-hot encoding, 원-핫 인코딩**).
#
# **You will implement:** `perceptron_predict`, `perceptron_train`, `xor_params`, `one_hot`.
# Each has a test cell right below it: run it to check your work. Passing the visible checks is a
# good sign; grading adds hidden checks on other inputs.

# %%
import matplotlib.pyplot as plt
import numpy as np

from utils.checks import check
from utils.data import GATE_INPUTS, truth_table
from utils.plots import plot_decision_boundary, plot_gate_results, plot_history

# %% [markdown]
# ## 1. A neuron that decides
#
# A perceptron receives inputs $x_1, \dots, x_n$, multiplies each by a **weight (가중치)** $w_i$,
# adds a **bias (편향)** $b$, and fires when the total is positive:
#
# $$\hat y = \operatorname{step}(\mathbf w \cdot \mathbf x + b), \qquad
#   \operatorname{step}(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0. \end{cases}$$
#
# Older texts write the rule with a **threshold (임계값)** $\theta$: fire when
# $\mathbf w \cdot \mathbf x > \theta$. That is the same perceptron with $b = -\theta$.
# The step is the perceptron's **activation function (활성화 함수)**; replace it by a smooth sigmoid
# and you get logistic regression, which is where notebook 03 picks up.
#
# **Worked example.** With $\mathbf w = (1, 1)$ and $b = -1.5$ the sum is positive only when both
# inputs are 1: that perceptron *is* an AND gate.
#
# | $x_1$ | $x_2$ | $x_1 + x_2 - 1.5$ | $\hat y$ |
# |---|---|---|---|
# | 0 | 0 | −1.5 | 0 |
# | 0 | 1 | −0.5 | 0 |
# | 1 | 0 | −0.5 | 0 |
# | 1 | 1 | 0.5 | 1 |
#
# ### Exercise 1 — `perceptron_predict`
# Compute $\hat y$ for a whole batch at once: `X` has one example per row. Use array operations,
# not a Python loop over rows.

# %% nbgrader={"grade_id": "perceptron_predict", "solution": true}
def perceptron_predict(X, w, b):
    """Step-perceptron outputs for a batch.

    X: (N, D) inputs, w: (D,) weights, b: scalar bias.
    Returns an int array of shape (N,) with 1 where X @ w + b > 0, else 0.
    """
    ### BEGIN SOLUTION
    return (X @ w + b > 0).astype(np.int64)
    ### END SOLUTION


# %% nbgrader={"grade_id": "test_perceptron_predict", "grade": true, "points": 2}
check("perceptron_predict", perceptron_predict)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("perceptron_predict", perceptron_predict)
### END HIDDEN TESTS

# %% [markdown]
# Try it on the worked example, and on an OR gate: lowering the bias to $-0.5$ lets one active
# input suffice.

# %%
print("AND:", perceptron_predict(GATE_INPUTS, np.array([1.0, 1.0]), -1.5))
print("OR: ", perceptron_predict(GATE_INPUTS, np.array([1.0, 1.0]), -0.5))

# %% [markdown]
# ## 2. Learning the weights
#
# Choosing weights by hand stops working after two inputs. Rosenblatt's **perceptron learning
# rule (퍼셉트론 학습 규칙)** finds them from examples. Visit the training examples one at a time; for
# each, predict $\hat y$ and nudge the parameters towards the target $y$:
#
# $$w_i \leftarrow w_i + \eta\,(y - \hat y)\,x_i, \qquad b \leftarrow b + \eta\,(y - \hat y).$$
#
# $\eta$ is the **learning rate (학습률)**. When the prediction is right, $y - \hat y = 0$ and
# nothing moves. When the perceptron stayed silent on a positive example ($y - \hat y = 1$),
# the weights move *towards* $\mathbf x$, so the same input scores higher next time; a false alarm
# moves them away. One pass over all examples is an **epoch (에포크)**.
#
# **Worked example.** Start from $\mathbf w = (0, 0)$, $b = 0$, $\eta = 0.5$ and show the example
# $\mathbf x = (1, 0)$ with target $y = 1$. The sum is $0$, so $\hat y = 0$ and the error is
# $1$: the update gives $\mathbf w = (0.5, 0)$ and $b = 0.5$.
#
# The perceptron convergence theorem says: if some line separates the classes, this rule finds
# one after finitely many mistakes.
#
# ### Exercise 2 — `perceptron_train`
# Start from zero weights and zero bias. In each epoch visit the examples **in the order given**,
# apply the rule after each one, and count how many examples were misclassified during the
# epoch. Always run all `epochs` epochs.

# %% nbgrader={"grade_id": "perceptron_train", "solution": true}
def perceptron_train(X, y, eta=0.1, epochs=20):
    """Train a step perceptron with the perceptron learning rule.

    X: (N, D) inputs, y: (N,) targets in {0, 1}.
    Returns (w, b, errors): w (D,) float weights, b float bias, and errors, a list with the
    number of misclassified examples in each epoch (len(errors) == epochs).
    """
    w = np.zeros(X.shape[1])
    b = 0.0
    errors = []
    ### BEGIN SOLUTION
    for _ in range(epochs):
        mistakes = 0
        for xi, target in zip(X, y):
            delta = target - (1 if xi @ w + b > 0 else 0)
            w = w + eta * delta * xi
            b = b + eta * delta
            mistakes += int(delta != 0)
        errors.append(mistakes)
    ### END SOLUTION
    return w, b, errors


# %% nbgrader={"grade_id": "test_perceptron_train", "grade": true, "points": 4}
check("perceptron_train", perceptron_train)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("perceptron_train", perceptron_train)
### END HIDDEN TESTS

# %% [markdown]
# Now train one perceptron per gate and look at what it learned. The coloured regions are the
# perceptron's answer for every point of the plane; the dots are the four training examples.

# %%
gates = ["AND", "OR", "NAND", "XOR"]
trained, targets, curves = {}, {}, {}
for gate in gates:
    X, y = truth_table(gate)
    w, b, errors = perceptron_train(X, y, eta=0.1, epochs=20)
    trained[gate] = (lambda P, w=w, b=b: perceptron_predict(P, w, b))
    targets[gate], curves[f"{gate} errors"] = y, errors
    print(f"{gate:4s}  w = {np.round(w, 2)}, b = {b:+.2f}, mistakes in last epoch: {errors[-1]}")

plot_gate_results(trained, GATE_INPUTS, targets)
plt.show()

# %%
fig = plot_history(curves, title="Misclassified examples per epoch")
plt.show()

# %% [markdown]
# AND, OR and NAND reach zero mistakes within a few epochs. XOR never does: its error count
# cycles forever, because the rule keeps correcting one corner at the expense of another.
#
# ## 3. Why XOR is impossible for one perceptron
#
# A perceptron's decision boundary $\mathbf w \cdot \mathbf x + b = 0$ is a straight line (a
# hyperplane in more dimensions). A problem whose classes one line can separate is **linearly
# separable (선형 분리 가능)**. XOR is not: it wants $(0,1)$ and $(1,0)$ on one side and
# $(0,0)$ and $(1,1)$ on the other. Suppose a line did it. Then
#
# $$b \le 0,\quad w_2 + b > 0,\quad w_1 + b > 0,\quad w_1 + w_2 + b \le 0.$$
#
# Adding the middle two gives $w_1 + w_2 + 2b > 0$, and adding the outer two gives
# $w_1 + w_2 + 2b \le 0$ — a contradiction. Minsky and Papert's 1969 book made this limit famous,
# and with no way yet to train deeper networks, funding for neural networks dried up: the field's
# first winter.

# %% [markdown] nbgrader={"grade_id": "q_xor_cycle", "grade": true, "solution": true, "points": 2}
# **Question.** The convergence theorem promises that the learning rule stops making mistakes.
# Why does it not stop on XOR, and what does the error curve above look like as a result?
# Answer in two or three sentences.
#
# ### BEGIN SOLUTION
# The theorem only holds when a separating line exists, and for XOR none does (the four
# inequalities above contradict each other). So in every epoch at least one example is
# misclassified, each correction breaks another corner, and the error count never reaches zero:
# it settles into a repeating cycle instead of decreasing to 0.
# ### END SOLUTION

# %% [markdown]
# ## 4. Two layers solve XOR
#
# XOR can be written with gates a single perceptron *can* learn:
#
# $$\operatorname{XOR}(x_1, x_2) = \operatorname{AND}\big(\operatorname{OR}(x_1, x_2),\ \operatorname{NAND}(x_1, x_2)\big).$$
#
# So put an OR perceptron and a NAND perceptron side by side in a **hidden layer (은닉층)** and
# feed their two outputs into an AND perceptron. That is a **multi-layer perceptron
# (다층 퍼셉트론, MLP)** with two inputs, two hidden units and one output:
#
# $$\mathbf h = \operatorname{step}(\mathbf x W_1 + \mathbf b_1), \qquad
#   \hat y = \operatorname{step}(\mathbf h \cdot \mathbf w_2 + b_2),$$
#
# with $W_1$ of shape (2, 2) — column $j$ holds the weights of hidden unit $j$ — $\mathbf b_1$ of
# shape (2,), $\mathbf w_2$ of shape (2,) and a scalar $b_2$.

# %%
def step_network(X, params):
    """Forward pass of the two-layer step network above."""
    h = (X @ params["W1"] + params["b1"] > 0).astype(np.float64)
    return (h @ params["W2"] + params["b2"] > 0).astype(np.int64)


# %% [markdown]
# ### Exercise 3 — `xor_params`
# Set the weights by hand so that `step_network` computes XOR. Leave a margin: inputs within 0.1
# of a corner must still get that corner's answer (the worked examples above show such weights).

# %% nbgrader={"grade_id": "xor_params", "solution": true}
def xor_params():
    """Weights of a two-layer step network computing XOR.

    Returns a dict with "W1" (2, 2), "b1" (2,), "W2" (2,) and "b2" (a float).
    """
    ### BEGIN SOLUTION
    W1 = np.array([[1.0, -1.0],    # column 0: OR, column 1: NAND
                   [1.0, -1.0]])
    b1 = np.array([-0.5, 1.5])
    W2 = np.array([1.0, 1.0])      # AND of the two hidden units
    b2 = -1.5
    ### END SOLUTION
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


# %% nbgrader={"grade_id": "test_xor_params", "grade": true, "points": 3}
check("xor_params", xor_params)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("xor_params", xor_params)
### END HIDDEN TESTS

# %% [markdown]
# The hidden layer re-draws the problem. In the space of hidden activations $(h_1, h_2)$ the four
# inputs land on only three points, and one line now separates them:

# %%
params = xor_params()
X, y = truth_table("XOR")
H = (X @ params["W1"] + params["b1"] > 0).astype(float)
fig, axes = plt.subplots(1, 2, figsize=(8, 3.6))
plot_decision_boundary(lambda P: step_network(P, params), X, y, ax=axes[0], title="input space", margin=0.6)
axes[1].scatter(H[:, 0] + 0.03 * np.arange(4), H[:, 1], c=y, cmap="coolwarm", edgecolors="k", s=60)
axes[1].plot([0.5, 1.5], [1.5, 0.5], "k--", label="output unit's line")
axes[1].set(xlabel="$h_1$ (OR)", ylabel="$h_2$ (NAND)", title="hidden space", xlim=(-0.3, 1.3), ylim=(-0.3, 1.3))
axes[1].legend(loc="lower left")
fig.tight_layout()
plt.show()

# %% [markdown]
# Hand-setting weights does not scale, and the step function has no useful slope to learn
# from. Replacing it with smooth activations and computing gradients layer by layer —
# **backpropagation (역전파)** — is the subject of notebook 02.
#
# ## 5. Feeding categories to a network: one-hot encoding
#
# A perceptron multiplies its inputs by weights, so every input must be a number whose size
# means something. A house record might contain `street_name: "Shorebird Way"`. Numbering the
# streets (Shorebird Way = 0, Elm Street = 1, ...) would tell the network that Elm Street is
# "more" than Shorebird Way, and that the street numbered 2 lies between them — nonsense.
#
# **One-hot encoding** gives each distinct value its own input instead: a vector of length $V$
# (the number of distinct street names, the *vocabulary*) that is 1 at that street's position and
# 0 elsewhere. Each street then gets its own weight.
#
# **Worked example.** With the values `["Elm", "Oak", "Elm", "Birch"]` the vocabulary in sorted
# order is `["Birch", "Elm", "Oak"]`, and the encoding is
#
# $$\begin{pmatrix} 0&1&0\\ 0&0&1\\ 0&1&0\\ 1&0&0 \end{pmatrix}.$$
#
# ### Exercise 4 — `one_hot`

# %% nbgrader={"grade_id": "one_hot", "solution": true}
def one_hot(values):
    """One-hot encode a list of categorical values.

    values: a sequence of N hashable, sortable values (e.g. street names).
    Returns (encoded, vocabulary): vocabulary is the sorted list of the V distinct values, and
    encoded is an (N, V) float array with encoded[i, vocabulary.index(values[i])] == 1 and
    zeros elsewhere.
    """
    ### BEGIN SOLUTION
    vocabulary = sorted(set(values))
    index = {v: i for i, v in enumerate(vocabulary)}
    encoded = np.zeros((len(values), len(vocabulary)))
    encoded[np.arange(len(values)), [index[v] for v in values]] = 1.0
    ### END SOLUTION
    return encoded, vocabulary


# %% nbgrader={"grade_id": "test_one_hot", "grade": true, "points": 3}
check("one_hot", one_hot)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("one_hot", one_hot)
### END HIDDEN TESTS

# %%
streets = ["Shorebird Way", "Elm Street", "Shorebird Way", "Birch Avenue", "Elm Street"]
encoded, vocabulary = one_hot(streets)
print(vocabulary)
print(encoded)

# %% [markdown] nbgrader={"grade_id": "q_one_hot", "grade": true, "solution": true, "points": 2}
# **Question.** A city has 20,000 street names. What does one-hot encoding cost a first layer of
# 64 units, in weights, and what goes wrong if you instead feed the street's index
# (0 … 19,999) as a single number?
#
# ### BEGIN SOLUTION
# One-hot gives 20,000 inputs, so the first layer needs 20,000 × 64 = 1,280,000 weights (plus
# 64 biases), though each example activates only one row of them. A single index input needs only
# 64 weights, but it imposes an order and distances between streets that mean nothing: the network
# would have to treat neighbouring numbers alike and could only respond monotonically to the index
# in a single unit, so it cannot give each street its own effect.
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# - A perceptron is a weighted sum plus bias passed through a step; its boundary is a line.
# - The learning rule $w \leftarrow w + \eta (y - \hat y) x$ finds a separating line whenever one
#   exists — and cycles forever when none does, as for XOR.
# - Two layers of perceptrons solve XOR: the hidden layer maps the inputs to a space where they
#   are separable. Learning such weights needs gradients: notebook 02.
# - Categorical inputs enter a network one-hot encoded.

# %% [markdown]
# Before you hand in: run every visible check of this notebook at once.

# %%
from utils.checks import check_all
check_all();
