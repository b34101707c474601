"""Benchmark figures: `./run.sh bench` (python -m autograder.bench).

Prints, measured in one run on this machine:
- the time to execute each instructor notebook headless (COURSE_FAST=1, as CI runs them);
- class grading throughput: plain serial `nbgrader autograde` versus this grader's local pool on
  the same submissions, beside the grader before figures were kept (BEFORE_FIGURES, run from git)
  and today's with none drawn; and the grader's overhead per notebook versus bare execution;
- gradient agreement: the largest relative error between the reference solutions (taken from
  source/) and the independent references (TensorFlow autodiff, centered finite differences),
  over every comparison the hidden checks make;
- optimizer agreement: notebook 06's reference update rules against `keras.optimizers` on the same
  gradients over 100 steps (max absolute and relative difference per rule);
- convolution speed: notebook 07's reference `conv_forward_fast` (im2col) against its naive loops and
  against `tf.nn.conv2d` on the same input, side by side, with the ratios;
- notebook 08's character LSTM: time per training batch, and time per generated character with a
  plain model call per character, the LSTM cell stepped eagerly, and the same loop in `tf.function`;
- notebook 09's graded training run: the test accuracy the reference `train_fashion_model` reaches
  through the visible and the hidden check's driver over 10 seeds, against the stated thresholds;
- intake: a Canvas zip of 300 students (with extra files, earlier uploads and a late one) taken in
  and kept (intake.collect, archive.save) in a fresh process: seconds and peak memory, against the
  targets of 10 s and 500 MB;
- similarity report: a class of 300 made from the sample notebooks (each answer cell the
  reference, the half-right one, blank, or one of them with a line dropped or added), 6 of them
  disguised copies of another (autograder/similarity.py `disguise`): where the planted pairs rank and
  the seconds to read the class, compare it and write the page, against the target of 60 s;
- transfer learning (notebook 10): seconds per training step of MobileNetV2 at 224 px with the
  backbone frozen and unfrozen (graph and eager), and the one-cycle schedule's agreement with its
  references.
"""
from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

# The notebooks' short mode, decided when `utils` is first imported (utils.FAST): set it before the
# imports below, or the reference solutions would be loaded with their full-mode experiments.
os.environ.setdefault("COURSE_FAST", "1")

from . import build, executors, grade, grade_class, hidden, sample_class, sandbox  # noqa: E402
from .solutions import load_answers, load_solutions  # noqa: E402


def execute(nb, cwd: Path) -> None:
    """Run a notebook to the end in a fresh kernel. The kernel's stderr (every kernel prints
    TensorFlow's and ipykernel's start-up lines there) goes to a file, shown only if the run fails,
    so that the figures stay readable."""
    with tempfile.TemporaryFile("w+") as err:
        try:
            NotebookClient(nb, timeout=600, kernel_name="python3",
                           resources={"metadata": {"path": str(cwd)}}).execute(stderr=err)
        except Exception:
            err.seek(0)
            print(err.read()[-4000:])
            raise


def time_notebooks(course: Path) -> dict[str, float]:
    times = {}
    for a in build.assignment_ids():
        nb = nbformat.read(build.instructor_notebook(a, course), as_version=4)
        t0 = time.perf_counter()
        execute(nb, course)
        times[a] = time.perf_counter() - t0
    return times


def _sample_class(root: Path, n: int, assignment: str, plain: bool = False) -> tuple[Path, Path]:
    """A built course and the folder of `n` submissions (the sample class's kinds in turn):
    `root/incoming`, or with `plain` the course's submitted/ (what plain nbgrader grades)."""
    course = root / "course"
    build.build_release(course / "release", course)
    folder = course / "submitted" if plain else root / "incoming"
    samples = sample_class.write_submissions(root / "samples", assignment, course, course / "release")
    kinds = list(samples.values())
    for i in range(n):
        dest = folder / f"student-{i:03d}" / assignment / f"{assignment}.ipynb"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(kinds[i % len(kinds)].read_bytes())
    return course, folder


def _expected_scores(course: Path, assignment: str, n: int) -> dict[str, float]:
    """What _sample_class's students must score (the sample kinds in turn): the solution every
    autograded point, the blank none, the half-right what its file says."""
    release = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    graded = [c.metadata["nbgrader"] for c in release.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    full = sum(m.get("points", 0) for m in graded if not m.get("solution"))
    kinds = [full, 0, sample_class.half_right_answers(assignment)[1]]
    return {f"student-{i:03d}": kinds[i % 3] for i in range(n)}


#: The grader when figures were asked for (issue 23): none kept, kernels started cold. Today's
#: grading figures are compared with it, run from its own tree (git archive of this repository).
BEFORE_FIGURES = "31dff57"

# One grader in a process of its own, run from its tree (PYTHONPATH), on a class of its own: it builds
# the course and `n` submissions (the sample class's kinds in turn), then grades the class once per
# line read ("pool" or "one" worker, "figures=0" to draw none) and answers with a line of JSON. Only
# functions the grader had at BEFORE_FIGURES are used.
_GRADER = """
import json, sys, time
from pathlib import Path
from autograder import build, grade_class, sample_class, sandbox
root, n, a = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
course, incoming = root / "course", root / "incoming"
build.build_release(course / "release", course)
kinds = list(sample_class.write_submissions(root / "samples", a, course, course / "release").values())
for i in range(n):
    dest = incoming / f"student-{i:03d}" / a / f"{a}.ipynb"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(kinds[i % len(kinds)].read_bytes())
print("ready", flush=True)
for line in sys.stdin:
    workers, *options = line.split()
    extra = {"limits": sandbox.Limits(figures=0)} if "figures=0" in options else {}
    t0 = time.perf_counter()
    results = grade_class.grade_class(a, incoming, course, executor="local", progress=False,
                                      workers=1 if workers == "one" else None, **extra)
    seconds = time.perf_counter() - t0
    figures = sum("image/png" in o.get("data", {}) for path in (course / "autograded").glob(f"*/{a}/{a}.ipynb")
                  for c in json.loads(path.read_text())["cells"] for o in c.get("outputs", []))
    print(json.dumps({"seconds": seconds, "sandboxed": sum(r.seconds for r in results), "figures": figures,
                      "scores": {r.student: r.score for r in results}}), flush=True)
"""


class _Grader:
    """A grader (the tree `tree`) in a process of its own, with its own class of `n` submissions."""

    def __init__(self, tree: Path, root: Path, n: int, assignment: str):
        env = {**os.environ, "PYTHONPATH": str(tree)}
        self.process = subprocess.Popen([sys.executable, "-c", _GRADER, str(root), str(n), assignment], cwd=tree,
                                        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the grader in {tree} did not start (its error is above)")

    def grade(self, command: str) -> dict:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"the grader stopped on {command!r} (its error is above)")
        return json.loads(answer)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def _tree_at(revision: str, folder: Path) -> Path | None:
    """This repository's files at `revision` in `folder`, or None without git or that history."""
    try:
        tar = subprocess.run(["git", "-C", str(build.paths.ROOT), "archive", "--format=tar", revision],
                             capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(folder, filter="data")
    return folder


def class_throughput(root: Path, n: int = 20, assignment: str = "01_perceptron", rounds: int = 3) -> dict:
    """Grade the same class of `n` submissions with plain serial `nbgrader autograde` and with
    this grader (local pool, all cores; then one worker), beside the grader before figures
    (BEFORE_FIGURES) and today's with no figure drawn; and execute the notebook bare with nbclient,
    for the grader's overhead per notebook. Each grader runs `rounds` times in alternating order
    and its fastest run counts: this machine is noisy, and a class's first run (not counted) pays
    for what later runs find ready."""
    course, _ = _sample_class(root, n, assignment, plain=True)
    t0 = time.perf_counter()
    grade.unsandboxed_autograde(course, assignment)   # plain nbgrader: executes every notebook, serially
    plain = time.perf_counter() - t0
    before_tree = _tree_at(BEFORE_FIGURES, root / "before-figures")
    graders = {"now": _Grader(build.paths.ROOT, root / "now", n, assignment)}
    if before_tree:
        graders["before"] = _Grader(before_tree, root / "before", n, assignment)
    try:
        for grader in graders.values():
            grader.grade("pool")
        runs = [(g, w) for g in graders for w in ("pool", "one")] + [("now", "one figures=0")]
        best: dict[tuple[str, str], dict] = {}
        for i in range(rounds):
            for name, command in runs if i % 2 == 0 else runs[::-1]:
                out = graders[name].grade(command)
                if out["seconds"] < best.get((name, command), {"seconds": float("inf")})["seconds"]:
                    best[name, command] = out
    finally:
        for grader in graders.values():
            grader.close()
    expected = _expected_scores(course, assignment, n)
    wrong = {key: out["scores"] for key, out in best.items() if out["scores"] != expected}
    if wrong:
        raise RuntimeError(f"a grader gave other scores than the sample class's: {wrong}")
    nb = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    t0 = time.perf_counter()
    for _ in range(n):
        execute(copy.deepcopy(nb), course)
    bare = time.perf_counter() - t0
    seconds = {key: out["seconds"] for key, out in best.items()}
    return {"n": n, "plain": plain, "pool": seconds["now", "pool"], "one": seconds["now", "one"],
            "no_figures": seconds["now", "one figures=0"], "sandboxed": best["now", "one"]["sandboxed"],
            "pool_before": seconds.get(("before", "pool")), "before": seconds.get(("before", "one")),
            "bare": bare, "figures": best["now", "one"]["figures"], "workers": os.cpu_count(), "rounds": rounds}


def cluster_throughput(root: Path, n: int = 12, assignment: str = "01_perceptron") -> dict[int, float]:
    """Seconds to grade `n` submissions through a deployed Dask cluster (a scheduler and a worker
    started as separate processes, executors.deployed_cluster) of 1 and of 2 worker processes.
    Each run includes checking the cluster; the workers are up before the clock starts."""
    course, incoming = _sample_class(root, n, assignment)
    seconds = {}
    for processes in (1, 2):
        with executors.deployed_cluster(root / f"cluster-{processes}", processes) as scheduler_file:
            client = executors.connect(str(scheduler_file))
            client.wait_for_workers(processes, timeout=executors.WAIT_FOR_WORKERS)
            client.close()
            t0 = time.perf_counter()
            results = grade_class.grade_class(assignment, incoming, course, executor=str(scheduler_file),
                                              progress=False)
            seconds[processes] = time.perf_counter() - t0
        expected = _expected_scores(course, assignment, n)
        wrong = {r.student: r.score for r in results if r.score != expected[r.student]}
        if wrong or len(results) != n:
            raise RuntimeError(f"the cluster graded {len(results)} of {n}, wrong scores: {wrong}")
    return seconds


#: hidden checks whose comparisons are not gradients: notebook 09 compares a float32 Keras forward
#: pass with TensorFlow in float64 (to 1e-5), which says nothing about the 1e-7 gradient target
NOT_GRADIENTS = {"09_fashion_mnist"}


def gradient_agreement() -> list[tuple[str, str, int, float]]:
    """(assignment, exercise, comparisons, max relative error) from the hidden checks."""
    from utils.checks.core import recording_errors, run_checks
    rows = []
    for reg in hidden.registries():
        if reg.assignment in NOT_GRADIENTS:
            continue
        ns = load_solutions(reg.assignment)
        for name in reg.factories:
            with recording_errors() as log:
                run_checks(reg, name, ns[name], quiet=True)
            if log:
                rows.append((reg.assignment, name, len(log), max(err for _, err in log)))
    return rows


def optimizer_agreement(problems: int = 5) -> list[tuple[str, float, float, float]]:
    """Notebook 06's reference update rules vs `keras.optimizers` on the same gradients, 100 steps
    on `problems` random problems per rule: (rule, max |w - w_keras|, max relative error of
    w_t - w_0, the same against Keras with plain-float (float32) hyper-parameters)."""
    from utils.optim import RULES, agreement_with_keras
    ns = load_solutions("06_optimizers")
    return agreement_with_keras({rule: ns[rule] for rule in RULES}, steps=100, problems=problems)


def print_optimizer_agreement() -> None:
    print("\nOptimizer agreement with Keras (100 steps): reference update rules vs keras.optimizers "
          "on the same gradients, 5 random problems per rule (float64):")
    print(f"  {'rule':<14}{'max abs diff':>14}{'max rel diff':>14}{'vs plain-float Keras':>22}")
    for rule, abs_err, rel_err, rel_plain in optimizer_agreement():
        print(f"  {rule:<14}{abs_err:>14.1e}{rel_err:>14.1e}{rel_plain:>22.1e}")
    print("  (rel diff: of the displacement w_t - w_0, worst step; target < 1e-6. Plain-float Keras casts "
          "its hyper-parameters through float32.)")


def conv_benchmark(n=50, size=32, channels=3, filters=16, k=3, repeats=50, naive_repeats=2) -> list[dict]:
    """Notebook 07's reference convolutions on one NHWC input (stride 1, "same" padding), timed side
    by side: the naive loops, `conv_forward_fast` and `tf.nn.conv2d` (+ bias). The fast version and
    TensorFlow run alternately, `repeats` times each, and each figure is the best run (the least
    disturbed by other jobs on a shared machine). One row per dtype; the naive loops run in float64
    only (they take seconds)."""
    import numpy as np
    import tensorflow as tf
    ns = load_solutions("07_cnn")
    naive, fast = ns["conv_forward_naive"], ns["conv_forward_fast"]
    pad = k // 2
    rng = np.random.default_rng(0)
    x64 = rng.standard_normal((n, size, size, channels))
    w64, b64 = rng.standard_normal((k, k, channels, filters)), rng.standard_normal(filters)

    def timed(fn):
        t0 = time.perf_counter()
        out = fn()
        return time.perf_counter() - t0, out

    rows = []
    for dtype in ("float64", "float32"):
        x, w, b = (a.astype(dtype) for a in (x64, w64, b64))
        padding = [[0, 0], [pad, pad], [pad, pad], [0, 0]]
        run_fast = lambda: fast(x, w, b, stride=1, pad=pad)[0]           # noqa: E731
        run_tf = lambda: (tf.nn.conv2d(x, w, 1, padding) + b).numpy()    # noqa: E731
        run_tf(), run_fast()                                              # warm up (TF sets up its op)
        t_fast, t_tf = [], []
        for _ in range(repeats):
            t, out_fast = timed(run_fast)
            t_fast.append(t)
            t, out_tf = timed(run_tf)
            t_tf.append(t)
        row = {"dtype": dtype, "fast": min(t_fast), "tf": min(t_tf),
               "fast_vs_tf_error": float(np.abs(out_fast - out_tf).max())}
        if dtype == "float64":
            runs = [timed(lambda: naive(x, w, b, stride=1, pad=pad)[0]) for _ in range(naive_repeats)]
            row.update(naive=min(t for t, _ in runs),
                       fast_vs_naive_error=float(np.abs(out_fast - runs[0][1]).max()))
        rows.append(row)
    return rows


def print_conv_benchmark() -> None:
    shape = "50x32x32x3 input, 16 filters of 3x3, stride 1, pad 1 (NHWC)"
    rows = conv_benchmark()
    print(f"\nConvolution forward, notebook 07's reference solutions on one {shape}; best of 50 "
          f"alternating runs (naive loops: of 2):")
    print(f"  {'dtype':<9}{'naive loops':>13}{'conv_forward_fast':>19}{'tf.nn.conv2d':>14}"
          f"{'naive / fast':>14}{'fast / tf':>11}")
    for r in rows:
        naive = f"{r['naive']:.2f} s" if "naive" in r else "-"
        speedup = f"{r['naive'] / r['fast']:.0f}x" if "naive" in r else "-"
        print(f"  {r['dtype']:<9}{naive:>13}{1e3 * r['fast']:>16.2f} ms{1e3 * r['tf']:>11.2f} ms"
              f"{speedup:>14}{r['fast'] / r['tf']:>10.2f}x")
    first = rows[0]
    met = first["naive"] / first["fast"] >= 50 and all(r["fast"] / r["tf"] <= 5 for r in rows)
    print(f"  targets: fast >= 50x faster than naive, fast within 5x of tf.nn.conv2d: {'met' if met else 'NOT MET'}")
    print(f"  largest difference: fast vs naive {first['fast_vs_naive_error']:.1e} (float64), fast vs tf "
          + ", ".join(f"{r['fast_vs_tf_error']:.1e} ({r['dtype']})" for r in rows))


def rnn_figures(sample_chars: int = 200, naive_chars: int = 20, train_batches: int = 20) -> dict:
    """Notebook 08's character model as its full mode trains it (Embedding(65, 64) -> LSTM(256) ->
    Dense(65), batches of 64 windows of 100 characters, real Tiny Shakespeare text): seconds per
    training batch; and milliseconds per generated character, three samples side by side (one per
    temperature), generated three ways: a plain model call on the whole text so far for every new
    character, `utils.text.CharSampler` stepping the LSTM cell eagerly, and the same sampler compiled
    with `tf.function` (first call, which traces, and a second call)."""
    import keras
    import numpy as np

    from utils.text import CharSampler, CharVocab, load_shakespeare, next_char_windows

    text = load_shakespeare()
    vocab = CharVocab(text)
    x, y = next_char_windows(vocab.encode(text[:200_000]), 100)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(len(vocab), 64),
                              keras.layers.LSTM(256, return_sequences=True), keras.layers.Dense(len(vocab))])
    model.compile(optimizer=keras.optimizers.Adam(2e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x[:3 * 64], y[:3 * 64], batch_size=64, epochs=1, verbose=0)          # traces
    n = train_batches * 64
    t0 = time.perf_counter()
    model.fit(x[:n], y[:n], batch_size=64, epochs=1, verbose=0)
    per_batch = (time.perf_counter() - t0) / train_batches

    temperatures, prime = (0.2, 0.5, 1.0), "ROMEO:\n"
    ids = np.tile(vocab.encode(prime), (len(temperatures), 1))
    scale = np.asarray(temperatures)[:, None]
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for _ in range(naive_chars):                  # the whole text so far, through the model, per character
        logits = np.asarray(model(ids), dtype=np.float64)[:, -1] / scale
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        nxt = [rng.choice(len(vocab), p=row) for row in p]
        ids = np.concatenate([ids, np.asarray(nxt, dtype=ids.dtype)[:, None]], axis=1)
    naive = (time.perf_counter() - t0) / naive_chars
    t0 = time.perf_counter()
    CharSampler(model, vocab, compiled=False).sample(prime, sample_chars, temperatures, seed=0)
    eager = (time.perf_counter() - t0) / sample_chars
    sampler = CharSampler(model, vocab)
    t0 = time.perf_counter()
    sampler.sample(prime, sample_chars, temperatures, seed=0)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    sampler.sample(prime, sample_chars, temperatures, seed=1)
    compiled = (time.perf_counter() - t0) / sample_chars
    return {"per_batch": per_batch, "naive": naive, "eager": eager, "compiled": compiled,
            "first_call": first, "chars": sample_chars, "samples": len(temperatures)}


def print_rnn_figures() -> None:
    r = rnn_figures()
    print("\nCharacter LSTM (notebook 08's full-mode model: Embedding 64, LSTM(256), 65 characters):")
    print(f"  training: {1000 * r['per_batch']:.0f} ms per batch of 64 windows of 100 characters "
          f"(about {157 * r['per_batch']:.0f} s per epoch of the 90 % training text)")
    print(f"  sampling {r['samples']} texts side by side, per generated character:")
    print(f"    plain model call on the whole text so far  {1000 * r['naive']:8.2f} ms")
    print(f"    CharSampler, cell stepped eagerly           {1000 * r['eager']:8.2f} ms"
          f"   {r['naive'] / r['eager']:7.1f}x faster than the plain call")
    print(f"    CharSampler inside tf.function             {1000 * r['compiled']:8.2f} ms"
          f"   {r['naive'] / r['compiled']:7.1f}x faster than the plain call, {r['eager'] / r['compiled']:.1f}x than eager"
          f"  (first call, tracing included: {r['first_call']:.2f} s for {r['chars']} characters)")


def fashion_training_accuracy(seeds=range(10)) -> list[tuple[str, float, float, float, float]]:
    """Notebook 09's graded training run: the reference `train_fashion_model` driven as the visible and
    the hidden check drive it, on each seed: (case, min, mean, max test accuracy, threshold)."""
    import numpy as np

    from utils.checks.keras_fashion import MIN_ACCURACY, TRAIN_CASE, test_labels
    from utils.fashion import short_training_run

    from .hidden.keras_fashion import HIDDEN_MIN_ACCURACY, HIDDEN_TRAIN, mlp_48
    train = load_answers("09_fashion_mnist")["train_fashion_model"]
    rows = []
    for label, settings, extra, threshold in [
            (f"visible: softmax regression, {TRAIN_CASE['n_train']} images", TRAIN_CASE, {}, MIN_ACCURACY),
            (f"hidden: 48-unit MLP, {HIDDEN_TRAIN['n_train']} images", HIDDEN_TRAIN, {"build": mlp_48},
             HIDDEN_MIN_ACCURACY)]:
        y_test = test_labels(settings["n_test"])
        accuracies = [float(np.mean(short_training_run(train, seed=seed, **settings, **extra)["predictions"] == y_test))
                      for seed in seeds]
        rows.append((label, min(accuracies), float(np.mean(accuracies)), max(accuracies), threshold))
    return rows


def print_fashion_training_accuracy() -> None:
    print("\nNotebook 09, the graded training run (train_fashion_model): test accuracy of the reference "
          "recipe through the checks' driver, seeds 0-9:")
    print(f"  {'case':<40}{'min':>8}{'mean':>8}{'max':>8}{'threshold':>11}{'margin':>9}")
    for label, low, mean, high, threshold in fashion_training_accuracy():
        print(f"  {label:<40}{low:>8.1%}{mean:>8.1%}{high:>8.1%}{threshold:>11.0%}{low - threshold:>+9.1%}")
    print("  (margin: worst seed minus threshold; the full-mode accuracy of the notebook itself, 89.3 %, "
          "is measured by running it without COURSE_FAST)")


def transfer_figures(batch: int = 16, steps: int = 4) -> dict:
    """Notebook 10 on this machine: MobileNetV2 at 224 px trained by `utils.learner.Learner` on real
    cats-vs-dogs images, the backbone frozen (only the head trains) and unfrozen (everything):
    seconds per step after the first, compiled (graph) and eager, and the first compiled step
    (tracing included); plus the reference one_cycle_lr against its two references."""
    import numpy as np
    import keras
    from utils.checks.transfer import keras_one_cycle
    from utils.data import ImageDataLoaders, cats_and_dogs_dir, get_image_files
    from utils.learner import Learner
    from .hidden.transfer import reference_one_cycle
    ns = load_answers("10_transfer")
    files = get_image_files(cats_and_dogs_dir())
    dls = ImageDataLoaders.from_name_func(files, ns["labels_from_filenames"], batch_size=batch,
                                          preprocess=keras.applications.mobilenet_v2.preprocess_input,
                                          max_train=batch * steps, max_valid=batch)
    out: dict = {"batch": batch, "steps": steps}
    for eager in (False, True):
        keras.utils.set_random_seed(0)
        learn = Learner(ns["build_transfer_model"](), dls, run_eagerly=eager, verbose=False)
        for phase in ("frozen", "unfrozen"):
            learn.freeze() if phase == "frozen" else learn.unfreeze()
            t0 = time.perf_counter()
            learn.fit(1, 1e-4)                       # the first epoch: compiles (graph), fills the cache
            first = time.perf_counter() - t0
            learn.fit(1, 1e-4)
            epoch = learn.recorder.epochs[-1]["seconds"]   # training and validation of this epoch
            val_t0 = time.perf_counter()
            learn.validate()
            val = time.perf_counter() - val_t0
            per_step = (epoch - val) / steps
            mode = "eager" if eager else "graph"
            out[(phase, mode)] = {"per_step": per_step, "per_image": per_step / batch,
                                  "first_epoch": first, "epoch_2400": per_step / batch * 2400}
    rng = np.random.default_rng(0)
    worst_rel, worst_abs = 0.0, 0.0
    for _ in range(20):
        total = int(rng.integers(5, 1000))
        kw = {"pct_start": float(rng.uniform(0.05, 0.99)), "div": float(rng.uniform(2, 50)),
              "div_final": float(10 ** rng.uniform(2, 6))}
        steps_ = np.arange(total + 1)
        got = ns["one_cycle_lr"](steps_, total, 1e-3, **kw)
        for ref in (keras_one_cycle(steps_, total, 1e-3, **kw), reference_one_cycle(steps_, total, 1e-3, **kw)):
            for g, r, scale in zip(got, ref, (1e-3, 1.0)):
                worst_rel = max(worst_rel, float(np.max(np.abs(g - r) / np.abs(r))))
                worst_abs = max(worst_abs, float(np.max(np.abs(g - r))) / scale)
    out["one_cycle"] = {"problems": 20, "max_rel": worst_rel, "max_abs_scaled": worst_abs}
    return out


def print_transfer_figures() -> None:
    r = transfer_figures()
    print(f"\nNotebook 10: MobileNetV2 at 224 px, batches of {r['batch']}, utils.learner on this CPU "
          f"(seconds per step after the first epoch; an epoch of the 2400 training images extrapolated):")
    print(f"  {'':<22}{'per step':>10}{'per image':>11}{'2400 images':>13}{'first epoch':>13}")
    for mode in ("graph", "eager"):
        for phase in ("frozen", "unfrozen"):
            f = r[(phase, mode)]
            print(f"  {phase + ', ' + mode:<22}{f['per_step']:>9.2f}s{f['per_image']:>10.3f}s"
                  f"{f['epoch_2400']:>12.0f}s{f['first_epoch']:>12.1f}s")
        ratio = r[("unfrozen", mode)]["per_step"] / r[("frozen", mode)]["per_step"]
        print(f"  unfrozen / frozen ({mode}): {ratio:.1f}x")
    c = r["one_cycle"]
    print(f"  one_cycle_lr vs keras CosineDecay pieces and the numpy reference, {c['problems']} random "
          f"schedules: max rel diff {c['max_rel']:.1e}, max abs diff / lr_max {c['max_abs_scaled']:.1e}")


def print_notebook_times() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        course, release = Path(tmp) / "course", Path(tmp) / "release"
        build.build_release(release, course)
        print("Notebook execution, headless (COURSE_FAST=1, nbclient):")
        times = time_notebooks(course)
        for a, t in times.items():
            print(f"  {a:<20}{t:7.1f} s")
        print(f"  {'all':<20}{sum(times.values()):7.1f} s")


def print_class_throughput() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        r = class_throughput(Path(tmp))
    n = r["n"]

    def versus(now: float, then: float | None) -> str:
        return (f"   with figures {100 * (now / then - 1):+.0f} % against it  (target <= +10 %)" if then else
                f"   (git history of {BEFORE_FIGURES} not found: run from a clone of the repository)")

    print(f"\nGrading a class of {n} submissions of 01_perceptron (containment: {sandbox.contained()}; "
          f"each grader's fastest of {r['rounds']} runs, alternating):")
    print(f"  plain nbgrader autograde (serial)    {r['plain']:6.1f} s  {60 * n / r['plain']:6.1f} submissions/min")
    print(f"  this grader, local pool ({r['workers']} workers)  {r['pool']:6.1f} s  {60 * n / r['pool']:6.1f} submissions/min"
          f"   speed-up {r['plain'] / r['pool']:.2f}x  (target >= 1.8x)")
    if r["pool_before"]:
        print(f"  the grader before figures ({BEFORE_FIGURES})  {r['pool_before']:6.1f} s  "
              f"{60 * n / r['pool_before']:6.1f} submissions/min" + versus(r["pool"], r["pool_before"]))
    else:
        print("  the grader before figures" + versus(r["pool"], None))
    print(f"  this grader, 1 worker                {r['one']:6.1f} s  {r['one'] / n:6.2f} s per notebook"
          f"   with {r['figures']} figures kept ({r['figures'] / n:.1f} per notebook)")
    if r["before"]:
        print(f"  the grader before figures, 1 worker  {r['before']:6.1f} s  {r['before'] / n:6.2f} s per notebook"
              + versus(r["one"], r["before"]))
    print(f"  this grader, no figures drawn        {r['no_figures']:6.1f} s  {r['no_figures'] / n:6.2f} s per notebook"
          f"   drawing them costs {100 * (r['one'] / r['no_figures'] - 1):+.0f} %")
    print(f"  bare nbclient execution              {r['bare']:6.1f} s  {r['bare'] / n:6.2f} s per notebook"
          f"   grader overhead {r['one'] / r['bare']:.2f}x  (target <= 1.1x)")
    print(f"  of which the sandboxed runs          {r['sandboxed']:6.1f} s  {r['sandboxed'] / n:6.2f} s per notebook"
          f"   {r['sandboxed'] / r['bare']:.2f}x bare (from the notebook's hand-over: each kernel starts while the one before runs)")


def print_cluster_throughput() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        n = 12
        seconds = cluster_throughput(Path(tmp), n)
    print(f"\nGrading {n} submissions of 01_perceptron on a Dask cluster of separate processes "
          "(./run.sh scheduler, ./run.sh worker; loopback):")
    for processes, s in seconds.items():
        print(f"  {processes} worker process{'es' if processes > 1 else '  '}   {s:6.1f} s  {60 * n / s:6.1f} submissions/min")
    print(f"  speed-up with 2 processes {seconds[1] / seconds[2]:.2f}x on {os.cpu_count()} cores")


def print_gradient_agreement() -> None:
    print("\nGradient agreement: reference solution vs TF autodiff and finite differences "
          "(hidden checks, float64):")
    rows = gradient_agreement()
    print(f"  {'assignment':<20}{'exercise':<24}{'comparisons':>12}{'max rel error':>16}")
    for a, name, count, err in rows:
        print(f"  {a:<20}{name:<24}{count:>12}{err:>16.2e}")
    worst = max(err for *_, err in rows)
    print(f"  worst: {worst:.2e}  (target < 1e-7: {'met' if worst < 1e-7 else 'NOT MET'})")


_INTAKE_RUN = """
import resource, sys, time
from pathlib import Path
from autograder import archive, intake
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
taken = intake.collect(Path(sys.argv[1]), sys.argv[2])
archive.save(Path(sys.argv[3]), sys.argv[2], taken)
seconds = time.perf_counter() - t0
print(len(taken.submissions), len(taken.fates), seconds, base, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def intake_figures(students: int = 300, assignment: str = "03_softmax") -> dict:
    """A Canvas-shaped zip of `students` (each: their notebook, a PDF; every tenth an earlier upload
    too; one LATE), taken in by a fresh process (imports excluded from the time, included in memory)."""
    import zipfile
    release = build.paths.RELEASE / assignment / f"{assignment}.ipynb"
    answers = sample_class.half_right_answers(assignment)[0]
    nb = sample_class.fill(nbformat.read(release, as_version=4), answers)
    with tempfile.TemporaryDirectory() as tmp:
        zipped = Path(tmp) / "submissions.zip"
        with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
            for k in range(students):
                nb.cells[-1].source = f"# student {k}"   # (no two files alike)
                name, uid, att = f"student{k:03d}", 10000 + k, 500000 + 3 * k
                late = "_LATE" if k == 7 else ""
                z.writestr(f"{name}{late}_{uid}_{att + 2}_{assignment}.ipynb", nbformat.writes(nb))
                z.writestr(f"{name}{late}_{uid}_{att + 1}_notes.pdf", b"%PDF-1.4 " + bytes(20_000))
                if k % 10 == 0:
                    z.writestr(f"{name}{late}_{uid}_{att}_{assignment}-1.ipynb", nbformat.writes(nb))
        out = subprocess.run([sys.executable, "-c", _INTAKE_RUN, str(zipped), assignment, str(Path(tmp) / "course")],
                             capture_output=True, text=True, check=True, cwd=build.paths.ROOT)
        subs, files, seconds, base, peak = out.stdout.split()
        return {"students": int(subs), "files": int(files), "seconds": float(seconds),
                "zip_mb": zipped.stat().st_size / 2**20, "base_mb": int(base) / 1024, "peak_mb": int(peak) / 1024}


def print_intake_figures() -> None:
    r = intake_figures()
    print(f"\nIntake of a Canvas zip ({r['zip_mb']:.0f} MB, {r['files']} files, {r['students']} students), "
          "taken in and kept in a fresh process:")
    print(f"  time   {r['seconds']:6.2f} s   (target < 10 s)")
    print(f"  memory {r['peak_mb']:6.0f} MB peak, {r['base_mb']:.0f} MB of it the interpreter and imports"
          f"   (target < 500 MB)")


def similarity_figures(students: int = 300, planted: int = 6, assignment: str = "02_backprop",
                       seed: int = 0) -> dict:
    """The similarity report on a class of `students` with `planted` disguised copies."""
    import random

    from . import similarity
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "course"
        build.build_release(course / "release", course)
        release_nb = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
        template = {g: src for g, (_, src) in similarity._answer_cells(release_nb).items()}
        solution = sample_class.solution_answers(course, assignment)
        half = sample_class.half_right_answers(assignment)[0]
        extras = ["tmp = np.asarray(x)", "assert x.ndim >= 1", "eps = 1e-12", "count = 0",
                  "print('shape', x.shape)", "n_items = len(x)"]

        def mutated(src: str) -> str:   # a line dropped, or one added (not in the template's)
            lines = src.splitlines()
            given = similarity._template_lines(template_src)
            body = [i for i, l in enumerate(lines) if l.strip() and similarity._line_key(l) not in given
                    and not l.rstrip().endswith(":")]
            if not body:
                return src
            i = rng.choice(body)
            if rng.random() < 0.5 and len(body) > 2:
                del lines[i]
            else:
                indent = lines[i][:len(lines[i]) - len(lines[i].lstrip())]
                lines.insert(i, indent + rng.choice(extras))
            return "\n".join(lines)

        classes: dict[str, dict] = {}
        for k in range(students - planted):
            answers = {}
            for g, template_src in template.items():
                if g not in half:
                    continue
                pick = rng.random()
                if pick < 0.15:
                    continue   # blank
                src = solution[g] if pick < 0.55 else half[g]
                answers[g] = mutated(mutated(src)) if rng.random() < 0.8 else src
            classes[f"student{k:03d}"] = answers
        given = similarity.notebook_names(release_nb)
        pairs = []
        for j, original in enumerate(rng.sample(sorted(classes), planted)):
            copier = f"copier{j}"
            classes[copier] = {g: similarity.disguise(src, given, salt=j) for g, src in classes[original].items()}
            pairs.append(frozenset((original, copier)))
        for student, answers in classes.items():
            target = course / "submitted" / student / assignment / f"{assignment}.ipynb"
            target.parent.mkdir(parents=True)
            target.write_text(build.canonical(sample_class.fill(release_nb, answers)), encoding="utf-8")
        t0 = time.perf_counter()
        path, report = similarity.write_report(assignment, course)
        seconds = time.perf_counter() - t0
        ranks = sorted(report.rank_of(*p) + 1 for p in pairs)
        honest = next(p for p in report.pairs if frozenset((p.a, p.b)) not in pairs)
        return {"students": len(classes), "planted": planted, "ranks": ranks, "seconds": seconds,
                "analyse_seconds": report.seconds, "lowest_planted": min(report.pairs[r - 1].score for r in ranks),
                "best_honest": honest.score, "pairs": len(report.pairs), "page_kb": path.stat().st_size / 1024}


def print_similarity_figures() -> None:
    r = similarity_figures()
    print(f"\nSimilarity report, {r['students']} students ({r['planted']} planted copies), {r['pairs']} pairs sharing code:")
    print(f"  planted pairs ranked {r['ranks']} (lowest planted score {r['lowest_planted']:.2f}, "
          f"best honest pair {r['best_honest']:.2f})")
    print(f"  time {r['seconds']:.1f} s to read, compare and write ({r['analyse_seconds']:.1f} s comparing; "
          f"target < 60 s); page {r['page_kb']:.0f} KB")


SECTIONS = {"notebooks": print_notebook_times, "grading": print_class_throughput,
            "cluster": print_cluster_throughput,
            "gradients": print_gradient_agreement, "optimizers": print_optimizer_agreement,
            "conv": print_conv_benchmark, "rnn": print_rnn_figures,
            "fashion": print_fashion_training_accuracy, "transfer": print_transfer_figures,
            "intake": print_intake_figures, "similarity": print_similarity_figures}


def main(argv: list[str] | None = None) -> None:
    """`python -m autograder.bench [SECTION ...]`: every section, or only those named."""
    import sys
    names = (sys.argv[1:] if argv is None else argv) or list(SECTIONS)
    unknown = set(names) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown section(s) {sorted(unknown)}; choose from {list(SECTIONS)}")
    for key, value in {**grade.grading_env(), "PYTHONPATH": str(build.paths.ROOT)}.items():
        os.environ[key] = value
    from utils.data import use_offline_cache
    use_offline_cache()
    for name in names:
        SECTIONS[name]()


if __name__ == "__main__":
    main()
