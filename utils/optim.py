"""Helpers for notebook 06 (optimizers): running an update rule, Keras references, 2-D test
functions with contour plots of trajectories, and a small MLP whose gradients come from TensorFlow.

The course's update rules share one API (CS231n's, in our own code):

    next_w, config = rule(w, dw, config=None)

`w` is a parameter array and `dw` the gradient of the loss with respect to it. `config` is a dict
that holds the rule's hyper-parameters (`learning_rate`, `momentum`, `rho`, `beta_1`, ... with
Keras' names) *and* its state between calls (a velocity, an accumulator, Adam's moments and step
count). The rule fills in missing hyper-parameters with their defaults, updates its state and
returns the dict; the caller passes that dict back in on the next step. Every parameter array
gets a config of its own, since the state has the parameter's shape.

Nothing here implements an update rule or a schedule: the references (`keras_trajectory`,
`keras_cosine_decay`) are declared here by their signatures only, and computed by the instructor's
side (`utils.checks.references`).
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Callable, Mapping

import matplotlib.pyplot as plt
import numpy as np

from .checks.core import CheckFailure
from .checks.references import reference

#: each rule's hyper-parameters and their defaults: Keras 3's defaults for the same optimizer
#: (`sgd_momentum` is `keras.optimizers.SGD(momentum=0.9)`; Keras' own default momentum is 0)
DEFAULTS: dict[str, dict[str, float]] = {
    "sgd": {"learning_rate": 0.01},
    "sgd_momentum": {"learning_rate": 0.01, "momentum": 0.9},
    "adagrad": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
    "rmsprop": {"learning_rate": 0.001, "rho": 0.9, "epsilon": 1e-7},
    "adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
}
RULES = tuple(DEFAULTS)


# ---- running an update rule --------------------------------------------------------------------

def rollout(rule: Callable, w0, grads, config=None, learning_rates=None) -> np.ndarray:
    """Apply `rule` once per gradient in `grads`, passing its config from step to step.

    Returns the trajectory, an array of shape (len(grads) + 1, *w0.shape): w0, then w after each
    step. With `learning_rates`, `config["learning_rate"]` is set to `learning_rates[k]` before
    step k (that is how a learning-rate schedule drives an update rule).
    """
    name = getattr(rule, "__name__", "the update rule")
    w = np.array(w0, dtype=np.float64)
    path = [w.copy()]
    for k, dw in enumerate(grads):
        if learning_rates is not None:
            config = {} if config is None else config
            config["learning_rate"] = float(learning_rates[k])
        out = rule(w, np.array(dw, dtype=np.float64), config)
        if not isinstance(out, tuple) or len(out) != 2:
            kind = f"a tuple of {len(out)}" if isinstance(out, tuple) else type(out).__name__
            raise CheckFailure(f"{name} should return (next_w, config), got {kind} at step {k + 1}")
        w, config = out
        if not isinstance(config, dict):
            raise CheckFailure(f"{name} should return its config dict as the second value, got "
                               f"{type(config).__name__} at step {k + 1}")
        w = np.asarray(w)
        if w.shape != np.shape(w0):
            raise CheckFailure(f"{name} returned next_w of shape {w.shape} at step {k + 1}, "
                               f"expected {np.shape(w0)} (the shape of w)")
        path.append(np.array(w, dtype=np.float64))  # a copy: a rule may update w in place
    return np.stack(path)


def run_on_function(rule: Callable, fn: "TestFunction", steps: int, config=None, start=None) -> np.ndarray:
    """Minimise a 2-D test function from its start point: the trajectory, (steps + 1, 2)."""
    w = np.array(fn.start if start is None else start, dtype=np.float64)
    config = dict(config or {})
    path = [w.copy()]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            w, config = rule(w, fn.grad(w), config)
            path.append(np.array(w, dtype=np.float64))
            if not np.all(np.isfinite(w)) or np.max(np.abs(w)) > 1e6:   # diverged: stop there
                break
    return np.stack(path)


# ---- the references: keras.optimizers ------------------------------------------------------------

def hyperparameters(rule: str, config: Mapping | None = None) -> dict[str, float]:
    """The rule's hyper-parameters: its defaults, overridden by those given in `config`."""
    defaults = DEFAULTS[rule]
    return {k: float((config or {}).get(k, v)) for k, v in defaults.items()}


# `keras.optimizers` and `keras.optimizers.schedules.CosineDecay` on the exercises' inputs: computed on
# the instructor side (autograder/references/optim.py); a student's kernel has their values for the
# visible checks' inputs only.

@reference
def keras_trajectory(rule: str, w0, grads, config: Mapping | None = None, *, learning_rates=None,
                     float64: bool = True) -> np.ndarray:
    """What `keras.optimizers` does with the same gradients: the trajectory (len(grads) + 1, *w0.shape)."""


@reference
def keras_cosine_decay(steps, initial_learning_rate, decay_steps, alpha=0.0, warmup_steps=0,
                       warmup_target=None) -> np.ndarray:
    """`keras.optimizers.schedules.CosineDecay` evaluated (in float64) at each of `steps`."""


def keras_exponential_decay(steps, initial_learning_rate, decay_steps, decay_rate, staircase=False) -> np.ndarray:
    """`keras.optimizers.schedules.ExponentialDecay` (staircase=True is step decay) at each of `steps`.

    Computed live everywhere: the notebook's comparison of schedules uses it, and no exercise asks
    for an exponential or step decay."""
    import keras
    f64 = np.float64
    schedule = keras.optimizers.schedules.ExponentialDecay(
        f64(initial_learning_rate), decay_steps, f64(decay_rate), staircase=staircase)
    return np.array([float(schedule(f64(s))) for s in np.atleast_1d(steps)])


def _random_problem(rule: str, rng: np.random.Generator, steps: int):
    """A random shape, random hyper-parameters and a random gradient sequence for `rule`."""
    shape = tuple(int(n) for n in rng.integers(1, 6, size=int(rng.integers(1, 4))))
    ranges = {"learning_rate": (1e-3, 1e-1, True), "momentum": (0.5, 0.99, False), "rho": (0.5, 0.99, False),
              "beta_1": (0.5, 0.99, False), "beta_2": (0.9, 0.9999, False), "epsilon": (1e-8, 1e-4, True),
              "initial_accumulator_value": (0.0, 1.0, False)}
    config = {}
    for k in DEFAULTS[rule]:
        low, high, log = ranges[k]
        config[k] = float(10 ** rng.uniform(math.log10(low), math.log10(high)) if log else rng.uniform(low, high))
    scale = 10 ** rng.uniform(-3, 1)
    return rng.standard_normal(shape), rng.standard_normal((steps, *shape)) * scale, config


def agreement_with_keras(rules: Mapping[str, Callable], *, steps: int = 100, problems: int = 3, seed: int = 0,
                         keras_path: Callable | None = None):
    """How closely each update rule follows `keras.optimizers` on the same gradients.

    `rules` maps a rule name (a key of DEFAULTS) to its function. Over `problems` random problems
    (shapes, hyper-parameters, gradient scales) of `steps` steps, returns one row per rule:
    (name, max |w - w_keras|, max relative error of w_t - w_0 at any step, the same relative error
    against Keras built with plain Python floats, i.e. float32 hyper-parameters).

    `keras_path(rule, w0, grads, config, float64=...)` returns Keras' trajectory (the notebook
    passes one of its own; by default `keras_trajectory`, which only the instructor's side computes
    for inputs other than the visible checks').
    """
    keras_path = keras_trajectory if keras_path is None else keras_path
    from .gradcheck import rel_error
    rows = []
    for name, rule in rules.items():
        rng = np.random.default_rng([seed, RULES.index(name)])
        worst = [0.0, 0.0, 0.0]
        for _ in range(problems):
            w0, grads, config = _random_problem(name, rng, steps)
            ours = rollout(rule, w0, grads, dict(config))
            for i, float64 in ((1, True), (2, False)):
                ref = keras_path(name, w0, grads, config, float64=float64)
                rel = max(rel_error(ours[t] - w0, ref[t] - w0) for t in range(1, steps + 1))
                worst[i] = max(worst[i], rel)
                if float64:
                    worst[0] = max(worst[0], float(np.max(np.abs(ours - ref))))
        rows.append((name, *worst))
    return rows


# ---- 2-D test functions --------------------------------------------------------------------------

@dataclass(frozen=True)
class TestFunction:
    """A 2-D function to minimise, with its gradient, a start point and its minimum."""
    name: str
    f: Callable[[np.ndarray, np.ndarray], np.ndarray]
    gradient: Callable[[float, float], tuple]
    start: tuple
    minimum: tuple
    xlim: tuple
    ylim: tuple

    __test__ = False  # not a pytest class

    def __call__(self, w) -> float:
        return float(self.f(np.float64(w[0]), np.float64(w[1])))

    def grad(self, w) -> np.ndarray:
        return np.array(self.gradient(float(w[0]), float(w[1])), dtype=np.float64)


#: an elongated bowl: 10 times steeper across (y) than along (x); condition number 100
VALLEY = TestFunction(
    "valley  f = x²/20 + 5y²",
    lambda x, y: x ** 2 / 20 + 5 * y ** 2,
    lambda x, y: (x / 10, 10 * y),
    start=(-9.0, 1.2), minimum=(0.0, 0.0), xlim=(-10, 2), ylim=(-1.6, 1.6))

#: Rosenbrock's banana: a curved, nearly flat valley floor leading to the minimum at (1, 1)
ROSENBROCK = TestFunction(
    "Rosenbrock  f = (1 - x)² + 100 (y - x²)²",
    lambda x, y: (1 - x) ** 2 + 100 * (y - x ** 2) ** 2,
    lambda x, y: (-2 * (1 - x) - 400 * x * (y - x ** 2), 200 * (y - x ** 2)),
    start=(-1.2, 1.0), minimum=(1.0, 1.0), xlim=(-1.6, 1.6), ylim=(-0.6, 1.6))


def plot_trajectories(fn: TestFunction, trajectories: Mapping[str, np.ndarray], *, ax=None,
                      title: str | None = None, markers: bool = True):
    """Contours of `fn` (log-spaced levels) with one optimizer trajectory per entry."""
    ax = ax or plt.gca()
    x = np.linspace(*fn.xlim, 300)
    y = np.linspace(*fn.ylim, 300)
    X, Y = np.meshgrid(x, y)
    Z = fn.f(X, Y)
    low = max(Z.min(), 1e-3)
    ax.contour(X, Y, Z, levels=np.geomspace(low, Z.max(), 18), cmap="Greys", linewidths=0.7, alpha=0.8)
    for name, path in trajectories.items():
        path = np.asarray(path)
        ax.plot(path[:, 0], path[:, 1], "-", marker="." if markers else None, markersize=3,
                linewidth=1.3, label=f"{name} ({len(path) - 1} steps)")
    ax.plot(*fn.start, "ko", markersize=5)
    ax.plot(*fn.minimum, "k*", markersize=12)
    ax.set(xlim=fn.xlim, ylim=fn.ylim, xlabel="$x$", ylabel="$y$", title=title or fn.name)
    ax.legend(fontsize=8, loc="upper right")
    return ax


def plot_losses(curves: Mapping[str, np.ndarray], *, ax=None, xlabel: str = "step", ylabel: str = "loss",
                title: str | None = None, logy: bool = True, smooth: int = 1, every: int = 1):
    """Loss curves on one axis (log scale by default); `smooth` > 1 adds a moving average.

    Value i is plotted at step i, or at step (i + 1) * every when values were recorded every
    `every` steps (`every` > 1).
    """
    ax = ax or plt.gca()
    for name, values in curves.items():
        values = np.asarray(values, dtype=np.float64)
        steps = np.arange(len(values)) if every == 1 else np.arange(1, len(values) + 1) * every
        if smooth > 1 and len(values) >= smooth:
            line, = ax.plot(steps, values, alpha=0.15, linewidth=0.8)
            kernel = np.ones(smooth) / smooth
            ax.plot(steps[smooth - 1:], np.convolve(values, kernel, mode="valid"), color=line.get_color(),
                    label=name)
        else:
            ax.plot(steps, values, label=name)
    if logy:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


# ---- a small MLP on real data, gradients from TensorFlow ------------------------------------------

class FashionMLP:
    """A one-hidden-layer ReLU network with a softmax cross-entropy loss on a subset of Fashion-MNIST.

    The parameters are plain numpy (float32) arrays in a dict, so a numpy update rule can train
    them; the loss and its gradients come from TensorFlow's autodiff. `n_train` training and
    `n_val` validation images are drawn (with `seed`) from Fashion-MNIST's 60,000 training images;
    the test set is left alone.
    """

    def __init__(self, n_train: int = 4000, n_val: int = 1000, hidden: int = 64, seed: int = 0):
        sizes = {"n_train": n_train, "n_val": n_val, "hidden": hidden, "seed": seed}
        wrong = [f"{k}={v!r}"[:60] for k, v in sizes.items() if not isinstance(v, numbers.Integral) or v < 0]
        if wrong:   # (before reading the data set)
            raise TypeError(f"FashionMLP takes non-negative whole numbers; got {', '.join(wrong)}")
        from .data import load_fashion_mnist
        (x, y), _ = load_fashion_mnist()
        order = np.random.default_rng(seed).permutation(len(y))[: n_train + n_val]
        X = (x[order].reshape(len(order), -1) / 255.0).astype(np.float32)
        X -= X[:n_train].mean(axis=0)
        self.X_train, self.y_train = X[:n_train], y[order[:n_train]].astype(np.int64)
        self.X_val, self.y_val = X[n_train:], y[order[n_train:]].astype(np.int64)
        self.sizes = (X.shape[1], hidden, 10)
        self._grad_fn = None

    def init_params(self, seed: int = 0) -> dict[str, np.ndarray]:
        """He-initialised weights (std sqrt(2 / fan_in)) and zero biases, float32."""
        rng = np.random.default_rng(seed)
        d, h, c = self.sizes
        return {"W1": (rng.standard_normal((d, h)) * math.sqrt(2 / d)).astype(np.float32),
                "b1": np.zeros(h, np.float32),
                "W2": (rng.standard_normal((h, c)) * math.sqrt(2 / h)).astype(np.float32),
                "b2": np.zeros(c, np.float32)}

    @staticmethod
    def _loss(tf, params, X, y, l2):
        W1, b1, W2, b2 = params
        scores = tf.nn.relu(X @ W1 + b1) @ W2 + b2
        data = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=scores))
        return data + 0.5 * l2 * (tf.reduce_sum(W1 * W1) + tf.reduce_sum(W2 * W2))

    def _build(self):
        from .autodiff import _tf
        tf = _tf()

        @tf.function(reduce_retracing=True)
        def loss_and_grads(W1, b1, W2, b2, X, y, l2):
            params = [W1, b1, W2, b2]
            with tf.GradientTape() as tape:
                tape.watch(params)
                loss = self._loss(tf, params, X, y, l2)
            return loss, tape.gradient(loss, params)

        @tf.function(reduce_retracing=True)
        def loss_only(W1, b1, W2, b2, X, y):
            return self._loss(tf, [W1, b1, W2, b2], X, y, 0.0)

        self._tf, self._grad_fn, self._loss_fn = tf, loss_and_grads, loss_only

    def loss_and_grads(self, params: dict, idx, l2: float = 0.0):
        """Mean cross-entropy (+ l2/2 * ||W||²) of the training examples `idx`, and its gradients."""
        if self._grad_fn is None:
            self._build()
        tf = self._tf
        W1, b1, W2, b2 = (np.asarray(params[k], dtype=np.float32) for k in ("W1", "b1", "W2", "b2"))
        loss, grads = self._grad_fn(W1, b1, W2, b2, self.X_train[idx], self.y_train[idx],
                                    tf.constant(l2, tf.float32))
        return float(loss), {k: g.numpy() for k, g in zip(("W1", "b1", "W2", "b2"), grads)}

    def loss(self, params: dict, split: str = "val") -> float:
        """Mean cross-entropy (no penalty) on the validation (or whole training) set."""
        if self._grad_fn is None:
            self._build()
        X, y = (self.X_val, self.y_val) if split == "val" else (self.X_train, self.y_train)
        W1, b1, W2, b2 = (np.asarray(params[k], dtype=np.float32) for k in ("W1", "b1", "W2", "b2"))
        return float(self._loss_fn(W1, b1, W2, b2, X, y))

    def accuracy(self, params: dict, split: str = "val") -> float:
        X, y = (self.X_val, self.y_val) if split == "val" else (self.X_train, self.y_train)
        with np.errstate(all="ignore"):
            scores = np.maximum(X @ params["W1"] + params["b1"], 0) @ params["W2"] + params["b2"]
        return float(np.mean(scores.argmax(axis=1) == y))

    def batches(self, batch_size: int, seed: int = 0):
        """Mini-batches of training indices forever: each epoch a fresh shuffle."""
        rng = np.random.default_rng(seed)
        n = len(self.y_train)
        while True:
            order = rng.permutation(n)
            for i in range(0, n - batch_size + 1, batch_size):
                yield order[i:i + batch_size]
