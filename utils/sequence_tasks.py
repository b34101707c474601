"""A synthetic sequence task for notebook 08's bidirectional experiment, and the classifier that
reads it: the same code for the notebook, its tests and the measurements behind its text.

"first = last": random bit sequences, labelled 1 when the last bit equals the first. A forward RNN
must carry the first bit through every step of noise; the backward half of a bidirectional RNN
reads it last.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def first_equals_last(n: int, length: int, symbols: int = 2, seed: int = 0):
    """`n` random symbol sequences of `length`; label 1 when the last symbol equals the first (half of
    them, drawn at random). Returns (x int32 (n, length), y int (n,))."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, symbols, (n, length))
    y = rng.integers(0, 2, n)
    other = (x[:, 0] + rng.integers(1, symbols, n)) % symbols     # a symbol different from the first
    x[:, -1] = np.where(y == 1, x[:, 0], other)
    return x.astype("int32"), y


@dataclass(frozen=True)
class DirectionTask:
    """The experiment's size: sequence length, training and test sequences, epochs, batch size."""
    length: int
    n_train: int
    n_test: int
    epochs: int
    batch_size: int


#: the notebook's sizes: short mode (COURSE_FAST=1: tests, CI, grading) and full mode
DIRECTION_TASK = {"fast": DirectionTask(length=60, n_train=2_000, n_test=1_000, epochs=3, batch_size=50),
                  "full": DirectionTask(length=60, n_train=10_000, n_test=2_000, epochs=10, batch_size=100)}

#: the two contenders, 32 recurrent units each in all
RECURRENT = {"SimpleRNN(32)": lambda keras: keras.layers.SimpleRNN(32),
             "Bidirectional(SimpleRNN(16))": lambda keras: keras.layers.Bidirectional(keras.layers.SimpleRNN(16))}


def sequence_classifier(make_recurrent, symbols: int = 2, seed: int = 0):
    """Embedding(symbols, 8) -> the recurrent layer -> Dense(64, relu) -> Dense(1, sigmoid), compiled
    with Adam(3e-3) and the binary cross-entropy.

    The embedding starts from vectors of unit size (Keras' default is within +-0.05): inputs of the
    size of section 6's experiment, with which the bidirectional model finds the task in its first
    few dozen steps. The dense layer compares the two ends (equality of two bits is an XOR: it needs
    a hidden layer)."""
    import keras
    keras.utils.set_random_seed(seed)           # before the layers: their initial weights follow it
    unit_size = keras.initializers.RandomNormal(stddev=1.0)
    model = keras.Sequential([keras.Input((None,), dtype="int32"),
                              keras.layers.Embedding(symbols, 8, embeddings_initializer=unit_size),
                              make_recurrent(keras), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def compare_directions(task: DirectionTask, seed: int = 0, verbose: int = 0, contenders: dict | None = None):
    """Train the models of `contenders` (name -> function of the keras module returning a recurrent
    layer; by default RECURRENT's two) on `task`, data and weights from `seed`. Returns
    ({name: Keras history dict}, {name: accuracy on new test sequences})."""
    x_train, y_train = first_equals_last(task.n_train, task.length, seed=2 * seed)
    x_test, y_test = first_equals_last(task.n_test, task.length, seed=2 * seed + 1)
    histories, test_accuracy = {}, {}
    for name, make in (RECURRENT if contenders is None else contenders).items():
        if verbose:
            print(name)
        model = sequence_classifier(make, seed=seed)
        histories[name] = model.fit(x_train, y_train, batch_size=task.batch_size, epochs=task.epochs,
                                    verbose=verbose).history
        test_accuracy[name] = float(np.mean((np.asarray(model(x_test))[:, 0] > 0.5) == y_test))
    return histories, test_accuracy
