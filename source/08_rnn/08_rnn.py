# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 08 · Recurrent neural networks (순환 신경망): RNN, LSTM and a character-level language model
#
# A sentence, a melody, a day of electricity readings, a recording of speech: these are
# **sequences (시퀀스)**, and what matters in them is the order. "The dog bit the man" and "the man
# bit the dog" hold the same words. The networks of the earlier notebooks take an input of a fixed
# size and have no sense of "before" and "after"; a **recurrent neural network (RNN)** reads a
# sequence one element at a time and carries a memory of what it has read so far, its **hidden
# state (은닉 상태)**, from one element to the next. The notes list where this pays off: speech
# recognition, translation, time-series (시계열) prediction such as electricity demand, and
# sentiment analysis. Two properties of such data, the notes add, make a plain fully connected or
# convolutional network a poor fit: the inputs vary in length, and the first and last elements
# can depend on each other (a *global*, long-range dependency).
#
# This notebook builds the vanilla RNN and the LSTM in numpy, forward and backward, and measures
# why the LSTM was needed: the gradient of a vanilla RNN vanishes over time steps. Then Keras
# takes over: the notes' tiny "hello" language model, an LSTM that writes pseudo-Shakespeare
# character by character, and a bidirectional RNN.
#
# **You will implement:** `rnn_step_forward`, `rnn_step_backward`, `rnn_forward` and
# `rnn_backward` (a whole sequence, backpropagation through time), `lstm_step_forward`,
# `lstm_step_backward`, and the Keras model `char_lstm_model`. Each has a test cell right below it.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

from utils import FAST
from utils.checks import check
from utils.checks.rnn import keras_gate_columns
from utils.data import use_offline_cache
from utils.fit_plots import plot_train_val
from utils.gradcheck import eval_numerical_gradient_array, rel_error
from utils.sequence_tasks import DIRECTION_TASK, RECURRENT, compare_directions, first_equals_last, sequence_classifier
from utils.text import CharSampler, CharVocab, load_shakespeare, next_char_probabilities, next_char_windows, split_text

use_offline_cache()   # the course's local copy of the data, if there is one (else Keras downloads)

import keras  # noqa: E402  (after use_offline_cache: Keras reads its data folder when imported)

np.set_printoptions(precision=4, suppress=True)
VERBOSE = 2 if FAST else 1              # one line per epoch, or Keras' progress bars

# %% [markdown]
# ## 1. Sequences, time steps and unrolling
#
# A sequence is a list $x_1, x_2, \dots, x_T$ of vectors; the index $t$ is the **time step
# (타임 스텝)**, whether it counts seconds, words or characters. A batch of $N$ sequences of length
# $T$ with $D$ features per step is an array of shape $(N, T, D)$, the layout Keras uses.
#
# An RNN applies **the same** small network at every step. It takes the current input $x_t$ and
# the previous hidden state $h_{t-1}$ and produces the new hidden state:
#
# $$h_t = \tanh\left(x_t W_x + h_{t-1} W_h + b\right), \qquad t = 1, \dots, T,$$
#
# with $h_0$ given (usually zeros). $W_x$ is $(D, H)$, $W_h$ is $(H, H)$, $b$ is $(H,)$, and $h_t$
# holds $H$ numbers per example. As in the earlier notebooks, each row is one example, so a batch
# $x_t$ is $(N, D)$ and $h_t$ is $(N, H)$. Drawn with a box per time step, the loop becomes a chain:
# this is **unrolling (펼치기)** the network over time,
#
# $$h_0 \xrightarrow{\;x_1\;} h_1 \xrightarrow{\;x_2\;} h_2 \xrightarrow{\;x_3\;} \cdots \xrightarrow{\;x_T\;} h_T .$$
#
# The notes put it this way: for a sentence of 5 words the RNN unrolls into a 5-layer network, one
# layer per word. The layers of that deep network share their weights, so the number of weights
# does not depend on $T$, and one network reads sequences of any length. (That is parameter sharing
# again, across time where a convolution shares across space.)
#
# What comes out depends on the task. The notes name three shapes:
#
# | shape | input → output | example | in Keras |
# |---|---|---|---|
# | one-to-many | one $x$ → $y_1, \dots, y_T$ | music generation (음악 생성), captioning an image | the input starts the sequence; each output is fed back in |
# | many-to-one | $x_1, \dots, x_T$ → one $y$ | sentiment analysis (감정분석) of a review | `return_sequences=False`: only $h_T$, shape $(N, H)$ |
# | many-to-many | $x_1, \dots, x_T$ → $y_1, \dots, y_T$ | tagging every word (name recognition, 이름 인식); machine translation (기계번역) with an encoder and a decoder | `return_sequences=True`: every $h_t$, shape $(N, T, H)$ |
#
# Keras' `SimpleRNN` is exactly the recurrence above. Its two output modes and its weight count:

# %%
demo = np.random.default_rng(0).standard_normal((2, 5, 3)).astype("float32")   # N=2, T=5, D=3
for return_sequences in (False, True):
    layer = keras.layers.SimpleRNN(4, return_sequences=return_sequences)
    print(f"return_sequences={return_sequences!s:5}: input {demo.shape} -> output {tuple(layer(demo).shape)}")
print("weights:", [w.shape for w in layer.get_weights()], "=", layer.count_params(),
      "= D*H + H*H + H =", 3 * 4 + 4 * 4 + 4, "for any sequence length")

# %% [markdown]
# ## 2. One step of a vanilla RNN
#
# **Worked example.** $D = H = 2$, one example:
# $x = (1, 1)$, $h_{\text{prev}} = (1, -1)$,
# $W_x = \begin{pmatrix} 0.1 & 0.2 \\ 0.3 & -0.1 \end{pmatrix}$,
# $W_h = \begin{pmatrix} 0.5 & 0 \\ 0 & 0.5 \end{pmatrix}$, $b = (0, 0.1)$. Then
# $x W_x = (0.4, 0.1)$, $h_{\text{prev}} W_h = (0.5, -0.5)$, the pre-activation is
# $(0.4 + 0.5 + 0,\; 0.1 - 0.5 + 0.1) = (0.9, -0.3)$ and
# $h_{\text{next}} = (\tanh 0.9, \tanh(-0.3)) = (0.716298, -0.291313)$.
#
# ### Exercise 1 — `rnn_step_forward`
# Besides $h_{\text{next}}$, return the cache the backward pass will need, exactly as the docstring
# says (the checks hand your backward pass caches of this form). Vectorise over the batch.

# %% nbgrader={"grade_id": "rnn_step_forward", "solution": true}
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    """One time step of a vanilla RNN: h_next = tanh(x @ Wx + h_prev @ Wh + b).

    x: (N, D) inputs at this step; h_prev: (N, H) previous hidden state;
    Wx: (D, H), Wh: (H, H), b: (H,).
    Returns (h_next, cache): h_next (N, H); cache = (x, h_prev, Wx, Wh, h_next).
    """
    ### BEGIN SOLUTION
    h_next = np.tanh(x @ Wx + h_prev @ Wh + b)
    ### END SOLUTION
    return h_next, (x, h_prev, Wx, Wh, h_next)


# %% nbgrader={"grade_id": "test_rnn_step_forward", "grade": true, "points": 2}
check("rnn_step_forward", rnn_step_forward)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("rnn_step_forward", rnn_step_forward)
### END HIDDEN TESTS

# %% [markdown]
# ### The backward pass of one step: derive it
#
# This backward pass is yours to derive. The text gives the method and a worked example on another
# function, not the step's formulas. The method is notebook 02's: draw the step as a computational
# graph, then walk it from the output back to the inputs, every node passing on
# *upstream gradient × its local derivative*.
#
# **The graph of one step.** Give every intermediate value a name:
#
# $$p = x W_x, \qquad q = h_{\text{prev}} W_h, \qquad a = p + q + b, \qquad h_{\text{next}} = \tanh(a).$$
#
# | node | its inputs (shapes) | its output |
# |---|---|---|
# | matrix product | $x$ $(N, D)$ and $W_x$ $(D, H)$ | $p$ $(N, H)$ |
# | matrix product | $h_{\text{prev}}$ $(N, H)$ and $W_h$ $(H, H)$ | $q$ $(N, H)$ |
# | add | $p$ and $q$ $(N, H)$, and $b$ $(H,)$ added to every row | $a$ $(N, H)$ |
# | tanh, elementwise | $a$ $(N, H)$ | $h_{\text{next}}$ $(N, H)$ |
#
# The backward pass starts from $dh = \partial L / \partial h_{\text{next}}$, shape $(N, H)$, and
# visits the nodes in reverse order: the tanh first, the two products last.
#
# **The local rules.**
#
# - *Add distributes*: every input of an add node receives the upstream gradient unchanged.
# - *A variable used several times* receives the **sum** of the gradients of its uses (the chain
#   rule over every path). A vector added to every row of a batch is used $N$ times.
# - *Multiply swaps*: in $u v$, $u$ receives upstream $\times\, v$ and $v$ receives upstream
#   $\times\, u$. A matrix product $Z = A B$ is a sum of multiply gates,
#   $Z_{ij} = \sum_k A_{ik} B_{kj}$, so each factor's gradient pairs the upstream gradient with the
#   *other* factor (notebook 02's affine layer).
# - *Shapes decide the arrangement*: every gradient has the shape of what it is the gradient of,
#   and mostly only one product of the arrays at hand has that shape. Mostly: when a matrix is
#   square, both orientations fit, and the index form $Z_{ij} = \sum_k A_{ik} B_{kj}$ settles it.
# - *An elementwise function* $y = f(u)$ multiplies the upstream gradient by its local derivative,
#   elementwise: $du = dy \odot f'(u)$. The two squashing functions have derivatives that are
#   functions of their own output,
#   $$\sigma'(u) = \sigma(u)\,\bigl(1 - \sigma(u)\bigr), \qquad \tanh'(u) = 1 - \tanh^2(u),$$
#   so a backward pass can take them from the output that the forward pass cached.
#
# **Worked example, on a different function.** A layer that scales every feature by a weight of
# its own and squashes with a sigmoid: for a batch $x$ of shape $(N, H)$ and vectors $w$ and $c$ of
# shape $(H,)$, used by every row,
#
# $$u = x \odot w + c, \qquad y = \sigma(u).$$
#
# Its graph is an elementwise multiply, an add and a sigmoid. Backwards from $dy$:
#
# 1. the sigmoid node: $du = dy \odot y \odot (1 - y)$, with $y$ the cached output;
# 2. the add node passes $du$ on unchanged, to $x \odot w$ and to every row's copy of $c$; the
#    $N$ copies of $c$ add up: $dc = \sum_n du_{n,:}$, shape $(H,)$;
# 3. the multiply node (elementwise, so no transposes) swaps: $dx = du \odot w$, shape $(N, H)$,
#    and $w$ receives $du_{n,:} \odot x_{n,:}$ from every row $n$: $dw = \sum_n du_{n,:} \odot x_{n,:}$,
#    shape $(H,)$.
#
# With $x = \begin{pmatrix} 2 & 1 \\ 0 & -2 \end{pmatrix}$, $w = (0.5, 1)$, $c = (-1, 0)$ and
# $dy = \begin{pmatrix} 1 & -1 \\ 2 & 1 \end{pmatrix}$: the forward pass gives
# $u = \begin{pmatrix} 0 & 1 \\ -1 & -2 \end{pmatrix}$ and
# $y = \begin{pmatrix} 0.5 & 0.7311 \\ 0.2689 & 0.1192 \end{pmatrix}$; backwards,
# $du = \begin{pmatrix} 0.25 & -0.1966 \\ 0.3932 & 0.1050 \end{pmatrix}$,
# $dx = \begin{pmatrix} 0.125 & -0.1966 \\ 0.1966 & 0.1050 \end{pmatrix}$, $dw = (0.5, -0.4066)$ and
# $dc = (0.6432, -0.0916)$. The same walk in code, checked against finite differences:

# %%
def scale_and_squash(x, w, c):
    return 1.0 / (1.0 + np.exp(-(x * w + c)))              # forward: multiply, add, sigmoid


x_ex, w_ex, c_ex = np.array([[2.0, 1.0], [0.0, -2.0]]), np.array([0.5, 1.0]), np.array([-1.0, 0.0])
dy_ex = np.array([[1.0, -1.0], [2.0, 1.0]])
y_ex = scale_and_squash(x_ex, w_ex, c_ex)
du_ex = dy_ex * y_ex * (1.0 - y_ex)         # sigmoid node: its local derivative, from the cached output
dc_ex = du_ex.sum(axis=0)                   # add node passes du on; c's N copies (one per row) add up
dx_ex = du_ex * w_ex                        # multiply node swaps ...
dw_ex = (du_ex * x_ex).sum(axis=0)          # ... and w's N copies add up too
for name, arr, grad in [("x", x_ex, dx_ex), ("w", w_ex, dw_ex), ("c", c_ex, dc_ex)]:
    numeric = eval_numerical_gradient_array(lambda _: scale_and_squash(x_ex, w_ex, c_ex), arr, dy_ex)
    print(f"d{name} = {np.round(grad, 4).tolist()}   relative error vs finite differences: {rel_error(grad, numeric):.1e}")

# %% [markdown]
# **Now the RNN step.** Walk its graph the same way:
#
# 1. the tanh node: what is its local derivative, written with what the cache holds?
# 2. the add node: what reaches $p$, $q$ and $b$, and which of them is used more than once?
# 3. the two matrix products: write down the shape of each of the four gradients first, then find
#    the product of the arrays you have that gives it ($W_h$ is square: mind its orientation).
#
# The check compares your gradients with TensorFlow's autodiff; when one is wrong, its message
# names the rule that was missed.
#
# ### Exercise 2 — `rnn_step_backward`

# %% nbgrader={"grade_id": "rnn_step_backward", "solution": true}
def rnn_step_backward(dh, cache):
    """Backward pass of rnn_step_forward.

    dh: (N, H) upstream gradient dL/dh_next; cache: (x, h_prev, Wx, Wh, h_next).
    Returns (dx, dh_prev, dWx, dWh, db), shaped like x, h_prev, Wx, Wh, b.
    """
    x, h_prev, Wx, Wh, h_next = cache
    ### BEGIN SOLUTION
    da = dh * (1.0 - h_next ** 2)
    dx = da @ Wx.T
    dh_prev = da @ Wh.T
    dWx = x.T @ da
    dWh = h_prev.T @ da
    db = da.sum(axis=0)
    ### END SOLUTION
    return dx, dh_prev, dWx, dWh, db


# %% nbgrader={"grade_id": "test_rnn_step_backward", "grade": true, "points": 3}
check("rnn_step_backward", rnn_step_backward)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("rnn_step_backward", rnn_step_backward)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. A whole sequence, and backpropagation through time
#
# The forward pass over a sequence is a loop: start from $h_0$ and apply the step $T$ times,
# feeding each output back in as the next step's $h_{\text{prev}}$.
#
# ### Exercise 3 — `rnn_forward`
# Call your `rnn_step_forward` at each step. Return all hidden states $h_1, \dots, h_T$ as one
# $(N, T, H)$ array (what Keras' `return_sequences=True` returns; $h_0$ is not included), and the
# list of the $T$ step caches.

# %% nbgrader={"grade_id": "rnn_forward", "solution": true}
def rnn_forward(x, h0, Wx, Wh, b):
    """A vanilla RNN over a whole sequence.

    x: (N, T, D) inputs; h0: (N, H) initial hidden state; Wx: (D, H), Wh: (H, H), b: (H,).
    Returns (h, cache): h (N, T, H), h[:, t] the hidden state after step t;
    cache = [cache_0, ..., cache_{T-1}], the caches rnn_step_forward returned, in time order.
    """
    ### BEGIN SOLUTION
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    cache = []
    h_t = h0
    for t in range(T):
        h_t, step_cache = rnn_step_forward(x[:, t, :], h_t, Wx, Wh, b)
        h[:, t, :] = h_t
        cache.append(step_cache)
    ### END SOLUTION
    return h, cache


# %% nbgrader={"grade_id": "test_rnn_forward", "grade": true, "points": 2}
check("rnn_forward", rnn_forward)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("rnn_forward", rnn_forward)
### END HIDDEN TESTS

# %% [markdown]
# **Backpropagation through time (BPTT, 시간에 따른 역전파)** is ordinary backpropagation on the
# unrolled network. Two things are new compared with a stack of layers.
#
# 1. **A hidden state gets gradient from two places.** $h_t$ is an output in its own right (in a
#    many-to-many task every step has a loss; the upstream gradient of all of them is `dh`, shape
#    $(N, T, H)$), and it is the input $h_{\text{prev}}$ of step $t + 1$. So, going backwards from
#    $t = T$ to $1$, the gradient of $h_t$ is
#    $$\frac{\partial L}{\partial h_t} = \texttt{dh}[:, t] + \big(\text{the } dh_{\text{prev}} \text{ returned by step } t+1\text{'s backward pass}\big),$$
#    with nothing coming from beyond the last step. The $dh_{\text{prev}}$ of the first step is
#    $\partial L / \partial h_0$.
# 2. **The weights are shared.** $W_x$, $W_h$ and $b$ are used at every step, so their gradient is
#    the *sum* of what each step contributes (the multivariable chain rule: a variable used $T$
#    times gets the sum of $T$ gradients).
#
# With a loss on the last step only (many-to-one), $\texttt{dh}[:, t] = 0$ for $t < T$ and all the
# gradient comes back along the chain. Long sequences are often cut into pieces of, say, 100 steps
# that are backpropagated one at a time while the hidden state is carried over: truncated BPTT.
# Keras does the same when you train on windows of text, as we will.
#
# ### Exercise 4 — `rnn_backward`
# Loop backwards over time, calling your `rnn_step_backward`.

# %% nbgrader={"grade_id": "rnn_backward", "solution": true}
def rnn_backward(dh, cache):
    """Backpropagation through time for rnn_forward.

    dh: (N, T, H) upstream gradients of every hidden state (dL/dh[:, t] from step t's own loss);
    cache: the list of step caches from rnn_forward.
    Returns (dx, dh0, dWx, dWh, db): dx (N, T, D), dh0 (N, H), dWx (D, H), dWh (H, H), db (H,).
    """
    ### BEGIN SOLUTION
    N, T, H = dh.shape
    x0, _, Wx, Wh, _ = cache[0]
    dx = np.zeros((N, T, x0.shape[1]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H)
    dh_next = np.zeros((N, H))
    for t in reversed(range(T)):
        dx_t, dh_next, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t, :] + dh_next, cache[t])
        dx[:, t, :] = dx_t
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    dh0 = dh_next
    ### END SOLUTION
    return dx, dh0, dWx, dWh, db


# %% nbgrader={"grade_id": "test_rnn_backward", "grade": true, "points": 4}
check("rnn_backward", rnn_backward)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("rnn_backward", rnn_backward)
### END HIDDEN TESTS

# %% [markdown]
# The checks compared your gradients with TensorFlow's autodiff of the same recurrence. Finite
# differences (notebook 02's tool) agree too, for every input:

# %%
rng = np.random.default_rng(8)
xs, h0s, dhs = rng.standard_normal((2, 6, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 6, 4))
Wxs, Whs, bs = 0.5 * rng.standard_normal((3, 4)), 0.5 * rng.standard_normal((4, 4)), 0.1 * rng.standard_normal(4)
grads = rnn_backward(dhs, rnn_forward(xs, h0s, Wxs, Whs, bs)[1])
for k, (name, arr) in enumerate([("x", xs), ("h0", h0s), ("Wx", Wxs), ("Wh", Whs), ("b", bs)]):
    def f(_, xs=xs, h0s=h0s, Wxs=Wxs, Whs=Whs, bs=bs):
        return rnn_forward(xs, h0s, Wxs, Whs, bs)[0]
    numeric = eval_numerical_gradient_array(f, arr, dhs)
    print(f"d{name:3s} relative error vs finite differences: {rel_error(grads[k], numeric):.1e}")

# %% [markdown]
# ## 4. Why the gradient vanishes over time
#
# Follow the gradient from $h_t$ back to $h_{t-1}$ through one step, the way the $dh_{\text{prev}}$ of
# your `rnn_step_backward` carries it: through the tanh node, which multiplies it elementwise by
# $\tanh'(a_t) = 1 - h_t^2 \le 1$, then through the product with $W_h$. From $h_T$ back to $h_{T-k}$
# that happens $k$ times in a row. Take one hidden unit ($H = 1$, $W_h$ a single number $w_h$) to see
# what a product of $k$ such factors does: with $w_h = 0.9$ and $|h_t| \approx 0.5$ each step
# multiplies the gradient by $0.9 \times (1 - 0.25) = 0.675$, so after 20 steps
# $0.675^{20} \approx 3.9 \times 10^{-4}$ is left, after 50 steps $0.675^{50} \approx 3 \times 10^{-9}$.
# With $w_h = 2$ the factor is $1.5$ and $1.5^{50} \approx 6 \times 10^{8}$. In many dimensions the
# size of $W_h$ (its largest singular values) plays the role of $w_h$, and since $1 - h^2 \le 1$,
# saturated units make the factor smaller still. A product of many factors either
# **vanishes** — the notes' "dying" gradient (그라디언트가 죽는 현상), now over time steps instead of
# layers — or **explodes** (그라디언트 폭발); keeping it near 1 for 50 steps is a knife's edge.
#
# What vanishing means in practice: the weights get almost no signal about how the input at
# step $t$ affected a loss 50 steps later, so the network cannot learn that dependency. Explosion
# is easier to tame: **gradient clipping (그라디언트 클리핑)** rescales a gradient whose norm exceeds
# a threshold (`clipnorm=` in every Keras optimizer). Vanishing needed a new cell.
#
# ## 5. The LSTM
#
# The notes' example of a **long-term dependency (장기 의존성)**: "I grew up in France. (...) I speak
# fluent ???". The answer, French, depends on a word far back, and the longer the (...), the harder
# it is for a vanilla RNN to connect the two. The **LSTM (Long Short-Term Memory, 장단기 메모리)** of
# Hochreiter and Schmidhuber (1997) eases this: besides $h_t$ it carries a **cell state
# (셀 상태)** $c_t$ that is changed only by elementwise products and sums, under the control of
# three **gates (게이트)**, sigmoids between 0 (closed) and 1 (open).
#
# One step computes one pre-activation of width $4H$ and cuts it into four blocks of $H$ columns,
# **in the order $i, f, o, g$** (this exercise's convention):
#
# $$a = x W_x + h_{\text{prev}} W_h + b \quad\text{with } W_x: (D, 4H),\ W_h: (H, 4H),\ b: (4H,),$$
#
# | block of $a$ | columns | gate | activation | role |
# |---|---|---|---|---|
# | $a_i$ | `[:, :H]` | input gate (입력 게이트) $i$ | sigmoid | how much of the candidate to write |
# | $a_f$ | `[:, H:2H]` | forget gate (망각 게이트) $f$ | sigmoid | how much of the old cell state to keep |
# | $a_o$ | `[:, 2H:3H]` | output gate (출력 게이트) $o$ | sigmoid | how much of the cell state to show |
# | $a_g$ | `[:, 3H:]` | candidate $g$ | tanh | what to write |
#
# $$c_{\text{next}} = f \odot c_{\text{prev}} + i \odot g, \qquad h_{\text{next}} = o \odot \tanh(c_{\text{next}}).$$
#
# **Worked example.** With all weights and biases 0, every gate is $\sigma(0) = 0.5$ and
# $g = \tanh 0 = 0$. From $c_{\text{prev}} = 2$: $c_{\text{next}} = 0.5 \cdot 2 + 0.5 \cdot 0 = 1$ and
# $h_{\text{next}} = 0.5 \tanh 1 = 0.380797$.
#
# Keras' `LSTMCell` computes the same thing but stores the blocks in the order $i, f, g, o$ (it
# calls $g$ "c"); we will reorder our weights to compare with it.
#
# ### Exercise 5 — `lstm_step_forward`

# %% nbgrader={"grade_id": "lstm_step_forward", "solution": true}
def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """One LSTM step, the 4H axis in the gate order i, f, o, g.

    x: (N, D); h_prev, c_prev: (N, H); Wx: (D, 4H); Wh: (H, 4H); b: (4H,).
    Returns (h_next, c_next, cache): h_next, c_next (N, H);
    cache = (x, h_prev, c_prev, Wx, Wh, gates, c_next), gates (N, 4H) = the activated [i, f, o, g].
    """
    ### BEGIN SOLUTION
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    ifo = 1.0 / (1.0 + np.exp(-a[:, :3 * H]))
    g = np.tanh(a[:, 3 * H:])
    i, f, o = ifo[:, :H], ifo[:, H:2 * H], ifo[:, 2 * H:]
    c_next = f * c_prev + i * g
    h_next = o * np.tanh(c_next)
    gates = np.concatenate([ifo, g], axis=1)
    ### END SOLUTION
    return h_next, c_next, (x, h_prev, c_prev, Wx, Wh, gates, c_next)


# %% nbgrader={"grade_id": "test_lstm_step_forward", "grade": true, "points": 3}
check("lstm_step_forward", lstm_step_forward)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("lstm_step_forward", lstm_step_forward)
### END HIDDEN TESTS

# %% [markdown]
# Your step agrees with Keras' `LSTMCell` once the weight columns are put in Keras' order:

# %%
H_demo, D_demo = 3, 2
cell = keras.layers.LSTMCell(H_demo, dtype="float64")
cell.build((None, D_demo))
K, R, kb = cell.get_weights()                      # Keras' kernel, recurrent kernel, bias: i, f, g, o
ours = np.argsort(keras_gate_columns(H_demo))     # Keras' columns -> our order i, f, o, g
xd, hd, cd = rng.standard_normal((4, D_demo)), rng.standard_normal((4, H_demo)), rng.standard_normal((4, H_demo))
h_keras, (_, c_keras) = cell(xd, [hd, cd])
h_ours, c_ours, _ = lstm_step_forward(xd, hd, cd, K[:, ours], R[:, ours], kb[ours])
print("Keras' initial forget-gate bias:", kb[H_demo:2 * H_demo], "(unit_forget_bias=True)")
print(f"h: {np.max(np.abs(h_ours - np.asarray(h_keras))):.1e}   c: {np.max(np.abs(c_ours - np.asarray(c_keras))):.1e}"
      "  (largest differences)")

# %% [markdown]
# ### The backward pass of one LSTM step
#
# Two gradients arrive: $dh = \partial L / \partial h_{\text{next}}$ and
# $dc = \partial L / \partial c_{\text{next}}$ (from the next step, which uses $c_{\text{next}}$ as its
# $c_{\text{prev}}$; zero at the last step). The cell state reaches the loss along both, directly and
# through $h_{\text{next}} = o \odot \tanh(c_{\text{next}})$, so its total gradient is
#
# $$dc_{\text{total}} = dc + dh \odot o \odot \left(1 - \tanh^2(c_{\text{next}})\right).$$
#
# Everything else follows from the product rule on $c_{\text{next}} = f \odot c_{\text{prev}} + i \odot g$
# and $h_{\text{next}} = o \odot \tanh(c_{\text{next}})$: the gradient of each of $i, f, o, g$, then
# through its activation ($\sigma' = \sigma(1 - \sigma)$, $\tanh' = 1 - \tanh^2$, both computable
# from the cached gates) to the four blocks of $da$, side by side in the order $i, f, o, g$; from
# $da$ on it is the affine layer again. And $dc_{\text{prev}} = dc_{\text{total}} \odot f$.
#
# ### Exercise 6 — `lstm_step_backward`

# %% nbgrader={"grade_id": "lstm_step_backward", "solution": true}
def lstm_step_backward(dh, dc, cache):
    """Backward pass of lstm_step_forward.

    dh, dc: (N, H) upstream gradients of h_next and c_next;
    cache: (x, h_prev, c_prev, Wx, Wh, gates, c_next).
    Returns (dx, dh_prev, dc_prev, dWx, dWh, db), shaped like x, h_prev, c_prev, Wx, Wh, b.
    """
    x, h_prev, c_prev, Wx, Wh, gates, c_next = cache
    ### BEGIN SOLUTION
    H = h_prev.shape[1]
    i, f, o, g = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
    tanh_c = np.tanh(c_next)
    dc_total = dc + dh * o * (1.0 - tanh_c ** 2)
    da = np.concatenate([dc_total * g * i * (1.0 - i),
                         dc_total * c_prev * f * (1.0 - f),
                         dh * tanh_c * o * (1.0 - o),
                         dc_total * i * (1.0 - g ** 2)], axis=1)
    dc_prev = dc_total * f
    dx, dh_prev = da @ Wx.T, da @ Wh.T
    dWx, dWh, db = x.T @ da, h_prev.T @ da, da.sum(axis=0)
    ### END SOLUTION
    return dx, dh_prev, dc_prev, dWx, dWh, db


# %% nbgrader={"grade_id": "test_lstm_step_backward", "grade": true, "points": 4}
check("lstm_step_backward", lstm_step_backward)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("lstm_step_backward", lstm_step_backward)
### END HIDDEN TESTS

# %% [markdown]
# Look at the cell-state path of that gradient: $dc_{\text{prev}} = dc_{\text{total}} \odot f$.
# Going back one step along $c$ multiplies the gradient by the forget gate, elementwise: no
# weight matrix, no tanh derivative. When the network keeps its forget gates near 1 — which it can
# learn, for the units that must remember — the gradient passes many steps almost unchanged.
# (There are other paths, through $h$, and those behave like the vanilla RNN's.)
#
# ## 6. Experiment: the gradient over 60 time steps
#
# Time to measure it, with your functions. We run a vanilla RNN and an LSTM ($D = 16$, $H = 32$,
# a batch of 16 random sequences) forward for $T = 60$ steps from weights drawn as Keras would
# initialise `SimpleRNNCell` and `LSTMCell` (Glorot-uniform input weights, orthogonal recurrent
# weights, and for the LSTM a forget-gate bias of 1). Then we put a random gradient on the last
# hidden state only and backpropagate it step by step, recording $\lVert \partial L / \partial h_t \rVert$
# at every $t$. Two more runs probe the knobs: the RNN with its recurrent weights doubled, and the
# LSTM with forget-gate biases of 3, so that $f \approx \sigma(3) = 0.95$: an LSTM whose gates
# have learnt to keep their memory.

# %%
T_EXP, N_EXP, D_EXP, H_EXP = 60, 16, 16, 32


def keras_initial_weights(make_cell):
    keras.utils.set_random_seed(1)                 # before the cell: Keras seeds its initialisers then
    cell = make_cell()
    cell.build((None, D_EXP))
    return [np.asarray(w, dtype=np.float64) for w in cell.get_weights()]


def grad_norms_through_time(step_forward, step_backward, weights, lstm):
    """||dL/dh_t|| for t = 1..T when only h_T gets a (random) gradient, by the student's steps."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((N_EXP, T_EXP, D_EXP))
    h = c = np.zeros((N_EXP, H_EXP))
    caches = []
    for t in range(T_EXP):
        if lstm:
            h, c, cache = step_forward(x[:, t], h, c, *weights)
        else:
            h, cache = step_forward(x[:, t], h, *weights)
        caches.append(cache)
    dh, dc, norms = rng.standard_normal((N_EXP, H_EXP)), np.zeros((N_EXP, H_EXP)), []
    for t in reversed(range(T_EXP)):
        norms.append(np.linalg.norm(dh))
        if lstm:
            _, dh, dc, *_ = step_backward(dh, dc, caches[t])
        else:
            _, dh, *_ = step_backward(dh, caches[t])
    norms = np.array(norms[::-1])                  # time order: norms[-1] is at the last step
    return norms / norms[-1]


rnn_w = keras_initial_weights(lambda: keras.layers.SimpleRNNCell(H_EXP))
Kx, Kh, Kb = keras_initial_weights(lambda: keras.layers.LSTMCell(H_EXP))
cols = np.argsort(keras_gate_columns(H_EXP))
lstm_w = [Kx[:, cols], Kh[:, cols], Kb[cols]]
lstm_open = [lstm_w[0], lstm_w[1], lstm_w[2] + np.r_[np.zeros(H_EXP), 2.0 * np.ones(H_EXP), np.zeros(2 * H_EXP)]]
curves = {"vanilla RNN (Keras' initial weights)": grad_norms_through_time(rnn_step_forward, rnn_step_backward, rnn_w, False),
          "vanilla RNN, recurrent weights x 2": grad_norms_through_time(rnn_step_forward, rnn_step_backward,
                                                                     [rnn_w[0], 2 * rnn_w[1], rnn_w[2]], False),
          "LSTM (Keras' initial weights, forget bias 1)": grad_norms_through_time(lstm_step_forward, lstm_step_backward, lstm_w, True),
          "LSTM, forget bias 3 (f = 0.95)": grad_norms_through_time(lstm_step_forward, lstm_step_backward, lstm_open, True)}

# %%
plt.figure(figsize=(7, 4))
for name, norms in curves.items():
    plt.semilogy(np.arange(1, T_EXP + 1), norms, label=name)
plt.xlabel("time step t"); plt.ylabel(r"$\|\partial L / \partial h_t\|$ / $\|\partial L / \partial h_T\|$")
plt.title(f"A gradient on h_{T_EXP} only, backpropagated through time"); plt.grid(alpha=0.3, which="both")
plt.legend(fontsize=8)
plt.show()
for name, norms in curves.items():
    print(f"{name:46s} 20 steps back: {norms[-21]:8.1e}   {T_EXP - 1} steps back: {norms[0]:8.1e}")

# %% [markdown]
# Read the plot from the right (the last step, where the gradient is put) to the left. The
# vanilla RNN from Keras' initial weights loses about the same fraction of its gradient at every
# step: a straight line on the log scale, down to about $4 \times 10^{-4}$ of it 20 steps back and
# $10^{-10}$ 59 steps back. Doubling its recurrent weights does not cure it; it turns the vanishing
# into explosion (about 90 times the gradient 59 steps back, growing geometrically). The LSTM at its
# initial weights vanishes too, more slowly ($f \approx \sigma(1) = 0.73$ multiplies the
# cell-state gradient at every step): about $10^{-3}$ after 20 steps, $4 \times 10^{-7}$ after 59.
# With its forget gates open the LSTM keeps a few per cent of the gradient after a quick first
# drop, and then loses hardly any more all the way back to the first step: the cell state's path
# $dc_{\text{prev}} = dc_{\text{total}} \odot f$ with $f$ close to 1.
# Training sets the forget gates; an LSTM *can* reach that regime and a vanilla RNN has no weights
# that would let it, which is why the LSTM learns dependencies over dozens of steps.

# %% [markdown] nbgrader={"grade_id": "q_vanishing", "grade": true, "solution": true, "points": 2}
# **Question.** (a) Using the one-step backward pass of section 4 (your `rnn_step_backward`'s
# $dh_{\text{prev}}$), explain why the vanilla RNN's curve is close to a straight line on the log
# scale, and why making $W_h$ larger does not fix the problem. (b) Why does the LSTM with forget
# gates near 1 keep its gradient, and what does that change for learning a dependency such as
# "France ... French", 40 characters apart?
#
# ### BEGIN SOLUTION
# (a) Going back one step multiplies the gradient by diag(1 - h_t^2) W_h^T. The factors are similar
# from step to step, so k steps multiply the norm by roughly the same number r, k times: r^k is
# a straight line of slope log r on a log scale. Here r < 1 (tanh' <= 1 and W_h is orthogonal, of
# size 1), so the gradient vanishes. A larger W_h raises r above 1 and the gradient explodes instead
# (the x 2 curve); besides, larger weights saturate the tanh units, which makes 1 - h^2 smaller. Only
# r exactly 1 would preserve the gradient, and it is not reachable in a stable way.
# (b) Along the cell state the backward step is dc_prev = dc_total * f: an elementwise product with
# the forget gate, no matrix and no tanh derivative. With f near 1 the product of many such factors
# stays near 1, so the gradient of a loss at "French" still reaches the input at "France" 40 steps
# earlier, with a size comparable to that of nearby inputs. The weights that would store "France"
# in the cell state then get a learning signal; for a vanilla RNN that signal is ~1e-7 times
# smaller (the plot, 40 steps back) than the signal from the last few characters, and is lost.
# ### END SOLUTION

# %% [markdown]
# ## 7. A character-level language model in Keras
#
# A **language model (언어 모델)** gives the probability of the next token given the ones before
# it. At the **character level (문자 단위)** the tokens are characters: the model reads "hell"
# and should put its probability on "o". It is a many-to-many RNN: at every position it outputs
# a score for each character of the vocabulary, and the loss is the cross-entropy of the
# character that actually comes next (notebook 03's loss, averaged over all positions). Once
# trained it writes text: give it a start, draw the next character from its prediction, feed that
# character back in, and repeat. The notes' example is Karpathy's (2015) vocabulary of four
# letters, h, e, l, o, and the training word "hello".
#
# ### 7.1 The notes' "hello" example
#
# The input is "hell", one one-hot vector of 4 entries per step, and the target at every step is
# the next letter: "ello". Like the notes' figure, the RNN has 3 hidden units.

# %%
hello = CharVocab("helo", sort=False)            # ids in the notes' order: h=0, e=1, l=2, o=3
x_hello = hello.one_hot("hell")[None]            # (1, 4, 4): one sequence, 4 steps, 4 features
y_hello = hello.encode("ello")[None]             # (1, 4): the next letter at every step
print("input 'hell' as one-hot rows:\n", x_hello[0], "\ntargets 'ello' as ids:", y_hello[0])

keras.utils.set_random_seed(0)
hello_model = keras.Sequential([keras.Input((None, len(hello))),
                                keras.layers.SimpleRNN(3, return_sequences=True),
                                keras.layers.Dense(len(hello))])          # logits for h, e, l, o
hello_model.compile(optimizer=keras.optimizers.Adam(0.05),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
reps = 200                                                                 # the same word, 200 steps
hist = hello_model.fit(np.repeat(x_hello, reps, axis=0), np.repeat(y_hello, reps, axis=0),
                       batch_size=1, epochs=1, verbose=0)
print(f"loss after {reps} steps: {hist.history['loss'][-1]:.4f} (mean over the epoch)")

# %%
probs = keras.ops.softmax(hello_model(x_hello)).numpy()[0]
print("step  input  " + "  ".join(f"p({ch})" for ch in hello.chars) + "   prediction")
for t, ch in enumerate("hell"):
    print(f"{t + 1:>4}  {ch!r:>5}  " + "  ".join(f"{p:4.2f}" for p in probs[t]) + f"   {hello.chars[probs[t].argmax()]!r}")
generated = "h"
for _ in range(4):                                 # generate: predict, append, feed everything back
    generated += hello.chars[int(np.argmax(hello_model(hello.one_hot(generated)[None])[0, -1]))]
print("generated from 'h':", generated)

# %% [markdown]
# Steps 3 and 4 both read an "l", and the model answers "l" the first time and "o" the second.
# A network that saw only the current letter could not do that; the hidden state remembers whether
# one "l" has gone by already. That is the whole point of the recurrence.
#
# ### 7.2 Tiny Shakespeare
#
# Now a real corpus: Tiny Shakespeare, about 1.1 million characters of Shakespeare's plays, loaded
# through Keras' own `get_file` as in the TensorFlow text-generation tutorial (offline here, from the
# course's copy). The last 10 % of the text is the validation set. Training examples are windows of
# `SEQ_LEN + 1` characters: the first `SEQ_LEN` are the input and the last `SEQ_LEN` the targets,
# each position's target being the next character — truncated BPTT over `SEQ_LEN` steps.

# %%
text = load_shakespeare()
vocab = CharVocab(text)
print(f"{len(text):,} characters, {len(vocab)} distinct: {''.join(vocab.chars)!r}")
print(text[:250])

# %%
SEQ_LEN = 50 if FAST else 100
BATCH = 32 if FAST else 64
EMBED, UNITS = (16, 64) if FAST else (64, 256)
EPOCHS = 3 if FAST else 30                       # EarlyStopping may end the full run sooner
CORPUS = text[:100_000] if FAST else text        # FAST (tests, CI): a slice of the text, same code

train_ids, val_ids = split_text(vocab.encode(CORPUS), val_fraction=0.1)
x_train, y_train = next_char_windows(train_ids, SEQ_LEN)
x_val, y_val = next_char_windows(val_ids, SEQ_LEN)
print(f"training: {x_train.shape[0]:,} windows of {SEQ_LEN} -> {-(-x_train.shape[0] // BATCH)} steps per epoch "
      "(the last batch may be short); "
      f"validation: {x_val.shape[0]:,} windows")
print("input: ", repr(vocab.decode(x_train[1][:40])), "\ntarget:", repr(vocab.decode(y_train[1][:40])))

# %% [markdown]
# The model: an **embedding (임베딩)** layer turns each character id into a learned vector of
# `embedding_dim` numbers (the same as multiplying a one-hot vector by a weight matrix, without
# building the one-hot vectors), an LSTM with `return_sequences=True` reads the sequence, and a
# dense layer turns every hidden state into `vocab_size` scores. The scores are logits, no
# softmax: the loss applies it (`from_logits=True`, the stable way of notebook 03), and so does the
# sampler.
#
# ### Exercise 7 — `char_lstm_model`
# Start from `keras.Input(shape=(None,), dtype="int32")` so the model reads sequences of any length
# (training windows of `SEQ_LEN`, then one character at a time when it writes).

# %% nbgrader={"grade_id": "char_lstm_model", "solution": true}
def char_lstm_model(vocab_size, embedding_dim, units):
    """Keras model: character ids (batch, T) -> next-character logits (batch, T, vocab_size).

    Layers: Embedding(vocab_size, embedding_dim) -> LSTM(units, return_sequences=True)
    -> Dense(vocab_size) with no activation.
    """
    ### BEGIN SOLUTION
    model = keras.Sequential([keras.Input(shape=(None,), dtype="int32"),
                              keras.layers.Embedding(vocab_size, embedding_dim),
                              keras.layers.LSTM(units, return_sequences=True),
                              keras.layers.Dense(vocab_size)])
    ### END SOLUTION
    return model


# %% nbgrader={"grade_id": "test_char_lstm_model", "grade": true, "points": 2}
check("char_lstm_model", char_lstm_model)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("char_lstm_model", char_lstm_model)
### END HIDDEN TESTS

# %% [markdown]
# Before training, a model that spreads its probability evenly over the 65 characters has a loss
# of $\ln 65 = 4.17$ per character. Training uses Adam, with early stopping on the validation loss
# (notebook 05) so the full run keeps its best epoch.

# %%
keras.utils.set_random_seed(0)
char_model = char_lstm_model(len(vocab), EMBED, UNITS)
char_model.compile(optimizer=keras.optimizers.Adam(2e-3),
                   loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
t0 = time.perf_counter()
history = char_model.fit(x_train, y_train, batch_size=BATCH, epochs=EPOCHS, validation_data=(x_val, y_val),
                         verbose=VERBOSE, callbacks=[keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)])
minutes = (time.perf_counter() - t0) / 60
val_loss = min(history.history["val_loss"])
print(f"{len(history.history['loss'])} epochs in {minutes:.1f} min; best validation loss {val_loss:.3f} nats per "
      f"character (uniform guessing: {np.log(len(vocab)):.2f})")

# %%
plot_train_val({f"LSTM({UNITS})": history.history}, metrics=("loss",),
               title="cross-entropy per character (nats)")
plt.show()

# %% [markdown]
# ### Sampling with a temperature
#
# To write, the model's logits $z$ for the next character become probabilities, and a character is
# drawn from them. The **temperature (온도)** $T$ divides the logits first:
#
# $$p_k = \frac{e^{z_k / T}}{\sum_j e^{z_j / T}}.$$
#
# $T = 1$ samples from the model's own distribution. $T < 1$ sharpens it towards the most likely
# character (as $T \to 0$ it becomes the argmax, always the same choice); $T > 1$ flattens it
# towards uniform. Here is the model's next-character distribution after "To be, or not to b" at
# three temperatures:

# %%
TEMPERATURES = (0.2, 0.5, 1.0)
prime = "To be, or not to b"
p = next_char_probabilities(char_model, vocab, prime, TEMPERATURES)
top = np.argsort(p[-1])[::-1][:8]
fig, ax = plt.subplots(figsize=(7, 3))
for k, temp in enumerate(TEMPERATURES):
    ax.bar(np.arange(len(top)) + 0.27 * (k - 1), p[k, top], width=0.27, label=f"T = {temp}")
ax.set_xticks(np.arange(len(top)), [repr(vocab.chars[j]) for j in top])
ax.set(ylabel="probability", title=f"next character after {prime!r}"); ax.legend()
plt.show()

# %% [markdown]
# Generating one character needs one step of the LSTM, not a pass over the whole text so far:
# `utils.text.CharSampler` steps the LSTM's cell by hand, carrying $h$ and $c$ along, and compiles
# the whole loop with `tf.function` into one TensorFlow graph. Measured by the course's benchmark on a
# 2-core machine without a GPU (yours will differ; the ratios are what matter):
# about 0.15 ms per character for three samples side by side, against about 9 ms when the same
# steps run eagerly from Python, and 75 ms with a plain model call on the whole text so far for
# every new character (which gets slower still as the text grows). One sample per temperature,
# from the same start:

# %%
sampler = CharSampler(char_model, vocab)
N_CHARS = 200 if FAST else 500
for temp, sample in zip(TEMPERATURES, sampler.sample("ROMEO:\n", N_CHARS, TEMPERATURES, seed=1)):
    print(f"---- temperature {temp} ----\nROMEO:\n{sample}\n")

# %% [markdown]
# In the full mode (LSTM(256), windows of 100 characters, batches of 64, the whole text) the run
# here went on for **24 epochs** (3,768 steps) before early stopping ended it, the best being epoch
# 22: **16.7 minutes** of training on a 2-core CPU that other jobs were using too, and a best
# validation loss of **1.572 nats per character**, against 4.17 for guessing. Its sample at
# temperature 0.5:
#
# ```
# ROMEO:
# She had their son of the brother's sorry,
# There is heart that love thee not so we must
# think here will stand upon the like of grace
# That I do not report of his house,
# And the duke of my soul with his processions.
#
# LEONTES:
# Then she is a man and live and friend,
# And dead of all their good man in the princes.
# The princes be not send me happy down him.
#
# KING RICHARD III:
# And all him of the three for a grace,
# And so so stand and uncle state of the news.
# ```
#
# It has learnt the layout of a play (names in capitals followed by a colon, lines of verse, a blank
# line between speeches), English words and spelling, some grammar, and the names of the corpus'
# characters; it has not learnt meaning. At temperature 0.2 it repeats its most likely phrases ("the
# princes of the ..." over and over); at 1.0 it makes up words ("tengrous", "youners").
# (The short mode, run by the tests, trains for a few hundred steps on a slice of the text and
# prints mostly gibberish.)

# %% [markdown] nbgrader={"grade_id": "q_temperature", "grade": true, "solution": true, "points": 2}
# **Question.** (a) What does sampling become as $T \to 0$ and as $T \to \infty$, and why do the
# samples at $T = 0.2$ repeat themselves? (b) The validation loss is the cross-entropy of the
# model's distribution at $T = 1$. Why is that the number to compare models by, even though the
# text you like best may come from $T = 0.5$?
#
# ### BEGIN SOLUTION
# (a) As T -> 0, z / T blows up the gaps between the logits, so the largest logit takes all the
# probability: sampling becomes the argmax (greedy decoding), deterministic. As T -> infinity all
# z / T go to 0 and every character gets probability 1 / 65: uniform noise. At T = 0.2 the model
# almost always picks its most likely next character; a sequence of most-likely choices easily
# runs into a loop ("the the the", a common phrase again and again), since after the same recent
# context it makes the same choice again, and nothing random pulls it out.
# (b) The loss measures how well the model's probabilities match what actually comes next in text
# it has not seen: it judges the whole distribution, every character's probability, which is what
# the model is for. The temperature is a choice made afterwards, when generating, and it can be
# applied to any model; it trades diversity for safety and does not make the model know more.
# The samples one likes at T = 0.5 are the better, the better the underlying distribution is.
# ### END SOLUTION

# %% [markdown]
# ## 8. Bidirectional and deep RNNs
#
# An RNN reading left to right knows, at step $t$, only $x_1, \dots, x_t$. When the whole sequence
# is available at once (a sentence to classify, not text being written), the future is as
# informative as the past. A **bidirectional RNN (양방향 RNN)** runs two RNNs, one forwards and one
# backwards over the sequence, and concatenates their states: at every step it sees both sides,
# and its final states remember both ends of the sequence well. In Keras it is a wrapper,
# `keras.layers.Bidirectional(keras.layers.SimpleRNN(16))`, with twice the units and twice the weights.
#
# A task where that helps, with data we generate: sequences of 60 random bits, and the question
# "is the last bit the same as the first?" (half the sequences are made so that it is). The bits in
# between are noise, and either end alone tells nothing: whatever the first bit is, the last one
# matches it in half of the sequences. A forward RNN has to carry the first bit through 59 steps of
# noise — what section 6 found hard — while the backward half of a bidirectional RNN reads it last.
# The two models differ only in their recurrent layer, `SimpleRNN(32)` against
# `Bidirectional(SimpleRNN(16))`, 32 recurrent units each in all (the one-directional model even
# has more weights: one $32 \times 32$ recurrent matrix against two of $16 \times 16$). Both read
# each bit as a learned vector of 8 numbers (an embedding, as in section 7) and end with a dense
# layer of 64 ReLU units that compares the two ends (equality of two bits is an XOR, which needs a
# hidden layer, notebook 01). The task, the models and their training are in
# `utils/sequence_tasks.py`, so that the course's tests run exactly this experiment on other seeds.

# %%
task = DIRECTION_TASK["fast" if FAST else "full"]
print(task)
for bits, label in zip(*first_equals_last(6, task.length, seed=0)):
    print("".join(map(str, bits)), "label", label)       # 1: the last bit equals the first
for name, make_recurrent in RECURRENT.items():
    print(f"{name:30s} {sequence_classifier(make_recurrent).count_params():5d} weights in all")

# %%
bi_runs, test_accuracy = compare_directions(task, seed=0, verbose=VERBOSE)

# %%
plot_train_val(bi_runs, metrics=("accuracy",), title="is the last bit the same as the first? (training)")
plt.show()
for name, h in bi_runs.items():
    print(f"{name:30s} after {len(h['accuracy'])} epochs: training accuracy {h['accuracy'][-1]:.3f}, "
          f"test accuracy {test_accuracy[name]:.3f} ({task.n_test} new sequences)")

# %% [markdown]
# The bidirectional model's test accuracy ends well above the one-directional model's, which stays
# near the 50 % of guessing; the numbers printed above are your run's. The course ran the same code
# on other seeds (of the data and the initial weights). In the short mode, the tests' run of 2,000
# sequences and 3 epochs, over 10 seeds: the bidirectional model reached a test accuracy of 1.000
# every time and the one-directional RNN stayed between 0.47 and 0.53. In the full mode (10,000
# sequences, 10 epochs), over 13 seeds: the bidirectional model reached 1.000 every time, most of
# the way within its first epoch; the one-directional RNN stayed between 0.48 and 0.52 on 12 of
# them, but on one it did find the first bit, in its fourth epoch, and reached 1.000 as well.
#
# So a vanishing gradient makes a long dependency hard to learn, not impossible. Adam scales every
# weight's step by the size of that weight's recent gradients, so even a small gradient that keeps
# pointing the same way moves the weights. In trial runs with a larger learning rate (0.01) the
# one-directional RNN found the first bit on 3 of 10 seeds with sequences of 40 bits (3,000 of them,
# 3 epochs), and on 1 of 6 with 80 bits (10,000, 10 epochs); hence the 60 bits and the learning
# rate of 0.003 here. The other remedy is section 5's: an LSTM, whose gradient survives many more
# steps (section 6). Try it, and compare how many epochs each needs:
# `compare_directions(task, contenders={"LSTM(32)": lambda keras: keras.layers.LSTM(32)})`.
#
# **Deep RNNs (심층 RNN).** Stacking recurrent layers works like stacking dense layers: every layer
# but the last returns its whole sequence (`return_sequences=True`) so the next one has a sequence
# to read. The notes' deep bidirectional RNN, two bidirectional layers, looks like this in Keras:

# %%
deep = keras.Sequential([keras.Input((task.length,), dtype="int32"), keras.layers.Embedding(2, 8),
                         keras.layers.Bidirectional(keras.layers.SimpleRNN(16, return_sequences=True)),
                         keras.layers.Bidirectional(keras.layers.SimpleRNN(16)),
                         keras.layers.Dense(1, activation="sigmoid")])
for layer in deep.layers:
    print(f"{layer.name:28s} output {str(layer.output.shape):14s} {layer.count_params():5d} weights")

# %% [markdown] nbgrader={"grade_id": "q_bidirectional", "grade": true, "solution": true, "points": 2}
# **Question.** (a) Why does the bidirectional model learn "first = last" so much faster than the
# one-directional RNN with the same number of units? (b) Could you make the character language model
# of section 7 bidirectional to lower its loss? What would go wrong, in training and when writing text?
#
# ### BEGIN SOLUTION
# (a) The answer depends on the two ends of the sequence. The forward RNN's final state has just read
# the last bit, and the backward RNN's final state has just read the first one: each end is at most
# one step away from the state that the classifier reads, so the gradient that teaches the network to
# store the bit does not have to travel back through 59 steps (where, as in section 6, it vanishes).
# The one-directional RNN must carry the first bit through all 59 noisy steps, and it gets almost
# no gradient telling it to.
# (b) No. At position t the backward RNN has read x_{t+1}, ..., x_T, and x_{t+1} is the very character
# the model must predict at t: the training loss would drop towards 0 by copying it, a model that
# cheats and learns nothing usable. When writing text the future does not exist yet, so the backward
# direction would have nothing to read. A language model must be causal (the check of char_lstm_model
# tests exactly that); bidirectional layers are for tasks where the whole input is known, e.g.
# classifying or tagging a finished sentence.
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# - An RNN applies one cell at every time step, $h_t = \tanh(x_t W_x + h_{t-1} W_h + b)$, with the
#   same weights at every step; unrolled over $T$ steps it is a $T$-layer network. Inputs are
#   $(N, T, D)$; many-to-one keeps $h_T$, many-to-many every $h_t$.
# - A backward pass is derived, not memorised: name the intermediate values, draw the graph, and walk
#   it backwards with each node's local rule (add distributes, multiply swaps, a variable used
#   several times sums its gradients, an elementwise function multiplies by its derivative), letting
#   the shapes pick the arrangement of every product.
# - BPTT: the gradient of $h_t$ is its own upstream gradient plus what step $t + 1$ sends back, and
#   the shared weights' gradients are summed over the steps.
# - Backpropagated through many steps, the vanilla RNN's gradient is a product of similar factors:
#   it vanishes (or explodes) geometrically. Clipping handles explosion.
# - The LSTM adds a cell state, updated as $c = f \odot c_{\text{prev}} + i \odot g$ under sigmoid gates
#   (here in the order $i, f, o, g$; Keras stores $i, f, g, o$). Its gradient path
#   $dc_{\text{prev}} = dc_{\text{total}} \odot f$ keeps the gradient alive when $f \approx 1$.
# - A character-level language model is a many-to-many LSTM trained with the cross-entropy of the next
#   character; it writes by sampling from $\operatorname{softmax}(z / T)$, one character at a time.
# - Bidirectional RNNs read both ways, for tasks where the whole sequence is known; deep RNNs stack
#   layers that return sequences.

# %% [markdown]
# Before you hand in: run every visible check of this notebook at once.

# %%
from utils.checks import check_all
check_all();
