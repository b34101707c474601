"""utils.learner and the image data of utils.data: layer groups, freezing (and Keras' trainable
short-circuit), one optimizer per group (each group's step is its own learning rate times its own
gradient, checked against TensorFlow autodiff), schedules and momentum applied per step, graph and
eager execution agreeing, the learning-rate finder restoring the weights, its suggestions (on a
synthetic sweep with a known steepest point) and its stopping rule, frozen batch norms, the metric,
predictions, and the cats-vs-dogs loader (offline copy, or Keras' download and extraction)."""
import math
import os
from pathlib import Path

import numpy as np
import pytest

import keras
import tensorflow as tf

from utils import data
from utils.data import DataLoaders, ImageDataLoaders, cats_and_dogs_dir, get_image_files
from utils.learner import (ErrorRate, Learner, Recorder, _StepControl, device_summary, find_backbone,
                           layer_groups, lr_suggestions)


def tiny_model(n_body_layers=4, bn=False, seed=0):
    keras.utils.set_random_seed(seed)
    body_in = keras.Input((5,))
    h = body_in
    for i in range(n_body_layers):
        h = keras.layers.Dense(7, activation="tanh", name=f"b{i}")(h)
        if bn:
            h = keras.layers.BatchNormalization(name=f"bn{i}")(h)
    body = keras.Model(body_in, h, name="body")
    inputs = keras.Input((5,))
    return keras.Model(inputs, keras.layers.Dense(2, name="head")(body(inputs)))


def tiny_data(n=48, batch=8, seed=0, shift=0.0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((n, 5)) + shift).astype("float32")
    y = (x[:, 0] - x[:, 2] > 0).astype("int64")
    cut = n * 3 // 4
    return DataLoaders.from_arrays(x[:cut], y[:cut], x[cut:], y[cut:], batch_size=batch, seed=seed)


def group_grads(tape, loss, learn):
    flat = tape.gradient(loss, [v for vs in learn.group_vars for v in vs])
    out, i = [], 0
    for vs in learn.group_vars:
        out.append([g.numpy() for g in flat[i:i + len(vs)]])
        i += len(vs)
    return out


def weights_of(learn):
    return [[v.numpy().copy() for v in vs] for vs in learn.group_vars]


# ---- groups and freezing ----------------------------------------------------------------------------

def test_layer_groups_split_the_backbone_then_the_head():
    model = tiny_model(6)
    groups = layer_groups(model, n_body=2)
    assert [[l.name for l in g] for g in groups] == [["b0", "b1", "b2"], ["b3", "b4", "b5"], ["head"]]
    assert find_backbone(model).name == "body"
    assert len(layer_groups(model, n_body=3)) == 4
    with pytest.raises(ValueError, match="no nested backbone"):
        layer_groups(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]))


def test_freeze_unfreeze_round_trip_survives_keras_short_circuit():
    """With TensorFlow, `layer.trainable = True` returns early when the layer already says True, so
    `model.trainable = True` does not undo a freeze of its sub-layers; the learner sets each layer."""
    model = tiny_model()
    probe = model.layers[1].layers[1]
    probe.trainable = False
    model.trainable = True
    assert not probe.trainable                       # Keras' behaviour the learner works around
    learn = Learner(model, tiny_data(), verbose=False)
    learn.freeze()
    assert learn.trainable_groups() == [False, False, True]
    assert len(model.trainable_weights) == 2
    learn.unfreeze()
    assert learn.trainable_groups() == [True, True, True]
    assert len(model.trainable_weights) == 10
    learn.freeze_to(1)
    assert learn.trainable_groups() == [False, True, True]


def test_frozen_groups_do_not_change_and_the_phase_says_so():
    learn = Learner(tiny_model(), tiny_data(), verbose=False)
    learn.freeze()
    before = weights_of(learn)
    learn.fit(1, 1e-2)
    after = weights_of(learn)
    for g in (0, 1):
        assert all(np.array_equal(a, b) for a, b in zip(before[g], after[g]))
    assert not all(np.array_equal(a, b) for a, b in zip(before[2], after[2]))
    phase = learn.phases[-1]
    assert phase["trainable"] == [False, False, True] and phase["changed"] == [False, False, True]
    assert phase["steps"] == learn.dls.steps_per_epoch == 5


# ---- one optimizer per group ---------------------------------------------------------------------------

def test_each_group_steps_with_its_own_learning_rate():
    """SGD per group: after one step, w - w0 = -lr_group * dL/dw, with dL/dw from TensorFlow
    autodiff on the same batch and the same loss (float32: tolerance 1e-5 relative)."""
    model = tiny_model()
    x = np.random.default_rng(1).standard_normal((8, 5)).astype("float32")
    y = np.array([0, 1] * 4)
    dls = DataLoaders.from_arrays(x, y, x, y, batch_size=8)
    learn = Learner(model, dls, opt_func=lambda lr: keras.optimizers.SGD(lr), verbose=False)
    learn.unfreeze()
    lrs = [1e-3, 1e-2, 1e-1]
    with tf.GradientTape() as tape:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, model(x, training=True))
    grads = group_grads(tape, loss, learn)
    before = weights_of(learn)
    learn.fit(1, lrs)
    for lr, b, a, g in zip(lrs, before, weights_of(learn), grads):
        for w0, w1, dw in zip(b, a, g):
            np.testing.assert_allclose(w1 - w0, -lr * dw, rtol=1e-4, atol=1e-7)


def test_adam_per_group_first_step_is_its_learning_rate():
    """Adam's first step is lr * g / (|g| + eps / sqrt(1 - beta_2)), i.e. lr per coordinate with a
    gradient well above 1e-5: a gradient scale could not do this, an optimizer per group does."""
    model = tiny_model()
    x = np.random.default_rng(2).standard_normal((8, 5)).astype("float32")
    y = np.array([0, 1] * 4)
    dls = DataLoaders.from_arrays(x, y, x, y, batch_size=8)
    learn = Learner(model, dls, verbose=False)
    learn.unfreeze()
    with tf.GradientTape() as tape:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, model(x, training=True))
    grads = group_grads(tape, loss, learn)
    lrs = [1e-4, 1e-3, 1e-2]
    before = weights_of(learn)
    learn.fit(1, lrs)
    for lr, b, a, g in zip(lrs, before, weights_of(learn), grads):
        step = np.concatenate([(w1 - w0).ravel() for w0, w1 in zip(b, a)])
        grad = np.concatenate([dw.ravel() for dw in g])
        big = np.abs(grad) > 1e-3         # there eps moves the step by < 1e-2 relative
        assert big.sum() > 10
        # float32 weights of size ~1 carry ~1e-7 absolute rounding: 2 % of the smallest rate is ample
        np.testing.assert_allclose(step[big], -lr * np.sign(grad[big]), rtol=0.02)


def test_schedule_is_applied_per_step_and_cycles_the_momentum():
    calls = []

    def schedule(step, total_steps, lr_max, scale=1.0):
        calls.append((step, total_steps, lr_max, scale))
        return lr_max * scale * (step + 1) / total_steps, 0.8 + 0.01 * step

    learn = Learner(tiny_model(), tiny_data(), schedule=schedule, verbose=False)
    learn.unfreeze()
    learn.fit(2, [1e-3, 2e-3, 4e-3], scale=0.5)
    total = 2 * learn.dls.steps_per_epoch
    expected = [[lr * 0.5 * (s + 1) / total for lr in (1e-3, 2e-3, 4e-3)] for s in range(total)]
    np.testing.assert_allclose(learn.recorder.lrs, expected, rtol=1e-12)
    np.testing.assert_allclose(learn.recorder.moms, [0.8 + 0.01 * s for s in range(total)], rtol=1e-12)
    assert {c[1] for c in calls} == {total} and {c[3] for c in calls} == {0.5}
    for opt in learn.optimizers:                    # Adam's beta_1 is the variable the schedule sets
        assert math.isclose(float(np.asarray(opt.beta_1)), 0.8 + 0.01 * (total - 1), rel_tol=1e-6)
        assert math.isclose(float(opt.learning_rate.numpy()), expected[-1][learn.optimizers.index(opt)], rel_tol=1e-6)


def test_sgd_momentum_is_cycled_too_and_plain_sgd_is_left_alone():
    learn = Learner(tiny_model(), tiny_data(), schedule=lambda s, t, lr: (lr, 0.5 + 0.1 * s),
                    opt_func=lambda lr: keras.optimizers.SGD(lr, momentum=0.9), verbose=False)
    learn.unfreeze()
    learn.fit(1, 1e-2)
    assert all(math.isclose(float(np.asarray(o.momentum)), 0.5 + 0.1 * 4, rel_tol=1e-6) for o in learn.optimizers)
    plain = Learner(tiny_model(), tiny_data(), schedule=lambda s, t, lr: (lr, 0.5),
                    opt_func=lambda lr: keras.optimizers.SGD(lr), verbose=False)
    plain.fit(1, 1e-2)
    assert all(o.momentum == 0 for o in plain.optimizers)   # no momentum to cycle


def test_momentum_changes_the_updates():
    def run(mom):
        learn = Learner(tiny_model(), tiny_data(), schedule=lambda s, t, lr: (lr, mom), verbose=False)
        learn.unfreeze()
        learn.fit(1, 1e-2)
        return np.concatenate([w.ravel() for g in weights_of(learn) for w in g])
    assert not np.allclose(run(0.5), run(0.95))


def test_graph_and_eager_training_agree():
    def run(eager):
        keras.utils.set_random_seed(0)
        learn = Learner(tiny_model(seed=3), tiny_data(seed=3), schedule=lambda s, t, lr: (lr * (1 + s) / t, 0.9),
                        run_eagerly=eager, verbose=False)
        learn.freeze()
        learn.fit(1, 1e-2)
        learn.unfreeze()
        learn.fit(1, [1e-4, 1e-3, 1e-2])
        return np.concatenate([w.ravel() for g in weights_of(learn) for w in g]), learn
    (eager, l1), (graph, l2) = run(True), run(False)
    assert l1.trainer.run_eagerly and not l2.trainer.run_eagerly
    np.testing.assert_allclose(graph, eager, rtol=1e-5, atol=1e-6)   # float32, same ops in another order


def test_auto_mode_runs_short_fits_eagerly():
    learn = Learner(tiny_model(), tiny_data(), verbose=False, eager_below=8)
    learn.fit(1, 1e-3)                              # 5 steps
    assert learn.trainer.run_eagerly
    learn.fit(2, 1e-3)                              # 10 steps
    assert not learn.trainer.run_eagerly


# ---- the finder ------------------------------------------------------------------------------------------

def test_lr_find_restores_everything_and_suggests_inside_the_sweep():
    learn = Learner(tiny_model(), tiny_data(), verbose=False)
    learn.unfreeze()
    learn.fit(1, 1e-3)
    weights = [v.numpy().copy() for v in learn.model.weights]
    state = [[v.numpy().copy() for v in opt.variables] for opt in learn.optimizers]
    n_losses, n_epochs = len(learn.recorder.losses), len(learn.recorder.epochs)
    found = learn.lr_find(start_lr=1e-5, end_lr=1.0, num_it=30, stop_div=False, show_plot=False)
    assert all(np.array_equal(w, v.numpy()) for w, v in zip(weights, learn.model.weights))
    assert all(np.array_equal(w, v.numpy()) for opt, ws in zip(learn.optimizers, state)
               for w, v in zip(ws, opt.variables))
    assert len(learn.recorder.losses) == n_losses and len(learn.recorder.epochs) == n_epochs
    assert len(found["losses"]) == len(found["raw_losses"]) == 30
    np.testing.assert_allclose(found["lrs"], np.geomspace(1e-5, 1.0, 30))
    assert 1e-6 <= found["lr_min"] <= 0.1 and 1e-5 <= found["lr_steep"] <= 1.0


def test_lr_find_stops_when_the_loss_explodes():
    learn = Learner(tiny_model(), tiny_data(), verbose=False)
    learn.unfreeze()
    found = learn.lr_find(start_lr=1e-3, end_lr=1e4, num_it=60, show_plot=False)
    assert len(found["losses"]) < 60


def finder_curve(seed=0, bump=0.0):
    """A made-up finder sweep: a plateau at 0.8, then a descent to 0.1 whose steepest point (per
    factor of learning rate) is 3e-3 (a logistic curve in log10(lr), width 0.3 decades), then a
    blow-up; batch noise, heavy (0.15) over the first 40 steps and light (0.02) after; and in the
    plateau right after the skipped first tenth, one high batch followed by a low one: the
    steepest drop of the raw curve, and of a running average, is there and means nothing.
    With a `bump` (its height): the blow-up comes a decade later, and a bump on the floor at 5e-2
    (0.2 decades wide) splits the floor in two, the lowest point after it, as noise did in a real
    sweep: the descent must not be taken to start at the bump."""
    rng = np.random.default_rng(seed)
    lrs = np.geomspace(1e-7, 10, 100)
    clean = 0.8 - 0.7 / (1 + np.exp(-(np.log10(lrs) - np.log10(3e-3)) / 0.3))
    clean += (lrs / (1.0 if bump else 0.1)) ** 2
    clean += bump * np.exp(-0.5 * ((np.log10(lrs) - np.log10(5e-2)) / 0.2) ** 2)
    noise = np.where(np.arange(100) < 40, 0.15, 0.02) * rng.standard_normal(100)
    losses = clean + noise
    losses[11], losses[13] = 1.6, 0.1
    return lrs, clean, losses


@pytest.mark.parametrize("seed, bump", [(0, 0.0), (1, 0.0), (2, 0.0), (0, 0.1), (1, 0.1)])
def test_lr_steep_falls_on_the_descent_not_in_the_noisy_start(seed, bump):
    lrs, clean, losses = finder_curve(seed, bump)
    found = lr_suggestions(lrs, losses)
    # the clean curve's steepest point is 3e-3 (the blow-up and the bump change the slope there by
    # under 1 %); allow the smoothing and the noise 0.15 decades (2 of the sweep's 12 steps per decade)
    assert abs(np.log10(found["lr_steep"] / 3e-3)) < 0.15, found["lr_steep"]
    # lr_min: a tenth of the clean curve's lowest point, to within 0.2 decades
    lowest = lrs[np.argmin(clean)]
    assert abs(np.log10(found["lr_min"] * 10 / lowest)) < 0.2, (found["lr_min"], lowest)
    assert found["lrs"][found["i_steep"]] == found["lr_steep"] and found["i_steep"] < found["i_min"]
    assert len(found["losses"]) == 100 and np.all(np.isfinite(found["losses"]))


def test_lr_suggestions_cut_at_the_first_loss_that_is_not_finite():
    lrs, _, losses = finder_curve()
    losses[80] = np.inf
    found = lr_suggestions(lrs, losses)
    assert len(found["lrs"]) == len(found["losses"]) == 80
    assert np.isfinite(found["lr_min"]) and np.isfinite(found["lr_steep"])
    assert np.isnan(lr_suggestions(lrs[:1], [np.nan])["lr_min"])


def test_one_lucky_batch_does_not_stop_the_finder_a_blow_up_does():
    """The finder stops once the running average of the loss exceeds 4x its minimum, as fastai's;
    a batch loss near 0 (common once the model fits the batches) must not make 4x a tiny number."""
    def run(losses):
        control = _StepControl(type("L", (), {"recorder": Recorder()})(), None, len(losses), len(losses),
                               False, stop_div=4.0)
        model = type("M", (), {"stop_training": False})()
        control.set_model(model)
        control.on_epoch_begin(0)
        for i, loss in enumerate(losses):
            control.on_train_batch_end(i, {"batch_loss": loss, "loss": loss})
            if model.stop_training:
                return i
        return None

    assert run([0.8, 0.6, 0.4, 0.2, 0.001, 0.05, 0.1, 0.05]) is None
    assert run([0.8, 0.6, 0.4, 0.2, 0.1, 500.0]) == 5
    assert run([0.8, 0.6, float("nan")]) == 2


# ---- batch norms, metric, predictions ---------------------------------------------------------------------

def test_batch_norms_stay_frozen_unless_asked():
    for train_bn in (False, True):
        model = tiny_model(bn=True)
        learn = Learner(model, tiny_data(shift=3.0), verbose=False, train_bn=train_bn)
        learn.unfreeze()
        bns = [l for l in model.layers[1].layers if isinstance(l, keras.layers.BatchNormalization)]
        means = [bn.moving_mean.numpy().copy() for bn in bns]
        learn.fit(1, 1e-3)
        moved = [not np.array_equal(m, bn.moving_mean.numpy()) for m, bn in zip(means, bns)]
        assert all(moved) == train_bn and any(moved) == train_bn
        assert all(bn.trainable == train_bn for bn in bns)
        assert learn.trainable_groups() == [True, True, True]


def test_error_rate_is_one_minus_accuracy():
    metric = ErrorRate()
    metric.update_state(np.array([0, 1, 1, 0]), np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 0.5], [0.2, 0.1]]))
    assert math.isclose(float(metric.result()), 0.25, rel_tol=1e-6)
    assert metric.name == "error_rate"


def test_validate_and_get_preds_agree():
    learn = Learner(tiny_model(), tiny_data(), verbose=False)
    probs, ys, losses = learn.get_preds()
    logits = learn.model.predict(np.concatenate([x for x, _ in learn.dls.valid]), verbose=0)
    np.testing.assert_allclose(probs, tf.nn.softmax(logits).numpy(), rtol=1e-5)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-6)
    report = learn.validate()
    assert math.isclose(report["loss"], float(losses.mean()), rel_tol=1e-5)
    assert math.isclose(report["error_rate"], float(np.mean(probs.argmax(1) != ys)), abs_tol=1e-7)


def test_slices_and_wrong_lengths_are_refused():
    learn = Learner(tiny_model(), tiny_data(), verbose=False)
    with pytest.raises(TypeError, match="slice"):
        learn.group_lrs(slice(1e-4, 1e-2))
    with pytest.raises(ValueError, match="2 learning rates for 3 layer groups"):
        learn.group_lrs([1e-3, 1e-2])
    assert learn.group_lrs(1e-3) == [1e-3] * 3


def test_device_summary_names_the_device():
    text = device_summary()
    assert text.startswith("GPU") or "Change runtime type" in text


# ---- the cats-vs-dogs data ---------------------------------------------------------------------------------

def test_offline_copy_is_read_in_place():
    path = cats_and_dogs_dir()
    assert path == data.find_shared_data() / "images" / "cats_and_dogs_filtered"
    files = get_image_files(path)
    assert len(files) == 3000 and files == sorted(files)
    assert {Path(f).suffix for f in files} == {".jpg"}


@pytest.mark.parametrize("keras3", [True, False])
def test_without_offline_copy_keras_downloads_and_extracts(tmp_path, monkeypatch, keras3):
    """Colab: no offline copy, so keras.utils.get_file(..., extract=True) is called; Keras 3
    returns the extraction folder, Keras 2 returned the zip with the folder beside it."""
    cache = tmp_path / "datasets"
    target = (cache / "cats_and_dogs_filtered_extracted" if keras3 else cache) / "cats_and_dogs_filtered"
    (target / "train" / "cats").mkdir(parents=True)
    calls = []

    def fake_get_file(fname, origin, extract=False, **kw):
        calls.append((fname, origin, extract))
        return str(target.parent if keras3 else cache / fname)

    monkeypatch.setattr(data, "find_shared_data", lambda: None)
    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    assert cats_and_dogs_dir() == target
    assert calls == [("cats_and_dogs_filtered.zip", data.CATS_AND_DOGS_URL, True)]


def test_image_loaders_split_with_the_seed_and_resize():
    files = get_image_files(cats_and_dogs_dir())
    labels = np.array([1 if "/cats/" in f else 0 for f in files])
    a = ImageDataLoaders(files, labels, valid_pct=0.2, seed=42, size=224, batch_size=4, max_train=6, max_valid=3)
    full = ImageDataLoaders(files, labels, valid_pct=0.2, seed=42, batch_size=4)
    assert len(full.train_files) == 2400 and len(full.valid_files) == 600
    assert not set(full.train_files) & set(full.valid_files)
    assert list(a.train_files) == list(full.train_files[:6]) and list(a.valid_files) == list(full.valid_files[:3])
    other = ImageDataLoaders(files, labels, valid_pct=0.2, seed=7, batch_size=4)
    assert set(other.valid_files) != set(full.valid_files)
    raw = a.raw_valid_images()
    assert raw.shape == (3, 224, 224, 3) and raw.dtype == np.uint8
    x, y = next(iter(a.valid))
    assert x.shape == (3, 224, 224, 3) and x.dtype == tf.float32
    assert a.steps_per_epoch == 2 and list(y.numpy()) == list(a.valid_labels)
    prep = ImageDataLoaders(files, labels, seed=42, batch_size=4, max_train=2, max_valid=3,
                            preprocess=keras.applications.mobilenet_v2.preprocess_input)
    xp, _ = next(iter(prep.valid))
    np.testing.assert_allclose(xp.numpy(), raw / 127.5 - 1, atol=1e-6)


def test_load_image_centre_crops_before_resizing(tmp_path):
    img = np.zeros((40, 80, 3), np.uint8)
    img[:, 20:60] = 255                                   # the centre square is white, the edges black
    path = tmp_path / "wide.png"
    keras.utils.save_img(path, img, scale=False)
    out = data.load_image(str(path), size=16).numpy()
    assert out.shape == (16, 16, 3) and out.min() == 255
    assert os.path.exists(path)
