"""Hidden checks for notebook 10: file lists in random layouts (random folders, some named after the
other animal, random case, pathlib paths, a stray non-image file), another head (3 classes, dropout
0.35), one-cycle schedules with random lengths and hyper-parameters (judged against the Keras
CosineDecay composition *and* a numpy reference here), and fine_tune on tiny models with 2 and 4
layer groups and other arguments (learning rates from the formula here and from np.geomspace)."""
from __future__ import annotations

import math
from pathlib import PurePosixPath

import numpy as np

from utils.checks.core import Case, Registry
from utils.checks.transfer import (FINE_TUNE_DEFAULTS, _catching_value_error, judge_fine_tune, judge_labels,
                                   judge_one_cycle, judge_raises, keras_one_cycle, model_case, run_fine_tune)

checks = Registry("10_transfer")
SEED = 10_427


# ---- labels ----------------------------------------------------------------------------------------

def _random_layout(rng, n):
    """n files in random folders (often named after the wrong animal), random case, some pathlib."""
    folders = ["cats", "dogs", "Cats", "pets/dogs", "/home/catherine/photos", "/srv/hotdog", "img", "", "a/b/c",
               "cat_or_dog", "dogs.and.cats"]
    files, labels = [], []
    for _ in range(n):
        label = int(rng.integers(0, 2))
        animal = "cat" if label else "dog"
        animal = "".join(c.upper() if rng.random() < 0.3 else c for c in animal)
        ext = rng.choice([".jpg", ".JPG", ".jpeg", ".png"])
        folder = folders[int(rng.integers(len(folders)))]
        name = f"{animal}.{int(rng.integers(0, 100_000))}{ext}"
        path = f"{folder}/{name}" if folder else name
        files.append(PurePosixPath(path) if rng.random() < 0.2 else path)
        labels.append(label)
    return files, np.array(labels)


@checks.exercise("labels_from_filenames")
def _labels_from_filenames():
    rng = np.random.default_rng(SEED)
    for n in (1, 17, 500):
        files, labels = _random_layout(rng, n)
        yield Case((files,), judge_labels(files, labels), label=f"{n} files in random folders, random case")
    bad = ["dog.1.jpg", "cats_and_dogs_filtered/train/cats/Thumbs.db"]
    yield Case((bad,), judge_raises(bad), label="a stray file that is no photo: ValueError", call=_catching_value_error)


# ---- the model -----------------------------------------------------------------------------------

@checks.exercise("build_transfer_model")
def _build_transfer_model():
    yield model_case(3, 0.35, "3 classes, dropout 0.35")


# ---- one-cycle: numpy reference (instructor-only) ----------------------------------------------------

def reference_one_cycle(steps, total_steps, lr_max, pct_start=0.25, div=25.0, div_final=1e5,
                        moms=(0.95, 0.85, 0.95)):
    """fastai's combined_cos(pct_start, start, middle, end) of SchedCos pieces, step by step."""
    def cos_anneal(start, end, pos):
        return start + (1 + math.cos(math.pi * (1 - pos))) * (end - start) / 2

    def combined(pos, start, middle, end):
        if pos < pct_start:
            return cos_anneal(start, middle, pos / pct_start)
        return cos_anneal(middle, end, (pos - pct_start) / (1 - pct_start))

    steps = np.asarray(steps, dtype=np.float64)
    pos = [min(float(s) / total_steps, 1.0) for s in steps.ravel()]
    lr = [combined(q, lr_max / div, lr_max, lr_max / div_final) for q in pos]
    mom = [combined(q, *moms) for q in pos]
    return np.array(lr).reshape(steps.shape), np.array(mom).reshape(steps.shape)


def _cycle_case(steps, total_steps, lr_max, label, **params):
    vs_keras = judge_one_cycle(steps, total_steps, lr_max, params, keras_one_cycle(steps, total_steps, lr_max, **params))
    vs_ref = judge_one_cycle(steps, total_steps, lr_max, params,
                             reference_one_cycle(steps, total_steps, lr_max, **params))

    def judge(out):
        vs_keras(out)
        vs_ref(out)
    return Case((steps, total_steps, lr_max), judge, label=label, kwargs=params)


@checks.exercise("one_cycle_lr")
def _one_cycle_lr():
    rng = np.random.default_rng(SEED + 1)
    for _ in range(3):
        total = int(rng.integers(5, 400))
        params = {"pct_start": float(rng.uniform(0.05, 0.95)), "div": float(rng.uniform(2, 50)),
                  "div_final": float(10 ** rng.uniform(2, 6))}
        lr_max = float(10 ** rng.uniform(-5, -1))
        yield _cycle_case(np.arange(total + 1), total, lr_max, f"total_steps {total}, lr_max {lr_max:.3g}, {params}",
                          **params)
    params = {"moms": (0.9, 0.8, 0.99), "pct_start": 0.4}
    yield _cycle_case(np.arange(50), 50, 3e-4, f"other momenta {params}", **params)
    steps = np.arange(36).reshape(4, 9)
    yield _cycle_case(steps, 35, 0.1, "a (4, 9) array of steps: the results keep its shape")
    for step in (0, 10, 40):
        yield _cycle_case(step, 40, 1e-2, f"the single int step {step} of 40 (start, peak at pct_start 0.25, end)")


# ---- fine_tune -------------------------------------------------------------------------------------

def _expected_lrs(base_lr, lr_mult, n_groups):
    hi = base_lr / 2
    formula = [hi / lr_mult * (lr_mult ** (1 / (n_groups - 1))) ** g for g in range(n_groups)]
    assert np.allclose(formula, np.geomspace(hi / lr_mult, hi, n_groups), rtol=1e-12, atol=0)
    return formula


def _fine_tune_case(n_body, epochs, label, seed, **params):
    p = {**FINE_TUNE_DEFAULTS, **params}
    want = _expected_lrs(p["base_lr"], p["lr_mult"], n_body + 1)
    return Case((n_body, epochs), judge_fine_tune(epochs, params, want), label=label,
                kwargs={"seed": seed, **params}, call=run_fine_tune)


@checks.exercise("fine_tune")
def _fine_tune():
    # the tiny learners' seeds go to the student's kernel with the inputs: seeds of their own, not SEED
    yield _fine_tune_case(3, 1, "4 layer groups, fine_tune(learn, 1, base_lr=3e-3, lr_mult=1000, pct_start=0.25, "
                          "div=8.0)", 427, base_lr=3e-3, lr_mult=1000, pct_start=0.25, div=8.0)
    yield _fine_tune_case(1, 2, "2 layer groups, fine_tune(learn, 2, freeze_epochs=2) otherwise the defaults",
                          428, freeze_epochs=2)
