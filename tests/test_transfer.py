"""Notebook 10: the reference solutions pass every check; planted bugs (labels from folders, a
backbone left trainable, a straight-line warm-up, reversed or linear discriminative rates, a
forgotten freeze, ...) fail with a message that names them; the references agree (the Keras
CosineDecay composition and the numpy reference, to float64 rounding); the half-right sample earns
what it declares; the text's defaults and worked values are the functions' own.

Only the notebook's import cell and its answer cells are run here (not its training runs), so the
module stays fast; tests/test_notebooks.py runs the whole notebook."""
import inspect
import os
from pathlib import PurePosixPath

import numpy as np
import pytest

from autograder import paths
from autograder.hidden.transfer import checks as hidden
from autograder.hidden.transfer import reference_one_cycle
from autograder.sample_class import predicted_score
from autograder.solutions import load_answers
from utils.checks.core import CheckFailure, call_student, judge_output, run_checks
from utils.checks.transfer import (FINE_TUNE_DEFAULTS, MOBILENET_V2_WEIGHTS, ONE_CYCLE_DEFAULTS,
                                   keras_one_cycle, layout_files)
from utils.checks.transfer import checks as visible

EXERCISES = {"labels_from_filenames", "build_transfer_model", "one_cycle_lr", "fine_tune"}


def answers_namespace(extra: dict | None = None) -> dict:
    """The notebook's answers and the definitions they use (not its training runs), plus `extra`."""
    ns = load_answers("10_transfer")
    ns.update(extra or {})
    return ns


@pytest.fixture(scope="module")
def ns():
    return answers_namespace()


def _fails(registry, name, fn, match):
    with np.errstate(all="ignore"), pytest.raises(CheckFailure, match=match) as info:
        run_checks(registry, name, fn, quiet=True)
    return str(info.value)


def _case_fails(registry, name, label_part, fn, match):
    (case,) = [c for c in registry.cases(name) if label_part in c.label]
    with np.errstate(all="ignore"), pytest.raises(CheckFailure, match=match):
        judge_output(name, case, call_student(name, fn, case), 0, 1)


def test_visible_and_hidden_cover_the_same_exercises():
    assert set(visible.factories) == set(hidden.factories) == EXERCISES


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_solution_passes(ns, name):
    run_checks(visible, name, ns[name], quiet=True)
    run_checks(hidden, name, ns[name], quiet=True)


# ---- labels ---------------------------------------------------------------------------------------

def test_labels_from_the_folder_are_caught():
    def by_folder(files):
        return np.array([1 if "/cats/" in os.fspath(f).lower() else 0 for f in files])

    msg = _fails(visible, "labels_from_filenames", by_folder, "from the file name")
    assert "case 1/" in msg      # the worked example has a cat in train/dogs
    _case_fails(visible, "labels_from_filenames", "folders that disagree", by_folder, "not from the path")


def test_cat_anywhere_in_the_path_is_caught():
    def substring(files):
        return np.array([int("cat" in os.fspath(f).lower()) for f in files])

    _case_fails(visible, "labels_from_filenames", "catherine", substring, "'cat' in another word")


def test_case_sensitive_names_are_caught():
    def case_sensitive(files):
        return np.array([int(os.path.basename(os.fspath(f)).startswith("cat")) for f in files])

    msg = _fails(visible, "labels_from_filenames", case_sensitive, "lower-case the name")
    assert "case 1/" in msg


def test_flipped_labels_and_no_error_for_strangers():
    def flipped(files):
        return np.array([int(os.path.basename(os.fspath(f)).lower().startswith("dog")) for f in files])

    _fails(visible, "labels_from_filenames", flipped, "Every label is flipped")

    def guesses(files):   # right for cats and dogs, but calls anything else a dog
        return np.array([int(os.path.basename(os.fspath(f)).lower().startswith("cat")) for f in files])

    _fails(visible, "labels_from_filenames", guesses, "should raise ValueError")
    _fails(hidden, "labels_from_filenames", guesses, "Thumbs.db")


def test_bool_labels_and_pathlib_answers_are_accepted():
    def as_bools(files):
        names = [PurePosixPath(os.fspath(f)).name.lower().split(".")[0] for f in files]
        if any(n not in ("cat", "dog") for n in names):
            raise ValueError("neither")
        return np.array([n == "cat" for n in names])

    run_checks(visible, "labels_from_filenames", as_bools, quiet=True)
    run_checks(hidden, "labels_from_filenames", as_bools, quiet=True)


def test_the_real_files_get_their_folders_labels(ns):
    """On the real data set: the names give the same labels as the folders (3000 files)."""
    from utils.data import cats_and_dogs_dir, get_image_files
    files = get_image_files(cats_and_dogs_dir())
    assert len(files) == 3000
    folder = np.array([1 if os.path.basename(os.path.dirname(f)) == "cats" else 0 for f in files])
    assert np.array_equal(ns["labels_from_filenames"](files), folder)
    synthetic, labels = layout_files()                   # the check's synthetic layout is the real one
    assert sorted(os.path.relpath(f, cats_and_dogs_dir().parent) for f in files) == sorted(synthetic)
    assert labels.sum() == 1500


# ---- the model ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def keras_mod(ns):
    return ns["keras"]


def _builder(keras, *, frozen=True, weights="imagenet", head=("gap", "dropout", "dense"), activation=None,
             before=None, alpha=1.0, sequential=False):
    def build(n_classes=2, dropout=0.2):
        base = keras.applications.MobileNetV2(weights=weights, include_top=False, input_shape=(224, 224, 3),
                                              alpha=alpha)
        base.trainable = not frozen
        layers = {"gap": lambda: keras.layers.GlobalAveragePooling2D(), "dropout": lambda: keras.layers.Dropout(dropout),
                  "dense": lambda: keras.layers.Dense(n_classes, activation=activation),
                  "hidden": lambda: keras.layers.Dense(64, activation="relu")}
        stack = ([before] if before is not None else []) + [base] + [layers[h]() for h in head]
        if sequential:
            return keras.Sequential([keras.Input((224, 224, 3)), *stack])
        x = inputs = keras.Input((224, 224, 3))
        for layer in stack:
            x = layer(x)
        return keras.Model(inputs, x)
    return build


def test_sequential_model_passes(keras_mod):
    run_checks(visible, "build_transfer_model", _builder(keras_mod, sequential=True), quiet=True)


def test_unfrozen_backbone_is_caught(keras_mod):
    _fails(visible, "build_transfer_model", _builder(keras_mod, frozen=False), r"base.trainable = False")


def test_random_backbone_is_caught(keras_mod):
    _fails(visible, "build_transfer_model", _builder(keras_mod, weights=None), "weights='imagenet'")


def test_other_width_is_caught(keras_mod):
    _fails(visible, "build_transfer_model", _builder(keras_mod, weights=None, alpha=0.5), "alpha 1.0")


@pytest.mark.parametrize("kw, match", [
    ({"head": ("gap", "hidden", "dropout", "dense")}, "GlobalAveragePooling2D, Dropout, Dense"),
    ({"head": ("gap", "dense")}, "GlobalAveragePooling2D, Dropout, Dense"),
    ({"activation": "softmax"}, "logits"),
])
def test_head_slips_are_caught(keras_mod, kw, match):
    _fails(visible, "build_transfer_model", _builder(keras_mod, **kw), match)


def test_preprocessing_inside_the_model_is_caught(keras_mod):
    build = _builder(keras_mod, before=keras_mod.layers.Rescaling(1 / 127.5, offset=-1))
    _fails(visible, "build_transfer_model", build, "nothing should come between the input and the backbone")


def test_wrong_n_classes_caught_by_hidden(keras_mod):
    def always_two(n_classes=2, dropout=0.2):
        return _builder(keras_mod)(2, dropout)

    run_checks(visible, "build_transfer_model", always_two, quiet=True)
    _fails(hidden, "build_transfer_model", always_two, r"n_classes=3")


def test_known_mobilenet_size(keras_mod):
    base = keras_mod.applications.MobileNetV2(weights=None, include_top=False, input_shape=(224, 224, 3))
    assert base.count_params() == MOBILENET_V2_WEIGHTS and base.output_shape[-1] == 1280


# ---- one-cycle ------------------------------------------------------------------------------------

def _one_cycle_variant(*, warmup="cos", start_div=True, end_zero=False, moms_flipped=False, round_warmup=False,
                       scalar_arrays=False):
    """A one-cycle schedule with one slip switched on."""
    def schedule(step, total_steps, lr_max, pct_start=0.25, div=25.0, div_final=1e5, moms=(0.95, 0.85, 0.95)):
        step = np.asarray(step, dtype=np.float64)
        cut = round(pct_start * total_steps) / total_steps if round_warmup else pct_start
        p = np.minimum(step / total_steps, 1.0)
        warm = p < cut
        t = np.where(warm, p / cut, (p - cut) / (1 - cut))
        shape = t if warmup == "linear" else (1 - np.cos(np.pi * t)) / 2
        anneal = (1 - np.cos(np.pi * t)) / 2
        lo = lr_max / div if start_div else lr_max
        end = 0.0 if end_zero else lr_max / div_final
        lr = np.where(warm, lo + (lr_max - lo) * shape, lr_max + (end - lr_max) * anneal)
        m = (moms[1], moms[0], moms[1]) if moms_flipped else moms
        mom = np.where(warm, m[0] + (m[1] - m[0]) * shape, m[1] + (m[2] - m[1]) * anneal)
        if np.ndim(lr) == 0:
            return (np.atleast_1d(lr), np.atleast_1d(mom)) if scalar_arrays else (float(lr), float(mom))
        return lr, mom
    return schedule


def test_reference_variant_passes():
    run_checks(visible, "one_cycle_lr", _one_cycle_variant(), quiet=True)
    run_checks(hidden, "one_cycle_lr", _one_cycle_variant(), quiet=True)


@pytest.mark.parametrize("slip, match", [
    ({"warmup": "linear"}, "straight-line warm-up"),
    ({"start_div": False}, "should be lr_max / div, not lr_max"),
    ({"end_zero": True}, "end at lr_max / div_final, not at 0"),
    ({"moms_flipped": True}, "momentum starts at moms\\[0\\]"),
    ({"scalar_arrays": True}, "should be one number"),
])
def test_one_cycle_slips_are_named(slip, match):
    _fails(visible, "one_cycle_lr", _one_cycle_variant(**slip), match)


def test_rounded_warmup_is_caught():
    """Rounding the warm-up to whole steps agrees wherever pct_start * total_steps is an integer;
    fine_tune's pct_start 0.99 over 60 steps is not."""
    rounded = _one_cycle_variant(round_warmup=True)
    (case,) = [c for c in visible.cases("one_cycle_lr") if "fastai's defaults" in c.label]
    judge_output("one_cycle_lr", case, call_student("one_cycle_lr", rounded, case), 0, 1)   # 25 steps: agrees
    _case_fails(visible, "one_cycle_lr", "pct_start 0.99", rounded, "without rounding")


def test_keras_composition_agrees_with_the_numpy_reference():
    """The two references agree to the judge's tolerance, and to ~1e-16 * lr_max absolutely."""
    from utils.checks.transfer import SCHEDULE_FLOOR, SCHEDULE_TOL
    rng = np.random.default_rng(3)
    worst_abs = 0.0
    for _ in range(8):
        total = int(rng.integers(3, 200))
        kw = {"pct_start": float(rng.uniform(0.01, 0.99)), "div": float(rng.uniform(1.5, 100)),
              "div_final": float(10 ** rng.uniform(1, 6)), "moms": tuple(rng.uniform(0.5, 0.99, 3))}
        steps = np.arange(total + 1)
        for (a, b), scale in zip(zip(keras_one_cycle(steps, total, 1e-3, **kw),
                                     reference_one_cycle(steps, total, 1e-3, **kw)), (1e-3, 1.0)):
            assert np.all(np.abs(a - b) <= SCHEDULE_TOL * np.abs(b) + SCHEDULE_FLOOR * scale)
            worst_abs = max(worst_abs, float(np.max(np.abs(a - b))) / scale)
    assert worst_abs < 1e-14     # a few float64 roundings of numbers of size 1 (after scaling)


def test_worked_table_is_the_text_and_the_defaults_are_fastais(ns):
    text = paths.source_script("10_transfer").read_text(encoding="utf-8")
    assert "| learning rate | 0.0004 | 0.0052 | 0.01 | 0.00500005 | 1e-07 |" in text
    assert "| momentum | 0.95 | 0.90 | 0.85 | 0.90 | 0.95 |" in text
    lr, mom = ns["one_cycle_lr"](np.array([0, 1, 2, 5, 8]), 8, 0.01)
    assert np.allclose(lr, [0.0004, 0.0052, 0.01, 0.00500005, 1e-7], rtol=1e-12)
    assert np.allclose(mom, [0.95, 0.90, 0.85, 0.90, 0.95], rtol=1e-12)
    one_cycle = inspect.signature(ns["one_cycle_lr"]).parameters
    assert {k: one_cycle[k].default for k in ONE_CYCLE_DEFAULTS} == ONE_CYCLE_DEFAULTS
    fine_tune = inspect.signature(ns["fine_tune"]).parameters
    assert {k: fine_tune[k].default for k in FINE_TUNE_DEFAULTS} == FINE_TUNE_DEFAULTS


# ---- fine_tune ------------------------------------------------------------------------------------

def _fine_tune_variant(*, freeze=True, unfreeze=True, halve=True, spacing="geometric", reverse=False,
                       first_kwargs=None, second_kwargs=None, extra_fit=False):
    """fine_tune with one slip switched on."""
    def fine_tune(learn, epochs, base_lr=2e-3, freeze_epochs=1, lr_mult=100, pct_start=0.3, div=5.0):
        if freeze:
            learn.freeze()
        learn.fit(freeze_epochs, base_lr, **(first_kwargs if first_kwargs is not None else {"pct_start": 0.99}))
        if halve:
            base_lr /= 2
        if unfreeze:
            learn.unfreeze()
        n = learn.n_groups
        lrs = (np.geomspace if spacing == "geometric" else np.linspace)(base_lr / lr_mult, base_lr, n)
        lrs = list(lrs[::-1] if reverse else lrs)
        learn.fit(epochs, lrs, **(second_kwargs if second_kwargs is not None else {"pct_start": pct_start, "div": div}))
        if extra_fit:
            learn.fit(1, lrs)
    return fine_tune


def test_reference_fine_tune_variant_passes():
    run_checks(visible, "fine_tune", _fine_tune_variant(), quiet=True)


@pytest.mark.parametrize("slip, match", [
    ({"freeze": False}, "call learn.freeze\\(\\) first"),
    ({"unfreeze": False}, "call learn.unfreeze\\(\\)"),
    ({"halve": False}, "twice too large: halve base_lr"),
    ({"spacing": "linear"}, "evenly \\(linearly\\) spaced"),
    ({"reverse": True}, "reversed: the first group"),
    ({"first_kwargs": {}}, "first fit should run the schedule with pct_start=0.99, got pct_start=0.25 \\(the default\\)"),
    ({"second_kwargs": {"pct_start": 0.3}}, "second fit should run the schedule with div=5.0"),
    ({"first_kwargs": {"pct": 0.99}}, "passed \\['pct'\\] to the schedule"),
    ({"extra_fit": True}, "exactly twice"),
])
def test_fine_tune_slips_are_named(slip, match):
    _fails(visible, "fine_tune", _fine_tune_variant(**slip), match)


def test_ignoring_the_arguments_is_caught():
    def defaults_only(learn, epochs, base_lr=2e-3, freeze_epochs=1, lr_mult=100, pct_start=0.3, div=5.0):
        _fine_tune_variant()(learn, epochs)

    _case_fails(visible, "fine_tune", "base_lr=1e-2", defaults_only, "freeze_epochs=2")
    _fails(hidden, "fine_tune", defaults_only, "train the head at base_lr=0.003")


def test_fastai_slice_gets_a_clear_error():
    def with_slice(learn, epochs, base_lr=2e-3, freeze_epochs=1, lr_mult=100, pct_start=0.3, div=5.0):
        learn.freeze()
        learn.fit(freeze_epochs, slice(base_lr), pct_start=0.99)

    _fails(visible, "fine_tune", with_slice, "slice\\(lo, hi\\) is not taken here")


# ---- the sample class --------------------------------------------------------------------------------

def test_half_right_sample_earns_its_expected_score(ns):
    earned, declared, total = predicted_score("10_transfer", ns)
    assert earned == declared and 0 < earned < total, (earned, declared, total)

def test_a_wrong_signature_fails_before_a_driver_builds_or_reads_anything(monkeypatch):
    """The drivers of fine_tune's and train_fashion_model's checks, and FashionMLP, refuse a call
    their callee cannot take before building a model or reading a data set (the answer-key probe
    offers them every public callable; a student with a wrong signature gets the error at once)."""
    import utils.checks.transfer as transfer
    import utils.fashion as fashion
    from utils.optim import FashionMLP

    def built(*_, **__):
        raise AssertionError("built or read before the signature was checked")
    monkeypatch.setattr(transfer, "tiny_learner", built)
    monkeypatch.setattr(fashion, "training_subsets", built)

    def fine_tune(learn):
        return learn
    with pytest.raises(TypeError, match=r"fine_tune\(\) too many positional arguments"):
        transfer.run_fine_tune(fine_tune, 2, 3)

    def train(model, x_train, y_train, x_val, y_val, epochs=1):
        return model
    with pytest.raises(TypeError, match=r"train\(\) got an unexpected keyword argument 'batch_size'"):
        fashion.short_training_run(train, 10, 10, 10, 1, 8, 0.1)
    monkeypatch.setattr("utils.data.load_fashion_mnist", built)
    with pytest.raises(TypeError, match=r"n_train=array"):
        FashionMLP(np.zeros(3))
