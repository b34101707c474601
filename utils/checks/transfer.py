"""Visible checks for notebook 10 (transfer learning).

- `labels_from_filenames`: known labels of paths whose folders (and parents named like
  "catherine") disagree with the file name, mixed case, `pathlib` paths, and the 3000 names of the
  data set's layout; a name that is neither a cat nor a dog must raise ValueError.
- `build_transfer_model`: a driver builds the model and describes it as plain data (layer types,
  the backbone's size and trainable flags, whether its batch norms hold pretrained statistics,
  the head's layers and weights); judged against the known MobileNetV2
  (2,257,984 weights without its top) and the head's known size, 1280 * n + n.
- `one_cycle_lr`: the worked table of the notebook, and the schedule composed of
  `keras.optimizers.schedules.CosineDecay` pieces in float64 (`keras_one_cycle`), another route to
  the same values.
- `fine_tune`: a driver runs the student's function on a tiny model with the course's `Learner` and
  records, per call of `learn.fit`, the trainable groups, the learning rates, the schedule's
  arguments and which groups' weights changed; judged against fastai's `fine_tune`.
"""
from __future__ import annotations

import math
import os

import numpy as np

from .core import Case, CheckFailure, Registry, _preview, callable_as, expect, expect_array, expect_tuple
from .references import reference

checks = Registry("10_transfer")


# ---- labels from file names ---------------------------------------------------------------------

def layout_files():
    """The 3000 paths of cats_and_dogs_filtered, in the data set's own layout, with the labels the
    folders give (cats 1, dogs 0): a reference reached another way than through the names."""
    files, labels = [], []
    for split, start, n in (("train", 0, 1000), ("validation", 2000, 500)):
        for animal, label in (("cat", 1), ("dog", 0)):
            for i in range(start, start + n):
                files.append(f"cats_and_dogs_filtered/{split}/{animal}s/{animal}.{i}.jpg")
                labels.append(label)
    return files, np.array(labels)


def judge_labels(files, expected):
    expected = np.asarray(expected)
    names = [os.fspath(f) for f in files]

    def judge(out):
        got = expect_array("the labels", out, dtype_kind=None)
        expect(got.dtype.kind in "biu", f"the labels should be integers (1 cat, 0 dog), got dtype {got.dtype}")
        expect(got.shape == expected.shape, f"expected one label per file, shape {expected.shape}, "
                                            f"got shape {got.shape}")
        got = got.astype(np.int64)
        wrong = np.flatnonzero(got != expected)
        if not len(wrong):
            return
        i = int(wrong[0])
        message = (f"{len(wrong)} of {len(expected)} labels are wrong; the first is {names[i]!r}: expected "
                   f"{expected[i]} ({'cat' if expected[i] else 'dog'}), got {got[i]}.")
        if len(wrong) == len(expected) and np.all(got == 1 - expected):
            message += " Every label is flipped: a cat is 1, a dog 0."
        else:
            hint = _label_hint(names, expected, got)
            if hint:
                message += " " + hint
        raise CheckFailure(message)
    return judge


def _label_hint(names, expected, got) -> str:
    """Which slip explains the wrong labels: case (only non-lower-case names wrong) or the path."""
    wrong = got != expected
    lower = np.array([os.path.basename(n) == os.path.basename(n).lower() for n in names])
    if not np.any(wrong & lower):
        return "The wrong ones are upper- or mixed-case names (Cat.3.JPG): lower-case the name first."
    if any(os.path.dirname(n) for n, w in zip(names, wrong) if w):
        return ("Take the label from the file name (os.path.basename), not from the path: a folder may "
                "say the other animal, or contain 'cat' in another word.")
    return ""


def _catching_value_error(fn, files):
    """The check of a name that is neither cat nor dog: what fn did, as plain data."""
    try:
        out = fn(files)
    except ValueError as exc:
        return {"raised": "ValueError", "message": str(exc)[:200]}
    try:
        returned = np.asarray(out).tolist()
    except Exception:
        returned = type(out).__name__
    return {"returned": str(returned)[:200]}


def judge_raises(files):
    def judge(out):
        expect(isinstance(out, dict) and out.get("raised") == "ValueError",
               f"labels_from_filenames({files}) should raise ValueError (bird is neither a cat nor a dog), "
               f"but it returned {out.get('returned') if isinstance(out, dict) else out}. A name that fits "
               f"no rule is an error in the data: say so rather than guess a label.")
    return judge


def label_case(files, expected, label) -> Case:
    return Case((list(files),), judge_labels(files, expected), label=label)


@checks.exercise("labels_from_filenames")
def _labels_from_filenames():
    from pathlib import PurePosixPath
    yield label_case(["train/dogs/cat.0.jpg", "dog.12.jpg", "/tmp/CAT.7.JPG"], [1, 0, 1],
                     "the worked example: ['train/dogs/cat.0.jpg', 'dog.12.jpg', '/tmp/CAT.7.JPG'] -> [1, 0, 1]")
    files = ["/data/cats/dog.5.jpg", "/data/dogs/cat.9.jpg", "/home/catherine/dog.7.jpg",
             "/srv/dogs_and_cats/cat.1.jpg", "hotdog/dog.3.jpg"]
    yield label_case(files, [0, 1, 0, 1, 0], "folders that disagree with the file name, and parents "
                     "called catherine or hotdog: the name decides")
    yield label_case(["Cat.3.JPG", "DOG.4.jpeg", "dOg.10.png", "cAT.11.jpg"], [1, 0, 0, 1],
                     "names in upper and mixed case")
    paths = [PurePosixPath("validation/dogs/dog.2001.jpg"), PurePosixPath("train/cats/cat.42.jpg")]
    yield label_case(paths, [0, 1], "pathlib paths instead of strings")
    files, labels = layout_files()
    order = np.random.default_rng(10).permutation(len(files))
    yield label_case([files[i] for i in order], labels[order],
                     "the 3000 file names of cats_and_dogs_filtered, shuffled (reference: their folders)")
    bad = ["cat.1.jpg", "bird.2.jpg"]
    yield Case((bad,), judge_raises(bad), label="a name that is neither cat nor dog: ValueError",
               call=_catching_value_error)


# ---- the frozen-backbone model ------------------------------------------------------------------

#: MobileNetV2, alpha 1.0, include_top=False: weights of the backbone, width of its features
MOBILENET_V2_WEIGHTS = 2_257_984
FEATURES = 1280


def describe_transfer_model(fn, n_classes, dropout):
    """Build the student's model and describe it as plain data for the judge."""
    import keras
    model = fn(n_classes=n_classes, dropout=dropout)
    if not isinstance(model, keras.Model):
        return {"type": type(model).__name__}
    layers = [l for l in model.layers if type(l).__name__ != "InputLayer"]
    nested = [i for i, l in enumerate(layers) if isinstance(l, keras.Model)]
    info = {"type": "Model", "input_shape": [-1 if d is None else int(d) for d in model.input_shape],
            "output_shape": [-1 if d is None else int(d) for d in model.output_shape],
            "layers": [type(l).__name__ for l in layers], "n_backbones": len(nested),
            "trainable_params": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
            "non_trainable_params": int(sum(np.prod(w.shape) for w in model.non_trainable_weights))}
    if not nested:
        return info
    at = nested[0]
    base = layers[at]
    bns = [l for l in base._flatten_layers() if isinstance(l, keras.layers.BatchNormalization)]
    fresh = [bool(np.all(l.moving_mean.numpy() == 0) and np.all(l.moving_variance.numpy() == 1)) for l in bns]
    info.update(backbone_at=at, backbone_name=base.name, backbone_params=int(base.count_params()),
                backbone_trainable=bool(base.trainable),
                backbone_trainable_weights=len(base.trainable_weights),
                backbone_last=type(base.layers[-1]).__name__,
                bn_layers=len(bns), bn_fresh=int(sum(fresh)))
    head = layers[at + 1:]
    info["head"] = [{"type": type(l).__name__, "rate": float(getattr(l, "rate", -1.0)),
                     "units": int(getattr(l, "units", -1) or -1),
                     "activation": getattr(getattr(l, "activation", None), "__name__", "")} for l in head]
    return info


def judge_transfer_model(n_classes, dropout):
    head_weights = FEATURES * n_classes + n_classes

    def judge(out):
        expect(isinstance(out, dict) and out.get("type") == "Model",
               f"build_transfer_model should return a keras.Model, got {out.get('type') if isinstance(out, dict) else out}")
        expect(out["input_shape"] == [-1, 224, 224, 3],
               f"the model's input should be (None, 224, 224, 3), got {tuple(out['input_shape'])}")
        expect(out["output_shape"] == [-1, n_classes], f"with n_classes={n_classes} the output should have shape "
               f"(None, {n_classes}), got {tuple(out['output_shape'])}")
        expect(out["n_backbones"] == 1, f"the model should hold the MobileNetV2 backbone as one layer (a nested "
               f"keras.Model), found {out['n_backbones']} nested models among the layers {out['layers']}")
        expect(out["backbone_at"] == 0, f"nothing should come between the input and the backbone (the data "
               f"already applies preprocess_input); got the layers {out['layers']}")
        expect("mobilenetv2" in out["backbone_name"].lower() and out["backbone_params"] == MOBILENET_V2_WEIGHTS,
               f"the backbone should be keras.applications.MobileNetV2(include_top=False) with alpha 1.0: "
               f"{MOBILENET_V2_WEIGHTS:,} weights; got {out['backbone_name']!r} with {out['backbone_params']:,}. "
               f"include_top=True keeps ImageNet's classifier; another alpha changes the width.")
        expect(out["bn_fresh"] == 0, f"{out['bn_fresh']} of the backbone's {out['bn_layers']} batch-norm layers have "
               f"the statistics of a freshly initialised layer (means 0, variances 1): load the ImageNet weights "
               f"with weights='imagenet'.")
        expect(not out["backbone_trainable"] and out["backbone_trainable_weights"] == 0,
               f"the backbone should be frozen (base.trainable = False); it has "
               f"{out['backbone_trainable_weights']} trainable weight arrays")
        head = [h["type"] for h in out["head"]]
        pooled = out["backbone_last"] == "GlobalAveragePooling2D"
        want = ["Dropout", "Dense"] if pooled else ["GlobalAveragePooling2D", "Dropout", "Dense"]
        expect(head == want, f"after the backbone the head should be GlobalAveragePooling2D, Dropout, Dense; "
               f"got {head}")
        drop, dense = out["head"][-2], out["head"][-1]
        expect(math.isclose(drop["rate"], dropout), f"the dropout rate should be dropout={dropout}, got {drop['rate']}")
        expect(dense["units"] == n_classes, f"the last Dense layer should have n_classes={n_classes} units, "
               f"got {dense['units']}")
        expect(dense["activation"] == "linear", f"the last Dense layer should output logits (no activation; the "
               f"loss applies the softmax), got activation {dense['activation']!r}")
        expect(out["trainable_params"] == head_weights,
               f"only the head should be trainable: {FEATURES} * {n_classes} + {n_classes} = {head_weights:,} "
               f"weights, got {out['trainable_params']:,}")
    return judge


def model_case(n_classes, dropout, label) -> Case:
    return Case((), judge_transfer_model(n_classes, dropout), label=label,
                kwargs={"n_classes": n_classes, "dropout": dropout}, call=describe_transfer_model)


@checks.exercise("build_transfer_model")
def _build_transfer_model():
    yield model_case(2, 0.2, "the notebook's model: 2 classes, dropout 0.2")


# ---- the one-cycle schedule ---------------------------------------------------------------------

ONE_CYCLE_DEFAULTS = {"pct_start": 0.25, "div": 25.0, "div_final": 1e5, "moms": (0.95, 0.85, 0.95)}


# The references are computed on the instructor side (autograder/references/transfer.py); a
# student's kernel has their values for the visible cases only.

@reference
def keras_one_cycle(steps, total_steps, lr_max, pct_start=0.25, div=25.0, div_final=1e5,
                    moms=(0.95, 0.85, 0.95)):
    """fastai's one-cycle schedule from `keras.optimizers.schedules.CosineDecay` pieces in float64: (learning rates, momenta)."""


@reference
def _keras_linear_warmup(steps, total_steps, lr_max, pct_start, div, div_final):
    """The slip of a straight warm-up (Keras' CosineDecay(warmup_target=...)), for the hint."""


#: Both sides compute in float64, the same half cosines in another order, so they differ by
#: rounding only: relative 1e-9, plus an absolute 1e-13 of the phase's scale (lr_max, or 1 for the
#: momentum). The absolute part is needed near the end of the anneal, where b + (a - b) * c with
#: c -> 0, or a + (b - a) * (1 - cos) with cos -> 1, cancels: rounding ~1e-16 * lr_max is then
#: large relative to lr_max / div_final (up to 1e-10 for div_final = 1e6).
SCHEDULE_TOL, SCHEDULE_FLOOR = 1e-9, 1e-13


def _close(got, expected, scale, tol=SCHEDULE_TOL):
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    return got.shape == expected.shape and bool(
        np.all(np.abs(got - expected) <= tol * np.abs(expected) + SCHEDULE_FLOOR * scale))


def judge_one_cycle(steps, total_steps, lr_max, params, expected):
    exp_lr, exp_mom = (np.asarray(e, dtype=np.float64) for e in expected)
    p = {**ONE_CYCLE_DEFAULTS, **params}
    scalar = np.ndim(steps) == 0

    def judge(out):
        lr, mom = expect_tuple("one_cycle_lr", out, 2)
        for what, got, exp, scale in (("the learning rate", lr, exp_lr, lr_max), ("the momentum", mom, exp_mom, 1.0)):
            if scalar:
                expect(np.ndim(got) == 0 and np.asarray(got).dtype.kind in "fiu",
                       f"for a single (int) step, {what} should be one number, got {_preview(got)}")
            got = expect_array(what, got, shape=exp.shape)
            if _close(got, exp, scale):
                continue
            g, e = got.ravel().astype(np.float64), exp.ravel()
            i = int(np.argmax(np.abs(g - e) / np.maximum(np.abs(e), 1e-300)))
            s = np.asarray(steps).ravel()
            message = (f"{what} is wrong at step {int(s[i])} of total_steps={total_steps} (lr_max={lr_max}, "
                       f"{params or 'defaults'}): expected {e[i]:.10g}, got {g[i]:.10g}.\n"
                       f"  expected: {_preview(e, 8)}\n  got:      {_preview(g, 8)}")
            raise CheckFailure(message + _schedule_hint(what, g, e, s, total_steps, lr_max, p))
    return judge


def _schedule_hint(what, got, expected, steps, total, lr_max, p) -> str:
    at0 = np.flatnonzero(steps == 0)
    if what == "the learning rate":
        if len(at0) and math.isclose(got[at0[0]], lr_max, rel_tol=1e-6):
            return "\n  At step 0 the rate should be lr_max / div, not lr_max: the warm-up starts low."
        at_end = np.flatnonzero(steps == total)
        if len(at_end) and abs(got[at_end[0]]) < 1e-3 * expected[at_end[0]]:
            return "\n  The anneal should end at lr_max / div_final, not at 0."
        linear = _keras_linear_warmup(steps, total, lr_max, p["pct_start"], p["div"], p["div_final"])
        if _close(got, linear, lr_max, 1e-6):
            return ("\n  That is a straight-line warm-up (Keras' CosineDecay warmup_target): fastai's warm-up "
                    "is a rising half cosine too, a + (b - a) * (1 - cos(pi t)) / 2.")
        return ("\n  Is the phase chosen by the fraction p = step / total_steps (p < pct_start: warm-up), "
                "without rounding the warm-up to whole steps?")
    if len(at0) and math.isclose(got[at0[0]], p["moms"][1], rel_tol=1e-9):
        return "\n  The momentum starts at moms[0] (high) and dips to moms[1] at the peak of the learning rate."
    return ""


def cycle_case(steps, total_steps, lr_max, label, **params) -> Case:
    expected = keras_one_cycle(steps, total_steps, lr_max, **params)
    return Case((steps, total_steps, lr_max), judge_one_cycle(steps, total_steps, lr_max, params, expected),
                label=label, kwargs=params)


@checks.exercise("one_cycle_lr")
def _one_cycle_lr():
    table = np.array([0, 1, 2, 5, 8])
    expected = (np.array([0.0004, 0.0052, 0.01, 0.00500005, 1e-7]), np.array([0.95, 0.90, 0.85, 0.90, 0.95]))
    yield Case((table, 8, 0.01), judge_one_cycle(table, 8, 0.01, {}, expected),
               label="the worked table: total_steps 8, lr_max 0.01, steps (0, 1, 2, 5, 8), defaults")
    yield cycle_case(np.arange(101), 100, 2e-3, "steps 0..100 of 100, lr_max 2e-3, fastai's defaults "
                     "(vs keras CosineDecay pieces)")
    yield cycle_case(np.arange(60), 60, 1e-3, "fine_tune's frozen run: pct_start 0.99", pct_start=0.99)
    yield cycle_case(np.arange(0, 91), 90, 1e-3, "fine_tune's unfrozen run: pct_start 0.3, div 5",
                     pct_start=0.3, div=5.0)
    yield cycle_case(7, 40, 0.01, "a single int step (7 of 40): returns two numbers")


# ---- fine_tune ----------------------------------------------------------------------------------

def tiny_learner(n_body: int, seed: int):
    """A small model whose 'backbone' is a nested model of 2 * n_body Dense layers, with a Dense
    head, on random data: a Learner with n_body + 1 groups, whose schedule is a constant (each
    group's rate) that accepts any keyword argument, so the arguments can be recorded."""
    import keras
    from ..data import DataLoaders
    from ..learner import Learner
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    body_in = keras.Input((6,))
    h = body_in
    for i in range(2 * n_body):
        h = keras.layers.Dense(8, activation="tanh", name=f"body_{i}")(h)
    body = keras.Model(body_in, h, name="tiny_backbone")
    inputs = keras.Input((6,))
    model = keras.Model(inputs, keras.layers.Dense(2, name="head")(body(inputs)))
    x = rng.standard_normal((24, 6)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int64")
    dls = DataLoaders.from_arrays(x[:16], y[:16], x[16:], y[16:], batch_size=8, seed=seed)

    def constant(step, total_steps, lr_max, **kwargs):
        return lr_max
    return Learner(model, dls, schedule=constant, n_body=n_body, run_eagerly=True, verbose=False)


def _plain(value):
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, (tuple, list)) and all(isinstance(v, (int, float)) for v in value):
        return [float(v) for v in value]
    try:
        return float(value)
    except (TypeError, ValueError):
        return repr(value)[:80]


def run_fine_tune(fn, n_body, epochs, seed=0, **kwargs):
    """Run `fn(learn, epochs, **kwargs)` on a tiny learner whose groups all start trainable; return
    what each `learn.fit` call did, as plain data."""
    callable_as(fn, None, epochs, **kwargs)   # a wrong signature fails before a model is built
    learn = tiny_learner(n_body, seed)
    learn.unfreeze()
    fn(learn, epochs, **kwargs)
    phases = [{"epochs": p["epochs"], "lrs": [float(x) for x in p["lrs"]], "trainable": list(p["trainable"]),
               "changed": list(p["changed"]), "steps": p["steps"],
               "schedule_kwargs": {str(k): _plain(v) for k, v in p["schedule_kwargs"].items()}}
              for p in learn.phases]
    return {"n_groups": learn.n_groups, "phases": phases, "final_trainable": learn.trainable_groups()}


FINE_TUNE_DEFAULTS = {"base_lr": 2e-3, "freeze_epochs": 1, "lr_mult": 100, "pct_start": 0.3, "div": 5.0}


def _same(a, b, tol=1e-9):
    return len(a) == len(b) and all(math.isclose(x, y, rel_tol=tol) for x, y in zip(a, b))


def judge_fine_tune(epochs, params, want):
    """`want`: the unfrozen run's learning rates, first group first (worked out by hand here)."""
    p = {**FINE_TUNE_DEFAULTS, **params}

    def schedule_args(phase, want, which):
        given = phase["schedule_kwargs"]
        unknown = sorted(set(given) - set(ONE_CYCLE_DEFAULTS))
        expect(not unknown, f"the {which} fit passed {unknown} to the schedule; one_cycle_lr takes pct_start, div, "
                            f"div_final and moms")
        effective = {k: given.get(k, ONE_CYCLE_DEFAULTS[k]) for k in ("pct_start", "div")}
        for key, value in want.items():
            got = effective[key]
            expect(isinstance(got, float) and math.isclose(got, value, rel_tol=1e-12),
                   f"the {which} fit should run the schedule with {key}={value}, got {key}={got}"
                   + (" (the default)" if key not in given else ""))

    def judge(out):
        n, phases = out["n_groups"], out["phases"]
        expect(len(phases) == 2, f"fine_tune should call learn.fit exactly twice (frozen, then unfrozen); it called "
                                 f"it {len(phases)} time(s)")
        frozen, unfrozen = phases
        head_only = [False] * (n - 1) + [True]
        expect(frozen["trainable"] == head_only,
               f"during the first fit only the head (the last of the {n} groups) should train: call "
               f"learn.freeze() first. Trainable groups were {frozen['trainable']}")
        expect(frozen["changed"] == head_only, f"internal: the first fit changed groups {frozen['changed']}")
        expect(frozen["epochs"] == p["freeze_epochs"], f"the first fit should last freeze_epochs="
               f"{p['freeze_epochs']} epoch(s), got {frozen['epochs']}")
        expect(math.isclose(frozen["lrs"][-1], p["base_lr"], rel_tol=1e-9),
               f"the first fit should train the head at base_lr={p['base_lr']}, got {frozen['lrs'][-1]}")
        schedule_args(frozen, {"pct_start": 0.99}, "first")
        expect(unfrozen["trainable"] == [True] * n,
               f"during the second fit every group should train: call learn.unfreeze(). Trainable groups were "
               f"{unfrozen['trainable']}")
        expect(unfrozen["epochs"] == epochs, f"the second fit should last epochs={epochs} epoch(s), got "
                                             f"{unfrozen['epochs']}")
        got = unfrozen["lrs"]
        if not _same(got, want):
            message = (f"the second fit's learning rates (first group first) should be {_fmt(want)}: from "
                       f"base_lr / 2 / lr_mult to base_lr / 2, geometrically spaced; got {_fmt(got)}.")
            if _same(got[::-1], want):
                message += " They are reversed: the first group (early layers) gets the lowest rate."
            elif _same(got, [2 * w for w in want]):
                message += " They are twice too large: halve base_lr before the second fit."
            elif _same(got, list(np.linspace(want[0], want[-1], n))):
                message += " They are evenly (linearly) spaced: each group's rate should be a constant factor above the last."
            raise CheckFailure(message)
        schedule_args(unfrozen, {"pct_start": p["pct_start"], "div": p["div"]}, "second")
        expect(unfrozen["changed"] == [True] * n, f"internal: the second fit changed groups {unfrozen['changed']}")
        expect(out["final_trainable"] == [True] * n, "after fine_tune every group should still be unfrozen")
    return judge


def _fmt(lrs):
    return "[" + ", ".join(f"{x:.3g}" for x in lrs) + "]"


def fine_tune_case(n_body, epochs, want, label, seed=0, **params) -> Case:
    return Case((n_body, epochs), judge_fine_tune(epochs, params, want), label=label,
                kwargs={"seed": seed, **params}, call=run_fine_tune)


@checks.exercise("fine_tune")
def _fine_tune():
    # the defaults: hi = 2e-3 / 2 = 1e-3, lo = hi / 100 = 1e-5, 3 groups a factor 100 ** (1/2) = 10 apart
    yield fine_tune_case(2, 2, [1e-5, 1e-4, 1e-3],
                         "fine_tune(learn, 2) with the defaults, a tiny model with 3 layer groups")
    # hi = 1e-2 / 2 = 5e-3, lo = 5e-4, 3 groups a factor sqrt(10) apart
    yield fine_tune_case(2, 1, [5e-4, 5e-4 * math.sqrt(10), 5e-3],
                         "fine_tune(learn, 1, base_lr=1e-2, freeze_epochs=2, lr_mult=10, pct_start=0.2, div=10.0), "
                         "3 groups", seed=1, base_lr=1e-2, freeze_epochs=2, lr_mult=10, pct_start=0.2, div=10.0)
