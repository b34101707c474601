# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 00 · Setup: Colab, the GPU, and training that survives a disconnect
#
# Run this notebook first, on every machine (or Colab runtime) you will work on. It is **not graded**;
# it makes sure the later notebooks will run, and it introduces three things they rely on:
#
# 1. **where you work**: Google Colab in the browser, or JupyterLab on your own machine; which
#    versions of Python, TensorFlow and Keras you have, and whether a GPU is there;
# 2. **what the course is about**: the machine-learning pipeline and the map
#    AI > machine learning > neural networks > deep learning;
# 3. **training that survives a disconnect**: a Colab runtime can vanish in the middle of training.
#    We save a checkpoint after every epoch (to Google Drive, or a local folder) and resume from the
#    last one, with `utils.training.fit_resumable`, which the later notebooks use.
#
# The first code cell above this text (the same in every notebook) installs the course's `utils`
# package on Colab, straight from the course repository. Locally it does nothing: your environment
# already has `utils` (see the course README: `pip install -r requirements.txt -e .`, or the conda
# `environment.yml`).

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

from utils import FAST
from utils.data import use_offline_cache
from utils.environment import check_environment, mount_drive, on_colab, persistent_folder
from utils.intro_plots import plot_ai_map, plot_pipeline
from utils.training import (Disconnected, clear_checkpoints, completed_epochs, fit_resumable,
                            simulated_disconnect, training_log)

use_offline_cache()   # the course's local copy of the data, if there is one (else Keras downloads)

# %% [markdown]
# ## 1. Where you can work
#
# The lecture notes list the options, from least to most setup:
#
# - **Google Colab** (<https://colab.research.google.com>): a Jupyter notebook in the browser, on a
#   virtual machine Google lends you, with TensorFlow installed and, if you ask for it, a GPU. Nothing
#   to install; the price is that the machine is temporary (section 4).
# - **Your own machine**: JupyterLab in a virtual environment (`venv`, or Anaconda), a machine with
#   an NVIDIA GPU for serious work (the notes mention RTX 3080/3090-class cards), or a **Docker**
#   container, which also keeps old projects with old library versions runnable.
# - **A cloud provider** (Amazon, Microsoft, Google Cloud with its TPUs): like your own machine, rented.
#
# On Colab, the left bar has the table of contents (built from the notebook's `#` headings) and the
# file browser (with the runtime's disk usage); the top right shows its RAM and disk. Every notebook
# of this course runs on all of these, with or without a GPU.
#
# ## 2. The environment check
#
# The next cell checks what the course needs: Python, numpy, matplotlib, TensorFlow and Keras at
# least at the versions the course is tested with, Keras running on TensorFlow, and the Fashion-MNIST
# data loadable through `keras.datasets` (downloaded on Colab; the course's offline copy locally).
# It stops with a message saying what to fix if something is missing. A GPU is reported, not
# required.

# %%
report = check_environment()

# %% [markdown]
# Since TensorFlow 2.0, Keras is TensorFlow's official high-level API. The notes import it as
# `from tensorflow import keras`; today Keras 3 is its own package, and `import keras` gives the
# same thing (with TensorFlow 2.16 or newer, `tf.keras` *is* Keras 3):

# %%
import keras  # noqa: E402  (after use_offline_cache: Keras reads its data folder when imported)
import tensorflow as tf  # noqa: E402

print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}; tf.keras.Model is keras.Model: "
      f"{tf.keras.Model is keras.Model}")

# %% [markdown]
# ### The GPU
#
# Deep learning is mostly large matrix products, which a GPU computes many times faster than a CPU.
# A Colab runtime starts on a CPU. To get a GPU: menu **Runtime → Change runtime type → Hardware
# accelerator: GPU** (a T4 on the free tier; the notes' menu also offers TPU and None) → **Save**.
# The runtime restarts, so run the notebook again from the top; the check above then lists the GPU.
#
# You do not have to tell Keras to use it: when TensorFlow sees a GPU, every layer runs there. You can
# ask TensorFlow where a computation ran:

# %%
x = tf.random.normal((1000, 1000))
t0 = time.perf_counter()
product = x @ x
_ = product.numpy()
print(f"a 1000x1000 matrix product ran on {product.device} in {1000 * (time.perf_counter() - t0):.1f} ms")

# %% [markdown]
# ## 3. The map: AI > machine learning > neural networks > deep learning
#
# The notes draw the fields as nested sets. **Artificial intelligence (인공지능)** is the widest:
# any technique that makes a machine act intelligently, including hand-written rules and search.
# **Machine learning (머신러닝)** is one way to get there: instead of a person writing the logic, the
# computer derives it from data and the desired outputs. **Neural networks (신경망)** are one family
# of machine-learning models (decision trees and support-vector machines are others), and **deep
# learning (딥러닝)** is the use of neural networks with many layers. Deep learning is not a new field
# but a kind of machine learning; this course covers the two inner circles.

# %%
fig, ax = plt.subplots(figsize=(8, 5))
plot_ai_map(ax)
plt.show()

# %% [markdown]
# **Why learn from data?** The notes' example is a spam filter. Programmed by hand: study the
# problem, write rules ("contains 'free money'"), test, and when spammers change their wording,
# study and write rules again. With machine learning: study the problem, *train* a model on examples
# of spam and non-spam, evaluate it, and when it falls behind, train again on newer data. The rules are
# learned, and for tasks with no rules anyone can write down — recognising a face, a song, a sentence
# — learning is the only way. A model must do two things: explain the data we have, and (what
# matters) predict well on data it has not seen. More data usually helps with both.
#
# **Kinds of learning.**
#
# - **Supervised learning (지도학습)**: every training example comes with the answer (a label); the
#   model learns the mapping — classification (this image is a coat) and regression (this house
#   costs that much). Every graded notebook of this course is supervised.
# - **Unsupervised learning (비지도학습)**: no labels; the model finds structure by itself — clustering
#   similar customers, or learning what normal sensor data looks like and flagging the rest as a
#   possible fault.
# - **Reinforcement learning (강화학습)**: an agent acts, receives rewards, and adjusts its **policy**
#   (its rule for choosing actions) by trial and error — robots, games, AlphaGo.
#
# **Batch versus online learning.** In **batch learning (배치 학습)** the model is trained on the whole
# data set at once, offline, and then used; to learn from new data it is retrained from scratch. In
# **online learning (온라인 학습)** it keeps learning incrementally, one example or one small group at a
# time, as data arrives — useful when data comes in a stream or is too large to keep. One set of the
# class notes calls online learning "also known as mini-batch" learning. That mixes up two things:
# mini-batches are how we compute each gradient step (notebook 02), and every notebook here trains on
# mini-batches of a fixed data set — which is batch (offline) learning. Online learning is about the
# model continuing to learn after deployment.
#
# ## 4. The pipeline
#
# A project moves through the stages the notes list: **define the problem** (what to predict, and
# how success is measured), **collect and understand the data**, turn raw data into **features**
# (feature engineering: e.g. one-hot encoding a street name, scaling pixels), **choose and train a
# model** (optimization), **evaluate** it honestly (train / validation / test data), and **deploy**
# it (a container, a report, an application, a database). Evaluation regularly sends you back to an
# earlier stage. The boxes say where this course practises each stage:

# %%
fig, ax = plt.subplots(figsize=(12, 2.8))
plot_pipeline(ax)
plt.show()

# %% [markdown]
# The three data sets of the evaluation stage, in the notes' words: the **training data** fits the
# model, the **validation data** chooses its hyper-parameters (and when to stop training), and the
# **test data** gives the final, honest score. Notebook 09 does all of this on real images.
#
# ## 5. Colab sessions end: keep your work on Google Drive
#
# A Colab runtime is not yours to keep. It disconnects when the notebook sits idle for a while, after
# a maximum time (a few hours on the free tier), or when Colab needs the machine; the notes' advice:
# even the paid plan (USD 9.99 a month, at the time) can disconnect. Everything on the runtime goes
# with it: variables, trained models, and every file under `/content`. What survives is what you
# saved elsewhere — on **Google Drive**, which Colab can mount as a folder.
#
# Set `USE_DRIVE = True` below to mount your Drive (Colab asks you to allow access; the notes mount
# it at `/gdrive`, today's default is `/content/drive`). Locally, or with `USE_DRIVE = False`, files
# go to a folder next to this notebook: that persists on your own machine, but on Colab it is erased
# with the runtime.

# %%
USE_DRIVE = False     # set to True on Colab to keep checkpoints on Google Drive
drive = mount_drive() if USE_DRIVE and on_colab() else None
checkpoint_root = persistent_folder("checkpoints", drive=drive)
print("checkpoints go to:", checkpoint_root.resolve(), "(Google Drive)" if drive else "(this machine's disk)")

# %% [markdown]
# ## 6. Training that survives a disconnect
#
# The cure for lost training is to save the training state after every epoch and to continue from
# the last save. Keras has the callbacks for it, and `utils.training.fit_resumable(model, x, y,
# checkpoint_dir=..., epochs=..., ...)` wires them into `model.fit`:
#
# - `keras.callbacks.BackupAndRestore` writes the weights, the optimizer's state (Adam's moment
#   estimates, its step count) and the number of finished epochs at the end of each epoch; when a
#   later `fit` finds such a backup it loads it and starts with the next epoch;
# - `keras.callbacks.ModelCheckpoint` saves the whole model (`last.keras`, and `best.keras` for the
#   best validation score), which `keras.models.load_model` can open without your code;
# - `keras.callbacks.CSVLogger` appends one line per epoch to `log.csv`, so the training curve
#   survives too (`training_log` reads it back).
#
# After a disconnect you reconnect, run the notebook's cells again (setup, Drive, data, model), and the
# training cell *continues* instead of starting over. Run it once more after training finished and it
# just restores the final weights.
#
# Let us try it on a small model and part of Fashion-MNIST. We cannot pull the plug on Colab from
# inside the notebook, so we simulate the disconnect honestly: a callback raises an exception in the
# middle of epoch 4, so the first three epochs are saved and the fourth is lost half way. Then we
# throw the model away and clear Keras' session, as a new runtime would start, build a *fresh*
# model, and call the same training function again.

# %%
N_IMAGES = 1_500 if FAST else 20_000     # FAST (tests, CI): fewer images, same code
EPOCHS = 6
(train_images, train_labels), _ = keras.datasets.fashion_mnist.load_data()
x, y = train_images[:N_IMAGES].astype("float32") / 255.0, train_labels[:N_IMAGES]
x_val, y_val = train_images[-1000:].astype("float32") / 255.0, train_labels[-1000:]


def build_model(seed):
    """A small classifier, built and compiled the same way every time (only the seed differs)."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                              keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10)])
    model.compile(keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


checkpoints = checkpoint_root / "setup_demo"
clear_checkpoints(checkpoints)   # a fresh start for this demonstration (you would not do this after a disconnect)
print("saved epochs before training:", completed_epochs(checkpoints))

# %%
model = build_model(seed=0)
try:
    fit_resumable(model, x, y, checkpoint_dir=checkpoints, epochs=EPOCHS, monitor="val_loss",
                  validation_data=(x_val, y_val), callbacks=[simulated_disconnect(epoch=3)], verbose=2)
except Disconnected as exc:
    print("!!", exc)
print("saved epochs:", completed_epochs(checkpoints), "| files:", sorted(p.name for p in checkpoints.iterdir()))

# %% [markdown]
# The "runtime" is gone: delete the model, clear Keras' state, and start again from nothing but the
# files. The fresh model gets *other* random initial weights (seed 1): whatever it ends up with must
# come from the checkpoint.

# %%
before = keras.models.load_model(checkpoints / "last.keras").evaluate(x_val, y_val, verbose=0)[1]
del model
keras.backend.clear_session()

model = build_model(seed=1)
print(f"fresh model before resuming: validation accuracy {model.evaluate(x_val, y_val, verbose=0)[1]:.3f} "
      f"(untrained); the checkpoint of epoch 3 had {before:.3f}")
history = fit_resumable(model, x, y, checkpoint_dir=checkpoints, epochs=EPOCHS, monitor="val_loss",
                        validation_data=(x_val, y_val), verbose=2)
print("epochs run in this session:", [e + 1 for e in history.epoch])

# %% [markdown]
# Keras printed "Epoch 4/6" first: the resumed run skipped the three saved epochs and redid the lost
# one. The log on disk holds the whole run across both "sessions":

# %%
log = training_log(checkpoints)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
for ax, metric in zip(axes, ("loss", "accuracy")):
    ax.plot(log["epoch"] + 1, log[metric], "o-", label="training")
    ax.plot(log["epoch"] + 1, log[f"val_{metric}"], "s--", label="validation")
    ax.axvline(3.5, color="red", ls=":", label="disconnect (in epoch 4)")
    ax.set(xlabel="epoch", ylabel=metric)
    ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# The curves continue where they stopped: the fourth epoch starts from the third epoch's weights and
# optimizer state, not from scratch. (Only the order in which the remaining epochs shuffle the images
# differs from an uninterrupted run, since the random generator's state is not in the checkpoint;
# `tests/test_training.py` checks that without shuffling, the resumed weights equal the uninterrupted
# run's exactly — also when the first process really dies.)
#
# Run the training cell again now: it finds the finished run and only restores it.

# %%
again = build_model(seed=2)
history = fit_resumable(again, x, y, checkpoint_dir=checkpoints, epochs=EPOCHS, monitor="val_loss",
                        validation_data=(x_val, y_val), verbose=2)
same = np.allclose(again.predict(x_val[:100], verbose=0), model.predict(x_val[:100], verbose=0), atol=1e-6)
print(f"epochs trained: {len(history.epoch)}; restored the finished model: {same}")
best = keras.models.load_model(checkpoints / "best.keras")
print(f"best epoch by validation loss: {int(np.argmin(log['val_loss'])) + 1}, "
      f"its validation accuracy {best.evaluate(x_val, y_val, verbose=0)[1]:.3f}")

# %% [markdown]
# **In your own work on Colab:** mount Drive, give every training run its own checkpoint folder
# (`persistent_folder("checkpoints", drive=drive) / "my_run"`), build and compile the model the same
# way each time, and train with `fit_resumable`. After a disconnect: reconnect, run the cells from the
# top, and the training cell continues. Two caveats: the data and the model code must be the same as
# before the disconnect, and callbacks with their own memory (early stopping's patience counter)
# start afresh.
#
# ## Summary
#
# - Colab gives you a temporary machine with TensorFlow installed (ask for a GPU under *Runtime →
#   Change runtime type*); locally, install the course's environment. Keras uses a GPU automatically.
# - The environment check above passed: this machine can run the course.
# - AI ⊃ machine learning ⊃ neural networks ⊃ deep learning. Supervised, unsupervised and
#   reinforcement learning; batch (offline) versus online (incremental) learning.
# - The pipeline: problem, data, features, model, evaluation (train / validation / test), deployment.
# - A Colab runtime can disconnect at any time: checkpoint to Google Drive after every epoch and resume
#   with `fit_resumable` (Keras' `BackupAndRestore`, `ModelCheckpoint` and `CSVLogger`).
#
# Next: notebook 01, the perceptron.

# %%
print("environment:", report["where"], "| GPUs:", report.get("gpus") or "none",
      "| saved epochs of the demo:", completed_epochs(checkpoints), "of", EPOCHS)
