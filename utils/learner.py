"""A small fastai-style learner over Keras (notebook 10): layer groups that freeze and unfreeze,
a learning rate per group, a schedule applied at every step, a learning-rate finder, and the
plots fastai shows (the finder's curve, the schedule, top losses, results).

    learn = Learner(model, dls, schedule=one_cycle_lr)   # dls: utils.data.DataLoaders
    learn.lr_find()
    learn.freeze()                       # train only the last group (the new head)
    learn.fit(1, 2e-3, pct_start=0.99)   # keyword arguments go to the schedule
    learn.unfreeze()
    learn.fit(2, [1e-5, 1e-4, 1e-3])     # one learning rate per layer group, early layers lowest

Everything is Keras underneath: `fit` is `keras.Model.fit` (callbacks, validation, metrics), the
optimizers are `keras.optimizers`, progress is `keras.utils.Progbar`. What Keras lacks is a
learning rate per layer group. Scaling a group's gradients would not do it (Adam divides the scale
away again), so every group gets an optimizer of its own and the training step hands each group's
gradients to its optimizer.

By design there is no schedule and no `fine_tune` here: notebook 10's students write
`one_cycle_lr` (the schedule's values) and `fine_tune` (freeze, fit, unfreeze, fit with
discriminative learning rates); the learner runs whatever schedule it is given.
"""
from __future__ import annotations

import math
import time
from typing import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

#: momentum hyper-parameter of each optimizer whose momentum a schedule may cycle
_MOMENTUM_ATTR = {"Adam": "beta_1", "AdamW": "beta_1", "Adamax": "beta_1", "Nadam": "beta_1",
                  "SGD": "momentum"}


class ErrorRate(keras.metrics.SparseCategoricalAccuracy):
    """fastai's `error_rate`: the fraction of wrong predictions, 1 - accuracy (integer labels,
    scores or probabilities as predictions)."""

    def __init__(self, name: str = "error_rate", **kwargs):
        super().__init__(name=name, **kwargs)

    def result(self):
        return 1.0 - super().result()


def device_summary() -> str:
    """Where Keras will train: the GPUs TensorFlow sees, or the CPU."""
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        return f"GPU: {', '.join(g.name for g in gpus)} (TensorFlow places the model there by itself)"
    return ("CPU only. On Colab: Runtime > Change runtime type > T4 GPU, then run the notebook again "
            "from the top.")


# ---- layer groups ---------------------------------------------------------------------------------

def _has_weights(layer) -> bool:
    return bool(layer.weights)


def find_backbone(model):
    """The model's pretrained body: the nested `keras.Model` layer holding the most weights."""
    nested = [l for l in model.layers if isinstance(l, keras.Model)]
    if not nested:
        return None
    return max(nested, key=lambda l: sum(int(np.prod(v.shape)) for v in l.weights))


def layer_groups(model, n_body: int = 2) -> list[list]:
    """Split `model` into layer groups, first layers first: the backbone's layers with weights cut
    into `n_body` consecutive parts, then the head (every other layer with weights). Like fastai's
    split of a ResNet into two body groups and the head."""
    backbone = find_backbone(model)
    if backbone is None:
        raise ValueError("the model has no nested backbone (a keras.Model used as a layer): "
                         "give the learner its layer groups explicitly")
    body = [l for l in backbone.layers if _has_weights(l)]
    if len(body) < n_body:
        raise ValueError(f"the backbone has {len(body)} layers with weights, fewer than n_body={n_body}")
    cuts = np.linspace(0, len(body), n_body + 1).round().astype(int)
    groups = [body[a:b] for a, b in zip(cuts[:-1], cuts[1:])]
    groups.append([l for l in model.layers if l is not backbone and _has_weights(l)])
    return groups


# ---- the learner ----------------------------------------------------------------------------------

class _Trainer(keras.Model):
    """The network, trained with one optimizer per layer group (see the module docstring)."""

    def __init__(self, net, learner):
        super().__init__(name=f"{net.name}_trainer")
        self.net = net
        object.__setattr__(self, "_learner", learner)   # not a tracked attribute

    def call(self, x, training=False):
        return self.net(x, training=training)

    def train_step(self, data):
        x, y = data[0], data[1]
        with tf.GradientTape() as tape:
            y_pred = self.net(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
        routes = self._learner._trainable_routes()
        variables = [v for _, vs in routes for v in vs]
        grads = tape.gradient(loss, variables)
        start = 0
        for opt, vs in routes:
            opt.apply(grads[start:start + len(vs)], vs)
            start += len(vs)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss, sample_weight=tf.shape(y)[0])
        logs = dict(self.compute_metrics(x, y, y_pred))
        logs["batch_loss"] = loss
        return logs


class Recorder:
    """Per step: every group's learning rate, the momentum and the batch loss; per epoch: losses
    and metrics (training and validation), and how long the epoch took."""

    def __init__(self):
        self.lrs: list[list[float]] = []
        self.moms: list[float | None] = []
        self.losses: list[float] = []
        self.epochs: list[dict] = []

    def plot_sched(self, ax=None):
        import matplotlib.pyplot as plt
        if ax is None:
            _, ax = plt.subplots(1, 2, figsize=(11, 3.2))
        lrs = np.array(self.lrs)
        for g in range(lrs.shape[1] if lrs.size else 0):
            ax[0].plot(lrs[:, g], label=f"group {g}")
        ax[0].set(xlabel="step", ylabel="learning rate", yscale="log", title="learning rate per group")
        ax[0].legend(fontsize=8)
        moms = [m for m in self.moms if m is not None]
        ax[1].plot(moms)
        ax[1].set(xlabel="step", ylabel="momentum (beta_1)", title="momentum")
        return ax

    def plot_loss(self, ax=None):
        import matplotlib.pyplot as plt
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.4))
        ax.plot(self.losses, alpha=0.5, label="training loss (per batch)")
        ends = np.cumsum([e["steps"] for e in self.epochs]) - 1
        val = [e.get("val_loss") for e in self.epochs]
        if any(v is not None for v in val):
            ax.plot(ends, val, "o-", label="validation loss")
        ax.set(xlabel="step", ylabel="loss")
        ax.legend()
        return ax


class _StepControl(keras.callbacks.Callback):
    """Sets each group's learning rate (and the momentum) before every batch, records them with
    the batch loss, shows a Keras progress bar per epoch and fastai's one line per epoch."""

    def __init__(self, learner, values: Callable[[int], tuple[list, float | None]], total: int,
                 steps_per_epoch: int, show: bool, stop_div: float | None = None):
        super().__init__()
        self.learner, self.values, self.total, self.spe, self.show = learner, values, total, steps_per_epoch, show
        self.stop_div, self.best = stop_div, math.inf
        self.avg = 0.0          # running average of the batch losses (for stop_div)
        self.step = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.t0 = time.perf_counter()
        self.epoch_steps = 0
        self.bar = keras.utils.Progbar(self.spe, stateful_metrics=["loss"]) if self.show else None

    def on_train_batch_begin(self, batch, logs=None):
        lrs, mom = self.values(self.step)
        for opt, lr in zip(self.learner.optimizers, lrs):
            opt.learning_rate.assign(float(lr))
            if mom is not None and self.learner._momentum_vars.get(id(opt)) is not None:
                self.learner._momentum_vars[id(opt)].assign(float(mom))
        rec = self.learner.recorder
        rec.lrs.append([float(lr) for lr in lrs])
        rec.moms.append(None if mom is None else float(mom))

    def on_train_batch_end(self, batch, logs=None):
        loss = float(logs["batch_loss"])
        self.learner.recorder.losses.append(loss)
        self.step += 1
        self.epoch_steps += 1
        if self.bar is not None:
            self.bar.update(self.epoch_steps, [("loss", float(logs["loss"]))])
        if self.stop_div is not None:
            # fastai's rule, on the running average (a debiased EWMA, beta 0.98) rather than the
            # batch loss: one lucky batch near 0 would otherwise end the sweep early
            self.avg = 0.98 * self.avg + 0.02 * loss
            smooth = self.avg / (1 - 0.98 ** self.step)
            self.best = min(self.best, smooth)
            if not math.isfinite(loss) or smooth > self.stop_div * self.best:
                self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items() if k != "batch_loss"}
        seconds = time.perf_counter() - self.t0
        self.learner.recorder.epochs.append({**logs, "steps": self.epoch_steps, "seconds": seconds})
        if self.show:
            cols = [("train_loss", logs.get("loss")), ("valid_loss", logs.get("val_loss"))]
            cols += [(k[4:], v) for k, v in logs.items() if k.startswith("val_") and k != "val_loss"]
            if epoch == 0:
                print("epoch  " + "  ".join(f"{name:>11}" for name, _ in cols) + "      time")
            print(f"{len(self.learner.recorder.epochs) - 1:>5}  "
                  + "  ".join(f"{v:>11.6f}" if v is not None else f"{'-':>11}" for _, v in cols)
                  + f"  {seconds:7.1f} s")


class Learner:
    """A Keras model, its data and its layer groups, trained fastai-style.

    model: a `keras.Model` whose pretrained body is a nested model (see `layer_groups`), or any
        model when `groups` is given.
    dls: `utils.data.DataLoaders` (`.train`, `.valid` datasets of (x, integer label) batches).
    schedule: called at every step as `schedule(step, total_steps, lr_max, **kwargs)` for every
        group, it returns the group's learning rate, or `(learning rate, momentum)`; the keyword
        arguments are those given to `fit`. None: a constant learning rate.
    groups: layer groups, first layers first (default: `layer_groups(model, n_body)`).
    opt_func: makes one group's optimizer from a learning rate (default Adam).
    loss, metrics: as `keras.Model.compile` (default: cross-entropy on logits, `error_rate`).
    run_eagerly: True, False, or "auto": a fit of fewer than `eager_below` steps runs eagerly,
        since compiling the training step into a graph costs more than it saves there (for
        MobileNetV2 on a CPU the first compiled step takes 15-70 s).
    train_bn: whether batch-normalization layers train when their group does. False (the default)
        keeps every batch norm frozen, so it stays in inference mode with its pretrained statistics:
        Keras' advice for fine-tuning. (Calling the backbone with `training=False` does not do that in
        Keras 3: `fit` calls the model with `training=True`, which overrides it.) fastai trains them;
        a network trained from scratch must (train_bn=True).
    """

    def __init__(self, model, dls, *, schedule: Callable | None = None, groups: Sequence | None = None,
                 n_body: int = 2, opt_func: Callable | None = None, loss=None, metrics=None,
                 run_eagerly="auto", eager_below: int = 30, train_bn: bool = False, verbose: bool = True):
        self.model, self.dls, self.schedule, self.verbose = model, dls, schedule, verbose
        self.train_bn = train_bn
        self.groups = [list(g) for g in (groups if groups is not None else layer_groups(model, n_body))]
        self.run_eagerly, self.eager_below = run_eagerly, eager_below
        self.recorder = Recorder()
        self.phases: list[dict] = []
        self.group_vars = self._all_group_variables()
        opt_func = opt_func or (lambda lr: keras.optimizers.Adam(learning_rate=lr))
        self.optimizers = [opt_func(1e-3) for _ in self.groups]
        self._momentum_vars = {}
        for opt in self.optimizers:
            attr = _MOMENTUM_ATTR.get(type(opt).__name__)
            value = getattr(opt, attr, None) if attr else None
            if isinstance(value, (int, float)) and value != 0:   # a variable, so a schedule can cycle it
                var = keras.Variable(float(value), trainable=False, name=attr, dtype="float32")
                setattr(opt, attr, var)
                self._momentum_vars[id(opt)] = var
        for opt, vs in zip(self.optimizers, self.group_vars):
            opt.build(vs)
        self.trainer = _Trainer(model, self)
        self.trainer.compile(optimizer=self.optimizers[-1],
                             loss=loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                             metrics=list(metrics) if metrics is not None else [ErrorRate()],
                             jit_compile=False)
        self._compiled_for = None

    # -- groups and freezing --

    @property
    def n_groups(self) -> int:
        return len(self.groups)

    def _all_layers(self):
        return list(self.model._flatten_layers(include_self=True, recursive=True))

    def _all_group_variables(self) -> list[list]:
        """Each group's weights that training may change (with every layer unfrozen)."""
        layers = self._all_layers()
        saved = [l.trainable for l in layers]
        for l in layers:
            l.trainable = True
        out = [[v for l in g for v in l.trainable_weights] for g in self.groups]
        for l, flag in zip(layers, saved):   # parents before children: each flag as it was
            l.trainable = flag
        return out

    def freeze_to(self, n: int) -> None:
        """Freeze groups 0 .. n-1 (n < 0 counts from the end), train the others."""
        n = n % self.n_groups if n < 0 else min(n, self.n_groups)
        # Every layer trainable, one by one: with TensorFlow, `layer.trainable = True` on a layer
        # that already says True returns early (Keras' tracking short-circuits `x.a = x.a`),
        # without reaching the sub-layers a freeze turned off.
        for layer in self._all_layers():
            layer.trainable = True
        for g in self.groups[:n]:              # ... then the frozen groups' layers not
            for layer in g:
                layer.trainable = False
        if not self.train_bn:                  # batch norms stay frozen: inference mode
            for layer in self._all_layers():
                if isinstance(layer, keras.layers.BatchNormalization):
                    layer.trainable = False

    def freeze(self) -> None:
        """Train only the last group (the head)."""
        self.freeze_to(-1)

    def unfreeze(self) -> None:
        """Train every group."""
        self.freeze_to(0)

    def trainable_groups(self) -> list[bool]:
        """For each group: does training change its weights now (any of them: frozen batch norms
        leave some out)?"""
        trainable = {id(v) for v in self.model.trainable_weights}
        return [any(id(v) in trainable for v in vs) for vs in self.group_vars]

    def _trainable_routes(self):
        trainable = {id(v) for v in self.model.trainable_weights}
        routes = []
        for opt, vs in zip(self.optimizers, self.group_vars):
            mine = [v for v in vs if id(v) in trainable]
            if mine:
                routes.append((opt, mine))
        return routes

    def _prepare(self, steps: int) -> None:
        """Recompile the training step when the trainable weights or the execution mode changed."""
        eager = self.run_eagerly if self.run_eagerly != "auto" else steps < self.eager_below
        key = (bool(eager), tuple(self.trainable_groups()))
        if key != self._compiled_for:
            changed_mode = self._compiled_for is None or self._compiled_for[0] != key[0]
            self.trainer.run_eagerly = bool(eager)
            self.trainer.make_train_function(force=True)
            if changed_mode:
                self.trainer.make_test_function(force=True)
                self.trainer.make_predict_function(force=True)
            self._compiled_for = key

    # -- learning rates --

    def group_lrs(self, lr) -> list[float]:
        """One learning rate per group: a number is used for every group, a sequence gives them."""
        if isinstance(lr, slice):
            raise TypeError("fastai's slice(lo, hi) is not taken here: give one learning rate per layer "
                            f"group, a list of {self.n_groups}")
        if np.ndim(lr) == 0:
            return [float(lr)] * self.n_groups
        lrs = [float(x) for x in np.asarray(lr, dtype=np.float64).ravel()]
        if len(lrs) != self.n_groups:
            raise ValueError(f"{len(lrs)} learning rates for {self.n_groups} layer groups")
        return lrs

    def _schedule_values(self, lrs, total, schedule, kwargs):
        def values(step):
            if schedule is None:
                return list(lrs), None
            out = [schedule(step, total, lr, **kwargs) for lr in lrs]
            if all(isinstance(o, tuple) for o in out):
                return [float(o[0]) for o in out], float(out[-1][1])
            return [float(o) for o in out], None
        return values

    # -- training --

    def fit(self, epochs: int, lr=1e-3, *, schedule: Callable | None = None, callbacks=(), **schedule_kwargs):
        """Train for `epochs` epochs. `lr`: one learning rate, or one per layer group (a group's
        peak rate under a one-cycle schedule). `schedule` (default: the learner's) gets the other
        keyword arguments. Returns the Keras History; `learn.phases[-1]` describes the run."""
        lrs = self.group_lrs(lr)
        schedule = schedule if schedule is not None else self.schedule
        spe = self.dls.steps_per_epoch
        total = int(epochs) * spe
        self._prepare(total)
        flags = self.trainable_groups()
        before = [[v.numpy().copy() for v in vs] for vs in self.group_vars]
        control = _StepControl(self, self._schedule_values(lrs, total, schedule, schedule_kwargs),
                               total, spe, self.verbose)
        t0 = time.perf_counter()
        history = self.trainer.fit(self.dls.train, validation_data=self.dls.valid, epochs=int(epochs),
                                   shuffle=False, verbose=0, callbacks=[control, *callbacks])
        changed = [any(not np.array_equal(b, v.numpy()) for b, v in zip(bs, vs))
                   for bs, vs in zip(before, self.group_vars)]
        self.phases.append({"epochs": int(epochs), "lrs": lrs, "trainable": flags, "changed": changed,
                            "schedule_kwargs": dict(schedule_kwargs), "steps": control.step,
                            "seconds": time.perf_counter() - t0})
        return history

    def lr_find(self, start_lr: float = 1e-7, end_lr: float = 10.0, num_it: int = 100,
                stop_div: bool = True, show_plot: bool = True) -> dict:
        """fastai's learning-rate finder: train `num_it` steps with the learning rate growing
        exponentially from `start_lr` to `end_lr` (the same for every group), stop once the running
        average of the loss exceeds 4x its minimum, then put the weights and optimizer state back as
        they were.

        Returns {"lrs", "raw_losses" (one per batch), "losses" (smoothed), "lr_min" (a tenth of the
        rate at the lowest smoothed loss), "lr_steep" (the rate where the smoothed loss falls fastest,
        on the descent into that minimum)} (see `lr_suggestions`) and plots loss against learning
        rate.
        """
        weights = [v.numpy().copy() for v in self.model.weights]
        opt_state = [[v.numpy().copy() for v in opt.variables] for opt in self.optimizers]
        sweep = np.geomspace(start_lr, end_lr, num_it)
        first, n_epochs = len(self.recorder.losses), len(self.recorder.epochs)
        self._prepare(num_it)
        control = _StepControl(self, lambda step: ([sweep[min(step, num_it - 1)]] * self.n_groups, None),
                               num_it, num_it, False, stop_div=4.0 if stop_div else None)
        try:
            self.trainer.fit(self.dls.train.repeat(), steps_per_epoch=num_it, epochs=1, shuffle=False,
                             verbose=0, callbacks=[control])
        finally:
            for v, w in zip(self.model.weights, weights):
                v.assign(w)
            for opt, state in zip(self.optimizers, opt_state):
                for v, w in zip(opt.variables, state):
                    v.assign(w)
        raw = np.array(self.recorder.losses[first:])
        # the finder's steps are not training: keep them out of the recorder
        del self.recorder.losses[first:], self.recorder.lrs[first:], self.recorder.moms[first:]
        del self.recorder.epochs[n_epochs:]
        found = lr_suggestions(sweep[:len(raw)], raw)
        result = {"lrs": found["lrs"], "raw_losses": raw, "losses": found["losses"],
                  "lr_min": found["lr_min"], "lr_steep": found["lr_steep"]}
        if show_plot:
            import matplotlib.pyplot as plt
            lrs, smooth, i_min, i_steep = found["lrs"], found["losses"], found["i_min"], found["i_steep"]
            fig, ax = plt.subplots(figsize=(6, 3.6))
            ax.plot(sweep[:len(raw)], raw, color="C0", alpha=0.25, label="loss per batch")
            ax.plot(lrs, smooth, color="C0", label="smoothed")
            if len(lrs):
                ax.plot(lrs[i_min], smooth[i_min], "o", color="C1",
                        label=f"lowest loss at {lrs[i_min]:.1e} (lr_min = a tenth: {result['lr_min']:.1e})")
                ax.plot(lrs[i_steep], smooth[i_steep], "s", color="C2",
                        label=f"steepest descent at {result['lr_steep']:.1e}")
            ax.set(xscale="log", xlabel="learning rate", ylabel="training loss", title="learning-rate finder")
            if len(smooth) and smooth[0] > 0:   # keep the exploding end from squashing the rest
                ax.set_ylim(min(0.0, float(smooth.min())), 1.5 * float(smooth[0]))
            ax.legend(fontsize=8, loc="lower left")
            plt.show()
        return result

    # -- results --

    def _ready(self) -> None:
        """Before any fit: compile (or not) as a fit over the validation set would."""
        if self._compiled_for is None:
            self._prepare(int(self.dls.valid.cardinality()))

    def validate(self) -> dict:
        """Loss and metrics on the validation set."""
        self._ready()
        return {k: float(v) for k, v in self.trainer.evaluate(self.dls.valid, verbose=0, return_dict=True).items()}

    def get_preds(self):
        """(probabilities, labels, losses) on the validation set, in order."""
        self._ready()
        logits, ys = [], []
        for x, y in self.dls.valid:
            logits.append(np.asarray(self.trainer.predict_on_batch(x)))
            ys.append(np.asarray(y))
        logits, ys = np.concatenate(logits), np.concatenate(ys)
        probs = np.asarray(keras.ops.softmax(logits, axis=-1))
        losses = np.asarray(keras.losses.sparse_categorical_crossentropy(ys, logits, from_logits=True))
        return probs, ys, losses

    def _label(self, y) -> str:
        classes = getattr(self.dls, "classes", None)
        return classes[int(y)] if classes else str(int(y))

    def plot_top_losses(self, k: int = 9, ncols: int = 3):
        """The `k` validation images the model got most wrong: prediction / truth / loss /
        probability of the true class, as fastai's `interp.plot_top_losses`."""
        import matplotlib.pyplot as plt
        probs, ys, losses = self.get_preds()
        images = self.dls.raw_valid_images()
        order = np.argsort(-losses)[:k]
        nrows = max(1, -(-len(order) // ncols))
        fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 3.4 * nrows), squeeze=False)
        for ax in axes.ravel():
            ax.axis("off")
        for ax, i in zip(axes.ravel(), order):
            ax.imshow(images[i])
            ax.set_title(f"{self._label(probs[i].argmax())} / {self._label(ys[i])}\n"
                         f"loss {losses[i]:.2f}, p(true) {probs[i, ys[i]]:.2f}", fontsize=9)
        fig.suptitle("top losses: prediction / actual, loss, probability of the actual class", fontsize=10)
        fig.tight_layout()
        plt.show()
        return order, losses[order]

    def show_results(self, n: int = 8, ncols: int = 4):
        """The first `n` validation images, titled with the prediction (green right, red wrong)."""
        import matplotlib.pyplot as plt
        probs, ys, _ = self.get_preds()
        images = self.dls.raw_valid_images()
        n = min(n, len(ys))
        nrows = max(1, -(-n // ncols))
        fig, axes = plt.subplots(nrows, ncols, figsize=(2.6 * ncols, 2.8 * nrows), squeeze=False)
        for ax in axes.ravel():
            ax.axis("off")
        for ax, i in zip(axes.ravel(), range(n)):
            pred = int(probs[i].argmax())
            ax.imshow(images[i])
            ax.set_title(f"predicted {self._label(pred)}\nactual {self._label(ys[i])}", fontsize=9,
                         color="green" if pred == ys[i] else "red")
        fig.tight_layout()
        plt.show()


def smooth_losses(lrs, losses, width: float = 0.25) -> np.ndarray:
    """The finder's losses smoothed without a lag: each point becomes a weighted mean of the losses
    around it on both sides, with Gaussian weights of standard deviation `width` decades of learning
    rate. (A running average, fastai's smoothing, trails the curve: with beta 0.98 and bias
    correction its mean lag is 17 steps after 40 steps and 34 after 100, 1.4 and 2.7 decades of
    learning rate on a 100-step sweep from 1e-7 to 10.)"""
    x = np.log10(np.asarray(lrs, dtype=np.float64))
    losses = np.asarray(losses, dtype=np.float64)
    w = np.exp(-0.5 * ((x[:, None] - x[None, :]) / width) ** 2)
    return (w @ losses) / w.sum(axis=1)


def lr_suggestions(lrs, losses, skip_start: float = 0.1, width: float = 0.25) -> dict:
    """The finder's two suggestions from its learning rates and the loss of each batch.

    The losses are cut at the first one that is not finite and smoothed (`smooth_losses`); the
    first `skip_start` of the steps are left out (the model has not started to learn there, and
    only the batches' noise moves the loss). `lr_min` is a tenth of the rate at the lowest smoothed
    loss. `lr_steep` is the rate where the smoothed loss falls fastest (per factor of learning
    rate), searched only on the descent into that minimum: from the last point where the smoothed
    loss had not yet fallen a tenth of the way from its highest value (before the minimum) down to
    the minimum. A small bump on the way down, or on the floor before the minimum, does not cut
    the descent short. Returns {"lrs", "losses" (smoothed), "lr_min", "lr_steep", "i_min",
    "i_steep"} (the indices are into "lrs")."""
    lrs, losses = np.asarray(lrs, dtype=np.float64), np.asarray(losses, dtype=np.float64)
    bad = ~np.isfinite(losses)
    n = int(np.argmax(bad)) if bad.any() else len(losses)
    lrs, losses = lrs[:n], losses[:n]
    if n == 0:
        return {"lrs": lrs, "losses": losses, "lr_min": math.nan, "lr_steep": math.nan,
                "i_min": 0, "i_steep": 0}
    smooth = smooth_losses(lrs, losses, width)
    first = min(int(n * skip_start), n - 1)
    i_min = first + int(np.argmin(smooth[first:]))
    before = smooth[first:i_min + 1]
    level = smooth[i_min] + 0.9 * (before.max() - smooth[i_min])
    top = first + int(np.flatnonzero(before >= level)[-1])     # where the descent begins
    slopes = np.gradient(smooth, np.log(lrs)) if n > 1 else np.zeros(n)
    i_steep = top + int(np.argmin(slopes[top:i_min + 1]))
    return {"lrs": lrs, "losses": smooth, "lr_min": float(lrs[i_min] / 10), "lr_steep": float(lrs[i_steep]),
            "i_min": i_min, "i_steep": i_steep}
