"""Training that survives a disconnect: checkpoint every epoch, resume after the last one that finished.

A Colab runtime disconnects when it sits idle, when the free tier's time runs out, or when the
browser tab closes; everything in memory is lost, and with it a model that was half trained. The
cure is Keras' own callbacks, writing to a folder that outlives the runtime (Google Drive on Colab,
any folder locally). This module only wires them together:

    from utils.training import fit_resumable
    model = build_and_compile()                       # the same model every time
    history = fit_resumable(model, x, y, checkpoint_dir=folder, epochs=10,
                            validation_data=(x_val, y_val))

Run the same cell again after a disconnect (build and compile the same model first): training
continues with the epoch after the last one that finished, with the weights *and* the optimizer
state it had then. Run it again after training finished and it restores the final weights
without training again. `clear_checkpoints(folder)` starts over.

What lands in `checkpoint_dir`:

- `backup/`      `keras.callbacks.BackupAndRestore`: weights, optimizer state and the number of
                 finished epochs, rewritten at the end of every epoch. Kept after the run
                 (`delete_checkpoint=False`), so that a rerun restores instead of retraining.
- `last.keras`   `keras.callbacks.ModelCheckpoint`: the whole model after the last finished epoch;
                 `keras.models.load_model` opens it without the code that built it.
- `best.keras`   the same for the best epoch by `monitor` (only when `monitor` is given); after a
                 resume it is only replaced by an epoch better than every earlier one.
- `log.csv`      `keras.callbacks.CSVLogger(append=True)`: one row per finished epoch, across
                 sessions; `training_log(folder)` reads it back (the `History` that `fit` returns
                 covers only the epochs of the current session).

Callbacks with state of their own (EarlyStopping's patience count, ReduceLROnPlateau) start
afresh after a resume: BackupAndRestore restores the model, not other callbacks.
"""
from __future__ import annotations

import csv
import math
import shutil
from pathlib import Path

import numpy as np

BACKUP = "backup"
LAST = "last.keras"
BEST = "best.keras"
LOG = "log.csv"


class Disconnected(RuntimeError):
    """Raised by `SimulatedDisconnect`: the runtime 'went away' in the middle of an epoch."""


def _keras():
    import keras
    return keras


def resumable_callbacks(checkpoint_dir, *, monitor: str | None = None, mode: str = "auto") -> list:
    """The Keras callbacks behind `fit_resumable`, for a `model.fit` call you write yourself.

    Put them *after* your own callbacks: `BackupAndRestore` comes last, so an epoch counts as
    finished only once the model files and the log row of that epoch are written.
    """
    keras = _keras()
    folder = Path(checkpoint_dir)
    folder.mkdir(parents=True, exist_ok=True)
    callbacks = [keras.callbacks.ModelCheckpoint(str(folder / LAST))]
    if monitor is not None:
        if mode == "auto":    # Keras' rule for the usual names: a loss or an error goes down
            mode = "min" if ("loss" in monitor or "error" in monitor) else "max"
        kwargs = {}
        previous = training_log(folder).get(monitor)
        if previous is not None and np.any(np.isfinite(previous)):
            # after a resume, best.keras is replaced only by an epoch better than all earlier ones
            kwargs["initial_value_threshold"] = float(np.nanmin(previous) if mode == "min" else np.nanmax(previous))
        callbacks.append(keras.callbacks.ModelCheckpoint(str(folder / BEST), monitor=monitor, mode=mode,
                                                         save_best_only=True, **kwargs))
    callbacks.append(keras.callbacks.CSVLogger(str(folder / LOG), append=True))
    callbacks.append(keras.callbacks.BackupAndRestore(str(folder / BACKUP), save_freq="epoch",
                                                      delete_checkpoint=False))
    return callbacks


def fit_resumable(model, x=None, y=None, *, checkpoint_dir, epochs: int, monitor: str | None = None,
                  mode: str = "auto", callbacks=None, **fit_kwargs):
    """`model.fit(x, y, epochs=epochs, ...)` that checkpoints every epoch into `checkpoint_dir` and,
    when that folder already holds a backup, resumes after the last finished epoch.

    `model` must be built (give it an `Input`) and compiled the same way as in the interrupted run.
    `monitor` (e.g. "val_loss") also keeps the best epoch's model in `best.keras`. Other keyword
    arguments go to `model.fit`. Returns the `History` of the epochs run in this call; the whole
    run, across sessions, is `training_log(checkpoint_dir)`.
    """
    if not getattr(model, "built", False):
        raise ValueError("fit_resumable needs a built model, so that saved weights can be loaded into it: "
                         "start it with keras.Input(shape) (or call model.build(input_shape)).")
    done = completed_epochs(checkpoint_dir)
    if done > epochs:
        raise ValueError(f"{checkpoint_dir} holds a run of {done} epochs, more than epochs={epochs}: "
                         f"ask for at least {done} epochs, or clear_checkpoints() to start over.")
    cbs = list(callbacks or []) + resumable_callbacks(checkpoint_dir, monitor=monitor, mode=mode)
    try:
        return model.fit(x, y, epochs=epochs, callbacks=cbs, **fit_kwargs)
    finally:
        # BackupAndRestore tells fit where to start through model._initial_epoch, which Keras never
        # resets: without this, a later plain model.fit on the same model would skip epochs too.
        model._initial_epoch = None


def completed_epochs(checkpoint_dir) -> int:
    """How many epochs the backup in `checkpoint_dir` holds (0 when there is none)."""
    import json
    path = Path(checkpoint_dir) / BACKUP / "training_metadata.json"
    if not path.is_file():
        return 0
    return int(json.loads(path.read_text(encoding="utf-8"))["epoch"])


def training_log(checkpoint_dir) -> dict[str, np.ndarray]:
    """The per-epoch log of the whole run (all sessions): {"epoch": [0, 1, ...], "loss": [...], ...}.

    An epoch logged twice (the runtime died after its row was written but before its backup was)
    keeps its last row, the one of the run that continued. Missing values are NaN.
    """
    path = Path(checkpoint_dir) / LOG
    if not path.is_file():
        return {}
    rows: dict[int, dict] = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row.get("epoch") not in (None, ""):
                rows[int(row["epoch"])] = row
    if not rows:
        return {}
    keys = [k for k in next(iter(rows.values())) if k != "epoch"]

    def number(text):
        try:
            return float(text)
        except (TypeError, ValueError):
            return math.nan

    epochs = sorted(rows)
    out = {"epoch": np.array(epochs)}
    out.update({k: np.array([number(rows[e].get(k)) for e in epochs]) for k in keys})
    return out


def clear_checkpoints(checkpoint_dir) -> None:
    """Delete what `fit_resumable` wrote in `checkpoint_dir` (the next run starts from epoch 0)."""
    folder = Path(checkpoint_dir)
    shutil.rmtree(folder / BACKUP, ignore_errors=True)
    for name in (LAST, BEST, LOG):
        (folder / name).unlink(missing_ok=True)


def simulated_disconnect(epoch: int, at_batch: int | None = None):
    """A callback that stops training the way a disconnect does: with an exception (`Disconnected`)
    in the middle of epoch `epoch`, counted from 0 as Keras does (`epoch=3` lets 3 epochs finish),
    after `at_batch` batches of it (default: half of the epoch). That epoch's work is lost, as it
    would be on Colab."""
    keras = _keras()

    class SimulatedDisconnect(keras.callbacks.Callback):
        def on_epoch_begin(self, e, logs=None):
            self.current = e

        def on_train_batch_end(self, batch, logs=None):
            stop = at_batch if at_batch is not None else max(1, (self.params.get("steps") or 2) // 2)
            if getattr(self, "current", None) == epoch and batch + 1 >= stop:
                raise Disconnected(f"simulated disconnect in epoch {epoch + 1}, after {batch + 1} batches")

    return SimulatedDisconnect()
