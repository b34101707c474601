# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 10 · Transfer learning, fastai-style, in Keras
#
# Lesson 1 of fast.ai's *Practical Deep Learning for Coders* trains a cat-versus-dog classifier
# that is right on about 99 % of the validation photos, in six lines and a couple of minutes:
#
# ```python
# path = untar_data(URLs.PETS)/'images'
# def is_cat(x): return x[0].isupper()
# dls = ImageDataLoaders.from_name_func(path, get_image_files(path), valid_pct=0.2, seed=42,
#                                       label_func=is_cat, item_tfms=Resize(224))
# learn = cnn_learner(dls, resnet34, metrics=error_rate)
# learn.fine_tune(1)
# ```
#
# The trick is not in the six lines but in what they start from: a network that has already been
# trained on ImageNet's 1.3 million photos. Reusing a model trained on one problem for another is
# **transfer learning (전이학습)**; training the reused weights a little further on the new data is
# **fine-tuning (미세 조정)**. This notebook takes those six lines apart and rebuilds them in
# Keras: labels from file names, a random validation split with a fixed seed, a pretrained
# `keras.applications.MobileNetV2`, the learning-rate finder, the one-cycle schedule, and
# `fine_tune` — and then trains the same network from scratch to see what the pretraining bought.
#
# **How the work is split, deliberately.** `utils.learner` is a small learner over Keras, the
# machinery: a `Learner` that holds a model and its data, splits the model into layer groups,
# freezes and unfreezes them, gives each group its own learning rate and optimizer, runs a schedule
# at every step, and draws the plots. It contains no schedule and no `fine_tune`. The pieces that
# carry this lesson's ideas are yours, and they are graded:
#
# **You will implement:** `labels_from_filenames`, `build_transfer_model` (a frozen ImageNet
# backbone and a new head), `one_cycle_lr` (the schedule's values at each step) and `fine_tune`
# (freeze, train, unfreeze, train with discriminative learning rates). Each has a test cell below it.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

from utils import FAST
from utils.checks import check
from utils.data import ImageDataLoaders, cats_and_dogs_dir, get_image_files, use_offline_cache

use_offline_cache()   # the course's offline copy of the weights when there is one; else Keras downloads

import keras  # noqa: E402  (after use_offline_cache: Keras reads its cache folder when imported)
from keras.applications.mobilenet_v2 import preprocess_input  # noqa: E402

from utils.learner import Learner, device_summary  # noqa: E402

print("Keras", keras.__version__, "|", device_summary())

# FAST (tests, CI, grading): a few images and one short phase each, same code. Full mode is what
# the text reports; batches of 32 images at 224 px fit a Colab T4 GPU (and 12 GB of RAM) easily.
N_TRAIN, N_VALID = (4, 4) if FAST else (None, None)    # None: all 2400 / 600 images
BATCH = 4 if FAST else 32
EPOCHS = 1                        # fine_tune(1), as in the lesson: 1 frozen epoch, then 1 epoch unfrozen
LR_FIND_STEPS = 3 if FAST else 100
# Short mode's numbers come from 4 images and a step or two: they show that the code runs, not
# how well a model does. Every result printed below says so when they are what it shows.
SHORT = "  (short mode: 4 images, these numbers mean nothing)" if FAST else ""

# %% [markdown]
# ## 1. The data, and labels from file names
#
# Our photos are the 3000 cats and dogs of Google's `cats_and_dogs_filtered.zip` (a subset of
# Kaggle's *Dogs vs. Cats*). `cats_and_dogs_dir()` returns the folder: the course's offline copy
# when there is one, otherwise Keras downloads the zip once and extracts it
# (`keras.utils.get_file(..., extract=True)`), which is what happens on Colab.

# %%
path = cats_and_dogs_dir()
files = get_image_files(path)
print(len(files), "images, e.g.")
for f in files[:2] + files[-2:]:
    print("  ", os.path.relpath(f, path))

# %% [markdown]
# The zip sorts the photos into `train/cats`, `validation/dogs`, ... but, like fastai's lesson, we
# take the **label** from the file name and make our own split. In the Oxford pets data of the
# lesson, breeds of cat are written with a capital letter (`Bengal_12.jpg`) and dogs in lower case
# (`beagle_3.jpg`), hence `is_cat(x) = x[0].isupper()`. Here the rule is simpler: a file is named
# `cat.<number>.jpg` or `dog.<number>.jpg`.
#
# **A rule for names must look at the name only.** `"cat" in path` is true for
# `/home/catherine/dog.7.jpg`; a folder may be called `cats` while holding a dog someone moved
# there; a camera writes `Cat.3.JPG`. So: take the file name (the last part of the path), the text
# before its first dot, lower-cased; `cat` is label 1, `dog` is label 0. A name that is neither is
# a mistake in the data, and a loud one is better than a silent wrong label: raise a `ValueError`.
#
# **Worked example.** `["train/dogs/cat.0.jpg", "dog.12.jpg", "/tmp/CAT.7.JPG"]` gives `[1, 0, 1]`
# (the first is a cat in the wrong folder); `["cat.1.jpg", "bird.2.jpg"]` raises `ValueError`.
#
# ### Exercise 1 — `labels_from_filenames`
# `files` is a list of paths (strings or `pathlib.Path`). `os.path.basename` or `Path(f).name`
# give the file name.

# %% nbgrader={"grade_id": "labels_from_filenames", "solution": true}
def labels_from_filenames(files):
    """Label 1 for cat.N.jpg, 0 for dog.N.jpg, from each file's name (not its folders), any case.

    files: a sequence of paths (str or pathlib.Path).
    Returns an int array with one label per file; raises ValueError for a name that is neither.
    """
    ### BEGIN SOLUTION
    labels = []
    for f in files:
        animal = os.path.basename(os.fspath(f)).split(".")[0].lower()
        if animal not in ("cat", "dog"):
            raise ValueError(f"{f}: the file name starts with neither 'cat.' nor 'dog.'")
        labels.append(1 if animal == "cat" else 0)
    labels = np.array(labels, dtype=np.int64)
    ### END SOLUTION
    return labels


# %% nbgrader={"grade_id": "test_labels_from_filenames", "grade": true, "points": 2}
check("labels_from_filenames", labels_from_filenames)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("labels_from_filenames", labels_from_filenames)
### END HIDDEN TESTS

# %% [markdown]
# ### A validation set with a fixed seed, and 224 × 224 images
#
# `valid_pct=0.2, seed=42` holds out a random fifth of the photos as **validation data
# (검증 데이터)**: the model never trains on them, so its error there estimates its error on photos
# it has never seen. The fixed seed makes the split the same every time the notebook runs, so two
# runs (or two models) are compared on the same photos; a new random split per run would mix the
# difference between the models with the difference between the splits.
#
# **When a random split is wrong.** A random split is a fair test only when the validation photos are
# like the photos the model will meet later: new ones, unrelated to those it trained on. Two kinds of
# data break that, and the notes name both:
# - **Time series (시계열)**, such as a shop's daily sales. A random split puts days from the future
#   into the training set, and the model is validated on days between days it has seen: an easier
#   task than the real one, forecasting what comes after the data. Hold out the **most recent**
#   period instead — train on the past, validate on what follows — as a fund manager judges a
#   strategy on the years after the ones it was built on.
# - **Several items from one source.** When one person, one pet or one car appears in many photos,
#   a random split puts photos of the same individual on both sides. The model can then be right
#   by recognising the individual instead of learning the task, and its validation error is too
#   optimistic: information from the validation set has leaked into training, **data leakage
#   (데이터 누수)**. Split by individual instead: every photo of one driver (fastai's example is a
#   competition to spot distracted drivers, where the test photos show drivers the training set
#   never does) goes to the same side.
#
# For our photos we follow the lesson's random split: nothing in the file names groups the photos by
# animal or by date, so there is no group to keep together.
#
# Every photo is resized to 224 × 224 (`Resize(224)`): a batch needs images of one size, and the
# pretrained weights were trained at that size. Our photos are not square, so our loader first
# crops the longer side to a centred square, then scales; it does this to every photo, training and
# validation alike, once, and keeps the result in memory. (fastai's `Resize` crops the training
# photos at a random place each epoch, a mild form of data augmentation; our loader does not.)
# `preprocess_input` then maps the pixels from [0, 255] to [-1, 1], the range MobileNetV2 was
# trained on; the data applies it to every batch, as fastai's `Normalize` does.

# %%
dls = ImageDataLoaders.from_name_func(files, labels_from_filenames, valid_pct=0.2, seed=42, size=224,
                                      batch_size=BATCH, preprocess=preprocess_input, classes=("dog", "cat"),
                                      max_train=N_TRAIN, max_valid=N_VALID)
print(dls)
print("cats in the training set:", f"{dls.train_labels.mean():.1%},", "in the validation set:",
      f"{dls.valid_labels.mean():.1%}")
dls.show_batch(8)
plt.show()

# %% [markdown]
# ## 2. A pretrained body and a new head
#
# A **pretrained model (사전 학습된 모델)** arrives with weights that already compute useful
# things. Zeiler and Fergus (2013) looked inside such a network, layer by layer (the notes show
# their figures): the first layer's filters respond to edges and colour blobs at a few angles;
# the second to corners, curves and simple textures; the third to repeated patterns and object
# parts (wheels, text, petals); the fourth and fifth to whole concepts — dog faces, bird legs.
# Early layers compute general features that suit almost any photo; the last layers are specific
# to the 1000 ImageNet classes.
#
# So we keep the body and replace the part that names ImageNet's classes. MobileNetV2 (Sandler et
# al., 2018; 154 layers, 2.26 million weights without its classifier, small enough for a CPU) turns
# a 224 × 224 image into a 7 × 7 grid of 1280 **features (특징)**. Our **head** averages the grid
# into one 1280-vector (global average pooling), applies dropout and one `Dense` layer with one
# score per class. The head starts random; the body starts from ImageNet.
#
# Two Keras details matter:
# - `base.trainable = False` **freezes** the body: its weights are left out of the trainable weights,
#   so the optimizer never changes them.
# - Its batch-normalization layers (notebook 05) must keep ImageNet's running means and variances.
#   A batch norm whose `trainable` is False runs in inference mode, with those statistics; a trainable
#   one, in training mode, normalises with the statistics of each small batch of cats and dogs and
#   overwrites ImageNet's — the first steps of fine-tuning would wreck the features we came for. The
#   Keras guide to transfer learning says to call the body as `base(x, training=False)` for this, but
#   in Keras 3 that no longer sticks: `fit` calls the model with `training=True`, which overrides it
#   (Keras issue 20285). So our learner keeps every batch norm frozen when it unfreezes the rest
#   (`Learner(..., train_bn=False)`, the default). fastai trains its batch norms instead; with the
#   small batches of a CPU, freezing them is the safe choice.
#
# ### Exercise 2 — `build_transfer_model`
# Build `keras.Input((224, 224, 3))` → `keras.applications.MobileNetV2(weights="imagenet",
# include_top=False, input_shape=(224, 224, 3))`, with its `trainable` set to False →
# `GlobalAveragePooling2D` → `Dropout(dropout)` → `Dense(n_classes)`, with the functional API or
# `keras.Sequential`. The last layer has no activation: its outputs are **logits (로짓)**, and the
# loss applies the softmax. The data already apply `preprocess_input`, so nothing comes between the
# input and the backbone.

# %% nbgrader={"grade_id": "build_transfer_model", "solution": true}
def build_transfer_model(n_classes=2, dropout=0.2):
    """A frozen ImageNet MobileNetV2 (224 x 224, no top) with a new head: global average pooling,
    dropout, Dense(n_classes) logits. Returns a keras.Model taking preprocessed 224x224x3 images."""
    ### BEGIN SOLUTION
    base = keras.applications.MobileNetV2(weights="imagenet", include_top=False, input_shape=(224, 224, 3))
    base.trainable = False
    inputs = keras.Input(shape=(224, 224, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(base(inputs))
    logits = keras.layers.Dense(n_classes)(keras.layers.Dropout(dropout)(pooled))
    model = keras.Model(inputs, logits, name="mobilenetv2_transfer")
    ### END SOLUTION
    return model


# %% nbgrader={"grade_id": "test_build_transfer_model", "grade": true, "points": 3}
check("build_transfer_model", build_transfer_model)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("build_transfer_model", build_transfer_model)
### END HIDDEN TESTS

# %%
keras.utils.set_random_seed(42)
model = build_transfer_model()
n_train = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
n_frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
print(f"{len(model.layers[1].layers)} layers in the backbone; {n_train:,} trainable weights (the head), "
      f"{n_frozen:,} frozen")

# %% [markdown]
# ## 3. The learner, and `error_rate`
#
# `Learner(model, dls)` compiles the model with cross-entropy on the logits as the **loss
# (손실 함수)** and `error_rate` as the **metric (평가 지표)**. The **error rate (오류율)** is the
# fraction of validation images classified wrongly, 1 − accuracy: an error rate of 2 % on our 600
# validation photos means 12 mistakes. The loss is what gradient descent minimises — it must be
# smooth, and it rewards confidence in the right class; the metric is what we care about. They
# usually move together, but not always: a model can grow more confident on the photos it already
# gets right (the loss falls) while it keeps the same mistakes (the error rate stays).
#
# The learner splits the model into three **layer groups**, fastai's way: the backbone's first
# half, its second half, and the head. Freezing works group by group, and each group gets its own
# learning rate.

# %%
learn = Learner(model, dls)
for i, group in enumerate(learn.groups):
    print(f"group {i}: {len(group):3d} layers with weights, from {group[0].name} to {group[-1].name}")
print("trainable groups now:", learn.trainable_groups())
untrained = learn.validate()
print(f"before training: error rate {untrained['error_rate']:.1%}, loss {untrained['loss']:.3f}" + SHORT)

# %% [markdown]
# ## 4. Finding a learning rate
#
# The learning rate is the hyper-parameter that matters most (notebook 06). Leslie Smith's
# **learning-rate finder** (2015) measures a good one in a single short run: train for a hundred
# steps while the learning rate grows exponentially, from $10^{-7}$ to 10, and watch the loss. At
# tiny rates nothing happens; then the loss starts falling, faster and faster; at some point the
# steps overshoot and the loss explodes. A good rate lies where the loss still falls steeply, a
# little before the minimum: fastai's two classic suggestions are a tenth of the rate at the
# minimum (`lr_min`) and the rate of steepest descent (`lr_steep`). The finder then puts the weights
# (and the optimizers' state) back as they were.
#
# Each step's loss comes from another batch of 32 photos, so the raw curve is noisy, and both
# suggestions are read from a **smoothed** curve: each point becomes a weighted average of the
# losses around it, a quarter of a decade of learning rate on either side. (fastai smooths with a
# running average, notebook 06's EWMA with $\beta = 0.98$; a running average lags, and on a
# 100-step sweep its curve trails the losses by one to three decades of learning rate.) Two more
# precautions: the first tenth of the steps is left out — the rate is too small there to teach the
# model anything, and only the batches' noise moves the loss, so the steepest "descent" of those
# steps would be a fluke — and `lr_steep` is searched only on the descent into the minimum, from
# where the smoothed loss starts to fall in earnest, so that a wiggle on the plateau or on the floor
# does not count. The sweep stops early once the smoothed loss exceeds four times its lowest value.

# %%
found = learn.lr_find(num_it=LR_FIND_STEPS)
print(f"lr_min {found['lr_min']:.1e}, lr_steep {found['lr_steep']:.1e}  (fine_tune's default base_lr is 2e-3)"
      + ("  (short mode: 3 steps, these suggestions mean nothing)" if FAST else ""))

# %% [markdown]
# The printed suggestions are your run's, and the plot shows where they come from. In full mode the
# smoothed loss stays near the random head's level until the rate reaches roughly $10^{-4}$, falls
# steeply over the next one or two decades to below 0.15, and climbs again beyond a few times
# $10^{-2}$. `lr_steep` lands around $10^{-3}$ and `lr_min` at a few times $10^{-3}$ (in three
# full-mode runs with different seeds: `lr_steep` 5e-4 to 1.3e-3, `lr_min` 4e-3 to 8e-3), on
# either side of `fine_tune`'s default `base_lr=2e-3`, which we keep. Their exact values move from
# run to run with the batches' noise: they mark a range to choose from, not one right answer.

# %% [markdown]
# ## 5. The one-cycle schedule
#
# fastai trains with Smith's **one-cycle** policy (2018): one learning-rate cycle over the whole
# run. The rate warms up from $\eta_{max}/\text{div}$ to $\eta_{max}$ over the first
# `pct_start` of the steps, then anneals to $\eta_{max}/\text{div\_final}$, far below where it
# started. Early large steps are dangerous while the weights are random (and Adam's estimates are
# noisy); in the middle, large steps explore and act as a regulariser; the long anneal at the end
# settles into a minimum (notebook 06's cosine decay). The momentum moves the opposite way: high
# (0.95) while the rate is low, low (0.85) at the peak — large steps with much momentum overshoot —
# and high again as the rate anneals. With Adam, "momentum" is $\beta_1$.
#
# Both phases are half cosines. With $p = \text{step} / \text{total\_steps}$ (capped at 1), a
# phase going from $a$ to $b$ at fraction $t \in [0, 1]$ of the phase has the value
#
# $$a + (b - a)\,\frac{1 - \cos(\pi t)}{2}, \qquad
# t = \begin{cases} p / \text{pct\_start} & p < \text{pct\_start}\ \text{(warm-up)}\\
# (p - \text{pct\_start}) / (1 - \text{pct\_start}) & \text{otherwise (anneal)} \end{cases}$$
#
# | | warm-up: from $a$ … to $b$ | anneal: from $a$ … to $b$ |
# | --- | --- | --- |
# | learning rate | $\eta_{max}/\text{div}$ … $\eta_{max}$ | $\eta_{max}$ … $\eta_{max}/\text{div\_final}$ |
# | momentum | `moms[0]` … `moms[1]` | `moms[1]` … `moms[2]` |
#
# fastai's defaults: `pct_start=0.25, div=25, div_final=1e5, moms=(0.95, 0.85, 0.95)`. Note the
# warm-up is a rising half cosine, not the straight line of Keras' `CosineDecay(warmup_target=...)`.
#
# **Worked example.** `total_steps=8`, `lr_max=0.01`, `pct_start=0.25`: steps 0 and 1 warm up,
# step 2 is the peak, and the anneal ends at step 8 (the last step trained is 7):
#
# | step | 0 | 1 | 2 | 5 | 8 |
# | --- | --- | --- | --- | --- | --- |
# | $p$, phase, $t$ | 0, warm-up, 0 | 0.125, warm-up, 0.5 | 0.25, anneal, 0 | 0.625, anneal, 0.5 | 1, anneal, 1 |
# | learning rate | 0.0004 | 0.0052 | 0.01 | 0.00500005 | 1e-07 |
# | momentum | 0.95 | 0.90 | 0.85 | 0.90 | 0.95 |
#
# ### Exercise 3 — `one_cycle_lr`
# `step` is an int or an array of ints; return `(learning_rate, momentum)`: two floats for an int
# step, two arrays of `step`'s shape for an array. `np.where` computes both phases at once.

# %% nbgrader={"grade_id": "one_cycle_lr", "solution": true}
def one_cycle_lr(step, total_steps, lr_max, pct_start=0.25, div=25.0, div_final=1e5,
                 moms=(0.95, 0.85, 0.95)):
    """fastai's one-cycle schedule at `step` of `total_steps`: (learning rate, momentum).

    Warm-up over the first pct_start of the steps: lr from lr_max/div to lr_max, momentum from
    moms[0] to moms[1]; then the anneal: lr from lr_max to lr_max/div_final, momentum from moms[1]
    to moms[2]. Each phase is a half cosine, a + (b - a) * (1 - cos(pi * t)) / 2, t in [0, 1].
    """
    step = np.asarray(step, dtype=np.float64)
    ### BEGIN SOLUTION
    p = np.minimum(step / total_steps, 1.0)
    warm = p < pct_start
    t = np.where(warm, p / pct_start, (p - pct_start) / (1.0 - pct_start))
    rise = (1.0 - np.cos(np.pi * t)) / 2.0
    lr_a = np.where(warm, lr_max / div, lr_max)
    lr_b = np.where(warm, lr_max, lr_max / div_final)
    mom_a = np.where(warm, moms[0], moms[1])
    mom_b = np.where(warm, moms[1], moms[2])
    lr, mom = lr_a + (lr_b - lr_a) * rise, mom_a + (mom_b - mom_a) * rise
    ### END SOLUTION
    if np.ndim(lr) == 0:
        return float(lr), float(mom)
    return lr, mom


# %% nbgrader={"grade_id": "test_one_cycle_lr", "grade": true, "points": 3}
check("one_cycle_lr", one_cycle_lr)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("one_cycle_lr", one_cycle_lr)
### END HIDDEN TESTS

# %%
steps = np.arange(300)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
for pct, div in [(0.25, 25.0), (0.99, 25.0), (0.3, 5.0)]:
    lr, mom = one_cycle_lr(steps, 300, 2e-3, pct_start=pct, div=div)
    axes[0].plot(steps, lr, label=f"pct_start={pct}, div={div:g}")
    axes[1].plot(steps, mom)
axes[0].set(xlabel="step", ylabel="learning rate", title="one-cycle: learning rate (lr_max 2e-3)")
axes[1].set(xlabel="step", ylabel="momentum", title="one-cycle: momentum")
axes[0].legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 6. `fine_tune`: train the head, then everything, early layers slowest
#
# fastai's `learn.fine_tune(epochs)` is two one-cycle runs:
#
# 1. **Frozen.** Freeze every group but the head and train the head alone for `freeze_epochs`
#    (default 1) at `base_lr` (default 2e-3), with `pct_start=0.99`: the rate warms up for almost the
#    whole epoch. The random head would otherwise send large, meaningless gradients into the body.
# 2. **Unfrozen.** Halve `base_lr`, unfreeze everything and train for `epochs` epochs with
#    **discriminative learning rates (차등 학습률)**: the head at `base_lr`, the first group at
#    `base_lr / lr_mult` (default 100 times lower), the groups between spaced geometrically — each
#    group's rate a constant factor above the previous one, like fastai's `slice(lo, hi)`. The early
#    layers' general features need little change, the later layers more. This run uses
#    `pct_start=pct_start` (0.3) and `div=div` (5).
#
# With $G$ groups, group $g = 0, \dots, G-1$ gets $\text{lo} \cdot (\text{hi}/\text{lo})^{g/(G-1)}$.
# **Worked example**, the defaults with our 3 groups: $\text{hi} = 0.002/2 = 10^{-3}$,
# $\text{lo} = 10^{-5}$: the rates are $10^{-5}, 10^{-4}, 10^{-3}$.
#
# ### Exercise 4 — `fine_tune`
# Use only the learner: `learn.freeze()`, `learn.unfreeze()`, `learn.n_groups`, and
# `learn.fit(epochs, lr, **schedule_kwargs)`, where `lr` is one number or a list of one rate per
# group, first group first, and the keyword arguments (`pct_start`, `div`) go to the learner's
# schedule — `one_cycle_lr` for the learner below. Call `fit` exactly twice.

# %% nbgrader={"grade_id": "fine_tune", "solution": true}
def fine_tune(learn, epochs, base_lr=2e-3, freeze_epochs=1, lr_mult=100, pct_start=0.3, div=5.0):
    """fastai's fine_tune: train the head with the body frozen for freeze_epochs (base_lr,
    pct_start 0.99), then unfreeze and train everything for epochs with discriminative learning
    rates from base_lr / 2 / lr_mult (first group) to base_lr / 2 (head), geometrically spaced,
    passing pct_start and div to the schedule."""
    ### BEGIN SOLUTION
    learn.freeze()
    learn.fit(freeze_epochs, base_lr, pct_start=0.99)
    base_lr /= 2
    learn.unfreeze()
    n = learn.n_groups
    lrs = [base_lr / lr_mult * lr_mult ** (g / (n - 1)) for g in range(n)]
    learn.fit(epochs, lrs, pct_start=pct_start, div=div)
    ### END SOLUTION


# %% nbgrader={"grade_id": "test_fine_tune", "grade": true, "points": 4}
check("fine_tune", fine_tune)
### BEGIN HIDDEN TESTS
from autograder.hidden import grade; grade("fine_tune", fine_tune)
### END HIDDEN TESTS

# %% [markdown]
# Now the real thing: `fine_tune(learn, 1)`, the lesson's `learn.fine_tune(1)`. The learner gets
# `one_cycle_lr` as its schedule. Each epoch prints a Keras progress bar and then fastai's line:
# training loss, validation loss, error rate, time.

# %%
keras.utils.set_random_seed(42)
learn = Learner(model, dls, schedule=one_cycle_lr)
fine_tune(learn, EPOCHS)
for i, phase in enumerate(learn.phases):
    print(f"phase {i}: {phase['epochs']} epoch(s), trainable groups {phase['trainable']}, "
          f"learning rates {[f'{lr:.0e}' for lr in phase['lrs']]}, {phase['seconds']:.0f} s")
tuned = learn.validate()
tuned_seconds = sum(phase["seconds"] for phase in learn.phases)
n_valid = len(dls.valid_labels)
frozen_error = learn.recorder.epochs[0]["val_error_rate"]     # after the frozen epoch
for name, error in [("random head", untrained["error_rate"]), ("after the frozen epoch", frozen_error),
                    ("fine-tuned", tuned["error_rate"])]:
    print(f"{name:>23}: error rate {error:6.2%} ({round(error * n_valid)} of {n_valid} validation images)"
          + SHORT)

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 3.2))
learn.recorder.plot_sched(axes[:2])
learn.recorder.plot_loss(axes[2])
fig.tight_layout()
plt.show()

# %% [markdown]
# The schedule plot shows the two runs of `fine_tune` end to end: the head's rate (group 2) rising
# for a whole epoch, then three rates a factor 10 apart, each warming up for 30 % of the second run
# and annealing; the momentum dips at each peak.
#
# ## 7. Results and top losses
#
# The numbers above are your run's. In full mode (all 2400 training images, batches of 32) the
# frozen epoch alone takes the error rate from the random head's, near guessing, to about 2 %: 9 to
# 15 of the 600 validation photos in our runs (1.5 % to 2.5 %). The unfrozen epoch then moves it by
# a few photos, down in two of our three runs (to 1.2 % and 1.3 %) and up in the third (to 2.2 %).
# One photo is 0.17 % of 600, and a few photos is what separates two runs anyway: another machine
# computes in another order and rounds differently, and the batches' noise takes it from there. On
# this easy task one epoch is too short for fine-tuning the body to show a gain every time; what
# every run shows is the jump from nearly half the photos wrong to two in a hundred or fewer. (In the
# run that ended at 2.2 %, the unfrozen epoch lowered the validation loss, from 0.059 to 0.045,
# while the error rate rose: section 3's loss and metric moving apart.) The times are printed too:
# minutes per epoch on a CPU, far less on a GPU.
#
# A look at the predictions, then at the **top losses**: the validation images with the highest
# loss — wrong with confidence, or right with little. They show where the model fails, and, as
# often, where the data does: a photo with both a cat and a dog, a cartoon, a label that is wrong.

# %%
learn.show_results(8)

# %%
order, top = learn.plot_top_losses(9)

# %% [markdown]
# ## 8. The same network from scratch
#
# What did ImageNet buy us? The same architecture — MobileNetV2 with the same head — starting from
# random weights, trained on the same images with the same one-cycle schedule for as many epochs as
# `fine_tune` ran (the frozen and the unfrozen epoch). Every layer trains from the first step, so each
# epoch costs the full backward pass: it gets more computing time than the fine-tuned model had.
# Its batch norms must learn their statistics from our images (they have nothing better), so this
# learner trains them (`train_bn=True`). `lr_max=1e-3` is fastai's default for `fit_one_cycle`.

# %%
keras.utils.set_random_seed(42)
scratch = keras.Sequential([
    keras.Input((224, 224, 3)),
    keras.applications.MobileNetV2(weights=None, include_top=False, input_shape=(224, 224, 3)),
    keras.layers.GlobalAveragePooling2D(),
    keras.layers.Dropout(0.2),
    keras.layers.Dense(2),
], name="mobilenetv2_scratch")
learn_scratch = Learner(scratch, dls, schedule=one_cycle_lr, train_bn=True)
learn_scratch.unfreeze()
learn_scratch.fit(sum(phase["epochs"] for phase in learn.phases), 1e-3)
from_scratch = learn_scratch.validate()
scratch_seconds = learn_scratch.phases[-1]["seconds"]
print(f"fine-tuned pretrained MobileNetV2: error rate {tuned['error_rate']:6.2%}  "
      f"({tuned_seconds:.0f} s of training)" + SHORT)
print(f"MobileNetV2 from scratch:          error rate {from_scratch['error_rate']:6.2%}  "
      f"({scratch_seconds:.0f} s of training)" + SHORT)
print(f"training loss of the last epoch: fine-tuned {learn.recorder.epochs[-1]['loss']:.3f}, "
      f"from scratch {learn_scratch.recorder.epochs[-1]['loss']:.3f} (guessing: ln 2 = {np.log(2):.3f})"
      + SHORT)

# %% [markdown]
# In full mode, after the same 2 epochs and more computing time (both printed above), the network
# trained from scratch is no better than a coin toss: its error rate is near 50 % (51.8 % in both of
# our full-mode runs, exactly the share of dogs among the validation photos: it called every photo a
# cat), where the pretrained one makes about a dozen mistakes in 600 or fewer. Its training loss has
# barely moved from $\ln 2 \approx 0.69$, the loss of guessing; and its batch norms' running
# statistics, averages with Keras' momentum 0.999, still hold 86 % ($0.999^{150}$) of their initial
# values after 150 steps, so in inference mode the network normalises with the wrong statistics
# anyway. Training 2.26 million weights from scratch needs far more data and epochs than we have;
# transfer learning lets a few thousand photos and a CPU do what would otherwise need a data centre.
#
# ## 9. Beyond classifying photos: segmentation and tables
#
# The same recipe — a pretrained body, a new head, `fine_tune` — reaches far beyond classification.
# Two pointers from the lesson, without exercises:
#
# - **Segmentation (분할)** labels every *pixel*: road, car, pedestrian, tree (CamVid, the lesson's
#   example, is street scenes from a car). fastai's `unet_learner(dls, resnet34)` puts a pretrained
#   ResNet as the encoder of a U-Net; a decoder upsamples its features back to the image size, and
#   the loss is a cross-entropy per pixel. In Keras the pattern is the same: a
#   `keras.applications` backbone with `include_top=False`, its intermediate feature maps taken as
#   skip connections, `Conv2DTranspose`/`UpSampling2D` layers as the decoder, and `Dense(n_classes)`
#   per pixel (Keras' examples include "Image segmentation with a U-Net-like architecture").
#   The data are images and masks: `label_func` maps an image's file name to its mask's.
# - **Tabular data (테이블 데이터)** — rows of a spreadsheet: age, education, occupation... predicting
#   a column such as income. fastai's `tabular_learner` embeds each *categorical* column (a learned
#   vector per category, a trainable form of the one-hot encoding of notebook 01), normalises the
#   *continuous* ones, fills missing values, and trains an MLP with `fit_one_cycle`: there is no
#   pretrained model for a company's own table, so there is nothing to fine-tune. In Keras,
#   `keras.utils.FeatureSpace` does the preprocessing and `Embedding` layers the embeddings.

# %% [markdown] nbgrader={"grade_id": "q_freeze_first", "grade": true, "solution": true, "points": 2}
# **Question.** (a) Why does `fine_tune` first train the head with the body frozen, instead of
# training everything from the first step? (b) Why do the early layers get a learning rate 100
# times lower than the head? Use what the layers of a CNN learn (section 2).
#
# ### BEGIN SOLUTION
# (a) The head starts random, so its first outputs, and the gradients it sends back into the body,
# are large and meaningless. Trained together from the start, those gradients would change the
# pretrained features before the head knows what to ask of them, destroying part of what we came for.
# With the body frozen, the head learns to use the existing features first (a quick, convex-like
# problem on top of fixed features); after that the gradients reaching the body are small and
# informative, and fine-tuning only adjusts it.
# (b) Early layers compute general features (edges, colours, textures) that are as good for cats and
# dogs as for ImageNet, so they need little change and could be damaged by large steps; later layers
# compute features specific to ImageNet's classes and must adapt more; the head is new and must
# learn most. Discriminative learning rates give each group a step size in proportion to how much it
# has to change.
# ### END SOLUTION

# %% [markdown] nbgrader={"grade_id": "q_metric_loss", "grade": true, "solution": true, "points": 2}
# **Question.** (a) The learner minimises cross-entropy but reports `error_rate`. Why not train on the
# error rate directly? (b) Between two epochs the validation loss rises while the error rate falls.
# How can that happen?
#
# ### BEGIN SOLUTION
# (a) The error rate is a step function of the weights: a small change of the weights changes no
# prediction, so its gradient is zero almost everywhere (and undefined where a prediction flips);
# gradient descent gets no signal from it. Cross-entropy is smooth and still rewards putting more
# probability on the right class, so it can be minimised by gradient descent; the error rate is the
# metric we care about and report.
# (b) The error rate counts only which side of 50 % a prediction falls; the loss also weighs how
# confident it is. If the model fixes a few borderline images (error rate falls) while becoming very
# confident on a few images it gets wrong (each costs -log of a tiny probability), the mean loss can
# rise. Rising validation loss with a stable or falling error rate is often the first sign of
# overconfidence / overfitting.
# ### END SOLUTION

# %% [markdown] nbgrader={"grade_id": "q_validation_split", "grade": true, "solution": true, "points": 2}
# **Question.** (a) Why does the split use a fixed seed? (b) Section 1 names two kinds of data for
# which a random validation set is wrong. Give an example of each that is not the notebook's; for
# each, say why a random split would make the validation error look better than it will be, and how
# you would choose the validation set instead.
#
# ### BEGIN SOLUTION
# (a) So that every run (and every model we compare) is judged on the same validation images: a new
# split each run would add the difference between splits to the difference between models, and a
# model could look better only because it drew easier photos. It also makes results reproducible.
# (b) Time series, e.g. predicting tomorrow's electricity demand from past days: a random split puts
# days from the future in the training set, so the model fills gaps between days it has seen
# instead of forecasting beyond its data, and its validation error is too optimistic. Use the most
# recent period as validation (train on the past, validate on what follows), as the model will be
# used. Several items from one source, e.g. many X-rays of each patient: a random split puts X-rays
# of the same patient on both sides, so the model can be right by recognising the patient (data
# leakage) and looks better than it will on new patients. Split by patient: all of a patient's
# images go to training or all to validation, so the validation patients are unseen.
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# - Transfer learning reuses a pretrained body; fine-tuning trains it further, gently.
# - Labels can come from file names: look at the name only, any case, and fail loudly on a name
#   that fits no rule.
# - A random validation set with a fixed seed (`valid_pct=0.2, seed=42`) judges every run on the
#   same images. For a time series, validate on the most recent period; when one individual appears
#   in several items, keep all of its items on one side of the split.
# - Freeze the body and train a new head first (`base.trainable = False`; keep its batch norms
#   frozen, in inference mode, throughout); then unfreeze and fine-tune with discriminative learning
#   rates, early layers slowest.
# - The learning-rate finder picks a rate in one short run; the one-cycle schedule warms up, then
#   anneals, with the momentum cycling the other way.
# - In full mode the pretrained network reaches an error rate of about 2 % or less in two epochs,
#   where the same network from scratch stays at guessing.

# %% [markdown]
# Before you hand in: run every visible check of this notebook at once.

# %%
from utils.checks import check_all
check_all();
