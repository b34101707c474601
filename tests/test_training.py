"""utils.training: a run interrupted mid-epoch and resumed in a fresh model (or a fresh process)
ends with exactly the weights of an uninterrupted run, because the weights, the optimizer state
and the epoch count come back from the checkpoint; a rerun after the end restores without
training; the best model and the log survive the resume."""
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from autograder import paths
from utils.training import (BEST, LAST, Disconnected, clear_checkpoints, completed_epochs, fit_resumable,
                            simulated_disconnect, training_log)

EPOCHS = 6
rng = np.random.default_rng(0)
X = rng.standard_normal((192, 8)).astype("float32")
Y = (X[:, :3].argmax(axis=1) + (X[:, 3] > 1)).clip(0, 2).astype("int64")
X_VAL, Y_VAL = X[:48] + 0.1, Y[:48]
FIT = dict(batch_size=16, shuffle=False, verbose=0, validation_data=(X_VAL, Y_VAL))


def make_model(seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(3)])
    model.compile(keras.optimizers.Adam(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


class Snapshots(keras.callbacks.Callback):
    """The model's outputs on X after every epoch, by epoch number."""

    def __init__(self, store):
        super().__init__()
        self.store = store

    def on_epoch_end(self, epoch, logs=None):
        self.store[epoch] = self.model(X).numpy()


def weights(model):
    return [keras.ops.convert_to_numpy(w) for w in model.weights]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("straight")
    model, snaps = make_model(0), {}
    history = fit_resumable(model, X, Y, checkpoint_dir=folder, epochs=EPOCHS, monitor="val_loss",
                            callbacks=[Snapshots(snaps)], **FIT)
    return folder, model, history, snaps


def test_uninterrupted_run_writes_its_files(uninterrupted):
    folder, model, history, _ = uninterrupted
    assert len(history.history["loss"]) == EPOCHS
    assert completed_epochs(folder) == EPOCHS
    log = training_log(folder)
    assert list(log["epoch"]) == list(range(EPOCHS))
    np.testing.assert_allclose(log["val_loss"], history.history["val_loss"], rtol=1e-6)
    reloaded = keras.models.load_model(folder / LAST)
    np.testing.assert_array_equal(reloaded(X).numpy(), model(X).numpy())


def test_resume_after_a_disconnect_continues_from_the_saved_epoch(uninterrupted, tmp_path):
    _, straight, straight_history, straight_snaps = uninterrupted
    first = make_model(0)
    with pytest.raises(Disconnected, match="epoch 4"):
        fit_resumable(first, X, Y, checkpoint_dir=tmp_path, epochs=EPOCHS, monitor="val_loss",
                      callbacks=[simulated_disconnect(epoch=3)], **FIT)
    assert completed_epochs(tmp_path) == 3                 # epoch 4 was cut off half way: not saved
    assert list(training_log(tmp_path)["epoch"]) == [0, 1, 2]

    fresh, snaps = make_model(seed=123), {}                # other initial weights: nothing carried over
    assert not np.allclose(fresh(X).numpy(), straight_snaps[2])
    history = fit_resumable(fresh, X, Y, checkpoint_dir=tmp_path, epochs=EPOCHS, monitor="val_loss",
                            callbacks=[Snapshots(snaps)], **FIT)
    assert history.epoch == [3, 4, 5]                      # only the epochs that were missing
    assert int(fresh.optimizer.iterations.numpy()) == int(straight.optimizer.iterations.numpy())
    # The same computation in the same order on CPU: equal up to float32 round-off (measured: equal).
    for w_resumed, w_straight in zip(weights(fresh), weights(straight)):
        np.testing.assert_allclose(w_resumed, w_straight, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(history.history["val_loss"], straight_history.history["val_loss"][3:], rtol=1e-5)
    log = training_log(tmp_path)
    assert list(log["epoch"]) == list(range(EPOCHS))
    np.testing.assert_allclose(log["val_loss"], straight_history.history["val_loss"], rtol=1e-5)
    # best.keras is the best epoch over both sessions, not the best since the resume
    best_epoch = int(np.argmin(log["val_loss"]))
    best = keras.models.load_model(tmp_path / BEST)
    np.testing.assert_allclose(best(X).numpy(), {**straight_snaps, **snaps}[best_epoch], rtol=1e-5, atol=1e-6)


def test_resuming_without_the_optimizer_state_would_not_match(uninterrupted, tmp_path):
    """What the test above guards against: weights alone (a fresh Adam) give another run."""
    _, straight, _, _ = uninterrupted
    first = make_model(0)
    with pytest.raises(Disconnected):
        fit_resumable(first, X, Y, checkpoint_dir=tmp_path, epochs=EPOCHS, callbacks=[simulated_disconnect(3)], **FIT)
    weights_only = make_model(0)
    weights_only.set_weights(keras.models.load_model(tmp_path / LAST).get_weights())
    weights_only.fit(X, Y, epochs=EPOCHS, initial_epoch=3, batch_size=16, shuffle=False, verbose=0)
    differences = [np.max(np.abs(a - b)) for a, b in zip(weights(weights_only), weights(straight))]
    assert max(differences) > 1e-3


def test_rerun_after_the_end_restores_without_training(uninterrupted):
    folder, straight, _, _ = uninterrupted
    again = make_model(seed=7)
    history = fit_resumable(again, X, Y, checkpoint_dir=folder, epochs=EPOCHS, **FIT)
    assert history.epoch == []
    np.testing.assert_array_equal(again(X).numpy(), straight(X).numpy())
    assert len(training_log(folder)["epoch"]) == EPOCHS   # nothing appended
    again.fit(X, Y, epochs=1, verbose=0)                   # a plain fit afterwards trains normally
    assert len(again.history.epoch) == 1


def test_resume_survives_the_death_of_the_process(uninterrupted, tmp_path):
    """A real disconnect: the first process dies (os._exit) in the middle of epoch 3."""
    _, straight, _, _ = uninterrupted
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(paths.ROOT)!r})
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        import keras
        from test_training import FIT, X, Y, make_model
        from utils.training import fit_resumable

        class Die(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                if self.model.optimizer.iterations.numpy() == 2 * 12 + 5:   # epoch 3, batch 5 of 12
                    os._exit(17)

        fit_resumable(make_model(0), X, Y, checkpoint_dir={str(tmp_path)!r}, epochs={EPOCHS},
                      callbacks=[Die()], **FIT)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert proc.returncode == 17, proc.stderr[-2000:]
    assert completed_epochs(tmp_path) == 2
    fresh = make_model(seed=99)
    history = fit_resumable(fresh, X, Y, checkpoint_dir=tmp_path, epochs=EPOCHS, **FIT)
    assert history.epoch == [2, 3, 4, 5]
    for w_resumed, w_straight in zip(weights(fresh), weights(straight)):
        np.testing.assert_allclose(w_resumed, w_straight, rtol=1e-5, atol=1e-6)


def test_guards_and_clearing(uninterrupted, tmp_path):
    folder, _, _, _ = uninterrupted
    with pytest.raises(ValueError, match="holds a run of 6 epochs"):
        fit_resumable(make_model(0), X, Y, checkpoint_dir=folder, epochs=3, **FIT)
    unbuilt = keras.Sequential([keras.layers.Dense(3)])
    unbuilt.compile("adam", "mse")
    with pytest.raises(ValueError, match="keras.Input"):
        fit_resumable(unbuilt, X, Y, checkpoint_dir=tmp_path, epochs=1)
    copy = tmp_path / "copy"
    fit_resumable(make_model(0), X, Y, checkpoint_dir=copy, epochs=2, **FIT)
    assert completed_epochs(copy) == 2
    clear_checkpoints(copy)
    assert completed_epochs(copy) == 0 and training_log(copy) == {} and not (copy / LAST).exists()


def test_training_log_keeps_the_last_row_of_an_epoch_logged_twice(tmp_path):
    (tmp_path / "log.csv").write_text("epoch,loss,val_loss\n0,1.0,2.0\n1,0.9,1.9\n1,0.8,1.7\n2,0.7,NA\n")
    log = training_log(tmp_path)
    assert list(log["epoch"]) == [0, 1, 2]
    np.testing.assert_array_equal(log["loss"], [1.0, 0.8, 0.7])
    assert np.isnan(log["val_loss"][2])
